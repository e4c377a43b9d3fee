"""Spreadsheet exports: CSV, TSV, semicolon CSV (Excel in many locales) and XLSX.

Columns are matched case-insensitively to our fields (``ALIASES``), covering generic sheets
and the exports of Scopus, Web of Science (tab-delimited), Embase, PubMed, IEEE, Springer
and ClinicalTrials.gov; every other column is kept in ``raw``. Delimited text is read with
the standard ``csv`` module, which reports the line of each row (a cell may span lines)
and notices a file cut inside a quoted cell; workbooks with openpyxl (row numbers kept).
"""

from __future__ import annotations

import ast
import csv
import datetime
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

from openpyxl import load_workbook

from review_app.errors import Problem
from review_app.importers import normalize, wos
from review_app.importers.record import ParseResult, RecordSink

Row = tuple[int, list[str]]  # (1-based line of the row, its cells)

ALIASES: normalize.FieldMap = {
    "title": ("title", "document title", "article title", "item title", "study title", "ti"),
    "abstract": ("abstract", "brief summary", "ab", "notes_abstract"),
    "authors": ("authors", "author", "author names", "first_authors", "au", "author full names"),
    "year": ("year", "publication year", "publication_year", "py", "pubyear", "_year",
             "first posted", "start date", "date"),
    "journal": ("journal", "source title", "secondary_title", "journal/book", "publication title",
                "journal title", "publication", "journal_name", "alternate_title3", "jo", "t2",
                "_journal", "booktitle", "conference name", "proceedings title"),
    "volume": ("volume", "journal volume", "vl", "_volume"),
    "issue": ("issue", "number", "journal issue", "is", "_issue"),
    "pages": ("pages", "page", "_pages"),
    "start_page": ("page start", "start page", "start_page", "sp"),
    "end_page": ("page end", "end page", "end_page", "ep"),
    "doi": ("doi", "item doi", "do"),
    "pmid": ("pmid", "pubmedid", "pubmed id", "pubmed_id"),
    "issn": ("issn", "eissn", "sn"),
    "isbn": ("isbn", "isbns"),
    "keywords": ("keywords", "keyword", "author keywords", "index keywords", "kw", "conditions",
                 "interventions"),
    "language": ("language", "language of original document", "la"),
    "publication_type": ("publication_type", "publication type", "document type", "content type",
                         "type_of_reference", "study type", "ty", "type", "entrytype"),
    "url": ("url", "link", "study url", "urls", "ur", "pdf link"),
    "source_record_id": ("source_record_id", "record_id", "id", "key", "eid", "nct number",
                         "accession number", "pmid", "pubmedid", "pubmed id"),
}  # fmt: skip
# Columns that mark a Web of Science tab-delimited export, whose headers are WoS tags.
_WOS_COLUMNS = frozenset({"pt", "ut", "ti"})
_WOS_FIELDS: normalize.FieldMap = {
    field: tuple(tag.lower() for tag in tags) for field, tags in wos.FIELDS.items()
}
_DELIMITERS = (",", ";", "\t", "|")
_AUTHOR_COLUMNS = frozenset({*ALIASES["authors"], *_WOS_FIELDS["authors"]})
_KEYWORD_COLUMNS = frozenset({*ALIASES["keywords"], *_WOS_FIELDS["keywords"]})
# PubMed "Citation": "Nature. 2021 Dec 21;1(2):10-11. doi: ..."
_PUBMED_CITATION = re.compile(
    r";\s*(?P<volume>[^(:;\s]+)?(?:\((?P<issue>[^)]+)\))?:(?P<pages>[^.;\s]+)"
)
# Embase "Source": "Endoscopic Ultrasound (2014) 3:3 (152-160). Date of Publication: 2014"
_EMBASE_SOURCE = re.compile(
    r"^(?P<journal>.+?) \((?P<year>\d{4})\) (?P<volume>[^:\s(]+)(?::(?P<issue>[^\s(]+))?"
    r"(?: \((?P<pages>[^)]+)\))?"
)  # fmt: skip


def parse(text: str, *, source: str, sink: RecordSink | None = None) -> ParseResult:
    """Read a delimited text export (CSV, TSV, semicolon-separated)."""
    result = ParseResult(format="csv", sink=sink)
    # A cell may hold thousands of authors; the csv module's default cap is 128 KiB. The cap
    # is process-wide, so it is only ever raised, and never beyond the text itself.
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    delimiter = _delimiter(text, source)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[Row] = []
    try:
        line = 1
        for cells in reader:
            rows.append((line, cells))
            line = reader.line_num + 1
    except csv.Error as error:
        message = f"{error}: a quote is not closed or the file is cut short"
        result.problems.append(Problem(source=source, line=reader.line_num, message=message))
        return result
    _read_rows(rows, result, source=source)
    return result


def parse_workbook(data: bytes, *, source: str, sink: RecordSink | None = None) -> ParseResult:
    """Read the first sheet of an XLSX workbook; row 1 holds the column names.

    openpyxl directly rather than pandas: its rows keep their sheet row numbers (pandas drops
    empty rows), so a problem names the row the person sees in Excel.
    """
    result = ParseResult(format="csv", encoding="xlsx", sink=sink)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = [
            (number, [_cell_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=sheet.min_row)
        ]
        workbook.close()
    except Exception as error:  # zipfile/openpyxl raise many types for a damaged workbook
        message = f"not a readable Excel workbook ({type(error).__name__}: {error})"
        result.problems.append(Problem(source=source, message=message))
        return result
    _read_rows(rows, result, source=source)
    return result


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person sees: 2020.0 -> "2020", a date -> ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _delimiter(text: str, source: str) -> str:
    """Tab for .tsv/.tab, else whichever of , ; TAB | the header line uses most."""
    if source.lower().endswith((".tsv", ".tab")):
        return "\t"
    header = next((line for line in text.split("\n") if line.strip()), "")
    return max(_DELIMITERS, key=header.count)


def _read_rows(rows: list[Row], result: ParseResult, *, source: str) -> None:
    if not rows:
        return
    header_line, header = rows[0]
    columns = [name.strip() for name in header]
    field_map = _field_map(columns)
    if not any(column.lower() in field_map["title"] for column in columns):
        result.problems.append(_no_title_column(source, header_line, field_map))
        return
    for position, (line, cells) in enumerate(_non_blank(rows[1:]), start=1):
        raw = _raw_fields(columns, cells)
        lookup = _lookup(raw)
        record, problems = normalize.build_record(
            lookup, field_map, source=source, position=position, line=line, raw=raw
        )
        normalize.add_record(result, record, problems)


def _field_map(columns: list[str]) -> normalize.FieldMap:
    lower = {column.lower() for column in columns}
    return _WOS_FIELDS if lower >= _WOS_COLUMNS else ALIASES


def _no_title_column(source: str, line: int, field_map: normalize.FieldMap) -> Problem:
    names = ", ".join(name for name in field_map["title"] if not name.startswith("_"))
    message = f"no title column; name one of: {names} (case does not matter)"
    return Problem(source=source, line=line, field="title", message=message)


def _non_blank(rows: Iterable[Row]) -> Iterator[Row]:
    return (row for row in rows if any(cell.strip() for cell in row[1]))


def _raw_fields(columns: list[str], cells: list[str]) -> dict[str, Any]:
    """Column -> cell for the non-empty cells; a repeated column name gets " (2)" added."""
    raw: dict[str, Any] = {}
    for column, cell in zip(columns, cells, strict=False):
        name, copy = column, 2
        while name in raw:
            name, copy = f"{column} ({copy})", copy + 1
        if cell.strip():
            raw[name] = cell
    return raw


def _lookup(raw: dict[str, Any]) -> dict[str, Any]:
    """Lower-case column names -> cells, list cells unpacked, citation strings taken apart."""
    lookup: dict[str, Any] = {}
    for column, cell in raw.items():
        key = column.lower()
        if key in lookup:
            continue
        if key in _AUTHOR_COLUMNS:
            lookup[key] = _python_list(cell) or normalize.split_authors(cell)
        elif key in _KEYWORD_COLUMNS:
            lookup[key] = _python_list(cell) or _keyword_cell(cell)
        else:
            lookup[key] = cell
    for pattern, column in ((_PUBMED_CITATION, "citation"), (_EMBASE_SOURCE, "source")):
        if isinstance(cell := lookup.get(column), str) and (match := pattern.search(cell)):
            lookup.update({f"_{name}": value for name, value in match.groupdict().items()})
    return lookup


def _python_list(cell: str) -> list[str] | None:
    """``['a', 'b']``, as ASReview writes list columns; None for any other cell."""
    text = cell.strip()
    if not (text.startswith("[") and text.endswith("]")):
        return None
    try:
        items = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return [str(item) for item in items] if isinstance(items, list) else None


def _keyword_cell(cell: str) -> str | list[str]:
    """Keywords split on commas when nothing else separates them; a comma inside parentheses
    stays ("cyst (diagnosis, surgery)", as in Embase's Emtree terms)."""
    if re.search(r"[;|\n]", cell):
        return cell
    items: list[str] = []
    depth, start = 0, 0
    for index, char in enumerate(cell):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(cell[start:index])
            start = index + 1
    items.append(cell[start:])
    return items
