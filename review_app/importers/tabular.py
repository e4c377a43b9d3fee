"""Spreadsheet exports: CSV, TSV, semicolon CSV (Excel in many locales) and XLSX.

Columns are matched case-insensitively to our fields (``ALIASES``), covering generic sheets
and the exports of Scopus, Web of Science (tab-delimited), Embase, PubMed, IEEE, Springer
and ClinicalTrials.gov; every other column is kept in ``raw``. Delimited text is read with
the standard ``csv`` module, which reports the line of each row (a cell may span lines)
and notices a file cut inside a quoted cell. A workbook's directory, shared strings and styles
are read with openpyxl, its sheet streamed with expat (``_SheetStream``), row numbers kept.
"""

from __future__ import annotations

import ast
import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from review_app.errors import ImportFileError, Problem
from review_app.importers import normalize, wos
from review_app.importers.decoding import decode, not_imported, refuse
from review_app.importers.record import DEFAULT_LIMITS, MEGABYTE, Limits, ParseResult, RecordSink

if TYPE_CHECKING:
    from openpyxl.reader.excel import ExcelReader

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


def parse(
    text: str, *, source: str, sink: RecordSink | None = None, limits: Limits = DEFAULT_LIMITS
) -> ParseResult:
    """Read a delimited text export (CSV, TSV, semicolon-separated)."""
    result = ParseResult(format="csv", source=source, sink=sink, limits=limits)
    # A cell may hold thousands of authors; the csv module's default cap is 128 KiB. The cap
    # is process-wide, so it is only ever raised, and never beyond the text itself. (A cell
    # longer than limits.max_field_chars is refused by normalize.add_record, naming it.)
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


def has_title_column(text: str, source: str) -> bool:
    """Whether the first row of ``text`` (the start of a file) names a title column."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text, source))
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), [])
    except csv.Error:
        return False
    columns = [name.strip() for name in header]
    return any(column.lower() in _field_map(columns)["title"] for column in columns)


def workbook_size(data: bytes) -> int | None:
    """The unpacked size of an XLSX file's parts (their declared sizes, which zipfile holds
    each part to when reading it), or None when it is not a readable ZIP archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None


def parse_workbook(
    data: bytes, *, source: str, sink: RecordSink | None = None, limits: Limits = DEFAULT_LIMITS
) -> ParseResult:
    """Read the first sheet of an XLSX workbook; row 1 holds the column names.

    Streamed as ``read_table`` reads a workbook (``_workbook_rows``) rather than with pandas:
    its rows keep their sheet row numbers (pandas drops empty rows), so a problem names the row
    the person sees in Excel. The caller has checked the whole unpacked size
    (``workbook_size``) against ``limits.max_bytes``.
    """
    result = ParseResult(format="csv", encoding="xlsx", source=source, sink=sink, limits=limits)
    try:
        _read_rows(_workbook_rows(data, source=source, limits=limits), result, source=source)
    except _UnreadableWorkbook as error:
        result.problems.append(error.problem)
    return result


# --- a table of our own layout (decisions, extraction), not a search export ---------------------


@dataclass(frozen=True, slots=True)
class Table:
    """A file's header and the rows below it that hold a value, each numbered as a spreadsheet
    shows it: a quoted cell spanning lines is one row, Excel's "sep=;" line is none."""

    header_line: int
    columns: list[str]  # the header's cells, spaces around them removed
    rows: list[Row]


_ZIP = b"PK\x03\x04"  # an XLSX workbook is a ZIP archive
_EXCEL_SEPARATOR = re.compile(r"sep=(.)\s*")  # Excel's first line naming the delimiter


def read_table(
    data: bytes, *, source: str, limits: Limits = DEFAULT_LIMITS, sheet: str | None = None
) -> Table:
    """A CSV file (comma, semicolon, tab or bar; any encoding and BOM ``decoding`` reads) or a
    workbook's sheet named ``sheet`` (else its first), within the import limits: the file's
    size and a workbook's unpacked size, its cells, and ``limits.max_records`` rows below the
    header. ImportFileError when it cannot be read or holds no row at all.

    Read with the search exports' helpers, so the same files, caps and messages apply.
    """
    if len(data) > limits.max_bytes:
        _refuse_size(source, len(data), limits)
    if data.startswith(_ZIP):
        rows = _readable(_workbook_rows(data, source=source, limits=limits, sheet=sheet), source)
    else:
        rows = _text_rows(decode(data, source=source).text, source=source)
    filled = _non_blank(rows)
    header = next(filled, None)
    if header is None:
        refuse(source, "the file holds no rows; the first row names the columns")
    body: list[Row] = []
    for row in filled:
        if len(body) == limits.max_records:
            refuse(
                source,
                f"more than {limits.max_records:,} rows below the header; at most "
                f"{limits.max_records:,} are read from one file (setting "
                "REVIEW_APP_MAX_RECORDS_PER_FILE): split the file",
            )
        body.append(row)
    return Table(header[0], [name.strip() for name in header[1]], body)


def _refuse_size(source: str, size: int, limits: Limits) -> NoReturn:
    refuse(
        source,
        f"the file is {size / MEGABYTE:,.1f} MB; at most {limits.max_megabytes:,.0f} MB is read "
        "(setting REVIEW_APP_MAX_UPLOAD_MB): split the file",
    )


def _text_rows(text: str, *, source: str) -> Iterator[Row]:
    """Delimited text's rows, numbered from 1 as a spreadsheet opening the file numbers them."""
    first, _, rest = text.partition("\n")
    skipped = 0
    if separator := _EXCEL_SEPARATOR.fullmatch(first):
        delimiter, text, skipped = separator.group(1), rest, 1
    else:
        delimiter = _delimiter(text, source)
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))  # as parse does
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except csv.Error as error:
        message = f"row {number + 1}: {error}: a quote is not closed or the file is cut short"
        problem = Problem(source=source, line=reader.line_num + skipped, message=message)
        raise ImportFileError([problem], summary=not_imported(source, 1)) from None


def _readable(rows: Iterator[Row], source: str) -> Iterator[Row]:
    """``rows``, a damaged workbook found while reading them refused as ImportFileError."""
    try:
        yield from rows
    except _UnreadableWorkbook as error:
        raise ImportFileError([error.problem], summary=not_imported(source, 1)) from None


class _UnreadableWorkbook(Exception):
    """A workbook that is damaged or not a workbook; ``problem`` says so, naming the file."""

    def __init__(self, source: str, error: Exception) -> None:
        super().__init__(str(error))
        message = f"not a readable Excel workbook ({type(error).__name__}: {error})"
        self.problem = Problem(source=source, message=message)


def _workbook_rows(
    data: bytes, *, source: str, limits: Limits, sheet: str | None = None
) -> Iterator[Row]:
    """The rows of the sheet named ``sheet`` (else the first), streamed (``_SheetStream``).

    openpyxl reads the workbook's directory, shared strings and styles; the sheet itself is
    read here (see ``_SheetStream`` for why). Before anything is unpacked the parts that will
    be read (every part but the other sheets) are held to ``limits.max_bytes``, and the
    sheet's cells and rows are counted from its XML (``_count_sheet``).
    """
    from openpyxl.reader.excel import ExcelReader  # here, not at start-up: it loads numpy
    from openpyxl.styles.stylesheet import apply_stylesheet

    try:
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_workbook()
        parts = {found.name: rel.target for found, rel in reader.parser.find_sheets()}
        parts = {title: part for title, part in parts.items() if part in reader.valid_files}
        if not parts:
            raise ValueError("the workbook holds no sheet")
        part = parts.get(sheet or "", next(iter(parts.values())))
        _check_unpacked(reader.archive, part, set(parts.values()), source=source, limits=limits)
        rows, cells = _count_sheet(reader.archive, part, source=source, limits=limits)
        if cells > limits.max_sheet_cells:
            _refuse_cells(source, limits)
        if rows > limits.max_records + 1:  # the header, then one row a record
            _refuse_rows(source, limits)
        reader.read_strings()
        apply_stylesheet(reader.archive, reader.wb)
        stream = _SheetStream(reader, source=source, limits=limits)
    except ImportFileError:
        raise
    except Exception as error:  # zipfile/openpyxl raise many types for a damaged workbook
        raise _UnreadableWorkbook(source, error) from None
    try:
        yield from stream.rows(part)
    except (ImportFileError, _UnreadableWorkbook):
        raise
    except Exception as error:  # a damaged sheet part, found while streaming it
        raise _UnreadableWorkbook(source, error) from None
    finally:
        reader.archive.close()


def _check_unpacked(
    archive: zipfile.ZipFile, part: str, sheets: set[str], *, source: str, limits: Limits
) -> None:
    """Refuse a workbook whose parts read (all but the sheets other than ``part``) unpack
    beyond ``limits.max_bytes``: their declared sizes, which zipfile holds each part to.

    The other sheets are left out because they are never opened: an extraction workbook of
    500 studies unpacks to 54 MB, 17 MB of it the RevMan sheets, and its Extraction sheet with
    what is read alongside is 37 MB."""
    size = sum(
        info.file_size for info in archive.infolist()
        if info.filename == part or info.filename not in sheets
    )  # fmt: skip
    if size > limits.max_bytes:
        refuse(
            source,
            f"the sheet and the parts read with it unpack to {size / MEGABYTE:,.1f} MB; at "
            f"most {limits.max_megabytes:,.0f} MB is read (setting REVIEW_APP_MAX_UPLOAD_MB): "
            "split the file",
        )


# The sheet's elements as expat names them in namespace mode, whatever prefix the file uses.
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main "
_CELL, _VALUE, _ROW_ELEMENT, _INLINE, _TEXT, _PHONETIC = (
    _MAIN + name for name in ("c", "v", "row", "is", "t", "rPh")
)
_DIGITS = "0123456789"


class _SheetStream:
    """A sheet's rows as expat reads its XML, a megabyte at a time: (row number, cell texts),
    each row's cells placed by their reference and padded with "" only up to its last cell
    holding a value. Values as openpyxl's data-only reading gives them (shared and inline
    strings, numbers, booleans, errors, dates by the cell's style), through ``_cell_text``.

    The cells present are counted against ``limits.max_sheet_cells``; the padding (a pointer
    each) against ``_max_padding``, so rows with a value in column XFD cannot fill memory.
    A document type declaration is refused (none belongs in a sheet; defusedxml's rule), and
    expat (2.4 and later) guards against entity expansion itself.

    Our own code rather than a library's reader, measured on the 500-study extraction sheet
    (62,000 rows, 97 columns, 1.1 million cells present): openpyxl's read-only parser takes
    4.6 s and pads every row to the widest (5.9 million cells to convert and to count against
    the cap); python-calamine reads it in 0.8 s but builds the sheet's whole rectangle in
    memory (256 MB peak), and aborts the process on a 2-cell file with a value in XFD1048576.
    This pass takes 3 s of processor time.
    """

    def __init__(self, reader: ExcelReader, *, source: str, limits: Limits) -> None:
        from openpyxl.utils.datetime import from_excel, from_ISO8601

        self.from_excel, self.from_iso = from_excel, from_ISO8601
        self.archive = reader.archive
        self.strings = reader.shared_strings
        self.epoch = reader.wb.epoch
        # Style ids whose numbers are dates or durations, as openpyxl's stylesheet sets them.
        self.date_styles: set[int] = reader.wb._date_formats
        self.duration_styles: set[int] = reader.wb._timedelta_formats
        self.source, self.limits = source, limits

    def rows(self, part: str) -> Iterator[Row]:
        import pyexpat

        finished: list[Row] = []
        parser = pyexpat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.buffer_size = 1 << 16
        parser.StartDoctypeDeclHandler = _refuse_doctype
        self._handle(parser, finished)
        with self.archive.open(part) as stream:
            while chunk := stream.read(_SCAN_CHUNK):
                parser.Parse(chunk, False)
                yield from finished
                finished.clear()
            parser.Parse(b"", True)
        yield from finished

    def _handle(self, parser: Any, finished: list[Row]) -> None:
        """Set ``parser``'s handlers, which append each row read to ``finished``.

        Closures over local state rather than methods: they run five times a cell, and
        attribute look-ups made the read of 1.1 million cells take half as long again."""
        from openpyxl.utils.cell import column_index_from_string  # "AT" -> 46, cached

        strings, value_of, source, limits = self.strings, self._value, self.source, self.limits
        max_cells, max_padding = limits.max_sheet_cells, _max_padding(limits)
        cells = padding = number = column = 0
        row: list[str] = []
        kind = style = ""
        text: list[str] | None = None  # a value's text, while it is read
        inline = phonetic = False

        def start(name: str, attributes: dict[str, str]) -> None:
            nonlocal cells, column, kind, style, text, number, row, inline, phonetic
            if name == _CELL:
                cells += 1
                if cells > max_cells:
                    _refuse_cells(source, limits, number)
                reference = attributes.get("r")
                column = (
                    column_index_from_string(reference.rstrip(_DIGITS)) if reference else column + 1
                )
                kind, style = attributes.get("t", "n"), attributes.get("s", "")
            elif name == _VALUE:
                text = []
            elif name == _TEXT:
                if inline and not phonetic and text is None:
                    text = []
            elif name == _ROW_ELEMENT:
                given = attributes.get("r")
                number = int(given) if given else number + 1
                row, column = [], 0
            elif name == _INLINE:
                inline = True
            elif name == _PHONETIC:
                phonetic = True

        def characters(data: str) -> None:
            if text is not None and not phonetic:
                text.append(data)

        def end(name: str) -> None:
            nonlocal text, inline, phonetic, padding
            if name == _CELL:
                if text:  # a value, not an empty <v/> (a formula never calculated)
                    joined = "".join(text)
                    if kind == "s":
                        value = strings[int(joined)]
                    elif kind == "n" and not style:  # most numbers: no date style to look up
                        value = _number_text(joined)
                    else:
                        value = value_of(kind, style, joined)
                    if column > len(row):
                        padding += column - len(row) - 1
                        if padding > max_padding:
                            _refuse_padding(source, limits, number)
                        row.extend([""] * (column - len(row) - 1))
                        row.append(value)
                    else:  # a cell out of order: its place is already padded
                        row[column - 1] = value
                text, inline = None, False
            elif name == _ROW_ELEMENT:
                if row:
                    finished.append((number, row))
            elif name == _PHONETIC:
                phonetic = False

        parser.StartElementHandler = start
        parser.CharacterDataHandler = characters
        parser.EndElementHandler = end

    def _value(self, kind: str, style: str, text: str) -> str:
        """A cell's text (not a shared string) as ``_cell_text`` shows openpyxl's value of it."""
        if kind in ("inlineStr", "str", "e"):
            return text
        if kind == "b":
            return _cell_text(bool(int(text)))
        if kind == "d":
            return _cell_text(self.from_iso(text))
        style_id = int(style) if style else 0
        if style_id not in self.date_styles:
            return _number_text(text)
        number = float(text) if _is_decimal(text) else int(text)
        try:
            duration = style_id in self.duration_styles
            return _cell_text(self.from_excel(number, self.epoch, timedelta=duration))
        except (OverflowError, ValueError):
            return "#VALUE!"  # as openpyxl: a date serial outside the calendar


def _is_decimal(text: str) -> bool:
    """Whether a cell's number is written with a point or an exponent (openpyxl's float)."""
    return "." in text or "e" in text or "E" in text


def _number_text(text: str) -> str:
    """A number cell as ``_cell_text`` shows openpyxl's value: "2020.0" -> "2020"."""
    if not _is_decimal(text):
        return str(int(text))
    number = float(text)
    return str(int(number)) if number.is_integer() else str(number)


def _refuse_doctype(*_: object) -> NoReturn:
    raise ValueError("the sheet declares a document type, which no workbook part holds")


# Tags of the sheet's XML, with or without a namespace prefix ("<row ", "<x:row>").
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row(?=[\s>/])")
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(?=[\s>/])")
_VALUE_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:v|is)(?=[\s>/])")
_SCAN_CHUNK = 1 << 20


def _count_sheet(
    archive: zipfile.ZipFile, part: str, *, source: str, limits: Limits
) -> tuple[int, int]:
    """(rows holding a value, cells) of one sheet's XML, read a megabyte at a time; stops
    early past the limits."""
    rows = cells = 0
    carry, has_value = b"", False
    with archive.open(part) as stream:
        while True:
            chunk = stream.read(_SCAN_CHUNK)
            data = carry + chunk
            cut = data.rfind(b"<") if chunk else len(data)  # no tag is cut in two
            body, carry = data[:cut], data[cut:]
            cells += len(_CELL_TAG.findall(body))
            pieces = _ROW_TAG.split(body)
            has_value = has_value or _VALUE_TAG.search(pieces[0]) is not None
            for piece in pieces[1:]:
                rows += has_value
                has_value = _VALUE_TAG.search(piece) is not None
            if cells > limits.max_sheet_cells or rows > limits.max_records + 1 or not chunk:
                break
    return rows + has_value, cells


def _refuse_cells(source: str, limits: Limits, row: int | None = None) -> NoReturn:
    where = f" (reached at row {row})" if row is not None else ""
    refuse(
        source,
        f"the first sheet holds more than {limits.max_sheet_cells:,} cells{where}; at most "
        f"{limits.max_sheet_cells:,} are read (setting REVIEW_APP_MAX_SHEET_CELLS): delete "
        "unused rows and columns, or export CSV",
    )


def _refuse_rows(source: str, limits: Limits) -> NoReturn:
    refuse(
        source,
        f"the first sheet holds more than {limits.max_records:,} rows of records; at most "
        f"{limits.max_records:,} records are read from one file (setting "
        "REVIEW_APP_MAX_RECORDS_PER_FILE): split the search export",
    )


def _max_padding(limits: Limits) -> int:
    """Empty cells a workbook's rows may be padded with: one pointer (8 bytes) each, so the
    padding takes at most the memory of the unpacked size allowed (50 MB: 6.5 million)."""
    return limits.max_bytes // 8


def _refuse_padding(source: str, limits: Limits, row: int) -> NoReturn:
    refuse(
        source,
        f"the sheet's rows hold more than {_max_padding(limits):,} empty cells before their "
        f"last value (reached at row {row}); at most {_max_padding(limits):,} are read "
        "(setting REVIEW_APP_MAX_UPLOAD_MB, 8 bytes a cell): delete the cells far to the "
        "right, or export CSV",
    )


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


def _read_rows(rows: Iterable[Row], result: ParseResult, *, source: str) -> None:
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    header_line, header = first
    columns = [name.strip() for name in header]
    field_map = _field_map(columns)
    if not any(column.lower() in field_map["title"] for column in columns):
        result.problems.append(_no_title_column(source, header_line, field_map))
        return
    for position, (line, cells) in enumerate(_non_blank(rows), start=1):
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
    """Column -> cell for the cells that hold a value (not empty, not R's ``NA`` or pandas'
    ``nan``: ``normalize.MISSING_VALUE_MARKERS``); a repeated column name gets " (2)" added."""
    raw: dict[str, Any] = {}
    for column, cell in zip(columns, cells, strict=False):
        name, copy = column, 2
        while name in raw:
            name, copy = f"{column} ({copy})", copy + 1
        if not normalize.is_missing_value(cell):  # R's NA would be a DOI refused as invalid
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
