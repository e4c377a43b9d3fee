"""The registry of result formats: which format serves which outcome, what check_result refuses
(impossible values, never missing ones) and what derive makes of each format, with its steps.

The formulas themselves are tested against their sources in test_extraction_conversions.py;
here the expected numbers are the Handbook's (printed where marked) or worked by hand.
"""

from __future__ import annotations

import math

import pytest

from review_app.domain.extraction.formats import (
    FIELDS,
    FORMATS,
    Derived,
    Problem,
    ResultFormat,
    check_design,
    check_result,
    derive,
    formats_for,
    measures_for,
)
from review_app.domain.extraction.model import Design, Result
from review_app.domain.vocabulary import EffectMeasure, StudyDesign
from review_app.errors import ValidationError

MD, RR, HR, SMD = EffectMeasure.MD, EffectMeasure.RR, EffectMeasure.HR, EffectMeasure.SMD


def arm(format_id: str, **values: float) -> Result:
    return Result("pain", "1 h", "Kratom", format_id, values)


def contrast(format_id: str, measure: EffectMeasure | None, **values: float) -> Result:
    return Result("pain", "1 h", "Kratom", format_id, values, comparator="Placebo", measure=measure)


def fields_with_problems(result: Result, outcome_type: str = "continuous") -> list[str]:
    return [problem.field for problem in check_result(result, outcome_type=outcome_type)]


# --- the registry ----------------------------------------------------------------------------


def test_every_format_is_keyed_by_its_id_and_uses_declared_fields() -> None:
    for format_id, result_format in FORMATS.items():
        assert result_format.id == format_id
        for format_field in result_format.fields:
            assert FIELDS[format_field.name] is format_field
        for chain in result_format.ordered:
            assert set(chain) & set(result_format.field_names)


def test_formats_for_each_outcome_type() -> None:
    def ids(formats: list[ResultFormat]) -> set[str]:
        return {f.id for f in formats}

    continuous_arm = {"mean_sd", "mean_se", "mean_ci", "median_iqr", "median_range"}
    assert continuous_arm | {"median_iqr_range", "change_sd"} <= ids(
        formats_for("continuous", contrast=False)
    )
    assert ids(formats_for("dichotomous", contrast=False)) == {
        "events_total",
        "tte_events_total",
        "count",
    }
    generic = {"estimate_ci", "estimate_se", "estimate_p"}
    assert ids(formats_for("continuous", contrast=True)) == generic | {
        "paired_t",
        "paired_p",
        "crossover_means",
    }
    assert ids(formats_for("dichotomous", contrast=True)) == generic | {"o_minus_e"}


def test_measures_fit_the_outcome_type_and_the_format() -> None:
    assert measures_for(FORMATS["estimate_ci"], "continuous") == (MD, SMD)
    assert RR in measures_for(FORMATS["estimate_ci"], "dichotomous")
    assert measures_for(FORMATS["paired_t"], "continuous") == (MD,)
    assert measures_for(FORMATS["o_minus_e"], "dichotomous") == (HR, EffectMeasure.OR)


# --- check_result: impossible values refused, missing ones allowed ---------------------------


def test_a_complete_plausible_result_has_no_problem() -> None:
    assert check_result(arm("mean_sd", n=26, mean=10.5, sd=3.2), outcome_type="continuous") == []


def test_missing_values_are_not_problems() -> None:
    # Papers often omit the SD: a result with n and mean only is legal (derive says it is unusable).
    assert check_result(arm("mean_sd", n=26, mean=10.5), outcome_type="continuous") == []
    assert check_result(arm("events_total"), outcome_type="dichotomous") == []


@pytest.mark.parametrize(
    ("result", "field"),
    [
        (arm("mean_sd", n=26, mean=1, sd=0), "sd"),
        (arm("mean_sd", n=26, mean=1, sd=-2), "sd"),
        (arm("mean_se", n=26, mean=1, se=0), "se"),
        (arm("mean_sd", n=25.5, mean=1, sd=2), "n"),
        (arm("mean_sd", n=0, mean=1, sd=2), "n"),
        (arm("mean_sd", n=26, mean=math.nan, sd=2), "mean"),
        (arm("mean_ci", n=26, mean=5, ci_lower=6, ci_upper=4), "ci_upper"),
        (arm("mean_ci", n=26, mean=9, ci_lower=4, ci_upper=6), "ci_upper"),
        (arm("mean_ci", n=26, mean=5, ci_lower=4, ci_upper=6, ci_level=100), "ci_level"),
        (arm("median_iqr", n=26, median=7, q1=8, q3=14), "median"),
        (arm("median_iqr", n=26, median=15, q1=8, q3=14), "q3"),
        (arm("median_iqr_range", n=26, median=10, q1=8, q3=14, minimum=9, maximum=30), "q1"),
        (arm("median_range", n=26, median=10, minimum=2, maximum=9), "maximum"),
        (arm("change_baseline_final", n=26, correlation=1.2), "correlation"),
        (arm("mean_sd", n=26, mean=1, sd=2, median=3), "median"),
    ],
)
def test_impossible_continuous_values_are_refused(result: Result, field: str) -> None:
    assert field in fields_with_problems(result)


@pytest.mark.parametrize(
    ("result", "field"),
    [
        (arm("events_total", events=12, total=10), "total"),
        (arm("events_total", events=-1, total=10), "events"),
        (arm("events_total", events=2.5, total=10), "events"),
        (arm("count", events=3, person_time=0), "person_time"),
        (contrast("estimate_p", RR, estimate=0.8, p_value=0), "p_value"),
        (contrast("estimate_p", RR, estimate=0.8, p_value=1.2), "p_value"),
        (contrast("estimate_ci", RR, estimate=-0.2, ci_lower=0.5, ci_upper=1.1), "estimate"),
        (contrast("estimate_ci", RR, estimate=0.8, ci_lower=0.9, ci_upper=1.1), "estimate"),
        (contrast("o_minus_e", HR, o_minus_e=-3, variance=0), "variance"),
    ],
)
def test_impossible_dichotomous_values_are_refused(result: Result, field: str) -> None:
    assert field in fields_with_problems(result, "dichotomous")


def test_a_p_value_of_1_is_possible() -> None:
    assert (
        check_result(contrast("estimate_p", RR, estimate=1, p_value=1), outcome_type="dichotomous")
        == []
    )


def test_problems_are_sentences_naming_the_field_and_what_is_allowed() -> None:
    problems = check_result(arm("mean_sd", n=26, mean=1, sd=-2), outcome_type="continuous")
    assert problems == [Problem("sd", "SD must be above 0 (got -2).")]
    [unknown] = check_result(arm("mean_sd", n=26, mean=1, sd=2, se=1), outcome_type="continuous")
    assert unknown == Problem("se", "'se' is not a field of Mean and SD; allowed: n, mean, sd.")


def test_formats_measures_and_arms_must_fit_together() -> None:
    assert fields_with_problems(arm("events_total", events=1, total=2), "continuous") == ["format"]
    assert fields_with_problems(arm("no_such_format")) == ["format"]
    assert fields_with_problems(contrast("estimate_ci", None, estimate=1)) == ["measure"]
    assert fields_with_problems(contrast("estimate_ci", RR, estimate=1)) == ["measure"]
    assert fields_with_problems(contrast("paired_t", SMD, estimate=1, t=2, n=10)) == ["measure"]
    with_measure = Result("pain", "1 h", "Kratom", "mean_sd", {"n": 3}, measure=MD)
    assert fields_with_problems(with_measure) == ["measure"]
    arm_format_as_contrast = contrast("mean_sd", MD, n=3)
    assert "comparator" in fields_with_problems(arm_format_as_contrast)
    contrast_without_comparator = Result("pain", "1 h", "Kratom", "estimate_se", {}, measure=MD)
    assert fields_with_problems(contrast_without_comparator) == ["comparator"]
    against_itself = Result("pain", "1 h", "Kratom", "estimate_se", {}, "kratom ", MD)
    assert fields_with_problems(against_itself) == ["comparator"]
    assert fields_with_problems(Result("pain", "1 h", " ", "mean_sd", {})) == ["arm"]


# --- derive: arm results ---------------------------------------------------------------------


def values(derived: Derived) -> dict[str, float]:
    return dict(derived.values)


def test_mean_and_sd_are_used_as_reported() -> None:
    derived = derive(arm("mean_sd", n=26, mean=10.5, sd=3.2))
    assert values(derived) == {"n": 26, "mean": 10.5, "sd": 3.2}
    assert derived.usable and not derived.estimated and derived.steps == ()


def test_a_result_without_spread_is_legal_but_not_usable() -> None:
    derived = derive(arm("mean_sd", n=26, mean=10.5))
    assert values(derived) == {"n": 26, "mean": 10.5}
    assert derived.missing == ("sd",)
    assert not derived.usable


def test_sd_from_se() -> None:
    # Handbook 6.5.2.2, by hand: SE 2, n 25 -> SD 10.
    derived = derive(arm("mean_se", n=25, mean=4, se=2))
    assert values(derived) == {"n": 25, "mean": 4, "sd": pytest.approx(10)}
    [step] = derived.steps
    assert (step.formula, step.source) == ("SD = SE × √n", "Cochrane Handbook 6.4, 6.5.2.2")
    assert (dict(step.inputs), dict(step.outputs)) == ({"se": 2, "n": 25}, {"sd": 10})


def test_sd_from_se_needs_n() -> None:
    derived = derive(arm("mean_se", mean=4, se=2))
    assert derived.missing == ("n",) and "sd" not in derived.values


def test_sd_from_a_small_samples_ci_uses_t() -> None:
    # Handbook 6.5.2.2 (printed divisor 4.128 for n = 25): sqrt(25) x (14 - 10) / 4.128 = 4.845.
    derived = derive(arm("mean_ci", n=25, mean=12, ci_lower=10, ci_upper=14))
    assert derived.values["sd"] == pytest.approx(4.845, abs=5e-4)
    assert derived.steps[0].inputs["divisor"] == pytest.approx(4.128, abs=5e-4)
    assert derived.steps[0].inputs["ci_level"] == 95


def test_sd_from_a_90_percent_ci_of_a_large_sample() -> None:
    # Handbook 6.5.2.2: 3.29 for a 90 % CI. By hand: 10 x 2 / 3.2897 = 6.0796.
    derived = derive(arm("mean_ci", n=100, mean=5, ci_lower=4, ci_upper=6, ci_level=90))
    assert derived.values["sd"] == pytest.approx(6.0796, rel=1e-4)


def test_median_and_iqr_give_an_estimated_mean_and_sd() -> None:
    # Luo 2018 eq. 11 and Wan 2014 eq. 16, by hand (see the conversions' tests): 10.715, 4.70600.
    derived = derive(arm("median_iqr", n=26, median=10, q1=8, q3=14))
    assert values(derived) == {"n": 26, "mean": pytest.approx(10.715), "sd": pytest.approx(4.706)}
    assert derived.estimated and derived.usable and derived.warnings == ()
    assert [step.source.split(",")[0] for step in derived.steps] == [
        "Luo et al. 2018",
        "Wan et al. 2014",
    ]


def test_five_numbers_use_shi_2020_and_warn_when_skewed() -> None:
    # Shi 2020 SD 6.28658 and Shi 2023's S3 test 0.6119 >= 0.5861 (by hand, conversions' tests).
    derived = derive(arm("median_iqr_range", n=26, median=10, q1=8, q3=14, minimum=2, maximum=30))
    assert derived.values["sd"] == pytest.approx(6.28658, rel=1e-5)
    assert derived.steps[1].source.startswith("Shi et al. 2020")
    [warning] = derived.warnings
    assert "skewed" in warning and "may mislead" in warning


def test_a_median_without_n_cannot_be_converted() -> None:
    derived = derive(arm("median_range", median=10, minimum=2, maximum=30))
    assert derived.missing == ("n",) and not derived.estimated


def test_a_median_with_zero_width_spread_gives_no_sd() -> None:
    derived = derive(arm("median_iqr", n=26, median=10, q1=10, q3=10))
    assert derived.missing == ("sd",) and derived.warnings


def test_change_from_baseline() -> None:
    derived = derive(arm("change_sd", n=20, mean_change=-2.5, sd_change=3))
    assert values(derived) == {"n": 20, "mean": -2.5, "sd": 3}
    assert derived.steps[0].source == "Cochrane Handbook 6.4, 10.5.2"


def test_change_from_baseline_and_final_values_with_a_correlation() -> None:
    # Handbook 6.5.2.8, by hand: SD_b 6, SD_f 7, r 0.5 -> sqrt(43) = 6.55744; mean 18 - 20 = -2.
    result = arm(
        "change_baseline_final",
        n=20,
        mean_baseline=20,
        sd_baseline=6,
        mean_final=18,
        sd_final=7,
        correlation=0.5,
    )
    derived = derive(result)
    assert values(derived) == {"n": 20, "mean": -2, "sd": pytest.approx(6.55744, rel=1e-5)}
    assert derived.estimated


@pytest.mark.parametrize("format_id", ["events_total", "tte_events_total"])
def test_events_and_totals_are_used_as_reported(format_id: str) -> None:
    assert values(derive(arm(format_id, events=3, total=20))) == {"events": 3, "total": 20}


def test_counts_keep_events_and_person_time() -> None:
    derived = derive(arm("count", events=7, person_time=350.5))
    assert values(derived) == {"events": 7, "person_time": 350.5}


def test_impossible_values_derive_nothing() -> None:
    derived = derive(arm("events_total", events=12, total=10))
    assert derived.values == {} and derived.missing == ("total",) and not derived.usable


def test_an_unknown_format_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="'mean_sem' does not exist; allowed: mean_sd"):
        derive(arm("mean_sem", n=3))


# --- derive: contrasts -----------------------------------------------------------------------


def test_a_ratio_and_its_ci_are_logged() -> None:
    # Handbook 6.3.1, by hand: RR 0.75 (0.70 to 0.80): yi = ln 0.75 = -0.287682,
    # SE = (ln 0.8 - ln 0.7) / 3.919928 = 0.0340648.
    derived = derive(contrast("estimate_ci", RR, estimate=0.75, ci_lower=0.70, ci_upper=0.80))
    assert values(derived) == {
        "estimate": 0.75,
        "yi": pytest.approx(-0.287682, rel=1e-5),
        "se": pytest.approx(0.0340648, rel=1e-5),
        "ci_lower": 0.70,
        "ci_upper": 0.80,
    }
    assert derived.usable


def test_a_difference_is_not_logged() -> None:
    derived = derive(contrast("estimate_ci", MD, estimate=1, ci_lower=-2, ci_upper=4))
    assert derived.values["yi"] == 1
    assert derived.values["se"] == pytest.approx(1.53064, rel=1e-5)


def test_a_90_percent_ci_is_reported_back_as_95() -> None:
    # By hand: SE = 2 / 3.289707 = 0.607957; 95 % CI = 1 -+ 1.959964 x 0.607957 = -0.19157, 2.19157.
    derived = derive(contrast("estimate_ci", MD, estimate=1, ci_lower=0, ci_upper=2, ci_level=90))
    assert derived.values["ci_lower"] == pytest.approx(-0.19157, rel=1e-4)
    assert derived.values["ci_upper"] == pytest.approx(2.19157, rel=1e-4)


def test_estimate_and_se_give_a_95_percent_ci() -> None:
    # By hand: ln HR 0.5 +- 1.959964 x 0.2: exp(0.108007) = 1.11406, exp(0.891993) = 2.44000.
    derived = derive(contrast("estimate_se", HR, estimate=math.exp(0.5), se=0.2))
    assert derived.values["ci_lower"] == pytest.approx(1.11406, rel=1e-4)
    assert derived.values["ci_upper"] == pytest.approx(2.44000, rel=1e-4)


def test_a_mean_difference_with_its_p_value_and_n_uses_t() -> None:
    # Printed, Handbook 6.5.2.3: MD 3.8, P = 0.008, 25 + 22 participants: t 2.78 (45 df), SE 1.37.
    derived = derive(contrast("estimate_p", MD, estimate=3.8, p_value=0.008, n=47))
    assert derived.values["t"] == pytest.approx(2.78, abs=0.005)
    assert derived.values["se"] == pytest.approx(1.37, abs=0.005)


def test_a_ratio_with_its_p_value_uses_z() -> None:
    # Handbook 6.3.2, by hand: RR 0.75, P = 0.05: SE = 0.287682 / 1.959964 = 0.146779.
    derived = derive(contrast("estimate_p", RR, estimate=0.75, p_value=0.05, n=40))
    assert "t" not in derived.values
    assert derived.values["se"] == pytest.approx(0.146779, rel=1e-5)


def test_a_p_value_of_1_gives_no_se() -> None:
    derived = derive(contrast("estimate_p", RR, estimate=1.2, p_value=1))
    assert derived.missing == ("se",) and derived.warnings


def test_crossover_paired_t_p_and_correlation() -> None:
    # Handbook 23.2.7, by hand: MD -3, t -2.5 -> SE 1.2; MD 2, P 0.03, N 20 -> 0.852643;
    # SD 10 and 12, r 0.6, N 20 -> 2.23607 (MD 15 - 12 = 3).
    assert derive(contrast("paired_t", MD, estimate=-3, t=-2.5, n=20)).values["se"] == (
        pytest.approx(1.2)
    )
    by_p = derive(contrast("paired_p", MD, estimate=2, p_value=0.03, n=20))
    assert by_p.values["se"] == pytest.approx(0.852643, rel=1e-5)
    means = contrast("crossover_means", MD, n=20, mean_e=15, sd_e=10, mean_c=12, sd_c=12)
    imputed = derive(means, design=Design(kind=StudyDesign.CROSSOVER, crossover_correlation=0.6))
    assert imputed.values["estimate"] == 3
    assert imputed.values["se"] == pytest.approx(2.23607, rel=1e-5)
    assert imputed.estimated
    assert derive(means).missing == ("correlation",)


def test_o_minus_e_and_variance_give_a_hazard_ratio() -> None:
    # Tierney 2007, by hand: O - E = -10, V = 25: ln HR -0.4, SE 0.2, HR exp(-0.4) = 0.670320.
    derived = derive(contrast("o_minus_e", HR, o_minus_e=-10, variance=25))
    assert derived.values["yi"] == pytest.approx(-0.4)
    assert derived.values["se"] == pytest.approx(0.2)
    assert derived.values["estimate"] == pytest.approx(0.670320, rel=1e-5)


# --- derive: design --------------------------------------------------------------------------

CLUSTER = Design(kind=StudyDesign.CLUSTER, mean_cluster_size=10, icc=0.05)


def test_cluster_arms_get_effective_sample_sizes() -> None:
    # Handbook 23.1.4, by hand: design effect 1.45; 29 events / 1.45 = 20, 145 / 1.45 = 100.
    derived = derive(arm("events_total", events=29, total=145), design=CLUSTER)
    assert derived.values["design_effect"] == pytest.approx(1.45)
    assert derived.values["events_effective"] == pytest.approx(20)
    assert derived.values["total_effective"] == pytest.approx(100)
    continuous = derive(arm("mean_sd", n=29, mean=1, sd=1), design=CLUSTER)
    assert continuous.values["n_effective"] == pytest.approx(20)


def test_an_unadjusted_cluster_contrast_has_its_se_inflated() -> None:
    # Handbook 23.1.4, by hand: SE 0.2 x sqrt(1.45) = 0.240832.
    unadjusted = contrast("estimate_se", MD, estimate=1, se=0.2)
    assert derive(unadjusted, design=CLUSTER).values["se"] == pytest.approx(0.240832, rel=1e-5)
    adjusted = Result("pain", "1 h", "Kratom", "estimate_se", {"estimate": 1, "se": 0.2},
                      comparator="Placebo", measure=MD, adjusted=True)  # fmt: skip
    assert derive(adjusted, design=CLUSTER).values["se"] == 0.2


def test_a_cluster_trial_without_its_icc_is_not_usable() -> None:
    design = Design(kind=StudyDesign.CLUSTER, mean_cluster_size=10)
    derived = derive(arm("mean_sd", n=29, mean=1, sd=1), design=design)
    assert derived.missing == ("icc",) and not derived.usable


def test_crossover_arm_results_warn_that_pairing_is_ignored() -> None:
    derived = derive(arm("mean_sd", n=26, mean=1, sd=1), design=Design(kind=StudyDesign.CROSSOVER))
    assert derived.usable and "pairing" in derived.warnings[0]


# --- every format derives what an analysis needs from a full set of plausible values --------

PLAUSIBLE = {
    "n": 30, "mean": 10, "sd": 2, "se": 0.5, "ci_lower": 0.5, "ci_upper": 1.5, "ci_level": 95,
    "median": 10, "q1": 8, "q3": 12, "minimum": 2, "maximum": 19, "mean_change": -2,
    "sd_change": 3, "mean_baseline": 20, "sd_baseline": 4, "mean_final": 18, "sd_final": 5,
    "correlation": 0.5, "events": 5, "total": 30, "person_time": 100, "estimate": 0.8,
    "p_value": 0.04, "t": 2.1, "mean_e": 12, "sd_e": 3, "mean_c": 10, "sd_c": 3,
    "o_minus_e": -3, "variance": 10,
}  # fmt: skip
FORMAT_PLAUSIBLE = {"mean_ci": {"ci_lower": 9, "ci_upper": 11}}  # a CI around the mean of 10
NEEDED = {
    "continuous": {"n", "mean", "sd"},
    "dichotomous": {"events", "total"},
    "time_to_event": {"events", "total"},
    "count": {"events", "person_time"},
}


@pytest.mark.parametrize("format_id", list(FORMATS))
def test_every_format_derives_what_an_analysis_needs(format_id: str) -> None:
    result_format = FORMATS[format_id]
    plausible = PLAUSIBLE | FORMAT_PLAUSIBLE.get(format_id, {})
    reported = {name: plausible[name] for name in result_format.field_names}
    if result_format.contrast:
        outcome_type = result_format.outcome_types[0]
        measure = measures_for(result_format, outcome_type)[0]
        result = contrast(format_id, measure, **reported)
        needed = {"estimate", "ci_lower", "ci_upper", "yi", "se"}
    else:
        outcome_type = result_format.outcome_types[0]
        result = arm(format_id, **reported)
        needed = NEEDED[result_format.data_type]
    assert check_result(result, outcome_type=outcome_type) == []
    derived = derive(result)
    assert derived.usable, derived
    assert needed <= derived.values.keys()
    for step in derived.steps:
        assert step.source and step.formula and step.outputs


def test_impossible_design_facts_are_refused_and_derive_nothing() -> None:
    design = Design(kind=StudyDesign.CLUSTER, mean_cluster_size=0.5, icc=1.5)
    assert [p.field for p in check_design(design)] == ["mean_cluster_size", "icc"]
    assert check_design(Design(crossover_correlation=-1)) == []
    derived = derive(arm("mean_sd", n=29, mean=1, sd=1), design=design)
    assert derived.missing == ("mean_cluster_size", "icc") and not derived.usable
    means = contrast("crossover_means", MD, n=20, mean_e=15, sd_e=10, mean_c=12, sd_c=12)
    bad_correlation = derive(means, design=Design(crossover_correlation=2))
    assert bad_correlation.missing == ("crossover_correlation",)


def test_numbers_outside_a_formulas_range_derive_nothing_and_say_why() -> None:
    # exp(ln 2 + 1.96 x 400) overflows: the CI of a ratio with an SE of 400 on the log scale.
    derived = derive(contrast("estimate_se", HR, estimate=2, se=400))
    assert derived.values == {} and not derived.usable
    assert "outside the formulas' range" in derived.warnings[0]
