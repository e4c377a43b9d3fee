"""Records as CSV or XLSX bytes, one row per record, columns our CSV reader maps back.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) is written
with a leading ``'`` so a spreadsheet shows it as text instead of running it as a formula
(CSV/formula injection, OWASP). Lists (authors, keywords) are joined with ``; ``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from review_app.importers.record import RecordIn

COLUMNS = (
    "source_record_id",
    "title",
    "abstract",
    "authors",
    "year",
    "journal",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "issn",
    "isbn",
    "keywords",
    "language",
    "publication_type",
    "url",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def dumps_csv(records: Iterable[RecordIn]) -> bytes:
    """UTF-8 CSV with a BOM (so Excel reads the accents right) and a header row."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(_row(record) for record in records)
    return buffer.getvalue().encode("utf-8-sig")


def dumps_xlsx(records: Iterable[RecordIn]) -> bytes:
    """An XLSX workbook with one sheet, "records"; every cell is text."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("records")
    sheet.append(list(COLUMNS))
    for record in records:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in _row(record)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


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
    return f"'{cell}" if cell.startswith(_FORMULA_START) else cell
