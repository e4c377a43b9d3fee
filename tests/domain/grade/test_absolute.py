"""Absolute effects per 1,000 against the Cochrane Handbook's worked examples (5.1, 11.5.5 and
12.5.4) and hand computations; the study population's risk, the comparator mean, bad input."""

from __future__ import annotations

import csv
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review_app.domain.grade.absolute import (
    STUDY_POPULATION,
    absolute_effects,
    continuous_effect,
    intervention_risk,
    relative_effect,
    risk_difference,
    study_population_risk,
)
from review_app.domain.grade.model import (
    BaselineRisk,
    EvidenceDesign,
    EvidenceSource,
    OutcomeEvidence,
    PooledEvidence,
    RelativeEffect,
    StudyEvidence,
)
from review_app.domain.vocabulary import EffectMeasure
from review_app.errors import ValidationError
from tests.conftest import shared_data

RR, OR, HR, IRR, RD = (
    EffectMeasure.RR,
    EffectMeasure.OR,
    EffectMeasure.HR,
    EffectMeasure.IRR,
    EffectMeasure.RD,
)
RCT = EvidenceDesign.RANDOMISED


def _study(name: str, events: float | None, total: float | None, **kw: object) -> StudyEvidence:
    return StudyEvidence(name, RCT, control_events=events, control_total=total, **kw)  # type: ignore[arg-type]


def _evidence(
    *studies: StudyEvidence, pooled: PooledEvidence | None = None, **kw: object
) -> OutcomeEvidence:
    values: dict[str, object] = {
        "outcome_id": "o",
        "name": "Outcome",
        "type": "dichotomous",
        "importance": "critical",
        "direction": "lower_is_better",
        "source": EvidenceSource.ANALYSIS,
        "studies": studies,
        "pooled": pooled,
    }
    values.update(kw)
    return OutcomeEvidence(**values)  # type: ignore[arg-type]


def _pooled(measure: EffectMeasure, estimate: float, low: float, high: float) -> PooledEvidence:
    return PooledEvidence("main", measure, "REML", True, 3, estimate, low, high)


def _one(effect: RelativeEffect, per_1000: float) -> tuple[float, float, float, float]:
    (row,) = absolute_effects(effect, [BaselineRisk("b", per_1000)])
    return (
        row.intervention_per_1000,
        row.difference_per_1000,
        row.intervention_ci_low,
        row.intervention_ci_high,
    )


# --- worked examples ----------------------------------------------------------------------------


def test_risk_ratio_cochrane_12_5_4_2() -> None:
    """RR 0.92 with an assumed control risk of 300 per 1,000: 24 fewer per 1,000."""
    point, difference, _, _ = _one(RelativeEffect(RR, 0.92, 0.92, 0.92), 300)
    assert point == pytest.approx(276)
    assert round(difference) == -24


def test_odds_ratio_cochrane_12_5_4_3() -> None:
    """OR 0.73 with an assumed control risk of 0.3: 62 fewer per 1,000."""
    point, difference, _, _ = _one(RelativeEffect(OR, 0.73, 0.73, 0.73), 300)
    assert point == pytest.approx(1000 * 0.3 * 0.73 / (1 - 0.3 + 0.3 * 0.73))
    assert round(difference) == -62


@pytest.mark.parametrize(("comparator", "intervention"), [(800, 600), (200, 150)])
def test_constant_risk_ratio_cochrane_11_5_5(comparator: float, intervention: float) -> None:
    """RR 0.75 takes 80 % to 60 % and 20 % to 15 %: the same relative effect, two absolute ones."""
    point, difference, _, _ = _one(RelativeEffect(RR, 0.75, 0.6, 0.9), comparator)
    assert point == pytest.approx(intervention)
    assert difference == pytest.approx(intervention - comparator)


def test_hazard_ratio_is_one_minus_survival_to_the_power_hr() -> None:
    """HR 0.5 at 200 per 1,000: 1 - 0.8^0.5 = 105.6 per 1,000, not the 100 of RR x ACR."""
    point, difference, low, high = _one(RelativeEffect(HR, 0.5, 0.25, 1.0), 200)
    assert point == pytest.approx(1000 * (1 - math.sqrt(0.8)))
    assert difference == pytest.approx(point - 200)
    assert low == pytest.approx(1000 * (1 - 0.8**0.25))
    assert high == pytest.approx(200)


def test_rate_ratio_is_applied_like_a_risk_ratio() -> None:
    assert _one(RelativeEffect(IRR, 1.5, 1.2, 2.0), 100)[:1] == pytest.approx((150,))


def test_every_baseline_gets_its_own_row_in_order() -> None:
    baselines = [BaselineRisk("Low", 10, "cohort"), BaselineRisk("High", 400, "registry")]
    rows = absolute_effects(RelativeEffect(RR, 0.5, 0.4, 0.6), baselines)
    assert [r.baseline for r in rows] == baselines
    assert [r.intervention_per_1000 for r in rows] == pytest.approx([5, 200])
    assert rows[1].difference_ci_low == pytest.approx(160 - 400)
    assert rows[1].difference_ci_high == pytest.approx(240 - 400)


# --- the CI and the edges -----------------------------------------------------------------------


def test_odds_ratio_below_one_keeps_its_ci_in_order() -> None:
    point, _, low, high = _one(RelativeEffect(OR, 0.73, 0.60, 0.89), 300)
    assert low < point < high
    assert low == pytest.approx(1000 * 0.3 * 0.6 / (1 - 0.3 + 0.3 * 0.6))
    assert high == pytest.approx(1000 * 0.3 * 0.89 / (1 - 0.3 + 0.3 * 0.89))


@pytest.mark.parametrize("measure", [RR, OR, HR, IRR])
def test_no_comparator_risk_means_no_risk_with_the_intervention(measure: EffectMeasure) -> None:
    assert _one(RelativeEffect(measure, 0.5, 0.2, 3.0), 0) == (0, 0, 0, 0)


@pytest.mark.parametrize("measure", [OR, HR])
def test_a_certain_event_stays_certain(measure: EffectMeasure) -> None:
    assert _one(RelativeEffect(measure, 0.5, 0.2, 3.0), 1000) == pytest.approx(
        (1000, 0, 1000, 1000)
    )


def test_a_ratio_on_a_high_risk_is_capped_at_1000() -> None:
    point, difference, low, high = _one(RelativeEffect(RR, 2.0, 1.5, 3.0), 600)
    assert (point, difference, low, high) == pytest.approx((1000, 400, 900, 1000))


def test_a_risk_difference_adds_to_the_comparator_risk_and_stays_within_0_and_1000() -> None:
    rows = absolute_effects(
        RelativeEffect(RD, -0.05, -0.08, -0.02), [BaselineRisk("a", 300), BaselineRisk("b", 40)]
    )
    assert rows[0].intervention_per_1000 == pytest.approx(250)
    assert rows[0].difference_ci_low == pytest.approx(-80)
    assert rows[0].difference_ci_high == pytest.approx(-20)
    assert rows[1].intervention_ci_low == 0
    assert rows[1].difference_ci_low == pytest.approx(-40)


@given(
    measure=st.sampled_from([RR, OR, HR, IRR]),
    acr=st.floats(0, 1),
    effects=st.lists(st.floats(1e-3, 1e3), min_size=3, max_size=3),
)
def test_intervention_risk_is_a_risk_and_rises_with_the_effect(
    measure: EffectMeasure, acr: float, effects: list[float]
) -> None:
    low, point, high = sorted(effects)
    risks = [intervention_risk(measure, e, acr) for e in (low, point, high)]
    assert all(0 <= r <= 1 for r in risks)
    assert risks[0] <= risks[1] + 1e-12 and risks[1] <= risks[2] + 1e-12
    row = absolute_effects(
        RelativeEffect(measure, point, low, high), [BaselineRisk("b", acr * 1000)]
    )[0]
    assert row.intervention_ci_low <= row.intervention_per_1000 + 1e-9
    assert row.intervention_per_1000 <= row.intervention_ci_high + 1e-9


@pytest.mark.parametrize("per_1000", [-1, 1000.5, math.nan])
def test_a_comparator_risk_outside_0_to_1000_is_refused_by_name(per_1000: float) -> None:
    with pytest.raises(ValidationError, match=r"'Moderate'.*0 to 1,000"):
        absolute_effects(RelativeEffect(RR, 1, 1, 1), [BaselineRisk("Moderate", per_1000)])


def test_measures_without_a_risk_are_refused() -> None:
    with pytest.raises(ValidationError, match="not MD"):
        absolute_effects(RelativeEffect(EffectMeasure.MD, 1, 0, 2), [BaselineRisk("b", 1)])
    with pytest.raises(ValidationError, match="below 0"):
        absolute_effects(RelativeEffect(RR, 1, -1, 2), [BaselineRisk("b", 1)])
    with pytest.raises(ValidationError, match="must be numbers"):
        absolute_effects(RelativeEffect(RR, math.inf, 1, 2), [BaselineRisk("b", 1)])


# --- from the evidence --------------------------------------------------------------------------


def test_study_population_risk_is_the_median_control_group_risk() -> None:
    evidence = _evidence(
        _study("a", 10, 100), _study("b", 30, 100), _study("c", 5, 10), _study("d", None, 50)
    )
    risk = study_population_risk(evidence)
    assert risk is not None
    assert risk.label == STUDY_POPULATION
    assert risk.per_1000 == pytest.approx(300)
    assert risk.source == "median control-group risk of 3 studies"
    two = study_population_risk(_evidence(_study("a", 1, 10), _study("b", 2, 10)))
    assert two is not None and two.per_1000 == pytest.approx(150)
    one = study_population_risk(_evidence(_study("a", 0, 10)))
    assert one == BaselineRisk(STUDY_POPULATION, 0, "median control-group risk of 1 study")


def test_no_study_population_risk_without_comparator_arm_counts() -> None:
    assert study_population_risk(_evidence()) is None
    assert study_population_risk(_evidence(_study("a", 3, None), _study("b", 1, 0))) is None


def test_more_events_than_participants_is_refused_by_study() -> None:
    with pytest.raises(ValidationError, match="'Smith 2019': 12 events among 10"):
        study_population_risk(_evidence(_study("Smith 2019", 12, 10)))


def test_relative_effect_is_back_transformed_and_only_for_ratios() -> None:
    effect = relative_effect(_pooled(RR, math.log(0.49), math.log(0.34), math.log(0.70)))
    assert effect is not None and effect.measure is RR
    assert (effect.estimate, effect.ci_low, effect.ci_high) == pytest.approx((0.49, 0.34, 0.70))
    assert relative_effect(None) is None
    for measure in (RD, EffectMeasure.MD, EffectMeasure.SMD):
        assert relative_effect(_pooled(measure, 0.1, 0, 0.2)) is None


def test_risk_difference_only_when_the_analysis_chose_it() -> None:
    assert risk_difference(_pooled(RD, -0.05, -0.08, -0.02)) == RelativeEffect(
        RD, -0.05, -0.08, -0.02
    )
    assert risk_difference(_pooled(RR, -0.05, -0.08, -0.02)) is None
    assert risk_difference(None) is None


def test_continuous_effect_shows_the_median_comparator_mean_in_natural_units() -> None:
    studies = (
        _study("a", None, None, control_mean=6.0),
        _study("b", None, None, control_mean=5.0),
        _study("c", None, None),
    )
    evidence = _evidence(
        *studies,
        pooled=_pooled(EffectMeasure.MD, -1.2, -2.0, -0.4),
        type="continuous",
        unit="0-10 NRS",
    )
    effect = continuous_effect(evidence)
    assert effect is not None
    assert (effect.difference, effect.ci_low, effect.ci_high) == (-1.2, -2.0, -0.4)
    assert effect.comparator_mean == pytest.approx(5.5)
    assert effect.unit == "0-10 NRS"


def test_an_smd_has_no_comparator_mean_or_unit() -> None:
    evidence = _evidence(
        _study("a", None, None, control_mean=60.0),
        pooled=_pooled(EffectMeasure.SMD, 0.3, 0.1, 0.5),
        type="continuous",
        unit="instrument score",
    )
    effect = continuous_effect(evidence)
    assert effect is not None and effect.comparator_mean is None and effect.unit == ""


def test_no_continuous_effect_without_a_pooled_mean_difference() -> None:
    assert continuous_effect(_evidence(type="continuous")) is None
    assert continuous_effect(_evidence(pooled=_pooled(RR, 0, -1, 1))) is None


def test_dat_bcg_end_to_end_from_metafors_pooled_result() -> None:
    """BCG against tuberculosis (metafor's dat.bcg, 13 trials; REML + Knapp-Hartung from
    metafor 3.8-1: log RR -0.7145, CI -1.1084 to -0.3206). The median control-group risk is
    Vandiviere 1973's 10/629 = 15.9 per 1,000; RR 0.49 (0.33 to 0.73) gives 8 per 1,000
    (5 to 12), 8 fewer (11 fewer to 4 fewer) per 1,000."""
    folder = shared_data("meta_analysis")
    with (folder / "dat.bcg.csv").open(encoding="utf-8") as handle:
        trials = list(csv.DictReader(handle))
    with (folder / "metafor_3.8-1_pooled_results.csv").open(encoding="utf-8") as handle:
        (reml,) = [
            r
            for r in csv.DictReader(handle)
            if r["analysis"] == "bcg_RR" and r["method"] == "REML" and r["test"] == "knha"
        ]
    studies = tuple(
        _study(t["author"], int(t["cpos"]), int(t["cpos"]) + int(t["cneg"])) for t in trials
    )
    pooled = _pooled(RR, float(reml["estimate"]), float(reml["ci_lb"]), float(reml["ci_ub"]))
    evidence = _evidence(*studies, pooled=pooled)
    relative = relative_effect(evidence.pooled)
    population = study_population_risk(evidence)
    assert relative is not None and population is not None
    assert population.per_1000 == pytest.approx(1000 * 10 / 629)
    assert population.source == "median control-group risk of 13 studies"
    assert [round(v, 2) for v in (relative.estimate, relative.ci_low, relative.ci_high)] == [
        0.49,
        0.33,
        0.73,
    ]
    (row,) = absolute_effects(relative, [population])
    assert [
        round(v)
        for v in (row.intervention_per_1000, row.intervention_ci_low, row.intervention_ci_high)
    ] == [8, 5, 12]
    assert [
        round(v) for v in (row.difference_per_1000, row.difference_ci_low, row.difference_ci_high)
    ] == [-8, -11, -4]
