"""The primary record of a cluster and the best value of each field across its copies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from review_app.domain.dedup.pages import normalise_pages
from review_app.domain.dedup.records import DedupRecord
from review_app.domain.dedup.text import normalise_doi, normalise_pmid, parse_title

# How much each field adds to a record's completeness (identifiers and the abstract weigh
# most: they are what screening and full-text retrieval need).
_COMPLETENESS = {
    "title": 3,
    "abstract": 3,
    "doi": 2,
    "pmid": 2,
    "authors": 2,
    "year": 1,
    "journal": 1,
    "volume": 1,
    "issue": 1,
    "pages": 1,
    "issn": 1,
    "isbn": 1,
    "publication_type": 1,
}
MERGED_FIELDS = (
    "title",
    "authors",
    "year",
    "journal",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "issn",
    "isbn",
    "abstract",
    "publication_type",
)


def _present(value: Any) -> bool:
    return bool(value) if not isinstance(value, int) else True


def completeness(record: DedupRecord) -> int:
    """Weighted count of the fields a record has."""
    return sum(w for name, w in _COMPLETENESS.items() if _present(getattr(record, name)))


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
    """Best value of each field across the copies of one record (JSON-safe dict).

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

    merged: dict[str, Any] = {name: None for name in MERGED_FIELDS}
    titles = values("title")
    merged["title"] = max(titles, key=_title_quality) if titles else None
    author_lists = [list(a) for a in values("authors")]
    merged["authors"] = max(author_lists, key=_count) if author_lists else []
    journals = values("journal")
    merged["journal"] = max(journals, key=len) if journals else None
    abstracts = values("abstract")
    merged["abstract"] = max(abstracts, key=len) if abstracts else None
    merged["pages"] = _best_pages(values("pages"))
    merged["doi"] = _most_common(values("doi"), key=normalise_doi)
    merged["pmid"] = _most_common(values("pmid"), key=normalise_pmid)
    for name in ("year", "volume", "issue"):
        merged[name] = _most_common(values(name))
    for name in ("issn", "isbn", "publication_type"):
        found = values(name)
        merged[name] = found[0] if found else None
    return merged


def _best_pages(pages: list[str]) -> str | None:
    if not pages:
        return None
    start = _most_common(pages, key=lambda p: normalise_pages(p).start)
    same = [p for p in pages if normalise_pages(p).start == normalise_pages(start).start]
    with_end = [p for p in same if normalise_pages(p).end]
    return max(with_end, key=len) if with_end else start
