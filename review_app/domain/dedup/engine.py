"""find_duplicates: normalise, block, compare, decide, cluster."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz.distance import Indel
from rapidfuzz.process import cpdist

from review_app.domain.dedup.blocking import candidate_pairs
from review_app.domain.dedup.clustering import build_clusters
from review_app.domain.dedup.compare import is_contained
from review_app.domain.dedup.judging import judge_pairs
from review_app.domain.dedup.prepared import PreparedRecord, prepare
from review_app.domain.dedup.records import DedupRecord, DedupResult, PairDecision

# Candidates whose titles are less alike than this are not compared further unless they share
# a DOI, a PMID or a place of publication, or one title contains the other: otherwise a pair
# so unlike in title cannot reach the uncertain threshold.
_MIN_TITLE_SIMILARITY = 0.6
_MIN_CONTAINED_CHARS = 20


def find_duplicates(
    records: Sequence[DedupRecord],
    *,
    existing: Sequence[DedupRecord] = (),
    workers: int = 2,
) -> DedupResult:
    """Find duplicates among ``records`` and between them and ``existing`` records.

    ``existing`` records (a search update: what the review already holds) are taken as already
    deduplicated: they are never compared with each other, only with the new records; a
    cluster may join new records to existing ones. Ids must be unique across both.
    ``workers`` threads compute the title similarities of the candidate pairs.

    Returns the certain pairs (merged automatically, each with its evidence), the uncertain
    pairs (the review queue, strongest first; certain pairs the cluster safeguards refused
    are here with ``evidence["safeguard"]``) and the clusters built from certain pairs.
    """
    prepared = [prepare(r, is_existing=True) for r in existing]
    prepared.extend(prepare(r) for r in records)
    by_id = {p.id: p for p in prepared}
    if len(by_id) != len(prepared):
        raise ValueError("record ids must be unique across records and existing")
    pairs = candidate_pairs(prepared)
    if len(pairs) == 0:
        return DedupResult()
    titles = [p.title for p in prepared]
    sims = cpdist(
        [titles[i] for i in pairs[:, 0]],
        [titles[j] for j in pairs[:, 1]],
        scorer=Indel.normalized_similarity,
        workers=workers,
    )
    keep = _worth_comparing(prepared, pairs, sims)
    judged = judge_pairs(
        (prepared[i], prepared[j], sim)
        for (i, j), sim in zip(pairs[keep].tolist(), sims[keep].tolist(), strict=True)
    )
    certain = [p for p in judged if p.decision == "certain"]
    uncertain = [p for p in judged if p.decision == "uncertain"]
    vetoed = {
        (p.a, p.b): ", ".join(p.evidence["rules"]) for p in judged if p.decision == "different"
    }
    clusters, refused = build_clusters(certain, by_id, vetoed)
    refused_keys = {(p.a, p.b) for p, _ in refused}
    for pair, reason in refused:
        evidence = {**pair.evidence, "safeguard": reason}
        uncertain.append(PairDecision(pair.a, pair.b, "uncertain", pair.score, evidence))
    certain = [p for p in certain if (p.a, p.b) not in refused_keys]
    clusters.sort(key=min)
    # A doubt about two records that certain pairs already merged through their other copies
    # asks a person nothing: the cluster safeguards checked that pair before joining.
    cluster_of = {rid: k for k, members in enumerate(clusters) for rid in members}
    uncertain = [p for p in uncertain if cluster_of.get(p.a, -1) != cluster_of.get(p.b, -2)]
    return DedupResult(
        certain_pairs=sorted(certain, key=lambda p: (p.a, p.b)),
        uncertain_pairs=sorted(uncertain, key=lambda p: (-p.score, p.a, p.b)),
        clusters=clusters,
        n_compared=int(keep.sum()),
    )


def _codes(values: list[str | None]) -> np.ndarray:
    """Integer code per value (equal values, equal codes); -1 where missing."""
    seen: dict[str, int] = {}
    return np.fromiter(
        (seen.setdefault(v, len(seen)) if v else -1 for v in values),
        dtype=np.int64,
        count=len(values),
    )


def _worth_comparing(
    prepared: list[PreparedRecord], pairs: np.ndarray, sims: np.ndarray
) -> np.ndarray:
    """Pairs with alike titles, or sharing a DOI, PMID or place of publication (year, volume,
    first page: a translated title), or one title extending the other."""
    keep = sims >= _MIN_TITLE_SIMILARITY
    left, right = pairs[:, 0], pairs[:, 1]
    for values in (
        [p.doi for p in prepared],
        [p.pmid for p in prepared],
        [f"{p.year}|{p.volume}|{p.pages.start_digits}" if p.pages.start_digits and p.volume
         and p.year else None for p in prepared],
    ):  # fmt: skip
        codes = _codes(values)
        keep |= (codes[left] == codes[right]) & (codes[left] >= 0)
    # A title contained in another has Indel similarity exactly 2s / (s + l) (s, l: lengths):
    # only pairs at that value are checked word by word.
    lengths = np.fromiter((len(p.title) for p in prepared), dtype=np.float64, count=len(prepared))
    ls, ll = np.minimum(lengths[left], lengths[right]), np.maximum(lengths[left], lengths[right])
    expected = 2 * ls / np.maximum(ls + ll, 1)
    maybe = np.flatnonzero(~keep & (np.abs(sims - expected) < 1e-6) & (ls >= _MIN_CONTAINED_CHARS))
    for k in maybe.tolist():
        keep[k] = is_contained(prepared[left[k]].title, prepared[right[k]].title)
    return keep
