"""The cleaning rules every format shares."""

from __future__ import annotations

import datetime

import pytest

from review_app.importers import normalize


@pytest.mark.parametrize(
    ("raw", "doi"),
    [
        ("10.1002/CPP.2398", "10.1002/cpp.2398"),
        ("https://doi.org/10.1002/cpp.2398", "10.1002/cpp.2398"),
        ("http://dx.doi.org/10.1177/2325967120950040", "10.1177/2325967120950040"),
        ("doi: 10.1111/nature1111.", "10.1111/nature1111"),
        ("10.3390/ijms130911427 [doi]", "10.3390/ijms130911427"),
        ("10.1016/0014-5793(81)80778-8", "10.1016/0014-5793(81)80778-8"),
        ("https://doi.org/10.1007%2Fs11307-012-0572-0", "10.1007/s11307-012-0572-0"),
        ("not a doi", None),
    ],
)
def test_doi(raw: str, doi: str | None) -> None:
    assert normalize.normalize_doi(raw) == doi


@pytest.mark.parametrize(
    ("raw", "year", "problem"),
    [
        ("2019//", 2019, None),
        ("1948/07//", 1948, None),
        ("2017 Nov 15", 2017, None),
        ("Start date: 20170812", 2017, None),
        ("1 Jan.-Feb. 2019", 2019, None),
        ("SEP", None, None),
        ("10 15", None, "year '10 15' is not a year"),
        ("1599", None, "year 1599 is impossible"),
        ("1600", 1600, None),
    ],
)
def test_year(raw: str, year: int | None, problem: str | None) -> None:
    found, message, key = normalize.parse_year([("PY", raw)])
    assert found == year
    assert (message or "").startswith(problem or "")
    assert key == ("PY" if year or problem else "")


def test_next_year_is_allowed_and_the_one_after_is_not() -> None:
    next_year = datetime.date.today().year + 1
    assert normalize.parse_year([("PY", str(next_year))])[0] == next_year
    assert normalize.parse_year([("PY", str(next_year + 1))])[1] is not None


def test_a_year_without_digits_falls_through_to_the_next_tag() -> None:
    assert normalize.parse_year([("DA", "SEP"), ("PY", "2018")]) == (2018, None, "PY")


@pytest.mark.parametrize(
    ("pages", "start", "end", "expected"),
    [
        (None, "229", "238", "229-238"),
        ("12--23", None, None, "12-23"),
        ("12 – 23", None, None, "12-23"),
        ("pp 37-64", None, None, "37-64"),
        (None, "1535-41", "99", "1535-41"),
        (None, "e0815", None, "e0815"),
        (None, "No", "Specified", None),
        ("146p", None, None, "146p"),
    ],
)
def test_pages(pages: str | None, start: str | None, end: str | None, expected: str | None) -> None:
    assert normalize.normalize_pages(pages, start, end) == expected


def test_serials_are_told_apart_by_length() -> None:
    issn, isbn = normalize.split_serials(
        ["0964-6906 (Print)0964-6906", "03064530 (ISSN)", ["ISSN-1558-366x", "978-3-16-148410-0"]]
    )
    assert issn == "0964-6906; 0306-4530; 1558-366X"
    assert isbn == "9783161484100"
    assert normalize.split_serials(["12345", "ABCDEFG"]) == (None, None)


@pytest.mark.parametrize(
    ("cell", "authors"),
    [
        ("Li W., Dou Z., Cui L.", ["Li W.", "Dou Z.", "Cui L."]),
        ("Smith, J.", ["Smith, J."]),
        ("van der Berg, Jan", ["van der Berg, Jan"]),
        ("Li, W.; Dou, Z.", ["Li, W.", "Dou, Z."]),
        ("Haddaway, Neal R. and Feierman, Andrew", ["Haddaway, Neal R.", "Feierman, Andrew"]),
    ],
)
def test_authors_in_one_cell(cell: str, authors: list[str]) -> None:
    assert normalize.split_authors(cell) == authors


def test_authors_come_from_the_first_tag_that_has_any() -> None:
    assert normalize.author_list([[], ["Smith, A"], ["Jones, B"]]) == ["Smith, A"]


def test_keywords_are_split_cleaned_and_kept_once() -> None:
    assert normalize.keyword_list([["a; b", "c|a"], "d\n e ", None]) == ["a", "b", "c", "d", "e"]


def test_text_is_one_clean_line() -> None:
    assert normalize.clean_text("  A\u00a0 title\n  over\tlines\x0b ") == "A title over lines"
    assert normalize.clean_text(" \n ") is None
