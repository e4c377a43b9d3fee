"""The formulas that turn what a paper reports into what an analysis needs (pure).

Each function is one published formula; its docstring and its :class:`Citation` (the formula as
people read it, and the source with its section) say where it comes from, and
:mod:`review_app.domain.extraction.formats` records the citation in every :class:`Step` it makes.
Sources:

- Cochrane Handbook for Systematic Reviews of Interventions, version 6.4 (2023): chapter 6
  (6.3.1, 6.3.2, 6.5.2.2, 6.5.2.3, 6.5.2.8, table 6.5.a, 6.8.2), 10.5.2 and chapter 23
  (23.1.4 cluster trials, 23.2.7 crossover trials, 23.3.4 multi-arm trials).
- Wan X, Wang W, Liu J, Tong T. Estimating the sample mean and standard deviation from the sample
  size, median, range and/or interquartile range. BMC Med Res Methodol 2014;14:135.
- Luo D, Wan X, Liu J, Tong T. Optimally estimating the sample mean from the sample size, median,
  mid-range, and/or mid-quartile range. Stat Methods Med Res 2018;27(6):1785-1805.
- Shi J, Luo D, Weng H, et al. Optimally estimating the sample standard deviation from the
  five-number summary. Res Synth Methods 2020;11(5):641-654.
- Shi J, Luo D, Wan X, et al. Detecting the skewness of data from the five-number summary and its
  application in meta-analysis. Stat Methods Med Res 2023;32(7):1338-1360.
- Tierney JF, Stewart LA, Ghersi D, Burdett S, Sydes MR. Practical methods for incorporating
  summary time-to-event data into meta-analysis. Trials 2007;8:16.

Names: a range is (a, b) = (minimum, maximum); quartiles q1, q3; m the median; n the sample size.
Normal quantiles come from :class:`statistics.NormalDist`, t quantiles from SciPy (imported where
used: SciPy is slow to import, CONTRIBUTING "Imports").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import TypeVar

HANDBOOK = "Cochrane Handbook 6.4"
WAN_2014 = "Wan et al. 2014, BMC Med Res Methodol 14:135"
LUO_2018 = "Luo et al. 2018, Stat Methods Med Res 27:1785"
SHI_2020 = "Shi et al. 2020, Res Synth Methods 11:641"
SHI_2023 = "Shi et al. 2023, Stat Methods Med Res 32:1338"
TIERNEY_2007 = "Tierney et al. 2007, Trials 8:16"

# Below this many participants a CI of a mean is read as a t interval (Handbook 6.5.2.2: "if the
# sample size is small (say fewer than 60 participants in each group)").
SMALL_SAMPLE = 60

F = TypeVar("F", bound=Callable[..., object])


@dataclass(frozen=True, slots=True)
class Citation:
    """A formula as people read it, and where it is published."""

    formula: str
    source: str


_CITATIONS: dict[str, Citation] = {}


def cited(formula: str, source: str) -> Callable[[F], F]:
    """Mark a conversion with its formula and source (read back with :func:`citation`)."""

    def mark(function: F) -> F:
        _CITATIONS[function.__name__] = Citation(formula, source)
        return function

    return mark


def citation(function: Callable[..., object]) -> Citation:
    """The formula and source of a conversion of this module."""
    return _CITATIONS[function.__name__]


@dataclass(frozen=True, slots=True)
class SkewTest:
    """Shi et al. 2023's test of normality from a five-number summary: the statistic, the
    critical value at the 5 % level, and whether the data look skewed (statistic >= critical)."""

    statistic: float
    critical: float

    @property
    def skewed(self) -> bool:
        return self.statistic >= self.critical


# --- quantiles -------------------------------------------------------------------------------


def z_quantile(level: float) -> float:
    """The two-sided normal quantile of a ``level`` % interval (1.959964 for 95)."""
    return NormalDist().inv_cdf(0.5 + level / 200)


def t_quantile(level: float, df: float) -> float:
    """The two-sided t quantile of a ``level`` % interval with ``df`` degrees of freedom."""
    from scipy import stats

    return float(stats.t.ppf(0.5 + level / 200, df))


@cited("z = Φ⁻¹(1 − p/2)", f"{HANDBOOK}, 6.3.2")
def z_from_p(p: float) -> float:
    """The z statistic of a two-sided p value (Handbook 6.3.2)."""
    return NormalDist().inv_cdf(1 - p / 2)


@cited("t = t⁻¹(1 − p/2; df)", f"{HANDBOOK}, 6.5.2.3 (1)")
def t_from_p(p: float, df: float) -> float:
    """The t statistic of a two-sided p value with ``df`` degrees of freedom (Handbook 6.5.2.3:
    for a difference in means df = n_E + n_C − 2; for a paired analysis n − 1, 23.2.7)."""
    from scipy import stats

    return float(stats.t.isf(p / 2, df))


# --- means and SDs of one group (Handbook 6.5.2.2) -------------------------------------------


@cited("SD = SE × √n", f"{HANDBOOK}, 6.5.2.2")
def sd_from_se(se: float, n: float) -> float:
    """The SD of a group from the SE of its mean (Handbook 6.5.2.2)."""
    return se * math.sqrt(n)


def ci_divisor(n: float, level: float = 95) -> float:
    """The width of a ``level`` % CI of a mean in SEs: 2 × t(n − 1) when n < 60, else 2 × z
    (Handbook 6.5.2.2: 3.92 for a large sample's 95 % CI, 4.128 for n = 25)."""
    if n < SMALL_SAMPLE:
        return 2 * t_quantile(level, n - 1)
    return 2 * z_quantile(level)


@cited(
    "SD = √n × (upper − lower) / divisor; divisor 2 × t(n−1) if n < 60, else 2 × z",
    f"{HANDBOOK}, 6.5.2.2",
)
def sd_from_ci(lower: float, upper: float, n: float, level: float = 95) -> float:
    """The SD of a group from the CI of its mean (Handbook 6.5.2.2), a t interval below 60."""
    return math.sqrt(n) * (upper - lower) / ci_divisor(n, level)


# --- effect estimates (Handbook 6.3) ---------------------------------------------------------


@cited("yi = ln(ratio)", f"{HANDBOOK}, 6.3.1 (ratios are analysed on the log scale)")
def log_ratio(ratio: float) -> float:
    """A ratio measure (RR, OR, HR, rate ratio) on the scale it is analysed on (Handbook 6.3.1)."""
    return math.log(ratio)


@cited(
    "SE = (upper − lower) / (2 × z); for ratios with ln(upper) and ln(lower)", f"{HANDBOOK}, 6.3.1"
)
def se_from_ci(lower: float, upper: float, level: float = 95, *, log_scale: bool = False) -> float:
    """The SE of an effect estimate from its CI (Handbook 6.3.1): 3.92 SEs wide at 95 %. For a
    ratio the interval is symmetric on the log scale, so the limits are logged first."""
    if log_scale:
        lower, upper = math.log(lower), math.log(upper)
    return (upper - lower) / (2 * z_quantile(level))


@cited("SE = |estimate| / z (or t)", f"{HANDBOOK}, 6.3.2 and 6.5.2.3 (2)")
def se_from_statistic(estimate: float, statistic: float) -> float:
    """The SE of an estimate from its test statistic (z or t): the statistic is estimate / SE
    (Handbook 6.3.2; 6.5.2.3 step 2, SE = MD / t). Ratios: the estimate on the log scale."""
    return abs(estimate / statistic)


@cited("lower, upper = yi ∓ z × SE (exponentiated for ratios)", f"{HANDBOOK}, 6.3.1")
def ci_from_se(
    yi: float, se: float, level: float = 95, *, log_scale: bool = False
) -> tuple[float, float]:
    """A ``level`` % CI from an estimate and its SE (Handbook 6.3.1, turned round); for ratios
    ``yi`` is the log ratio and the limits come back on the ratio scale."""
    half = z_quantile(level) * se
    lower, upper = yi - half, yi + half
    if log_scale:
        return math.exp(lower), math.exp(upper)
    return lower, upper


@cited("SD = SE / √(1/n_E + 1/n_C)", f"{HANDBOOK}, 6.5.2.3 (4)")
def sd_from_se_of_difference(se: float, n_e: float, n_c: float) -> float:
    """The within-group SD (assumed equal in both groups) from the SE of a mean difference
    (Handbook 6.5.2.3 step 4)."""
    return se / math.sqrt(1 / n_e + 1 / n_c)


@cited("ln HR = (O − E) / V; SE = 1 / √V", f"{HANDBOOK}, 6.8.2; {TIERNEY_2007}")
def log_hr_from_o_minus_e(o_minus_e: float, variance: float) -> tuple[float, float]:
    """The log hazard ratio and its SE from the log-rank O − E and its variance V (Peto's
    one-step estimate; Handbook 6.8.2, Tierney et al. 2007)."""
    return o_minus_e / variance, 1 / math.sqrt(variance)


# --- changes from baseline (Handbook 6.5.2.8, 10.5.2) ----------------------------------------


@cited(
    "SD_change = √(SD_baseline² + SD_final² − 2 × r × SD_baseline × SD_final)",
    f"{HANDBOOK}, 6.5.2.8",
)
def sd_change(sd_baseline: float, sd_final: float, correlation: float) -> float:
    """The SD of the change from baseline from the baseline and final SDs and the correlation
    between them (Handbook 6.5.2.8; the correlation is usually imputed from another study)."""
    return math.sqrt(sd_baseline**2 + sd_final**2 - 2 * correlation * sd_baseline * sd_final)


# --- combining groups (Handbook table 6.5.a; 23.3.4) -----------------------------------------


@cited(
    "N = N1 + N2; M = (N1 M1 + N2 M2) / N; "
    "SD = √[((N1−1)SD1² + (N2−1)SD2² + N1 N2 / N × (M1² + M2² − 2 M1 M2)) / (N − 1)]",
    f"{HANDBOOK}, table 6.5.a",
)
def combine_continuous(
    group_1: tuple[float, float, float], group_2: tuple[float, float, float]
) -> tuple[float, float, float]:
    """One group's (n, mean, SD) from two groups' (Handbook table 6.5.a); exact, as if the two
    samples had been pooled."""
    (n1, m1, sd1), (n2, m2, sd2) = group_1, group_2
    n = n1 + n2
    mean = (n1 * m1 + n2 * m2) / n
    between = n1 * n2 / n * (m1**2 + m2**2 - 2 * m1 * m2)
    sd = math.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2 + between) / (n - 1))
    return n, mean, sd


@cited("events = events1 + events2; total = total1 + total2", f"{HANDBOOK}, 23.3.4")
def combine_dichotomous(
    group_1: tuple[float, float], group_2: tuple[float, float]
) -> tuple[float, float]:
    """One group's (events, total) from two groups': both are summed (Handbook 23.3.4)."""
    return group_1[0] + group_2[0], group_1[1] + group_2[1]


# --- medians to means and SDs (Wan 2014, Luo 2018, Shi 2020, Shi 2023) ---------------------


def _xi(n: float) -> float:
    """Wan et al. 2014's ξ(n) = 2 Φ⁻¹((n − 0.375) / (n + 0.25)): the expected range of n
    standard normal values (Wan eq. 7)."""
    return 2 * NormalDist().inv_cdf((n - 0.375) / (n + 0.25))


def _eta(n: float) -> float:
    """Wan et al. 2014's η(n) = 2 Φ⁻¹((0.75 n − 0.125) / (n + 0.25)): the expected
    interquartile range of n standard normal values (Wan eq. 15)."""
    return 2 * NormalDist().inv_cdf((0.75 * n - 0.125) / (n + 0.25))


@cited("SD ≈ (b − a) / ξ(n), ξ(n) = 2 Φ⁻¹((n − 0.375) / (n + 0.25))", f"{WAN_2014}, eq. 9 (S1)")
def wan_sd_from_range(minimum: float, maximum: float, n: float) -> float:
    """The SD from the range (scenario S1: a, m, b, n), Wan et al. 2014 eq. 9. Needs n >= 2."""
    return (maximum - minimum) / _xi(n)


@cited(
    "SD ≈ (q3 − q1) / η(n), η(n) = 2 Φ⁻¹((0.75n − 0.125) / (n + 0.25))", f"{WAN_2014}, eq. 16 (S2)"
)
def wan_sd_from_iqr(q1: float, q3: float, n: float) -> float:
    """The SD from the interquartile range (scenario S2: q1, m, q3, n), Wan et al. 2014 eq. 16.
    Needs n >= 2."""
    return (q3 - q1) / _eta(n)


@cited("SD ≈ ½ [(b − a) / ξ(n) + (q3 − q1) / η(n)]", f"{WAN_2014}, eq. 13 (S3)")
def wan_sd_from_five(minimum: float, q1: float, q3: float, maximum: float, n: float) -> float:
    """The SD from range and IQR (scenario S3), Wan et al. 2014 eq. 13 (superseded for S3 by
    :func:`shi_sd_from_five`, kept to reproduce analyses that used it)."""
    return ((maximum - minimum) / _xi(n) + (q3 - q1) / _eta(n)) / 2


@cited(
    "SD ≈ w (b − a) / ξ(n) + (1 − w) (q3 − q1) / η(n), w = 1 / (1 + 0.07 n^0.6)",
    f"{SHI_2020}, eq. 10 (S3)",
)
def shi_sd_from_five(minimum: float, q1: float, q3: float, maximum: float, n: float) -> float:
    """The optimal SD from the five-number summary (scenario S3), Shi et al. 2020 eq. 10. For S1
    and S2 Shi et al. keep Wan et al.'s estimators."""
    weight = 1 / (1 + 0.07 * n**0.6)
    return weight * (maximum - minimum) / _xi(n) + (1 - weight) * (q3 - q1) / _eta(n)


@cited("mean ≈ w (a + b)/2 + (1 − w) m, w = 4 / (4 + n^0.75)", f"{LUO_2018}, eq. 7 (S1)")
def luo_mean_from_range(minimum: float, median: float, maximum: float, n: float) -> float:
    """The optimal mean from median and range (scenario S1), Luo et al. 2018 eq. 7."""
    weight = 4 / (4 + n**0.75)
    return weight * (minimum + maximum) / 2 + (1 - weight) * median


@cited("mean ≈ w (q1 + q3)/2 + (1 − w) m, w = 0.7 + 0.39 / n", f"{LUO_2018}, eq. 11 (S2)")
def luo_mean_from_iqr(q1: float, median: float, q3: float, n: float) -> float:
    """The optimal mean from median and quartiles (scenario S2), Luo et al. 2018 eq. 11."""
    weight = 0.7 + 0.39 / n
    return weight * (q1 + q3) / 2 + (1 - weight) * median


@cited(
    "mean ≈ w1 (a + b)/2 + w2 (q1 + q3)/2 + (1 − w1 − w2) m, "
    "w1 = 2.2 / (2.2 + n^0.75), w2 = 0.7 − 0.72 / n^0.55",
    f"{LUO_2018}, eq. 15 (S3)",
)
def luo_mean_from_five(
    minimum: float, q1: float, median: float, q3: float, maximum: float, n: float
) -> float:
    """The optimal mean from the five-number summary (scenario S3), Luo et al. 2018 eq. 15."""
    weight_range = 2.2 / (2.2 + n**0.75)
    weight_quartiles = 0.7 - 0.72 / n**0.55
    weight_median = 1 - weight_range - weight_quartiles
    return (
        weight_range * (minimum + maximum) / 2
        + weight_quartiles * (q1 + q3) / 2
        + weight_median * median
    )


@cited("skewed if |a + b − 2m| / (b − a) >= 1 / ln(n + 9) + 2.5 / (n + 1)", f"{SHI_2023} (S1)")
def shi_skew_from_range(minimum: float, median: float, maximum: float, n: float) -> SkewTest:
    """Shi et al. 2023's test of skewness from median and range (scenario S1), 5 % level."""
    statistic = abs((minimum + maximum - 2 * median) / (maximum - minimum))
    return SkewTest(statistic, 1 / math.log(n + 9) + 2.5 / (n + 1))


@cited("skewed if |q1 + q3 − 2m| / (q3 − q1) >= 2.65 / √n − 6 / n²", f"{SHI_2023} (S2)")
def shi_skew_from_iqr(q1: float, median: float, q3: float, n: float) -> SkewTest:
    """Shi et al. 2023's test of skewness from median and quartiles (scenario S2), 5 % level."""
    statistic = abs((q1 + q3 - 2 * median) / (q3 - q1))
    return SkewTest(statistic, 2.65 / math.sqrt(n) - 6 / n**2)


@cited(
    "skewed if max(2.65 ln(0.6n) / √n × |a + b − 2m| / (b − a), |q1 + q3 − 2m| / (q3 − q1))"
    " >= 3 / √n − 40 / n³",
    f"{SHI_2023} (S3)",
)
def shi_skew_from_five(
    minimum: float, q1: float, median: float, q3: float, maximum: float, n: float
) -> SkewTest:
    """Shi et al. 2023's test of skewness from the five-number summary (scenario S3), 5 %."""
    range_part = abs((minimum + maximum - 2 * median) / (maximum - minimum))
    quartile_part = abs((q1 + q3 - 2 * median) / (q3 - q1))
    statistic = max(2.65 * math.log(0.6 * n) / math.sqrt(n) * range_part, quartile_part)
    return SkewTest(statistic, 3 / math.sqrt(n) - 40 / n**3)


# --- cluster trials (Handbook 23.1.4) --------------------------------------------------------


@cited("design effect = 1 + (M − 1) × ICC", f"{HANDBOOK}, 23.1.4")
def design_effect(mean_cluster_size: float, icc: float) -> float:
    """How much clustering inflates the variance (Handbook 23.1.4): M the mean cluster size."""
    return 1 + (mean_cluster_size - 1) * icc


@cited("effective size = size / design effect", f"{HANDBOOK}, 23.1.4")
def effective_size(size: float, effect: float) -> float:
    """A sample size (or, for dichotomous data, a number of events or a total: both are divided
    by the same design effect) as the size of an individually randomised trial (23.1.4)."""
    return size / effect


@cited("SE = SE (ignoring clustering) × √design effect", f"{HANDBOOK}, 23.1.4")
def se_for_clustering(se: float, effect: float) -> float:
    """The SE of an estimate from an analysis that ignored clustering, inflated (23.1.4)."""
    return se * math.sqrt(effect)


# --- crossover trials, paired analysis (Handbook 23.2.7) -------------------------------------


@cited("SE(MD) = |MD / t| (paired t)", f"{HANDBOOK}, 23.2.7")
def se_from_paired_t(mean_difference: float, t: float) -> float:
    """The SE of a within-person mean difference from its paired t statistic (23.2.7)."""
    return abs(mean_difference / t)


@cited("t = t⁻¹(1 − p/2; n − 1); SE(MD) = |MD| / t", f"{HANDBOOK}, 23.2.7")
def se_from_paired_p(mean_difference: float, p: float, n: float) -> float:
    """The SE of a within-person mean difference from the p value of a paired t test on n
    participants (n − 1 degrees of freedom; 23.2.7)."""
    return abs(mean_difference) / t_from_p(p, n - 1)


@cited("SD_diff = √(SD_E² + SD_C² − 2 r SD_E SD_C); SE(MD) = SD_diff / √n", f"{HANDBOOK}, 23.2.7")
def se_paired_from_correlation(sd_e: float, sd_c: float, correlation: float, n: float) -> float:
    """The SE of a within-person mean difference from each period's SD and the correlation
    between a participant's two measurements (23.2.7; the correlation is often imputed)."""
    sd_difference = math.sqrt(sd_e**2 + sd_c**2 - 2 * correlation * sd_e * sd_c)
    return sd_difference / math.sqrt(n)


@cited(
    "r = (SD_E² + SD_C² − SD_diff²) / (2 SD_E SD_C), SD_diff = SE(MD) × √n", f"{HANDBOOK}, 23.2.7"
)
def crossover_correlation(sd_e: float, sd_c: float, se_difference: float, n: float) -> float:
    """The correlation a crossover study implies, from its paired SE and its periods' SDs
    (23.2.7): what another study's paired analysis may borrow."""
    sd_difference = se_difference * math.sqrt(n)
    return (sd_e**2 + sd_c**2 - sd_difference**2) / (2 * sd_e * sd_c)
