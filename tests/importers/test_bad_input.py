"""Input that used to be misread or stored badly (issue 11): a CSV cell that looks like RIS,
a Web of Science continuation line after ``PT J``, DOIs that are not DOIs."""

from __future__ import annotations

import json

import pytest

from review_app.errors import ImportFileError
from review_app.importers import normalize, read_bytes
from review_app.importers.detect import choose_format

CSV_WITH_RIS_CELL = (
    b'title,abstract,year\n"Kratom and pain","Methods:\nTY  - JOUR\nER  -\nnot RIS",2020\n'
    b"Second record,plain,2021\n"
)


# --- a suffix and content that disagree ---------------------------------------------------------


def test_a_csv_whose_quoted_cell_holds_a_ris_line_is_read_as_csv() -> None:
    result = read_bytes(CSV_WITH_RIS_CELL, filename="search.csv")
    assert result.format == "csv" and result.warnings == []
    assert [r.title for r in result.records] == ["Kratom and pain", "Second record"]
    assert result.records[0].raw["abstract"] == "Methods:\nTY  - JOUR\nER  -\nnot RIS"


def test_content_still_decides_without_a_suffix_that_promises_a_format() -> None:
    """.txt promises nothing (PubMed, WoS and EndNote all write it): the RIS line decides, as
    does a format chosen explicitly."""
    for options in ({"filename": "search.txt"}, {"filename": "search.csv", "format": "ris"}):
        with pytest.raises(ImportFileError, match="no title \\(TI, T1"):
            read_bytes(CSV_WITH_RIS_CELL, **options)  # type: ignore[arg-type]


def test_content_that_does_not_fit_its_suffix_is_read_by_its_content_and_the_mismatch_said() -> (
    None
):
    wos = b"FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI Kratom\nPY 2020\nER\nEF\n"
    result = read_bytes(wos, filename="savedrecs.ris")
    assert result.format == "wos" and result.records[0].title == "Kratom"
    (warning,) = result.warnings
    assert warning == (
        "savedrecs.ris: the name ends in .ris (RIS), but the content is not RIS; it looks like "
        "Web of Science plain text and was read as wos. Check that this is the file you meant, "
        "or rename it."
    )
    ris = b"TY  - JOUR\nTI  - Kratom\nER  - \n"
    result = read_bytes(ris, filename="export.csv")  # no title column, but RIS records
    assert result.format == "ris" and "ends in .csv (a table (CSV/TSV))" in result.warnings[0]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("a.csv", "Title;Year\nKratom;2020\n", "csv"),
        ("a.tsv", "ti\tpy\nKratom\t2020\n", "csv"),
        ("a.ris", "TY  - JOUR\nTI  - x\nER  - \n", "ris"),
        ("a.nbib", "PMID- 1\nTI  - x\n", "medline"),
        ("a.bib", "@article{k, title={x}}\n", "bibtex"),
        ("a.xml", "<xml><records><record/></records></xml>", "endnote-xml"),
        ("a.ciw", "PT J\nTI x\nER\n", "wos"),
        ("a.txt", "PMID- 1\nTI  - x\n", "medline"),
    ],
)
def test_a_suffix_whose_format_fits_the_content_wins(name: str, text: str, expected: str) -> None:
    assert choose_format(text, name) == (expected, None)


def test_a_suffix_matching_nothing_the_content_is_refused_naming_what_it_looks_like() -> None:
    with pytest.raises(ImportFileError, match="EndNote/Refer"):
        read_bytes(b"%T Kratom\n%A Smith\n", filename="refs.ris")


# --- Web of Science -----------------------------------------------------------------------------


def test_a_wos_continuation_line_right_after_pt_continues_pt_and_is_reported() -> None:
    data = b"FN Clarivate\nVR 1.0\nPT J\n   Journal article\nTI Kratom and pain\nPY 2020\nER\nEF\n"
    result = read_bytes(data, filename="savedrecs.txt")
    (record,) = result.records
    assert None not in record.raw
    assert record.raw["PT"] == "J Journal article" and record.title == "Kratom and pain"
    json.dumps(record.raw, sort_keys=True)  # the JSON column takes it (a None key did not sort)
    assert result.warnings == [
        "savedrecs.txt: line 4 (record 1) continues the 'PT' line above it rather than a field; "
        "read as part of PT (the publication type)"
    ]


# --- DOIs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "doi"),
    [
        ("10.1234/abc", "10.1234/abc"),
        ("https://doi.org/10.1002/CPP.2398", "10.1002/cpp.2398"),
        ("http://dx.doi.org/10.1177/2325967120950040", "10.1177/2325967120950040"),
        ("doi:10.1111/x.", "10.1111/x"),
        ("10.3390/ijms130911427 [doi]", "10.3390/ijms130911427"),
        ("10.1002/(SICI)1097-4636(199709)36:3<281::AID-JBM1>3.0.CO;2-#",
         "10.1002/(sici)1097-4636(199709)36:3<281::aid-jbm1>3.0.co;2-#"),
        ("10.123/short-registrant", None),
        ("10.1234567890/long-registrant", None),
        ("10.1234/with space", None),
        ("10.1234/tab\there", None),
        ("10.1234/zero\u200bwidth", None),
        ("10.1234/", None),
        ("see 10.1234/abc", None),
        ("https://example.org/10.1234/abc", None),
        ("javascript:10.1234/abc", None),
    ],
)  # fmt: skip
def test_dois_are_validated_strictly(raw: str, doi: str | None) -> None:
    assert normalize.normalize_doi(raw) == doi


def test_a_doi_that_is_not_one_is_left_out_with_a_warning_and_kept_in_the_raw_fields() -> None:
    data = (
        b"TY  - JOUR\nTI  - One\nDO  - 10.1234/fine\nER  - \n"
        b"TY  - JOUR\nTI  - Two\nDO  - 10.1234/has space\nER  - \n"
        b"TY  - JOUR\nTI  - Three\nDO  - see the journal\nER  - \n"
    )
    result = read_bytes(data, filename="s.ris")
    assert [r.doi for r in result.records] == ["10.1234/fine", None, None]
    assert result.records[1].raw["DO"] == "10.1234/has space"
    (warning,) = result.warnings
    assert warning.startswith("s.ris: 2 record(s) have a DOI that is not valid")
    assert "record 2 (line 5): '10.1234/has space'; record 3 (line 9): 'see the journal'" in warning


def test_a_doi_with_markdown_in_it_is_a_doi_and_is_escaped_when_shown() -> None:
    """Brackets are allowed in DOI suffixes, so the defence is in the link (ui/components)."""
    hostile = "10.1234/x)[click](https://evil.example)"
    data = f"TY  - JOUR\nTI  - x\nDO  - {hostile}\nER  - \n".encode()
    assert read_bytes(data, filename="s.ris").records[0].doi == hostile
