"""The duplicates export: one row per record of the active imports with its duplicate cluster,
whether it is the cluster's primary, who decided, and its status."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from review_app.domain.vocabulary import Role
from review_app.exporters.tabular import table_csv
from review_app.models import CandidatePair, ClusterMember, DuplicateCluster, ImportBatch, Record
from review_app.services.duplicates import MANUAL_RECORDS
from review_app.services.exports.registry import EXPORTS
from review_app.services.permissions import Actor, require_role

DUPLICATE_COLUMNS = (
    "record_id",
    "source_record_id",
    "source",
    "cluster_id",
    "is_primary",
    "decided_by",
    "status",
)


def export_duplicates(
    session: Session, *, actor: Actor, review_id: int, format: str = "csv"
) -> bytes:
    """One row per record: record_id, source_record_id, source, cluster_id, is_primary,
    decided_by, status (unique | primary | duplicate | queued)."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    EXPORTS["duplicates"].check_format(format)
    return table_csv(DUPLICATE_COLUMNS, _duplicate_rows(session, review_id), excel=False)


def _duplicate_rows(session: Session, review_id: int) -> list[tuple[Any, ...]]:
    records = list(
        session.exec(
            select(Record.id, Record.source_record_id, ImportBatch.source_name)
            .join(ImportBatch, col(ImportBatch.id) == Record.import_batch_id)
            .where(Record.review_id == review_id, ImportBatch.status == "active")
            .order_by(col(Record.id))
        )
    )
    manual = _manual_copies(session, review_id)
    membership: dict[int | None, tuple[int | None, bool | None, str | None]] = {
        record_id: (cluster_id, is_primary, "manual" if record_id in manual else decided_by)
        for record_id, cluster_id, is_primary, decided_by in session.exec(
            select(
                ClusterMember.record_id,
                DuplicateCluster.id,
                ClusterMember.is_primary,
                DuplicateCluster.decided_by,
            )
            .join(DuplicateCluster, col(DuplicateCluster.id) == ClusterMember.cluster_id)
            .where(DuplicateCluster.review_id == review_id, DuplicateCluster.status == "active")
        )
    }
    queued = {
        rid
        for a, b in session.exec(
            select(CandidatePair.record_a_id, CandidatePair.record_b_id).where(
                CandidatePair.review_id == review_id,
                col(CandidatePair.status).in_(("pending", "skipped")),
            )
        )
        for rid in (a, b)
    }
    rows = []
    for record_id, source_record_id, source in records:
        cluster_id, is_primary, decided_by = membership.get(record_id, (None, None, None))
        if cluster_id is None:
            status = "queued" if record_id in queued else "unique"
        else:
            status = "primary" if is_primary else "duplicate"
        primary_flag = None if is_primary is None else int(is_primary)
        rows.append(
            (record_id, source_record_id, source, cluster_id, primary_flag, decided_by, status)
        )
    return rows


def _manual_copies(session: Session, review_id: int) -> set[int]:
    """Copies a lead added to an automatic merge: decided by hand, though the merge they joined
    was automatic."""
    evidence = session.exec(
        select(DuplicateCluster.evidence).where(
            DuplicateCluster.review_id == review_id,
            DuplicateCluster.status == "active",
            DuplicateCluster.decided_by == "auto",
        )
    )
    return {rid for found in evidence for rid in found.get(MANUAL_RECORDS, [])}
