"""Field values as exports write them: missing-value markers (NA, nan), HTML references."""

from __future__ import annotations

from review_app.importers import ris, tabular


def test_r_na_cells_are_missing_values_not_text() -> None:
    text = (
        "title,author,year,journal,volume,number,pages,doi,abstract\n"
        'A trial of X,"Smith, J",2001,J Test,NA,NA,NA,NA,NA\n'
        'Another trial,"Lee, K",2002,J Test,12,3,4-9,10.1000/xyz,Text\n'
    )
    result = tabular.parse(text, source="r.csv")
    first, second = result.records
    assert (first.volume, first.issue, first.pages, first.doi, first.abstract) == (
        None, None, None, None, None,
    )  # fmt: skip
    assert first.dropped == []  # no "invalid DOI" warning for a DOI that is not there
    assert "NA" not in first.raw.values()
    assert (second.volume, second.issue, second.doi) == ("12", "3", "10.1000/xyz")


def test_na_inside_text_and_other_cases_stay_text() -> None:
    text = "title,journal\nNA levels in NA patients,Na\n"
    (record,) = tabular.parse(text, source="r.csv").records
    assert record.title == "NA levels in NA patients" and record.journal == "Na"


def test_pandas_nan_in_a_ris_export_is_a_missing_value() -> None:
    text = (
        "TY  - JOUR\nTI  - A trial of X\nAU  - Smith, J\nPY  - 2021\nT2  - J Test\n"
        "VL  - 3\nIS  - nan\nSP  - 125\nEP  - nan\nDO  - 10.1000/xyz\nER  - \n"
    )
    (record,) = ris.parse(text, source="zotero.ris").records
    assert (record.issue, record.pages, record.volume) == (None, "125", "3")
    assert "nan" not in str(record.raw)


def test_pandas_nan_in_a_table_is_a_missing_value() -> None:
    (record,) = tabular.parse("title,number\nA trial,nan\n", source="p.csv").records
    assert record.issue is None and record.title == "A trial"


def test_nan_inside_a_title_stays_text() -> None:
    text = "TY  - JOUR\nTI  - nan\nER  - \nTY  - JOUR\nTI  - Nanoparticles nan\nER  - \n"
    records = ris.parse(text, source="x.ris").records
    assert [r.title for r in records] == ["Nanoparticles nan"]


def test_html_character_references_are_read() -> None:
    text = "title,journal\nAlzheimer&#39;s disease &amp; p &lt; 0.05,J &amp; K\n"
    (record,) = tabular.parse(text, source="web.csv").records
    assert (record.title, record.journal) == ("Alzheimer's disease & p < 0.05", "J & K")
