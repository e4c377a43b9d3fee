"""R's "NA" in a table export is a missing value, not text a field holds."""

from __future__ import annotations

from review_app.importers import tabular


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
