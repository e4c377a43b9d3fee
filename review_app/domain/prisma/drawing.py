"""Draw the PRISMA 2020 flow diagram (Page et al. 2021, BMJ 372:n71, fig. 1) as SVG, PNG or PDF.

Every render first checks the counts (:func:`validate`), so a diagram that does not add up is an
error naming the box, never a picture. The canvas, the font, its measure and the deterministic save
(fixed SVG hash salt, no creation dates, text kept as text in SVG, TrueType fonts in PDF, one lock
around matplotlib's settings) are every figure's, from ``domain/plotting.py``; matplotlib is
imported on first use, so the counts and the CSV work without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from review_app.domain.plotting import PNG_DPI, canvas, measure, save_figure, text
from review_app.domain.prisma.counts import PrismaCounts
from review_app.domain.prisma.geometry import Page
from review_app.domain.prisma.invariants import validate
from review_app.domain.prisma.layout import layout

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# ``measure`` is re-exported: the layout is measured with it, and callers size text by it.
__all__ = ["draw", "measure", "render_pdf", "render_png", "render_svg"]

LINE_WIDTH = 0.8  # pt
SALT = "review-app-prisma"


def render_svg(counts: PrismaCounts, *, title: str | None = None, crop: bool = False) -> bytes:
    """The diagram as a standalone SVG document (A4, or as tall as the diagram with ``crop``;
    text kept as text)."""
    return _save(counts, title, "svg", crop=crop)


def render_png(counts: PrismaCounts, *, dpi: int = PNG_DPI, title: str | None = None) -> bytes:
    """The diagram as a PNG of A4 size at ``dpi`` (written in the file's pHYs chunk)."""
    return _save(counts, title, "png", dpi=dpi)


def render_pdf(counts: PrismaCounts, *, title: str | None = None) -> bytes:
    """The diagram as a one-page A4 PDF with embedded TrueType fonts."""
    return _save(counts, title, "pdf")


def _save(
    counts: PrismaCounts, title: str | None, fmt: str, *, crop: bool = False, dpi: int = PNG_DPI
) -> bytes:
    figure = draw(layout(validate(counts), measure, title=title, crop=crop))
    return save_figure(figure, fmt, salt=SALT, dpi=dpi)


def draw(page: Page) -> Figure:
    """A matplotlib figure of ``page``, 1 data unit = 1 pt, y downwards."""
    from matplotlib.patches import FancyBboxPatch

    figure, axes = canvas(page.width, page.height)
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
    for run in [*(line for box in page.boxes for line in box.texts), *page.texts]:
        text(
            axes,
            run.x,
            run.y,
            run.text,
            size=run.size,
            bold=run.bold,
            ha=run.align,
            va=run.valign,
            rotation=run.rotation,
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
