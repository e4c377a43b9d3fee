"""Draw the PRISMA 2020 flow diagram (Page et al. 2021, BMJ 372:n71, fig. 1) as SVG, PNG or PDF.

Every render first checks the counts (:func:`validate`), so a diagram that does not add up is an
error naming the box, never a picture. Drawing uses matplotlib's ``Figure`` with the Agg canvas
directly: no pyplot, no backend switch, nothing imported or built at import time (matplotlib is
imported on first use, so the counts and the CSV work without it). Output is deterministic: fixed
SVG hash salt, no creation dates. SVG text stays text (editable, searchable); PDF embeds TrueType
fonts (``pdf.fonttype`` 42), as journals ask. Glyph hinting is off so that text in a PNG at low
dpi is as wide as it was measured and stays inside its box.

matplotlib's settings are process-wide, so the few set here are applied under a lock for the
duration of one save (the web app renders from several threads).
"""

from __future__ import annotations

import io
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from review_app.domain.prisma.counts import PrismaCounts
from review_app.domain.prisma.geometry import Page
from review_app.domain.prisma.invariants import validate
from review_app.domain.prisma.layout import layout

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FONT = "DejaVu Sans"  # ships with matplotlib, so measuring and drawing use the same metrics
LINE_WIDTH = 0.8  # pt
_SAVE_LOCK = threading.Lock()


def render_svg(counts: PrismaCounts, *, title: str | None = None, crop: bool = False) -> bytes:
    """The diagram as a standalone SVG document (A4, or as tall as the diagram with ``crop``;
    text kept as text)."""
    return _save(counts, title, "svg", crop=crop, metadata={"Date": None})


def render_png(counts: PrismaCounts, *, dpi: int = 300, title: str | None = None) -> bytes:
    """The diagram as a PNG of A4 size at ``dpi`` (written in the file's pHYs chunk)."""
    return _save(counts, title, "png", dpi=dpi)


def render_pdf(counts: PrismaCounts, *, title: str | None = None) -> bytes:
    """The diagram as a one-page A4 PDF with embedded TrueType fonts."""
    return _save(counts, title, "pdf", metadata={"CreationDate": None})


@lru_cache(maxsize=8)
def _font(size: float, bold: bool) -> Any:
    from matplotlib.font_manager import FontProperties

    return FontProperties(family=FONT, size=size, weight="bold" if bold else "normal")


def measure(text: str, size: float, bold: bool) -> float:
    """Width in pt of ``text`` in the diagram's font (no mathtext: "$" is a dollar sign).

    Unhinted widths scale with the size, so each word is measured once, at 100 pt, and a line is
    its words plus the spaces between them (the same to 0.01 % as measuring the line: FreeType
    layout is the slow part, and wrapping measures many candidate lines).
    """
    words = text.split(" ")
    return size * (sum(_em(word, bold) for word in words) + (len(words) - 1) * _em(" ", bold))


@lru_cache(maxsize=16384)
def _em(word: str, bold: bool) -> float:
    """Width of ``word`` at 1 pt."""
    from matplotlib.textpath import TextToPath

    width, _, _ = TextToPath().get_text_width_height_descent(word, _font(100, bold), ismath=False)
    return float(width) / 100


def _save(
    counts: PrismaCounts, title: str | None, fmt: str, *, crop: bool = False, **options: Any
) -> bytes:
    import matplotlib

    figure = draw(layout(validate(counts), measure, title=title, crop=crop))
    buffer = io.BytesIO()
    with (
        _SAVE_LOCK,
        matplotlib.rc_context(
            {
                "svg.hashsalt": "review-app-prisma",
                "svg.fonttype": "none",
                "pdf.fonttype": 42,
                "text.hinting": "no_hinting",  # glyphs as wide as measured, at any dpi
            }
        ),
    ):
        figure.savefig(buffer, format=fmt, **options)
    return buffer.getvalue()


def draw(page: Page) -> Figure:
    """A matplotlib figure of ``page``, 1 data unit = 1 pt, y downwards."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    figure = Figure(figsize=(page.width / 72, page.height / 72))
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, page.width)
    axes.set_ylim(page.height, 0)
    axes.set_axis_off()
    for box in page.boxes:
        style = "round,pad=0,rounding_size=4" if box.rounded else "square,pad=0"
        axes.add_patch(
            FancyBboxPatch(
                (box.x, box.y),
                box.width,
                box.height,
                boxstyle=style,
                facecolor=box.fill,
                edgecolor="black",
                linewidth=LINE_WIDTH,
            )
        )
    for run in [text for box in page.boxes for text in box.texts] + list(page.texts):
        axes.text(
            run.x,
            run.y,
            run.text,
            fontproperties=_font(run.size, run.bold),
            ha=run.align,
            va=run.valign,
            rotation=run.rotation,
            parse_math=False,
            color="black",
        )
    for arrow in page.arrows:
        if len(arrow.points) > 2:  # the bends, drawn as a plain line up to the last segment
            xs, ys = zip(*arrow.points[:-1], strict=True)
            axes.plot(xs, ys, color="black", linewidth=LINE_WIDTH, solid_capstyle="projecting")
        start, end = arrow.points[-2], arrow.points[-1]
        axes.annotate(
            "",
            xy=end,
            xytext=start,
            arrowprops={
                "arrowstyle": "-|>",
                "color": "black",
                "linewidth": LINE_WIDTH,
                "mutation_scale": 8,
                "shrinkA": 0,
                "shrinkB": 0,
            },
        )
    return figure
