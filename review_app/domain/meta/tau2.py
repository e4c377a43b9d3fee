"""Between-study variance (tau-squared) as R metafor 3.8-1 ``rma.uni`` estimates it, with its
standard error, and the Q-profile confidence interval of ``confint.rma.uni``.

The model is intercept-only, so metafor's projection matrix P = W - w wᵀ / Σw (weights w) has
closed forms; every trace and quadratic form below is one of them, computed in O(k):
yᵀPy = Σ w (y - ȳ_w)², tr(P) = Σw - Σw²/Σw, and so on (:class:`_Projection`).

metafor's iterations are reproduced step for step because its stopping rules are loose:
Fisher scoring (ML, REML, EB) stops when tau² changes by less than 1e-5, and the root searches
(Paule-Mandel, the Q-profile bounds) call R's ``uniroot`` with ``tol = .Machine$double.eps^0.25``
(about 1.2e-4), so an exact root differs from metafor's in the fifth digit. :func:`zeroin` is
R's Brent-Dekker ``R_zeroin2`` step for step (scipy's ``brentq`` takes other steps).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from review_app.domain.meta.errors import MetaError
from review_app.domain.meta.model import Method

Array = NDArray[np.float64]

EPSILON = sys.float_info.epsilon
UNIROOT_TOL = EPSILON**0.25  # metafor's control tol (R uniroot's default)
THRESHOLD = 1e-5  # metafor's control threshold for Fisher scoring
MAXITER = 100  # metafor's control maxiter (rma.uni)
CONFINT_MAXITER = 1000  # confint.rma.uni's maxiter


@dataclass(frozen=True, slots=True)
class Tau2Estimate:
    """tau-squared (truncated at 0 as metafor does) and its SE (None where metafor gives NA)."""

    tau2: float
    se: float | None


@dataclass(frozen=True, slots=True)
class Tau2Interval:
    """The Q-profile confidence interval of tau-squared (Viechtbauer 2007)."""

    low: float
    high: float


class _Projection:
    """Sums over metafor's P = A - a aᵀ / S (A = diag(a), S = Σa) for an intercept-only model."""

    def __init__(self, a: Array) -> None:
        self.a = a
        self.s = float(a.sum())
        self.a2 = a * a

    def mean(self, y: Array) -> float:
        return float((self.a * y).sum() / self.s)

    def rss(self, y: Array) -> float:
        """yᵀPy: the weighted residual sum of squares about the weighted mean."""
        r = y - self.mean(y)
        return float((self.a * r * r).sum())

    def rss_pp(self, y: Array) -> float:
        """yᵀPPy = Σ a² (y - ȳ_a)² (since Py = a (y - ȳ_a))."""
        r = y - self.mean(y)
        return float((self.a2 * r * r).sum())

    def trace(self) -> float:
        """tr(P)."""
        return self.s - float(self.a2.sum()) / self.s

    def sum_pp(self) -> float:
        """Σᵢⱼ Pᵢⱼ² = tr(PP)."""
        a2 = float(self.a2.sum())
        return a2 - 2 * float((self.a2 * self.a).sum()) / self.s + a2 * a2 / self.s**2

    def trace_pv(self, v: Array) -> float:
        """tr(PV), V = diag(v)."""
        return float((self.a * v).sum()) - float((self.a2 * v).sum()) / self.s

    def sum_pv_pv(self, v: Array) -> float:
        """Σ(PV ∘ (PV)ᵀ) = Σᵢⱼ Pᵢⱼ² vᵢ vⱼ."""
        a2v = float((self.a2 * v).sum())
        return (
            float((self.a2 * v * v).sum())
            - 2 * float((self.a2 * self.a * v * v).sum()) / self.s
            + a2v * a2v / self.s**2
        )

    def sum_pv_p(self, v: Array) -> float:
        """Σ(PV ∘ P) = Σᵢⱼ Pᵢⱼ² vⱼ."""
        return (
            float((self.a2 * v).sum())
            - 2 * float((self.a2 * self.a * v).sum()) / self.s
            + float(self.a2.sum()) * float((self.a2 * v).sum()) / self.s**2
        )


def q_statistic(y: Array, v: Array) -> float:
    """Cochran's Q about the inverse-variance weighted mean (metafor QE)."""
    return max(0.0, _Projection(1 / v).rss(y))


def typical_variance(v: Array) -> float:
    """The 'typical' within-study variance (k - 1) / tr(P), P with weights 1/v (Higgins and
    Thompson 2002, eq. 9; metafor's ``vt`` for I² and H²)."""
    return (len(v) - 1) / _Projection(1 / v).trace()


def estimate_tau2(method: Method, y: Array, v: Array) -> Tau2Estimate:
    """tau-squared by ``method`` (k >= 2; every v > 0)."""
    try:
        estimator = _ESTIMATORS[method]
    except KeyError:
        raise MetaError(f"{method.value} does not estimate tau-squared.") from None
    return estimator(y, v)


# --- closed-form estimators ---------------------------------------------------------------------


def _dl(y: Array, v: Array) -> Tau2Estimate:
    # DerSimonian and Laird 1986: (Q - (k-1)) / tr(P); SE as metafor (Viechtbauer 2007)
    k, proj = len(y), _Projection(1 / v)
    trp = proj.trace()
    tau2 = max(0.0, (proj.rss(y) - (k - 1)) / trp)
    se = math.sqrt((2 * (k - 1) + 4 * tau2 * trp + 2 * tau2**2 * proj.sum_pp()) / trp**2)
    return Tau2Estimate(tau2, se)


def _he(y: Array, v: Array) -> Tau2Estimate:
    # Hedges 1983 (variance components): (RSS_OLS - tr(PV)) / (k-1), P the unweighted projection
    k, proj = len(y), _Projection(np.ones_like(y))
    trpv = proj.trace_pv(v)
    tau2 = max(0.0, (proj.rss(y) - trpv) / (k - 1))
    var = (2 * proj.sum_pv_pv(v) + 4 * tau2 * trpv + 2 * tau2**2 * (k - 1)) / (k - 1) ** 2
    return Tau2Estimate(tau2, math.sqrt(var))


def _hs(y: Array, v: Array) -> Tau2Estimate:
    # Hunter and Schmidt 2004: (Q - k) / Σw, w = 1/v
    k, proj = len(y), _Projection(1 / v)
    tau2 = max(0.0, (proj.rss(y) - k) / proj.s)
    var = (2 * (k - 1) + 4 * tau2 * proj.trace() + 2 * tau2**2 * proj.sum_pp()) / proj.s**2
    return Tau2Estimate(tau2, math.sqrt(var))


def _genq(y: Array, v: Array) -> Tau2Estimate:
    # Generalised Q (DerSimonian and Kacker 2007) with weights a = 1/v: (yᵀPy - tr(PV)) / tr(P)
    proj = _Projection(1 / v)
    trp = proj.trace()
    tau2 = max(0.0, (proj.rss(y) - proj.trace_pv(v)) / trp)
    var = 2 * proj.sum_pv_pv(v) + 4 * tau2 * proj.sum_pv_p(v) + 2 * tau2**2 * proj.sum_pp()
    return Tau2Estimate(tau2, math.sqrt(var / trp**2))


def _sj(y: Array, v: Array) -> Tau2Estimate:
    # Sidik and Jonkman 2005: tau0 = Σ(y - ȳ)²/k; tau2 = tau0 yᵀPy / (k-1), w = 1/(v + tau0)
    k = len(y)
    tau0 = float(((y - y.mean()) ** 2).sum()) / k
    proj = _Projection(1 / (v + tau0))
    tau2 = max(0.0, tau0 * proj.rss(y) / (k - 1))
    var = (
        (2 * proj.sum_pv_pv(v) + 4 * tau2 * proj.sum_pv_p(v) + 2 * tau2**2 * proj.sum_pp())
        * tau0**2
        / (k - 1) ** 2
    )
    return Tau2Estimate(tau2, math.sqrt(var))


def _se_from_weights_sum(tau2: float, v: Array) -> float:
    # metafor's SE for EB, PM and PMM: sqrt(2 k² / (k-1) / (Σ 1/(v + tau2))²)
    k = len(v)
    return math.sqrt(2 * k**2 / (k - 1) / float((1 / (v + tau2)).sum()) ** 2)


# --- Paule-Mandel (root of the generalised Q) ---------------------------------------------------


def _pm_target(k: int, median_unbiased: bool) -> float:
    # PM solves Q(tau2) = k - 1 (Paule and Mandel 1982); PMM the chi-square median (Viechtbauer
    # 2021, "median-unbiased"): qchisq(0.5, k - 1)
    from scipy.special import gammaincinv

    return 2 * float(gammaincinv((k - 1) / 2, 0.5)) if median_unbiased else float(k - 1)


def generalised_q(y: Array, v: Array, tau2: float) -> float:
    """Q(tau2) = Σ wᵢ (yᵢ - ȳ_w)², w = 1/(v + tau2) (metafor's ``.QE.func``)."""
    return _Projection(1 / (v + tau2)).rss(y)


def _mad(y: Array) -> float:
    # R's mad(): 1.4826 * median(|y - median(y)|)
    return 1.4826 * float(np.median(np.abs(y - np.median(y))))


def _paule_mandel(y: Array, v: Array, *, median_unbiased: bool) -> Tau2Estimate:
    k = len(y)
    target = _pm_target(k, median_unbiased)
    high = max(100.0, 10 * _mad(y) ** 2)  # metafor's control tau2.max

    def f(tau2: float) -> float:
        return generalised_q(y, v, tau2) - target

    f_low = f(0.0)
    if f_low < 0:
        tau2 = 0.0
    else:
        f_high = f(high)
        if f_high > 0:
            raise MetaError(
                f"The Paule-Mandel estimate of tau-squared is above {high:g}; "
                "choose another method (e.g. REML)."
            )
        tau2 = zeroin(f, 0.0, high, f_low, f_high, tol=UNIROOT_TOL, maxiter=MAXITER)
    tau2 = max(0.0, tau2)
    return Tau2Estimate(tau2, _se_from_weights_sum(tau2, v))


def _pm(y: Array, v: Array) -> Tau2Estimate:
    return _paule_mandel(y, v, median_unbiased=False)


def _pmm(y: Array, v: Array) -> Tau2Estimate:
    return _paule_mandel(y, v, median_unbiased=True)


# --- Fisher scoring (ML, REML) and the empirical Bayes iteration --------------------------------


def _ml_step(y: Array, w: Array, proj: _Projection) -> float:
    return (proj.rss_pp(y) - float(w.sum())) / float((w * w).sum())


def _reml_step(y: Array, w: Array, proj: _Projection) -> float:
    return (proj.rss_pp(y) - proj.trace()) / proj.sum_pp()


def _eb_step(y: Array, w: Array, proj: _Projection) -> float:
    k = len(y)
    return (proj.rss(y) * k / (k - 1) - k) / float(w.sum())


_STEPS: dict[Method, Callable[[Array, Array, _Projection], float]] = {
    Method.ML: _ml_step,
    Method.REML: _reml_step,
    Method.EB: _eb_step,
}


def _fisher_scoring(method: Method, y: Array, v: Array) -> float:
    """metafor's iteration: start at the Hedges estimate (truncated at 0), step by the scoring
    update (halved while it would go below 0), stop when tau² changes by <= 1e-5."""
    tau2 = _he(y, v).tau2
    step = _STEPS[method]
    change, iterations = THRESHOLD + 1, 0
    while change > THRESHOLD:
        iterations += 1
        old = tau2
        w = 1 / (v + tau2)
        adj = step(y, w, _Projection(w))
        if math.isnan(adj):
            adj = 0.0
        while tau2 + adj < 0:
            adj /= 2
        tau2 += adj
        change = abs(old - tau2)
        if iterations > MAXITER:
            raise MetaError(
                f"The {method.value} estimate of tau-squared did not converge in {MAXITER} "
                "iterations; choose another method (e.g. DL or PM)."
            )
    return tau2


def _log_likelihood(method: Method, y: Array, v: Array, tau2: float) -> float:
    # metafor's ll.ML / ll.REML of an intercept-only model (Viechtbauer 2005)
    k, w = len(y), 1 / (v + tau2)
    proj = _Projection(w)
    ll = -0.5 * float(np.log(v + tau2).sum()) - 0.5 * proj.rss(y)
    if method is Method.REML:
        return ll - 0.5 * (k - 1) * math.log(2 * math.pi) - 0.5 * math.log(proj.s)
    return ll - 0.5 * k * math.log(2 * math.pi)


def _likelihood(method: Method, y: Array, v: Array) -> Tau2Estimate:
    tau2 = _fisher_scoring(method, y, v)
    if method is not Method.EB:
        # metafor's ll0check: a fit worse than tau² = 0 is a local maximum; use 0
        ll0 = _log_likelihood(method, y, v, 0.0)
        if ll0 - _log_likelihood(method, y, v, tau2) > UNIROOT_TOL and tau2 > THRESHOLD:
            tau2 = 0.0
    tau2 = max(0.0, tau2)
    w = 1 / (v + tau2)
    if method is Method.ML:
        se = math.sqrt(2 / float((w * w).sum()))
    elif method is Method.REML:
        se = math.sqrt(2 / _Projection(w).sum_pp())
    else:
        se = _se_from_weights_sum(tau2, v)
    return Tau2Estimate(tau2, se)


def _ml(y: Array, v: Array) -> Tau2Estimate:
    return _likelihood(Method.ML, y, v)


def _reml(y: Array, v: Array) -> Tau2Estimate:
    return _likelihood(Method.REML, y, v)


def _eb(y: Array, v: Array) -> Tau2Estimate:
    return _likelihood(Method.EB, y, v)


_ESTIMATORS: dict[Method, Callable[[Array, Array], Tau2Estimate]] = {
    Method.DL: _dl,
    Method.HE: _he,
    Method.HS: _hs,
    Method.GENQ: _genq,
    Method.SJ: _sj,
    Method.PM: _pm,
    Method.PMM: _pmm,
    Method.ML: _ml,
    Method.REML: _reml,
    Method.EB: _eb,
}


# --- Q-profile confidence interval --------------------------------------------------------------


def q_profile_interval(y: Array, v: Array, tau2: float, *, level: float) -> Tau2Interval:
    """The tau² values where the generalised Q crosses the chi-square(k-1) quantiles
    (Viechtbauer 2007; metafor ``confint.rma.uni``, type "QP", searched on [0, max(100, 10 tau²)]
    and truncated at its ends as metafor does)."""
    from scipy.special import gammainccinv, gammaincinv

    k, alpha = len(y), 1 - level
    crit_upper = 2 * float(gammainccinv((k - 1) / 2, alpha / 2))
    crit_lower = 2 * float(gammaincinv((k - 1) / 2, alpha / 2))
    low_end, high_end = 0.0, max(100.0, 10 * tau2)
    q_low, q_high = generalised_q(y, v, low_end), generalised_q(y, v, high_end)

    def root(crit: float) -> float:
        return zeroin(
            lambda t: generalised_q(y, v, t) - crit,
            low_end,
            high_end,
            q_low - crit,
            q_high - crit,
            tol=UNIROOT_TOL,
            maxiter=CONFINT_MAXITER,
        )

    if q_low < crit_lower:
        high = low_end
    elif q_high > crit_lower:
        high = high_end
    else:
        high = root(crit_lower)
    if q_high > crit_upper:
        low = high = high_end
    elif q_low < crit_upper:
        low = low_end
    else:
        low = root(crit_upper)
    return Tau2Interval(low, high)


# --- R's uniroot --------------------------------------------------------------------------------


def zeroin(
    f: Callable[[float], float],
    ax: float,
    bx: float,
    fa: float,
    fb: float,
    *,
    tol: float,
    maxiter: int,
) -> float:
    """A root of ``f`` in [ax, bx] by Brent's method (Brent 1973, ch. 4), exactly as R's
    ``R_zeroin2`` (src/library/stats/src/zeroin.c), which ``uniroot`` calls: same steps, same
    stopping rule, so the same (loosely converged) root as metafor."""
    if fa * fb > 0:
        raise MetaError("No root of the search function lies between its ends.")
    a, b, c, fc = ax, bx, ax, fa
    if fa == 0:
        return a
    if fb == 0:
        return b
    for _ in range(maxiter + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):  # make b the best approximation
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * EPSILON * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            new_step = _interpolated_step(a, b, c, fa, fb, fc, prev_step, tol_act, new_step)
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    raise MetaError(f"The root search did not converge in {maxiter} iterations.")


def _interpolated_step(
    a: float,
    b: float,
    c: float,
    fa: float,
    fb: float,
    fc: float,
    prev_step: float,
    tol_act: float,
    bisection: float,
) -> float:
    """R_zeroin2's secant or inverse quadratic step when it stays inside [b, c] and is not too
    large; otherwise the bisection step."""
    cb = c - b
    if a == c:  # two distinct points: linear interpolation
        t1 = fb / fa
        p = cb * t1
        q = 1.0 - t1
    else:  # inverse quadratic interpolation
        q, t1, t2 = fa / fc, fb / fc, fb / fa
        p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
        q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
    if p > 0:
        q = -q
    else:
        p = -p
    if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
        return p / q
    return bisection
