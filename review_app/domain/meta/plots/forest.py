"""The forest plot of a meta-analysis in RevMan's layout (Cochrane's Review Manager; Cochrane
Handbook 10.2.1 and 10.10.2).

Per study the arm data (events and totals, or mean, SD and total; the estimate and its SE for
generic inverse variance), the weight in percent, the effect and its CI as text and as a square
whose area is proportional to the weight, with arrows where a CI leaves the axis; the pooled
diamond on a "Total (95% CI)" row with the totals, the prediction interval under it, a vertical
line at no effect (1 on a log axis for ratios, 0 otherwise), "Favours ..." labels under the axis,
and the heterogeneity and overall-effect lines worded and rounded as RevMan does. Subgroups
(``further.subgroups``) are drawn as blocks with their own subtotal, heterogeneity and
overall-effect lines, and the test for subgroup differences at the foot. Every column is as wide
as its widest text. When the caller gives the risk-of-bias assessments, RevMan's risk-of-bias
columns stand at the right (``rob_columns.py``). A study whose effect size needed a continuity
correction is marked, and a footnote says what was added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import TYPE_CHECKING

from review_app.domain.meta.effects import CONTINUITY_CORRECTION
from review_app.domain.meta.errors import MetaError
from review_app.domain.meta.model import Analysis, StudyData
from review_app.domain.meta.plots.axis import Scale, forest_scale
from review_app.domain.meta.plots.marks import draw_mark
from review_app.domain.meta.plots.rob_columns import (
    RobColumns,
    draw_rob_cells,
    draw_rob_header,
    draw_rob_legend,
    legend_height,
    rob_columns,
)
from review_app.domain.meta.plots.rows import (
    Context,
    Row,
    data_kind,
    extent,
    footer_lines,
    square_sizes,
    study_rows,
    study_weights,
    subgroup_rows,
    total_rows,
)
from review_app.domain.meta.plots.style import (
    GAP,
    LINE,
    MARGIN,
    SALT,
    TEXT,
    TITLE,
    column_width,
    write,
)
from review_app.domain.meta.plots.wording import method_label, number_text
from review_app.domain.plotting import PlotFormat, canvas, check_format, measure, save_figure
from review_app.domain.prisma.geometry import wrap
from review_app.domain.vocabulary import EffectMeasure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from review_app.domain.appraisal.plots import RobTable
    from review_app.domain.meta.further import SubgroupResult

STUDY_HEADER = "Study or Subgroup"
ROW = 13.0  # one study's row; the figure grows by this much per study
PLOT_WIDTH = 180.0  # the forest's axis
MAX_LABEL = 200.0  # a longer study label is cut with an ellipsis
FOOT_PITCH = TEXT * 1.5
# One colour per kind of data, so that what was pooled reads at a glance.
SQUARE_COLOURS = {"dichotomous": "#1F5FAD", "continuous": "#2E7D32", "generic": "#B23A3A"}
ARM_COLUMNS = {"dichotomous": ("Events", "Total"), "continuous": ("Mean", "SD", "Total")}
CORRECTED = "†"  # marks a study whose effect size had a continuity correction
MARKER_SIZE = TEXT * 0.85
ROB_GAP = 2 * GAP  # between the axis (its last tick label) and the risk-of-bias columns


@dataclass(frozen=True, slots=True)
class ForestLabels:
    """The words a caller chooses: arm names over the arm columns and the sides of the axis
    (which side favours which arm depends on the outcome's direction of benefit)."""

    intervention: str = "Intervention"
    comparator: str = "Comparator"
    favours_left: str = "Favours intervention"
    favours_right: str = "Favours comparator"
    title: str | None = None


# Drawing the forest ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Layout:
    """Column edges (pt): the label column starts at MARGIN; ``rights`` are the right edges of the
    arm and weight columns; the effect text starts at ``effect_x``; the axis at ``plot_x``."""

    label_width: float
    rights: tuple[float, ...]
    effect_x: float
    plot_x: float
    rob: RobColumns | None = None

    @property
    def rob_x(self) -> float:
        return self.plot_x + PLOT_WIDTH + ROB_GAP

    @property
    def width(self) -> float:
        return (self.rob_x + self.rob.width if self.rob else self.plot_x + PLOT_WIDTH) + MARGIN


@dataclass(frozen=True, slots=True)
class _Parts:
    """What one forest plot draws, worked out before drawing."""

    analysis: Analysis
    rows: tuple[Row, ...]
    context: Context
    labels: ForestLabels
    footer: tuple[str, ...]
    level: float
    risk_of_bias: RobTable | None


def _layout(
    rows: Sequence[Row], headers: Sequence[str], effect_header: str, arms: Sequence[str]
) -> _Layout:
    """Each column as wide as its widest text, an arm's columns together as wide as its name;
    the label column also wide enough for the sentences that span the table, so that none runs
    into the axis."""
    labels = [_label_width(row) for row in rows if not row.spanning]
    label_width = max([column_width([STUDY_HEADER], True), *labels])
    widths = [
        max(measure(header, TEXT, True), column_width([row.cells[i] for row in rows if row.cells]))
        for i, header in enumerate(headers)
    ]
    per_arm = len(widths) // len(arms) if arms else 0
    for side, name in enumerate(arms):
        group = slice(side * per_arm, (side + 1) * per_arm)
        missing = measure(name, TEXT, True) - sum(widths[group]) - GAP * (per_arm - 1)
        widths[side * per_arm] += max(0.0, missing)
    weight_width = max(measure("Weight", TEXT, True), column_width([r.weight for r in rows]))
    effect_width = max(measure(effect_header, TEXT, True), column_width([r.effect for r in rows]))
    table = sum(widths) + weight_width + effect_width + GAP * (len(widths) + 2)
    spanning = column_width([row.label for row in rows if row.spanning])
    label_width = max(label_width, spanning - table)
    rights: list[float] = []
    x = MARGIN + label_width
    for width in [*widths, weight_width]:
        x += GAP + width
        rights.append(x)
    effect_x = x + GAP
    return _Layout(label_width, tuple(rights), effect_x, effect_x + effect_width + GAP)


def _label_width(row: Row) -> float:
    """A row's label as drawn, with the marker of a continuity correction."""
    marker = measure(CORRECTED, MARKER_SIZE, False) + 1 if row.corrected else 0.0
    return measure(_fit(row.label, row.bold), TEXT, True) + marker


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
    risk_of_bias: RobTable | None = None,
    continuity_correction: float = CONTINUITY_CORRECTION,
) -> bytes:
    """The RevMan-style forest plot of ``analysis`` (the overall one when ``subgroups`` are given)
    as ``fmt`` bytes; PNG at 300 dpi.

    ``risk_of_bias``: the outcome's assessments (one tool), drawn as columns at the right with a
    legend under the plot; a study without a row in it gets blank cells. ``continuity_correction``:
    what was added to each cell of a corrected 2x2 table (``effect_sizes``'s ``add``), for the
    footnote on the studies marked as corrected."""
    check_format(fmt)
    labels = labels or ForestLabels()
    kind = data_kind(analysis.data if subgroups is None else _all_data(subgroups))
    level = analysis.pooled.level if analysis.pooled else 0.95
    groups = [subgroup.analysis for subgroup in subgroups.subgroups] if subgroups else []
    weights = study_weights(analysis)
    for group in groups:  # the overall weights; a subgroup's own where the total has none
        weights = {**study_weights(group), **weights}
    context = Context(
        kind=kind,
        is_ratio=analysis.measure.is_ratio,
        z=NormalDist().inv_cdf(1 - (1 - level) / 2),
        weights=weights,
        sizes=square_sizes([analysis, *groups], weights),
    )
    body = study_rows(analysis, context) if subgroups is None else subgroup_rows(subgroups, context)
    if not body:
        raise MetaError(
            "There is nothing to plot: the analysis has no studies. Add at least one study's data."
        )
    total = 100.0 if analysis.effects and analysis.pooled else None
    gap = [Row("")] if subgroups is None else []  # a subgroup block ends with a blank row
    rows = (*body, *gap, *total_rows(analysis, "Total", total, context))
    footer = footer_lines(analysis, subgroups)
    if any(row.corrected for row in rows):
        footer.append(_correction_note(continuity_correction))
    parts = _Parts(analysis, rows, context, labels, tuple(footer), level, risk_of_bias)
    return save_figure(_draw_forest(parts), fmt, salt=SALT)


def _correction_note(add: float) -> str:
    return (
        f"{CORRECTED} Continuity correction: {number_text(add)} added to each cell of the "
        "study's 2×2 table to estimate its effect."
    )


def _all_data(subgroups: SubgroupResult) -> tuple[StudyData, ...]:
    return tuple(item for subgroup in subgroups.subgroups for item in subgroup.analysis.data)


def _headers(analysis: Analysis, kind: str) -> tuple[str, ...]:
    if kind in ARM_COLUMNS:
        return ARM_COLUMNS[kind] * 2
    name = analysis.measure.label
    return (f"log[{name}]" if analysis.measure.is_ratio else name, "SE")


def _draw_forest(parts: _Parts) -> Figure:
    analysis, rows, context, labels, footer = (
        parts.analysis, parts.rows, parts.context, parts.labels, parts.footer
    )  # fmt: skip
    headers = _headers(analysis, context.kind)
    effect_header = method_label(analysis, parts.level)
    arms = (labels.intervention, labels.comparator) if context.kind in ARM_COLUMNS else ()
    layout = _layout(rows, headers, effect_header, arms)
    layout = replace(layout, rob=rob_columns(parts.risk_of_bias, layout.rob_x, ROW))
    scale = forest_scale(extent(rows), context.is_ratio, layout.plot_x, PLOT_WIDTH)
    top = MARGIN + (TITLE * 1.8 if labels.title else 0)
    first = top + 2 * ROW + 4
    axis_y = first + len(rows) * ROW + 2
    favours = _favours_lines(labels)
    footer_y = _footer_top(footer, scale, axis_y, len(favours))
    below = max(footer_y + len(footer) * FOOT_PITCH, _favours_y(axis_y, len(favours)))
    last_tick = measure(scale.label(scale.ticks[-1]), TEXT, False) / 2 + 2
    width = layout.width if layout.rob else layout.width - MARGIN + max(MARGIN, last_tick)
    legend = legend_height(layout.rob, width - 2 * MARGIN) + GAP if layout.rob else 0.0
    figure, axes = canvas(width, below + legend + MARGIN)
    if labels.title:
        write(axes, MARGIN, MARGIN + TITLE * 0.7, labels.title, size=TITLE, bold=True)
    _forest_header(
        axes, context.kind, layout, scale, headers, effect_header, labels, top, analysis.measure
    )
    axes.plot([scale.at(0.0)] * 2, [first - 2, axis_y], color="black", linewidth=LINE)
    colour = SQUARE_COLOURS[context.kind]
    for number, row in enumerate(rows):
        _forest_row(axes, row, layout, scale, first + (number + 0.5) * ROW, colour)
    _forest_axis(axes, scale, axis_y, favours)
    for number, line in enumerate(footer):
        write(axes, MARGIN, footer_y + (number + 0.5) * FOOT_PITCH, line, size=TEXT)
    if layout.rob:
        draw_rob_legend(axes, layout.rob, MARGIN, below + GAP, width - 2 * MARGIN)
    return figure


def _forest_header(
    axes: Axes,
    kind: str,
    layout: _Layout,
    scale: Scale,
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
            write(axes, (left + right) / 2, upper, name, bold=True, ha="center")
    write(axes, MARGIN, lower, STUDY_HEADER, bold=True)
    for header, right in zip([*headers, "Weight"], layout.rights, strict=True):
        write(axes, right, lower, header, bold=True, ha="right")
    measure_name = effect_measure.label
    write(axes, layout.effect_x, upper, measure_name, bold=True)
    write(axes, layout.effect_x, lower, effect_header, bold=True)
    middle = scale.x + scale.width / 2
    write(axes, middle, upper, measure_name, bold=True, ha="center")
    write(axes, middle, lower, effect_header, bold=True, ha="center")
    if layout.rob:
        draw_rob_header(axes, layout.rob, upper, lower)
    rule = top + 2 * ROW + 1
    axes.plot([MARGIN, layout.width - MARGIN], [rule, rule], color="black", linewidth=LINE)


def _forest_row(axes: Axes, row: Row, layout: _Layout, scale: Scale, y: float, colour: str) -> None:
    if row.spanning:
        write(axes, MARGIN, y, row.label, size=TEXT)
        return
    label = _fit(row.label, row.bold)
    write(axes, MARGIN, y, label, bold=row.bold)
    if row.corrected:  # the marker raised as a superscript after the label
        x = MARGIN + measure(label, TEXT, row.bold) + 1
        write(axes, x, y - TEXT * 0.3, CORRECTED, size=MARKER_SIZE)
    if layout.rob and row.study is not None:
        draw_rob_cells(axes, layout.rob, row.study, y, ROW)
    for cell, right in zip(
        [*row.cells, row.weight], layout.rights[-len(row.cells) - 1 :], strict=True
    ):
        write(axes, right, y, cell, bold=row.bold, ha="right")
    if row.effect:
        write(axes, layout.effect_x, y, row.effect, bold=row.bold)
    if row.mark is not None:
        draw_mark(axes, row.mark, scale, y, colour)


def _favours_lines(labels: ForestLabels) -> list[tuple[str, str]]:
    """The two "Favours ..." labels, each wrapped to half the axis, paired line by line."""
    half = PLOT_WIDTH / 2 - 4
    left = wrap(labels.favours_left, half, TEXT, False, measure)
    right = wrap(labels.favours_right, half, TEXT, False, measure)
    depth = max(len(left), len(right))
    return [
        (left[i] if i < len(left) else "", right[i] if i < len(right) else "") for i in range(depth)
    ]


def _footer_top(footer: Sequence[str], scale: Scale, axis_y: float, favours: int) -> float:
    """The footer starts beside the axis, as in RevMan, when its widest line ends before the
    axis's first tick label; otherwise under the "Favours" labels."""
    first_tick = measure(scale.label(scale.ticks[0]), TEXT, False) / 2 if scale.ticks else 0
    if MARGIN + column_width(footer) + GAP <= scale.x - first_tick:
        return axis_y + 4
    return _favours_y(axis_y, favours) + 4


def _favours_y(axis_y: float, lines: int) -> float:
    """Where the "Favours" labels end (their first line is centred 20 pt under the axis)."""
    return axis_y + 20 + (lines - 0.5) * TEXT * 1.3 + 2


def _forest_axis(axes: Axes, scale: Scale, y: float, favours: Sequence[tuple[str, str]]) -> None:
    axes.plot([scale.x, scale.x + scale.width], [y, y], color="black", linewidth=LINE)
    for tick in scale.ticks:
        x = scale.at(tick)
        axes.plot([x, x], [y, y + 3], color="black", linewidth=LINE)
        write(axes, x, y + 9, scale.label(tick), ha="center")
    middle = scale.at(0.0)
    for number, (left, right) in enumerate(favours):
        line_y = y + 20 + number * TEXT * 1.3
        write(axes, middle - 3, line_y, left, ha="right")
        write(axes, middle + 3, line_y, right)
