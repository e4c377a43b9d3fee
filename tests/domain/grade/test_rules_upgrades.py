"""Rating up: never for randomised evidence; a large effect for non-randomised evidence beyond
2 or 0.5 (one level) and 5 or 0.2 (two levels) when risk of bias is not a concern."""

from __future__ import annotations

import pytest

from review_app.domain.grade.model import EvidenceDesign, GradeDomain, Rating, RobLevel
from review_app.domain.grade.rules import (
    suggest,
    suggest_confounding,
    suggest_dose_response,
    suggest_large_effect,
    suggest_risk_of_bias,
)
from review_app.domain.vocabulary import EffectMeasure
from tests.domain.grade.rules_evidence import outcome, pooled, study

NRS = EvidenceDesign.NON_RANDOMISED


def _cohorts(ratio: float, rob: RobLevel = RobLevel.LOW, measure=EffectMeasure.RR):
    studies = (study("A", design=NRS, rob=rob), study("B", design=NRS, rob=rob))
    return outcome(studies, pooled(measure, estimate=ratio, ci=(ratio * 0.9, ratio * 1.1)))


def _large(ratio: float, rob: RobLevel = RobLevel.LOW, measure=EffectMeasure.RR):
    evidence = _cohorts(ratio, rob, measure)
    return suggest_large_effect(evidence, suggest_risk_of_bias(evidence))


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (2.0, Rating.NO_UPGRADE),
        (2.01, Rating.UPGRADE_ONE),
        (0.5, Rating.NO_UPGRADE),
        (0.49, Rating.UPGRADE_ONE),
        (5.0, Rating.UPGRADE_ONE),
        (5.01, Rating.UPGRADE_TWO),
        (0.2, Rating.UPGRADE_ONE),
        (0.19, Rating.UPGRADE_TWO),
    ],
)
def test_large_effect_thresholds(ratio: float, expected: Rating) -> None:
    assert _large(ratio).rating is expected


def test_odds_ratios_too() -> None:
    suggestion = _large(0.3, measure=EffectMeasure.OR)
    assert suggestion.rating is Rating.UPGRADE_ONE
    assert (
        suggestion.footnote
        == "Rated up one level: a large effect (OR 0.30 (95 % CI 0.27 to 0.33))."
    )


def test_not_when_risk_of_bias_is_downgraded() -> None:
    suggestion = _large(0.1, rob=RobLevel.HIGH)
    assert suggestion.rating is Rating.NO_UPGRADE
    assert "only when no downgrade is suggested for risk of bias" in suggestion.rule


def test_risk_of_bias_not_judged_leaves_it_to_the_reviewer() -> None:
    suggestion = _large(0.1, rob=RobLevel.NOT_ASSESSED)
    assert suggestion.rating is None
    assert suggestion.prompts


def test_a_mean_difference_is_judged_by_the_reviewer() -> None:
    evidence = outcome(
        (study("A", design=NRS),), pooled(EffectMeasure.MD, estimate=-2.0, ci=(-3.0, -1.0))
    )
    suggestion = suggest_large_effect(evidence, suggest_risk_of_bias(evidence))
    assert suggestion.rating is None
    assert suggestion.prompts


def test_randomised_evidence_is_not_rated_up() -> None:
    evidence = outcome((study("A"), study("B")), pooled(estimate=0.1, ci=(0.05, 0.2)))
    for domain, found in suggest(evidence).items():
        if domain.is_upgrade:
            assert found.rating is Rating.NO_UPGRADE
            assert found.rule.startswith("Randomised evidence is not rated up")


@pytest.mark.parametrize("rule", [suggest_dose_response, suggest_confounding])
def test_non_randomised_dose_response_and_confounding_prompt(rule) -> None:
    suggestion = rule(_cohorts(0.3))
    assert suggestion.rating is None
    assert suggestion.prompts
    assert suggestion.domain in {GradeDomain.DOSE_RESPONSE, GradeDomain.CONFOUNDING}
