"""RIS exports (PubMed, Embase/Ovid, Scopus, Web of Science, EBSCO, ProQuest, EndNote, Zotero...).

rispy reads the tags of each record; we cut the file into records first (line numbers,
truncation), accept the tag spellings seen in the wild ("A1<TAB>- ", "KW - x", "PMID - "),
and map the many variants of each field (T1/TI/CT/BT, JO/JF/JA/T2/J2, PY/Y1/DA...) to ours.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import rispy

from review_app.importers import normalize, tagged
from review_app.importers.record import DEFAULT_LIMITS, Limits, ParseResult, RecordSink

START, END = "TY", "ER"
# "XX  - value" is the standard; exporters also write a tab before the dash, or one space,
# which is accepted for known tags only so that a wrapped line like "US - based" stays text.
_TAG_LINE = re.compile(r"^(?P<tag>[A-Z][A-Z0-9]|PMID)(?P<gap>[ \t]+)-(?:[ \t]?(?P<value>.*))?$")
_EXTRA_TAGS = ("BT", "CT", "CP", "VO", "PMID", "DP", "ET", "M2", "U1", "U2", "U3", "U4", "U5")
KNOWN_TAGS = frozenset(rispy.TAG_KEY_MAPPING) | frozenset(_EXTRA_TAGS)
_GENERIC_TYPE = "GEN"

FIELDS: normalize.FieldMap = {
    "title": ("TI", "T1", "CT", "BT", "ST", "TT"),
    "abstract": ("AB", "N2"),
    "authors": ("AU", "A1", "A2"),  # A2 (editors) only when a record names no author
    "year": ("PY", "Y1", "DA"),
    "journal": ("JF", "T2", "JO", "JA", "J2"),
    "volume": ("VL", "VO"),
    "issue": ("IS", "CP"),
    "start_page": ("SP",),
    "end_page": ("EP",),
    "doi": ("DO",),
    "pmid": ("PMID", "_pmid"),
    "issn": ("SN",),
    "keywords": ("KW",),
    "language": ("LA",),
    "publication_type": ("_type",),
    "url": ("UR", "L2"),
    "source_record_id": ("ID", "_an"),
}


@lru_cache(maxsize=8192)  # each line is split twice: to cut records, then to read them
def split_line(line: str) -> tuple[str | None, str]:
    """(tag, value) of a RIS line; (None, text) for a continuation line."""
    if line[2:6] == "  - " and line[:2].isalnum() and line[:2].isupper():  # the standard form
        return line[:2], line[6:].strip()
    match = _TAG_LINE.match(line)
    if match is None or (match.group("gap") == " " and match.group("tag") not in KNOWN_TAGS):
        return None, line.strip()
    return match.group("tag"), (match.group("value") or "").strip()


def tag_of(line: str) -> str | None:
    return split_line(line)[0]


def tag_values(lines: list[str]) -> dict[str, list[str]]:
    """One record's lines as tag -> values, the way rispy's parser with every tag a list tag
    reads them (a continuation line is one more value of the tag above it).

    We assemble the record from our own line split rather than run rispy's parser over the
    lines a second time: the same result, in a third of the time on a 100,000-record file
    (bench/import_bench.py). rispy still supplies the tag table and writes our RIS exports.
    """
    values: dict[str, list[str]] = defaultdict(list)
    last: str | None = None
    for line in lines:
        tag, content = split_line(line)
        if tag is None:
            if last is not None:
                values[last].append(content)
        elif tag == END:
            break
        else:
            values[tag].append(content)
            last = tag
    return values


def parse(
    text: str | Iterable[str],
    *,
    source: str,
    sink: RecordSink | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ParseResult:
    """Read every TY...ER record of a RIS export."""
    result = ParseResult(format="ris", source=source, sink=sink, limits=limits)
    for chunk in tagged.read_chunks(
        text, result, source=source, tag_of=tag_of, start=START, end=END
    ):
        raw = normalize.compact(tag_values(chunk.lines))
        record, problems = normalize.build_record(
            _lookup(raw),
            FIELDS,
            source=source,
            position=chunk.position,
            line=chunk.line,
            raw=raw,
        )
        normalize.add_record(result, record, problems)
    return result


def _lookup(raw: dict[str, Any]) -> dict[str, Any]:
    """Raw tags plus what needs a rule: the type, and an AN that is really a PubMed id."""
    lookup = dict(raw)
    kind = normalize.clean_text(raw.get("TY"))
    lookup["_type"] = raw.get("M3") if kind in (None, _GENERIC_TYPE) else kind
    pmid = normalize.pubmed_id(raw.get("AN"), [raw.get("DP"), raw.get("DB")])
    lookup["_pmid" if pmid else "_an"] = raw.get("AN")
    return lookup
