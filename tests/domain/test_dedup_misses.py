"""Recovered miss classes of issue 18, each from a synthetic pair and a near miss kept apart.

- Article numbers: two copies of one Cochrane review (or one e-located article) agree on the
  number that names it, where a shared first page says little.
- One citation exported twice, one copy without pages: identical title, author list, year
  and journal, nothing disagreeing.
- The review queue holds no pair that certain pairs already merged through other copies.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from review_app.domain.dedup import DedupRecord, find_duplicates, normalise_pages


def decision_of(a: DedupRecord, b: DedupRecord) -> str:
    """The engine's decision on the pair ("different" when not reported)."""
    result = find_duplicates([a, b])
    for pair in result.certain_pairs + result.uncertain_pairs:
        if {pair.a, pair.b} == {a.id, b.id}:
            return pair.decision
    return "different"


REVIEW = DedupRecord(
    id=1,
    title="Nebulised hypertonic saline for bronchiolitis in infants and young children",
    authors=["Okafor, B.", "Lindqvist, M.", "Tanaka, H."],
    year=2011,
    journal="Cochrane Database of Systematic Reviews",
    pages="CD004417",
)


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        ("CD004417", True),
        ("Cd000012", True),
        ("e43268", True),
        ("e12", False),  # the first page of an e-page range, perhaps
        ("S33", False),  # a supplement page, shared by the abstracts printed on it
        ("viii108", False),
        ("e43268-e43270", False),
        ("1324-1327", False),
    ],
)
def test_article_numbers_are_told_from_pages(pages: str, expected: bool) -> None:
    assert normalise_pages(pages).is_article_number is expected


def test_one_review_number_with_a_word_dropped_from_the_title_is_certain() -> None:
    shorter = replace(
        REVIEW, id=2, title="Nebulised hypertonic saline for bronchiolitis in infants"
    )
    assert decision_of(REVIEW, shorter) == "certain"
    # the same title change with only a first page in common: a person decides
    on_a_page = replace(REVIEW, pages="S33", journal="Thorax")
    assert decision_of(on_a_page, replace(shorter, pages="S33", journal="Thorax")) != "certain"
    # another review number is another review
    other = replace(shorter, pages="CD004418")
    assert decision_of(REVIEW, other) != "certain"


SHORT = replace(REVIEW, title="Corticosteroids for tuberculous pleurisy", pages="CD001876")


def test_one_citation_with_its_pages_missing_once_is_certain() -> None:
    no_pages = replace(SHORT, id=2, pages=None, authors=["Okafor B", "Lindqvist M", "Tanaka H"])
    assert decision_of(SHORT, no_pages) == "certain"


@pytest.mark.parametrize(
    ("both", "other"),
    [
        ({"authors": ["Okafor B"]}, {}),  # one name: an editor's recurring piece
        ({"title": "Tuberculous pleurisy"}, {}),  # two significant words: a generic title
        ({}, {"authors": ["Okafor B", "Lindqvist M", "Tanaka K"]}),  # another initial
        ({}, {"authors": ["Okafor B", "Tanaka H", "Lindqvist M"]}),  # another order
        ({"volume": "4"}, {"volume": "5"}),  # present on both sides and disagreeing
        ({"issue": "2"}, {"issue": "3"}),
    ],
)
def test_a_near_citation_stays_below_certain(
    both: dict[str, object], other: dict[str, object]
) -> None:
    base = replace(SHORT, **both)
    copy = replace(base, id=2, pages=None, **other)
    assert decision_of(base, copy) != "certain"


def test_queue_leaves_out_pairs_already_merged_through_other_copies() -> None:
    with_doi = replace(
        REVIEW,
        title="Corticosteroids for tuberculous pleurisy",
        pages=None,
        authors=["Okafor, B."],
        doi="10.1002/14651858.CD001876",
    )
    same_doi = replace(with_doi, id=2, pmid="17443508")
    same_pmid = replace(with_doi, id=3, doi=None, pmid="17443508")
    result = find_duplicates([with_doi, same_doi, same_pmid])
    assert result.clusters == [{1, 2, 3}]
    assert result.uncertain_pairs == []


def test_judgement_calls_go_to_a_person() -> None:
    """Left to the review queue on purpose, neither merged nor dropped: a review and its
    update years later (two versions, the author list grown), and one title by one author in
    a supplement and in a regular issue of one volume (two printed items)."""
    update = replace(REVIEW, id=2, year=2015, authors=[*REVIEW.authors, "Silva, R."], volume="6")
    assert decision_of(REVIEW, update) == "uncertain"
    article = DedupRecord(
        id=3,
        title="Differentiation therapy in acute promyelocytic leukaemia",
        authors=["Moreau, P. L."],
        year=1997,
        journal="Leukemia Research",
        volume="11",
        pages="1262-1268",
    )
    in_supplement = replace(article, id=4, volume="11 Suppl 2", pages="S33-38")
    assert decision_of(article, in_supplement) == "uncertain"
