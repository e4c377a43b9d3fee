"""The starting level (GRADE guidance 18) and what ``suggest`` returns for every domain."""

from __future__ import annotations

import pytest

from review_app.domain.grade.model import Certainty, EvidenceDesign, GradeDomain, Rating
from review_app.domain.grade.rules import starting_level, suggest
from tests.domain.grade.rules_evidence import BCG_POOLED, bcg_studies, outcome, study

NRS = EvidenceDesign.NON_RANDOMISED


def test_no_studies_has_no_starting_level() -> None:
    assert starting_level(outcome()) is None


@pytest.mark.parametrize(
    ("studies", "expected"),
    [
        ((study("A"), study("B")), Certainty.HIGH),
        ((study("A", design=NRS, rob_tool="ROBINS-I"),), Certainty.HIGH),
        ((study("A", design=NRS, rob_tool="ROBINS-I V2"),), Certainty.HIGH),
        ((study("A"), study("B", design=NRS, rob_tool="ROBINS-I")), Certainty.HIGH),
        ((study("A", design=NRS, rob_tool=""),), Certainty.LOW),
        ((study("A", design=NRS, rob_tool="ROBINS-I"), study("B", design=NRS)), Certainty.LOW),
        ((study("A"), study("B", design=NRS, rob_tool="RoB 2")), Certainty.LOW),
    ],
)
def test_starting_level(studies: tuple, expected: Certainty) -> None:
    assert starting_level(outcome(studies)) is expected


def test_every_domain_is_suggested_in_profile_order() -> None:
    suggestions = suggest(outcome(bcg_studies(), BCG_POOLED))
    assert list(suggestions) == list(GradeDomain)
    for domain, suggestion in suggestions.items():
        assert suggestion.domain is domain
        assert suggestion.rule.endswith(").")
        assert suggestion.rating is None or suggestion.rating in domain.ratings


def test_without_studies_nothing_is_rated() -> None:
    suggestions = suggest(outcome())
    assert all(s.rating is None for s in suggestions.values())
    assert "No study measured this outcome" in suggestions[GradeDomain.IMPRECISION].rule


def test_bcg_as_metafor_gives_it() -> None:
    """dat.bcg, all at low risk of bias: very serious inconsistency (I² 92 %, estimates on both
    sides, prediction interval from RR 0.14 to 1.76), precise (CI 0.33 to 0.73 beyond 0.75)."""
    suggestions = suggest(outcome(bcg_studies(), BCG_POOLED))
    ratings = {domain: s.rating for domain, s in suggestions.items()}
    assert ratings == {
        GradeDomain.RISK_OF_BIAS: Rating.NOT_SERIOUS,
        GradeDomain.INCONSISTENCY: Rating.VERY_SERIOUS,
        GradeDomain.INDIRECTNESS: Rating.NOT_SERIOUS,
        GradeDomain.IMPRECISION: Rating.NOT_SERIOUS,
        GradeDomain.PUBLICATION_BIAS: Rating.NOT_SERIOUS,
        GradeDomain.LARGE_EFFECT: Rating.NO_UPGRADE,
        GradeDomain.DOSE_RESPONSE: Rating.NO_UPGRADE,
        GradeDomain.CONFOUNDING: Rating.NO_UPGRADE,
    }
