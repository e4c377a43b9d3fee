"""The records export: the review's records back out as RIS, CSV or XLSX (our RIS re-imports to
identical normalised records)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlmodel import Session, col, select

from review_app.domain.vocabulary import Role, Stage, StageStatus
from review_app.errors import ValidationError
from review_app.exporters.ris import dumps_ris
from review_app.exporters.tabular import dumps_csv, dumps_xlsx
from review_app.importers.record import RecordIn
from review_app.models import ImportBatch, Record
from review_app.services.exports.registry import EXPORTS, RECORD_STAGES
from review_app.services.permissions import Actor, require_role
from review_app.services.prisma import included_report_ids
from review_app.services.progress import stage_statuses, unique_record_ids
from review_app.services.reporting import to_record_in

RECORD_FORMATS = EXPORTS["records"].formats
STAGE_HELP = (
    "all: every imported record, duplicates too; unique: without duplicates; title_abstract: "
    "the records screened on title and abstract (= unique); full_text: those that passed title/"
    "abstract screening; included: those that passed full-text screening"
)


def export_records(
    session: Session, *, actor: Actor, review_id: int, format: str, stage: str = "all"
) -> bytes:
    """The review's records in ``format``; our RIS re-imports to identical normalised records."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    if format not in RECORD_FORMATS:
        raise ValidationError(f"format {format!r}: allowed are {', '.join(RECORD_FORMATS)}")
    records = list(_records_at(session, review_id=review_id, stage=stage))
    if format == "ris":
        return dumps_ris(records).encode("utf-8")
    return dumps_csv(records) if format == "csv" else dumps_xlsx(records)


def _records_at(session: Session, *, review_id: int, stage: str) -> Iterator[RecordIn]:
    ids = _record_ids_at(session, review_id=review_id, stage=stage)
    query = (
        select(Record)
        .join(ImportBatch, col(ImportBatch.id) == Record.import_batch_id)
        .where(Record.review_id == review_id, ImportBatch.status == "active")
        .order_by(col(Record.id))
    )
    for record in session.exec(query):
        if ids is None or record.id in ids:
            yield to_record_in(record)


def _record_ids_at(session: Session, *, review_id: int, stage: str) -> set[int] | None:
    """The records at ``stage``; None for all of them."""
    if stage not in RECORD_STAGES:
        raise ValidationError(f"stage {stage!r}: allowed are {STAGE_HELP}")
    if stage == "all":
        return None
    if stage == "included":  # one definition for every export: PRISMA's reports included
        return set(included_report_ids(session, review_id=review_id))
    ids = unique_record_ids(session, review_id=review_id)
    if stage in ("unique", Stage.TITLE_ABSTRACT):
        return set(ids)
    statuses = stage_statuses(
        session, review_id=review_id, stage=Stage.TITLE_ABSTRACT, record_ids=ids
    )
    return {rid for rid, status in statuses.items() if status is StageStatus.INCLUDED}
