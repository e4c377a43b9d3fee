"""Imprecision: the optimal information size against published numbers and hand computations,
the thresholds, and the rule at each threshold (the CI against the null and RR 0.75 / 1.25 or
the MID, then the participants against the OIS)."""

from __future__ import annotations

import math

import pytest
from scipy.stats import norm

from review_app.domain.grade.imprecision import (
    control_risk,
    median_sd,
    optimal_information_size,
    suggest_imprecision,
    thresholds,
)
from review_app.domain.grade.model import Rating
from review_app.domain.vocabulary import EffectMeasure
from review_app.errors import ValidationError
from tests.domain.grade.rules_evidence import outcome, pooled, replace, study

Z = norm.ppf(0.975) + norm.ppf(0.80)


# --- the optimal information size -----------------------------------------------------------


def test_cohen_table_small_effect() -> None:
    """Cohen 1988, Table 2.4.1 (two-tailed alpha 0.05, power 0.80): d = 0.20 needs 393 per
    group; the normal approximation gives 392.4, rounded up to the same 393."""
    assert optimal_information_size(sd=1.0, mid=0.2) == 2 * 393


@pytest.mark.parametrize(("d", "cohen_per_group"), [(0.5, 64), (0.8, 26)])
def test_cohen_table_larger_effects_within_the_t_correction(d: float, cohen_per_group: int) -> None:
    """Cohen's table uses t: one or two more per group than the normal approximation."""
    per_group = optimal_information_size(sd=1.0, mid=d) // 2
    assert 0 < cohen_per_group - per_group <= 2


def test_grade_figure_control_risk_20_percent() -> None:
    """GRADE guidance 6 (figure of OIS by control event rate; KCE process book 5.5.4): control
    risk 0.2 and RRR 25 % need "approximately 2,000" patients; the formula gives 1,806."""
    total = optimal_information_size(control_risk=0.2)
    assert total == 1806
    assert 1800 <= total <= 2000


@pytest.mark.parametrize(("risk", "change"), [(0.1, 0.25), (0.05, 0.25), (0.3, 0.2)])
def test_dichotomous_by_hand(risk: float, change: float) -> None:
    treated = risk * (1 - change)
    per_group = Z**2 * (risk * (1 - risk) + treated * (1 - treated)) / (risk - treated) ** 2
    expected = 2 * math.ceil(per_group)
    assert optimal_information_size(control_risk=risk, relative_change=change) == expected


def test_continuous_by_hand() -> None:
    """SD 2.5 points, MID 1 point: 2 x 2 x 7.849 x 6.25 / 1 = 2 x 98.1 -> 198 in all."""
    assert optimal_information_size(sd=2.5, mid=1.0) == 2 * math.ceil(2 * Z**2 * 2.5**2)
    assert optimal_information_size(sd=2.5, mid=1.0) == 198


@pytest.mark.parametrize(
    "arguments",
    [
        {"control_risk": 0.0},
        {"control_risk": 1.2},
        {"control_risk": 0.2, "relative_change": 0.0},
        {"sd": 0.0, "mid": 1.0},
        {"sd": 1.0, "mid": 0.0},
        {"sd": 1.0},
        {},
        {"control_risk": 0.2, "alpha": 1.5},
    ],
)
def test_bad_input_is_refused_in_words(arguments: dict) -> None:
    with pytest.raises(ValidationError):
        optimal_information_size(**arguments)


def test_control_risk_and_sd_are_medians() -> None:
    studies = (
        study("A", control_events=10, control_total=100, control_sd=2.0, intervention_sd=3.0),
        study("B", control_events=30, control_total=100, control_sd=4.0),
        study("C", control_events=20, control_total=100),
        study("D"),
    )
    assert control_risk(studies) == pytest.approx(0.2)
    assert median_sd(studies) == pytest.approx(3.0)
    assert control_risk((study("D"),)) is None
    assert median_sd((study("D"),)) is None


# --- thresholds -----------------------------------------------------------------------------


def test_ratio_thresholds_follow_the_direction_of_benefit() -> None:
    lower = thresholds(outcome(), EffectMeasure.RR)
    assert (math.exp(lower.benefit or 0), math.exp(lower.harm or 0)) == pytest.approx((0.75, 1.25))
    higher = thresholds(outcome(direction="higher_is_better"), EffectMeasure.OR)
    assert (math.exp(higher.benefit or 0), math.exp(higher.harm or 0)) == pytest.approx(
        (1.25, 0.75)
    )


def test_a_relative_mid_replaces_the_25_percent() -> None:
    limits = thresholds(outcome(mid=20.0, mid_unit="% relative change"), EffectMeasure.RR)
    assert math.exp(limits.benefit or 0) == pytest.approx(0.80)
    assert limits.relative_change == pytest.approx(0.20)


def test_md_uses_the_mid_and_smd_a_small_effect() -> None:
    md = thresholds(outcome(type="continuous", mid=1.0, mid_unit="point"), EffectMeasure.MD)
    assert (md.benefit, md.harm) == (-1.0, 1.0)
    smd = thresholds(outcome(type="continuous"), EffectMeasure.SMD)
    assert (smd.benefit, smd.harm) == (-0.2, 0.2)
    assert not thresholds(outcome(type="continuous"), EffectMeasure.MD).known


# --- the rule -------------------------------------------------------------------------------


def _rr(ci: tuple[float, float], participants: int = 10_000, risk: float = 0.2, **fields):
    """Two trials, RR 0.7 with ``ci``; comparator risk ``risk``; ``participants`` in all."""
    studies = tuple(
        study(
            name,
            participants=participants // 2,
            control_events=risk * 100,
            control_total=100,
        )
        for name in ("A", "B")
    )
    estimate = math.sqrt(ci[0] * ci[1])
    return outcome(studies, pooled(estimate=estimate, ci=ci), **fields)


@pytest.mark.parametrize(
    ("ci", "expected"),
    [
        ((0.70, 1.30), Rating.VERY_SERIOUS),  # appreciable benefit and harm
        ((0.70, 1.25), Rating.SERIOUS),  # harm threshold reached, not passed; crosses the null
        ((0.75, 1.30), Rating.SERIOUS),
        ((0.60, 1.05), Rating.SERIOUS),  # crosses the null
        ((0.60, 0.80), Rating.SERIOUS),  # crosses the benefit threshold only
        ((0.80, 0.95), Rating.NOT_SERIOUS),  # precise: a small benefit
        ((0.50, 0.75), Rating.NOT_SERIOUS),  # reaches the threshold, does not cross it
    ],
)
def test_ci_against_null_and_thresholds(ci: tuple[float, float], expected: Rating) -> None:
    assert suggest_imprecision(_rr(ci)).rating is expected


def test_higher_is_better_swaps_benefit_and_harm() -> None:
    suggestion = suggest_imprecision(_rr((1.10, 1.40), direction="higher_is_better"))
    assert suggestion.rating is Rating.SERIOUS
    assert "the threshold of appreciable benefit" in suggestion.rule


@pytest.mark.parametrize(
    ("participants", "expected"), [(1806, Rating.NOT_SERIOUS), (1804, Rating.SERIOUS)]
)
def test_participants_against_the_ois(participants: int, expected: Rating) -> None:
    suggestion = suggest_imprecision(_rr((0.5, 0.7), participants=participants))
    assert suggestion.rating is expected
    facts = {f.label: f.value for f in suggestion.facts}
    assert facts["Participants vs OIS"].startswith(f"{participants:,} vs 1,806 (control risk 20 %")


def test_fewer_than_the_ois_footnote_and_prompt() -> None:
    suggestion = suggest_imprecision(_rr((0.5, 0.7), participants=400))
    assert suggestion.footnote.startswith(
        "Downgraded one level: 400 participants, fewer than the optimal information size of 1,806"
    )
    assert "two levels" in suggestion.prompts[0]


def test_no_estimate_is_very_serious() -> None:
    suggestion = suggest_imprecision(outcome((study("A", participants=12),)))
    assert suggestion.rating is Rating.VERY_SERIOUS
    assert "no estimate with a confidence interval" in suggestion.footnote
    assert "12 participants in 1 study" in suggestion.footnote


def _md(ci: tuple[float, float], mid: float | None = 1.0, n: int = 400, sd: float = 2.5):
    studies = (study("A", participants=n, control_sd=sd, intervention_sd=sd),)
    return outcome(
        studies,
        pooled(EffectMeasure.MD, estimate=sum(ci) / 2, ci=ci, k=1),
        type="continuous",
        mid=mid,
        mid_unit="point on a 0-10 NRS" if mid else "",
    )


@pytest.mark.parametrize(
    ("ci", "n", "expected"),
    [
        ((-1.5, 1.2), 400, Rating.VERY_SERIOUS),
        ((-1.5, -0.2), 400, Rating.SERIOUS),  # crosses the benefit threshold (-1)
        ((-0.9, -0.2), 198, Rating.NOT_SERIOUS),  # OIS 198 with SD 2.5 and MID 1
        ((-0.9, -0.2), 197, Rating.SERIOUS),
    ],
)
def test_mean_difference_against_the_mid(ci: tuple[float, float], n: int, expected: Rating) -> None:
    assert suggest_imprecision(_md(ci, n=n)).rating is expected


def test_mean_difference_without_a_mid() -> None:
    crossing = suggest_imprecision(_md((-0.5, 0.3), mid=None))
    assert crossing.rating is Rating.SERIOUS
    assert crossing.prompts
    clear = suggest_imprecision(_md((-0.9, -0.2), mid=None))
    assert clear.rating is None
    assert "no MID" in clear.rule


def test_facts_show_the_ci_against_the_thresholds() -> None:
    facts = {f.label: f.value for f in suggest_imprecision(_rr((0.70, 1.30))).facts}
    assert facts["Effect (95 % CI)"] == "RR 0.95 (95 % CI 0.70 to 1.30)"
    assert facts["Thresholds"].startswith("RR 0.75 (benefit) and 1.25 (harm)")
    assert facts["The CI crosses"] == (
        "the null, the threshold of appreciable benefit and the threshold of appreciable harm"
    )


def test_unknown_participants_leave_the_ois_to_the_reviewer() -> None:
    evidence = replace(_rr((0.5, 0.7)), studies=(study("A", control_events=20, control_total=100),))
    suggestion = suggest_imprecision(evidence)
    assert suggestion.rating is None
    assert suggestion.prompts


def test_a_mid_that_is_not_a_relative_change_leaves_the_25_percent() -> None:
    per_1000 = thresholds(outcome(mid=30.0, mid_unit="per 1,000"), EffectMeasure.RR)
    assert math.exp(per_1000.benefit or 0) == pytest.approx(0.75)
    assert "is not a relative change" in per_1000.source
    impossible = thresholds(outcome(mid=150.0, mid_unit="%"), EffectMeasure.RR)
    assert math.exp(impossible.benefit or 0) == pytest.approx(0.75)


def test_risk_difference_thresholds_from_the_control_risk() -> None:
    studies = (study("A", control_events=20, control_total=100),)
    limits = thresholds(outcome(studies), EffectMeasure.RD)
    assert (limits.benefit, limits.harm) == pytest.approx((-0.05, 0.05))
    assert not thresholds(outcome((study("A"),)), EffectMeasure.RD).known


def test_smd_threshold_from_the_mid_and_the_studies_sd() -> None:
    studies = (study("A", control_sd=2.0, intervention_sd=2.0),)
    limits = thresholds(outcome(studies, mid=1.0, mid_unit="point"), EffectMeasure.SMD)
    assert (limits.benefit, limits.harm) == pytest.approx((-0.5, 0.5))
