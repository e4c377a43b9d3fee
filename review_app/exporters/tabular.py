"""Records as CSV or XLSX bytes, one row per record, columns our CSV reader maps back; and any
table (statuses, decisions, audit log) the same way.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) is written
with a leading ``'`` so a spreadsheet shows it as text instead of running it as a formula
(CSV/formula injection, OWASP); so is one whose first visible character is one of those after
leading spaces or invisible characters (zero-width space, BOM, word joiner, direction marks),
or is their full-width or small form (``＝``, ``﹦``, ``＋``, ``－``, ``＠``), which some
spreadsheets read as the ASCII sign. Lists (authors, keywords) are joined with ``; ``.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from review_app.domain.record_fields import EXPORTED
from review_app.importers.record import RecordIn

if TYPE_CHECKING:
    from openpyxl import Workbook

COLUMNS = EXPORTED  # the declared fields, in their order (domain.record_fields)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A workbook's created/modified dates and its zip entries' times: fixed, so the same data gives
# the same bytes (the web app's download equals the command line's file); when a file was made
# is its own modification time.
WORKBOOK_TIME = datetime(2000, 1, 1)


def dumps_csv(records: Iterable[RecordIn]) -> bytes:
    """UTF-8 CSV with a BOM (so Excel reads the accents right) and a header row."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(_row(record) for record in records)
    return buffer.getvalue().encode("utf-8-sig")


def dumps_xlsx(records: Iterable[RecordIn]) -> bytes:
    """An XLSX workbook with one sheet, "records"; every cell is text."""
    from openpyxl import Workbook  # here, not at start-up: openpyxl loads numpy
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("records")
    sheet.append(list(COLUMNS))
    for record in records:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in _row(record)])
    return _saved(workbook)


def _row(record: RecordIn) -> list[str]:
    return [neutralise(_cell(getattr(record, column))) for column in COLUMNS]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return str(value)


def neutralise(cell: str) -> str:
    """``'=1+1`` for ``=1+1``: shown as text by spreadsheets, never evaluated."""
    return f"'{cell}" if _formula_like(cell) else cell


def _formula_like(cell: str) -> bool:
    if cell.startswith(_FORMULA_START):
        return True
    for char in cell:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            continue  # spaces, controls and invisible format characters before the first sign
        return unicodedata.normalize("NFKC", char) in _FORMULA_SIGNS
    return False


_FORMULA_SIGNS = frozenset("=+-@")


Table = tuple[Sequence[str], Iterable[Sequence[object]]]  # header, rows


def table_csv(header: Sequence[str], rows: Iterable[Sequence[object]], *, excel: bool) -> bytes:
    """A table as CSV, text cells neutralised. ``excel``: a BOM and CRLF line ends, as Excel
    wants them; otherwise plain UTF-8 with LF, for scripts."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n" if excel else "\n")
    writer.writerow(header)
    writer.writerows([table_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig" if excel else "utf-8")


def table_xlsx(sheets: Mapping[str, Table]) -> bytes:
    """A workbook with one sheet per table; text neutralised, numbers kept as numbers."""
    from openpyxl import Workbook  # here, not at start-up: openpyxl loads numpy

    workbook = Workbook(write_only=True)
    for title, (header, rows) in sheets.items():
        sheet = workbook.create_sheet(title)
        sheet.append(list(header))
        for row in rows:
            sheet.append([_xlsx_text(table_cell(value)) for value in row])
    return _saved(workbook)


def table_cell(value: object) -> object:
    """None as an empty cell, yes/no for booleans, text neutralised, numbers kept."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return neutralise(value) if isinstance(value, str) else value


def _xlsx_text(cell: object) -> object:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell


def _saved(workbook: Workbook) -> bytes:
    """The workbook's bytes, the same for the same cells: openpyxl's ``save`` stamps the clock
    into docProps/core.xml and into every zip entry; here both are WORKBOOK_TIME."""
    from openpyxl.writer.excel import ExcelWriter

    workbook.properties.created = workbook.properties.modified = WORKBOOK_TIME
    if not workbook.worksheets:
        workbook.create_sheet()  # as openpyxl's save does: a workbook has a sheet
    written = io.BytesIO()
    with zipfile.ZipFile(written, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).save()
    fixed = io.BytesIO()
    with (
        zipfile.ZipFile(written) as source,
        zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as target,
    ):
        for entry in source.infolist():
            timeless = zipfile.ZipInfo(entry.filename, date_time=WORKBOOK_TIME.timetuple()[:6])
            timeless.compress_type = zipfile.ZIP_DEFLATED
            timeless.external_attr = entry.external_attr
            target.writestr(timeless, source.read(entry))
    return fixed.getvalue()
