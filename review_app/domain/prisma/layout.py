"""Where each box, line of text and arrow of the PRISMA 2020 flow diagram goes (pure geometry).

The arrangement follows the template (Page et al. 2021, BMJ 372:n71, fig. 1, new reviews): a
column for databases and registers and one for other methods, each with its main boxes and, to
their right, the boxes of what left the flow; phase labels down the left; both columns end in the
shared "Studies included in review" box. While screening goes on, the boxes of records and
reports still awaiting a decision hang to the side like the exclusion boxes (stacked under them in
the databases column) and a bold "Provisional" note heads the page.

The page is A4 and the text as large as fits it (body 10 pt down to 7 pt), landscape first when
there is an other-methods column (four boxes across), else portrait. Boxes grow with long labels,
many databases and long reason lists; when even portrait at 7 pt is too short the page grows
downwards: text is never shrunk below 7 pt to fit.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from review_app.domain.prisma import wording
from review_app.domain.prisma.counts import PrismaCounts
from review_app.domain.prisma.geometry import (
    ASCENT,
    LEADING,
    PAD,
    Arrow,
    Box,
    Measure,
    Page,
    TextRun,
    block,
    wrap,
)
from review_app.domain.prisma.wording import BoxLines, Line

A4 = (595.28, 841.89)  # portrait width, height in pt
MIN_FONT_SIZE = 7.0
BODY_SIZES = (10.0, 9.5, 9.0, 8.5, 8.0, 7.5, MIN_FONT_SIZE)  # the largest that fits A4 is used
MARGIN, PHASE_WIDTH, PHASE_GAP, PAIR_GAP, COLUMN_GAP, ROW_GAP = 24.0, 18, 8, 14, 22, 18
STACK_GAP = ROW_GAP / 2  # between a side box and the "awaiting" box stacked under it
MAX_BOX_WIDTH = 220.0
WHITE, GREY, GOLD, BLUE = "#ffffff", "#dcdcdc", "#ffc125", "#bcd2ee"  # the R package's colours
PHASE_ROWS = ((0, 0), (1, 3), (4, 4))  # Identification, Screening, Included: first and last row

Row = dict[int, tuple[BoxLines, str]]  # box column -> (lines, fill)


@dataclass(frozen=True, slots=True)
class Fonts:
    """Font sizes in pt for a body size: headings a little larger, notes smaller, none below 7."""

    body: float

    @property
    def heading(self) -> float:
        return self.body + 0.5

    @property
    def title(self) -> float:
        return self.body + 3

    @property
    def note(self) -> float:
        return max(MIN_FONT_SIZE, self.body - 1)


@dataclass(frozen=True, slots=True)
class _Grid:
    """Left edge of the phase labels, x of each box column (0, 1: databases and registers;
    2, 3: other methods) and the width of a box."""

    phase_x: float
    xs: tuple[float, ...]
    width: float

    @property
    def right(self) -> float:
        return self.xs[-1] + self.width


def layout(
    counts: PrismaCounts, measure: Measure, *, title: str | None = None, crop: bool = False
) -> Page:
    """Place every box, arrow and note of the diagram for ``counts`` (assumed valid).

    Uses the largest body size that fits A4, trying landscape first when there are four columns.
    The page is A4, or with ``crop`` (for a screen) only as tall as its content.
    """
    pages = [(A4[1], A4[0])] if counts.other_methods is not None else []
    pages.append(A4)
    for size in BODY_SIZES:
        for width, height in pages:
            page = _compose(counts, measure, title, width, Fonts(size))
            if page.height <= height:
                return page if crop else Page(width, height, page.boxes, page.arrows, page.texts)
    return page  # portrait at 7 pt and still too tall: the page grows downwards


def _compose(
    counts: PrismaCounts, measure: Measure, title: str | None, width: float, fonts: Fonts
) -> Page:
    """The diagram on a page ``width`` pt wide; the height returned is what the content needs."""
    grid = _grid(counts.other_methods is not None, width)
    boxes: list[Box] = []
    texts: list[TextRun] = []
    y = MARGIN
    if title:
        for line in wrap(title, grid.right - grid.phase_x, fonts.title, True, measure):
            x = (grid.phase_x + grid.right) / 2
            texts.append(TextRun(x, y + ASCENT * fonts.title, line, fonts.title, True, "center"))
            y += LEADING * fonts.title
        y += PAD
    note = wording.provisional_note(counts)
    if note:
        for line in wrap(note, grid.right - grid.phase_x, fonts.body, True, measure):
            texts.append(TextRun(grid.phase_x, y + ASCENT * fonts.body, line, fonts.body, True))
            y += LEADING * fonts.body
        y += PAD
    y = _place_headers(counts, grid, measure, fonts.heading, y, boxes) + ROW_GAP * 0.75
    placed: list[dict[int, Box]] = []
    stacked: list[tuple[Box, Box]] = []  # (box it hangs from, "awaiting" box) for the arrows
    spans: list[tuple[float, float]] = []
    rows = _rows(counts)
    below = _below(counts)
    for number, row in enumerate(rows):
        blocks = {
            col: block(lines, grid.width, measure, fonts.body) for col, (lines, _) in row.items()
        }
        extra = {
            col: block(lines, grid.width, measure, fonts.body)
            for col, (lines, _) in below.get(number, {}).items()
        }
        stacks = {col: blocks[col].height + STACK_GAP + b.height for col, b in extra.items()}
        height = max([b.height for b in blocks.values()] + list(stacks.values()))
        if number in (0, len(rows) - 1):  # the phase label beside a single row must fit
            phase = wording.PHASES[0 if number == 0 else 2]
            height = max(height, measure(phase, fonts.heading, True) + 2 * PAD)
        middle = y + height / 2
        tops = {col: middle - stacks.get(col, b.height) / 2 for col, b in blocks.items()}
        for col in stacks:  # the box a stack hangs from faces the stack's first box
            level = tops[col] + blocks[col].height / 2 - blocks[col - 1].height / 2
            tops[col - 1] = min(max(level, y), y + height - blocks[col - 1].height)
        placed.append(
            {
                col: b.place(grid.xs[col], tops[col], grid.width, b.height, row[col][1])
                for col, b in blocks.items()
            }
        )
        boxes.extend(placed[-1].values())
        for col, b in extra.items():
            top = tops[col] + blocks[col].height + STACK_GAP
            box = b.place(grid.xs[col], top, grid.width, b.height, below[number][col][1])
            stacked.append((placed[-1][col - 1], box))
            boxes.append(box)
        spans.append((y, y + height))
        y += height + ROW_GAP
    for phase, (first, last) in zip(wording.PHASES, PHASE_ROWS, strict=True):
        top, bottom = spans[first][0], spans[last][1]
        x = grid.phase_x + PHASE_WIDTH / 2
        label = TextRun(x, (top + bottom) / 2, phase, fonts.heading, True, "center", "center", 90)
        boxes.append(Box(grid.phase_x, top, PHASE_WIDTH, bottom - top, BLUE, (label,), True))
    y += fonts.note - ROW_GAP
    for note in wording.FOOTNOTES:
        for line in wrap(note, grid.right - grid.phase_x, fonts.note, False, measure):
            texts.append(TextRun(grid.phase_x, y + ASCENT * fonts.note, line, fonts.note))
            y += LEADING * fonts.note
        y += fonts.note * 0.4
    arrows = _arrows(placed) + [_across(main, box) for main, box in stacked]
    return Page(width, y + MARGIN, tuple(boxes), tuple(arrows), tuple(texts))


def _grid(has_other: bool, page_width: float) -> _Grid:
    columns = 4 if has_other else 2
    gaps = 2 * PAIR_GAP + COLUMN_GAP if has_other else PAIR_GAP
    room = page_width - 2 * MARGIN - PHASE_WIDTH - PHASE_GAP - gaps
    width = min(room / columns, MAX_BOX_WIDTH)
    phase_x = (page_width - (PHASE_WIDTH + PHASE_GAP + columns * width + gaps)) / 2
    x = phase_x + PHASE_WIDTH + PHASE_GAP
    xs = [x, x + width + PAIR_GAP]
    if has_other:
        xs += [xs[1] + width + COLUMN_GAP, xs[1] + 2 * width + COLUMN_GAP + PAIR_GAP]
    return _Grid(phase_x, tuple(xs), width)


def _place_headers(
    counts: PrismaCounts, grid: _Grid, measure: Measure, size: float, y: float, boxes: list[Box]
) -> float:
    headers = [(0, wording.DATABASES_HEADER, GOLD)]
    if counts.other_methods is not None:
        headers.append((2, wording.OTHER_HEADER, GREY))
    span = 2 * grid.width + PAIR_GAP
    blocks = [
        (col, block((Line(text),), span, measure, size, bold=True, align="center"), fill)
        for col, text, fill in headers
    ]
    height = max(b.height for _, b, _ in blocks)
    for col, b, fill in blocks:
        boxes.append(b.place(grid.xs[col], y, span, height, fill, rounded=True))
    return y + height


def _rows(counts: PrismaCounts) -> list[Row]:
    db = wording.database_column(counts)
    assert db.removed and db.screened and db.records_excluded  # the databases column has them all
    rows: list[Row] = [
        {0: (db.identified, WHITE), 1: (db.removed, WHITE)},
        {0: (db.screened, WHITE), 1: (db.records_excluded, WHITE)},
        {0: (db.sought, WHITE), 1: (db.not_retrieved, WHITE)},
        {0: (db.assessed, WHITE), 1: (db.reports_excluded, WHITE)},
        {0: (wording.included(counts), WHITE)},
    ]
    if counts.other_methods is not None:
        other = wording.other_column(counts.other_methods)
        rows[0][2] = (other.identified, GREY)
        if other.awaiting_screening:  # the right column has no screening row: beside identified
            rows[0][3] = (other.awaiting_screening, GREY)
        rows[2].update({2: (other.sought, GREY), 3: (other.not_retrieved, GREY)})
        rows[3].update({2: (other.assessed, GREY), 3: (other.reports_excluded, GREY)})
    return rows


def _below(counts: PrismaCounts) -> dict[int, Row]:
    """Row -> box column -> the "awaiting" box stacked under that column's side box."""
    db = wording.database_column(counts)
    stacks: dict[int, Row] = {}
    if db.awaiting_screening:
        stacks.setdefault(1, {})[1] = (db.awaiting_screening, WHITE)
    if db.awaiting_assessment:
        stacks.setdefault(3, {})[1] = (db.awaiting_assessment, WHITE)
    if counts.other_methods is not None:
        other = wording.other_column(counts.other_methods)
        if other.awaiting_assessment:
            stacks.setdefault(3, {})[3] = (other.awaiting_assessment, GREY)
    return stacks


def _down(upper: Box, lower: Box) -> Arrow:
    x = upper.center[0]
    return Arrow(((x, upper.bottom), (x, lower.y)))


def _across(main: Box, side: Box) -> Arrow:
    """Straight across to the side box's middle when that is level with ``main``; else out of
    ``main`` at the nearest level and bent in the gap between them."""
    y = side.center[1]
    start = min(max(y, main.y + PAD), main.bottom - PAD)
    if start == y:
        return Arrow(((main.right, y), (side.x, y)))
    x = (main.right + side.x) / 2
    return Arrow(((main.right, start), (x, start), (x, y), (side.x, y)))


def _arrows(rows: Sequence[dict[int, Box]]) -> list[Arrow]:
    arrows = [_down(upper[0], lower[0]) for upper, lower in itertools.pairwise(rows)]
    arrows += [_across(row[col], row[col + 1]) for row in rows for col in (0, 2) if col + 1 in row]
    if 2 in rows[0]:  # other methods: identified -> sought -> assessed -> included
        arrows += [_down(rows[0][2], rows[2][2]), _down(rows[2][2], rows[3][2])]
        assessed, included = rows[3][2], rows[4][0]
        x, y = assessed.center[0], included.center[1]
        arrows.append(Arrow(((x, assessed.bottom), (x, y), (included.right, y))))
    return arrows
