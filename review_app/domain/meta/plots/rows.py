"""What a forest plot holds, row by row, before anything is drawn: per study the arm data, the
weight, the effect as text and its mark on the axis; the (sub)totals with the pooled diamond and
the prediction interval; subgroup blocks; and the footer's lines (RevMan's layout, Cochrane
Handbook 10.2.1)."""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median
from typing import TYPE_CHECKING

from review_app.domain.meta.model import (
    Analysis,
    Continuous,
    Dichotomous,
    EffectSize,
    Generic,
    StudyData,
)
from review_app.domain.meta.plots.wording import (
    NOT_ESTIMABLE,
    back,
    heterogeneity_text,
    interval_text,
    method_notes,
    number_text,
    overall_effect_text,
    subgroup_difference_text,
)

if TYPE_CHECKING:
    from review_app.domain.meta.further import SubgroupResult


@dataclass(frozen=True, slots=True)
class Mark:
    """What a row draws on the axis (analysis scale): a square (``share`` of the largest weight),
    the pooled diamond, or the prediction interval's bar."""

    kind: str  # "square" | "diamond" | "bar"
    low: float
    high: float
    estimate: float = 0.0
    share: float = 1.0


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    cells: tuple[str, ...] = ()
    weight: str = ""
    effect: str = ""
    mark: Mark | None = None
    bold: bool = False
    spanning: bool = False  # a sentence across the table (subgroup heterogeneity lines)
    study: str | None = None  # set on a study's row (its risk-of-bias cells are looked up by it)
    corrected: bool = False  # its effect size had a continuity correction (a footnote says so)


def data_kind(data: Sequence[object]) -> str:
    if data and all(isinstance(item, Dichotomous) for item in data):
        return "dichotomous"
    if data and all(isinstance(item, Continuous) for item in data):
        return "continuous"
    return "generic"


def arm_cells(
    item: StudyData | EffectSize, effect: EffectSize | None, kind: str
) -> tuple[str, ...]:
    if kind == "dichotomous" and isinstance(item, Dichotomous):
        return tuple(map(number_text, (item.events_t, item.n_t, item.events_c, item.n_c)))
    if kind == "continuous" and isinstance(item, Continuous):
        values = (item.mean_t, item.sd_t, item.n_t, item.mean_c, item.sd_c, item.n_c)
        return tuple(map(number_text, values))
    source = item if isinstance(item, Generic | EffectSize) else effect  # generic: yi and SE
    if source is None:
        return ("", "")
    return (f"{source.yi:.4f}", f"{math.sqrt(source.vi):.4f}")


@dataclass(frozen=True, slots=True)
class Context:
    """What every row of one forest plot shares."""

    kind: str
    is_ratio: bool
    z: float  # the study CIs' normal quantile
    weights: dict[str, float]  # percent of the overall weight, by study
    sizes: dict[str, float]  # what the squares' areas are proportional to, by study


def study_weights(analysis: Analysis) -> dict[str, float]:
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


def square_sizes(analyses: Sequence[Analysis], weights: dict[str, float]) -> dict[str, float]:
    """What the squares are sized by: the weights, or without them each study's precision
    (1 / vi, as metafor's forest() sizes the squares of effect sizes not pooled)."""
    if weights:
        return weights
    return {e.study: 1 / e.vi for a in analyses for e in a.effects if e.vi > 0}


def study_rows(analysis: Analysis, context: Context) -> list[Row]:
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
        Row(d.study, effect=NOT_ESTIMABLE, study=d.study)
        for d in analysis.dropped
        if d.study not in entered
    ]
    return rows


def _study_row(
    name: str, item: StudyData | EffectSize, effect: EffectSize | None, context: Context
) -> Row:
    cells = arm_cells(item, effect, context.kind)
    if effect is None:
        return Row(name, cells, effect=NOT_ESTIMABLE, study=name)
    half = context.z * effect.se
    low, high = effect.yi - half, effect.yi + half
    weight = context.weights.get(name)
    largest = max(context.sizes.values(), default=0.0)
    share = context.sizes.get(name, 0.0) / largest if largest > 0 else 0.0
    return Row(
        name,
        cells,
        weight=f"{weight:.1f}%" if weight is not None else "",
        effect=interval_text(effect.yi, low, high, is_ratio=context.is_ratio),
        mark=Mark("square", low, high, effect.yi, share),
        study=name,
        corrected=effect.corrected,
    )


def _sum(values: Sequence[float]) -> str:
    return number_text(sum(values)) if values else ""


def total_rows(analysis: Analysis, label: str, weight: float | None, context: Context) -> list[Row]:
    """The (sub)total row with participants per arm and the diamond, "Total events" for
    dichotomous data, and the prediction interval's row when there is one."""
    data = analysis.data
    cells: tuple[str, ...] = ()
    events: list[Row] = []
    if context.kind == "dichotomous":
        tables = [d for d in data if isinstance(d, Dichotomous)]
        cells = ("", _sum([d.n_t for d in tables]), "", _sum([d.n_c for d in tables]))
        counts = (_sum([d.events_t for d in tables]), "", _sum([d.events_c for d in tables]), "")
        events = [Row("Total events", counts)]
    elif context.kind == "continuous":
        arms = [d for d in data if isinstance(d, Continuous)]
        cells = ("", "", _sum([d.n_t for d in arms]), "", "", _sum([d.n_c for d in arms]))
    pooled = analysis.pooled
    level = pooled.level if pooled else 0.95
    title = f"{label} ({level:.0%} CI)"
    share = f"{weight:.1f}%" if weight is not None else ""
    if pooled is None:
        return [Row(title, cells, share, NOT_ESTIMABLE, bold=True), *events]
    est, low, high = pooled.estimate, pooled.ci_low, pooled.ci_high
    text = interval_text(est, low, high, is_ratio=context.is_ratio)
    rows = [Row(title, cells, share, text, Mark("diamond", low, high, est), bold=True), *events]
    if pooled.pi_low is not None and pooled.pi_high is not None:
        lo, hi = (back(v, context.is_ratio) for v in (pooled.pi_low, pooled.pi_high))
        bar = Mark("bar", pooled.pi_low, pooled.pi_high)
        rows.append(Row("Prediction interval", effect=f"[{lo:.2f}, {hi:.2f}]", mark=bar))
    return rows


def subgroup_rows(subgroups: SubgroupResult, context: Context) -> list[Row]:
    """Each subgroup as RevMan draws it: its name, its studies, its subtotal, its heterogeneity
    and overall-effect lines, then a blank row."""
    rows: list[Row] = []
    for subgroup in subgroups.subgroups:
        name, group = subgroup.name, subgroup.analysis
        studies = study_rows(group, context)
        total = sum(context.weights.get(e.study, 0.0) for e in group.effects)
        rows += [Row(name, bold=True), *studies]
        rows += total_rows(group, "Subtotal", total if group.effects else None, context)
        if group.pooled is not None:
            lines = (heterogeneity_text(group.pooled), overall_effect_text(group.pooled))
            rows += [Row(line, spanning=True) for line in lines]
        rows.append(Row(""))
    return rows


def footer_lines(analysis: Analysis, subgroups: SubgroupResult | None) -> list[str]:
    lines = []
    if analysis.pooled is not None:
        lines += [heterogeneity_text(analysis.pooled), overall_effect_text(analysis.pooled)]
    if subgroups is not None and subgroups.difference is not None:
        lines.append(subgroup_difference_text(subgroups.difference))
    if analysis.pooled is not None:
        lines += method_notes(analysis.pooled)
    return lines + list(analysis.notes) + list(subgroups.notes if subgroups else ())


def extent(rows: Sequence[Row]) -> float:
    """How far from no effect the axis reaches: the pooled CIs, prediction intervals and study
    CIs, except the CIs more than four times as wide as the median study's (those get arrows,
    rather than squeezing every other study into the middle of the axis)."""
    marks = [row.mark for row in rows if row.mark is not None]
    squares = [m for m in marks if m.kind == "square"]
    typical = median([m.high - m.low for m in squares]) if squares else 0.0
    shown = [m for m in marks if m.kind != "square" or m.high - m.low <= 4 * typical]
    return max((abs(v) for m in shown or marks for v in (m.low, m.high)), default=0.0)
