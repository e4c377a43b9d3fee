"""RevMan's wording of a meta-analysis: P values, the heterogeneity, overall-effect and
subgroup-difference lines, the method's label and footnotes, and effects with their CI as text.

RevMan is Cochrane's Review Manager (Cochrane Handbook 10.10.2 for the statistics it prints); its
thresholds for P values and its rounding are kept so that a figure reads as one from RevMan.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from review_app.domain.meta.model import Analysis, Method, Pooled, PredictionRule, Test

if TYPE_CHECKING:
    from review_app.domain.meta.further import SubgroupDifference

NOT_ESTIMABLE = "Not estimable"  # RevMan's words for a study without an effect
ESTIMATORS = {  # the tau-squared estimators named in the footnote (RevMan's words for DL, REML, PM)
    Method.DL: "DerSimonian and Laird",
    Method.REML: "Restricted Maximum-Likelihood",
    Method.PM: "Paule-Mandel",
    Method.ML: "Maximum-Likelihood",
    Method.HE: "Hedges",
    Method.SJ: "Sidik-Jonkman",
    Method.EB: "Empirical Bayes",
    Method.HS: "Hunter-Schmidt",
    Method.GENQ: "Generalised Q-statistic",
    Method.PMM: "Median-unbiased Paule-Mandel",
}
POOLING = {Method.MH: "M-H", Method.PETO: "Peto"}  # the rest is inverse variance ("IV")


def format_p(p: float) -> str:
    """A P value as RevMan writes it: "P < 0.00001", "P < 0.0001", "P = 0.0006", "P = 0.002",
    "P = 0.04"."""
    if p < 0.00001:
        return "P < 0.00001"
    if p < 0.0001:
        return "P < 0.0001"
    decimals = 4 if p < 0.001 else 3 if p < 0.01 else 2
    return f"P = {p:.{decimals}f}"


def heterogeneity_text(pooled: Pooled) -> str:
    """ "Heterogeneity: Tau² = 0.31; Chi² = 152.23, df = 12 (P < 0.00001); I² = 92%" (no Tau²
    for a fixed-effect model; "Not applicable" for a single study, as RevMan)."""
    if pooled.k < 2 or pooled.q_df < 1:
        return "Heterogeneity: Not applicable"
    parts = [f"Chi² = {pooled.q:.2f}, df = {pooled.q_df} ({format_p(pooled.q_p)})"]
    if pooled.method.random_effects and pooled.tau2 is not None:
        parts.insert(0, f"Tau² = {pooled.tau2:.2f}")
    if pooled.i2 is not None:
        parts.append(f"I² = {pooled.i2:.0f}%")
    return "Heterogeneity: " + "; ".join(parts)


def overall_effect_text(pooled: Pooled) -> str:
    """ "Test for overall effect: Z = 4.00 (P < 0.0001)"; with Hartung-Knapp-Sidik-Jonkman the
    t statistic and its degrees of freedom."""
    statistic = abs(pooled.statistic)
    if pooled.test is Test.KNHA and pooled.df is not None:
        return (
            f"Test for overall effect: t = {statistic:.2f}, df = {pooled.df:g} "
            f"({format_p(pooled.pval)})"
        )
    return f"Test for overall effect: Z = {statistic:.2f} ({format_p(pooled.pval)})"


def subgroup_difference_text(difference: SubgroupDifference) -> str:
    """ "Test for subgroup differences: Chi² = 1.23, df = 2 (P = 0.54), I² = 0%"."""
    return (
        f"Test for subgroup differences: Chi² = {difference.q:.2f}, df = {difference.df} "
        f"({format_p(difference.p)}), I² = {difference.i2:.0f}%"
    )


def method_label(analysis: Analysis, level: float = 0.95) -> str:
    """ "IV, Random, 95% CI", "M-H, Fixed, 95% CI", "Peto, Fixed, 95% CI"."""
    model = "Random" if analysis.method.random_effects else "Fixed"
    return f"{POOLING.get(analysis.method, 'IV')}, {model}, {level:.0%} CI"


def method_notes(pooled: Pooled) -> list[str]:
    """How the random-effects numbers were computed, as RevMan's footnotes say it, and which
    prediction interval is drawn (labelled, since metafor's and RevMan's differ)."""
    if not pooled.method.random_effects:
        return []
    ci = "Hartung-Knapp-Sidik-Jonkman" if pooled.test is Test.KNHA else "Wald-type"
    notes = [
        f"Tau² calculated by {ESTIMATORS.get(pooled.method, pooled.method.value)} method.",
        f"CI calculated by {ci} method.",
    ]
    if pooled.pi_low is not None:
        if pooled.prediction_rule is PredictionRule.REVMAN:
            rule = "t-distribution with k-2 df (RevMan)"
        elif pooled.test is Test.KNHA:
            rule = "t-distribution with k-1 df (metafor)"
        else:
            rule = "normal distribution (metafor)"
        notes.append(f"Prediction interval calculated by {rule}.")
    return notes


def number_text(value: float) -> str:
    """An arm's number as entered: integers without decimals, others to at most 2 decimals."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def back(value: float, is_ratio: bool) -> float:
    return math.exp(min(value, 700.0)) if is_ratio else value


def interval_text(estimate: float, low: float, high: float, *, is_ratio: bool) -> str:
    """ "0.41 [0.13, 1.26]": back-transformed for ratios, 2 decimals (RevMan)."""
    e, lo, hi = (back(v, is_ratio) for v in (estimate, low, high))
    return f"{e:.2f} [{lo:.2f}, {hi:.2f}]"
