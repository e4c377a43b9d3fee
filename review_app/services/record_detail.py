"""One record in full, for the records browser: its fields, the copies merged into it (each with
its import), its screening history, its full text and its study.

Blinding as everywhere: while a review is blind a reviewer gets their own votes only, the status
of an outcome only once a lead released or resolved it, no lead's resolution (its reason and
note), and the full text only of a record a lead sent on to full text. Leads and admins (and
everyone once the review is unblinded) see every vote and resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from review_app.domain.record_fields import NAMES
from review_app.domain.vocabulary import Role, Stage, StageStatus
from review_app.errors import NotFoundError
from review_app.models import (
    ClusterMember,
    DuplicateCluster,
    ImportBatch,
    Record,
    Resolution,
    StudyReport,
    User,
)
from review_app.services.fulltext import FullTextView, get_fulltext
from review_app.services.permissions import Actor, can_see_all_votes, require_role
from review_app.services.records_browser import Outcome, record_outcomes
from review_app.services.reviews import get_review
from review_app.services.screening import RecordView, VoteView, record_view, votes_on
from review_app.services.studies import StudyView, get_study


@dataclass(frozen=True, slots=True)
class RecordSource:
    """One imported copy of a record: the file and database it came from."""

    record_id: int
    title: str
    authors: list[str]
    year: int | None
    source: str  # the import's source database
    file_name: str
    import_batch_id: int
    position: int  # 1-based record number within its file
    source_record_id: str | None  # the database's own id
    imported_at: datetime
    imported_by: str | None  # None: imported from the command line
    is_primary: bool  # the copy kept in screening


@dataclass(frozen=True, slots=True)
class ResolutionInfo:
    """A lead's final decision on the record at a stage (leads, or everyone once unblinded)."""

    lead: str
    vote: str
    reason: str | None
    note: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StageHistory:
    stage: Stage
    status: StageStatus | None  # None: not known to a reviewer while the review is blind
    votes: list[VoteView]  # the votes the actor may see, oldest first
    resolution: ResolutionInfo | None


@dataclass(frozen=True, slots=True)
class RecordDetail:
    record: RecordView
    raw: dict[str, Any]  # the fields as the file had them
    sources: list[RecordSource]  # this record and every copy in its active cluster, primary first
    duplicate_of: int | None  # the primary, when this record is a copy set aside
    merged_by: str | None  # "auto" or "manual" when the record is in an active cluster
    outcome: Outcome  # where the record stands, as the actor may know
    history: list[StageHistory]
    full_text: FullTextView | None
    study: StudyView | None
    sees_outcomes: bool

    @property
    def fields(self) -> list[tuple[str, Any]]:
        """Every declared bibliographic field (``domain.record_fields``) with its value, in
        declaration order."""
        return [(name, getattr(self.record, name)) for name in NAMES]

    @property
    def source(self) -> RecordSource:
        return next(s for s in self.sources if s.record_id == self.record.id)


def get_record_detail(
    session: Session, *, actor: Actor, review_id: int, record_id: int
) -> RecordDetail:
    """Everything about one record that the actor may see."""
    role = require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    sees_outcomes = can_see_all_votes(role) or not get_review(session, review_id).is_blind
    record = session.get(Record, record_id)
    if record is None or record.review_id != review_id:
        raise NotFoundError(f"no record {record_id} in review {review_id}")
    cluster = _active_cluster(session, record_id)
    member_ids = _members(session, cluster) if cluster else [record_id]
    primary = cluster.primary_record_id if cluster else record_id
    outcome = record_outcomes(session, actor=actor, review_id=review_id, record_ids=[record_id])[
        record_id
    ]
    if primary != record_id:  # a copy set aside as a duplicate has left screening
        outcome = Outcome(None, None, None)
    return RecordDetail(
        record=record_view(record),
        raw=dict(record.raw),
        sources=_sources(session, member_ids, primary),
        duplicate_of=primary if primary != record_id else None,
        merged_by=cluster.decided_by if cluster else None,
        outcome=outcome,
        history=_history(session, actor, review_id, record_id, outcome, sees_outcomes),
        full_text=_full_text(session, actor, review_id, record_id, outcome, sees_outcomes),
        study=_study(session, actor, review_id, record_id),
        sees_outcomes=sees_outcomes,
    )


def _active_cluster(session: Session, record_id: int) -> DuplicateCluster | None:
    return session.exec(
        select(DuplicateCluster)
        .join(ClusterMember, col(ClusterMember.cluster_id) == DuplicateCluster.id)
        .where(ClusterMember.record_id == record_id, DuplicateCluster.status == "active")
    ).first()


def _members(session: Session, cluster: DuplicateCluster) -> list[int]:
    query = select(ClusterMember.record_id).where(ClusterMember.cluster_id == cluster.id)
    return list(session.exec(query))


def _sources(session: Session, record_ids: list[int], primary: int) -> list[RecordSource]:
    rows = session.exec(
        select(Record, ImportBatch, User.name)
        .join(ImportBatch, col(ImportBatch.id) == Record.import_batch_id)
        .join(User, col(User.id) == ImportBatch.imported_by_id, isouter=True)
        .where(col(Record.id).in_(record_ids))
        .order_by(col(Record.id))
    )
    sources = [
        RecordSource(
            record_id=record.id,  # type: ignore[arg-type]
            title=record.title,
            authors=list(record.authors),
            year=record.year,
            source=batch.source_name,
            file_name=batch.file_name,
            import_batch_id=batch.id,  # type: ignore[arg-type]
            position=record.position,
            source_record_id=record.source_record_id,
            imported_at=batch.imported_at,
            imported_by=name,
            is_primary=record.id == primary,
        )
        for record, batch, name in rows
    ]
    return sorted(sources, key=lambda s: not s.is_primary)


def _history(
    session: Session,
    actor: Actor,
    review_id: int,
    record_id: int,
    outcome: Outcome,
    sees_outcomes: bool,
) -> list[StageHistory]:
    """Per stage: the status as the actor may know it, the votes they may see, and the lead's
    resolution for those who see outcomes."""
    resolutions = _resolutions(session, record_id) if sees_outcomes else {}
    known = _known_statuses(outcome)
    history = []
    for stage in Stage:
        votes = votes_on(
            session, actor=actor, review_id=review_id, record_ids=[record_id], stage=stage
        )
        history.append(StageHistory(stage, known.get(stage), votes, resolutions.get(stage)))
    return history


def _known_statuses(outcome: Outcome) -> dict[Stage, StageStatus | None]:
    """The status at each stage the record reached, as the actor may know it (none for a
    duplicate copy)."""
    if outcome.stage is None:
        return {}
    if outcome.stage is Stage.FULL_TEXT:
        return {Stage.TITLE_ABSTRACT: StageStatus.INCLUDED, Stage.FULL_TEXT: outcome.status}
    return {Stage.TITLE_ABSTRACT: outcome.status}


def _resolutions(session: Session, record_id: int) -> dict[Stage, ResolutionInfo]:
    rows = session.exec(
        select(Resolution, User.name)
        .join(User, col(User.id) == Resolution.lead_id)
        .where(Resolution.record_id == record_id)
    )
    return {
        Stage(r.stage): ResolutionInfo(name, r.vote, r.reason, r.note, r.updated_at)
        for r, name in rows
    }


def _full_text(
    session: Session,
    actor: Actor,
    review_id: int,
    record_id: int,
    outcome: Outcome,
    sees_outcomes: bool,
) -> FullTextView | None:
    """The record's full text; for a blind reviewer only once a lead sent the record on to
    full text (a full text recorded earlier would tell that it passed title/abstract)."""
    if not sees_outcomes and outcome.stage is not Stage.FULL_TEXT:
        return None
    return get_fulltext(session, actor=actor, review_id=review_id, record_id=record_id)


def _study(session: Session, actor: Actor, review_id: int, record_id: int) -> StudyView | None:
    """The study the record is a report of (any member may list the studies)."""
    study_id = session.exec(
        select(StudyReport.study_id).where(StudyReport.record_id == record_id)
    ).first()
    if study_id is None:
        return None
    return get_study(session, actor=actor, review_id=review_id, study_id=study_id)
