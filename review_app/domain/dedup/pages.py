"""Page ranges in the styles databases write them: "91-2", "91-92", "e123", "S31-S32"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from review_app.domain.dedup.text import fold

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# A spreadsheet read "21-8" (pages 21-28 abbreviated) as the date 21 August and wrote "21-Aug";
# "1-10" becomes "01-Oct" and "8-21" "Aug-21". The numbers are recovered from the date.
_DAY_MONTH_RE = re.compile(r"^(\d{1,2})-(" + "|".join(_MONTHS) + r")[a-z]*$")
_MONTH_DAY_RE = re.compile(r"^(" + "|".join(_MONTHS) + r")[a-z]*-(\d{1,2})$")
_PAGE_RE = re.compile(r"([a-z]{0,4})(\d+)([a-z]{0,2})")
# Article numbers that stand for pages: an e-locator ("e43268": PLoS, BMJ and JAMA number
# their online articles so) and a Cochrane review number ("CD006273"). Each names one article
# in its journal, where a first page is shared by every abstract printed on that page. "S12"
# and roman-numeral supplement pages ("viii108") are pages, not article numbers; a short
# "e12" may be the first page of an e-page range, so e-locators need four digits.
_ARTICLE_NUMBER_RE = re.compile(r"e\d{4,}|cd\d+")
_RANGE_RE = re.compile(
    r"^([a-z]{0,4}\d+[a-z]{0,2})(?:\s*(?:-+|–|—|to)\s*([a-z]{0,4}\d+[a-z]{0,2}))?"
)


@dataclass(frozen=True, slots=True)
class PageRange:
    """First and last page; ``start`` keeps a letter prefix ("e123", "s31").

    ``starts`` holds the first page of every range in the field ("233-8, 230-5" -> 233, 230).
    """

    start: str | None = None
    end: str | None = None
    starts: frozenset[str] = frozenset()

    @property
    def start_digits(self) -> str | None:
        """The start page's number without letters ("s31" -> "31")."""
        if self.start is None:
            return None
        match = _PAGE_RE.search(self.start)
        return match.group(2) if match else None

    @property
    def is_article_number(self) -> bool:
        """The field holds one article number, not a page ("e43268", "CD006273")."""
        return self.end is None and bool(self.start and _ARTICLE_NUMBER_RE.fullmatch(self.start))


def _page_key(token: str) -> str:
    match = _PAGE_RE.fullmatch(token)
    if not match:
        return token
    prefix, digits, suffix = match.groups()
    return f"{prefix}{digits.lstrip('0') or '0'}{suffix}"


def _parse_range(text: str) -> tuple[str, str | None] | None:
    text = re.sub(r"^(?:pp?\.?|pages?)\s*", "", text.strip())
    text = re.sub(r"\.e\d+$", "", text).replace(" ", "").replace(".", "")
    for pattern, day_first in ((_DAY_MONTH_RE, True), (_MONTH_DAY_RE, False)):
        match = pattern.match(text)
        if match:
            a, b = match.groups()
            month = str(_MONTHS.index(b[:3] if day_first else a[:3]) + 1)
            text = f"{int(a)}-{month}" if day_first else f"{month}-{int(b)}"
    match = _RANGE_RE.match(text)
    if not match:
        return None
    start = _page_key(match.group(1))
    end = _page_key(match.group(2)) if match.group(2) else None
    return start, (_expand_end(start, end) if end is not None else None)


@lru_cache(maxsize=1 << 16)
def normalise_pages(pages: str | None) -> PageRange:
    """Start and end page of the first range; abbreviated ends expanded ("91-2" -> 91, 92)."""
    if not pages:
        return PageRange()
    text = re.sub(r"\[[^\]]*\]|\((?:no pagination|[^)]*abstract[^)]*)\)", " ", fold(pages))
    chunks = [c for c in re.split(r"[;,+]", text.replace('"', " ")) if c.strip()][:6]
    ranges = [r for r in (_parse_range(c) for c in chunks) if r is not None]
    first = _parse_range(chunks[0]) if chunks else None
    if first is None:
        return PageRange()
    return PageRange(first[0], first[1], frozenset(start for start, _ in ranges))


def _expand_end(start: str, end: str) -> str:
    """Expand an abbreviated last page from the first ("1872-80" -> "1880", "e182-5")."""
    s_match, e_match = _PAGE_RE.fullmatch(start), _PAGE_RE.fullmatch(end)
    if not s_match or not e_match:
        return end
    s_prefix, s_digits, _ = s_match.groups()
    e_prefix, e_digits, e_suffix = e_match.groups()
    if len(e_digits) < len(s_digits):
        e_digits = s_digits[: len(s_digits) - len(e_digits)] + e_digits
    return f"{e_prefix or s_prefix}{e_digits}{e_suffix}"
