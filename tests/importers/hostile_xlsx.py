# ruff: noqa: E501  (the XML parts are kept one element a line, as in real files)
"""Small XLSX files that unpack into something huge, written part by part (never whole in
memory), as an attacker or a broken exporter would make them. ``python -m
tests.importers.hostile_xlsx DIR`` writes the three of issue 11 for measuring."""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)  # fmt: skip
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)  # fmt: skip
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="records" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)  # fmt: skip
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
CHUNK = 1 << 20


def inline_row(number: int | None, cells: Iterable[str]) -> str:
    """A sheet row of inline strings, columns A, B, C... (without row and cell references
    when ``number`` is None: they are optional, and identical rows pack very small)."""
    parts = ["<row>" if number is None else f'<row r="{number}">']
    for index, text in enumerate(cells):
        ref = "" if number is None else f' r="{chr(ord("A") + index)}{number}"'
        parts.append(f'<c{ref} t="inlineStr"><is><t>{escape(text)}</t></is></c>')
    parts.append("</row>")
    return "".join(parts)


def workbook(
    rows: Iterable[str],
    *,
    dimension: str | None = None,
    shared: Iterable[str] = (),
    shared_repeat: tuple[str, int] | None = None,
) -> bytes:
    """An XLSX file: sheet rows (XML), an optional declared dimension, shared strings (the
    last one may be ``text * count`` characters, written a megabyte at a time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD.encode())
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            buffer: list[str] = []
            for row in rows:
                buffer.append(row)
                if len(buffer) >= 10_000:
                    sheet.write("".join(buffer).encode())
                    buffer = []
            sheet.write("".join(buffer).encode())
            sheet.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            items = list(shared)
            count = len(items) + (shared_repeat is not None)
            strings.write(
                b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats'
                + f'.org/spreadsheetml/2006/main" count="{count}" uniqueCount="{count}">'.encode()
            )
            for item in items:
                strings.write(f"<si><t>{escape(item)}</t></si>".encode())
            if shared_repeat is not None:
                text, times = shared_repeat
                strings.write(b"<si><t>")
                piece = escape(text).encode() * max(1, CHUNK // max(1, len(text)))
                written, per_piece = 0, CHUNK // max(1, len(text))
                while written + per_piece <= times:
                    strings.write(piece)
                    written += per_piece
                strings.write(escape(text).encode() * (times - written))
                strings.write(b"</t></si>")
            strings.write(b"</sst>")
    return out.getvalue()


HEADER = ("title", "year")


def full_sheet_dimension() -> bytes:
    """About 1.9 KB: two real rows and an empty last cell, but a declared size of every cell
    Excel allows (read as declared, 17 billion cells)."""
    rows = [
        inline_row(1, HEADER),
        inline_row(2, ("Kratom and pain", "2020")),
        '<row r="1048576"><c r="XFD1048576"/></row>',
    ]
    return workbook(rows, dimension="A1:XFD1048576")


def huge_shared_string(characters: int = 400_000_000) -> bytes:
    """About 390 KB: one title that is ``characters`` long, in the shared-strings part."""
    rows = [
        inline_row(1, HEADER),
        '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2"><v>2020</v></c></row>',
    ]
    return workbook(rows, shared_repeat=("a", characters))


def many_rows(count: int = 300_000) -> bytes:
    """About 45 KB: ``count`` records of the same title."""
    row = inline_row(None, ("Kratom", "2020"))
    return workbook([inline_row(None, HEADER), *(row for _ in range(count))])


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in (
        ("full_sheet_dimension.xlsx", full_sheet_dimension),
        ("huge_shared_string.xlsx", huge_shared_string),
        ("many_rows.xlsx", many_rows),
    ):
        data = make()
        (folder / name).write_bytes(data)
        print(name, len(data))
