"""Inconsistency: I² with its CI (equal to metafor's ``confint``), and the rule at I² 50 % and
75 %, with estimates on both sides of the null and the prediction interval against the null
and the MID (RR 0.75 and 1.25 without a protocol MID)."""

from __future__ import annotations

import math

import pytest

from review_app.domain.grade.consistency import i2_interval, suggest_inconsistency
from review_app.domain.grade.model import Rating
from review_app.errors import ValidationError
from tests.domain.grade.rules_evidence import (
    BCG_POOLED,
    bcg_studies,
    outcome,
    pooled,
    replace,
    study,
)

LOG = math.log


def test_i2_interval_equals_metafor_confint() -> None:
    """confint(rma(yi, vi, data = escalc("RR", ...dat.bcg))): I^2(%) 92.2214 [81.9177, 97.6781]
    (R 4.2.2, metafor 3.8-1)."""
    variances = [s.vi for s in bcg_studies() if s.vi is not None]
    low, high = i2_interval(0.119695312816638, 1.11148626221544, variances)
    assert low == pytest.approx(81.91772272, abs=1e-6)
    assert high == pytest.approx(97.67808961, abs=1e-6)


def test_i2_interval_refuses_a_single_study() -> None:
    with pytest.raises(ValidationError, match="two or more studies"):
        i2_interval(0.1, 0.2, [0.3])


def test_bcg_facts() -> None:
    suggestion = suggest_inconsistency(outcome(bcg_studies(), BCG_POOLED))
    facts = {f.label: f.value for f in suggestion.facts}
    assert facts["I² (95 % CI)"] == "92.2 % (81.9 % to 97.7 %)"
    assert facts["tau²"] == "0.31"
    assert facts["95 % prediction interval"] == "RR 0.14 to 1.76"
    assert facts["Study estimates"] == "11 below and 2 above the null"
    assert suggestion.rating is Rating.VERY_SERIOUS


def _two_sided(i2: float, pi: tuple[float, float], ci: tuple[float, float] = (0.6, 0.9)):
    """Two studies on either side of the null, pooled RR 0.75 with the given CI and PI."""
    studies = (study("A", yi=LOG(0.5), vi=0.04), study("B", yi=LOG(1.1), vi=0.04))
    result = pooled(estimate=0.75, ci=ci, i2=i2, pi_low=LOG(pi[0]), pi_high=LOG(pi[1]), tau2=0.1)
    return outcome(studies, result)


@pytest.mark.parametrize(
    ("i2", "pi", "expected"),
    [
        (75.0, (0.5, 1.5), Rating.VERY_SERIOUS),
        (74.9, (0.5, 1.5), Rating.SERIOUS),
        (75.0, (0.5, 1.2), Rating.SERIOUS),  # the PI stops short of appreciable harm (1.25)
        (75.0, (0.8, 1.5), Rating.SERIOUS),  # ... and of appreciable benefit (0.75)
        (50.0, (0.5, 1.5), Rating.SERIOUS),
        (49.9, (0.5, 1.5), Rating.NOT_SERIOUS),
    ],
)
def test_i2_thresholds_with_estimates_on_both_sides(
    i2: float, pi: tuple[float, float], expected: Rating
) -> None:
    assert suggest_inconsistency(_two_sided(i2, pi)).rating is expected


def _one_sided(i2: float, pi: tuple[float, float], ci: tuple[float, float]):
    studies = (study("A", yi=LOG(0.5), vi=0.04), study("B", yi=LOG(0.8), vi=0.04))
    result = pooled(estimate=0.65, ci=ci, i2=i2, pi_low=LOG(pi[0]), pi_high=LOG(pi[1]))
    return outcome(studies, result)


@pytest.mark.parametrize(
    ("i2", "pi", "ci", "expected"),
    [
        (50.0, (0.3, 1.1), (0.5, 0.9), Rating.SERIOUS),  # PI includes 1, CI excludes it
        (49.9, (0.3, 1.1), (0.5, 0.9), Rating.NOT_SERIOUS),
        (50.0, (0.3, 0.95), (0.5, 0.9), Rating.NOT_SERIOUS),  # PI excludes the null
        (50.0, (0.3, 1.1), (0.5, 1.05), Rating.NOT_SERIOUS),  # the CI includes it too
        (90.0, (0.1, 3.0), (0.5, 0.9), Rating.SERIOUS),  # one side only: never very serious
    ],
)
def test_prediction_interval_against_the_null(
    i2: float, pi: tuple[float, float], ci: tuple[float, float], expected: Rating
) -> None:
    suggestion = suggest_inconsistency(_one_sided(i2, pi, ci))
    assert suggestion.rating is expected
    if expected is Rating.SERIOUS:
        assert "prediction interval includes the null while the CI excludes it" in suggestion.rule


def test_direction_of_benefit_decides_which_mid_the_pi_reaches() -> None:
    """Higher is better: benefit is above 1.25, harm below 0.75; the PI reaches both either
    way, so the rating stays; the words name both."""
    evidence = replace(_two_sided(80.0, (0.5, 1.5)), direction="higher_is_better")
    suggestion = suggest_inconsistency(evidence)
    assert suggestion.rating is Rating.VERY_SERIOUS
    facts = {f.label: f.value for f in suggestion.facts}
    assert (
        "RR 1.25 (benefit) and 0.75 (harm)" in facts["Prediction interval against the null and MID"]
    )


def test_one_study_is_not_applicable() -> None:
    suggestion = suggest_inconsistency(outcome((study("A", yi=0.2, vi=0.1),)))
    assert suggestion.rating is Rating.NOT_SERIOUS
    assert "not applicable" in suggestion.rule


def test_i2_from_the_studies_when_the_analysis_has_none() -> None:
    """Two studies 1.0 apart, weights 1/0.04 = 25: Q = 2 x 25 x 0.5² = 12.5, I² = (Q - 1)/Q =
    92 % (Higgins & Thompson 2002)."""
    studies = (study("A", yi=-0.6, vi=0.04), study("B", yi=0.4, vi=0.04))
    evidence = outcome(studies, pooled(estimate=0.9, ci=(0.6, 1.3)))
    suggestion = suggest_inconsistency(evidence)
    facts = {f.label: f.value for f in suggestion.facts}
    assert facts["I²"] == "92 %"
    assert suggestion.rating is Rating.SERIOUS


@pytest.mark.parametrize(
    ("estimates", "expected"),
    [((-0.2, 0.3), Rating.SERIOUS), ((-0.2, -0.3), Rating.NOT_SERIOUS)],
)
def test_without_a_pooled_result_the_sides_decide(
    estimates: tuple[float, float], expected: Rating
) -> None:
    studies = tuple(study(f"S{i}", yi=y) for i, y in enumerate(estimates))
    assert suggest_inconsistency(outcome(studies)).rating is expected


def test_narrative_without_estimates_prompts() -> None:
    suggestion = suggest_inconsistency(outcome((study("A"), study("B"))))
    assert suggestion.rating is None
    assert suggestion.prompts
