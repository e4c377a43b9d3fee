"""The included studies, every record with its votes and status (statuses), the audit log.

Spreadsheet exports (CSV: UTF-8 with a BOM, as ``review_app.exporters.tabular`` writes them; XLSX)
neutralise text cells that start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
(``exporters.tabular.neutralise``), so a title or a note never runs as a formula. Numbers stay
numbers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from review_app.domain.vocabulary import Role, Stage, StageStatus
from review_app.exporters import dumps_ris
from review_app.exporters.tabular import COLUMNS, table_csv, table_xlsx
from review_app.importers.record import RecordIn
from review_app.models import (
    AuditEvent,
    ClusterMember,
    DuplicateCluster,
    FullText,
    ImportBatch,
    Record,
    Study,
    StudyReport,
    User,
)
from review_app.services.decisions import decisions_rows
from review_app.services.exports.registry import EXPORTS
from review_app.services.permissions import Actor, require_role
from review_app.services.prisma import included_report_ids
from review_app.services.reporting import to_record_in

STUDY_COLUMNS = ("study", "study_id", "is_main_report", "record_id")
RECORD_COLUMNS = (
    "record_id",
    "source",
    "source_kind",
    "import_batch_id",
    "source_record_id",
    "title",
    "year",
    "doi",
    "pmid",
    "duplicate_of",
    "stage",
    "full_text",  # the full text's status (retrieved, not_retrieved...)
)
AUDIT_COLUMNS = ("at", "user", "action", "entity", "entity_id", "before", "after")
COMMAND_LINE = "(command line)"  # the user of an event made by the operator; not a valid name

Rows = list[list[object]]


@dataclass(frozen=True, slots=True)
class IncludedReport:
    study_label: str  # "" while the report is not linked to a study
    study_id: int | None
    is_main_report: bool
    record: RecordIn
    record_id: int


def export_included(session: Session, *, actor: Actor, review_id: int, format: str) -> bytes:
    """The reports included at full text with their study: RIS (the study label in ``LB``),
    CSV or XLSX (study columns first, then the record columns our CSV importer reads back).

    Ordered by study label with each study's main report first; reports not linked to a study
    yet come last, with an empty study label.
    """
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    EXPORTS["included"].check_format(format)
    reports = _included_reports(session, review_id=review_id)
    if format == "ris":
        return "\n".join(_ris(report) for report in reports).encode("utf-8")
    header = [*STUDY_COLUMNS, *COLUMNS]
    rows: Rows = [
        [
            r.study_label,
            r.study_id,
            "yes" if r.is_main_report else "",
            r.record_id,
            *(_joined(getattr(r.record, name)) for name in COLUMNS),
        ]
        for r in reports
    ]
    return _table(format, "included", header, rows)


def _included_reports(session: Session, *, review_id: int) -> list[IncludedReport]:
    """The included reports in export order."""
    ids = included_report_ids(session, review_id=review_id)
    if not ids:
        return []
    links = {
        report.record_id: (report, study)
        for report, study in session.exec(
            select(StudyReport, Study)
            .join(Study, col(Study.id) == StudyReport.study_id)
            .where(col(StudyReport.record_id).in_(ids))
        )
    }
    records = session.exec(select(Record).where(col(Record.id).in_(ids)))
    reports = []
    for record in records:
        assert record.id is not None
        report, study = links.get(record.id, (None, None))
        reports.append(
            IncludedReport(
                study_label=study.label if study else "",
                study_id=study.id if study else None,
                is_main_report=bool(report and report.is_main_report),
                record=to_record_in(record),
                record_id=record.id,
            )
        )
    return sorted(
        reports,
        key=lambda r: (
            r.study_id is None,
            r.study_label.casefold(),
            r.study_id or 0,
            not r.is_main_report,
            r.record_id,
        ),
    )


def export_statuses(session: Session, *, actor: Actor, review_id: int, format: str) -> bytes:
    """Every record of the active imports, duplicates too: where it came from, the stage it
    reached (duplicate, title_abstract, full_text, included), each reviewer's vote and reason per
    stage, the lead's resolutions, the status per stage and the final status."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    EXPORTS["statuses"].check_format(format)
    header, decided = decisions_rows(session, actor=actor, review_id=review_id)
    by_id = {row[0]: row[2:] for row in decided}  # without record_id and title
    votes = header[2:-1]
    copies = _primaries_of_copies(session, review_id)
    full_texts = _full_text_statuses(session, review_id)
    included = set(included_report_ids(session, review_id=review_id))
    rows: Rows = []
    for record, batch in _records(session, review_id):
        rid = record.id
        assert rid is not None
        primary = copies.get(rid)
        # a secondary copy left screening: no votes, its final status names its primary
        copy_row: list[object] = [*([""] * len(votes)), f"duplicate of record {primary}"]
        decisions = by_id.get(rid, copy_row)
        stage = _stage(decisions, primary=primary, is_included=rid in included, votes=votes)
        rows.append(
            [
                rid,
                batch.source_name,
                batch.source_kind,
                batch.id,
                record.source_record_id,
                record.title,
                record.year,
                record.doi,
                record.pmid,
                primary,
                stage,
                full_texts.get(rid, ""),
                *decisions,
            ]
        )
    return _table(format, "records", [*RECORD_COLUMNS, *votes, "final_status"], rows)


def export_audit(session: Session, *, actor: Actor, review_id: int, format: str = "csv") -> bytes:
    """The review's audit trail as CSV, oldest first: when (ISO 8601, UTC), who ("(command
    line)" for the operator), what, on which row, and the state before and after as JSON."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    EXPORTS["audit"].check_format(format)
    events = session.exec(
        select(AuditEvent, User.name)
        .join(User, col(User.id) == AuditEvent.user_id, isouter=True)
        .where(AuditEvent.review_id == review_id)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    rows: Rows = [
        [
            event.at.isoformat(),
            name or COMMAND_LINE,
            event.action,
            event.entity,
            event.entity_id,
            _json(event.before),
            _json(event.after),
        ]
        for event, name in events
    ]
    return table_csv(AUDIT_COLUMNS, rows, excel=True)


# --- rows ---------------------------------------------------------------------------------------


def _records(session: Session, review_id: int) -> list[tuple[Record, ImportBatch]]:
    return list(
        session.exec(
            select(Record, ImportBatch)
            .join(ImportBatch, col(ImportBatch.id) == Record.import_batch_id)
            .where(Record.review_id == review_id, ImportBatch.status == "active")
            .order_by(col(Record.id))
        ).all()
    )


def _primaries_of_copies(session: Session, review_id: int) -> dict[int, int]:
    """Secondary copy -> primary record, in the review's active duplicate clusters."""
    rows = session.exec(
        select(ClusterMember.record_id, DuplicateCluster.primary_record_id)
        .join(DuplicateCluster, col(DuplicateCluster.id) == ClusterMember.cluster_id)
        .where(DuplicateCluster.review_id == review_id, DuplicateCluster.status == "active")
        .where(col(ClusterMember.is_primary).is_(False))
    )
    return dict(rows.all())


def _full_text_statuses(session: Session, review_id: int) -> dict[int, str]:
    rows = session.exec(
        select(FullText.record_id, FullText.status)
        .join(Record, col(Record.id) == FullText.record_id)
        .where(Record.review_id == review_id)
    )
    return dict(rows.all())


def _stage(
    decisions: Sequence[object], *, primary: int | None, is_included: bool, votes: list[str]
) -> str:
    """The furthest stage the record reached."""
    if primary is not None:
        return "duplicate"
    if is_included:
        return "included"
    title_abstract = decisions[votes.index(f"{Stage.TITLE_ABSTRACT}:status")]
    passed = title_abstract == StageStatus.INCLUDED
    return (Stage.FULL_TEXT if passed else Stage.TITLE_ABSTRACT).value


def _ris(report: IncludedReport) -> str:
    """One record as RIS with its study label in LB (Label), as reference managers keep it."""
    text = dumps_ris([report.record])
    if not report.study_label:
        return text
    return text.replace("\nER  - ", f"\nLB  - {report.study_label}\nER  - ", 1)


def _joined(value: object) -> object:
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return value


def _json(value: object) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


# --- files --------------------------------------------------------------------------------------


def _table(format: str, sheet: str, header: list[str], rows: Rows) -> bytes:
    if format == "csv":
        return table_csv(header, rows, excel=True)
    return table_xlsx({sheet: (header, rows)})
