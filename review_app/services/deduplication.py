"""Deduplication in a review: the automatic pass, the review queue, and undo.

Certain duplicates merge automatically; uncertain pairs wait in a queue for a lead. A merge keeps
every record (each still counts for its source in PRISMA) but only the primary stays in
screening. The primary takes the best value of each field from its copies; a primary that
already has votes only gains the fields it lacked, so reviewers' decisions stand on what they
saw. Every merge stores its evidence and the primary's earlier fields, so undo restores the
exact previous state.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from review_app.domain.dedup import (
    DedupRecord,
    DedupResult,
    PairDecision,
    choose_primary,
    find_duplicates,
)
from review_app.domain.dedup import merge_fields as merge_best_fields
from review_app.domain.record_fields import MERGED, field_values
from review_app.domain.vocabulary import Role
from review_app.errors import ConflictError, NotFoundError, ValidationError
from review_app.models import (
    CandidatePair,
    ClusterMember,
    Decision,
    DuplicateCluster,
    ImportBatch,
    Record,
    utcnow,
)
from review_app.services.audit import record_event
from review_app.services.duplicates import MANUAL_RECORDS, list_earlier_decisions
from review_app.services.permissions import Actor, require_role
from review_app.services.snapshots import snapshot

PAIR_DECISIONS = ("duplicate", "not_duplicate", "skip")


@dataclass(frozen=True, slots=True)
class DedupSummary:
    compared_records: int
    merged_clusters: int  # clusters created or grown by this pass
    merged_records: int  # records that left screening as duplicates in this pass
    queued_pairs: int  # uncertain pairs added to the review queue


def run_automatic_pass(session: Session, *, actor: Actor, review_id: int) -> DedupSummary:
    """Deduplicate the records no pass has checked yet against each other and the rest."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    rows = list(session.exec(_active_records(review_id)))
    new = [_dedup_record(r) for r in rows if not r.dedup_checked]
    if not new:
        return DedupSummary(0, 0, 0, 0)
    existing = [_dedup_record(r) for r in rows if r.dedup_checked]
    result = find_duplicates(new, existing=existing)
    by_id = {r.id: r for r in rows if r.id is not None}
    state = _state(session, review_id)
    evidence = _evidence_by_cluster(result)
    merged_clusters = merged_records = 0
    held_back: list[PairDecision] = []
    for number, ids in enumerate(result.clusters):
        added = _merge(
            session,
            state,
            review_id=review_id,
            ids=ids,
            records=by_id,
            evidence=evidence.get(number, []),
            decided_by="auto",
            user_id=None,
        )
        merged_clusters += added > 0
        merged_records += added
        if not _joined(state, ids):
            held_back += _asked(evidence.get(number, []))
    pairs = [*result.uncertain_pairs, *held_back]
    queued = _queue(session, review_id=review_id, pairs=pairs)
    session.execute(
        update(Record).where(col(Record.id).in_([r.id for r in new])).values(dedup_checked=True)
    )
    summary = DedupSummary(len(new), merged_clusters, merged_records, queued)
    record_event(
        session,
        review_id=review_id,
        user_id=actor.user_id,
        action="dedup.auto",
        entity="review",
        entity_id=review_id,
        after=asdict(summary),
    )
    return summary


def decide_pair(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    pair_id: int,
    decision: str,
    primary_id: int | None = None,
    overrule_earlier: bool = False,
) -> int | None:
    """A lead's decision on a queued pair: duplicate (merge; returns the cluster id),
    not_duplicate, or skip (to decide later).

    The two records are judged as the merges they belong to: "duplicate" is refused while it
    contradicts an earlier "not a duplicate" between those merges (unless the lead overrules it,
    ``overrule_earlier``), or when both records already belong to two different merges."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    if decision not in PAIR_DECISIONS:
        raise ValidationError(f"decision {decision!r}: allowed are {', '.join(PAIR_DECISIONS)}")
    pair = session.get(CandidatePair, pair_id)
    if pair is None or pair.review_id != review_id:
        raise NotFoundError(f"no candidate pair {pair_id} in review {review_id}")
    overruled: list[int] = []
    if decision == "duplicate":
        overruled = _check_merge_allowed(session, pair, overrule_earlier=overrule_earlier)
    before = {"status": pair.status}
    pair.status = {"skip": "skipped"}.get(decision, decision)
    pair.decided_by_user_id, pair.decided_at = actor.user_id, utcnow()
    session.add(pair)
    cluster_id = None
    if decision == "duplicate":
        ids = {pair.record_a_id, pair.record_b_id}
        if primary_id is not None and primary_id not in ids:
            raise ValidationError(
                f"primary {primary_id}: choose record {pair.record_a_id} or {pair.record_b_id}"
            )
        query = select(Record).where(col(Record.id).in_(ids))
        records = {r.id: r for r in session.exec(query) if r.id is not None}
        evidence = [
            {
                "a": pair.record_a_id,
                "b": pair.record_b_id,
                "score": pair.score,
                "evidence": pair.evidence,
            }
        ]
        _merge(
            session,
            _state(session, review_id),
            review_id=review_id,
            ids=ids,
            records=records,
            evidence=evidence,
            decided_by="manual",
            user_id=actor.user_id,
            primary_id=primary_id,
            pair_id=pair.id,
        )
        cluster_id = _active_cluster_of(session, pair.record_a_id)
    session.flush()
    after: dict[str, Any] = {"status": pair.status, "primary_id": primary_id}
    if overruled:
        after["overruled_pair_ids"] = overruled
    record_event(
        session,
        review_id=review_id,
        user_id=actor.user_id,
        action=f"dedup.pair.{decision}",
        entity="candidatepair",
        entity_id=pair.id,
        before=before,
        after=after,
    )
    return cluster_id


def _check_merge_allowed(
    session: Session, pair: CandidatePair, *, overrule_earlier: bool
) -> list[int]:
    """Refuse a "duplicate" that would fuse two merges or contradict an earlier "not a
    duplicate" between the two sides' merges; returns the earlier pairs a lead overrules."""
    clusters = {
        rid: _active_cluster_of(session, rid) for rid in (pair.record_a_id, pair.record_b_id)
    }
    if None not in clusters.values() and len(set(clusters.values())) == 2:
        raise ConflictError(
            f"records {pair.record_a_id} and {pair.record_b_id} already belong to two merges "
            f"({clusters[pair.record_a_id]} and {clusters[pair.record_b_id]}): undo one of them "
            "first, then decide this pair"
        )
    earlier = list_earlier_decisions(
        session,
        review_id=pair.review_id,
        record_a_id=pair.record_a_id,
        record_b_id=pair.record_b_id,
        pair_id=pair.id or 0,
    )
    if earlier and not overrule_earlier:
        said = "; ".join(f"records {e.record_a_id} and {e.record_b_id}" for e in earlier)
        raise ConflictError(
            f"pair {pair.id}: a lead decided earlier that these are not duplicates ({said}, "
            "each merged with one side of this pair); confirm that you overrule that decision, "
            "or decide 'not a duplicate' or 'skip'"
        )
    return [e.pair_id for e in earlier]


def undo_merge(session: Session, *, actor: Actor, review_id: int, cluster_id: int) -> None:
    """Undo a merge, automatic or manual: the copies return to screening and the primary gets
    back the exact fields it had; a pair decided in the queue returns to the queue."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    cluster = session.get(DuplicateCluster, cluster_id)
    if cluster is None or cluster.review_id != review_id:
        raise NotFoundError(f"no duplicate cluster {cluster_id} in review {review_id}")
    if cluster.status == "undone":
        raise ConflictError(f"duplicate cluster {cluster_id} was already undone")
    primary = session.get(Record, cluster.primary_record_id)
    assert primary is not None
    for name, value in cluster.primary_before.items():
        setattr(primary, name, value)
    cluster.status, cluster.undone_at = "undone", utcnow()
    session.add_all([primary, cluster])
    for pair_id in cluster.evidence.get("pair_ids", []):
        pair = session.get(CandidatePair, pair_id)
        if pair is not None:
            pair.status, pair.decided_by_user_id, pair.decided_at = "pending", None, None
            session.add(pair)
    session.flush()
    record_event(
        session,
        review_id=review_id,
        user_id=actor.user_id,
        action="dedup.undo",
        entity="duplicatecluster",
        entity_id=cluster_id,
        before={"status": "active"},
        after={"status": "undone"},
    )


# --- merging ------------------------------------------------------------------------------


@dataclass
class _State:
    """What merging needs to know about the whole review, loaded once per pass."""

    cluster_of: dict[int, int]  # record id -> its active cluster
    voted: set[int]  # records with a screening vote


def _state(session: Session, review_id: int) -> _State:
    members = session.exec(
        select(ClusterMember.record_id, DuplicateCluster.id)
        .join(DuplicateCluster, col(DuplicateCluster.id) == ClusterMember.cluster_id)
        .where(DuplicateCluster.review_id == review_id, DuplicateCluster.status == "active")
    )
    voted = session.exec(select(Decision.record_id).where(Decision.review_id == review_id))
    return _State({rid: cid for rid, cid in members if cid is not None}, set(voted))


def _merge(
    session: Session,
    state: _State,
    *,
    review_id: int,
    ids: set[int],
    records: dict[int, Record],
    evidence: list[dict[str, Any]],
    decided_by: str,
    user_id: int | None,
    primary_id: int | None = None,
    pair_id: int | None = None,
) -> int:
    """Join ``ids`` into one cluster (growing an active cluster one of them is in);
    returns how many records newly left screening as duplicates."""
    clusters = {state.cluster_of[rid] for rid in ids if rid in state.cluster_of}
    if len(clusters) > 1:
        return 0  # two clusters would fuse: too strong a claim for an automatic pass
    if clusters:
        grown = _grow(session, state, cluster_id=clusters.pop(), ids=ids)
        if decided_by == "manual":
            _note_manual_growth(session, grown, evidence=evidence, pair_id=pair_id)
        return len(grown)
    voted = ids & state.voted
    primary = primary_id or _pick_primary(ids, voted, records)
    copies = [records[i] for i in sorted(ids, key=lambda i: i != primary)]
    before = _apply_best_fields(records[primary], copies, only_missing=primary in voted)
    cluster = DuplicateCluster(
        review_id=review_id,
        primary_record_id=primary,
        decided_by=decided_by,
        decided_by_user_id=user_id,
        primary_before=before,
        score=max((p["score"] for p in evidence), default=None),
        evidence={"pairs": evidence, "pair_ids": [pair_id] if pair_id else []},
    )
    session.add(cluster)
    session.flush()  # the cluster's id, for its members
    assert cluster.id is not None
    session.add_all(
        ClusterMember(cluster_id=cluster.id, record_id=rid, is_primary=rid == primary)
        for rid in ids
    )
    state.cluster_of.update(dict.fromkeys(ids, cluster.id))
    return len(ids) - 1


def _grow(session: Session, state: _State, *, cluster_id: int, ids: set[int]) -> _Grown:
    """Add new copies to an existing cluster: its primary (perhaps already screened) stays."""
    new_ids = {rid for rid in ids if rid not in state.cluster_of}
    if new_ids & state.voted:
        return _Grown(cluster_id, [])  # a screened record never becomes a copy automatically
    session.add_all(ClusterMember(cluster_id=cluster_id, record_id=rid) for rid in new_ids)
    state.cluster_of.update(dict.fromkeys(new_ids, cluster_id))
    return _Grown(cluster_id, sorted(new_ids))


@dataclass(frozen=True, slots=True)
class _Grown:
    cluster_id: int
    added: list[int]

    def __len__(self) -> int:
        return len(self.added)


def _note_manual_growth(
    session: Session, grown: _Grown, *, evidence: list[dict[str, Any]], pair_id: int | None
) -> None:
    """A lead's "duplicate" that adds a record to an automatic merge: the cluster keeps who
    added which copy (the duplicates export says "manual" for it) and the pair, so that undo
    returns the pair to the queue."""
    if not grown.added:
        raise ConflictError(
            "this pair adds a record that reviewers have already voted on to an existing merge; "
            "undo that merge first, then decide this pair with the screened record as primary"
        )
    cluster = session.get(DuplicateCluster, grown.cluster_id)
    assert cluster is not None
    before = dict(cluster.evidence)
    cluster.evidence = {
        **before,
        "pairs": [*before.get("pairs", []), *evidence],
        "pair_ids": [*before.get("pair_ids", []), *([pair_id] if pair_id else [])],
        MANUAL_RECORDS: sorted({*before.get(MANUAL_RECORDS, []), *grown.added}),
    }
    session.add(cluster)


def _pick_primary(ids: set[int], voted: set[int], records: dict[int, Record]) -> int:
    """A record reviewers already voted on stays the primary (a new copy of a screened record
    is a duplicate, not screened again); otherwise the most complete copy."""
    if voted:
        return min(voted)
    return choose_primary([_dedup_record(records[i]) for i in ids])


def _apply_best_fields(
    primary: Record, copies: list[Record], *, only_missing: bool
) -> dict[str, Any]:
    """Give the primary the best value of each field; returns its fields as they were."""
    before = snapshot(primary, MERGED)
    best = merge_best_fields([_dedup_record(r) for r in copies])
    for name in MERGED:
        value = best.get(name)
        if value in (None, "", []) or (only_missing and before[name] not in (None, "", [])):
            continue
        setattr(primary, name, value)
    return before


# --- queue ---------------------------------------------------------------------------------


def _queue(session: Session, *, review_id: int, pairs: list[PairDecision]) -> int:
    """Add the uncertain pairs not queued before; returns how many were added."""
    queued = set(
        session.exec(
            select(CandidatePair.record_a_id, CandidatePair.record_b_id).where(
                CandidatePair.review_id == review_id
            )
        )
    )
    new = [p for p in pairs if (p.a, p.b) not in queued]
    session.add_all(
        CandidatePair(
            review_id=review_id,
            record_a_id=p.a,
            record_b_id=p.b,
            score=p.score,
            evidence=p.evidence,
        )
        for p in new
    )
    session.flush()
    return len(new)


# Why certain pairs went to the queue: their merge would have fused two existing merges or made a
# screened record a copy, which an automatic pass never does (``_merge``, ``_grow``).
HELD_BACK = "their merge would join two existing merges or make a screened record a copy"


def _joined(state: _State, ids: set[int]) -> bool:
    """Whether every record of an engine cluster ended up in one active merge."""
    placed = {state.cluster_of.get(rid) for rid in ids}
    return len(placed) == 1 and None not in placed


def _asked(evidence: list[dict[str, Any]]) -> list[PairDecision]:
    """A refused cluster's certain pairs, as questions for a lead (nothing is lost unseen: the
    engine leaves out of its queue the doubts inside a cluster it built)."""
    return [
        PairDecision(
            e["a"], e["b"], "uncertain", e["score"], {**e["evidence"], "safeguard": HELD_BACK}
        )
        for e in evidence
    ]


def _evidence_by_cluster(result: DedupResult) -> dict[int, list[dict[str, Any]]]:
    """The certain pairs inside each of ``result.clusters`` (by its index), in one pass."""
    cluster_of = {rid: number for number, ids in enumerate(result.clusters) for rid in ids}
    grouped: dict[int, list[PairDecision]] = defaultdict(list)
    for pair in result.certain_pairs:
        number = cluster_of.get(pair.a)
        if number is not None and cluster_of.get(pair.b) == number:
            grouped[number].append(pair)
    return {number: _evidence(pairs) for number, pairs in grouped.items()}


def _evidence(pairs: list[PairDecision]) -> list[dict[str, Any]]:
    return [{"a": p.a, "b": p.b, "score": p.score, "evidence": p.evidence} for p in pairs]


# --- queries -------------------------------------------------------------------------------


def _active_records(review_id: int) -> SelectOfScalar[Record]:
    return (
        select(Record)
        .join(ImportBatch, col(ImportBatch.id) == Record.import_batch_id)
        .where(Record.review_id == review_id, ImportBatch.status == "active")
        .order_by(col(Record.id))
    )


def _active_cluster_of(session: Session, record_id: int) -> int | None:
    return session.exec(
        select(DuplicateCluster.id)
        .join(ClusterMember, col(ClusterMember.cluster_id) == DuplicateCluster.id)
        .where(ClusterMember.record_id == record_id, DuplicateCluster.status == "active")
    ).first()


def _dedup_record(record: Record) -> DedupRecord:
    assert record.id is not None
    return DedupRecord(id=record.id, **field_values(record))
