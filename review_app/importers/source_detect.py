"""Which database or register a search export came from, where the file says so.

Export files name their source in conventions of their own, and this module reads only those:

- RIS: ``DB`` (the database: "Embase", "Scopus", EBSCO's code "rzh"); ``DP`` (the provider, a
  platform such as "EBSCOhost", counted only when it names a database: EndNote writes "NLM" for
  PubMed); accession numbers that only one database issues (``AN  - WOS:...``, Cochrane's
  ``CN-01234567``); ``WE`` (a Web of Science edition); the database code in Ovid's and EBSCO's
  record links (``ovidweb.cgi?...D=psyc16``, ``ebscohost.com/...db=rzh``).
- Any tagged text: an Ovid header line ``Database: APA PsycInfo <1806 to November 2019>``.
- MEDLINE (.nbib): ``OWN`` (the record's owner: NLM for PubMed, ERIC for ERIC's nbib files).
  ``SO`` is the journal citation there, not the database, so it is not read.
- Web of Science: ``FN Clarivate Analytics Web of Science`` and ``UT WOS:...``.
- Tables: the columns a database's own CSV export has (Scopus "EID", Embase "Emtree ...",
  ClinicalTrials.gov "NCT Number", ICTRP "TrialID" with "Source Register", PubMed's "PMID" with
  "Citation" and "Create Date", Web of Science "UT (Unique WOS ID)"), and a "Source" or
  "Database" column whose cells name a database (Scopus writes "Scopus" in each row).

A file that says nothing gives no guess, and a file that names two sources gives none either
(a person says which one the batch counts under). Only the head of the file is read: the caller
passes the lines format detection reads.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from review_app.domain.sources import (
    KNOWN_SOURCES,
    KnownSource,
    SourceKind,
    known_sources_named,
)

_HEADER = re.compile(r"^\s*Databases?:\s*(\S.*)$")
_RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  -\s?(.*)$")
_MEDLINE_OWN = re.compile(r"^OWN\s*-\s*(\S.*)$")
_WOS_LINE = re.compile(r"^(FN|UT) (\S.*)$")
_OVID_CODE = re.compile(r"ovid\w*\.cgi\?\S*?[?&]D=([A-Za-z0-9]+)")
_EBSCO_CODE = re.compile(r"ebscohost\.com/\S*?[?&]db=([A-Za-z0-9]+)")
_CENTRAL_ID = re.compile(r"^CN-\d{6,}$")
_MEDLINE_PMID = re.compile(r"^PMID-\s*(\d+)")
_PLACE_NUMBER = re.compile(r" (?:line|row) \d+$")
_TABLE_ROWS = 20  # rows of a table read for a "Source" column's values


@dataclass(frozen=True, slots=True)
class Evidence:
    """One place where the file names its source: "RIS DB line 3: PsycINFO"."""

    where: str
    says: str
    source: KnownSource | None  # None: a name we do not know, taken as the file writes it

    @property
    def names(self) -> str:
        """The source this evidence points to: the known source's name, else the file's words."""
        return self.source.name if self.source is not None else self.says

    def __str__(self) -> str:
        told = f" ({self.source.name})" if self.source and self.source.name not in self.says else ""
        return f"{self.where}: {self.says}{told}"


@dataclass(frozen=True, slots=True)
class SourceGuess:
    """What the file says about its source. ``name`` is None when it names several."""

    name: str | None
    kind: SourceKind | None  # a known source's kind; None for a name we do not know
    evidence: tuple[str, ...]  # the first place of each kind, with how many more there are
    named: tuple[str, ...]  # every source the file names (more than one: a mixed file)

    @property
    def is_mixed(self) -> bool:
        return len(self.named) > 1

    def describe(self) -> str:
        """One sentence for the import page and the command line."""
        where = "; ".join(self.evidence)
        if self.is_mixed:
            return f"The file names more than one source ({', '.join(self.named)}): {where}"
        return f"The file says {self.name}: {where}"


def detect_source(head: str, *, format: str) -> SourceGuess | None:
    """The source ``head`` (the first lines of a file read as ``format``) names, or None."""
    found = list(_table_evidence(head) if format == "csv" else _tagged_evidence(head, format))
    if not found:
        return None
    named = list(dict.fromkeys(item.names for item in found))
    single = named[0] if len(named) == 1 else None
    source = found[0].source if single is not None else None
    return SourceGuess(
        name=single,
        kind=source.kind if source is not None else None,
        evidence=_summarised(found),
        named=tuple(named),
    )


def _summarised(found: list[Evidence]) -> tuple[str, ...]:
    """The first evidence of each (place, source) with a count of the lines that repeat it."""
    firsts: dict[tuple[str, str], tuple[Evidence, int]] = {}
    for item in found:
        key = (_PLACE_NUMBER.sub("", item.where), item.names)
        first, count = firsts.get(key, (item, 0))
        firsts[key] = (first, count + 1)
    return tuple(str(first) + _more(first, count - 1) for first, count in firsts.values())


def _more(first: Evidence, count: int) -> str:
    unit = "row" if " row " in first.where else "line"
    return f" (and {count} more {unit}{'s' if count > 1 else ''})" if count else ""


def _tagged_evidence(head: str, format: str) -> Iterator[Evidence]:
    for number, line in enumerate(head.split("\n"), start=1):
        if header := _HEADER.match(line):
            yield from _named(f"header line {number}", header.group(1).strip())
        elif format == "ris":
            yield from _ris_line(line, number)
        elif format == "medline":
            yield from _medline_line(line, number)
        elif format == "wos" and (tagged := _WOS_LINE.match(line)):
            yield from _wos_line(tagged.group(1), tagged.group(2).strip(), number)


def _medline_line(line: str, number: int) -> Iterator[Evidence]:
    """OWN names the record's owner; a PMID is PubMed's own number (ERIC's nbib has none)."""
    if owner := _MEDLINE_OWN.match(line):
        yield from _named(f"MEDLINE OWN line {number}", owner.group(1).strip())
    elif pmid := _MEDLINE_PMID.match(line):
        yield Evidence(f"MEDLINE PMID line {number}", pmid.group(1), _known("MEDLINE/PubMed"))


def _ris_line(line: str, number: int) -> Iterator[Evidence]:
    tagged = _RIS_LINE.match(line)
    if tagged is None:
        return
    tag, value = tagged.group(1), tagged.group(2).strip()
    where = f"RIS {tag} line {number}"
    if tag == "DB" and value:
        yield from _named(where, value)
    elif tag == "DP" and value:
        yield from _named(where, value, known_only=True)  # usually a platform, not a database
    elif tag in ("AN", "ID") and value.upper().startswith("WOS:"):
        yield Evidence(where, value, _known("Web of Science"))
    elif tag in ("AN", "ID") and _CENTRAL_ID.match(value):
        yield Evidence(where, value, _known("CENTRAL"))
    elif tag == "WE" and value:
        yield Evidence(where, value, _known("Web of Science"))
    elif tag in ("UR", "L1", "L2", "L3", "LK") and (code := _link_code(value)):
        yield from _coded(where, code)


def _wos_line(tag: str, value: str, number: int) -> Iterator[Evidence]:
    where = f"WoS {tag} line {number}"
    if tag == "FN":
        yield from _named(where, value)
    elif value.upper().startswith("WOS:"):
        yield Evidence(where, value, _known("Web of Science"))


def _link_code(url: str) -> str | None:
    match = _OVID_CODE.search(url) or _EBSCO_CODE.search(url)
    return match.group(1) if match else None


def _coded(where: str, code: str) -> Iterator[Evidence]:
    """A platform's database code in a link: evidence only when we know the code."""
    for source in KNOWN_SOURCES:
        if source.has_code(code):
            yield Evidence(where, f"database code {code}", source)
            return


def _named(where: str, text: str, *, known_only: bool = False) -> Iterator[Evidence]:
    """Evidence for each known source ``text`` names (an Ovid header may name several searched
    at once), else, unless ``known_only``, for the name as the file writes it."""
    sources = known_sources_named(text)
    if sources:
        yield from (Evidence(where, text, source) for source in sources)
    elif not known_only:
        yield Evidence(where, text, None)


# Columns only one database's own export has (case and spacing aside), and what they name.
_COLUMN_SIGNS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"eid"}), "Scopus"),
    (frozenset({"nct number"}), "ClinicalTrials.gov"),
    (frozenset({"trialid", "source register"}), "WHO ICTRP"),
    (frozenset({"pmid", "citation", "create date"}), "MEDLINE/PubMed"),
    (frozenset({"ut (unique wos id)"}), "Web of Science"),
)
_NAMING_COLUMNS = ("source", "database", "source database", "data source")


def _table_evidence(head: str) -> Iterator[Evidence]:
    rows = _table_rows(head)
    if not rows:
        return
    header = [cell.strip().casefold().replace("_", " ") for cell in rows[0]]
    columns = set(header)
    for needed, name in _COLUMN_SIGNS:
        if needed <= columns:
            shown = ", ".join(repr(_original(rows[0], header, column)) for column in sorted(needed))
            yield Evidence(f"CSV column {shown}", f"a column of {name}'s own export", _known(name))
    emtree = next((cell for cell in rows[0] if cell.strip().casefold().startswith("emtree")), None)
    if emtree is not None:
        yield Evidence(
            f"CSV column {emtree.strip()!r}", "a column of Embase's own export", _known("Embase")
        )
    for index, column in enumerate(header):
        if column in _NAMING_COLUMNS:
            yield from _naming_cells(rows, index, rows[0][index].strip())


def _naming_cells(rows: list[list[str]], index: int, column: str) -> Iterator[Evidence]:
    """A "Source" column names the database only when its cells do (Embase's "Source" column
    holds the journal citation, so only known names count)."""
    for number, row in enumerate(rows[1:_TABLE_ROWS], start=2):
        if index < len(row) and row[index].strip():
            yield from _named(
                f"CSV column {column!r} row {number}", row[index].strip(), known_only=True
            )


def _table_rows(head: str) -> list[list[str]]:
    text = head.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t", "|"), key=first.count)
    try:
        return [
            row
            for _, row in zip(  # noqa: B905 (the reader may hold fewer rows)
                range(_TABLE_ROWS), csv.reader(io.StringIO(text), delimiter=delimiter)
            )
        ]
    except csv.Error:
        return []


def _original(row: list[str], header: list[str], column: str) -> str:
    return row[header.index(column)].strip()


def _known(name: str) -> KnownSource:
    return next(source for source in KNOWN_SOURCES if source.name == name)
