"""Result formats: the forms in which papers report a result, declared once (pure).

A :class:`Result` holds the numbers of one format as the paper reports them. :data:`FORMATS` is
the one registry of formats: each names its fields (from :data:`FIELDS`, where each field's
meaning and allowed values are declared once), whether it is an arm's result or a contrast between
two arms, the protocol outcome types it may be used for, and how it turns into what an analysis
needs. :func:`check_result` refuses impossible values (never missing ones: papers often omit an
SD, and a result with n and mean but no spread is legal, only not usable). :func:`derive` turns a
result into the analysis' numbers, remembering each formula it used (:class:`Step`) and what is
missing:

- arm, continuous: n, mean, sd (cluster trials add n_effective);
- arm, dichotomous or time-to-event: events, total (cluster trials add events_effective and
  total_effective);
- arm, count: events, person_time;
- contrast: estimate, ci_lower, ci_upper (natural scale, 95 %), yi (log for ratios) and se (of yi);
  a contrast from a cluster trial not adjusted for clustering has its SE inflated.

Medians are turned into means and SDs by Luo 2018, Wan 2014 and Shi 2020 (flagged estimated, with
Shi 2023's skewness check as a warning); see :mod:`review_app.domain.extraction.conversions`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from review_app.domain.extraction import conversions as cv
from review_app.domain.extraction.conversions import HANDBOOK, Citation
from review_app.domain.extraction.model import Design, Result, same_label
from review_app.domain.vocabulary import MEASURES_FOR, EffectMeasure, StudyDesign
from review_app.errors import ValidationError

CONTINUOUS_OUTCOME = "continuous"
DICHOTOMOUS_OUTCOME = "dichotomous"
OUTCOME_TYPES = (CONTINUOUS_OUTCOME, DICHOTOMOUS_OUTCOME)
DEFAULT_CI_LEVEL = 95.0


class DataType(StrEnum):
    """What kind of data a format holds (RevMan's data types)."""

    CONTINUOUS = "continuous"
    DICHOTOMOUS = "dichotomous"
    TIME_TO_EVENT = "time_to_event"
    COUNT = "count"
    GENERIC = "generic"  # an effect estimate and its SE: RevMan's generic inverse variance


@dataclass(frozen=True)
class FormatField:
    """One number of a result format, with the values it may take.

    ``minimum``/``maximum`` bound it (``*_open``: the bound itself is not allowed); ``whole``: a
    count of people or events.
    """

    name: str
    label: str
    whole: bool = False
    help: str = ""
    minimum: float | None = None
    minimum_open: bool = False
    maximum: float | None = None
    maximum_open: bool = False

    def problem(self, value: float) -> str | None:
        """What is impossible about ``value`` for this field, or None."""
        if not math.isfinite(value):
            return f"{self.label} must be a finite number (got {value})"
        if self.whole and value != int(value):
            return f"{self.label} must be a whole number (got {value:g})"
        if not self._within(value):
            return f"{self.label} must be {self.allowed} (got {value:g})"
        return None

    def _within(self, value: float) -> bool:
        low, high = self.minimum, self.maximum
        above = low is None or (value > low if self.minimum_open else value >= low)
        below = high is None or (value < high if self.maximum_open else value <= high)
        return above and below

    @property
    def allowed(self) -> str:
        """The allowed values in words ("above 0", "at least 0", "above 0 and at most 1")."""
        parts = []
        if self.minimum is not None:
            parts.append(f"{'above' if self.minimum_open else 'at least'} {self.minimum:g}")
        if self.maximum is not None:
            parts.append(f"{'below' if self.maximum_open else 'at most'} {self.maximum:g}")
        return " and ".join(parts) or "any number"


def _spread(name: str, label: str, help: str = "") -> FormatField:
    return FormatField(name, label, help=help, minimum=0, minimum_open=True)


def _count(name: str, label: str, help: str = "") -> FormatField:
    return FormatField(name, label, whole=True, help=help, minimum=0)


_RATIO_HELP = "For a ratio (RR, OR, HR, rate ratio) enter the ratio itself, not its log."

# Every field any format uses, declared once.
FIELDS: Mapping[str, FormatField] = MappingProxyType(
    {
        f.name: f
        for f in (
            FormatField("n", "n", whole=True, help="Participants analysed", minimum=1),
            FormatField("mean", "Mean"),
            _spread("sd", "SD"),
            _spread("se", "SE", help="Of the mean; for a contrast of a ratio, of the log ratio"),
            FormatField("ci_lower", "CI lower limit", help=_RATIO_HELP),
            FormatField("ci_upper", "CI upper limit", help=_RATIO_HELP),
            FormatField(
                "ci_level",
                "CI level (%)",
                help="95 unless the paper says otherwise",
                minimum=0,
                minimum_open=True,
                maximum=100,
                maximum_open=True,
            ),
            FormatField("median", "Median"),
            FormatField("q1", "Lower quartile (Q1)"),
            FormatField("q3", "Upper quartile (Q3)"),
            FormatField("minimum", "Minimum"),
            FormatField("maximum", "Maximum"),
            FormatField("mean_change", "Mean change from baseline"),
            _spread("sd_change", "SD of the change"),
            FormatField("mean_baseline", "Mean at baseline"),
            _spread("sd_baseline", "SD at baseline"),
            FormatField("mean_final", "Mean at the end"),
            _spread("sd_final", "SD at the end"),
            FormatField(
                "correlation",
                "Correlation",
                help="Between a participant's two measurements; if imputed, say so in the note",
                minimum=-1,
                maximum=1,
            ),
            _count("events", "Events"),
            _count("total", "Total", help="Participants analysed"),
            _spread("person_time", "Person-time", help="In the unit the paper uses"),
            FormatField("estimate", "Estimate", help=_RATIO_HELP),
            FormatField(
                "p_value",
                "p value",
                help="An exact two-sided p; 'p < 0.05' cannot be converted",
                minimum=0,
                minimum_open=True,
                maximum=1,
            ),
            FormatField("t", "t statistic", help="Of the paired t test"),
            FormatField("mean_e", "Mean, intervention period"),
            _spread("sd_e", "SD, intervention period"),
            FormatField("mean_c", "Mean, comparator period"),
            _spread("sd_c", "SD, comparator period"),
            FormatField("o_minus_e", "O − E", help="Observed minus expected events (log-rank)"),
            _spread("variance", "Variance (V)", help="Of O − E"),
        )
    }
)


@dataclass(frozen=True)
class Problem:
    """One impossible thing about a result: the field (a :class:`FormatField` name, or "format",
    "measure", "comparator", "arm") and a sentence saying what is wrong and what is allowed."""

    field: str
    message: str


@dataclass(frozen=True)
class Step:
    """One conversion: the formula, its source, and the numbers that went in and came out."""

    formula: str
    source: str
    inputs: Mapping[str, float]
    outputs: Mapping[str, float]


@dataclass(frozen=True)
class Derived:
    """What an analysis needs from one result, and how it was obtained.

    ``estimated``: some value is an approximation (a mean from a median, an SD from a range, an
    imputed correlation). ``missing``: what is not reported (or not usable) and prevents the
    result from being used; ``warnings``: sentences people should read (skewed data...).
    """

    values: Mapping[str, float]
    estimated: bool
    steps: tuple[Step, ...]
    missing: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        return not self.missing


@dataclass
class _Work:
    """A derivation under way: the reported values in, the analysis' values, steps and gaps out."""

    result: Result
    design: Design
    values: dict[str, float] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    estimated: bool = False

    @property
    def reported(self) -> Mapping[str, float]:
        return self.result.values

    @property
    def measure(self) -> EffectMeasure | None:
        return self.result.measure

    def need(self, *names: str) -> bool:
        """Whether every named field is reported; the absent ones are recorded as missing."""
        absent = [name for name in names if name not in self.reported]
        self.missing.extend(name for name in absent if name not in self.missing)
        return not absent

    def copy(self, *names: str) -> None:
        """Reported values the analysis uses as they are."""
        for name in names:
            if name in self.reported:
                self.values[name] = self.reported[name]

    def step(self, cited: Citation, inputs: Mapping[str, float], **outputs: float) -> None:
        self.values.update(outputs)
        self.steps.append(Step(cited.formula, cited.source, dict(inputs), dict(outputs)))

    def refuse(self, name: str, why: str) -> None:
        """A value that cannot be derived from what is reported, and why."""
        if name not in self.missing:
            self.missing.append(name)
        self.warnings.append(why)

    def done(self) -> Derived:
        return Derived(
            values=MappingProxyType(dict(self.values)),
            estimated=self.estimated,
            steps=tuple(self.steps),
            missing=tuple(self.missing),
            warnings=tuple(self.warnings),
        )


Derivation = Callable[[_Work], None]


@dataclass(frozen=True)
class ResultFormat:
    """One way papers report a result.

    ``outcome_types``: the protocol outcome types it may be used for; ``measures``: for a contrast,
    the effect measures it allows (within those of the outcome type); ``ordered``: chains of
    fields whose values cannot decrease (CI lower <= estimate <= CI upper...); ``derivation``:
    how it becomes the analysis' numbers.
    """

    id: str
    label: str
    contrast: bool
    data_type: DataType
    fields: tuple[FormatField, ...]
    derivation: Derivation = field(repr=False, compare=False)
    outcome_types: tuple[str, ...] = OUTCOME_TYPES
    measures: tuple[EffectMeasure, ...] = tuple(EffectMeasure)
    ordered: tuple[tuple[str, ...], ...] = ()

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field_named(self, name: str) -> FormatField | None:
        return next((f for f in self.fields if f.name == name), None)


# --- derivations: arm results ----------------------------------------------------------------

ARM_CONTINUOUS = ("n", "mean", "sd")


def _copy_all(work: _Work) -> None:
    """A format that already holds what the analysis needs."""
    names = _format_of(work.result).field_names
    work.copy(*names)
    work.need(*names)


def _mean_se(work: _Work) -> None:
    work.copy("n", "mean")
    work.need("mean")
    if work.need("se", "n"):
        n, se = work.reported["n"], work.reported["se"]
        work.step(cv.citation(cv.sd_from_se), {"se": se, "n": n}, sd=cv.sd_from_se(se, n))


def _mean_ci(work: _Work) -> None:
    work.copy("n", "mean")
    work.need("mean")
    if not work.need("ci_lower", "ci_upper", "n"):
        return
    n, level = work.reported["n"], work.reported.get("ci_level", DEFAULT_CI_LEVEL)
    if n < 2:
        work.refuse("sd", "An SD cannot be had from the CI of a mean of fewer than 2 people.")
        return
    lower, upper = work.reported["ci_lower"], work.reported["ci_upper"]
    inputs = {"ci_lower": lower, "ci_upper": upper, "n": n, "ci_level": level}
    inputs["divisor"] = cv.ci_divisor(n, level)
    work.step(cv.citation(cv.sd_from_ci), inputs, sd=cv.sd_from_ci(lower, upper, n, level))


def _median(*spread: str) -> Derivation:
    """Median with quartiles (S2), range (S1) or both (S3) -> mean and SD, estimated."""

    def derive_median(work: _Work) -> None:
        work.copy("n")
        if not work.need("n", "median", *spread):
            return
        values = {name: work.reported[name] for name in ("n", "median", *spread)}
        if values["n"] < 2:
            work.refuse("sd", "A mean and SD cannot be estimated from a median of fewer than 2.")
            return
        if _has_zero_width(values):
            work.refuse("sd", "A range or interquartile range of zero width gives no SD.")
            return
        work.estimated = True
        estimators = _MEDIAN_ESTIMATORS[spread]
        work.step(cv.citation(estimators.mean), values, mean=estimators.mean(**values))
        spread_values = _without(values, "median")
        work.step(cv.citation(estimators.sd), spread_values, sd=estimators.sd(**spread_values))
        test = estimators.skew(**values)
        if test.skewed:
            work.warnings.append(
                "The data look skewed (Shi et al. 2023 test: "
                f"{test.statistic:.3g} >= {test.critical:.3g}); "
                "transforming the median to a mean may mislead."
            )

    return derive_median


def _has_zero_width(values: Mapping[str, float]) -> bool:
    pairs = (("q1", "q3"), ("minimum", "maximum"))
    return any(low in values and values[low] == values[high] for low, high in pairs)


def _without(values: Mapping[str, float], *names: str) -> dict[str, float]:
    return {key: value for key, value in values.items() if key not in names}


class _MedianEstimators(NamedTuple):
    """The mean, SD and skewness check of one scenario (S1 range, S2 IQR, S3 both)."""

    mean: Callable[..., float]
    sd: Callable[..., float]
    skew: Callable[..., cv.SkewTest]


_MEDIAN_ESTIMATORS: Mapping[tuple[str, ...], _MedianEstimators] = {
    ("q1", "q3"): _MedianEstimators(cv.luo_mean_from_iqr, cv.wan_sd_from_iqr, cv.shi_skew_from_iqr),
    ("minimum", "maximum"): _MedianEstimators(
        cv.luo_mean_from_range, cv.wan_sd_from_range, cv.shi_skew_from_range
    ),
    ("minimum", "q1", "q3", "maximum"): _MedianEstimators(
        cv.luo_mean_from_five, cv.shi_sd_from_five, cv.shi_skew_from_five
    ),
}


CHANGE_AS_OUTCOME = Citation(
    "mean = mean change; SD = SD of the change (not combinable with final values in an SMD)",
    f"{HANDBOOK}, 10.5.2",
)


def _change_sd(work: _Work) -> None:
    work.copy("n")
    work.need("n", "mean_change", "sd_change")
    reported = {k: work.reported[k] for k in ("mean_change", "sd_change") if k in work.reported}
    outputs = {{"mean_change": "mean", "sd_change": "sd"}[k]: v for k, v in reported.items()}
    if outputs:
        work.step(CHANGE_AS_OUTCOME, reported, **outputs)


CHANGE_FROM_MEANS = Citation(
    "mean change = mean at the end − mean at baseline", f"{HANDBOOK}, 6.5.2.8"
)


def _change_baseline_final(work: _Work) -> None:
    work.copy("n")
    work.need("n")
    if work.need("mean_baseline", "mean_final"):
        baseline, final = work.reported["mean_baseline"], work.reported["mean_final"]
        inputs = {"mean_baseline": baseline, "mean_final": final}
        work.step(CHANGE_FROM_MEANS, inputs, mean=final - baseline)
    if work.need("sd_baseline", "sd_final", "correlation"):
        inputs = {k: work.reported[k] for k in ("sd_baseline", "sd_final", "correlation")}
        work.estimated = True  # the correlation is nearly always imputed (6.5.2.8)
        work.step(cv.citation(cv.sd_change), inputs, sd=cv.sd_change(**inputs))


# --- derivations: contrasts ------------------------------------------------------------------


def _is_ratio(work: _Work) -> bool:
    return work.measure is not None and work.measure.is_ratio


def _estimate(work: _Work) -> float | None:
    """The estimate on the analysis scale (yi), logged for ratios, or None when not reported."""
    if not work.need("estimate"):
        return None
    estimate = work.reported["estimate"]
    work.values["estimate"] = estimate
    if _is_ratio(work):
        work.step(cv.citation(cv.log_ratio), {"estimate": estimate}, yi=cv.log_ratio(estimate))
    else:
        work.values["yi"] = estimate
    return work.values["yi"]


def _interval(work: _Work) -> None:
    """The 95 % CI on the natural scale: as reported when at 95 %, else from yi and SE."""
    level = work.reported.get("ci_level", DEFAULT_CI_LEVEL)
    if level == DEFAULT_CI_LEVEL and {"ci_lower", "ci_upper"} <= work.reported.keys():
        work.copy("ci_lower", "ci_upper")
    else:
        _interval_from_se(work)


def _estimate_ci(work: _Work) -> None:
    _estimate(work)
    if work.need("ci_lower", "ci_upper"):
        level = work.reported.get("ci_level", DEFAULT_CI_LEVEL)
        lower, upper = work.reported["ci_lower"], work.reported["ci_upper"]
        inputs = {"ci_lower": lower, "ci_upper": upper, "ci_level": level}
        se = cv.se_from_ci(lower, upper, level, log_scale=_is_ratio(work))
        _set_se(work, cv.citation(cv.se_from_ci), inputs, se)
    _interval(work)


def _estimate_se(work: _Work) -> None:
    _estimate(work)
    if work.need("se"):
        work.copy("se")
    _interval(work)


def _estimate_p(work: _Work) -> None:
    """z from p (6.3.2); a difference in means with n reported: t with n − 2 df (6.5.2.3)."""
    yi = _estimate(work)
    if yi is None or not work.need("p_value"):
        return
    p, n = work.reported["p_value"], work.reported.get("n")
    if n is not None and n > 2 and work.measure in MEASURES_FOR[CONTINUOUS_OUTCOME]:
        statistic, inputs = cv.t_from_p(p, n - 2), {"p_value": p, "df": n - 2}
        work.step(cv.citation(cv.t_from_p), inputs, t=statistic)
    else:
        statistic = cv.z_from_p(p)
        work.step(cv.citation(cv.z_from_p), {"p_value": p}, z=statistic)
    _se_from_statistic(work, yi, statistic)
    _interval(work)


def _se_from_statistic(work: _Work, yi: float, statistic: float) -> None:
    if statistic == 0 or yi == 0:
        work.refuse("se", "An SE cannot be had from a p value of 1, a t of 0 or an estimate of 0.")
        return
    inputs = {"yi": yi, "statistic": statistic}
    _set_se(work, cv.citation(cv.se_from_statistic), inputs, cv.se_from_statistic(yi, statistic))


def _set_se(work: _Work, cited: Citation, inputs: Mapping[str, float], se: float) -> None:
    if se > 0:
        work.step(cited, inputs, se=se)
    else:
        work.refuse("se", "An SE cannot be had from an interval of zero width.")


def _paired_t(work: _Work) -> None:
    yi = _estimate(work)
    if yi is None or not work.need("t"):
        return
    t = work.reported["t"]
    if t == 0 or yi == 0:
        work.refuse("se", "An SE cannot be had from a t of 0 or a difference of 0.")
        return
    _set_se(work, cv.citation(cv.se_from_paired_t), {"md": yi, "t": t}, cv.se_from_paired_t(yi, t))
    _interval(work)


def _paired_p(work: _Work) -> None:
    yi = _estimate(work)
    if yi is None or not work.need("p_value", "n"):
        return
    p, n = work.reported["p_value"], work.reported["n"]
    if p == 1 or yi == 0 or n < 2:
        work.refuse("se", "An SE cannot be had from p = 1, a difference of 0 or fewer than 2.")
        return
    inputs = {"md": yi, "p_value": p, "n": n}
    _set_se(work, cv.citation(cv.se_from_paired_p), inputs, cv.se_from_paired_p(yi, p, n))
    _interval(work)


CROSSOVER_DIFFERENCE = Citation(
    "MD = mean (intervention) − mean (comparator)", f"{HANDBOOK}, 23.2.7"
)


def _crossover_means(work: _Work) -> None:
    if work.need("mean_e", "mean_c"):
        inputs = {k: work.reported[k] for k in ("mean_e", "mean_c")}
        difference = inputs["mean_e"] - inputs["mean_c"]
        work.step(CROSSOVER_DIFFERENCE, inputs, estimate=difference, yi=difference)
    correlation = _correlation(work)
    if work.need("sd_e", "sd_c", "n") and correlation is not None:
        inputs = {k: work.reported[k] for k in ("sd_e", "sd_c", "n")} | {"correlation": correlation}
        se = cv.se_paired_from_correlation(**inputs)
        _set_se(work, cv.citation(cv.se_paired_from_correlation), inputs, se)
    _interval(work)


def _correlation(work: _Work) -> float | None:
    """The result's own correlation, else the design's (imputed: the result is estimated)."""
    if "correlation" in work.reported:
        return work.reported["correlation"]
    correlation = work.design.crossover_correlation
    if correlation is not None:
        problem = DESIGN_FIELDS["crossover_correlation"].problem(correlation)
        if problem is not None:
            work.refuse("crossover_correlation", f"{problem}.")
            return None
        work.estimated = True
        return correlation
    work.need("correlation")
    return None


def _o_minus_e(work: _Work) -> None:
    if not work.need("o_minus_e", "variance"):
        return
    inputs = {k: work.reported[k] for k in ("o_minus_e", "variance")}
    yi, se = cv.log_hr_from_o_minus_e(**inputs)
    work.step(cv.citation(cv.log_hr_from_o_minus_e), inputs, yi=yi, se=se, estimate=math.exp(yi))
    _interval(work)


# --- the registry ----------------------------------------------------------------------------


def _fields(*names: str) -> tuple[FormatField, ...]:
    return tuple(FIELDS[name] for name in names)


_CI = ("ci_lower", "ci_upper", "ci_level")
_FIVE = ("minimum", "q1", "median", "q3", "maximum")
_CONTINUOUS_ONLY = (CONTINUOUS_OUTCOME,)
_DICHOTOMOUS_ONLY = (DICHOTOMOUS_OUTCOME,)
_MD = (EffectMeasure.MD,)


def _arm(
    id: str,
    label: str,
    data_type: DataType,
    names: tuple[str, ...],
    derivation: Derivation,
    *,
    ordered: tuple[tuple[str, ...], ...] = (),
) -> ResultFormat:
    """An arm's result: continuous formats serve continuous outcomes, the others dichotomous."""
    outcome_types = _CONTINUOUS_ONLY if data_type == DataType.CONTINUOUS else _DICHOTOMOUS_ONLY
    return ResultFormat(
        id, label, False, data_type, _fields(*names), derivation, outcome_types, (), ordered
    )


def _contrast(
    id: str,
    label: str,
    data_type: DataType,
    names: tuple[str, ...],
    derivation: Derivation,
    *,
    outcome_types: tuple[str, ...] = OUTCOME_TYPES,
    measures: tuple[EffectMeasure, ...] = tuple(EffectMeasure),
    ordered: tuple[tuple[str, ...], ...] = (),
) -> ResultFormat:
    """A result between two arms."""
    return ResultFormat(
        id, label, True, data_type, _fields(*names), derivation, outcome_types, measures, ordered
    )


FORMATS: Mapping[str, ResultFormat] = MappingProxyType(
    {
        f.id: f
        for f in (
            _arm("mean_sd", "Mean and SD", DataType.CONTINUOUS, ARM_CONTINUOUS, _copy_all),
            _arm("mean_se", "Mean and SE", DataType.CONTINUOUS, ("n", "mean", "se"), _mean_se),
            _arm(
                "mean_ci",
                "Mean and CI",
                DataType.CONTINUOUS,
                ("n", "mean", *_CI),
                _mean_ci,
                ordered=(("ci_lower", "mean", "ci_upper"),),
            ),
            _arm(
                "median_iqr",
                "Median and interquartile range",
                DataType.CONTINUOUS,
                ("n", "median", "q1", "q3"),
                _median("q1", "q3"),
                ordered=(_FIVE,),
            ),
            _arm(
                "median_range",
                "Median and range",
                DataType.CONTINUOUS,
                ("n", "median", "minimum", "maximum"),
                _median("minimum", "maximum"),
                ordered=(_FIVE,),
            ),
            _arm(
                "median_iqr_range",
                "Median, interquartile range and range",
                DataType.CONTINUOUS,
                ("n", *_FIVE),
                _median("minimum", "q1", "q3", "maximum"),
                ordered=(_FIVE,),
            ),
            _arm(
                "change_sd",
                "Change from baseline and its SD",
                DataType.CONTINUOUS,
                ("n", "mean_change", "sd_change"),
                _change_sd,
            ),
            _arm(
                "change_baseline_final",
                "Baseline and final means and SDs, with their correlation",
                DataType.CONTINUOUS,
                ("n", "mean_baseline", "sd_baseline", "mean_final", "sd_final", "correlation"),
                _change_baseline_final,
            ),
            _arm(
                "events_total",
                "Events and total",
                DataType.DICHOTOMOUS,
                ("events", "total"),
                _copy_all,
                ordered=(("events", "total"),),
            ),
            _arm(
                "tte_events_total",
                "Events and total (time-to-event)",
                DataType.TIME_TO_EVENT,
                ("events", "total"),
                _copy_all,
                ordered=(("events", "total"),),
            ),
            _arm(
                "count",
                "Events and person-time",
                DataType.COUNT,
                ("events", "person_time"),
                _copy_all,
            ),
            _contrast(
                "estimate_ci",
                "Estimate and CI",
                DataType.GENERIC,
                ("estimate", *_CI),
                _estimate_ci,
                ordered=(("ci_lower", "estimate", "ci_upper"),),
            ),
            _contrast(
                "estimate_se",
                "Estimate and SE",
                DataType.GENERIC,
                ("estimate", "se"),
                _estimate_se,
            ),
            _contrast(
                "estimate_p",
                "Estimate and p value",
                DataType.GENERIC,
                ("estimate", "p_value", "n"),
                _estimate_p,
            ),
            _contrast(
                "paired_t",
                "Crossover: mean difference and paired t",
                DataType.GENERIC,
                ("estimate", "t", "n"),
                _paired_t,
                outcome_types=_CONTINUOUS_ONLY,
                measures=_MD,
            ),
            _contrast(
                "paired_p",
                "Crossover: mean difference and paired p value",
                DataType.GENERIC,
                ("estimate", "p_value", "n"),
                _paired_p,
                outcome_types=_CONTINUOUS_ONLY,
                measures=_MD,
            ),
            _contrast(
                "crossover_means",
                "Crossover: each period's mean and SD, and their correlation",
                DataType.GENERIC,
                ("n", "mean_e", "sd_e", "mean_c", "sd_c", "correlation"),
                _crossover_means,
                outcome_types=_CONTINUOUS_ONLY,
                measures=_MD,
            ),
            _contrast(
                "o_minus_e",
                "O − E and variance (log-rank, Peto)",
                DataType.TIME_TO_EVENT,
                ("o_minus_e", "variance"),
                _o_minus_e,
                outcome_types=_DICHOTOMOUS_ONLY,
                measures=(EffectMeasure.HR, EffectMeasure.OR),
            ),
        )
    }
)


def _format_of(result: Result) -> ResultFormat:
    try:
        return FORMATS[result.format]
    except KeyError:
        allowed = ", ".join(FORMATS)
        raise ValidationError(
            f"Result format '{result.format}' does not exist; allowed: {allowed}."
        ) from None


def formats_for(outcome_type: str, *, contrast: bool) -> list[ResultFormat]:
    """The formats a result of a protocol outcome of this type may take, arm or contrast."""
    return [
        f for f in FORMATS.values() if f.contrast == contrast and outcome_type in f.outcome_types
    ]


def measures_for(result_format: ResultFormat, outcome_type: str) -> tuple[EffectMeasure, ...]:
    """The effect measures a contrast in this format may use for this outcome type."""
    allowed = MEASURES_FOR.get(outcome_type, ())
    return tuple(m for m in result_format.measures if m in allowed)


# --- checks ----------------------------------------------------------------------------------


def check_result(result: Result, *, outcome_type: str) -> list[Problem]:
    """Everything impossible about a result: never what is missing, only what cannot be."""
    result_format = FORMATS.get(result.format)
    if result_format is None:
        return [
            Problem(
                "format",
                f"'{result.format}' is not a result format; allowed: {', '.join(FORMATS)}.",
            )
        ]
    return [
        *_shape_problems(result, result_format, outcome_type),
        *_value_problems(result, result_format),
    ]


def _shape_problems(
    result: Result, result_format: ResultFormat, outcome_type: str
) -> Iterable[Problem]:
    """Whether the format, the arms and the measure fit together and the outcome type."""
    if outcome_type not in OUTCOME_TYPES:
        yield Problem(
            "format", f"'{outcome_type}' is not an outcome type: {', '.join(OUTCOME_TYPES)}."
        )
    elif outcome_type not in result_format.outcome_types:
        allowed = ", ".join(f.label for f in formats_for(outcome_type, contrast=result.is_contrast))
        yield Problem(
            "format",
            f"{result_format.label} is not a format for a {outcome_type} "
            f"outcome; allowed: {allowed}.",
        )
    if not result.arm.strip():
        yield Problem("arm", "A result must name its arm.")
    if result_format.contrast and not result.is_contrast:
        yield Problem(
            "comparator",
            f"{result_format.label} is a result between two arms: name the comparator arm.",
        )
    if result.is_contrast and not result_format.contrast:
        yield Problem(
            "comparator",
            f"{result_format.label} is one arm's result: it has no "
            "comparator (use a between-arm format for a contrast).",
        )
    if result.comparator is not None and same_label(result.comparator) == same_label(result.arm):
        yield Problem("comparator", f"The comparator must be another arm than '{result.arm}'.")
    yield from _measure_problems(result, result_format, outcome_type)


def _measure_problems(
    result: Result, result_format: ResultFormat, outcome_type: str
) -> Iterable[Problem]:
    if not result_format.contrast:
        if result.measure is not None:
            yield Problem(
                "measure",
                "One arm's result has no effect measure; a measure belongs "
                "to a result between two arms.",
            )
        return
    allowed = measures_for(result_format, outcome_type)
    names = ", ".join(str(m) for m in allowed)
    if result.measure is None:
        yield Problem("measure", f"A result between two arms needs its effect measure: {names}.")
    elif result.measure not in allowed and outcome_type in OUTCOME_TYPES:
        yield Problem(
            "measure",
            f"{result.measure.label} is not a measure of {result_format.label} for a "
            f"{outcome_type} outcome; allowed: {names}.",
        )


def _value_problems(result: Result, result_format: ResultFormat) -> Iterable[Problem]:
    """Unknown fields, values out of bounds, values out of order, ratios not above 0."""
    for name, value in result.values.items():
        format_field = result_format.field_named(name)
        if format_field is None:
            yield Problem(
                name,
                f"'{name}' is not a field of {result_format.label}; allowed: "
                f"{', '.join(result_format.field_names)}.",
            )
        elif (problem := format_field.problem(value)) is not None:
            yield Problem(name, f"{problem}.")
    yield from _order_problems(result, result_format)
    yield from _ratio_problems(result)


def _ratio_problems(result: Result) -> Iterable[Problem]:
    """A ratio and its limits are entered on the ratio scale, so they are above 0."""
    if result.measure is None or not result.measure.is_ratio:
        return
    for name in ("estimate", "ci_lower", "ci_upper"):
        ratio = result.values.get(name)
        if ratio is not None and ratio <= 0:
            yield Problem(
                name,
                f"{FIELDS[name].label} of a {result.measure.label.lower()} must be above 0: "
                f"the ratio itself, not its log (got {ratio:g}).",
            )


def _order_problems(result: Result, result_format: ResultFormat) -> Iterable[Problem]:
    for chain in result_format.ordered:
        present = [(name, result.values[name]) for name in chain if name in result.values]
        for (low_name, low), (high_name, high) in itertools.pairwise(present):
            if math.isfinite(low) and math.isfinite(high) and low > high:
                low_label, high_label = FIELDS[low_name].label, FIELDS[high_name].label
                yield Problem(
                    high_name, f"{high_label} ({high:g}) cannot be below {low_label} ({low:g})."
                )


# --- derive ----------------------------------------------------------------------------------


def derive(result: Result, *, design: Design | None = None) -> Derived:
    """What an analysis needs from ``result`` (see the module's docstring), with every step.

    A result with impossible values (or numbers outside a formula's range, such as a ratio's SE
    so large that its CI overflows) derives nothing: its fields are ``missing`` and the reasons
    are its warnings. An unknown format raises ValidationError.
    """
    result_format = _format_of(result)
    work = _Work(result, design or Design())
    problems = list(_value_problems(result, result_format))
    if problems:
        for problem in problems:
            work.refuse(problem.field, problem.message)
        return work.done()
    try:
        result_format.derivation(work)
        _adjust_for_design(work, result_format)
    except (ArithmeticError, ValueError) as error:
        return _out_of_range(result, error)
    return work.done()


def _out_of_range(result: Result, error: Exception) -> Derived:
    why = f"The numbers are outside the formulas' range ({error}); nothing is derived."
    return Derived(
        values={}, estimated=False, steps=(), missing=tuple(result.values), warnings=(why,)
    )


# The numeric design facts and the values they may take.
DESIGN_FIELDS: Mapping[str, FormatField] = MappingProxyType(
    {
        "mean_cluster_size": FormatField("mean_cluster_size", "Mean cluster size", minimum=1),
        "icc": FormatField("icc", "ICC", minimum=0, maximum=1),
        "crossover_correlation": FormatField(
            "crossover_correlation", "Crossover correlation", minimum=-1, maximum=1
        ),
    }
)


def check_design(design: Design) -> list[Problem]:
    """Impossible design facts: a mean cluster size below 1, an ICC or a correlation outside
    its range (Problem.field is the attribute's name)."""
    problems = []
    for name, bound in DESIGN_FIELDS.items():
        value = getattr(design, name)
        if value is not None and (problem := bound.problem(value)) is not None:
            problems.append(Problem(name, f"{problem}."))
    return problems


def _adjust_for_design(work: _Work, result_format: ResultFormat) -> None:
    kind = work.design.kind
    if kind == StudyDesign.CLUSTER:
        _adjust_for_clustering(work, result_format)
    elif kind == StudyDesign.CROSSOVER and not result_format.contrast:
        work.warnings.append(
            "A crossover trial's arm results ignore the pairing (Cochrane Handbook 23.2.7): "
            "a paired analysis needs a result between the periods (paired t, p or correlation)."
        )


_CLUSTER_SIZES = {
    DataType.CONTINUOUS: ("n",),
    DataType.DICHOTOMOUS: ("events", "total"),
    DataType.TIME_TO_EVENT: ("events", "total"),
}


def _adjust_for_clustering(work: _Work, result_format: ResultFormat) -> None:
    """Effective sample sizes of arm results, an inflated SE of unadjusted contrasts (23.1.4)."""
    if result_format.contrast and work.result.adjusted:
        return
    sizes = () if result_format.contrast else _CLUSTER_SIZES.get(result_format.data_type, ())
    if not result_format.contrast and not sizes:
        return
    effect = _design_effect(work)
    if effect is None:
        return
    for name in sizes:
        if name in work.values:
            inputs = {name: work.values[name], "design_effect": effect}
            outputs = {f"{name}_effective": cv.effective_size(work.values[name], effect)}
            work.step(cv.citation(cv.effective_size), inputs, **outputs)
    if result_format.contrast and "se" in work.values:
        se = work.values["se"]
        inputs = {"se": se, "design_effect": effect}
        work.step(cv.citation(cv.se_for_clustering), inputs, se=cv.se_for_clustering(se, effect))
        work.values.pop("ci_lower", None)
        work.values.pop("ci_upper", None)
        _interval_from_se(work)


def _interval_from_se(work: _Work) -> None:
    """The 95 % CI from yi and its SE, on the natural scale."""
    if "yi" in work.values and "se" in work.values:
        yi, se = work.values["yi"], work.values["se"]
        lower, upper = cv.ci_from_se(yi, se, log_scale=_is_ratio(work))
        work.step(cv.citation(cv.ci_from_se), {"yi": yi, "se": se}, ci_lower=lower, ci_upper=upper)


def _design_effect(work: _Work) -> float | None:
    size, icc = work.design.mean_cluster_size, work.design.icc
    if size is None or icc is None:
        names = [n for n, v in (("mean_cluster_size", size), ("icc", icc)) if v is None]
        for name in names:
            work.refuse(
                name,
                "A cluster trial's result needs the mean cluster size and the ICC "
                "for its design effect (Cochrane Handbook 23.1.4).",
            )
        return None
    problems = [p for p in check_design(work.design) if p.field != "crossover_correlation"]
    for problem in problems:
        work.refuse(problem.field, problem.message)
    if problems:
        return None
    inputs = {"mean_cluster_size": size, "icc": icc}
    effect = cv.design_effect(size, icc)
    work.step(cv.citation(cv.design_effect), inputs, design_effect=effect)
    return effect
