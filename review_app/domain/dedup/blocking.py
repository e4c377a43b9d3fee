"""Candidate pairs without comparing all pairs: exact keys plus multi-pass sorted neighbourhood.

Sorted neighbourhood (Hernández & Stolfo, "The merge/purge problem for large databases",
SIGMOD 1995): sort the records on a key and pair each with the next few; several passes on
different keys catch what one key misses (a typo at the start of a title moves a record far
away in one order but not in the order of the reversed title). Exact keys (DOI, PMID, the
normalised title) pair every record of a small block; a block too big to pair fully (a
generic title such as "Editorial") is paired by sorted neighbourhood inside it instead.
Work is O(n log n) for the sorts plus O(n * window) pairs per pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from itertools import combinations

import numpy as np

from review_app.domain.dedup.prepared import PreparedRecord

WINDOW = 6
MAX_FULL_BLOCK = 40  # pair every member of an exact block up to this size


def _window_pairs(order: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    left, right = [], []
    for offset in range(1, window):
        left.append(order[:-offset])
        right.append(order[offset:])
    if not left:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(left), np.concatenate(right)


def _sorted_pass(keys: Sequence[str | None], window: int) -> tuple[np.ndarray, np.ndarray]:
    present = [i for i, k in enumerate(keys) if k]
    present.sort(key=lambda i: keys[i] or "")
    return _window_pairs(np.asarray(present, dtype=np.int64), window)


def _exact_blocks(keys: Sequence[str | None], tiebreak: Sequence[str]) -> tuple[np.ndarray, ...]:
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        if key:
            blocks[key].append(i)
    left: list[int] = []
    right: list[int] = []
    for members in blocks.values():
        if len(members) < 2:
            continue
        pairs: Iterable[tuple[int, int]]
        if len(members) > MAX_FULL_BLOCK:  # pair neighbours only, in a stable order
            members = sorted(members, key=lambda i: tiebreak[i])
            pairs = (
                (members[a], members[b])
                for a in range(len(members))
                for b in range(a + 1, min(a + 2 * WINDOW, len(members)))
            )
        else:
            pairs = combinations(members, 2)
        for a, b in pairs:
            left.append(a)
            right.append(b)
    return np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)


def _first_author(r: PreparedRecord) -> str:
    return r.authors[0].family if r.authors else ""


KEYS: dict[str, Callable[[PreparedRecord], str | None]] = {
    "title": lambda r: r.title_key or None,
    "reversed_title": lambda r: " ".join(reversed(r.title.split())) or None,
    "author_year_title": lambda r: (
        f"{_first_author(r)}|{r.year}|{r.title_key[:12]}" if r.authors else None
    ),
    "pages_year_volume": lambda r: (
        f"{r.pages.start_digits}|{r.year}|{r.volume}|{_first_author(r)[:3]}"
        if r.pages.start_digits and r.year
        else None
    ),
}


def candidate_pairs(records: Sequence[PreparedRecord]) -> np.ndarray:
    """Unique index pairs (i < j) worth comparing, as an (n, 2) int64 array.

    Pairs where both records are existing (already deduplicated) are left out.
    """
    n = len(records)
    tiebreak = [f"{r.year}|{_first_author(r)}|{r.title_key}" for r in records]
    lefts: list[np.ndarray] = []
    rights: list[np.ndarray] = []
    for exact in (
        [r.doi for r in records],
        [r.pmid for r in records],
        [r.title_key if len(r.title_key) >= 8 else None for r in records],
    ):
        a, b = _exact_blocks(exact, tiebreak)
        lefts.append(a)
        rights.append(b)
    for make_key in KEYS.values():
        a, b = _sorted_pass([make_key(r) for r in records], WINDOW)
        lefts.append(a)
        rights.append(b)
    left = np.concatenate(lefts)
    right = np.concatenate(rights)
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    keep = lo != hi
    existing = np.fromiter((r.is_existing for r in records), dtype=bool, count=n)
    if existing.any():
        keep &= ~(existing[lo] & existing[hi])
    codes = np.sort(lo[keep] * n + hi[keep])
    if len(codes):
        codes = codes[np.concatenate(([True], codes[1:] != codes[:-1]))]
    return np.stack([codes // n, codes % n], axis=1) if n else np.empty((0, 2), np.int64)
