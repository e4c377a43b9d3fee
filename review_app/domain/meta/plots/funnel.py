"""metafor's funnel plot of a meta-analysis (Viechtbauer 2010, ``funnel()``): effect sizes on x (a
log axis for ratios, labelled on their own scale), standard errors on y from 0 at the top, the
pooled estimate as a vertical line and the pseudo confidence region estimate +- z * SE as a white
triangle with dotted sides on a light grey background (Sterne & Egger, J Clin Epidemiol
2001;54:1046-55). Egger's test and the k >= 10 rule are ``further.py``'s."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING

from review_app.domain.meta.errors import MetaError
from review_app.domain.meta.model import Analysis, EffectSize
from review_app.domain.meta.plots.axis import Scale, plain_ticks, ratio_ticks
from review_app.domain.meta.plots.style import LINE, MARGIN, SALT, write
from review_app.domain.plotting import PlotFormat, canvas, check_format, save_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FUNNEL_WIDTH = 300.0
FUNNEL_HEIGHT = 220.0
FUNNEL_BACKGROUND = "#D3D3D3"  # metafor funnel(back = "lightgray")


def funnel_plot(analysis: Analysis, *, fmt: PlotFormat) -> bytes:
    """metafor's funnel plot of ``analysis`` as ``fmt`` bytes (PNG at 300 dpi)."""
    check_format(fmt)
    effects = [e for e in analysis.effects if e.vi > 0 and math.isfinite(e.yi)]
    if not effects:
        raise MetaError(
            "There is nothing to plot: no study of the analysis has an effect size with a "
            "variance above 0."
        )
    return save_figure(_draw_funnel(analysis, effects), fmt, salt=SALT)


def _funnel_scales(
    analysis: Analysis, effects: Sequence[EffectSize], x: float
) -> tuple[Scale, float, tuple[float, ...], float]:
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
    ticks = ratio_ticks(low, high) if is_ratio else plain_ticks(low, high)
    return Scale(low, high, ticks, is_ratio, x, FUNNEL_WIDTH), bottom, tuple(se_ticks), z


def _draw_funnel(analysis: Analysis, effects: Sequence[EffectSize]) -> Figure:
    from matplotlib.patches import Circle, Polygon, Rectangle

    left = MARGIN + 50.0  # room for the SE tick labels and the axis title
    scale, bottom, se_ticks, z = _funnel_scales(analysis, effects, left)
    top = MARGIN + 4
    width, height = left + FUNNEL_WIDTH + MARGIN + 6, top + FUNNEL_HEIGHT + 32 + MARGIN
    figure, axes = canvas(width, height)

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
    scale: Scale,
    se_ticks: Sequence[float],
    y_at: Callable[[float], float],
    top: float,
) -> None:
    base = top + FUNNEL_HEIGHT
    for tick in scale.ticks:
        x = scale.at(tick)
        axes.plot([x, x], [base, base + 3], color="black", lw=LINE)
        write(axes, x, base + 10, scale.label(tick), ha="center")
    for tick in se_ticks:
        y = y_at(tick)
        axes.plot([scale.x - 3, scale.x], [y, y], color="black", lw=LINE)
        write(axes, scale.x - 5, y, f"{tick:g}", ha="right")
    name = analysis.measure.label + (" (log scale)" if analysis.measure.is_ratio else "")
    write(axes, scale.x + FUNNEL_WIDTH / 2, base + 24, name, ha="center")
    write(axes, MARGIN + 4, top + FUNNEL_HEIGHT / 2, "Standard error", ha="center", rotation=90)
