"""Clusters from certain pairs by union-find, refusing joins that would chain conflicts.

Transitive closure alone lets A~B and B~C merge A and C even when A and C plainly differ (an
abstract and its article joined through a copy that lacks pages, two records with different
DOIs joined through one without). Before two clusters join, every cross pair of members is
checked for a hard conflict: a rule found them different (notice kind, meeting abstract vs
article, translation), or their fields conflict (DOI, PMID, notice kind, years apart, another
journal and volume, titles unalike). One conflict refuses the join and the link goes to the
review queue instead. A cross pair that merely scored low is not a conflict: its missing
fields are what the linking records fill in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rapidfuzz.distance import Indel

from review_app.domain.dedup.compare import is_contained
from review_app.domain.dedup.journals import journals_match
from review_app.domain.dedup.prepared import PreparedRecord
from review_app.domain.dedup.records import PairDecision

_MIN_CROSS_TITLE_SIMILARITY = 0.8


class UnionFind:
    """Disjoint sets of ids with their member lists (path halving, union by size)."""

    def __init__(self) -> None:
        self._parent: dict[int, int] = {}
        self._members: dict[int, list[int]] = {}

    def find(self, x: int) -> int:
        parent = self._parent.setdefault(x, x)
        self._members.setdefault(x, [x])
        while parent != x:
            self._parent[x] = self._parent[parent]
            x, parent = parent, self._parent[parent]
        return x

    def members(self, root: int) -> list[int]:
        return self._members[root]

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if len(self._members[ra]) < len(self._members[rb]):
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._members[ra].extend(self._members.pop(rb))

    def groups(self) -> list[set[int]]:
        return [set(m) for m in self._members.values() if len(m) > 1]


def hard_conflict(x: PreparedRecord, y: PreparedRecord) -> str | None:
    """Why two records can never be one, judged on their fields alone (None when they can)."""
    if x.notice != y.notice:
        return "notice_mismatch"
    if x.doi and y.doi and x.doi != y.doi:
        return "doi_conflict"
    if x.pmid and y.pmid and x.pmid != y.pmid:
        return "pmid_conflict"
    if x.year is not None and y.year is not None and abs(x.year - y.year) > 1:
        return "years_apart"
    if x.meeting != y.meeting and (
        (x.pages.start and y.pages.start and x.pages.start != y.pages.start)
        or (x.year is not None and y.year is not None and x.year != y.year)
    ):
        return "meeting_vs_article"
    if _other_venue(x, y):
        return "other_venue"
    if not x.title or not y.title or x.translated or y.translated:
        return None  # a missing or translated title may be unlike its copies
    if is_contained(x.title, y.title):
        return None
    if Indel.normalized_similarity(x.title, y.title) < _MIN_CROSS_TITLE_SIMILARITY:
        return "titles_differ"
    return None


def _other_venue(x: PreparedRecord, y: PreparedRecord) -> bool:
    """Different journals (no shared ISSN, no matching name) and different volumes."""
    if not (x.volume and y.volume and x.volume != y.volume and x.journal and y.journal):
        return False
    if x.issns & y.issns:
        return False
    return not journals_match(x.journal, y.journal)


def build_clusters(
    certain: Iterable[PairDecision],
    records: Mapping[int, PreparedRecord],
    vetoed: Mapping[tuple[int, int], str],
) -> tuple[list[set[int]], list[tuple[PairDecision, str]]]:
    """Clusters from the certain pairs (strongest first) and the pairs refused, with why.

    ``vetoed`` maps pairs (a < b) a rule declared different to the rule's reason.
    """
    uf = UnionFind()
    refused: list[tuple[PairDecision, str]] = []
    ordered = sorted(certain, key=lambda p: (-p.score, p.a, p.b))
    certain_keys = {(p.a, p.b) for p in ordered}
    for pair in ordered:
        ra, rb = uf.find(pair.a), uf.find(pair.b)
        if ra == rb:
            continue
        reason = _cross_conflict(uf.members(ra), uf.members(rb), certain_keys, records, vetoed)
        if reason:
            refused.append((pair, reason))
        else:
            uf.union(ra, rb)
    return uf.groups(), refused


def _cross_conflict(
    left: list[int],
    right: list[int],
    certain: set[tuple[int, int]],
    records: Mapping[int, PreparedRecord],
    vetoed: Mapping[tuple[int, int], str],
) -> str | None:
    for a in left:
        for b in right:
            key = (a, b) if a < b else (b, a)
            if key in certain:
                continue  # judged certain on all its evidence (a strong match over a bad DOI)
            reason = vetoed.get(key) or hard_conflict(records[a], records[b])
            if reason:
                return f"members {key[0]} and {key[1]}: {reason}"
    return None
