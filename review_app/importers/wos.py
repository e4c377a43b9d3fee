"""Web of Science plain text / .ciw exports ("FN Clarivate...", "PT J", ..., "ER", "EF").

rispy's WokParser reads the two-letter fields; each line of a field is one item, which is
what AU/AF/CR want. Text fields (TI, AB, SO) and the ``;``-separated keyword fields wrap
over lines, so their items are joined back before use. The same field map serves WoS
tab-delimited exports (see ``tabular``), whose columns carry these tags as names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import rispy

from review_app.importers import normalize, tagged
from review_app.importers.record import DEFAULT_LIMITS, Limits, ParseResult, RecordSink

START, END = "PT", "ER"
_HEADER_TAGS = ("FN", "VR", "EF")
_TAG_LINE = re.compile(r"^(?P<tag>[A-Z][A-Z0-9])(?: (?P<value>.*))?$")
# Fields whose lines are items of a list; every other field is wrapped text.
LIST_TAGS = frozenset({"AU", "AF", "BA", "BF", "CA", "GP", "BE", "CR", "C1", "RI", "OI"})

FIELDS: normalize.FieldMap = {
    "title": ("TI",),
    "abstract": ("AB",),
    "authors": ("AF", "AU"),
    "year": ("PY", "PD", "EY"),
    "journal": ("SO", "SE"),
    "volume": ("VL",),
    "issue": ("IS",),
    "start_page": ("BP",),
    "end_page": ("EP",),
    "doi": ("DI", "D2"),
    "pmid": ("PM",),
    "issn": ("SN", "EI"),
    "isbn": ("BN",),
    "keywords": ("DE", "ID"),
    "language": ("LA",),
    "publication_type": ("DT", "PT"),
    "source_record_id": ("UT",),
}


def tag_of(line: str) -> str | None:
    """The tag of a WoS line ("PT J", "ER"), or None for a continuation line."""
    match = _TAG_LINE.match(line)
    return match.group("tag") if match else None


class _TagParser(rispy.WokParser):
    """rispy's WoS parser keeping the tags as they are, every field a list of lines."""

    UNKNOWN_TAG = tagged.UNKNOWN

    def __init__(self) -> None:
        tags = set(rispy.config.WOK_TAG_KEY_MAPPING)
        super().__init__(
            mapping={tag: tag for tag in tags} | {tagged.UNKNOWN: tagged.UNKNOWN},
            list_tags=list(tags),
        )

    def _add_tag(self, record: dict[str, Any], tag: str, content: str, **options: Any) -> None:
        # rispy files a continuation line right after the start tag ("PT J" then an indented
        # line) under the tag None, which no JSON column or sort can hold; it continues PT.
        super()._add_tag(record, START if tag is None else tag, content, **options)


def parse(
    text: str | Iterable[str],
    *,
    source: str,
    sink: RecordSink | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ParseResult:
    """Read every PT...ER record of a Web of Science plain-text export."""
    result = ParseResult(format="wos", source=source, sink=sink, limits=limits)
    parser = _TagParser()
    chunks = tagged.read_chunks(
        text,
        result,
        source=source,
        tag_of=tag_of,
        start=START,
        end=END,
        ignore_outside=_HEADER_TAGS,
    )
    for chunk in chunks:
        lines = [line for line in chunk.lines if line.strip()]
        if len(lines) > 1 and tag_of(lines[1]) is None:
            number = chunk.line + chunk.lines.index(lines[1])
            result.warnings.append(
                f"{source}: line {number} (record {chunk.position}) continues the 'PT' line "
                "above it rather than a field; read as part of PT (the publication type)"
            )
        if chunk.ended_by != "end":
            lines.append(END)
        parsed = parser.parse_lines(iter(lines))
        raw = _raw_fields(parsed[0] if parsed else {})
        record, problems = normalize.build_record(
            raw, FIELDS, source=source, position=chunk.position, line=chunk.line, raw=raw
        )
        normalize.add_record(result, record, problems)
    return result


def _raw_fields(parsed: dict[str, Any]) -> dict[str, Any]:
    """Tag -> values; wrapped text fields joined back into one line."""
    joined = {
        tag: items if tag in LIST_TAGS else [" ".join(item for item in items if item)]
        for tag, items in tagged.tag_values(parsed).items()
    }
    return normalize.compact(joined)
