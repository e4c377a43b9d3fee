"""Mantel-Haenszel and Peto pooling of 2x2 tables, equal to R metafor 3.8-1's ``rma.mh`` and
``rma.peto`` with their defaults (``add=1/2, to="only0", drop00=TRUE``).

Both are fixed-effect methods that pool the tables themselves, not inverse-variance effect sizes,
so a table with a zero cell needs no continuity correction for the estimate (Cochrane Handbook
10.4.4.1). Formulas, with a_i, b_i (events, non-events in the intervention arm), c_i, d_i (the
same in the comparator arm), n1_i = a_i + b_i, n2_i = c_i + d_i, N_i = n1_i + n2_i:

- MH odds ratio: OR = sum(a d / N) / sum(b c / N); the variance of log OR is Robins, Breslow &
  Greenland's (Biometrics 1986;42:311-323), as metafor writes it with P = (a + d)/N,
  Q = (b + c)/N, R = a d / N, S = b c / N.
- MH risk ratio: RR = sum(a n2 / N) / sum(c n1 / N); the variance of log RR is Greenland &
  Robins' (Biometrics 1985;41:55-68): sum(n1 n2 (a + c) / N^2 - a c / N) / (R S).
- MH risk difference: RD = sum((a n2 - c n1) / N) / sum(n1 n2 / N), with the variance of
  Sato, Greenland & Robins (Biometrics 1989;45:1323-1324) as metafor computes it.
- Peto's one-step odds ratio (Yusuf et al., Prog Cardiovasc Dis 1985;27:335-371):
  log OR = sum(a - E) / sum(V), E = (a + c) n1 / N, V = (a + c)(b + d) n1 n2 / (N^2 (N - 1)),
  SE = 1 / sqrt(sum V); its Q = sum((a - E)^2 / V) - sum(a - E)^2 / sum(V).

Heterogeneity (metafor, not RevMan): for Mantel-Haenszel, Cochran's Q is the inverse-variance
sum of squares of the studies' effect sizes (escalc with 1/2 added to every cell of a table with
a zero) around the MH estimate; for Peto it is the Q above. Its degrees of freedom count the
studies that have an effect size: a table with no events in both arms, or only events in both,
has none (``drop00``), yet it stays in the pooling (it weighs nothing for OR, RR and Peto, and
something for RD). I2 = max(0, (Q - df) / Q) and H2 = Q / df; with one such study Q = 0, p = 1,
I2 = 0, H2 = 1. Weights are metafor's ``weights()``: each table's MH (or Peto V) weight in percent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from review_app.domain.meta.effects import (
    CONTINUITY_CORRECTION,
    DICHOTOMOUS_MEASURES,
    AddTo,
    effect_sizes,
)
from review_app.domain.meta.errors import MetaError
from review_app.domain.meta.model import Dichotomous, Method, Pooled, Test
from review_app.domain.vocabulary import EffectMeasure

Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class _Cells:
    """The studies' 2x2 tables as arrays: a, b events and non-events (intervention), c, d the
    same (comparator), and each table's escalc effect size and variance."""

    a: Array
    b: Array
    c: Array
    d: Array
    yi: Array  # escalc effect sizes (add=1/2, to="only0"), used for Q
    vi: Array

    @property
    def n1(self) -> Array:
        return self.a + self.b

    @property
    def n2(self) -> Array:
        return self.c + self.d

    @property
    def n(self) -> Array:
        return self.a + self.b + self.c + self.d

    @property
    def is_informative(self) -> bool:
        """Some table has a d > 0 or b c > 0. Otherwise every table has nobody, or everybody,
        with the event in both arms, and the MH RR and RD have variance 0 (Greenland-Robins'
        term per table, n1 n2 (a + c) / N^2 - a c / N, is (a d n1 + b c n2) / N^2; Sato's RD
        variance vanishes likewise). Tested on the cells, not on a variance near 0 by rounding."""
        return bool(((self.a * self.d > 0) | (self.b * self.c > 0)).any())

    @property
    def without_effect_size(self) -> NDArray[np.bool_]:
        """No events in both arms, or only events in both: metafor's ``drop00`` tables."""
        return ((self.a == 0) & (self.c == 0)) | ((self.b == 0) & (self.d == 0))


@dataclass(frozen=True, slots=True)
class _Fit:
    """A fixed-effect estimate on the analysis scale, its SE and each table's weight."""

    estimate: float
    se: float
    weights: Array


def mantel_haenszel(
    tables: Sequence[Dichotomous], measure: EffectMeasure, *, level: float = 0.95
) -> Pooled:
    """The Mantel-Haenszel pooled RR, OR or RD of ``tables`` (log scale for ratios), as metafor
    ``rma.mh(measure=..., level=...)`` with its defaults."""
    if measure not in DICHOTOMOUS_MEASURES:
        allowed = ", ".join(sorted(m.value for m in DICHOTOMOUS_MEASURES))
        raise MetaError(
            f"The Mantel-Haenszel method pools {allowed} from 2x2 tables, not {measure.value}."
        )
    _check_level(level)
    cells = _cells(tables, measure)
    fit = _MH_FITS[measure](cells)
    q, q_df = _mh_q(cells, fit.estimate)
    return _pooled(len(tables), measure, Method.MH, fit, q, q_df, level)


def peto(tables: Sequence[Dichotomous], *, level: float = 0.95) -> Pooled:
    """Peto's pooled log odds ratio of ``tables``, as metafor ``rma.peto(level=...)``."""
    _check_level(level)
    cells = _cells(tables, EffectMeasure.OR)
    a, n1, n2, n = cells.a, cells.n1, cells.n2, cells.n
    events, non_events = a + cells.c, cells.b + cells.d
    expected = events * n1 / n
    variance = events * non_events * (n1 / n) * (n2 / n) / (n - 1)
    total = float(variance.sum())
    if total == 0:
        raise MetaError(
            "Peto's odds ratio cannot be estimated: in every study either nobody or everybody "
            "had the event."
        )
    observed_minus_expected = a - expected
    estimate = float(observed_minus_expected.sum()) / total
    informative = variance > 0
    q = float(
        (observed_minus_expected[informative] ** 2 / variance[informative]).sum()
        - observed_minus_expected.sum() ** 2 / total
    )
    # V > 0 exactly for the tables with an effect size (events and non-events both occur).
    q_df = max(0, int(informative.sum()) - 1)
    fit = _Fit(estimate, math.sqrt(1 / total), variance)
    return _pooled(len(tables), EffectMeasure.OR, Method.PETO, fit, max(0.0, q), q_df, level)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise MetaError(f"The confidence level must be between 0 and 1 (e.g. 0.95); got {level}.")


def _cells(tables: Sequence[Dichotomous], measure: EffectMeasure) -> _Cells:
    """The tables as arrays, each with its escalc effect size (``effect_sizes`` also checks the
    tables: events between 0 and the total)."""
    if not tables:
        raise MetaError("Pooling 2x2 tables needs at least one study's table; got none.")
    # 1/2 added to every cell of a table with a zero (escalc's to="only0") leaves every table an
    # effect size, in order; which ones count for Q is metafor's drop00, decided in _Cells.
    effects, _ = effect_sizes(
        tables, measure, add=CONTINUITY_CORRECTION, to=AddTo.ONLY0, drop00=False
    )
    a = np.array([t.events_t for t in tables], dtype=float)
    c = np.array([t.events_c for t in tables], dtype=float)
    b = np.array([t.n_t for t in tables], dtype=float) - a
    d = np.array([t.n_c for t in tables], dtype=float) - c
    yi = np.array([e.yi for e in effects], dtype=float)
    vi = np.array([e.vi for e in effects], dtype=float)
    return _Cells(a, b, c, d, yi, vi)


def _mh_odds_ratio(cells: _Cells) -> _Fit:
    """Robins, Breslow & Greenland (1986) variance of the MH log odds ratio."""
    a, b, c, d, n = cells.a, cells.b, cells.c, cells.d, cells.n
    p, q = (a + d) / n, (b + c) / n
    r, s = a * d / n, b * c / n
    r_sum, s_sum = float(r.sum()), float(s.sum())
    if r_sum == 0 or s_sum == 0:
        arms = ("intervention", "comparator") if r_sum == 0 else ("comparator", "intervention")
        raise MetaError(
            "The Mantel-Haenszel odds ratio cannot be estimated (it would be 0 or infinite): no "
            f"study has both events in the {arms[0]} arm and non-events in the {arms[1]} arm."
        )
    variance = 0.5 * (
        (p * r).sum() / r_sum**2
        + (p * s + q * r).sum() / (r_sum * s_sum)
        + (q * s).sum() / s_sum**2
    )
    return _Fit(math.log(r_sum / s_sum), math.sqrt(max(variance, 0.0)), s)


def _mh_risk_ratio(cells: _Cells) -> _Fit:
    """Greenland & Robins (1985) variance of the MH log risk ratio."""
    a, c, n1, n2, n = cells.a, cells.c, cells.n1, cells.n2, cells.n
    if a.sum() == 0 or c.sum() == 0:
        raise MetaError(
            "The Mantel-Haenszel risk ratio cannot be estimated: no study has an event in the "
            f"{'intervention' if a.sum() == 0 else 'comparator'} arm."
        )
    r, s = a * n2 / n, c * n1 / n
    r_sum, s_sum = float(r.sum()), float(s.sum())
    variance = float((n1 / n * (n2 / n) * (a + c) - a / n * c).sum()) / (r_sum * s_sum)
    if not cells.is_informative:
        raise _no_variance("risk ratio", "everybody")
    return _Fit(math.log(r_sum / s_sum), math.sqrt(max(variance, 0.0)), s)


def _mh_risk_difference(cells: _Cells) -> _Fit:
    """Sato, Greenland & Robins (1989) variance of the MH risk difference (metafor's form)."""
    a, c, n1, n2, n = cells.a, cells.c, cells.n1, cells.n2, cells.n
    weights = n1 * (n2 / n)
    total = float(weights.sum())
    estimate = float((a * (n2 / n) - c * (n1 / n)).sum()) / total
    numerator = (
        estimate
        * float((c * (n1 / n) ** 2 - a * (n2 / n) ** 2 + (n1 / n) * (n2 / n) * (n2 - n1) / 2).sum())
        + float((a * (n2 - c) / n + c * (n1 - a) / n).sum()) / 2
    )
    if not cells.is_informative:
        raise _no_variance("risk difference", "either nobody or everybody")
    # An exact 0 can come out a rounding error below it (e.g. 2/2 against 0/7): _pooled refuses it.
    return _Fit(estimate, math.sqrt(max(numerator, 0.0) / total**2), weights)


def _no_variance(measure: str, who: str) -> MetaError:
    # metafor returns SE 0 and an undefined z; say why instead
    return MetaError(
        f"The Mantel-Haenszel {measure} has no variance: in every study {who} had the event "
        "in both arms."
    )


_MH_FITS = {
    EffectMeasure.OR: _mh_odds_ratio,
    EffectMeasure.RR: _mh_risk_ratio,
    EffectMeasure.RD: _mh_risk_difference,
}


def _mh_q(cells: _Cells, estimate: float) -> tuple[float, int]:
    """Cochran's Q of the studies' effect sizes around the MH estimate, and its df, over the
    tables that have an effect size (metafor's drop00)."""
    kept = ~cells.without_effect_size
    if kept.sum() < 2:
        return 0.0, 0
    yi, wi = cells.yi[kept], 1 / cells.vi[kept]
    return max(0.0, float((wi * (yi - estimate) ** 2).sum())), int(kept.sum()) - 1


def _pooled(
    k: int,
    measure: EffectMeasure,
    method: Method,
    fit: _Fit,
    q: float,
    q_df: int,
    level: float,
) -> Pooled:
    from scipy import stats

    if not fit.se > 0:  # e.g. a risk difference where each arm had no events or only events
        raise MetaError(
            f"The {measure.label.lower()} cannot be pooled by {method.value}: its variance is 0 "
            "(in every study each arm had either no events or only events)."
        )
    z = fit.estimate / fit.se
    half_width = NormalDist().inv_cdf(0.5 + level / 2) * fit.se
    if q_df > 0:
        # identical tables give Q = 0: metafor's I2 is then max(0, -Inf) = 0
        i2 = max(0.0, 100 * (q - q_df) / q) if q > 0 else 0.0
        q_p, h2 = float(stats.chi2.sf(q, q_df)), q / q_df
    else:
        q_p, i2, h2 = 1.0, 0.0, 1.0
    return Pooled(
        k=k,
        measure=measure,
        method=method,
        test=Test.Z,
        estimate=fit.estimate,
        se=fit.se,
        statistic=z,
        pval=math.erfc(abs(z) / math.sqrt(2)),
        ci_low=fit.estimate - half_width,
        ci_high=fit.estimate + half_width,
        tau2=None,
        se_tau2=None,
        tau2_ci_low=None,
        tau2_ci_high=None,
        i2=i2,
        h2=h2,
        q=q,
        q_df=q_df,
        q_p=q_p,
        pi_low=None,
        pi_high=None,
        weights=tuple(float(w) for w in fit.weights / fit.weights.sum() * 100),
        level=level,
    )
