"""Keyword highlighting that never renders what a record contains: text is escaped first."""

from __future__ import annotations

import html
import re

INCLUDE_STYLE = "background:#c3f0c8;border-radius:3px;padding:0 2px"
EXCLUDE_STYLE = "background:#ffc9c9;border-radius:3px;padding:0 2px"


def highlight(text: str, include: re.Pattern[str] | None, exclude: re.Pattern[str] | None) -> str:
    """HTML for ``text`` with include keywords in green and exclude keywords in red.

    Every character of ``text`` is HTML-escaped, so markup or script in a title or abstract is
    shown as text; only the <mark> tags added here are HTML.
    """
    spans = _spans(text, include, INCLUDE_STYLE) + _spans(text, exclude, EXCLUDE_STYLE)
    spans.sort()
    out, position = [], 0
    for start, end, style in spans:
        if start < position:  # overlaps an earlier match: keep the earlier one
            continue
        out.append(html.escape(text[position:start]))
        out.append(f'<mark style="{style}">{html.escape(text[start:end])}</mark>')
        position = end
    out.append(html.escape(text[position:]))
    return "".join(out).replace("\n", "<br>")


def _spans(text: str, pattern: re.Pattern[str] | None, style: str) -> list[tuple[int, int, str]]:
    if pattern is None:
        return []
    return [(m.start(), m.end(), style) for m in pattern.finditer(text) if m.end() > m.start()]
