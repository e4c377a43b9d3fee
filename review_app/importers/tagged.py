"""Cutting a tagged export (RIS, Web of Science) into records, keeping line numbers.

The libraries read tags well but forget where a record started and drop a record that was
cut short without a word. Cutting first lets us name the line of every problem and say
"the file ends inside record 7" instead of importing six records silently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from review_app.errors import Problem
from review_app.importers.record import ParseResult

EndedBy = Literal["end", "next", "eof"]
UNKNOWN = "__unknown__"  # where our rispy parsers put tags rispy does not know


@dataclass(slots=True)
class Chunk:
    """The lines of one record, from its start tag to its end tag (both included)."""

    position: int  # 1-based record number in the file
    line: int  # 1-based line of the start tag
    lines: list[str] = field(default_factory=list)
    ended_by: EndedBy = "end"  # "next": a new start tag came first; "eof": the file ended


@dataclass(slots=True)
class _Stray:
    count: int = 0
    first_line: int | None = None


def _split_records(
    lines: Iterable[str],
    *,
    tag_of: Callable[[str], str | None],
    start: str,
    end: str,
    ignore_outside: Collection[str] = (),
    stray: _Stray | None = None,
) -> Iterator[Chunk]:
    """Yield each record's lines; tagged lines outside records are counted in ``stray``."""
    current: Chunk | None = None
    position = 0
    for number, line in enumerate(lines, start=1):
        tag = tag_of(line)
        if tag == start:
            if current is not None:
                current.ended_by = "next"
                yield current
            position += 1
            current = Chunk(position=position, line=number, lines=[line])
        elif current is not None:
            current.lines.append(line)
            if tag == end:
                yield current
                current = None
        elif tag is not None and tag not in ignore_outside and stray is not None:
            stray.count += 1
            stray.first_line = stray.first_line or number
    if current is not None:
        current.ended_by = "eof"
        yield current


def read_chunks(
    text: str | Iterable[str],
    result: ParseResult,
    *,
    source: str,
    tag_of: Callable[[str], str | None],
    start: str,
    end: str,
    ignore_outside: Collection[str] = (),
) -> Iterator[Chunk]:
    """Yield complete records; note cut-short ones in ``result`` (problem or warning)."""
    stray = _Stray()
    for chunk in _split_records(
        lines_of(text),
        tag_of=tag_of,
        start=start,
        end=end,
        ignore_outside=ignore_outside,
        stray=stray,
    ):
        if chunk.ended_by == "eof":
            result.problems.append(
                Problem(
                    source=source,
                    line=chunk.line,
                    record=chunk.position,
                    message=f"the file ends inside this record (no '{end}' line): it looks "
                    f"truncated; every record must end with '{end}'",
                )
            )
            continue
        if chunk.ended_by == "next":
            result.warnings.append(
                f"{source}: record {chunk.position} (line {chunk.line}) has no '{end}' line "
                f"before the next '{start}'; read it as ending there"
            )
        yield chunk
    if stray.count:
        result.warnings.append(
            f"{source}: {stray.count} tagged line(s) outside any {start}...{end} record were "
            f"ignored (first on line {stray.first_line})"
        )


def lines_of(text: str | Iterable[str]) -> Iterator[str]:
    """The lines one at a time: of a text, or as they come from a file being decoded. (A list
    of them all, or a StringIO, which copies the text into a four-bytes-a-character buffer,
    would double or triple the memory of a large file.)"""
    if not isinstance(text, str):
        yield from text
        return
    start = 0
    while (end := text.find("\n", start)) >= 0:
        yield text[start:end]
        start = end + 1
    yield text[start:]


def tag_values(parsed: dict[str, Any]) -> dict[str, list[str]]:
    """rispy's record as tag -> values, with its unknown-tag bucket opened up."""
    values: dict[str, list[str]] = defaultdict(list)
    for tag, value in parsed.items():
        if tag == UNKNOWN:
            for unknown_tag, items in value.items():
                values[unknown_tag].extend(items)
        else:
            values[tag].extend([value] if isinstance(value, str) else value)
    return values
