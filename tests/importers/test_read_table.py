"""``tabular.read_table``: a file of our own layout (decisions, extraction) as its header and
rows, numbered as a spreadsheet shows them, within the import limits."""

from __future__ import annotations

import io

import pytest

from review_app.errors import ImportFileError
from review_app.importers import Limits
from review_app.importers.tabular import Table, read_table
from tests.importers import hostile_xlsx


def refused(data: bytes, **options: object) -> str:
    with pytest.raises(ImportFileError) as error:
        read_table(data, source="d.csv", **options)  # type: ignore[arg-type]
    return str(error.value)


def test_excel_csv_quirks_are_read() -> None:
    """Excel's "sep=;" line (not a row), cp1252, CRLF; spaces around the column names go."""
    text = "sep=;\r\nVote;STAGE; Record ;Comments\r\ninclude;title_abstract;S1;café\r\n"
    assert read_table(text.encode("cp1252"), source="d.csv") == Table(
        header_line=1,
        columns=["Vote", "STAGE", "Record", "Comments"],
        rows=[(2, ["include", "title_abstract", "S1", "café"])],
    )


def test_rows_are_numbered_as_a_spreadsheet_shows_them() -> None:
    """A blank line before the header, a quoted cell over two lines, a blank row: numbered,
    and only the rows holding a value kept. A BOM and tabs are read too."""
    text = '\na\tb\n1\t"two\nlines"\n\t\n3\t4\n'
    table = read_table(b"\xef\xbb\xbf" + text.encode(), source="d.tsv")
    assert table.header_line == 2 and table.columns == ["a", "b"]
    assert table.rows == [(3, ["1", "two\nlines"]), (5, ["3", "4"])]


def test_a_workbook_keeps_its_row_numbers_and_the_named_sheet_is_read() -> None:
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    assert first is not None
    first.append(["not", "this"])
    wanted = book.create_sheet("Extraction")
    wanted.append(["study", "year"])
    wanted.append([])
    wanted.append(["Vicknasingam 2020", 2020.0])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    table = read_table(data, source="x.xlsx", sheet="Extraction")
    assert (table.header_line, table.columns) == (1, ["study", "year"])
    assert table.rows == [(3, ["Vicknasingam 2020", "2020"])]
    assert read_table(data, source="x.xlsx", sheet="Missing").columns == ["not", "this"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"a,b\n,\n", None),  # a header alone is a table without rows
        (b"\n , \n", "the file holds no rows; the first row names the columns"),
        (b'a,b\n1,"2\n', "row 2: unexpected end of data: a quote is not closed"),
        (b"PK\x03\x04 not a workbook", "not a readable Excel workbook"),
    ],
)
def test_a_file_without_rows_or_that_cannot_be_read_is_refused(
    data: bytes, message: str | None
) -> None:
    if message is None:
        assert read_table(data, source="d.csv").rows == []
    else:
        assert message in refused(data)


def test_the_limits_apply_to_text_and_workbooks() -> None:
    rows = b"a,b\n" + b"1,2\n" * 3
    assert len(read_table(rows, source="d.csv", limits=Limits(max_records=3)).rows) == 3
    assert "more than 2 rows below the header" in refused(rows, limits=Limits(max_records=2))
    assert "REVIEW_APP_MAX_UPLOAD_MB" in refused(rows, limits=Limits(max_bytes=10))
    sheet = hostile_xlsx.many_rows(50)
    assert "REVIEW_APP_MAX_RECORDS_PER_FILE" in refused(sheet, limits=Limits(max_records=10))
    assert "REVIEW_APP_MAX_SHEET_CELLS" in refused(sheet, limits=Limits(max_sheet_cells=20))
