"""The extraction export: every study's extraction in the long layout of
:mod:`review_app.domain.extraction.table`, as CSV or XLSX.

``values="consensus"`` writes the consensus copies (what analyses use); ``"all"`` every copy,
each extractor's and the consensus, which ``review-app import extraction`` reads back as they
were. The XLSX workbook's first sheet, "Extraction", holds the same table as the CSV; then one
sheet per protocol outcome ("RevMan <outcome id>") lays the consensus copies out as RevMan's
calculator wants them. Text cells are neutralised as every spreadsheet export's are
(``exporters.tabular.table_cell``).

The sheets' XML is written here, row by row as text, rather than cell by cell through
openpyxl's write-only worksheets: those take about 30 µs a cell, and a review of 500 studies
holds over a million cells (bench/extraction_bench.py). openpyxl still makes the workbook
around the sheets (the same fixed dates, so the same bytes for the same data).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal
from xml.sax.saxutils import escape

from sqlmodel import Session

from review_app.domain.extraction import table
from review_app.domain.extraction.model import StudyExtraction
from review_app.exporters import tabular
from review_app.services.exports.registry import EXPORTS
from review_app.services.extraction import read_copies
from review_app.services.permissions import Actor
from review_app.services.reviews import get_protocol

Values = Literal["consensus", "all"]
EXTRACTION_SHEET = "Extraction"
REVMAN_SHEET = "RevMan {outcome}"
MAX_SHEET_NAME = 31  # Excel's limit
Sheet = tuple[Sequence[str], Iterable[Sequence[table.Cell]]]


def export_extraction(
    session: Session, *, actor: Actor, review_id: int, format: str, values: Values = "consensus"
) -> bytes:
    """The review's extraction as CSV or XLSX bytes (read_copies checks who may have which)."""
    EXPORTS["extraction"].check_format(format)
    copies = read_copies(session, actor=actor, review_id=review_id, values=values)
    protocol = get_protocol(session, review_id)
    field_ids = table.field_ids_of(copies, [field.id for field in protocol.extraction_fields])
    long_table = (table.header(field_ids), table.to_rows(copies, field_ids))
    if format == "csv":
        return tabular.table_csv(*long_table, excel=True)
    outcomes = {outcome.id: str(outcome.type) for outcome in protocol.outcomes}
    return workbook({EXTRACTION_SHEET: long_table, **revman_sheets(copies, outcomes)})


def revman_sheets(
    copies: Sequence[StudyExtraction], outcomes: Mapping[str, str]
) -> dict[str, Sheet]:
    """One sheet per outcome, from the consensus copies, named for RevMan."""
    consensus = [copy for copy in copies if copy.is_consensus]
    sheets: dict[str, Sheet] = {}
    for outcome_id, outcome_type in outcomes.items():
        name = _sheet_name(REVMAN_SHEET.format(outcome=outcome_id), taken=sheets)
        rows = table.revman_rows(consensus, outcome_id=outcome_id, outcome_type=outcome_type)
        sheets[name] = (table.revman_header(outcome_type), rows)
    return sheets


def _sheet_name(wanted: str, *, taken: Iterable[str]) -> str:
    """``wanted`` cut to Excel's 31 characters, numbered if two outcomes' names collide."""
    name, number = wanted[:MAX_SHEET_NAME], 2
    while name.casefold() in {other.casefold() for other in taken}:
        suffix = f" ({number})"
        name, number = wanted[: MAX_SHEET_NAME - len(suffix)] + suffix, number + 1
    return name


# --- the workbook -----------------------------------------------------------------------------

_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_END = "</sheetData></worksheet>"


def workbook(sheets: Mapping[str, Sheet]) -> bytes:
    """An XLSX workbook with one sheet per table, the same bytes for the same tables.

    openpyxl writes the workbook with empty sheets (``exporters.tabular``'s fixed dates); each
    sheet's part is then replaced by the XML of its rows.
    """
    from openpyxl import Workbook  # here, not at start-up: openpyxl loads numpy

    skeleton = Workbook(write_only=True)
    for title in sheets:
        skeleton.create_sheet(title)
    parts = {
        f"xl/worksheets/sheet{index}.xml": _sheet_xml(header, rows)
        for index, (header, rows) in enumerate(sheets.values(), start=1)
    }
    written = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(tabular._saved(skeleton))) as source,
        zipfile.ZipFile(written, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as target,
    ):
        for entry in source.infolist():
            data = parts.pop(entry.filename) if entry.filename in parts else source.read(entry)
            target.writestr(entry, data)
    if parts:
        raise RuntimeError(f"openpyxl named the sheets' parts otherwise: {sorted(parts)}")
    return written.getvalue()


def _sheet_xml(header: Sequence[str], rows: Iterable[Sequence[table.Cell]]) -> bytes:
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(position) for position in range(1, len(header) + 1)]
    pieces = [_SHEET_START]
    for number, row in enumerate((header, *rows), start=1):
        if len(row) > len(letters):
            letters.extend(get_column_letter(p) for p in range(len(letters) + 1, len(row) + 1))
        cells = "".join(
            _cell_xml(f"{letter}{number}", cell)
            for letter, cell in zip(letters, row, strict=False)
            if cell is not None and cell != ""
        )
        pieces.append(f'<row r="{number}">{cells}</row>')
    pieces.append(_SHEET_END)
    return "".join(pieces).encode("utf-8")


def _cell_xml(reference: str, cell: object) -> str:
    """A number as a number; text neutralised (as every export's), stripped of the characters
    XML cannot hold, and escaped."""
    value = tabular.table_cell(cell)
    if isinstance(value, int | float):
        return f'<c r="{reference}"><v>{value!r}</v></c>'
    text = escape(str(tabular._xlsx_text(value)))
    return f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
