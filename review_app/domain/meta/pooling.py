"""Inverse-variance pooling as R metafor 3.8-1 ``rma.uni`` (intercept-only), and a whole
analysis: effect sizes, then pooling (or Mantel-Haenszel / Peto on the 2x2 tables).

For an estimate of tau² (``tau2.py``), weights wᵢ = 1/(vᵢ + tau²) give μ̂ = Σwy/Σw with variance
1/Σw (GENQ: weights 1/vᵢ and the sandwich variance Σa²(v + tau²)/(Σa)²). Hartung-Knapp (``knha``;
Hartung and Knapp 2001, Sidik and Jonkman 2002) multiplies that variance by
Σwᵢ(yᵢ - μ̂)²/(k-1) and uses t(k-1). Heterogeneity: Cochran's Q with weights 1/vᵢ; I² and H² as
metafor computes them: for EE from Q (Higgins and Thompson 2002, eq. 5), for random effects from
tau² and the typical within-study variance (eq. 9): I² = 100 tau²/(vt + tau²), H² = tau²/vt + 1.
The prediction interval is μ̂ ± crit √(SE² + tau²) with crit normal (z) or t(k-1) (knha) as
metafor's ``predict``, or t(k-2) as RevMan Web (Higgins, Thompson, Spiegelhalter 2009; metafor
``pi.type="riley"``).

Where this differs from metafor, by design: EE has no tau², no tau² CI and no prediction interval
(None; metafor reports tau² = 0 and an interval equal to the CI); with one study metafor falls back
to the z test and gives tau² = 0, Q = 0, I² = 0, H² = 1, as here, but its prediction interval
(equal to the CI) is None here, and the RevMan interval needs k >= 3. GENQ's CI for tau² is None:
metafor computes it only with the CompQuadForm package, which the reference results lacked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from review_app.domain.meta.effects import CONTINUITY_CORRECTION, AddTo, effect_sizes
from review_app.domain.meta.errors import MetaError
from review_app.domain.meta.model import (
    Analysis,
    Dichotomous,
    Dropped,
    EffectSize,
    Method,
    Pooled,
    PredictionRule,
    StudyData,
    Test,
)
from review_app.domain.meta.tau2 import (
    Array,
    Tau2Estimate,
    estimate_tau2,
    q_profile_interval,
    q_statistic,
    typical_variance,
)
from review_app.domain.vocabulary import EffectMeasure

__all__ = ["MetaError", "analyse", "pool"]  # MetaError re-exported for the engine's callers


def pool(
    effects: Sequence[EffectSize],
    measure: EffectMeasure,
    *,
    method: Method = Method.REML,
    test: Test = Test.Z,
    level: float = 0.95,
    prediction: PredictionRule = PredictionRule.METAFOR,
) -> Pooled:
    """Pool effect sizes by inverse variance (metafor ``rma.uni(yi, vi, method=, test=)``, with
    ``confint()`` for the tau² CI and ``predict()`` for the prediction interval)."""
    _check_settings(method, level)
    if not effects:
        raise MetaError("No studies to pool: at least one study with an effect size is needed.")
    y = np.array([e.yi for e in effects], dtype=float)
    v = np.array([e.vi for e in effects], dtype=float)
    _check_effects(effects, y, v)
    if len(y) == 1:
        return _single_study(y, v, measure, method, level, prediction)
    estimate = estimate_tau2(method, y, v) if method.random_effects else None
    tau2 = estimate.tau2 if estimate else 0.0
    return _fit(y, v, measure, method, test, level, prediction, estimate, tau2)


def _check_settings(method: Method, level: float) -> None:
    if method.needs_tables:
        raise MetaError(
            f"{method.value} pools 2x2 tables, not effect sizes: use analyse() with the tables."
        )
    if not 0 < level < 1:
        raise MetaError(f"The confidence level must be between 0 and 1 (e.g. 0.95); got {level}.")


def _check_effects(effects: Sequence[EffectSize], y: Array, v: Array) -> None:
    for effect, yi, vi in zip(effects, y, v, strict=True):
        if not (math.isfinite(yi) and math.isfinite(vi) and vi > 0):
            raise MetaError(
                f"Study {effect.study!r}: yi must be a finite number and vi above 0; "
                f"got yi={effect.yi}, vi={effect.vi}."
            )


def _fit(
    y: Array,
    v: Array,
    measure: EffectMeasure,
    method: Method,
    test: Test,
    level: float,
    prediction: PredictionRule,
    estimate: Tau2Estimate | None,
    tau2: float,
) -> Pooled:
    from scipy.special import chdtrc

    k = len(y)
    w = 1 / (v + tau2)
    weights = 1 / v if method is Method.GENQ else w
    mu = float((weights * y).sum() / weights.sum())
    # GENQ's sandwich variance reduces to 1/Σw when the weights are 1/(v + tau²)
    var = float((weights**2 * (v + tau2)).sum() / weights.sum() ** 2)
    if test is Test.KNHA:
        var *= _knha_factor(y, w)
    se = math.sqrt(var)
    statistic, pval, crit, df = _inference(mu, se, test, k, level)
    q = q_statistic(y, v)
    i2, h2 = _i2_h2(method, q, k, tau2, v)
    interval = _tau2_interval(method, y, v, tau2, level)
    pi = _prediction_interval(mu, var, tau2, k, test, level, prediction, method)
    return Pooled(
        k=k,
        measure=measure,
        method=method,
        test=test,
        estimate=mu,
        se=se,
        statistic=statistic,
        pval=pval,
        ci_low=mu - crit * se,
        ci_high=mu + crit * se,
        tau2=tau2 if method.random_effects else None,
        se_tau2=estimate.se if estimate else None,
        tau2_ci_low=interval[0],
        tau2_ci_high=interval[1],
        i2=i2,
        h2=h2,
        q=q,
        q_df=k - 1,
        q_p=float(chdtrc(k - 1, q)),
        pi_low=pi[0],
        pi_high=pi[1],
        weights=tuple(float(x) for x in 100 * weights / weights.sum()),
        df=df,
        level=level,
        prediction_rule=prediction,
    )


def _knha_factor(y: Array, w: Array) -> float:
    # metafor s2w: Σ wᵢ (yᵢ - μ̂_w)² / (k-1) with w = 1/(v + tau²); 0 when the residuals vanish
    mu = float((w * y).sum() / w.sum())
    rss = float((w * (y - mu) ** 2).sum())
    return 0.0 if rss <= np.finfo(float).eps else rss / (len(y) - 1)


def _inference(
    mu: float, se: float, test: Test, k: int, level: float
) -> tuple[float, float, float, float | None]:
    """(statistic, two-sided p, critical value, t's df or None)."""
    from scipy.special import ndtr, ndtri, stdtr, stdtrit

    alpha = 1 - level
    statistic = mu / se if se > 0 else math.copysign(math.inf, mu) if mu else math.nan
    if test is Test.KNHA:
        df = k - 1
        return (
            statistic,
            float(2 * stdtr(df, -abs(statistic))),
            float(-stdtrit(df, alpha / 2)),
            float(df),
        )
    return statistic, float(2 * ndtr(-abs(statistic))), float(-ndtri(alpha / 2)), None


def _i2_h2(method: Method, q: float, k: int, tau2: float, v: Array) -> tuple[float, float]:
    if not method.random_effects:
        # Higgins and Thompson 2002, eq. 5 (metafor for EE): I² = (Q - df)/Q, H² = Q/df
        return (max(0.0, 100 * (q - (k - 1)) / q) if q > 0 else 0.0), q / (k - 1)
    vt = typical_variance(v)
    return 100 * tau2 / (vt + tau2), tau2 / vt + 1


def _tau2_interval(
    method: Method, y: Array, v: Array, tau2: float, level: float
) -> tuple[float | None, float | None]:
    if not method.random_effects or method is Method.GENQ:
        return None, None
    interval = q_profile_interval(y, v, tau2, level=level)
    return interval.low, interval.high


def _prediction_interval(
    mu: float,
    var: float,
    tau2: float,
    k: int,
    test: Test,
    level: float,
    rule: PredictionRule,
    method: Method,
) -> tuple[float | None, float | None]:
    from scipy.special import ndtri, stdtrit

    if not method.random_effects:
        return None, None
    alpha = 1 - level
    if rule is PredictionRule.REVMAN:
        if k < 3:
            return None, None
        crit = float(-stdtrit(k - 2, alpha / 2))
    elif test is Test.KNHA:
        crit = float(-stdtrit(k - 1, alpha / 2))
    else:
        crit = float(-ndtri(alpha / 2))
    half = crit * math.sqrt(var + tau2)
    return mu - half, mu + half


def _single_study(
    y: Array,
    v: Array,
    measure: EffectMeasure,
    method: Method,
    level: float,
    prediction: PredictionRule,
) -> Pooled:
    # metafor with k = 1: the study's own estimate, the z test whatever was asked ("Setting
    # argument test='z' since k=1"), tau² = 0 without SE or CI, Q = 0 (p = 1), I² = 0, H² = 1.
    mu, se = float(y[0]), math.sqrt(float(v[0]))
    statistic, pval, crit, _ = _inference(mu, se, Test.Z, 1, level)
    return Pooled(
        k=1,
        measure=measure,
        method=method,
        test=Test.Z,
        estimate=mu,
        se=se,
        statistic=statistic,
        pval=pval,
        ci_low=mu - crit * se,
        ci_high=mu + crit * se,
        tau2=0.0 if method.random_effects else None,
        se_tau2=None,
        tau2_ci_low=None,
        tau2_ci_high=None,
        i2=0.0,
        h2=1.0,
        q=0.0,
        q_df=0,
        q_p=1.0,
        pi_low=None,
        pi_high=None,
        weights=(100.0,),
        level=level,
        prediction_rule=prediction,
    )


def analyse(
    data: Sequence[StudyData],
    measure: EffectMeasure,
    *,
    method: Method = Method.REML,
    test: Test = Test.Z,
    level: float = 0.95,
    prediction: PredictionRule = PredictionRule.METAFOR,
    add: float = CONTINUITY_CORRECTION,
    to: AddTo | str = AddTo.ONLY0,
    drop00: bool = True,
) -> Analysis:
    """Effect sizes (``effect_sizes``), then the pooled result: inverse variance by ``pool``, or
    Mantel-Haenszel / Peto on the 2x2 tables (``mh.py``). ``pooled`` is None when no study is
    left; ``notes`` say what a reader should know (studies left out, a fallback to z)."""
    effects, dropped = effect_sizes(data, measure, add=add, to=to, drop00=drop00)
    notes = [f"{d.study} left out: {d.reason}." for d in dropped]
    if not effects:
        notes.append("No study has an effect size to pool.")
        return _analysis(data, measure, method, test, effects, None, dropped, notes)
    if method.needs_tables:
        pooled = _pool_tables(data, measure, method, test, level)
    else:
        pooled = pool(
            effects, measure, method=method, test=test, level=level, prediction=prediction
        )
        if pooled.k == 1 and test is not Test.Z:
            notes.append("One study: its own estimate with the z test (as metafor).")
    return _analysis(data, measure, method, test, effects, pooled, dropped, notes)


def _pool_tables(
    data: Sequence[StudyData], measure: EffectMeasure, method: Method, test: Test, level: float
) -> Pooled:
    if test is not Test.Z:
        raise MetaError(
            f"Hartung-Knapp is for inverse-variance random effects; {method.value} uses the z test."
        )
    if method is Method.PETO and measure is not EffectMeasure.OR:
        raise MetaError(f"Peto's method pools odds ratios (OR), not {measure.value}.")
    from review_app.domain.meta import mh  # the 2x2-table methods; imported when asked for

    tables = [d for d in data if isinstance(d, Dichotomous)]
    if len(tables) < len(data):
        raise MetaError(f"{method.value} pools 2x2 tables (events and totals per arm) only.")
    if method is Method.PETO:
        return mh.peto(tables, level=level)
    return mh.mantel_haenszel(tables, measure, level=level)


def _analysis(
    data: Sequence[StudyData],
    measure: EffectMeasure,
    method: Method,
    test: Test,
    effects: tuple[EffectSize, ...],
    pooled: Pooled | None,
    dropped: tuple[Dropped, ...],
    notes: list[str],
) -> Analysis:
    return Analysis(
        measure=measure,
        method=method,
        test=test,
        data=tuple(data),
        effects=effects,
        pooled=pooled,
        dropped=dropped,
        notes=tuple(notes),
    )
