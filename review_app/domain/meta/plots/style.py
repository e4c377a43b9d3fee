"""The sizes, colours and text of the forest and funnel plots, in pt (1 data unit = 1 pt, y
downwards, on the canvas of ``domain/plotting.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from review_app.domain.plotting import measure
from review_app.domain.plotting import text as _text

if TYPE_CHECKING:
    from matplotlib.axes import Axes

SALT = "review-app-meta-analysis"  # the SVG hash salt of every forest and funnel plot
# An A4 page is 595 pt wide: a forest plot of dichotomous data is about that wide.
MARGIN = 10.0
TEXT = 8.0
TITLE = 10.0
LINE = 0.7
GAP = 8.0  # between columns


def write(
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


def column_width(texts: Sequence[str], bold: bool = False) -> float:
    return max((measure(text, TEXT, bold) for text in texts), default=0.0)
