"""A lead's release of decided outcomes to the reviewers while a review is blind.

While blind, the outcome of a record at a stage (agreed by all the votes, or a conflict) is a
function of every reviewer's vote: a reviewer who voted include and then sees the record in their
full-text queue learns that the other reviewer voted include too. So, while blind, an outcome
reaches the reviewers only once a lead has released it (``StageRelease``) or resolved it
(``Resolution``); from then on the votes on it are final for the reviewers. Leads see everything.

A release takes every record that has all its votes, the conflicts too (they still go to the
lead, and only a resolution passes them on). Releasing agreed records alone would let a reviewer
who included a record and does not find it at full text infer a conflict, and change their vote
to agree before the lead sees it; with the conflicts frozen in the same release, which records
are released depends only on how many votes each has, never on what they are.
"""

from __future__ import annotations

from sqlalchemy import union
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from review_app.domain.consensus import StageStatus
from review_app.domain.vocabulary import Role, Stage, check_stage
from review_app.models import Resolution, StageRelease
from review_app.services.audit import record_event
from review_app.services.permissions import Actor, require_role

PENDING = (StageStatus.UNSCREENED, StageStatus.AWAITING)  # still waiting for votes


def released_record_ids_select(review_id: int, stage: Stage | str) -> SelectOfScalar[int]:
    """Ids of the records whose outcome at ``stage`` the reviewers may know: released by a lead
    or resolved by one. Use as ``col(Record.id).in_(released_record_ids_select(...))``."""
    released = select(StageRelease.record_id).where(
        StageRelease.review_id == review_id, StageRelease.stage == stage
    )
    resolved = select(Resolution.record_id).where(
        Resolution.review_id == review_id, Resolution.stage == stage
    )
    return select(union(released, resolved).subquery().c[0])


def released_record_ids(session: Session, *, review_id: int, stage: Stage | str) -> set[int]:
    """The same ids, as a set (for code that filters in Python)."""
    return set(session.exec(released_record_ids_select(review_id, stage)))


def _unreleased(session: Session, *, review_id: int, stage: Stage | str) -> list[int]:
    # Imported here: progress imports this module for the blind reviewer's counts.
    from review_app.services.progress import stage_statuses, unique_record_ids

    check_stage(stage)
    ids = unique_record_ids(session, review_id=review_id)
    statuses = stage_statuses(session, review_id=review_id, stage=stage, record_ids=ids)
    released = released_record_ids(session, review_id=review_id, stage=stage)
    return [
        rid for rid, status in statuses.items() if status not in PENDING and rid not in released
    ]


def count_unreleased(session: Session, *, actor: Actor, review_id: int, stage: Stage | str) -> int:
    """Records with all their votes at ``stage`` (agreed or a conflict), unreleased (leads)."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    return len(_unreleased(session, review_id=review_id, stage=stage))


def release_outcomes(session: Session, *, actor: Actor, review_id: int, stage: Stage | str) -> int:
    """Release every record with all its votes at ``stage`` to the reviewers (leads; audited):
    agreed ones move on (at title/abstract: to full text), conflicts wait for a lead's resolution,
    and the votes on all of them are final. Returns how many records were released. A resolution
    is a release by itself.
    """
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    record_ids = _unreleased(session, review_id=review_id, stage=stage)
    for record_id in record_ids:
        session.add(
            StageRelease(
                review_id=review_id,
                record_id=record_id,
                stage=stage,
                released_by_id=actor.user_id,
            )
        )
    session.flush()
    if record_ids:
        record_event(
            session,
            review_id=review_id,
            user_id=actor.user_id,
            action="stage.release",
            entity="review",
            entity_id=review_id,
            after={"stage": stage, "records": len(record_ids), "record_ids": record_ids},
        )
    return len(record_ids)
