"""Copies that one database garbles: author lists with swapped given/family names or a
particle read as a name, and conference papers indexed under the event's full name in one
database and its acronym (a year later) in another.

Each case is a synthetic pair of copies of one record, written the way databases export them.
"""

from __future__ import annotations

from review_app.domain.dedup import DedupRecord, find_duplicates
from review_app.domain.dedup.authors import AuthorName, normalise_authors, swapped
from review_app.domain.dedup.compare import compare_authors
from review_app.domain.dedup.journals import journal_variants, journals_match, same_event

TITLE = "Process mining for clinical pathways: a systematic review of discovery methods"


def _authors_level(a: list[str], b: list[str]) -> str:
    return compare_authors(tuple(normalise_authors(a)), tuple(normalise_authors(b))).level


def _article(record_id: int, authors: list[str]) -> DedupRecord:
    return DedupRecord(
        id=record_id,
        title=TITLE,
        authors=authors,
        year=2019,
        journal="Journal of Biomedical Informatics",
        volume="95",
    )


def test_swapped_given_and_family_names_agree() -> None:
    full = ["Carignani, Andrea", "Rossi, Marco", "Bianchi, Luca"]
    assert _authors_level(full, ["Andrea, C.", "Marco, R.", "Luca, B."]) == "same"


def test_a_particle_taken_for_the_family_name_agrees() -> None:
    assert _authors_level(["Le Quintrec, Moglie", "Rossi, Marco"], ["Le, Q. M.", "Rossi, M."]) == (
        "same"
    )


def test_a_dropped_particle_agrees() -> None:
    assert _authors_level(
        ["Le Quintrec, Moglie", "Rossi, Marco"], ["Quintrec, M.", "Rossi, M."]
    ) == ("same")


def test_swapping_needs_both_first_letters_to_cross() -> None:
    assert swapped(AuthorName("andrea", "c"), AuthorName("carignani", "a"))
    assert not swapped(AuthorName("andrea", "c"), AuthorName("carignani", "b"))
    assert not swapped(AuthorName("andrea", ""), AuthorName("carignani", "a"))
    assert swapped(AuthorName("le", "qm"), AuthorName("quintrec", "m"))
    assert not swapped(AuthorName("le", "q"), AuthorName("quintrec", "x"))  # no given initial


def test_other_authors_in_other_positions_stay_different() -> None:
    # Crossing first letters at different positions of the lists are not a swap.
    level = _authors_level(["Carignani, Andrea", "Rossi, Marco"], ["Moretti, Paolo", "Andrea, C."])
    assert level != "same"


def test_copy_with_swapped_names_and_no_pages_is_merged() -> None:
    """Without pages the record's evidence is thin; garbled authors used to sink it."""
    a = _article(1, ["Carignani, Andrea", "Rossi, Marco", "Bianchi, Luca"])
    b = _article(2, ["Andrea, C.", "Marco, R.", "Luca, B."])
    assert find_duplicates([a, b]).clusters == [{1, 2}]


FULL_EVENT = "Proceedings of the 27th European Conference on Information Systems (ECIS 2019)"


def _paper(record_id: int, authors: list[str], year: int, venue: str) -> DedupRecord:
    return DedupRecord(id=record_id, title=TITLE, authors=authors, year=year, journal=venue)


def test_event_acronym_names_the_same_proceedings() -> None:
    full, short = journal_variants(FULL_EVENT), journal_variants("ECIS 2019 Proceedings")
    assert journals_match(full, short)
    assert same_event(full, journal_variants("ECIS'20 Proceedings"))
    assert not same_event(full, journal_variants("ICIS 2019 Proceedings"))


def test_capitals_in_a_journal_name_are_not_an_event() -> None:
    assert not same_event(journal_variants("JAMA 2019"), journal_variants("JAMA 2019"))


def test_conference_paper_indexed_twice_is_merged() -> None:
    """Full event name with pages and full names; acronym, initials swapped, a year later."""
    a = DedupRecord(
        id=1,
        title=TITLE,
        authors=["Carignani, Andrea", "Rossi, Marco"],
        year=2019,
        journal=FULL_EVENT,
        pages="1-15",
    )
    b = _paper(2, ["Andrea, C.", "Marco, R."], 2020, "ECIS 2019 Proceedings")
    assert find_duplicates([a, b]).clusters == [{1, 2}]


def test_same_title_at_another_event_a_year_later_is_not_merged() -> None:
    a = _paper(1, ["Carignani, Andrea", "Rossi, Marco"], 2019, FULL_EVENT)
    b = _paper(2, ["Carignani, A.", "Rossi, M."], 2020, "ICIS 2020 Proceedings")
    assert find_duplicates([a, b]).clusters == []
