"""Conflicts between reviewers and the leads' resolutions (leads and admins only)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from review_app.domain.consensus import StageStatus
from review_app.domain.vocabulary import Role, Stage, Vote, check_stage
from review_app.errors import ValidationError
from review_app.models import Record, Resolution, User, utcnow
from review_app.protocol import Protocol
from review_app.services.audit import record_event
from review_app.services.permissions import Actor, require_role
from review_app.services.progress import stage_statuses, unique_record_ids
from review_app.services.reviews import get_protocol
from review_app.services.screening import (
    RecordView,
    VoteProblem,
    VoteView,
    raise_first,
    reason_problems,
    record_view,
    votes_on,
)
from review_app.services.snapshots import snapshot


@dataclass(frozen=True, slots=True)
class ConflictView:
    record: RecordView
    stage: str
    votes: list[VoteView]

    @property
    def reviewers(self) -> tuple[str, ...]:
        return tuple(sorted(v.reviewer for v in self.votes))


@dataclass(frozen=True, slots=True)
class ResolutionView:
    record_id: int
    stage: str
    lead: str
    vote: str
    reason: str | None
    note: str | None
    updated_at: datetime


def list_conflicts(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    stage: Stage | str,
    reviewer_pair: tuple[str, str] | None = None,
) -> list[ConflictView]:
    """Records whose votes disagree and that no lead has resolved yet, with every vote."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    check_stage(stage)
    ids = _stage_record_ids(session, review_id=review_id, stage=stage)
    statuses = stage_statuses(session, review_id=review_id, stage=stage, record_ids=ids)
    conflicted = [rid for rid, status in statuses.items() if status is StageStatus.CONFLICT]
    votes: dict[int, list[VoteView]] = defaultdict(list)
    for vote in votes_on(
        session, actor=actor, review_id=review_id, record_ids=conflicted, stage=stage
    ):
        votes[vote.record_id].append(vote)
    records = session.exec(select(Record).where(col(Record.id).in_(conflicted)))
    conflicts = [ConflictView(record_view(r), stage, votes[r.id]) for r in records if r.id]
    if reviewer_pair is not None:
        wanted = tuple(sorted(reviewer_pair))
        conflicts = [c for c in conflicts if c.reviewers == wanted]
    return sorted(conflicts, key=lambda c: c.record.id)


def resolve(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    record_id: int,
    stage: Stage | str,
    vote: str,
    reason: str | None = None,
    note: str | None = None,
) -> ResolutionView:
    """A lead's final decision on a record at a stage; replaces an earlier one (audited)."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    protocol = get_protocol(session, review_id)
    raise_first(resolution_problems(protocol, stage=check_stage(stage), vote=vote, reason=reason))
    record = session.get(Record, record_id)
    if record is None or record.review_id != review_id:
        raise ValidationError(f"no record {record_id} in review {review_id}")
    resolution = session.exec(
        select(Resolution).where(Resolution.record_id == record_id, Resolution.stage == stage)
    ).first()
    before = _state(resolution) if resolution else None
    lead_id = actor.user_id
    if lead_id is None:
        raise ValidationError("resolving a conflict needs a lead: log in to resolve")
    resolution = resolution or Resolution(
        review_id=review_id, record_id=record_id, stage=stage, lead_id=lead_id, vote=vote
    )
    resolution.lead_id, resolution.vote = lead_id, vote
    resolution.reason, resolution.note = reason or None, (note or "").strip() or None
    resolution.updated_at = utcnow()
    session.add(resolution)
    session.flush()
    record_event(
        session,
        review_id=review_id,
        user_id=lead_id,
        action="resolution.update" if before else "resolution.create",
        entity="resolution",
        entity_id=resolution.id,
        before=before,
        after=_state(resolution),
    )
    return _view(resolution, session.get(User, lead_id).name)  # type: ignore[union-attr]


def list_resolutions(session: Session, *, actor: Actor, review_id: int) -> list[ResolutionView]:
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    rows = session.exec(
        select(Resolution, User.name)
        .join(User, col(User.id) == Resolution.lead_id)
        .where(Resolution.review_id == review_id)
        .order_by(col(Resolution.updated_at).desc())
    )
    return [_view(resolution, name) for resolution, name in rows]


def _stage_record_ids(session: Session, *, review_id: int, stage: Stage | str) -> list[int]:
    ids = unique_record_ids(session, review_id=review_id)
    if stage == Stage.TITLE_ABSTRACT:
        return ids
    statuses = stage_statuses(
        session, review_id=review_id, stage=Stage.TITLE_ABSTRACT, record_ids=ids
    )
    return [rid for rid, status in statuses.items() if status is StageStatus.INCLUDED]


FINAL_VOTES = (Vote.INCLUDE, Vote.EXCLUDE)  # a lead's final decision is never maybe


def resolution_problems(
    protocol: Protocol, *, stage: Stage, vote: str, reason: str | None
) -> list[VoteProblem]:
    """What the protocol refuses in a lead's final decision (``resolve`` raises the first):
    include or exclude, and the exclusion-reason rules of a vote."""
    problems = []
    if vote not in FINAL_VOTES:
        allowed = ", ".join(FINAL_VOTES)
        message = f"final decision {str(vote)!r}: allowed are {allowed} (never maybe)"
        problems.append(VoteProblem("vote", message))
    return problems + reason_problems(protocol, stage=stage, vote=vote, reason=reason)


# What an audit event records of a resolution.
_AUDITED = ("record_id", "stage", "vote", "reason", "note", "lead_id")


def _state(resolution: Resolution) -> dict[str, object]:
    return snapshot(resolution, _AUDITED)


def _view(resolution: Resolution, lead: str) -> ResolutionView:
    return ResolutionView(
        record_id=resolution.record_id,
        stage=resolution.stage,
        lead=lead,
        vote=resolution.vote,
        reason=resolution.reason,
        note=resolution.note,
        updated_at=resolution.updated_at,
    )
