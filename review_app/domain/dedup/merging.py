"""The primary record of a cluster and the best value of each field across its copies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from review_app.domain.dedup.pages import normalise_pages
from review_app.domain.dedup.records import DedupRecord
from review_app.domain.dedup.text import normalise_doi, normalise_pmid, parse_title
from review_app.domain.record_fields import COMPLETENESS, MERGED


def _present(value: Any) -> bool:
    return bool(value) if not isinstance(value, int) else True


def completeness(record: DedupRecord) -> int:
    """Weighted count of the fields a record has (the weights are declared with the fields)."""
    return sum(w for name, w in COMPLETENESS.items() if _present(getattr(record, name)))


def choose_primary(records: Sequence[DedupRecord]) -> int:
    """Id of the most complete record; ties go to the longer abstract, then the lower id."""
    if not records:
        raise ValueError("a cluster needs at least one record")
    best = max(records, key=lambda r: (completeness(r), len(r.abstract or ""), -r.id))
    return best.id


def _most_common(values: list[Any], key: Callable[[Any], Any] = lambda v: v) -> Any:
    """The value whose key is most frequent; ties go to the earliest (the primary first)."""
    counts = Counter(key(v) for v in values)
    return max(values, key=lambda v: counts[key(v)]) if values else None


def _count(names: list[str]) -> int:
    return len(names)


def _title_quality(title: str) -> tuple[int, int, int]:
    translated = parse_title(title).translated
    shouting = title.isupper()
    return (int(not translated), int(not shouting), len(title))


def merge_fields(records: Sequence[DedupRecord]) -> dict[str, Any]:
    """Best value of each merged field (``domain.record_fields.MERGED``) across the copies of
    one record (JSON-safe dict).

    The primary (:func:`choose_primary`) is consulted first. Title: not a bracketed
    translation, not in capitals, else the longest. Authors: the longest list. Journal: the
    longest name (the full title rather than an abbreviation). Abstract: the longest. Pages:
    the most common first page, written as a full range where a copy has one. DOI, PMID,
    year, volume, issue: the most common value. Others: the first copy that has one.
    """
    if not records:
        return {}
    primary = choose_primary(records)
    ordered = sorted(records, key=lambda r: (r.id != primary, r.id))

    def values(name: str) -> list[Any]:
        return [getattr(r, name) for r in ordered if _present(getattr(r, name))]

    return {name: _BEST.get(name, _first)(values(name)) for name in MERGED}


def _first(values: list[Any]) -> Any:
    return values[0] if values else None


def _best_title(titles: list[str]) -> str | None:
    return max(titles, key=_title_quality) if titles else None


def _longest_list(lists: list[list[str]]) -> list[str]:
    return max((list(a) for a in lists), key=_count) if lists else []


def _longest(texts: list[str]) -> str | None:
    return max(texts, key=len) if texts else None


def _best_pages(pages: list[str]) -> str | None:
    if not pages:
        return None
    start = _most_common(pages, key=lambda p: normalise_pages(p).start)
    same = [p for p in pages if normalise_pages(p).start == normalise_pages(start).start]
    with_end = [p for p in same if normalise_pages(p).end]
    return max(with_end, key=len) if with_end else start


# How the best value of a field is chosen from the copies' values (the primary's first); a
# merged field not named here takes the first copy's value that is present.
_BEST: dict[str, Callable[[list[Any]], Any]] = {
    "title": _best_title,
    "authors": _longest_list,
    "journal": _longest,
    "abstract": _longest,
    "pages": _best_pages,
    "doi": lambda dois: _most_common(dois, key=normalise_doi),
    "pmid": lambda pmids: _most_common(pmids, key=normalise_pmid),
    "year": _most_common,
    "volume": _most_common,
    "issue": _most_common,
}
