"""A workbook's sheet as ``tabular`` streams it (expat over the sheet's XML): the same cell
texts as openpyxl's own reading, rows padded only to their last value, the caps counted on
what the file holds and on the parts read."""

from __future__ import annotations

import datetime
import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

from review_app.errors import ImportFileError
from review_app.importers import Limits
from review_app.importers.tabular import _cell_text, read_table
from tests.importers import hostile_xlsx


def saved(sheets: dict[str, list[list[Any]]], *, date_format: str | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if date_format:
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, datetime.date):
                        cell.number_format = date_format
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def openpyxl_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """The first sheet's rows as openpyxl reads them (values only), through ``_cell_text``, each
    cut after its last value: what the streamed reading must give."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = []
    for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
        cells = [_cell_text(value) for value in values]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            rows.append((number, cells))
    book.close()
    return rows


def test_cell_texts_are_those_openpyxl_reads() -> None:
    """Text, whole and decimal numbers, a number too large for a float's digits, booleans,
    dates and times (by their cell style), a formula's text, a blank row and gaps."""
    rows = [
        ["study", "n", "mean", "flag", "when", "note"],
        ["Trial 1", 40, 5.37, True, datetime.datetime(2021, 3, 4, 10, 30), None, "far"],
        [],
        ["Trial 2", 2020.0, 1e-7, False, datetime.date(2020, 1, 31), "=1+1"],
        [None, None, None, None, None, None, None, None, 12345678901234567890],
    ]
    data = saved({"Extraction": rows}, date_format="yyyy-mm-dd hh:mm")
    expected = openpyxl_rows(data)
    assert expected[1][1][4] == "2021-03-04T10:30:00"  # a date-styled number, as a date
    table = read_table(data, source="x.xlsx")
    assert [(table.header_line, table.columns), *table.rows] == expected


def replaced(data: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    """The workbook ``data`` with its part named ``part`` changed by ``change``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info)
            archive.writestr(info.filename, change(content) if info.filename == part else content)
    return out.getvalue()


def sheet_xml(rows: str, *, prolog: str = "") -> bytes:
    """A one-sheet workbook whose sheet part is ``prolog`` and a worksheet of ``rows``."""
    return replaced(
        hostile_xlsx.workbook([rows]),
        "xl/worksheets/sheet1.xml",
        lambda part: part.replace(b"<worksheet", prolog.encode() + b"<worksheet", 1),
    )


def test_prefixed_elements_cells_without_references_and_phonetic_runs_are_read() -> None:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rows = (
        f'<x:row xmlns:x="{main}"><x:c t="inlineStr"><x:is><x:t>study</x:t></x:is></x:c>'
        '<x:c t="inlineStr"><x:is><x:t>note</x:t></x:is></x:c></x:row>'
        f'<x:row xmlns:x="{main}"><x:c><x:v>7</x:v></x:c>'
        '<x:c t="inlineStr"><x:is><x:r><x:t>ka</x:t></x:r><x:r><x:t>nji</x:t></x:r>'
        "<x:rPh><x:t>reading</x:t></x:rPh></x:is></x:c></x:row>"
    )
    table = read_table(sheet_xml(rows), source="x.xlsx")
    assert (table.header_line, table.columns, table.rows) == (
        1,
        ["study", "note"],
        [(2, ["7", "kanji"])],
    )


def test_a_sheet_declaring_a_document_type_is_not_read() -> None:
    doctype = '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>'
    data = sheet_xml(hostile_xlsx.inline_row(1, ("study",)), prolog=doctype)
    with pytest.raises(ImportFileError) as error:
        read_table(data, source="x.xlsx")
    assert "x.xlsx: not a readable Excel workbook" in str(error.value)
    assert "declares a document type" in str(error.value)


def test_a_shared_string_that_is_not_there_is_a_damaged_workbook() -> None:
    rows = '<row r="1"><c r="A1" t="s"><v>5</v></c></row>'
    with pytest.raises(ImportFileError) as error:
        read_table(hostile_xlsx.workbook([rows], shared=["study"]), source="x.xlsx")
    assert "not a readable Excel workbook (IndexError" in str(error.value)


def test_rows_far_wider_than_their_values_are_read_within_the_cell_cap() -> None:
    """100 rows with values in columns A and CS (97): 200 cells present, 9,700 once padded."""
    rows = [["study", *[None] * 95, "notes"], *[[f"S{n}", *[None] * 95, "x"] for n in range(99)]]
    table = read_table(
        saved({"Extraction": rows}), source="x.xlsx", limits=Limits(max_sheet_cells=200)
    )
    assert len(table.rows) == 99 and table.rows[0] == (2, ["S0", *[""] * 95, "x"])
    with pytest.raises(ImportFileError, match="more than 199 cells"):
        read_table(saved({"Extraction": rows}), source="x.xlsx", limits=Limits(max_sheet_cells=199))


def test_the_unpacked_size_counts_the_parts_read_not_the_other_sheets() -> None:
    studies = [["study", "n"], *([f"Trial {n}", n] for n in range(2_000))]
    rows = b"<row><c><v>1</v></c></row>" * 200_000  # 5 MB unpacked, packing to a few KB
    data = replaced(
        saved({"Extraction": studies, "Other": [[1]]}),
        "xl/worksheets/sheet2.xml",
        lambda part: part.replace(b"<sheetData>", b"<sheetData>" + rows, 1),
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sizes = {info.filename: info.file_size for info in archive.infolist()}
    whole, read = sum(sizes.values()), sum(sizes.values()) - sizes["xl/worksheets/sheet2.xml"]
    assert len(data) < read < whole // 10  # the other sheet is most of what the file unpacks to
    limits = Limits(max_bytes=read)
    table = read_table(data, source="x.xlsx", sheet="Extraction", limits=limits)
    assert table.rows[-1] == (2_001, ["Trial 1999", "1999"])
    with pytest.raises(ImportFileError, match=r"unpack to 5\.0 MB; at most 0 MB"):
        read_table(data, source="x.xlsx", sheet="Other", limits=limits)


def test_shared_strings_unpacking_beyond_the_cap_are_refused_before_they_are_read() -> None:
    data = hostile_xlsx.huge_shared_string(characters=60_000_000)  # one 57 MB title
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ImportFileError, match=r"unpack to 57\.2 MB; at most 50 MB"):
        read_table(data, source="x.xlsx")
    took = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert took < 5 and peak < 20 * 1024 * 1024
