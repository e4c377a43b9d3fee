"""Pooling: what metafor does at the edges (one study, EE, GENQ), R's uniroot reproduced, the
analysis around it, refusals with a sentence, and properties of any result."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review_app.domain.meta.effects import effect_sizes
from review_app.domain.meta.errors import MetaError
from review_app.domain.meta.model import (
    Dichotomous,
    EffectSize,
    Generic,
    Method,
    PredictionRule,
)
from review_app.domain.meta.model import Test as Inference
from review_app.domain.meta.pooling import analyse, pool
from review_app.domain.meta.tau2 import UNIROOT_TOL, zeroin
from review_app.domain.vocabulary import EffectMeasure

RR = EffectMeasure.RR
INVERSE_VARIANCE = [m for m in Method if not m.needs_tables]
BCG3 = [
    Dichotomous("Aronson 1948", 4, 123, 11, 139),
    Dichotomous("Hart & Sutherland 1977", 62, 13598, 248, 12867),
    Dichotomous("Vandiviere et al 1973", 8, 2545, 10, 629),
]


def test_one_study_as_metafor() -> None:
    # rma(yi=0.5, vi=0.04, method="REML", test="knha") in metafor 3.8-1: "Setting argument
    # test='z' since k=1"; ci 0.108007203091989301..0.891992796908010921, p 0.012419330651552259
    pooled = pool([EffectSize("only", 0.5, 0.04)], RR, method=Method.REML, test=Inference.KNHA)
    assert pooled.test is Inference.Z and pooled.df is None
    assert pooled.ci_low == pytest.approx(0.108007203091989301, rel=1e-12)
    assert pooled.ci_high == pytest.approx(0.891992796908010921, rel=1e-12)
    assert pooled.pval == pytest.approx(0.012419330651552259, rel=1e-12)
    assert (pooled.tau2, pooled.i2, pooled.h2, pooled.q, pooled.q_df, pooled.q_p) == (
        0.0,
        0.0,
        1.0,
        0.0,
        0,
        1.0,
    )
    assert pooled.se_tau2 is None and pooled.tau2_ci_low is None and pooled.pi_low is None
    assert pooled.weights == (100.0,)


def test_one_study_analysis_says_the_test_fell_back() -> None:
    analysis = analyse(BCG3[:1], RR, method=Method.DL, test=Inference.KNHA)
    assert analysis.pooled is not None and analysis.pooled.k == 1
    assert any("z test" in note for note in analysis.notes)


def test_equal_effects_has_no_tau2_nor_prediction_interval() -> None:
    effects, _ = effect_sizes(BCG3, RR)
    pooled = pool(effects, RR, method=Method.EE)
    assert pooled.tau2 is None and pooled.se_tau2 is None and pooled.tau2_ci_low is None
    assert pooled.pi_low is None and pooled.pi_high is None
    # these three agree (Q < k - 1): I² truncated at 0, H² = Q/(k-1) not (metafor, EE)
    assert pooled.i2 == 0.0 and pooled.h2 == pytest.approx(pooled.q / 2) and pooled.q < 2


def test_weights_in_percent_as_metafor() -> None:
    # weights(rma(yi, vi, data=escalc("RR", ...bcg...)[c(1,4,7), ])) in metafor 3.8-1
    effects, _ = effect_sizes(BCG3, RR)
    pooled = pool(effects, RR, method=Method.REML)
    expected = (5.3387474749962012, 86.8671699552307928, 7.7940825697729936)
    assert pooled.weights == pytest.approx(expected, rel=1e-9)


def test_genq_has_no_q_profile_interval() -> None:
    effects, _ = effect_sizes(BCG3, RR)
    pooled = pool(effects, RR, method=Method.GENQ)
    assert pooled.tau2 is not None and pooled.se_tau2 is not None
    assert pooled.tau2_ci_low is None and pooled.tau2_ci_high is None


def test_hartung_knapp_uses_t_with_k_minus_1() -> None:
    effects, _ = effect_sizes(BCG3, RR)
    z = pool(effects, RR, method=Method.DL)
    t = pool(effects, RR, method=Method.DL, test=Inference.KNHA)
    assert t.df == 2 and z.df is None
    assert t.estimate == z.estimate and t.ci_high - t.ci_low > z.ci_high - z.ci_low


def test_revman_prediction_interval_needs_three_studies() -> None:
    effects, _ = effect_sizes(BCG3, RR)
    two = pool(effects[:2], RR, method=Method.DL, prediction=PredictionRule.REVMAN)
    three = pool(effects, RR, method=Method.DL, prediction=PredictionRule.REVMAN)
    metafor = pool(effects, RR, method=Method.DL)
    assert two.pi_low is None and two.prediction_rule is PredictionRule.REVMAN
    assert three.pi_low is not None and metafor.pi_low is not None
    assert three.pi_low < metafor.pi_low  # t(1) is wider than the normal


def test_zeroin_takes_r_uniroot_steps() -> None:
    # uniroot(function(x) x^3 - 2*x - 5, c(2, 3))$root and
    # uniroot(function(x) exp(-x) - x/10, c(0, 100))$root in R 4 (default tol); scipy's brentq
    # with the same tolerance gives 2.094528891117347 and 1.7455253605809722
    def cubic(x: float) -> float:
        return x**3 - 2 * x - 5

    def decay(x: float) -> float:
        return math.exp(-x) - x / 10

    root = zeroin(cubic, 2, 3, cubic(2), cubic(3), tol=UNIROOT_TOL, maxiter=1000)
    assert root == pytest.approx(2.0945412049478809, rel=1e-15)
    root = zeroin(decay, 0, 100, decay(0), decay(100), tol=UNIROOT_TOL, maxiter=1000)
    assert root == pytest.approx(1.7455262241904534, rel=1e-15)


def test_paule_mandel_beyond_its_search_range_is_refused() -> None:
    # metafor: "Value of 'tau2.max' too low" (tau2.max = max(100, 10 mad(yi)²) = 100 here)
    effects = [EffectSize(str(i), y, 1.0) for i, y in enumerate([0, 0, 0, 0, 1000])]
    with pytest.raises(MetaError, match="Paule-Mandel estimate of tau-squared is above 100"):
        pool(effects, EffectMeasure.MD, method=Method.PM)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": Method.MH}, "MH pools 2x2 tables"),
        ({"level": 95}, "between 0 and 1"),
    ],
)
def test_bad_settings_refused(kwargs: dict[str, object], message: str) -> None:
    effects, _ = effect_sizes(BCG3, RR)
    with pytest.raises(MetaError, match=message):
        pool(effects, RR, **kwargs)  # type: ignore[arg-type]


def test_nothing_or_a_bad_variance_refused() -> None:
    with pytest.raises(MetaError, match="No studies to pool"):
        pool([], RR)
    with pytest.raises(MetaError, match="Study 'x': yi must be a finite number and vi above 0"):
        pool([EffectSize("x", 0.1, 0.0), EffectSize("y", 0.2, 0.1)], RR)


def test_analysis_leaves_out_double_zero_studies_and_says_so() -> None:
    data = [*BCG3, Dichotomous("Empty", 0, 50, 0, 50)]
    analysis = analyse(data, RR, method=Method.REML)
    assert analysis.pooled is not None and analysis.pooled.k == 3
    assert [d.study for d in analysis.dropped] == ["Empty"]
    assert analysis.notes == (
        "Empty left out: no events in either arm, so the risk ratio is undefined.",
    )
    assert analysis.data == tuple(data)


def test_analysis_with_no_study_left_has_no_pooled_result() -> None:
    analysis = analyse([Dichotomous("Empty", 0, 50, 0, 50)], EffectMeasure.OR)
    assert analysis.pooled is None and analysis.effects == ()
    assert "No study has an effect size to pool." in analysis.notes


def test_table_methods_refuse_hartung_knapp_and_peto_other_measures() -> None:
    with pytest.raises(MetaError, match="Hartung-Knapp is for inverse-variance"):
        analyse(BCG3, RR, method=Method.MH, test=Inference.KNHA)
    with pytest.raises(MetaError, match="Peto's method pools odds ratios"):
        analyse(BCG3, RR, method=Method.PETO)
    with pytest.raises(MetaError, match="MH pools 2x2 tables"):
        analyse([Generic("g", 0.1, 0.2)], RR, method=Method.MH)


effects_strategy = st.lists(
    st.tuples(
        st.floats(-3, 3, allow_nan=False),
        st.floats(0.001, 2, allow_nan=False),
    ),
    min_size=2,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(rows=effects_strategy, method=st.sampled_from(INVERSE_VARIANCE))
def test_any_result_is_coherent(rows: list[tuple[float, float]], method: Method) -> None:
    effects = [EffectSize(str(i), y, v) for i, (y, v) in enumerate(rows)]
    pooled = pool(effects, EffectMeasure.MD, method=method, test=Inference.KNHA)
    ys = [y for y, _ in rows]
    assert min(ys) - 1e-9 <= pooled.estimate <= max(ys) + 1e-9
    assert sum(pooled.weights) == pytest.approx(100)
    assert pooled.ci_low <= pooled.estimate <= pooled.ci_high
    assert pooled.i2 is not None and 0 <= pooled.i2 < 100
    if method.random_effects:
        assert pooled.tau2 is not None and pooled.tau2 >= 0
        assert pooled.pi_low is not None and pooled.pi_low <= pooled.ci_low
    if pooled.tau2_ci_low is not None and pooled.tau2_ci_high is not None:
        assert 0 <= pooled.tau2_ci_low <= pooled.tau2_ci_high


def test_table_methods_pool_the_tables_through_mh() -> None:
    from review_app.domain.meta.mh import mantel_haenszel, peto

    data = [*BCG3, Dichotomous("Empty", 0, 50, 0, 50)]
    mh = analyse(data, RR, method=Method.MH, level=0.9)
    assert mh.pooled == mantel_haenszel(data, RR, level=0.9)
    assert [d.study for d in mh.dropped] == ["Empty"]  # no estimate of its own to show
    odds = analyse(BCG3, EffectMeasure.OR, method=Method.PETO)
    assert odds.pooled == peto(BCG3)
