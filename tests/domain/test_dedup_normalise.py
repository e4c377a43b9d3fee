"""Deduplication normalisers on literals (one quirk each), and properties with hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from review_app.domain.dedup import (
    AuthorName,
    journal_variants,
    journals_match,
    normalise_authors,
    normalise_doi,
    normalise_pages,
    normalise_pmid,
    normalise_title,
    normalise_year,
    split_author_list,
)
from review_app.domain.dedup.kinds import is_meeting, notice_from_type, strip_notice
from review_app.domain.dedup.text import parse_title


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Über die Straße: Ærø", "uber die strasse aero"),  # Unicode folding
        ("THE Effect Of X", "the effect of x"),  # case
        ("Effect of X: a trial.", "effect of x a trial"),  # punctuation, trailing period
        ("SGLT2 in Ldlr<sup>-/-</sup> mice", "sglt2 in ldlr mice"),  # HTML tags
        ("TNF-α &amp; IL-6", "tnf alpha il 6"),  # entities, Greek letters spelled out
        ("Effects of exenatide. [Chinese]", "effects of exenatide"),
        ("Über X [Article in German].", "uber x"),
        ("[A study on the use of vaccine]", "a study on the use of vaccine"),  # MEDLINE brackets
        ("Trial X.[Erratum appears in N Engl J Med 2005;352(20):2146]", "trial x"),
        ('"Corticosteroids in pleurisy"', "corticosteroids in pleurisy"),
        ("Control of X [abstract no: 134]", "control of x"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_title(raw: str | None, expected: str) -> None:
    assert normalise_title(raw) == expected


def test_title_notes_are_kept_and_translations_flagged() -> None:
    parts = parse_title("Über X [Article in German]")
    assert parts.notes == ("article in german",)
    assert parts.translated
    assert parse_title("[Pleuritis carcinomatosa]").translated
    assert not parse_title("Discovery of benzo[d]isoxazole amines").translated


@pytest.mark.parametrize(
    ("title", "kind", "rest"),
    [
        ("Erratum: Effects of X on Y", "erratum", "effects of x on y"),
        ("Correction to: Effects of X", "erratum", "effects of x"),
        (
            "Correction of hyperglycaemia by insulin",
            None,
            "correction of hyperglycaemia by insulin",
        ),
        ("Retraction notice to: Effects of X", "retraction", "effects of x"),
        ("RETRACTED: Effects of X", None, "effects of x"),  # the article itself, flagged
        ("Comment on: Effects of X", "comment", "effects of x"),
        ("Re: Effects of X", "comment", "effects of x"),
        ("Reply to: Effects of X", "reply", "effects of x"),
        ("Response to treatment with X", None, "response to treatment with x"),
    ],
)
def test_notices_are_read_from_titles(title: str, kind: str | None, rest: str) -> None:
    found, remainder = strip_notice(title)
    assert (found, remainder) == (kind, rest)


def test_notices_from_publication_type_and_notes() -> None:
    assert notice_from_type("Published Erratum") == "erratum"
    assert notice_from_type("Retraction of Publication") == "retraction"
    assert notice_from_type("Journal Article; Comment") == "comment"
    assert notice_from_type("Journal Article") is None
    assert notice_from_type(None, ("erratum",)) == "erratum"


def test_meeting_abstracts_are_recognised() -> None:
    def meeting(**fields: str | None) -> bool:
        base: dict[str, str | None] = dict.fromkeys(
            ("journal", "volume", "issue", "pages", "publication_type")
        )
        return is_meeting(notes=(), **{**base, **fields})

    assert meeting(journal="Circulation. Conference: American Heart Association")
    assert meeting(issue="3 MeetingAbstracts")
    assert meeting(publication_type="Conference Abstract")
    assert not meeting(journal="Diabetes", issue="Supplement 1", pages="A254")
    assert is_meeting(
        notes=("abstract no 134",),
        journal=None,
        volume=None,
        issue=None,
        pages=None,
        publication_type=None,
    )


@pytest.mark.parametrize(
    "name",
    ["Zheng, Qing-Feng", "Zheng Q. F.", "Zheng QF", "Qing-Feng Zheng", "Zheng, Q.F.", "ZHENG QF"],
)
def test_author_styles_agree(name: str) -> None:
    assert normalise_authors([name]) == [AuthorName("zheng", "qf")]


@pytest.mark.parametrize(
    ("name", "family", "initials"),
    [
        ("van Schalkwyk, E. M.", "schalkwyk", "em"),  # particles dropped (some databases do)
        ("Lynch Jr, T. J.", "lynch", "tj"),  # suffixes dropped
        ("Lynch, T. J., Jr.", "lynch", "tj"),
        ("Müller-Werdan, U.", "mullerwerdan", "u"),
        ("O'Brien K", "obrien", "k"),
        ("J.R.R. Tolkien", "tolkien", "jrr"),
        ("El Hachmane M.", "hachmane", "m"),
    ],
)
def test_author_quirks(name: str, family: str, initials: str) -> None:
    assert normalise_authors([name]) == [AuthorName(family, initials)]


def test_author_lists_in_one_string_are_split() -> None:
    assert split_author_list("Kim S.Yang J.Jeong J. S.") == ["Kim S.", "Yang J.", "Jeong J. S."]
    assert split_author_list("Smith, J. and Jones, K.; Lee, M.") == [
        "Smith, J.",
        "Jones, K.",
        "Lee, M.",
    ]
    assert split_author_list("Smith J, Jones K") == ["Smith J", "Jones K"]
    assert split_author_list("Smith, John") == ["Smith, John"]
    assert split_author_list("et al.") == []
    assert [a.family for a in normalise_authors(["Adeli K.Lewis G. F."])] == ["adeli", "lewis"]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("J Biol Med", "Journal of Biological Medicine", True),
        ("Proc Natl Acad Sci U S A", "Proceedings of the National Academy of Sciences", False),
        (
            "Proc Natl Acad Sci U S A",
            "Proceedings of the National Academy of Sciences of the United States of America",
            True,
        ),
        ("Eur J Cardiothorac Surg", "European Journal of Cardio-Thoracic Surgery", True),
        ("JPEN. Journal of parenteral and enteral nutrition", "Jpen", True),
        ("Circulation. Conference: American Heart Association", "Circulation", True),
        ("Aizheng", "Ai zheng = Aizheng = Chinese journal of cancer", True),
        ("Chinese Journal of Cancer", "Ai zheng = Aizheng = Chinese journal of cancer", True),
        ("Lung Cancer", "Lung cancer (Amsterdam, Netherlands)", True),
        ("Jthoraccardiovascsurg", "Journal of Thoracic & Cardiovascular Surgery", True),
        ("Americas Conference on Information Systems", "AMCIS 2017 Proceedings", True),
        ("Cancer", "Cancer Investigation", False),
        ("Journal of Surgical Oncology", "European Journal of Surgical Oncology", False),
        ("J. Biol. Chem.", "J. Biol. Inorg. Chem.", False),
    ],
)
def test_journal_names_and_abbreviations(a: str, b: str, same: bool) -> None:
    assert journals_match(journal_variants(a), journal_variants(b)) is same


@pytest.mark.parametrize(
    ("raw", "start", "end"),
    [
        ("91-2", "91", "92"),
        ("91-92", "91", "92"),
        ("1872-80", "1872", "1880"),
        ("e123", "e123", None),
        ("e182-5", "e182", "e185"),
        ("S31-S32", "s31", "s32"),
        ("21-Aug", "21", "28"),  # a spreadsheet turned "21-8" into a date
        ("pp. 12-15", "12", "15"),
        ("617-20; discussion 620-1", "617", "620"),
        ("527-532.e1", "527", "532"),
        ("(no pagination)", None, None),
        (None, None, None),
    ],
)
def test_pages(raw: str | None, start: str | None, end: str | None) -> None:
    pages = normalise_pages(raw)
    assert (pages.start, pages.end) == (start, end)


def test_pages_keep_every_range_start() -> None:
    assert normalise_pages("233-8, 230-5, 246-51").starts == {"233", "230", "246"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://dx.doi.org/10.1016/j.envpol.2018.07.039", "10.1016/j.envpol.2018.07.039"),
        ("DOI 10.1016/J.JVS.2017.03.363", "10.1016/j.jvs.2017.03.363"),
        ("https://doi.org/10.1016/0140-6736(92)91234-X.", "10.1016/0140-6736(92)91234-x"),
        ("doi:10.1000/xyz123)", "10.1000/xyz123"),
        ("https://doi.org/10.1000%2Fabc.def", "10.1000/abc.def"),
        ("not a doi", None),
    ],
)
def test_doi(raw: str, expected: str | None) -> None:
    assert normalise_doi(raw) == expected


def test_year_and_pmid() -> None:
    assert normalise_year("2008/05/01") == 2008
    assert normalise_year("c2010") == 2010
    assert normalise_year(2010) == 2010
    assert normalise_year("n.d.") is None
    assert normalise_year(12) is None
    assert normalise_pmid("PMID: 012345") == "12345"
    assert normalise_pmid("") is None


texts = st.text(max_size=200)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_title_normaliser_is_idempotent_and_total(text: str) -> None:
    once = normalise_title(text)
    assert normalise_title(once) == once
    assert once == once.strip() and "  " not in once


@settings(max_examples=300, deadline=None)
@given(texts)
def test_identifier_normalisers_are_idempotent_and_total(text: str) -> None:
    doi = normalise_doi(text)
    assert doi is None or normalise_doi(doi) == doi
    pmid = normalise_pmid(text)
    assert pmid is None or normalise_pmid(pmid) == pmid
    year = normalise_year(text)
    assert year is None or normalise_year(year) == year


@settings(max_examples=300, deadline=None)
@given(texts)
def test_pages_normaliser_is_idempotent_and_total(text: str) -> None:
    pages = normalise_pages(text)
    if pages.start is not None:
        written = pages.start + (f"-{pages.end}" if pages.end else "")
        again = normalise_pages(written)
        assert (again.start, again.end) == (pages.start, pages.end)


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, max_size=5))
@example(names=["I0v0A"])  # family "iv", once dropped as the suffix IV when written back
def test_author_normaliser_is_total_and_stable(names: list[str]) -> None:
    parsed = normalise_authors(names)
    rewritten = [f"{a.family}, {' '.join(a.initials)}".strip(", ") for a in parsed]
    assert [a.family for a in normalise_authors(rewritten)] == [a.family for a in parsed]


@settings(max_examples=200, deadline=None)
@given(texts, texts)
def test_journal_matching_is_total_and_symmetric(a: str, b: str) -> None:
    va, vb = journal_variants(a), journal_variants(b)
    assert journals_match(va, vb) == journals_match(vb, va)
    if va:
        assert journals_match(va, va)
