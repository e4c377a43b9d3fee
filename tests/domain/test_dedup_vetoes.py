"""Vetoes in the pair decision, each from a synthetic pair of the false merges of issue 18.

An article and its authors' reply share title, journal, volume, issue and page; two generic
editorials in two issues of one journal share all but their issue and DOI. Both looked like
one record to the weights; a rule in the pair decision keeps them apart.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from review_app.domain.dedup import DedupRecord, find_duplicates
from review_app.domain.dedup.kinds import strip_notice

TITLE = "Inhaled corticosteroids and the risk of pneumonia in chronic obstructive pulmonary disease"
ARTICLE = DedupRecord(
    id=1,
    title=TITLE,
    authors=["Martin, Claire", "Okafor, Daniel"],
    year=2019,
    journal="Respiratory Medicine",
    volume="150",
    issue="4",
    pages="212",
)


def decision_of(a: DedupRecord, b: DedupRecord) -> tuple[str, list[str]]:
    """The engine's decision on the pair and its rules ("different", [] when not reported)."""
    result = find_duplicates([a, b])
    for pair in result.certain_pairs + result.uncertain_pairs:
        if {pair.a, pair.b} == {a.id, b.id}:
            return pair.decision, pair.evidence["rules"]
    return "different", []


@pytest.mark.parametrize(
    "title",
    [
        TITLE.upper() + " AUTHORS REPLY",
        TITLE + " AUTHORS REPLY",
        TITLE + ". Authors' reply",
        TITLE + ": Author's reply.",
        TITLE + " - Reply",
        TITLE + " (Response)",
        TITLE + " [authors’ response]",
        "Response: " + TITLE,
        "Reply. " + TITLE,
        "Response to: " + TITLE,
        "Authors' response - " + TITLE,
    ],
)
def test_the_authors_reply_is_not_the_article(title: str) -> None:
    reply = replace(ARTICLE, id=2, title=title)
    assert decision_of(ARTICLE, reply)[0] == "different"
    assert find_duplicates([ARTICLE, reply]).clusters == []
    # two copies of the same reply are still one record
    copy = replace(reply, id=3, title=title.lower())
    assert find_duplicates([reply, copy]).clusters == [{2, 3}]


@pytest.mark.parametrize(
    "title",
    [
        "Respiratory muscle training and the ventilatory response",
        "Bronchial hyperresponsiveness and the dose-response",
        "AIRWAY INFLAMMATION AND THE IMMUNE RESPONSE",
        "Response of airway smooth muscle to salbutamol",
        "Response to treatment: a cohort of adults with asthma",
    ],
)
def test_response_as_a_word_of_the_title_is_no_reply(title: str) -> None:
    assert strip_notice(title)[0] is None


EDITORIAL = DedupRecord(
    id=1,
    title="Editorial introduction",
    authors=["Jones, Peter"],
    year=2020,
    journal="Journal of Information Technology",
    volume="35",
    issue="1",
    pages="1-2",
    doi="10.1177/0268396219896811",
)


def test_two_dois_veto_the_merge_of_look_alike_editorials() -> None:
    next_issue = replace(EDITORIAL, id=2, issue="2", doi="10.1177/0268396220912345")
    decision, rules = decision_of(EDITORIAL, next_issue)
    assert decision != "certain"
    assert "doi_conflict" in rules
    assert find_duplicates([EDITORIAL, next_issue]).clusters == []
    # the issue missing from one copy: the DOIs alone still veto
    no_issue = replace(next_issue, issue=None)
    assert decision_of(EDITORIAL, no_issue)[0] != "certain"


def test_one_doi_written_two_ways_is_no_conflict() -> None:
    copy = replace(EDITORIAL, id=2, doi="HTTPS://DOI.ORG/10.1177/0268396219896811")
    other = replace(EDITORIAL, id=3, doi="doi:10.1177/0268396219896811.")
    result = find_duplicates([EDITORIAL, copy, other])
    assert result.clusters == [{1, 2, 3}]
    assert all("doi_conflict" not in p.evidence["rules"] for p in result.certain_pairs)


def test_the_same_abstract_outweighs_a_wrong_doi() -> None:
    """One database attached another journal's DOI; title, abstract and citation agree."""
    abstract = "Background: pneumonia is feared in COPD. Methods: a cohort of 4,000 patients. " * 3
    article = replace(ARTICLE, abstract=abstract, doi="10.1016/j.rmed.2019.03.010")
    wrong = replace(article, id=2, doi="10.1016/j.regpep.2019.03.039", issue=None)
    assert decision_of(article, wrong)[0] == "certain"
    # without the abstract, the DOIs decide: a person looks
    bare = replace(wrong, abstract=None)
    assert decision_of(replace(article, abstract=None), bare)[0] == "uncertain"
