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
    if format == "csv":
        return tabular.table_csv(
            table.header(field_ids), table.to_rows(copies, field_ids), excel=True
        )
    derivations = table.Derivations()  # each result derived once for both kinds of sheet
    long_table = (
        table.header(field_ids),
        table.to_rows(copies, field_ids, derivations=derivations),
    )
    outcomes = {outcome.id: str(outcome.type) for outcome in protocol.outcomes}
    revman = revman_sheets(copies, outcomes, derivations=derivations)
    return workbook({table.SHEET: long_table, **revman})


def revman_sheets(
    copies: Sequence[StudyExtraction],
    outcomes: Mapping[str, str],
    *,
    derivations: table.Derivations | None = None,
) -> dict[str, Sheet]:
    """One sheet per outcome, from the consensus copies, named for RevMan."""
    consensus = [copy for copy in copies if copy.is_consensus]
    sheets: dict[str, Sheet] = {}
    for outcome_id, outcome_type in outcomes.items():
        name = _sheet_name(REVMAN_SHEET.format(outcome=outcome_id), taken=sheets)
        rows = table.revman_rows(
            consensus, outcome_id=outcome_id, outcome_type=outcome_type, derivations=derivations
        )
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

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
SHARED_STRINGS = "xl/sharedStrings.xml"


def workbook(sheets: Mapping[str, Sheet]) -> bytes:
    """An XLSX workbook with one sheet per table, the same bytes for the same tables.

    openpyxl writes the workbook around empty sheets (with ``exporters.tabular``'s fixed dates);
    then each sheet's part is replaced by its table's XML, whose texts are in a shared-strings
    part added beside them (as Excel writes them: a reader looks each up by number, where an
    inline text costs openpyxl three times as much to read). Each sheet declares its dimension,
    which spares readers a pass over the sheet to find it.
    """
    from openpyxl import Workbook  # here, not at start-up: openpyxl loads numpy

    skeleton = Workbook(write_only=True)
    for title in sheets:
        skeleton.create_sheet(title)
    strings = _SharedStrings()
    parts = {
        f"xl/worksheets/sheet{index}.xml": _sheet_xml(header, rows, strings)
        for index, (header, rows) in enumerate(sheets.values(), start=1)
    }
    written = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(tabular._saved(skeleton))) as source,
        zipfile.ZipFile(written, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as target,
    ):
        for entry in source.infolist():
            data = parts.pop(entry.filename) if entry.filename in parts else source.read(entry)
            target.writestr(entry, _declare_shared_strings(entry.filename, data))
        shared = zipfile.ZipInfo(SHARED_STRINGS, date_time=tabular.WORKBOOK_TIME.timetuple()[:6])
        target.writestr(shared, strings.xml(), compress_type=zipfile.ZIP_DEFLATED)
    if parts:
        raise RuntimeError(f"openpyxl named the workbook's parts otherwise: {sorted(parts)}")
    return written.getvalue()


# The shared strings' part, declared where a workbook lists its parts and relations.
_DECLARATIONS = {
    "[Content_Types].xml": (
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>',
    ),
    "xl/_rels/workbook.xml.rels": (
        b"</Relationships>",
        b'<Relationship Id="rIdSharedStrings" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>',
    ),
}


def _declare_shared_strings(name: str, data: bytes) -> bytes:
    if name not in _DECLARATIONS:
        return data
    end, declaration = _DECLARATIONS[name]
    if data.count(end) != 1:
        raise RuntimeError(f"openpyxl wrote {name} otherwise: no single {end.decode()}")
    return data.replace(end, declaration + end)


class _SharedStrings:
    """The workbook's texts, each once (cells refer to them by number, as Excel writes them);
    each text is neutralised (as every export's) and stripped of what XML cannot hold once."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}  # the text as shown -> its number
        self.of_cell: dict[str, int] = {}  # the cell's text -> its number
        self.count = 0

    def number(self, cell: str) -> int:
        self.count += 1
        number = self.of_cell.get(cell)
        if number is None:
            shown = str(tabular._xlsx_text(tabular.table_cell(cell)))
            number = self.of_cell[cell] = self.numbers.setdefault(shown, len(self.numbers))
        return number

    def xml(self) -> bytes:
        items = "".join(f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in
                        self.numbers)  # fmt: skip
        return (
            f'{_XML_HEAD}<sst xmlns="{_MAIN}" count="{self.count}" '
            f'uniqueCount="{len(self.numbers)}">{items}</sst>'
        ).encode()


def _sheet_xml(
    header: Sequence[str], rows: Iterable[Sequence[table.Cell]], strings: _SharedStrings
) -> bytes:
    from openpyxl.utils import get_column_letter

    lines = [header, *rows]
    width = max(len(line) for line in lines)
    letters = [get_column_letter(position) for position in range(1, width + 1)]
    pieces = [
        f'{_XML_HEAD}<worksheet xmlns="{_MAIN}"><dimension ref="A1:{letters[-1]}{len(lines)}"/>'
        "<sheetData>"
    ]
    for number, line in enumerate(lines, start=1):
        cells = "".join(
            _cell_xml(f"{letter}{number}", cell, strings)
            for letter, cell in zip(letters, line, strict=False)
            if cell is not None and cell != ""
        )
        pieces.append(f'<row r="{number}">{cells}</row>')
    pieces.append("</sheetData></worksheet>")
    return "".join(pieces).encode("utf-8")


def _cell_xml(reference: str, cell: object, strings: _SharedStrings) -> str:
    """A number as a number, text by its number among the shared strings."""
    if isinstance(cell, str):
        return f'<c r="{reference}" t="s"><v>{strings.number(cell)}</v></c>'
    value = tabular.table_cell(cell)
    if isinstance(value, int | float):
        return f'<c r="{reference}"><v>{value!r}</v></c>'
    return f'<c r="{reference}" t="s"><v>{strings.number(str(value))}</v></c>'
