"""Risk-of-bias columns beside a forest plot, as RevMan Web draws them beside its forest plots.

One narrow column per domain of the tool (D1, D2, ...) and one for the overall judgement, at the
right of the plot; in each study's row the judgement's robvis light (coloured circle with its
symbol, McGuinness & Higgins, Res Synth Methods 2021;12:55-61), a blank cell where the study has no
judgement (or no assessment at all); under the plot a legend naming each domain and the
judgements' lights. The assessments come in as the table the robvis plots draw
(:class:`~review_app.domain.appraisal.plots.RobTable`: the tool's domains, its scale with colours
and symbols, one row per study), matched to the forest's studies by label; rows of studies not in
the plot are not drawn (an outcome's assessments may cover studies another analysis pools).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from review_app.domain.appraisal.plots import (
    OVERALL_NAME,
    OVERALL_SHORT,
    Judgement,
    RobTable,
    draw_light,
    validate_table,
)
from review_app.domain.meta.plots.style import GAP, TEXT, write
from review_app.domain.plotting import measure
from review_app.domain.prisma.geometry import wrap
from review_app.errors import ValidationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

HEADER = "Risk of bias"
LEGEND = "Risk of bias legend"
LIGHT = 0.38  # a light's radius as a share of the row's height
LEGEND_PITCH = TEXT * 1.4
KEY_LIGHT = 4.0  # radius of a light in the judgements' key


@dataclass(frozen=True, slots=True)
class RobColumns:
    """Where the columns go (pt) and what each study's cells hold (judgements per domain, then
    the overall one; None: blank)."""

    table: RobTable
    x: float  # left edge of the first column
    widths: tuple[float, ...]  # D1 ... Dn, Overall
    cells: dict[str, tuple[str | None, ...]]  # by study label

    @property
    def headers(self) -> tuple[str, ...]:
        return (*(domain.short for domain in self.table.domains), OVERALL_SHORT)

    @property
    def width(self) -> float:
        return sum(self.widths)

    def centre(self, column: int) -> float:
        return self.x + sum(self.widths[:column]) + self.widths[column] / 2


def rob_columns(table: RobTable | None, x: float, row: float) -> RobColumns | None:
    """The columns of ``table`` from x (None: no columns, as for a table without rows, which
    holds no assessment); each column as wide as its header, and at least a light's."""
    if table is None or not table.rows:
        return None
    validate_table(table)
    cells: dict[str, tuple[str | None, ...]] = {}
    for result in table.rows:
        if result.study in cells:
            raise ValidationError(
                f"Study {result.study!r} has two rows in the {table.tool} table; a forest plot "
                "shows one assessment per study."
            )
        cells[result.study] = (*result.judgements, result.overall)
    shorts = (*(domain.short for domain in table.domains), OVERALL_SHORT)
    widths = [max(row + 2, measure(short, TEXT, True) + 4) for short in shorts]
    short_by = measure(_header(table), TEXT, True) - sum(widths)  # a long tool name
    spread = max(0.0, short_by) / len(widths)
    return RobColumns(table, x, tuple(width + spread for width in widths), cells)


def _header(table: RobTable) -> str:
    return f"{HEADER} ({table.tool})"


def draw_rob_header(axes: Axes, columns: RobColumns, upper: float, lower: float) -> None:
    """ "Risk of bias (RoB 2)" over the columns, their short names under it."""
    middle = columns.x + columns.width / 2
    write(axes, middle, upper, _header(columns.table), bold=True, ha="center")
    for number, short in enumerate(columns.headers):
        write(axes, columns.centre(number), lower, short, bold=True, ha="center")


def draw_rob_cells(axes: Axes, columns: RobColumns, study: str, y: float, row: float) -> None:
    """The study's lights; nothing where it has no judgement."""
    styles = {judgement.label: judgement for judgement in columns.table.scale}
    for number, value in enumerate(columns.cells.get(study, ())):
        if value is not None:
            draw_light(axes, columns.centre(number), y, styles[value], row * LIGHT)


@dataclass(frozen=True, slots=True)
class _Legend:
    """The legend's parts: the judgements' key rows beside its title, then the domains' entries
    in ``columns`` columns (filled down first) of ``pitch`` pt, or one wrapped column."""

    key: list[list[tuple[Judgement, float]]]
    key_x: float  # where the key starts, after the title
    entries: list[str]
    columns: int
    pitch: float

    @property
    def lines(self) -> int:
        return len(self.key) + math.ceil(len(self.entries) / self.columns)


def _legend(columns: RobColumns, width: float) -> _Legend:
    key_x = measure(LEGEND, TEXT, True) + 2 * GAP
    key = key_rows(columns.table.scale, max(width - key_x, 1.0))
    named = [(d.short, d.name) for d in columns.table.domains] + [(OVERALL_SHORT, OVERALL_NAME)]
    entries = [f"{short}: {name}" for short, name in named]
    pitch = max(measure(entry, TEXT, False) for entry in entries) + 2 * GAP
    count = max(1, min(len(entries), int((width + 2 * GAP) // pitch)))
    if count == 1:  # a name wider than half the page: one column, wrapped and indented
        entries = [
            line if number == 0 else f"    {line}"
            for entry in entries
            for number, line in enumerate(wrap(entry, width, TEXT, False, measure))
        ]
    return _Legend(key, key_x, entries, count, pitch)


def key_rows(scale: Sequence[Judgement], width: float) -> list[list[tuple[Judgement, float]]]:
    """The judgements' key (light and label), packed into rows no wider than ``width``."""
    rows: list[list[tuple[Judgement, float]]] = [[]]
    used = 0.0
    for judgement in scale:
        entry = 2 * KEY_LIGHT + 3 + measure(judgement.label, TEXT, False) + 2 * GAP
        if rows[-1] and used + entry > width:
            rows.append([])
            used = 0.0
        rows[-1].append((judgement, entry))
        used += entry
    return rows


def legend_height(columns: RobColumns, width: float) -> float:
    """The height of the legend drawn ``width`` pt wide."""
    return _legend(columns, width).lines * LEGEND_PITCH


def draw_rob_legend(axes: Axes, columns: RobColumns, x: float, y: float, width: float) -> None:
    """The legend from (x, y) down: "Risk of bias legend" and the judgements' key beside it,
    then "D1: <the domain's name>" for every domain and "Overall: Overall risk of bias"."""
    legend = _legend(columns, width)
    write(axes, x, y + LEGEND_PITCH / 2, LEGEND, bold=True)
    for number, entries in enumerate(legend.key):
        centre = y + (number + 0.5) * LEGEND_PITCH
        left = x + legend.key_x
        for judgement, span in entries:
            draw_light(axes, left + KEY_LIGHT, centre, judgement, KEY_LIGHT)
            write(axes, left + 2 * KEY_LIGHT + 3, centre, judgement.label)
            left += span
    top = y + len(legend.key) * LEGEND_PITCH
    depth = math.ceil(len(legend.entries) / legend.columns)
    for number, entry in enumerate(legend.entries):
        column, line = divmod(number, depth)
        write(axes, x + column * legend.pitch, top + (line + 0.5) * LEGEND_PITCH, entry)
