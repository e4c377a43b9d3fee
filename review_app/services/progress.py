"""Where a review stands: records by stage and each reviewer's progress, counted from the tables."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from review_app.domain.consensus import stage_status
from review_app.domain.vocabulary import STAGES, Role, Stage, StageStatus
from review_app.models import (
    ClusterMember,
    Decision,
    DuplicateCluster,
    FullText,
    ImportBatch,
    Membership,
    Record,
    Resolution,
    User,
)
from review_app.services.permissions import Actor, can_see_all_votes, require_role
from review_app.services.releases import released_record_ids
from review_app.services.reviews import get_protocol, get_review


@dataclass(frozen=True, slots=True)
class StageCounts:
    stage: str
    eligible: int  # records that reach this stage
    fully_voted: int  # records with all the votes the protocol asks for, or a lead's decision
    # Status breakdown (conflicts, included, excluded): None for a reviewer while the review is
    # blind, since a conflict count that moves after one's own vote reveals the other vote.
    counts: dict[StageStatus, int] | None


@dataclass(frozen=True, slots=True)
class ReviewerProgress:
    name: str
    role: str
    votes: dict[str, int]  # stage -> number of records voted on


@dataclass(frozen=True, slots=True)
class ReviewProgress:
    records_imported: int
    duplicates: int
    unique_records: int
    import_batches: int
    stages: list[StageCounts]
    full_texts_not_retrieved: int
    reviewers: list[ReviewerProgress]


def unique_record_conditions(review_id: int) -> list[ColumnElement[bool]]:
    """Conditions on ``Record`` for the records that are screened: in an active import and not a
    secondary copy in an active cluster. Applied to the outer query directly (not as ``id IN
    (subquery)``), the database reads them from indexes instead of every wide record row."""
    active_batches = select(ImportBatch.id).where(
        ImportBatch.review_id == review_id, ImportBatch.status == "active"
    )
    secondary = (
        select(ClusterMember.record_id)
        .join(DuplicateCluster, col(DuplicateCluster.id) == ClusterMember.cluster_id)
        .where(DuplicateCluster.status == "active", col(ClusterMember.is_primary).is_(False))
    )
    return [
        col(Record.review_id) == review_id,
        col(Record.import_batch_id).in_(active_batches),
        col(Record.id).not_in(secondary),
    ]


def unique_records_select(review_id: int) -> SelectOfScalar[int | None]:
    """Ids of the records that are screened (see ``unique_record_conditions``)."""
    return select(col(Record.id)).where(*unique_record_conditions(review_id))


def unique_record_ids(session: Session, *, review_id: int) -> list[int]:
    """The records that are screened: one per duplicate cluster, in id order."""
    query = unique_records_select(review_id).order_by(col(Record.id))
    return [record_id for record_id in session.exec(query) if record_id is not None]


def votes_and_resolutions(
    session: Session, *, review_id: int, stage: Stage | str
) -> tuple[dict[int, list[str]], dict[int, str]]:
    """Every record's votes at one stage (record id -> votes) and the leads' resolutions
    (record id -> vote), two queries for the whole review."""
    votes: dict[int, list[str]] = defaultdict(list)
    for record_id, vote in session.exec(
        select(Decision.record_id, Decision.vote).where(
            Decision.review_id == review_id, Decision.stage == stage
        )
    ):
        votes[record_id].append(vote)
    resolutions = dict(
        session.exec(
            select(Resolution.record_id, Resolution.vote).where(
                Resolution.review_id == review_id, Resolution.stage == stage
            )
        ).all()
    )
    return votes, resolutions


def stage_statuses(
    session: Session, *, review_id: int, stage: Stage | str, record_ids: list[int]
) -> dict[int, StageStatus]:
    """The status of each given record at one stage, from all votes and resolutions."""
    settings = get_protocol(session, review_id).screening
    votes, resolutions = votes_and_resolutions(session, review_id=review_id, stage=stage)
    return {
        record_id: stage_status(
            votes.get(record_id, []),
            reviewers_per_record=settings.reviewers_per_record,
            maybe_counts_as=settings.maybe_counts_as,
            resolution=resolutions.get(record_id),
        )
        for record_id in record_ids
    }


def review_progress(session: Session, *, actor: Actor, review_id: int) -> ReviewProgress:
    """Counts for the dashboard; never whose vote was what, and no outcome counts for a
    reviewer while the review is blind.

    While blind, a reviewer's next stage counts only the records whose outcome a lead has
    released (``releases``): a count of records passed on would otherwise move after the
    reviewer's own include vote exactly when the other reviewer had included too.
    """
    role = require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    sees_outcomes = can_see_all_votes(role) or not get_review(session, review_id).is_blind
    imported = _count_imported(session, review_id)
    eligible = unique_record_ids(session, review_id=review_id)
    stages = []
    for stage in STAGES:
        statuses = stage_statuses(session, review_id=review_id, stage=stage, record_ids=eligible)
        counts = Counter(statuses.values())
        pending = counts[StageStatus.UNSCREENED] + counts[StageStatus.AWAITING]
        stages.append(
            StageCounts(
                stage=stage,
                eligible=len(eligible),
                fully_voted=len(eligible) - pending,
                counts={s: counts[s] for s in StageStatus} if sees_outcomes else None,
            )
        )
        released = (
            None
            if sees_outcomes
            else released_record_ids(session, review_id=review_id, stage=stage)
        )
        eligible = [
            rid
            for rid, status in statuses.items()
            if status is StageStatus.INCLUDED and (released is None or rid in released)
        ]
    return ReviewProgress(
        records_imported=imported,
        duplicates=imported - stages[0].eligible,
        unique_records=stages[0].eligible,
        import_batches=_count_batches(session, review_id),
        stages=stages,
        full_texts_not_retrieved=_count_not_retrieved(session, review_id),
        reviewers=_reviewer_progress(session, review_id),
    )


def _count_imported(session: Session, review_id: int) -> int:
    query = (
        select(func.count())
        .select_from(Record)
        .join(ImportBatch, col(ImportBatch.id) == Record.import_batch_id)
        .where(Record.review_id == review_id, ImportBatch.status == "active")
    )
    return session.exec(query).one()


def _count_batches(session: Session, review_id: int) -> int:
    query = (
        select(func.count())
        .select_from(ImportBatch)
        .where(ImportBatch.review_id == review_id, ImportBatch.status == "active")
    )
    return session.exec(query).one()


def _count_not_retrieved(session: Session, review_id: int) -> int:
    query = (
        select(func.count())
        .select_from(FullText)
        .join(Record, col(Record.id) == FullText.record_id)
        .where(Record.review_id == review_id, FullText.status == "not_retrieved")
    )
    return session.exec(query).one()


def _reviewer_progress(session: Session, review_id: int) -> list[ReviewerProgress]:
    counts: dict[tuple[int | None, str], int] = {
        (reviewer_id, stage): n
        for reviewer_id, stage, n in session.exec(
            select(Decision.reviewer_id, Decision.stage, func.count())
            .where(Decision.review_id == review_id)
            .group_by(col(Decision.reviewer_id), col(Decision.stage))
        )
    }
    members = session.exec(
        select(User.id, User.name, Membership.role)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.review_id == review_id)
        .order_by(User.name)
    )
    return [
        ReviewerProgress(
            name=name, role=role, votes={stage: counts.get((uid, stage), 0) for stage in STAGES}
        )
        for uid, name, role in members
    ]
