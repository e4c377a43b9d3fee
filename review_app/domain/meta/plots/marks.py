"""What a forest plot draws on its axis: a study's square (area proportional to its weight) on
its CI line, with an arrowhead where the CI leaves the axis; the pooled diamond; the prediction
interval's bar with end caps (RevMan's marks)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from review_app.domain.meta.plots.axis import Scale
from review_app.domain.meta.plots.rows import Mark
from review_app.domain.meta.plots.style import LINE

if TYPE_CHECKING:
    from matplotlib.axes import Axes

SQUARE = 9.0  # side of the square of the study with the largest weight
MIN_SQUARE = 2.5  # ... and the smallest square drawn
DIAMOND = 8.0  # height of the pooled diamond


def draw_mark(axes: Axes, mark: Mark, scale: Scale, y: float, colour: str) -> None:
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
