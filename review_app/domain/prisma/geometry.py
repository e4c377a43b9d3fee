"""Boxes, text runs and arrows on a page, and word wrapping by measured width (pure geometry).

Units are typographic points (1/72 inch), origin at the top left, y growing downwards. Text widths
come from a ``Measure`` (the drawing module passes one backed by the font's metrics), so a box is
as tall as its wrapped text needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from review_app.domain.prisma.wording import BoxLines

Measure = Callable[[str, float, bool], float]  # (text, size in pt, bold) -> width in pt

PAD, INDENT, LEADING = 5.0, 8.0, 1.25  # LEADING: line pitch as a multiple of the font size
ASCENT = 0.78  # baseline below the top of a line, as a multiple of the font size


@dataclass(frozen=True, slots=True)
class TextRun:
    """One line of text; ``y`` is its baseline unless ``valign`` is "center"."""

    x: float
    y: float
    text: str
    size: float
    bold: bool = False
    align: str = "left"  # left | center
    valign: str = "baseline"  # baseline | center
    rotation: float = 0.0


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float
    width: float
    height: float
    fill: str
    texts: tuple[TextRun, ...]
    rounded: bool = False

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2


@dataclass(frozen=True, slots=True)
class Arrow:
    """A polyline from its first point to its last, with the head at the last."""

    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class Page:
    width: float
    height: float
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]
    texts: tuple[TextRun, ...]  # title and footnotes, outside any box


_TOKEN = re.compile(r"\(n = [^)]*\)|\S+")  # "(n = 12)" never breaks across lines


def wrap(text: str, width: float, size: float, bold: bool, measure: Measure) -> list[str]:
    """Greedy word wrap to ``width`` pt; a word longer than a line is cut where it must be."""
    lines: list[str] = []
    current = ""
    for word in _TOKEN.findall(text):
        candidate = f"{current} {word}" if current else word
        if measure(candidate, size, bold) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while len(word) > 1 and measure(word, size, bold) > width:
            cut = 1
            while cut < len(word) - 1 and measure(word[: cut + 1], size, bold) <= width:
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    return [*lines, current] if current or not lines else lines


def text_height(rows: int, size: float) -> float:
    """From the top of the first line to the bottom of the last (descenders included)."""
    return (rows - 1) * LEADING * size + size


@dataclass(frozen=True, slots=True)
class Block:
    """Wrapped box text before placement: (indent in pt, text) per output line."""

    rows: tuple[tuple[float, str], ...]
    size: float
    bold: bool = False
    align: str = "left"

    @property
    def height(self) -> float:
        """Height of the box: padding around the text, and never less than two lines."""
        return 2 * PAD + text_height(max(len(self.rows), 2), self.size)

    def place(
        self, x: float, y: float, width: float, height: float, fill: str, *, rounded: bool = False
    ) -> Box:
        """A box at (x, y) with the text centred vertically, left-aligned or centred across."""
        top = y + (height - text_height(len(self.rows), self.size)) / 2
        runs = tuple(
            TextRun(
                x + width / 2 if self.align == "center" else x + PAD + indent,
                top + (i * LEADING + ASCENT) * self.size,
                text,
                self.size,
                self.bold,
                self.align,
            )
            for i, (indent, text) in enumerate(self.rows)
        )
        return Box(x, y, width, height, fill, runs, rounded)


def block(
    lines: BoxLines,
    width: float,
    measure: Measure,
    size: float,
    *,
    bold: bool = False,
    align: str = "left",
) -> Block:
    """Wrap each line of a box of ``width`` pt; a wrapped indented line keeps its indent."""
    rows = [
        (line.indent * INDENT, piece)
        for line in lines
        for piece in wrap(line.text, width - 2 * PAD - line.indent * INDENT, size, bold, measure)
    ]
    return Block(tuple(rows), size, bold, align)
