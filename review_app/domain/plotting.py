"""Drawing and saving the app's figures: one canvas, one font and its measure, one save.

The PRISMA flow diagram (``domain/prisma/drawing.py``), the risk-of-bias plots
(``domain/appraisal/plots.py``) and the forest and funnel plots (``domain/meta/plots/``) are all
drawn here the same way: matplotlib's ``Figure`` on the Agg canvas directly (no pyplot, no backend
switch; matplotlib imported on first use, so nothing is built at import time and the command line
starts fast), in points (1 data unit = 1 pt, origin at the top left, y downwards), in DejaVu Sans
(it ships with matplotlib, so measuring and drawing use the same metrics).

Saving is deterministic: a fixed SVG hash salt per kind of plot (the ids of the SVG's elements
derive from it, so two plots of one kind saved from the same data are the same bytes), no dates in
SVG or PDF. SVG text stays text (editable, searchable); PDF embeds TrueType fonts (``pdf.fonttype``
42), as journals ask; PNG is 300 dpi unless told. Glyph hinting is off, so that text in a PNG is as
wide as it was measured, at any dpi. matplotlib's settings are process-wide, so they are applied
under one lock for the duration of a save (the web app renders from several threads).
"""

from __future__ import annotations

import io
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from review_app.errors import ValidationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

PlotFormat = Literal["svg", "png", "pdf"]
FORMATS: tuple[PlotFormat, ...] = ("svg", "png", "pdf")
FONT = "DejaVu Sans"
PNG_DPI = 300
_SAVE_LOCK = threading.Lock()  # one for every figure: rc_context changes global settings


def check_format(fmt: str) -> None:
    """A ValidationError unless ``fmt`` is one of :data:`FORMATS`."""
    if fmt not in FORMATS:
        raise ValidationError(f"A plot is saved as {', '.join(FORMATS)}, not {fmt!r}.")


def save_figure(figure: Figure, fmt: str, *, salt: str, dpi: int = PNG_DPI) -> bytes:
    """``figure`` as ``fmt`` bytes; ``salt`` names the kind of plot ("review-app-prisma") and
    fixes the SVG's element ids; ``dpi`` is for PNG only (vector formats are resolution-free)."""
    import matplotlib

    check_format(fmt)
    options: dict[str, dict[str, Any]] = {
        "svg": {"metadata": {"Date": None}},
        "pdf": {"metadata": {"CreationDate": None}},
        "png": {"dpi": dpi},
    }
    buffer = io.BytesIO()
    with (
        _SAVE_LOCK,
        matplotlib.rc_context(
            {
                "svg.hashsalt": salt,
                "svg.fonttype": "none",
                "pdf.fonttype": 42,
                "text.hinting": "no_hinting",  # glyphs as wide as measured, at any dpi
            }
        ),
    ):
        figure.savefig(buffer, format=fmt, **options[fmt])
    return buffer.getvalue()


def canvas(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure of ``width`` x ``height`` pt and its axes: 1 data unit = 1 pt, y downwards, no
    axis drawn."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width / 72, height / 72))
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)
    axes.set_axis_off()
    return figure, axes


@lru_cache(maxsize=64)
def font(size: float, bold: bool) -> FontProperties:
    """The figures' font at ``size`` pt."""
    from matplotlib.font_manager import FontProperties

    return FontProperties(family=FONT, size=size, weight="bold" if bold else "normal")


def text(
    axes: Axes,
    x: float,
    y: float,
    words: str,
    *,
    size: float,
    bold: bool = False,
    ha: str = "left",
    va: str = "center",
    rotation: float = 0,
) -> None:
    """``words`` in black at (x, y) in the figures' font, as written ("$" is a dollar sign, not
    mathtext, so that what was measured is what is drawn)."""
    axes.text(
        x,
        y,
        words,
        fontproperties=font(size, bold),
        ha=ha,
        va=va,
        rotation=rotation,
        parse_math=False,
        color="black",
    )


def measure(words: str, size: float, bold: bool) -> float:
    """Width in pt of ``words`` in the figures' font (no mathtext).

    Unhinted widths scale with the size, so each word is measured once, at 100 pt, and a line is
    its words plus the spaces between them (the same to 0.01 % as measuring the line: FreeType
    layout is the slow part, and wrapping measures many candidate lines).
    """
    parts = words.split(" ")
    return size * (sum(_em(part, bold) for part in parts) + (len(parts) - 1) * _em(" ", bold))


@lru_cache(maxsize=16384)
def _em(word: str, bold: bool) -> float:
    """Width of ``word`` at 1 pt."""
    from matplotlib.textpath import TextToPath

    width, _, _ = TextToPath().get_text_width_height_descent(word, font(100, bold), ismath=False)
    return float(width) / 100
