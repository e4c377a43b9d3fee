"""Writers: RIS/BibTeX that our readers read back unchanged, CSV/XLSX safe to open in Excel."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from review_app.errors import ImportFileError
from review_app.exporters import dumps_bibtex, dumps_csv, dumps_ris, dumps_xlsx
from review_app.exporters.bibtex import bibtex_entry_type
from review_app.exporters.tabular import COLUMNS
from review_app.importers import RecordIn, read_bytes

PARSERS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "parsers"
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "imports"

RECORD = RecordIn(
    title="Kratom and Pain Tolerance: A Randomized, Placebo-Controlled, Double-Blind Study",
    abstract="Cold pressor pain tolerance rose after kratom & not after placebo (50% -- n=26).",
    authors=["Vicknasingam, B.", "Chooi, W. T.", "World Health Organization"],
    year=2020,
    journal="Yale Journal of Biology and Medicine",
    volume="93",
    issue="2",
    pages="229-238",
    doi="10.1000/kratom_2020(1)",
    pmid="32607084",
    issn="1551-4056; 0044-0086",
    isbn="9783161484100",
    keywords=["kratom", "pain"],
    language="eng",
    publication_type="Journal Article",
    url="https://pubmed.ncbi.nlm.nih.gov/32607084/?a=1&b=2",
    source_record_id="kratom-001",
)


def fields(record: RecordIn) -> dict[str, object]:
    skip = {"raw", "position", "line", "dropped"}  # dropped: what was left out
    return {name: getattr(record, name) for name in record.__slots__ if name not in skip}


def test_ris_is_read_back_unchanged_and_as_rispy_writes_it() -> None:
    text = dumps_ris([RECORD])
    assert text.startswith("TY  - GEN\nM3  - Journal Article\nTI  - Kratom and Pain")
    assert "\nAN  - 32607084\nDP  - NLM\n" in text and text.rstrip().endswith("ER  -")
    (back,) = read_bytes(text.encode(), filename="export.ris").records
    assert fields(back) == fields(RECORD)


def test_bibtex_is_read_back_unchanged() -> None:
    text = dumps_bibtex([RECORD])
    assert text.startswith("@article{kratom-001,")
    assert "{World Health Organization}" in text and r"50\% -{}- n=26" in text
    (back,) = read_bytes(text.encode(), filename="export.bib").records
    assert fields(back) == fields(RECORD)


def test_bibtex_keys_that_are_not_valid_are_replaced() -> None:
    text = dumps_bibtex([RecordIn(title="x", source_record_id="has space"), RecordIn(title="y")])
    assert "@misc{record1," in text and "@misc{record2," in text


@pytest.mark.parametrize("dump", [dumps_csv, dumps_xlsx])
def test_tables_are_read_back(dump: object) -> None:
    data = dump([RECORD])  # type: ignore[operator]
    (back,) = read_bytes(
        data, filename="export.xlsx" if data[:2] == b"PK" else "export.csv"
    ).records
    assert fields(back) == fields(RECORD)


def test_csv_has_a_bom_and_our_columns() -> None:
    data = dumps_csv([RECORD])
    assert data.startswith(b"\xef\xbb\xbf" + ",".join(COLUMNS).encode())
    assert data.decode("utf-8-sig").count("\r\n") == 2


FORMULAS = RecordIn(
    title='=HYPERLINK("http://evil.example")',
    abstract="+1 looks like a formula",
    authors=["@SUM(A1)", "-2+3"],
    pages="-5",
)


def test_csv_cells_that_look_like_formulas_are_neutralised() -> None:
    text = dumps_csv([FORMULAS]).decode("utf-8-sig")
    assert '"\'=HYPERLINK(""http://evil.example"")"' in text
    assert ",'+1 looks like a formula," in text and "'@SUM(A1); -2+3" in text
    assert ",'-5," in text


def test_xlsx_cells_that_look_like_formulas_are_text() -> None:
    sheet = load_workbook(io.BytesIO(dumps_xlsx([FORMULAS]))).worksheets[0]
    row = {name: cell.value for name, cell in zip(COLUMNS, sheet[2], strict=False)}
    assert row["title"] == '\'=HYPERLINK("http://evil.example")'
    assert all(cell.data_type == "s" for cell in sheet[2] if cell.value is not None)
    assert sheet.title == "records"


def test_a_formula_fixture_survives_import_and_is_defused_on_export() -> None:
    (record,) = read_bytes((FIXTURES / "formula_cells.csv").read_bytes(), filename="f.csv").records
    assert record.title == '=HYPERLINK("http://evil.example")'  # imported as given
    row = dumps_csv([record]).decode("utf-8-sig").splitlines()[1]
    assert row.startswith(",\"'=HYPERLINK(") and ",'+1 looks" in row and ",'@SUM(A1)," in row


def test_every_shared_record_survives_our_ris() -> None:
    if not PARSERS.is_dir():
        pytest.skip(f"{PARSERS} is absent (it ships beside the repository in CI, not in a clone)")
    count = 0
    for path in sorted(p for p in PARSERS.rglob("*") if p.is_file()):
        try:
            records = read_bytes(path.read_bytes(), filename=path.name, skip_invalid=True).records
        except ImportFileError:
            continue
        back = read_bytes(dumps_ris(records).encode(), filename="export.ris").records
        assert [fields(r) for r in back] == [fields(r) for r in records], path.name
        count += len(records)
    assert count == 787


@pytest.mark.parametrize(
    ("publication_type", "entry"),
    [
        ("JOUR", "article"),
        ("Conference Paper", "inproceedings"),
        ("inproceedings", "inproceedings"),
        ("J", "misc"),  # Web of Science's code: its words go in the type field
        ("Editorial", "misc"),
        (None, "misc"),
    ],
)
def test_a_bibtex_entry_is_always_a_standard_type(publication_type: str | None, entry: str) -> None:
    assert bibtex_entry_type(publication_type) == entry
    text = dumps_bibtex([RecordIn(title="A trial", publication_type=publication_type)])
    assert text.startswith(f"@{entry}{{")
    (back,) = read_bytes(text.encode(), filename="back.bib").records
    assert back.publication_type == publication_type
