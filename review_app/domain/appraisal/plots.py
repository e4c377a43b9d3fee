"""Risk-of-bias plots in the robvis conventions, as SVG, PNG (300 dpi) or PDF bytes.

McGuinness LA, Higgins JPT. Risk-of-bias VISualization (robvis): an R package and Shiny web app
for visualizing risk-of-bias assessments. Res Synth Methods 2021;12:55-61, doi:10.1002/jrsm.1411
(https://github.com/mcguinlu/robvis). Two figures, drawn here from plain data:

- the traffic-light plot (robvis ``rob_traffic_light``): one row per study, one column per domain
  and an "Overall" column on a grey background; each judgement a coloured circle with a black
  outline and its symbol ("+" Low, "-" Some concerns, "X" High, "?" No information in the
  Cochrane colours); the domains spelt out under the grid, the judgement legend beside them;
- the summary bar plot (robvis ``rob_summary``): per domain, and "Overall risk of bias" in bold at
  the bottom, a horizontal bar stacked to 100 % with the share of studies at each judgement. robvis
  weights the shares by the studies' weights by default ("in line with current Cochrane
  Collaboration guidance", its documentation of ``weighted``); so do we when the table has weights.

A cell left without a judgement stays blank in the traffic-light plot and is a grey "Not assessed"
segment in the summary (robvis draws R's missing values in grey too), so a bar never hides that a
study was not assessed.

The tool (domains, judgement scale, colours, symbols) comes in with the table, as data: this module
knows no tool. The canvas (1 pt units, y downwards), the font and its measure and the deterministic
save are every figure's (``domain/plotting.py``); the word wrapping is the PRISMA diagram's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from review_app.domain.plotting import FORMATS as FORMATS  # the pages' words for the formats
from review_app.domain.plotting import (
    PlotFormat,
    canvas,
    check_format,
    measure,
    save_figure,
    text,
)
from review_app.domain.prisma.geometry import wrap
from review_app.errors import ValidationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SALT = "review-app-risk-of-bias"  # the SVG hash salt of every risk-of-bias plot
OVERALL_SHORT = "Overall"  # the traffic-light plot's last column (robvis)
OVERALL_NAME = "Overall risk of bias"  # the summary plot's last bar (robvis)
NOT_ASSESSED = "Not assessed"
NOT_ASSESSED_COLOUR = "#CCCCCC"  # robvis's colour for a cell without a judgement ("na_colour")
STRIP_COLOUR = "#A9A9A9"  # robvis: strip.background
OVERALL_BACKGROUND = "#D3D3D3"  # robvis: the Overall column's panel
GRID_COLOUR = "#BEBEBE"  # robvis: panel.border "grey"
_HEX = re.compile(r"#[0-9A-Fa-f]{6}")

# Sizes in pt.
MARGIN = 10.0
CELL = 26.0  # one traffic light's square; robvis: psize 10 (mm) on a 0.4 in pitch
CIRCLE = 0.40  # radius as a share of CELL
TEXT = 9.0
SMALL = 8.0
TITLE = 11.0
STRIP = 16.0  # height of a header strip
MAX_LABEL = 220.0  # a study label wider than this wraps (the row grows)
BAR_AREA = 300.0  # the summary's 0-100 % axis
BAR_PITCH = 22.0
BAR_HEIGHT = 0.7 * BAR_PITCH  # robvis: geom_bar(width = 0.7)
MAX_DOMAIN_NAME = 240.0


@dataclass(frozen=True, slots=True)
class Judgement:
    """One step of a tool's judgement scale: its label (as stored), fill colour, symbol."""

    label: str
    colour: str  # "#RRGGBB"
    symbol: str


@dataclass(frozen=True, slots=True)
class RobDomain:
    """A column: its short label in the grid ("D1") and its name for the legend and the bars."""

    short: str
    name: str


@dataclass(frozen=True, slots=True)
class RobRow:
    """One study's result: a judgement per domain (in the table's domain order; None = none yet),
    the overall judgement, and optionally its weight in the analysis (any positive scale)."""

    study: str
    judgements: tuple[str | None, ...]
    overall: str | None
    weight: float | None = None


@dataclass(frozen=True, slots=True)
class RobTable:
    """What both plots draw: the tool's name, its domains and judgement scale (least to most risk,
    then any "No information"; the summary stacks the bars in this order from the left, as robvis
    does), and one row per study."""

    tool: str
    domains: tuple[RobDomain, ...]
    scale: tuple[Judgement, ...]
    rows: tuple[RobRow, ...]

    @property
    def is_weighted(self) -> bool:
        return any(row.weight is not None for row in self.rows)


@dataclass(frozen=True, slots=True)
class SummaryBar:
    """One bar of the summary plot: the share at each judgement (aligned with the table's scale)
    and the share without a judgement; they add up to 1."""

    name: str
    shares: tuple[float, ...]
    not_assessed: float
    is_overall: bool = False


# Checks -------------------------------------------------------------------------------------------


def validate_table(table: RobTable) -> RobTable:
    """``table`` if both plots can draw it; otherwise a ValidationError naming what is wrong."""
    _check_tool(table)
    for row in table.rows:
        _check_row(table, row)
    return table


def _check_tool(table: RobTable) -> None:
    if not table.rows:
        raise ValidationError(
            f"There is nothing to plot: the {table.tool} table has no studies. "
            "Assess at least one study's result first."
        )
    if not table.domains:
        raise ValidationError(f"The {table.tool} table has no domains to plot.")
    if not table.scale:
        raise ValidationError(f"The {table.tool} table has no judgement scale.")
    labels = [judgement.label for judgement in table.scale]
    if len(set(labels)) != len(labels):
        raise ValidationError(f"The {table.tool} judgement scale repeats a label: {labels}.")
    for judgement in table.scale:
        if not _HEX.fullmatch(judgement.colour):
            raise ValidationError(
                f"The {table.tool} judgement {judgement.label!r} has colour "
                f"{judgement.colour!r}; a colour is written #RRGGBB."
            )
    if table.is_weighted and any(row.weight is None for row in table.rows):
        missing = [row.study for row in table.rows if row.weight is None]
        raise ValidationError(
            f"Some studies have a weight and these have none: {', '.join(missing)}. "
            "Give every study a weight, or none."
        )


def _check_row(table: RobTable, row: RobRow) -> None:
    if len(row.judgements) != len(table.domains):
        raise ValidationError(
            f"Study {row.study!r} has {len(row.judgements)} domain judgements; "
            f"{table.tool} has {len(table.domains)} domains."
        )
    allowed = [judgement.label for judgement in table.scale]
    cells = [*zip(table.domains, row.judgements, strict=True), (None, row.overall)]
    for domain, value in cells:
        if value is not None and value not in allowed:
            where = domain.short if domain else OVERALL_SHORT
            raise ValidationError(
                f"Study {row.study!r}, {where}: {value!r} is not a {table.tool} judgement; "
                f"allowed: {', '.join(allowed)} (or none)."
            )
    if row.weight is not None and not (math.isfinite(row.weight) and row.weight >= 0):
        raise ValidationError(
            f"Study {row.study!r} has weight {row.weight}; a weight is a number of 0 or more."
        )


# Shares -------------------------------------------------------------------------------------------


def summary_bars(table: RobTable, *, overall: bool = True) -> tuple[SummaryBar, ...]:
    """The summary plot's bars, top to bottom: each domain, then (with ``overall``) the overall
    judgement. A study counts with its weight when the table has weights, else with 1 (robvis
    ``rob_summary(weighted = TRUE)``: ``geom_bar(aes(weight = Weights), position = "fill")``)."""
    validate_table(table)
    weights = [row.weight if row.weight is not None else 1.0 for row in table.rows]
    total = sum(weights)
    if total <= 0:
        raise ValidationError(
            f"Every study in the {table.tool} table has weight 0, so no share can be computed."
        )
    columns = [
        (domain.name, [row.judgements[index] for row in table.rows], False)
        for index, domain in enumerate(table.domains)
    ]
    if overall:
        columns.append((OVERALL_NAME, [row.overall for row in table.rows], True))
    return tuple(
        _bar(name, values, weights, total, table.scale, is_overall)
        for name, values, is_overall in columns
    )


def _bar(
    name: str,
    values: Sequence[str | None],
    weights: Sequence[float],
    total: float,
    scale: Sequence[Judgement],
    is_overall: bool,
) -> SummaryBar:
    def share(label: str | None) -> float:
        return sum(w for v, w in zip(values, weights, strict=True) if v == label) / total

    return SummaryBar(
        name=name,
        shares=tuple(share(judgement.label) for judgement in scale),
        not_assessed=share(None),
        is_overall=is_overall,
    )


# Rendering ----------------------------------------------------------------------------------------


def render_traffic_light(
    table: RobTable, fmt: PlotFormat, *, title: str | None = None, overall: bool = True
) -> bytes:
    """The traffic-light plot of ``table`` as ``fmt`` bytes (PNG at 300 dpi)."""
    check_format(fmt)
    return save_figure(traffic_light_figure(table, title=title, overall=overall), fmt, salt=SALT)


def render_summary(
    table: RobTable, fmt: PlotFormat, *, title: str | None = None, overall: bool = True
) -> bytes:
    """The (weighted) summary bar plot of ``table`` as ``fmt`` bytes (PNG at 300 dpi)."""
    check_format(fmt)
    return save_figure(summary_figure(table, title=title, overall=overall), fmt, salt=SALT)


def _text(
    axes: Axes,
    x: float,
    y: float,
    words: str,
    *,
    size: float = TEXT,
    bold: bool = False,
    ha: str = "left",
    rotation: float = 0,
) -> None:
    """Text centred vertically on y, in the grid's size unless told."""
    text(axes, x, y, words, size=size, bold=bold, ha=ha, rotation=rotation)


def _rect(axes: Axes, x: float, y: float, w: float, h: float, fill: str, edge: str) -> None:
    from matplotlib.patches import Rectangle

    axes.add_patch(Rectangle((x, y), w, h, facecolor=fill, edgecolor=edge, linewidth=0.6))


def draw_light(axes: Axes, x: float, y: float, judgement: Judgement, radius: float) -> None:
    """A traffic light centred on (x, y): filled circle, black outline, symbol in bold (also the
    forest plot's risk-of-bias columns, ``domain/meta/plots/rob_columns.py``)."""
    from matplotlib.patches import Circle

    axes.add_patch(
        Circle((x, y), radius, facecolor=judgement.colour, edgecolor="black", linewidth=0.6)
    )
    _text(axes, x, y, judgement.symbol, size=radius * 1.15, bold=True, ha="center")


def _lines(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    return wrap(text, width, size, bold, measure)


# The traffic-light plot ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Grid:
    """Where the traffic-light plot's parts go (pt): measured from the table's texts."""

    shorts: tuple[str, ...]  # column headers: D1, D2, ..., Overall
    labels: tuple[tuple[str, ...], ...]  # each study's label, wrapped
    heights: tuple[float, ...]  # each study's row
    caption: tuple[str, ...]  # "Domains:", "D1: ...", ...
    column: float
    label_width: float
    legend_width: float
    width: float
    top: float  # below the title

    @property
    def grid_x(self) -> float:
        return MARGIN + self.label_width

    @property
    def grid_y(self) -> float:
        return self.top + 2 * STRIP

    @property
    def below(self) -> float:
        return self.grid_y + sum(self.heights) + 12

    def height(self, scale_size: int) -> float:
        lines = max(len(self.caption), scale_size + 1)
        return self.below + lines * SMALL * 1.5 + MARGIN


def _grid(table: RobTable, title: str | None, overall: bool) -> _Grid:
    shorts = tuple(domain.short for domain in table.domains) + ((OVERALL_SHORT,) if overall else ())
    labels = tuple(tuple(_lines(row.study, MAX_LABEL, TEXT)) for row in table.rows)
    caption = ("Domains:", *(f"{domain.short}: {domain.name}." for domain in table.domains))
    legend = [judgement.label for judgement in table.scale] + ["Judgement"]
    column = max(CELL, *(measure(short, TEXT, False) + 6 for short in shorts))
    label_width = max(measure(line, TEXT, False) for lines in labels for line in lines) + 8
    legend_width = 14 + max(measure(label, SMALL, True) for label in legend)
    caption_width = max(measure(line, SMALL, False) for line in caption)
    return _Grid(
        shorts=shorts,
        labels=labels,
        heights=tuple(max(CELL, len(lines) * TEXT * 1.25 + 6) for lines in labels),
        caption=caption,
        column=column,
        label_width=label_width,
        legend_width=legend_width,
        width=MARGIN
        + max(label_width + column * len(shorts), caption_width + 24 + legend_width)
        + MARGIN,
        top=MARGIN + (TITLE * 1.8 if title else 0),
    )


def traffic_light_figure(
    table: RobTable, *, title: str | None = None, overall: bool = True
) -> Figure:
    """robvis's traffic-light plot: studies down, domains (and Overall) across, legends below."""
    validate_table(table)
    grid = _grid(table, title, overall)
    figure, axes = canvas(grid.width, grid.height(len(table.scale)))
    if title:
        _text(axes, MARGIN, MARGIN + TITLE * 0.7, title, size=TITLE, bold=True)
    _traffic_header(axes, grid)
    styles = {judgement.label: judgement for judgement in table.scale}
    y = grid.grid_y
    for row, lines, height in zip(table.rows, grid.labels, grid.heights, strict=True):
        _study_label(axes, lines, y, height, grid.label_width)
        values = [*row.judgements, row.overall][: len(grid.shorts)]
        for index, value in enumerate(values):
            x = grid.grid_x + index * grid.column
            is_overall = overall and index == len(grid.shorts) - 1
            fill = OVERALL_BACKGROUND if is_overall else "white"
            _rect(axes, x, y, grid.column, height, fill, GRID_COLOUR)
            if value is not None:
                centre = (x + grid.column / 2, y + height / 2)
                draw_light(axes, *centre, styles[value], CELL * CIRCLE)
        y += height
    _traffic_legends(axes, table, grid)
    return figure


def _traffic_header(axes: Axes, grid: _Grid) -> None:
    """ "Risk of bias domains" over the columns, then grey strips: "Study" over the labels, one
    per column (robvis's facet strips; robvis writes "Study" down the side, which a single study's
    row is too short to hold)."""
    width = grid.column * len(grid.shorts)
    y = grid.top + 1.5 * STRIP
    _text(axes, grid.grid_x + width / 2, grid.top + STRIP / 2, "Risk of bias domains", ha="center")
    _rect(axes, MARGIN, grid.top + STRIP, grid.label_width, STRIP, STRIP_COLOUR, GRID_COLOUR)
    _text(axes, MARGIN + 4, y, "Study")
    for index, short in enumerate(grid.shorts):
        x = grid.grid_x + index * grid.column
        _rect(axes, x, grid.top + STRIP, grid.column, STRIP, STRIP_COLOUR, GRID_COLOUR)
        _text(axes, x + grid.column / 2, y, short, ha="center")


def _study_label(axes: Axes, lines: Sequence[str], y: float, height: float, width: float) -> None:
    _rect(axes, MARGIN, y, width, height, STRIP_COLOUR, GRID_COLOUR)
    first = y + height / 2 - (len(lines) - 1) * TEXT * 1.25 / 2
    for number, line in enumerate(lines):
        _text(axes, MARGIN + 4, first + number * TEXT * 1.25, line)


def _traffic_legends(axes: Axes, table: RobTable, grid: _Grid) -> None:
    """The domains spelt out at the left, the judgements with their lights at the right."""
    pitch = SMALL * 1.5
    for number, line in enumerate(grid.caption):
        _text(axes, MARGIN, grid.below + (number + 0.5) * pitch, line, size=SMALL, bold=number == 0)
    x = grid.width - MARGIN - grid.legend_width
    _text(axes, x, grid.below + 0.5 * pitch, "Judgement", size=SMALL, bold=True)
    for number, judgement in enumerate(table.scale, start=1):
        centre = grid.below + (number + 0.5) * pitch
        draw_light(axes, x + 5, centre, judgement, 5.0)
        _text(axes, x + 14, centre, judgement.label, size=SMALL)


# The summary plot ---------------------------------------------------------------------------------


def summary_figure(table: RobTable, *, title: str | None = None, overall: bool = True) -> Figure:
    """robvis's summary plot: a 100 % stacked bar per domain, Overall last and in bold, the
    percentage axis below and the judgement legend in a box under it."""
    bars = summary_bars(table, overall=overall)
    names = [_lines(bar.name, MAX_DOMAIN_NAME, TEXT, bar.is_overall) for bar in bars]
    name_width = max(
        measure(line, TEXT, bar.is_overall)
        for bar, lines in zip(bars, names, strict=True)
        for line in lines
    )
    pitches = [max(BAR_PITCH, len(lines) * TEXT * 1.25 + 6) for lines in names]
    entries = [(j.label, j.colour) for j in table.scale]
    if any(bar.not_assessed for bar in bars):
        entries.append((NOT_ASSESSED, NOT_ASSESSED_COLOUR))
    bar_x = MARGIN + name_width + 8
    width = bar_x + BAR_AREA + MARGIN + 8
    legend_rows = _legend_rows(entries, width - 2 * MARGIN)
    top = MARGIN + (TITLE * 1.8 if title else 0)
    if table.is_weighted:
        top += SMALL * 1.6
    axis_y = top + sum(pitches)
    legend_y = axis_y + 30
    height = legend_y + len(legend_rows) * 16 + 8 + MARGIN
    figure, axes = canvas(width, height)
    if title:
        _text(axes, MARGIN, MARGIN + TITLE * 0.7, title, size=TITLE, bold=True)
    if table.is_weighted:
        note = "Shares weighted by each study's weight in the analysis"
        _text(axes, MARGIN, top - SMALL * 0.9, note, size=SMALL)
    y = top
    for bar, lines, pitch in zip(bars, names, pitches, strict=True):
        first = y + pitch / 2 - (len(lines) - 1) * TEXT * 1.25 / 2
        for number, line in enumerate(lines):
            _text(
                axes, bar_x - 6, first + number * TEXT * 1.25, line, bold=bar.is_overall, ha="right"
            )
        _stacked_bar(axes, bar, table.scale, bar_x, y + (pitch - BAR_HEIGHT) / 2)
        y += pitch
    _percent_axis(axes, bar_x, axis_y)
    _summary_legend(axes, legend_rows, legend_y, width)
    return figure


def _stacked_bar(
    axes: Axes, bar: SummaryBar, scale: Sequence[Judgement], x: float, y: float
) -> None:
    segments = [
        *zip(bar.shares, (j.colour for j in scale), strict=True),
        (bar.not_assessed, NOT_ASSESSED_COLOUR),
    ]
    for share, colour in segments:
        if share > 0:
            _rect(axes, x, y, share * BAR_AREA, BAR_HEIGHT, colour, "black")
            x += share * BAR_AREA


def _percent_axis(axes: Axes, x: float, y: float) -> None:
    """The x axis of robvis's summary: a black line with ticks at 0, 25, 50, 75 and 100 %."""
    axes.plot([x, x + BAR_AREA], [y, y], color="black", linewidth=0.8)
    for percent in (0, 25, 50, 75, 100):
        tick = x + BAR_AREA * percent / 100
        axes.plot([tick, tick], [y, y + 3], color="black", linewidth=0.8)
        _text(axes, tick, y + 10, f"{percent}%", size=SMALL, ha="center")


def _legend_rows(
    entries: Sequence[tuple[str, str]], width: float
) -> list[list[tuple[str, str, float]]]:
    """Legend entries (label, colour, width) packed into rows no wider than ``width``."""
    rows: list[list[tuple[str, str, float]]] = [[]]
    used = 8.0
    for label, colour in entries:
        entry = 12 + 4 + measure(label, SMALL, False) + 12
        if rows[-1] and used + entry > width:
            rows.append([])
            used = 8.0
        rows[-1].append((label, colour, entry))
        used += entry
    return rows


def _summary_legend(
    axes: Axes, rows: Sequence[Sequence[tuple[str, str, float]]], y: float, width: float
) -> None:
    """The judgements in a black-framed box, centred under the bars (robvis: legend at bottom)."""
    box_width = max(8 + sum(entry for _, _, entry in row) - 4 for row in rows)
    box_x = (width - box_width) / 2
    _rect(axes, box_x, y, box_width, len(rows) * 16 + 8, "white", "black")
    for number, row in enumerate(rows):
        centre = y + 4 + (number + 0.5) * 16
        x = box_x + 8
        for label, colour, entry in row:
            _rect(axes, x, centre - 6, 12, 12, colour, "black")
            _text(axes, x + 16, centre, label, size=SMALL)
            x += entry
