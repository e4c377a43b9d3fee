"""Forest and funnel plots of a meta-analysis, as SVG, PNG (300 dpi) or PDF bytes.

The forest plot follows the layout of RevMan (Cochrane's Review Manager; Cochrane Handbook 10.2.1
and 10.10.2): per study the arm data (events and totals, or mean, SD and total; the estimate and
its SE for generic inverse variance), the weight in percent, the effect and its CI as text and as
a square whose area is proportional to the weight, with arrows where a CI leaves the axis; the
pooled diamond on a "Total (95% CI)" row with the totals, the prediction interval under it, a
vertical line at no effect (1 on a log axis for ratios, 0 otherwise), "Favours ..." labels under
the axis, and the heterogeneity and overall-effect lines worded and rounded as RevMan does.
Subgroups (``further.subgroups``) are drawn as blocks with their own subtotal, heterogeneity and
overall-effect lines, and the test for subgroup differences at the foot.

The funnel plot is metafor's ``funnel()`` (Viechtbauer 2010): effect sizes on x (log scale for
ratios, labelled on their own scale), standard errors on y from 0 at the top, the pooled estimate
as a vertical line and the pseudo confidence region estimate +- z * SE as a white triangle with
dotted sides on a light grey background (Sterne & Egger, J Clin Epidemiol 2001;54:1046-55).

Both are drawn in points (1 data unit = 1 pt, y downwards) on matplotlib's Agg canvas with the
risk-of-bias plots' canvas and saving (deterministic bytes: fixed SVG hash salt, no dates, PNG at
300 dpi, TrueType fonts in PDF), and the PRISMA diagram's text measure, so that every column is
as wide as its widest text.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist, median
from typing import TYPE_CHECKING

# The shared canvas and deterministic save are private in the risk-of-bias module; they are
# imported rather than copied so that every plot of the app is saved the same way.
from review_app.domain.appraisal.plots import PlotFormat, _canvas, _check_format, _save, _text
from review_app.domain.meta.errors import MetaError
from review_app.domain.meta.model import (
    Analysis,
    Continuous,
    Dichotomous,
    EffectSize,
    Generic,
    Method,
    Pooled,
    PredictionRule,
    StudyData,
    Test,
)
from review_app.domain.prisma.drawing import measure
from review_app.domain.prisma.geometry import wrap
from review_app.domain.vocabulary import EffectMeasure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from review_app.domain.meta.further import SubgroupDifference, SubgroupResult

NOT_ESTIMABLE = "Not estimable"  # RevMan's words for a study without an effect
STUDY_HEADER = "Study or Subgroup"

# Sizes in pt. An A4 page is 595 pt wide: a forest plot of dichotomous data is about that wide.
MARGIN = 10.0
TEXT = 8.0
TITLE = 10.0
ROW = 13.0  # one study's row; the figure grows by this much per study
GAP = 8.0  # between columns
PLOT_WIDTH = 180.0  # the forest's axis
MAX_LABEL = 200.0  # a longer study label is cut with an ellipsis
SQUARE = 9.0  # side of the square of the study with the largest weight
MIN_SQUARE = 2.5  # ... and the smallest square drawn
DIAMOND = 8.0  # height of the pooled diamond
LINE = 0.7
FOOT_PITCH = TEXT * 1.5
FUNNEL_WIDTH = 300.0
FUNNEL_HEIGHT = 220.0
FUNNEL_BACKGROUND = "#D3D3D3"  # metafor funnel(back = "lightgray")
# One colour per kind of data, so that what was pooled reads at a glance.
SQUARE_COLOURS = {"dichotomous": "#1F5FAD", "continuous": "#2E7D32", "generic": "#B23A3A"}
ARM_COLUMNS = {"dichotomous": ("Events", "Total"), "continuous": ("Mean", "SD", "Total")}
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


@dataclass(frozen=True, slots=True)
class ForestLabels:
    """The words a caller chooses: arm names over the arm columns and the sides of the axis
    (which side favours which arm depends on the outcome's direction of benefit)."""

    intervention: str = "Intervention"
    comparator: str = "Comparator"
    favours_left: str = "Favours intervention"
    favours_right: str = "Favours comparator"
    title: str | None = None


# RevMan's wording -------------------------------------------------------------------------------


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


def _number(value: float) -> str:
    """An arm's number as entered: integers without decimals, others to at most 2 decimals."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _back(value: float, is_ratio: bool) -> float:
    return math.exp(min(value, 700.0)) if is_ratio else value


def interval_text(estimate: float, low: float, high: float, *, is_ratio: bool) -> str:
    """ "0.41 [0.13, 1.26]": back-transformed for ratios, 2 decimals (RevMan)."""
    e, lo, hi = (_back(v, is_ratio) for v in (estimate, low, high))
    return f"{e:.2f} [{lo:.2f}, {hi:.2f}]"


# What the forest draws: rows of text and marks ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Mark:
    """What a row draws on the axis (analysis scale): a square (``share`` of the largest weight),
    the pooled diamond, or the prediction interval's bar."""

    kind: str  # "square" | "diamond" | "bar"
    low: float
    high: float
    estimate: float = 0.0
    share: float = 1.0


@dataclass(frozen=True, slots=True)
class _Row:
    label: str
    cells: tuple[str, ...] = ()
    weight: str = ""
    effect: str = ""
    mark: _Mark | None = None
    bold: bool = False
    spanning: bool = False  # a sentence across the table (subgroup heterogeneity lines)


def _kind(data: Sequence[object]) -> str:
    if data and all(isinstance(item, Dichotomous) for item in data):
        return "dichotomous"
    if data and all(isinstance(item, Continuous) for item in data):
        return "continuous"
    return "generic"


def _arm_cells(
    item: StudyData | EffectSize, effect: EffectSize | None, kind: str
) -> tuple[str, ...]:
    if kind == "dichotomous" and isinstance(item, Dichotomous):
        return tuple(map(_number, (item.events_t, item.n_t, item.events_c, item.n_c)))
    if kind == "continuous" and isinstance(item, Continuous):
        values = (item.mean_t, item.sd_t, item.n_t, item.mean_c, item.sd_c, item.n_c)
        return tuple(map(_number, values))
    source = item if isinstance(item, Generic | EffectSize) else effect  # generic: yi and SE
    if source is None:
        return ("", "")
    return (f"{source.yi:.4f}", f"{math.sqrt(source.vi):.4f}")


@dataclass(frozen=True, slots=True)
class _Context:
    """What every row of one forest plot shares."""

    kind: str
    is_ratio: bool
    z: float  # the study CIs' normal quantile
    weights: dict[str, float]  # percent of the overall weight, by study
    sizes: dict[str, float]  # what the squares' areas are proportional to, by study


def _weights(analysis: Analysis) -> dict[str, float]:
    """Each pooled study's weight in percent (metafor ``weights(fit)``), by study name; none
    without a pooled result. Inverse-variance weights follow the effect sizes; Mantel-Haenszel
    and Peto weights follow the tables (a table without events in either arm has weight 0)."""
    pooled = analysis.pooled
    if pooled is None:
        return {}
    for studies in (analysis.effects, analysis.data):
        if len(pooled.weights) == len(studies):
            return {s.study: w for s, w in zip(studies, pooled.weights, strict=True)}
    return {}


def _sizes(analyses: Sequence[Analysis], weights: dict[str, float]) -> dict[str, float]:
    """What the squares are sized by: the weights, or without them each study's precision
    (1 / vi, as metafor's forest() sizes the squares of effect sizes not pooled)."""
    if weights:
        return weights
    return {e.study: 1 / e.vi for a in analyses for e in a.effects if e.vi > 0}


def _study_rows(analysis: Analysis, context: _Context) -> list[_Row]:
    """One row per study in the order entered: its effect, or "Not estimable" when dropped."""
    effects: dict[str, deque[EffectSize]] = defaultdict(deque)
    for size in analysis.effects:
        effects[size.study].append(size)
    items: Sequence[StudyData | EffectSize] = analysis.data or analysis.effects
    rows = []
    for item in items:
        queue = effects.get(item.study)
        effect = queue.popleft() if queue else None
        rows.append(_study_row(item.study, item, effect, context))
    entered = {item.study for item in items}
    rows += [
        _Row(d.study, effect=NOT_ESTIMABLE) for d in analysis.dropped if d.study not in entered
    ]
    return rows


def _study_row(
    name: str, item: StudyData | EffectSize, effect: EffectSize | None, context: _Context
) -> _Row:
    cells = _arm_cells(item, effect, context.kind)
    if effect is None:
        return _Row(name, cells, effect=NOT_ESTIMABLE)
    half = context.z * effect.se
    low, high = effect.yi - half, effect.yi + half
    weight = context.weights.get(name)
    largest = max(context.sizes.values(), default=0.0)
    share = context.sizes.get(name, 0.0) / largest if largest > 0 else 0.0
    return _Row(
        name,
        cells,
        weight=f"{weight:.1f}%" if weight is not None else "",
        effect=interval_text(effect.yi, low, high, is_ratio=context.is_ratio),
        mark=_Mark("square", low, high, effect.yi, share),
    )


def _sum(values: Sequence[float]) -> str:
    return _number(sum(values)) if values else ""


def _total_rows(
    analysis: Analysis, label: str, weight: float | None, context: _Context
) -> list[_Row]:
    """The (sub)total row with participants per arm and the diamond, "Total events" for
    dichotomous data, and the prediction interval's row when there is one."""
    data = analysis.data
    cells: tuple[str, ...] = ()
    events: list[_Row] = []
    if context.kind == "dichotomous":
        tables = [d for d in data if isinstance(d, Dichotomous)]
        cells = ("", _sum([d.n_t for d in tables]), "", _sum([d.n_c for d in tables]))
        counts = (_sum([d.events_t for d in tables]), "", _sum([d.events_c for d in tables]), "")
        events = [_Row("Total events", counts)]
    elif context.kind == "continuous":
        arms = [d for d in data if isinstance(d, Continuous)]
        cells = ("", "", _sum([d.n_t for d in arms]), "", "", _sum([d.n_c for d in arms]))
    pooled = analysis.pooled
    level = pooled.level if pooled else 0.95
    title = f"{label} ({level:.0%} CI)"
    share = f"{weight:.1f}%" if weight is not None else ""
    if pooled is None:
        return [_Row(title, cells, share, NOT_ESTIMABLE, bold=True), *events]
    est, low, high = pooled.estimate, pooled.ci_low, pooled.ci_high
    text = interval_text(est, low, high, is_ratio=context.is_ratio)
    rows = [_Row(title, cells, share, text, _Mark("diamond", low, high, est), bold=True), *events]
    if pooled.pi_low is not None and pooled.pi_high is not None:
        lo, hi = (_back(v, context.is_ratio) for v in (pooled.pi_low, pooled.pi_high))
        bar = _Mark("bar", pooled.pi_low, pooled.pi_high)
        rows.append(_Row("Prediction interval", effect=f"[{lo:.2f}, {hi:.2f}]", mark=bar))
    return rows


def _subgroup_rows(subgroups: SubgroupResult, context: _Context) -> list[_Row]:
    """Each subgroup as RevMan draws it: its name, its studies, its subtotal, its heterogeneity
    and overall-effect lines, then a blank row."""
    rows: list[_Row] = []
    for subgroup in subgroups.subgroups:
        name, group = subgroup.name, subgroup.analysis
        studies = _study_rows(group, context)
        total = sum(context.weights.get(e.study, 0.0) for e in group.effects)
        rows += [_Row(name, bold=True), *studies]
        rows += _total_rows(group, "Subtotal", total if group.effects else None, context)
        if group.pooled is not None:
            lines = (heterogeneity_text(group.pooled), overall_effect_text(group.pooled))
            rows += [_Row(line, spanning=True) for line in lines]
        rows.append(_Row(""))
    return rows


def _footer(analysis: Analysis, subgroups: SubgroupResult | None) -> list[str]:
    lines = []
    if analysis.pooled is not None:
        lines += [heterogeneity_text(analysis.pooled), overall_effect_text(analysis.pooled)]
    if subgroups is not None and subgroups.difference is not None:
        lines.append(subgroup_difference_text(subgroups.difference))
    if analysis.pooled is not None:
        lines += method_notes(analysis.pooled)
    return lines + list(analysis.notes) + list(subgroups.notes if subgroups else ())


# The axis ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scale:
    """An axis from ``low`` to ``high`` on the analysis scale (log for ratios), drawn from x over
    ``width`` pt, with ticks labelled on the measure's own scale."""

    low: float
    high: float
    ticks: tuple[float, ...]
    is_ratio: bool
    x: float
    width: float

    def at(self, value: float) -> float:
        return self.x + (value - self.low) / (self.high - self.low) * self.width

    def label(self, tick: float) -> str:
        return f"{round(_back(tick, self.is_ratio), 6):g}"

    def clip(self, value: float) -> float:
        return min(max(value, self.low), self.high)


# RevMan's symmetric scales for ratios: the largest ratio and the ratios labelled.
_RATIO_SCALES = (
    (2.0, (0.5, 0.7, 1, 1.5, 2)),
    (5.0, (0.2, 0.5, 1, 2, 5)),
    (10.0, (0.1, 0.2, 0.5, 1, 2, 5, 10)),
    (20.0, (0.05, 0.2, 1, 5, 20)),
    (100.0, (0.01, 0.1, 1, 10, 100)),
    (1000.0, (0.001, 0.1, 1, 10, 1000)),
)


def _extent(rows: Sequence[_Row]) -> float:
    """How far from no effect the axis reaches: the pooled CIs, prediction intervals and study
    CIs, except the CIs more than four times as wide as the median study's (those get arrows,
    rather than squeezing every other study into the middle of the axis)."""
    marks = [row.mark for row in rows if row.mark is not None]
    squares = [m for m in marks if m.kind == "square"]
    typical = median([m.high - m.low for m in squares]) if squares else 0.0
    shown = [m for m in marks if m.kind != "square" or m.high - m.low <= 4 * typical]
    return max((abs(v) for m in shown or marks for v in (m.low, m.high)), default=0.0)


def _forest_scale(reach: float, is_ratio: bool, x: float) -> _Scale:
    if is_ratio:
        bound, labels = next(
            ((b, t) for b, t in _RATIO_SCALES if math.log(b) >= reach), _RATIO_SCALES[-1]
        )
        ticks = tuple(math.log(t) for t in labels)
        return _Scale(-math.log(bound), math.log(bound), ticks, True, x, PLOT_WIDTH)
    bound = _nice(reach)
    return _Scale(-bound, bound, (-bound, -bound / 2, 0.0, bound / 2, bound), False, x, PLOT_WIDTH)


def _nice(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at least ``value`` (1 for 0)."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value * (1 - 1e-12))


# Drawing the forest ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Layout:
    """Column edges (pt): the label column starts at MARGIN; ``rights`` are the right edges of the
    arm and weight columns; the effect text starts at ``effect_x``; the axis at ``plot_x``."""

    label_width: float
    rights: tuple[float, ...]
    effect_x: float
    plot_x: float

    @property
    def width(self) -> float:
        return self.plot_x + PLOT_WIDTH + MARGIN


def _write(
    axes: Axes,
    x: float,
    y: float,
    text: str,
    *,
    size: float = TEXT,
    bold: bool = False,
    ha: str = "left",
    rotation: float = 0,
) -> None:
    """Text centred vertically on y, in the forest's size unless told (what ``measure`` sized)."""
    _text(axes, x, y, text, size=size, bold=bold, ha=ha, rotation=rotation)


def _column_width(texts: Sequence[str], bold: bool = False) -> float:
    return max((measure(text, TEXT, bold) for text in texts), default=0.0)


def _layout(
    rows: Sequence[_Row], headers: Sequence[str], effect_header: str, arms: Sequence[str]
) -> _Layout:
    """Each column as wide as its widest text, an arm's columns together as wide as its name;
    the label column also wide enough for the sentences that span the table, so that none runs
    into the axis."""
    labels = [_fit(row.label, row.bold) for row in rows if not row.spanning]
    label_width = max(_column_width([STUDY_HEADER], True), _column_width(labels, True))
    widths = [
        max(measure(header, TEXT, True), _column_width([row.cells[i] for row in rows if row.cells]))
        for i, header in enumerate(headers)
    ]
    per_arm = len(widths) // len(arms) if arms else 0
    for side, name in enumerate(arms):
        group = slice(side * per_arm, (side + 1) * per_arm)
        missing = measure(name, TEXT, True) - sum(widths[group]) - GAP * (per_arm - 1)
        widths[side * per_arm] += max(0.0, missing)
    weight_width = max(measure("Weight", TEXT, True), _column_width([r.weight for r in rows]))
    effect_width = max(measure(effect_header, TEXT, True), _column_width([r.effect for r in rows]))
    table = sum(widths) + weight_width + effect_width + GAP * (len(widths) + 2)
    spanning = _column_width([row.label for row in rows if row.spanning])
    label_width = max(label_width, spanning - table)
    rights: list[float] = []
    x = MARGIN + label_width
    for width in [*widths, weight_width]:
        x += GAP + width
        rights.append(x)
    effect_x = x + GAP
    return _Layout(label_width, tuple(rights), effect_x, effect_x + effect_width + GAP)


def _fit(label: str, bold: bool = False) -> str:
    """A study label no wider than MAX_LABEL, cut with an ellipsis."""
    if measure(label, TEXT, bold) <= MAX_LABEL:
        return label
    while label and measure(label + "…", TEXT, bold) > MAX_LABEL:
        label = label[:-1]
    return label.rstrip() + "…"


def forest_plot(
    analysis: Analysis,
    *,
    fmt: PlotFormat,
    labels: ForestLabels | None = None,
    subgroups: SubgroupResult | None = None,
) -> bytes:
    """The RevMan-style forest plot of ``analysis`` (the overall one when ``subgroups`` are given)
    as ``fmt`` bytes; PNG at 300 dpi."""
    _check_format(fmt)
    labels = labels or ForestLabels()
    kind = _kind(analysis.data if subgroups is None else _all_data(subgroups))
    level = analysis.pooled.level if analysis.pooled else 0.95
    groups = [subgroup.analysis for subgroup in subgroups.subgroups] if subgroups else []
    weights = _weights(analysis)
    for group in groups:  # the overall weights; a subgroup's own where the total has none
        weights = {**_weights(group), **weights}
    context = _Context(
        kind=kind,
        is_ratio=analysis.measure.is_ratio,
        z=NormalDist().inv_cdf(1 - (1 - level) / 2),
        weights=weights,
        sizes=_sizes([analysis, *groups], weights),
    )
    body = (
        _study_rows(analysis, context) if subgroups is None else _subgroup_rows(subgroups, context)
    )
    if not body:
        raise MetaError(
            "There is nothing to plot: the analysis has no studies. Add at least one study's data."
        )
    total = 100.0 if analysis.effects and analysis.pooled else None
    gap = [_Row("")] if subgroups is None else []  # a subgroup block ends with a blank row
    rows = [*body, *gap, *_total_rows(analysis, "Total", total, context)]
    return _save(_draw_forest(analysis, rows, context, labels, subgroups, level), fmt)


def _all_data(subgroups: SubgroupResult) -> tuple[StudyData, ...]:
    return tuple(item for subgroup in subgroups.subgroups for item in subgroup.analysis.data)


def _headers(analysis: Analysis, kind: str) -> tuple[str, ...]:
    if kind in ARM_COLUMNS:
        return ARM_COLUMNS[kind] * 2
    name = analysis.measure.label
    return (f"log[{name}]" if analysis.measure.is_ratio else name, "SE")


def _draw_forest(
    analysis: Analysis,
    rows: Sequence[_Row],
    context: _Context,
    labels: ForestLabels,
    subgroups: SubgroupResult | None,
    level: float,
) -> Figure:
    headers = _headers(analysis, context.kind)
    effect_header = method_label(analysis, level)
    arms = (labels.intervention, labels.comparator) if context.kind in ARM_COLUMNS else ()
    layout = _layout(rows, headers, effect_header, arms)
    scale = _forest_scale(_extent(rows), context.is_ratio, layout.plot_x)
    top = MARGIN + (TITLE * 1.8 if labels.title else 0)
    first = top + 2 * ROW + 4
    axis_y = first + len(rows) * ROW + 2
    favours = _favours_lines(labels)
    footer = _footer(analysis, subgroups)
    footer_y = _footer_top(footer, scale, axis_y, len(favours))
    below_axis = _favours_y(axis_y, len(favours))
    height = max(footer_y + len(footer) * FOOT_PITCH, below_axis) + MARGIN
    last_tick = measure(scale.label(scale.ticks[-1]), TEXT, False) / 2 + 2
    width = layout.width - MARGIN + max(MARGIN, last_tick)
    figure, axes = _canvas(width, height)
    if labels.title:
        _write(axes, MARGIN, MARGIN + TITLE * 0.7, labels.title, size=TITLE, bold=True)
    _forest_header(
        axes, context.kind, layout, scale, headers, effect_header, labels, top, analysis.measure
    )
    axes.plot([scale.at(0.0)] * 2, [first - 2, axis_y], color="black", linewidth=LINE)
    colour = SQUARE_COLOURS[context.kind]
    for number, row in enumerate(rows):
        _forest_row(axes, row, layout, scale, first + (number + 0.5) * ROW, colour)
    _forest_axis(axes, scale, axis_y, favours)
    for number, line in enumerate(footer):
        _write(axes, MARGIN, footer_y + (number + 0.5) * FOOT_PITCH, line, size=TEXT)
    return figure


def _forest_header(
    axes: Axes,
    kind: str,
    layout: _Layout,
    scale: _Scale,
    headers: Sequence[str],
    effect_header: str,
    labels: ForestLabels,
    top: float,
    effect_measure: EffectMeasure,
) -> None:
    """Two header lines: arm names over their columns and the measure over the effect columns,
    then the column names; a rule under them."""
    upper, lower = top + ROW / 2, top + 1.5 * ROW
    if kind in ARM_COLUMNS:
        arms = len(ARM_COLUMNS[kind])
        for side, name in enumerate((labels.intervention, labels.comparator)):
            right = layout.rights[(side + 1) * arms - 1]
            left = (layout.rights[side * arms - 1] if side else MARGIN + layout.label_width) + GAP
            _write(axes, (left + right) / 2, upper, name, bold=True, ha="center")
    _write(axes, MARGIN, lower, STUDY_HEADER, bold=True)
    for header, right in zip([*headers, "Weight"], layout.rights, strict=True):
        _write(axes, right, lower, header, bold=True, ha="right")
    measure_name = effect_measure.label
    _write(axes, layout.effect_x, upper, measure_name, bold=True)
    _write(axes, layout.effect_x, lower, effect_header, bold=True)
    middle = scale.x + scale.width / 2
    _write(axes, middle, upper, measure_name, bold=True, ha="center")
    _write(axes, middle, lower, effect_header, bold=True, ha="center")
    rule = top + 2 * ROW + 1
    axes.plot([MARGIN, layout.width - MARGIN], [rule, rule], color="black", linewidth=LINE)


def _forest_row(
    axes: Axes, row: _Row, layout: _Layout, scale: _Scale, y: float, colour: str
) -> None:
    if row.spanning:
        _write(axes, MARGIN, y, row.label, size=TEXT)
        return
    _write(axes, MARGIN, y, _fit(row.label, row.bold), bold=row.bold)
    for cell, right in zip(
        [*row.cells, row.weight], layout.rights[-len(row.cells) - 1 :], strict=True
    ):
        _write(axes, right, y, cell, bold=row.bold, ha="right")
    if row.effect:
        _write(axes, layout.effect_x, y, row.effect, bold=row.bold)
    if row.mark is not None:
        _draw_mark(axes, row.mark, scale, y, colour)


def _draw_mark(axes: Axes, mark: _Mark, scale: _Scale, y: float, colour: str) -> None:
    from matplotlib.patches import Polygon

    low, high = scale.clip(mark.low), scale.clip(mark.high)
    if mark.kind == "diamond":
        mid = scale.at(scale.clip(mark.estimate))
        points = [
            (scale.at(low), y),
            (mid, y - DIAMOND / 2),
            (scale.at(high), y),
            (mid, y + DIAMOND / 2),
        ]
        axes.add_patch(Polygon(points, closed=True, facecolor="black", edgecolor="black", lw=LINE))
        return
    axes.plot([scale.at(low), scale.at(high)], [y, y], color="black", linewidth=LINE)
    if mark.kind == "bar":  # the prediction interval: a line with end caps
        for end in (low, high):
            axes.plot([scale.at(end)] * 2, [y - 3, y + 3], color="black", linewidth=LINE)
        return
    if mark.low < scale.low:
        _arrow(axes, scale.x, y, -1)
    if mark.high > scale.high:
        _arrow(axes, scale.x + scale.width, y, 1)
    if scale.low <= mark.estimate <= scale.high and mark.share > 0:
        side = max(MIN_SQUARE, SQUARE * math.sqrt(mark.share))  # area proportional to weight
        x = scale.at(mark.estimate)
        square = [
            (x - side / 2, y - side / 2),
            (x + side / 2, y - side / 2),
            (x + side / 2, y + side / 2),
            (x - side / 2, y + side / 2),
        ]
        axes.add_patch(Polygon(square, closed=True, facecolor=colour, edgecolor=colour, lw=0))


def _arrow(axes: Axes, x: float, y: float, direction: int) -> None:
    """An arrowhead at the end of the axis: the CI goes on beyond it."""
    from matplotlib.patches import Polygon

    tip = [(x, y), (x - 4 * direction, y - 2.5), (x - 4 * direction, y + 2.5)]
    axes.add_patch(Polygon(tip, closed=True, facecolor="black", edgecolor="black", lw=0))


def _favours_lines(labels: ForestLabels) -> list[tuple[str, str]]:
    """The two "Favours ..." labels, each wrapped to half the axis, paired line by line."""
    half = PLOT_WIDTH / 2 - 4
    left = wrap(labels.favours_left, half, TEXT, False, measure)
    right = wrap(labels.favours_right, half, TEXT, False, measure)
    depth = max(len(left), len(right))
    return [
        (left[i] if i < len(left) else "", right[i] if i < len(right) else "") for i in range(depth)
    ]


def _footer_top(footer: Sequence[str], scale: _Scale, axis_y: float, favours: int) -> float:
    """The footer starts beside the axis, as in RevMan, when its widest line ends before the
    axis's first tick label; otherwise under the "Favours" labels."""
    first_tick = measure(scale.label(scale.ticks[0]), TEXT, False) / 2 if scale.ticks else 0
    if MARGIN + _column_width(footer) + GAP <= scale.x - first_tick:
        return axis_y + 4
    return _favours_y(axis_y, favours) + 4


def _favours_y(axis_y: float, lines: int) -> float:
    """Where the "Favours" labels end (their first line is centred 20 pt under the axis)."""
    return axis_y + 20 + (lines - 0.5) * TEXT * 1.3 + 2


def _forest_axis(axes: Axes, scale: _Scale, y: float, favours: Sequence[tuple[str, str]]) -> None:
    axes.plot([scale.x, scale.x + scale.width], [y, y], color="black", linewidth=LINE)
    for tick in scale.ticks:
        x = scale.at(tick)
        axes.plot([x, x], [y, y + 3], color="black", linewidth=LINE)
        _write(axes, x, y + 9, scale.label(tick), ha="center")
    middle = scale.at(0.0)
    for number, (left, right) in enumerate(favours):
        line_y = y + 20 + number * TEXT * 1.3
        _write(axes, middle - 3, line_y, left, ha="right")
        _write(axes, middle + 3, line_y, right)


# The funnel plot ---------------------------------------------------------------------------------


def funnel_plot(analysis: Analysis, *, fmt: PlotFormat) -> bytes:
    """metafor's funnel plot of ``analysis`` as ``fmt`` bytes (PNG at 300 dpi)."""
    _check_format(fmt)
    effects = [e for e in analysis.effects if e.vi > 0 and math.isfinite(e.yi)]
    if not effects:
        raise MetaError(
            "There is nothing to plot: no study of the analysis has an effect size with a "
            "variance above 0."
        )
    return _save(_draw_funnel(analysis, effects), fmt)


def _funnel_scales(
    analysis: Analysis, effects: Sequence[EffectSize], x: float
) -> tuple[_Scale, float, tuple[float, ...], float]:
    """The x scale, and the SE axis's bottom, ticks and z (metafor: the region reaches the
    axis's bottom)."""
    from matplotlib.ticker import MaxNLocator

    pooled = analysis.pooled
    level = pooled.level if pooled else 0.95
    z = NormalDist().inv_cdf(1 - (1 - level) / 2)
    se_ticks = [float(t) for t in MaxNLocator(5).tick_values(0, max(e.se for e in effects))]
    bottom = max(se_ticks)
    values = [e.yi for e in effects]
    if pooled is not None:
        values += [pooled.estimate - z * bottom, pooled.estimate + z * bottom]
    low, high = min(values), max(values)
    pad = 0.05 * (high - low) or 1.0
    low, high = low - pad, high + pad
    is_ratio = analysis.measure.is_ratio
    ticks = _ratio_ticks(low, high) if is_ratio else _plain_ticks(low, high)
    return _Scale(low, high, ticks, is_ratio, x, FUNNEL_WIDTH), bottom, tuple(se_ticks), z


def _plain_ticks(low: float, high: float) -> tuple[float, ...]:
    from matplotlib.ticker import MaxNLocator

    ticks = MaxNLocator(6).tick_values(low, high)
    return tuple(float(t) for t in ticks if low <= t <= high)


def _ratio_ticks(low: float, high: float) -> tuple[float, ...]:
    """Ratios labelled on a log axis: powers of ten, else 1-2-5, else finer, as many as fit
    (at most 7, and at least 4 when a finer set allows)."""
    chosen: list[float] = []
    decades = range(math.floor(low / math.log(10)) - 1, math.ceil(high / math.log(10)) + 2)
    for mantissas in ((1.0,), (1.0, 2.0, 5.0), (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)):
        ticks = [math.log(m * 10.0**e) for e in decades for m in mantissas]
        ticks = sorted(t for t in ticks if low <= t <= high)
        if len(ticks) > 7:
            break
        chosen = ticks
        if len(ticks) >= 4:
            break
    return tuple(chosen)


def _draw_funnel(analysis: Analysis, effects: Sequence[EffectSize]) -> Figure:
    from matplotlib.patches import Circle, Polygon, Rectangle

    left = MARGIN + 50.0  # room for the SE tick labels and the axis title
    scale, bottom, se_ticks, z = _funnel_scales(analysis, effects, left)
    top = MARGIN + 4
    width, height = left + FUNNEL_WIDTH + MARGIN + 6, top + FUNNEL_HEIGHT + 32 + MARGIN
    figure, axes = _canvas(width, height)

    def y_at(se: float) -> float:
        return top + se / bottom * FUNNEL_HEIGHT

    box = (scale.x, top, FUNNEL_WIDTH, FUNNEL_HEIGHT)
    axes.add_patch(Rectangle(box[:2], *box[2:], facecolor=FUNNEL_BACKGROUND, edgecolor="none"))
    axes.add_patch(Rectangle(box[:2], *box[2:], fill=False, edgecolor="black", lw=LINE, zorder=5))
    for tick in se_ticks:  # metafor: white lines across the background at the SE ticks
        axes.plot([scale.x, scale.x + FUNNEL_WIDTH], [y_at(tick)] * 2, color="white", lw=LINE)
    pooled = analysis.pooled
    if pooled is not None:
        est = pooled.estimate
        region = [(est, 0.0), (est - z * bottom, bottom), (est + z * bottom, bottom)]
        points = [(scale.at(v), y_at(se)) for v, se in region]
        axes.add_patch(
            Polygon(points, closed=True, facecolor="white", edgecolor="none", zorder=2.5)
        )
        for end in points[1:]:
            axes.plot(*zip(points[0], end, strict=True), color="black", lw=LINE, ls=":", zorder=3)
        reference = [scale.at(est)] * 2, [top, top + FUNNEL_HEIGHT]
        axes.plot(*reference, color="black", lw=LINE, ls=":", zorder=3)
    for effect in effects:
        centre = (scale.at(scale.clip(effect.yi)), y_at(effect.se))
        axes.add_patch(Circle(centre, 2.2, facecolor="black", edgecolor="black", lw=0, zorder=4))
    _funnel_axes(axes, analysis, scale, se_ticks, y_at, top)
    return figure


def _funnel_axes(
    axes: Axes,
    analysis: Analysis,
    scale: _Scale,
    se_ticks: Sequence[float],
    y_at: Callable[[float], float],
    top: float,
) -> None:
    base = top + FUNNEL_HEIGHT
    for tick in scale.ticks:
        x = scale.at(tick)
        axes.plot([x, x], [base, base + 3], color="black", lw=LINE)
        _write(axes, x, base + 10, scale.label(tick), ha="center")
    for tick in se_ticks:
        y = y_at(tick)
        axes.plot([scale.x - 3, scale.x], [y, y], color="black", lw=LINE)
        _write(axes, scale.x - 5, y, f"{tick:g}", ha="right")
    name = analysis.measure.label + (" (log scale)" if analysis.measure.is_ratio else "")
    _write(axes, scale.x + FUNNEL_WIDTH / 2, base + 24, name, ha="center")
    _write(axes, MARGIN + 4, top + FUNNEL_HEIGHT / 2, "Standard error", ha="center", rotation=90)
