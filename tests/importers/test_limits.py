"""Bad input that used to crash or cost too much (issue 11): hostile XLSX files, too many
records, fields too long, files too large. Each is refused (or read by what it really holds)
within a memory budget, naming the file, the record and the setting that limits it. How long
each takes is printed by bench/hostile_inputs.py (a wall-clock bound in a test fails on a
loaded machine, not on slow code)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from review_app.errors import ImportFileError
from review_app.importers import Limits, ParseResult, RecordIn, read_bytes
from tests.importers import hostile_xlsx

MB = 1024 * 1024


@contextmanager
def measured(budget_mb: float) -> Iterator[None]:
    """Python's allocations inside the block stay under the budget (generous: the old code took
    3 GB, 800 MB and 300 MB on these files)."""
    tracemalloc.start()
    try:
        yield
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < budget_mb * MB, f"peak {peak / MB:.0f} MB"


def refusal(data: bytes, name: str, **options: object) -> list[str]:
    with pytest.raises(ImportFileError) as error:
        read_bytes(data, filename=name, **options)  # type: ignore[arg-type]
    return [str(problem) for problem in error.value.problems]


def ris(count: int, *, abstract: str = "") -> bytes:
    body = "".join(
        f"TY  - JOUR\nTI  - Kratom study {n}\nPY  - 2020\n"
        + (f"AB  - {abstract}\n" if abstract and n == 2 else "")
        + "ER  - \n\n"
        for n in range(1, count + 1)
    )
    return body.encode()


# --- XLSX ---------------------------------------------------------------------------------------


def test_an_xlsx_declaring_every_cell_excel_allows_is_read_by_the_cells_it_holds() -> None:
    data = hostile_xlsx.full_sheet_dimension()
    assert len(data) < 2_000
    with measured(budget_mb=40):
        result = read_bytes(data, filename="full.xlsx")
    assert [(r.title, r.year) for r in result.records] == [("Kratom and pain", 2020)]


def test_an_xlsx_unpacking_beyond_the_upload_limit_is_refused_before_it_is_read() -> None:
    data = hostile_xlsx.huge_shared_string()  # one 400-million-character title
    assert len(data) < 500_000
    with measured(budget_mb=20):
        (message,) = refusal(data, "title.xlsx")
    assert "title.xlsx" in message and "unpacked is 381.5 MB" in message
    assert "at most 50 MB" in message and "REVIEW_APP_MAX_UPLOAD_MB" in message


def test_an_xlsx_cell_longer_than_a_field_may_be_names_the_row_and_column() -> None:
    data = hostile_xlsx.huge_shared_string(characters=150_000)
    (message,) = refusal(data, "long.xlsx")
    assert message.startswith("long.xlsx, line 2, record 1, title: 150,000 characters")
    assert "at most 100,000" in message and "REVIEW_APP_MAX_FIELD_CHARS" in message
    longer = Limits(max_field_chars=200_000)
    assert len(read_bytes(data, filename="long.xlsx", limits=longer).records[0].title or "") == (
        150_000
    )


def test_an_xlsx_with_more_rows_than_records_allowed_is_refused_before_reading_them() -> None:
    data = hostile_xlsx.many_rows()  # 300,000 records from a file of about 100 KB
    assert len(data) < 150_000
    with measured(budget_mb=60):
        (message,) = refusal(data, "rows.xlsx")
    assert "more than 200,000 rows of records" in message
    assert "REVIEW_APP_MAX_RECORDS_PER_FILE" in message


def test_the_record_cap_holds_on_rows_read_too() -> None:
    """With the scan out of reach (rows the scan counts as one each), reading still stops."""
    data = hostile_xlsx.many_rows(50)
    (message,) = refusal(data, "rows.xlsx", limits=Limits(max_records=49))
    assert "more than 49" in message
    assert read_bytes(data, filename="rows.xlsx", limits=Limits(max_records=50)).record_count == 50


def test_an_xlsx_with_more_cells_than_allowed_is_refused() -> None:
    many = hostile_xlsx.many_rows(2_000)  # 4,002 cells in the XML: refused by the scan
    (message,) = refusal(many, "many.xlsx", limits=Limits(max_sheet_cells=4_000))
    assert "more than 4,000 cells;" in message
    assert "REVIEW_APP_MAX_SHEET_CELLS" in message


def wide_rows(count: int) -> bytes:
    """The header, then ``count`` rows holding one value each, in column XFD (16,384)."""
    wide = (
        f'<row r="{n}"><c r="XFD{n}" t="inlineStr"><is><t>x</t></is></c></row>'
        for n in range(2, count + 2)
    )
    return hostile_xlsx.workbook([hostile_xlsx.inline_row(1, hostile_xlsx.HEADER), *wide])


def test_the_cell_cap_counts_the_cells_present_not_the_padding_to_the_last_one() -> None:
    # The XML holds 3 cells; the row with a cell in column XFD is 16,384 cells wide once padded.
    (message,) = refusal(wide_rows(1), "wide.xlsx", limits=Limits(max_sheet_cells=10))
    assert message.startswith("wide.xlsx, line 2, record 1, title: no title")  # read, checked


def test_rows_padded_to_a_far_column_are_refused_before_they_fill_memory() -> None:
    data = wide_rows(2_000)  # 2,000 x 16,383 empty cells once padded: 262 MB of pointers
    assert len(data) < 30_000
    with measured(budget_mb=80):  # the padding allowed: 50 MB of pointers
        (message,) = refusal(data, "wide.xlsx")
    assert "more than 6,553,600 empty cells before their last value (reached at row 402)" in message
    assert "REVIEW_APP_MAX_UPLOAD_MB" in message


# --- every format -------------------------------------------------------------------------------


def test_a_file_larger_than_the_upload_limit_is_refused() -> None:
    data = ris(3)
    (message,) = refusal(data, "big.ris", limits=Limits(max_bytes=100))
    assert message.startswith("big.ris: the file is 0.0 MB; at most 0 MB")
    assert len(read_bytes(data, filename="big.ris", limits=Limits(max_bytes=len(data))).records)


def test_one_record_more_than_allowed_stops_the_file_even_while_records_are_written() -> None:
    written: list[RecordIn] = []
    with pytest.raises(ImportFileError, match="more than 10 records") as error:
        read_bytes(ris(11), filename="s.ris", sink=written.append, limits=Limits(max_records=10))
    assert "REVIEW_APP_MAX_RECORDS_PER_FILE" in str(error.value)
    assert len(written) == 10  # the caller's transaction undoes these (services/imports.py)
    result: ParseResult = read_bytes(ris(10), filename="s.ris", limits=Limits(max_records=10))
    assert result.record_count == 10


def test_a_field_longer_than_allowed_is_a_problem_naming_file_record_and_field() -> None:
    data = ris(3, abstract="x" * 150)
    (message,) = refusal(data, "s.ris", limits=Limits(max_field_chars=100))
    assert message == (
        "s.ris, line 6, record 2, AB: 150 characters; a field may hold at most 100 "
        "(setting REVIEW_APP_MAX_FIELD_CHARS)"
    )
    result = read_bytes(
        data, filename="s.ris", skip_invalid=True, limits=Limits(max_field_chars=100)
    )
    assert [r.title for r in result.records] == ["Kratom study 1", "Kratom study 3"]
    assert len(result.problems) == 1


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda text: f"title,abstract\nKratom,{text}\n".encode(), "s.csv"),
        (lambda text: f"@article{{k, title={{Kratom}}, abstract={{{text}}}}}\n".encode(), "s.bib"),
        (lambda text: f"PMID- 1\nTI  - Kratom\nAB  - {text}\n".encode(), "s.nbib"),
        (lambda text: f"PT J\nTI Kratom\nAB {text}\nER\n".encode(), "s.ciw"),
        (
            lambda text: (
                "<xml><records><record><titles><title>Kratom</title></titles>"
                f"<abstract>{text}</abstract></record></records></xml>"
            ).encode(),
            "s.xml",
        ),
    ],
)
def test_the_field_limit_holds_in_every_format(make: Callable[[str], bytes], name: str) -> None:
    (message,) = refusal(make("y" * 101), name, limits=Limits(max_field_chars=100))
    assert "101 characters; a field may hold at most 100" in message and "record 1" in message
    assert read_bytes(make("y" * 100), filename=name, limits=Limits(max_field_chars=100))
