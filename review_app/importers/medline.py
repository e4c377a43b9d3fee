"""MEDLINE/PubMed exports (.nbib, .txt "PubMed format"), also ERIC's nbib flavour.

Bio.Medline reads the fields of a record; we cut the file at blank lines first so each
record keeps its line number and a stray non-field line is reported, not glued to a tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from Bio import Medline

from review_app.errors import Problem
from review_app.importers import normalize
from review_app.importers.record import DEFAULT_LIMITS, Limits, ParseResult, RecordSink
from review_app.importers.tagged import lines_of

# "PMID- 1", "TI  - x", "FAU - x": the tag padded to four, as Bio.Medline expects; also
# ERIC's "ISSN - x". Continuation lines start with six spaces.
_FIELD_LINE = re.compile(r"^(?:[A-Z][A-Z0-9 ]{3}|[A-Z]{4} )- ")
_CONTINUATION = "      "
_TAGGED_DOI = re.compile(r"(\S+)\s*\[doi\]")
_DOI_URL = re.compile(r"\S*doi\.org/\S+")

FIELDS: normalize.FieldMap = {
    "title": ("TI", "BTI", "TT"),
    "abstract": ("AB",),
    "authors": ("FAU", "AU"),
    "year": ("DP", "DEP", "EDAT"),
    "journal": ("JT", "TA", "BTI"),
    "volume": ("VI",),
    "issue": ("IP",),
    "pages": ("PG",),
    "doi": ("_doi",),
    "pmid": ("PMID",),
    "issn": ("IS", "ISSN"),
    "isbn": ("ISBN",),
    "keywords": ("OT", "MH"),
    "language": ("LA",),
    "publication_type": ("_type",),
    "source_record_id": ("PMID", "OID"),
}


def parse(
    text: str | Iterable[str],
    *,
    source: str,
    sink: RecordSink | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ParseResult:
    """Read every blank-line-separated record of a MEDLINE export."""
    result = ParseResult(format="medline", source=source, sink=sink, limits=limits)
    for position, (line, lines) in enumerate(_blocks(lines_of(text)), start=1):
        if (bad := _first_bad_line(lines)) is not None:
            result.problems.append(_bad_line(source, position, line + bad, lines[bad]))
            continue
        raw: dict[str, Any] = dict(Medline.read(iter(f"{text_line}\n" for text_line in lines)))
        raw = {key: value for key, value in raw.items() if value}
        record, problems = normalize.build_record(
            _lookup(raw), FIELDS, source=source, position=position, line=line, raw=raw
        )
        normalize.add_record(result, record, problems)
    return result


def _blocks(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """(first line number, lines) of each run of non-blank lines."""
    block: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if line.strip() or (block and line.startswith(_CONTINUATION)):
            if not block:
                start = number
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def _first_bad_line(lines: list[str]) -> int | None:
    """Index of the first line that is neither a field nor a continuation of one."""
    for index, line in enumerate(lines):
        if not _FIELD_LINE.match(line) and (index == 0 or not line.startswith(_CONTINUATION)):
            return index
    return None


def _bad_line(source: str, position: int, line: int, text: str) -> Problem:
    shown = text if len(text) <= 40 else f"{text[:40]}..."
    return Problem(
        source=source,
        line=line,
        record=position,
        message=f"{shown!r} is not a MEDLINE field; lines look like 'TI  - text', "
        "continued on lines starting with six spaces",
    )


def _lookup(raw: dict[str, Any]) -> dict[str, Any]:
    """Raw fields plus the DOI (from LID/AID) and the publication types joined.

    Bio.Medline joins repeated LID lines into one string ("10.1/x [doi] S01-2 [pii]").
    """
    lookup = dict(raw)
    ids = " ".join([*_as_list(raw.get("LID")), *_as_list(raw.get("AID"))])
    lookup["_doi"] = [*_TAGGED_DOI.findall(ids), *_DOI_URL.findall(ids)]
    lookup["_type"] = "; ".join(_as_list(raw.get("PT"))) or None
    return lookup


def _as_list(value: object) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [] if value is None else [str(value)]
