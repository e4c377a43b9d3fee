"""Reading deduplication results: the review queue and the clusters (the per-record table is the
duplicates export, ``services.exports.duplicates``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from review_app.domain.record_fields import COMPARED, field_values
from review_app.models import CandidatePair, ClusterMember, DuplicateCluster, ImportBatch, Record
from review_app.services.permissions import Actor, require_role

COMPARED_FIELDS = COMPARED  # shown side by side in the queue (domain.record_fields)


@dataclass(frozen=True, slots=True)
class SourcedRecord:
    id: int
    source: str
    fields: dict[str, Any]  # COMPARED_FIELDS


@dataclass(frozen=True, slots=True)
class PairView:
    id: int
    score: float
    status: str
    evidence: dict[str, Any]
    a: SourcedRecord
    b: SourcedRecord

    def differing_fields(self) -> list[str]:
        return [f for f in COMPARED_FIELDS if self.a.fields.get(f) != self.b.fields.get(f)]


@dataclass(frozen=True, slots=True)
class ClusterView:
    id: int
    decided_by: str
    status: str
    score: float | None
    created_at: datetime
    primary: SourcedRecord
    copies: list[SourcedRecord]


def list_queue(session: Session, *, actor: Actor, review_id: int) -> list[PairView]:
    """Pairs waiting for a lead, strongest first, then the skipped ones; a pair whose records
    already share a cluster is left out."""
    require_role(session, actor=actor, review_id=review_id, at_least="lead")
    pairs = list(
        session.exec(
            select(CandidatePair)
            .where(CandidatePair.review_id == review_id)
            .where(col(CandidatePair.status).in_(("pending", "skipped")))
        )
    )
    ids = {i for p in pairs for i in (p.record_a_id, p.record_b_id)}
    records = _sourced(session, ids)
    clusters = _active_clusters_by_record(session, ids)
    views = [
        PairView(
            p.id, p.score, p.status, p.evidence, records[p.record_a_id], records[p.record_b_id]
        )
        for p in pairs
        if p.id is not None
        if p.record_a_id in records
        and p.record_b_id in records
        and not _same_cluster(clusters, p.record_a_id, p.record_b_id)
    ]
    return sorted(views, key=lambda v: (v.status == "skipped", -v.score, v.id))


def list_clusters(session: Session, *, actor: Actor, review_id: int) -> list[ClusterView]:
    """Active merges, newest first, each with its primary and copies."""
    require_role(session, actor=actor, review_id=review_id, at_least="lead")
    clusters = list(
        session.exec(
            select(DuplicateCluster)
            .where(DuplicateCluster.review_id == review_id, DuplicateCluster.status == "active")
            .order_by(col(DuplicateCluster.id).desc())
        )
    )
    members: dict[int, list[int]] = {}
    for cluster_id, record_id in session.exec(
        select(ClusterMember.cluster_id, ClusterMember.record_id).where(
            col(ClusterMember.cluster_id).in_([c.id for c in clusters])
        )
    ):
        members.setdefault(cluster_id, []).append(record_id)
    records = _sourced(session, {rid for ids in members.values() for rid in ids})
    return [
        ClusterView(
            id=c.id,
            decided_by=c.decided_by,
            status=c.status,
            score=c.score,
            created_at=c.created_at,
            primary=records[c.primary_record_id],
            copies=[records[r] for r in sorted(members.get(c.id, [])) if r != c.primary_record_id],
        )
        for c in clusters
        if c.id is not None
    ]


def _sourced(session: Session, ids: set[int]) -> dict[int, SourcedRecord]:
    rows = session.exec(
        select(Record, ImportBatch.source_name)
        .join(ImportBatch, col(ImportBatch.id) == Record.import_batch_id)
        .where(col(Record.id).in_(ids), ImportBatch.status == "active")
    )
    return {
        record.id: SourcedRecord(record.id, source, field_values(record, COMPARED_FIELDS))
        for record, source in rows
        if record.id is not None
    }


def _active_clusters_by_record(session: Session, ids: set[int]) -> dict[int, int]:
    rows = session.exec(
        select(ClusterMember.record_id, DuplicateCluster.id)
        .join(DuplicateCluster, col(DuplicateCluster.id) == ClusterMember.cluster_id)
        .where(col(ClusterMember.record_id).in_(ids), DuplicateCluster.status == "active")
    )
    return {record_id: cluster_id for record_id, cluster_id in rows if cluster_id is not None}


def _same_cluster(clusters: dict[int, int], a: int, b: int) -> bool:
    return a in clusters and clusters.get(a) == clusters.get(b)
