"""Author lists mangled in one copy: swapped given/family names, a particle read as a name.

Each case is a synthetic pair of copies of one record whose title, year, venue and numbers
agree; the second copy's authors are written the way some databases garble them.
"""

from __future__ import annotations

from review_app.domain.dedup import DedupRecord, find_duplicates
from review_app.domain.dedup.authors import AuthorName, normalise_authors, swapped
from review_app.domain.dedup.compare import compare_authors

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


def test_other_authors_in_other_positions_stay_different() -> None:
    # Crossing first letters at different positions of the lists are not a swap.
    level = _authors_level(["Carignani, Andrea", "Rossi, Marco"], ["Moretti, Paolo", "Andrea, C."])
    assert level != "same"


def test_copy_with_swapped_names_and_no_pages_is_merged() -> None:
    """Without pages the record's evidence is thin; garbled authors used to sink it."""
    a = _article(1, ["Carignani, Andrea", "Rossi, Marco", "Bianchi, Luca"])
    b = _article(2, ["Andrea, C.", "Marco, R.", "Luca, B."])
    assert find_duplicates([a, b]).clusters == [{1, 2}]
