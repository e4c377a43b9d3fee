"""Screening votes: the next record to screen, voting, changing and undoing one's own votes.

Blinding is enforced here, not in the pages: while a review is blind, nothing in this module
returns another reviewer's vote, reason or note to a reviewer. Leads and admins see everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, cast, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from review_app.domain.consensus import StageStatus
from review_app.errors import NotFoundError, ValidationError
from review_app.models import Decision, FullText, Record, RecordRank, Resolution, User, utcnow
from review_app.models.base import STAGES, VOTES
from review_app.protocol import Protocol
from review_app.services.audit import record_event
from review_app.services.permissions import Actor, can_see_all_votes, require_role
from review_app.services.progress import (
    stage_statuses,
    unique_record_conditions,
    unique_record_ids,
    unique_records_select,
)
from review_app.services.reviews import get_protocol, get_review

# A stable pseudo-random screening order (Knuth's multiplicative hash of the id), so that
# records from one source or one year do not come in a block; both reviewers share it.
_ORDER_MULTIPLIER = 2654435761
_ORDER_MODULUS = 4294967291


@dataclass(frozen=True, slots=True)
class RecordView:
    id: int
    title: str
    abstract: str | None
    authors: list[str]
    year: int | None
    journal: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    doi: str | None
    pmid: str | None
    url: str | None
    keywords: list[str]


@dataclass(frozen=True, slots=True)
class VoteView:
    record_id: int
    reviewer_id: int
    reviewer: str
    stage: str
    vote: str
    reason: str | None
    note: str | None
    tags: list[str]
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ScreeningItem:
    """One record as a reviewer sees it: their own vote, and others' only when allowed."""

    record: RecordView
    stage: str
    my_vote: VoteView | None
    other_votes: list[VoteView] = field(default_factory=list)
    resolution: str | None = None  # shown to leads, or to everyone once unblinded


def next_record(
    session: Session, *, actor: Actor, review_id: int, stage: str
) -> ScreeningItem | None:
    """The next record that still needs votes and that this reviewer has not voted on."""
    reviewer_id = _reviewer_id(session, actor, review_id)
    record_id = _next_record_id(session, review_id=review_id, stage=stage, reviewer_id=reviewer_id)
    if record_id is None:
        return None
    return get_item(session, actor=actor, review_id=review_id, record_id=record_id, stage=stage)


def count_remaining(session: Session, *, actor: Actor, review_id: int, stage: str) -> int:
    """How many records this reviewer could still be given at this stage."""
    reviewer_id = _reviewer_id(session, actor, review_id)
    query = _candidates(session, review_id=review_id, stage=stage, reviewer_id=reviewer_id)
    return session.exec(select(func.count()).select_from(query.subquery())).one()


def get_item(
    session: Session, *, actor: Actor, review_id: int, record_id: int, stage: str
) -> ScreeningItem:
    """A record with the votes this actor may see."""
    check_stage(stage)
    role = require_role(session, actor=actor, review_id=review_id, at_least="reviewer")
    record = _record(session, review_id, record_id)
    votes = votes_on(session, record_ids=[record_id], stage=stage)
    sees_all = can_see_all_votes(role) or not get_review(session, review_id).is_blind
    mine = [v for v in votes if v.reviewer_id == actor.user_id]
    resolution = session.exec(
        select(Resolution.vote).where(Resolution.record_id == record_id, Resolution.stage == stage)
    ).first()
    return ScreeningItem(
        record=record_view(record),
        stage=stage,
        my_vote=mine[0] if mine else None,
        other_votes=[v for v in votes if v.reviewer_id != actor.user_id] if sees_all else [],
        resolution=resolution if sees_all else None,
    )


def list_my_votes(
    session: Session, *, actor: Actor, review_id: int, stage: str, limit: int | None = None
) -> list[tuple[VoteView, RecordView]]:
    """This reviewer's own votes, newest first, to look back at and change."""
    reviewer_id = _reviewer_id(session, actor, review_id)
    check_stage(stage)
    query = (
        select(Decision, Record, User.name)
        .join(Record, col(Record.id) == Decision.record_id)
        .join(User, col(User.id) == Decision.reviewer_id)
        .where(Decision.review_id == review_id, Decision.stage == stage)
        .where(Decision.reviewer_id == reviewer_id)
        .order_by(col(Decision.updated_at).desc(), col(Decision.id).desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return [(_vote_view(d, name), record_view(r)) for d, r, name in session.exec(query)]


def record_vote(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    record_id: int,
    stage: str,
    vote: str,
    reason: str | None = None,
    note: str | None = None,
    tags: list[str] | None = None,
) -> VoteView:
    """Cast or change this reviewer's vote (one per record and stage, audited)."""
    reviewer_id = _reviewer_id(session, actor, review_id)
    protocol = get_protocol(session, review_id)
    _check_vote(protocol, stage=stage, vote=vote, reason=reason)
    _check_eligible(session, review_id=review_id, record_id=record_id, stage=stage)
    values: dict[str, object] = {
        "vote": vote,
        "reason": reason or None,
        "note": (note or "").strip() or None,
        "tags": sorted({t.strip() for t in tags or [] if t.strip()}),
    }
    decision = _find_decision(session, record_id, reviewer_id, stage)
    before = _decision_state(decision) if decision else None
    if decision is None:
        decision = _insert_decision(session, review_id, record_id, reviewer_id, stage, values)
    if before is None or _changed(decision, values):
        for name, value in values.items():
            setattr(decision, name, value)
        decision.updated_at = utcnow()
        session.add(decision)
        session.flush()
        record_event(
            session,
            review_id=review_id,
            user_id=actor.user_id,
            action="vote.update" if before else "vote.create",
            entity="decision",
            entity_id=decision.id,
            before=before,
            after={"record_id": record_id, "stage": stage, **values},
        )
    name = session.get(User, reviewer_id).name  # type: ignore[union-attr]
    return _vote_view(decision, name)


def undo_last_vote(
    session: Session, *, actor: Actor, review_id: int, stage: str
) -> VoteView | None:
    """Withdraw this reviewer's most recent vote at this stage (audited); None when none is left."""
    reviewer_id = _reviewer_id(session, actor, review_id)
    check_stage(stage)
    decision = session.exec(
        select(Decision)
        .where(Decision.review_id == review_id, Decision.stage == stage)
        .where(Decision.reviewer_id == reviewer_id)
        .order_by(col(Decision.updated_at).desc(), col(Decision.id).desc())
    ).first()
    if decision is None:
        return None
    view = _vote_view(decision, session.get(User, reviewer_id).name)  # type: ignore[union-attr]
    record_event(
        session,
        review_id=review_id,
        user_id=actor.user_id,
        action="vote.undo",
        entity="decision",
        entity_id=decision.id,
        before=_decision_state(decision),
    )
    session.delete(decision)
    session.flush()
    return view


# --- queries ------------------------------------------------------------------------------------


def _candidates(
    session: Session, *, review_id: int, stage: str, reviewer_id: int
) -> SelectOfScalar[Any]:
    """Records at this stage that need more votes, have no resolution and lack my vote."""
    check_stage(stage)
    mine = select(Decision.record_id).where(
        Decision.review_id == review_id,
        Decision.reviewer_id == reviewer_id,
        Decision.stage == stage,
    )
    resolved = select(Resolution.record_id).where(
        Resolution.review_id == review_id, Resolution.stage == stage
    )
    return (
        select(Record.id)
        .where(*_eligible_conditions(session, review_id=review_id, stage=stage))
        .where(col(Record.id).not_in(mine), col(Record.id).not_in(resolved))
        .where(col(Record.id).not_in(_fully_voted(session, review_id=review_id, stage=stage)))
    )


def _fully_voted(session: Session, *, review_id: int, stage: str) -> SelectOfScalar[int]:
    """Records with all the votes the protocol asks for at this stage (one grouped pass over the
    votes, not a count per record)."""
    needed = get_protocol(session, review_id).screening.reviewers_per_record
    return (
        select(Decision.record_id)
        .where(Decision.review_id == review_id, Decision.stage == stage)
        .group_by(col(Decision.record_id))
        .having(func.count() >= needed)
    )


def _next_record_id(
    session: Session, *, review_id: int, stage: str, reviewer_id: int
) -> int | None:
    """Ranked records first (active learning, likeliest includes on top), then the stable order."""
    order = (cast(col(Record.id), BigInteger) * _ORDER_MULTIPLIER) % _ORDER_MODULUS
    query = _candidates(session, review_id=review_id, stage=stage, reviewer_id=reviewer_id)
    if stage == "title_abstract":
        query = query.outerjoin(RecordRank, col(RecordRank.record_id) == Record.id).order_by(
            col(RecordRank.score).desc().nulls_last()
        )
    return session.exec(query.order_by(order, col(Record.id)).limit(1)).first()


def _eligible_conditions(
    session: Session, *, review_id: int, stage: str
) -> list[ColumnElement[bool]]:
    """Which records a stage screens, as conditions on ``Record``: the unique records at
    title/abstract (never the whole id list, which could pass the database's parameter limit),
    a short list at full text."""
    if stage == "title_abstract":
        return unique_record_conditions(review_id)
    return [col(Record.id).in_(_full_text_eligible_ids(session, review_id=review_id))]


def _full_text_eligible_ids(session: Session, *, review_id: int) -> list[int]:
    """Records that passed title/abstract screening and whose full text is not "not retrieved"."""
    ids = unique_record_ids(session, review_id=review_id)
    statuses = stage_statuses(session, review_id=review_id, stage="title_abstract", record_ids=ids)
    passed = [rid for rid, status in statuses.items() if status is StageStatus.INCLUDED]
    not_retrieved = set(
        session.exec(select(FullText.record_id).where(FullText.status == "not_retrieved"))
    )
    return [rid for rid in passed if rid not in not_retrieved]


def votes_on(session: Session, *, record_ids: list[int], stage: str) -> list[VoteView]:
    """Every vote on these records: callers must apply the blinding rules."""
    rows = session.exec(
        select(Decision, User.name)
        .join(User, col(User.id) == Decision.reviewer_id)
        .where(col(Decision.record_id).in_(record_ids), Decision.stage == stage)
        .order_by(col(Decision.created_at))
    )
    return [_vote_view(decision, name) for decision, name in rows]


def _find_decision(
    session: Session, record_id: int, reviewer_id: int, stage: str
) -> Decision | None:
    return session.exec(
        select(Decision).where(
            Decision.record_id == record_id,
            Decision.reviewer_id == reviewer_id,
            Decision.stage == stage,
        )
    ).first()


def _insert_decision(
    session: Session,
    review_id: int,
    record_id: int,
    reviewer_id: int,
    stage: str,
    values: dict[str, object],
) -> Decision:
    """Insert the vote; if a concurrent request (a double click) inserted it first, use that row.

    The unique constraint on (record, reviewer, stage) decides; the savepoint keeps the rest of
    the unit of work intact when it refuses the second insert.
    """
    decision = Decision.model_validate(
        {
            "review_id": review_id,
            "record_id": record_id,
            "reviewer_id": reviewer_id,
            "stage": stage,
            **values,
        }
    )
    try:
        with session.begin_nested():
            session.add(decision)
    except IntegrityError:
        existing = _find_decision(session, record_id, reviewer_id, stage)
        if existing is None:
            raise
        return existing
    return decision


def _record(session: Session, review_id: int, record_id: int) -> Record:
    record = session.get(Record, record_id)
    if record is None or record.review_id != review_id:
        raise NotFoundError(f"no record {record_id} in review {review_id}")
    return record


# --- checks ------------------------------------------------------------------------------------


def _reviewer_id(session: Session, actor: Actor, review_id: int) -> int:
    require_role(session, actor=actor, review_id=review_id, at_least="reviewer")
    if actor.user_id is None:
        raise ValidationError(
            "screening needs a reviewer: log in to vote (the command line cannot)"
        )
    return actor.user_id


def check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise ValidationError(f"stage {stage!r}: allowed are {', '.join(STAGES)}")


def _check_vote(protocol: Protocol, *, stage: str, vote: str, reason: str | None) -> None:
    check_stage(stage)
    allowed = [v for v in VOTES if v != "maybe" or protocol.screening.allow_maybe]
    if vote not in allowed:
        raise ValidationError(f"vote {vote!r}: allowed are {', '.join(allowed)}")
    reasons = [
        r.id for r in protocol.exclusion_reasons if stage == "full_text" or r.stage == "both"
    ]
    if reason and vote != "exclude":
        raise ValidationError("an exclusion reason goes only with an exclude vote")
    if reason and reason not in reasons:
        raise ValidationError(f"exclusion reason {reason!r}: allowed are {', '.join(reasons)}")
    if stage == "full_text" and vote == "exclude" and not reason:
        raise ValidationError(
            f"excluding at full text needs a reason; allowed are {', '.join(reasons)}"
        )


def _check_eligible(session: Session, *, review_id: int, record_id: int, stage: str) -> None:
    _record(session, review_id, record_id)
    if stage == "title_abstract":
        query = unique_records_select(review_id).where(col(Record.id) == record_id)
        eligible = session.exec(query).first() is not None
    else:
        eligible = record_id in _full_text_eligible_ids(session, review_id=review_id)
    if not eligible:
        where = (
            "is a duplicate"
            if stage == "title_abstract"
            else "has not passed title/abstract screening or its full text was not retrieved"
        )
        raise ValidationError(f"record {record_id} {where}; it cannot be screened at {stage}")


# --- views -------------------------------------------------------------------------------------


def _decision_state(decision: Decision) -> dict[str, object]:
    return {
        "record_id": decision.record_id,
        "stage": decision.stage,
        "vote": decision.vote,
        "reason": decision.reason,
        "note": decision.note,
        "tags": list(decision.tags),
    }


def _changed(decision: Decision, values: dict[str, object]) -> bool:
    return any(getattr(decision, name) != value for name, value in values.items())


def _vote_view(decision: Decision, reviewer: str) -> VoteView:
    assert decision.id is not None
    return VoteView(
        record_id=decision.record_id,
        reviewer_id=decision.reviewer_id,
        reviewer=reviewer,
        stage=decision.stage,
        vote=decision.vote,
        reason=decision.reason,
        note=decision.note,
        tags=list(decision.tags),
        updated_at=decision.updated_at,
    )


def record_view(record: Record) -> RecordView:
    assert record.id is not None
    return RecordView(
        id=record.id,
        title=record.title,
        abstract=record.abstract,
        authors=list(record.authors),
        year=record.year,
        journal=record.journal,
        volume=record.volume,
        issue=record.issue,
        pages=record.pages,
        doi=record.doi,
        pmid=record.pmid,
        url=record.url,
        keywords=list(record.keywords),
    )


@dataclass(frozen=True, slots=True)
class ScreeningProgress:
    """A reviewer's progress at one stage, from counts only (no other reviewer's votes)."""

    my_votes: int
    remaining_for_me: int
    eligible: int
    fully_voted: int  # records with all the votes the protocol asks for, or a lead's decision
    seconds_per_vote: float | None  # my recent pace; None until there is enough to tell

    @property
    def seconds_left(self) -> float | None:
        if self.seconds_per_vote is None:
            return None
        return self.seconds_per_vote * self.remaining_for_me


PACE_WINDOW = 50  # recent votes used to estimate the pace
PAUSE_SECONDS = 600  # a longer gap between two votes is a break, not screening time
READING_SECONDS = 1  # a shorter gap is not a record read (a double-click, votes loaded in bulk)


def screening_progress(
    session: Session, *, actor: Actor, review_id: int, stage: str
) -> ScreeningProgress:
    reviewer_id = _reviewer_id(session, actor, review_id)
    eligible = _eligible_conditions(session, review_id=review_id, stage=stage)
    resolved = select(Resolution.record_id).where(
        Resolution.review_id == review_id, Resolution.stage == stage
    )
    fully_voted = _fully_voted(session, review_id=review_id, stage=stage)
    decided = col(Record.id).in_(fully_voted) | col(Record.id).in_(resolved)
    count = select(func.count()).select_from(Record).where(*eligible)
    my_votes = session.exec(
        select(func.count()).where(
            Decision.review_id == review_id,
            Decision.reviewer_id == reviewer_id,
            Decision.stage == stage,
        )
    ).one()
    return ScreeningProgress(
        my_votes=my_votes,
        remaining_for_me=count_remaining(session, actor=actor, review_id=review_id, stage=stage),
        eligible=session.exec(count).one(),
        fully_voted=session.exec(count.where(decided)).one(),
        seconds_per_vote=_pace(session, review_id=review_id, reviewer_id=reviewer_id, stage=stage),
    )


def _pace(session: Session, *, review_id: int, reviewer_id: int, stage: str) -> float | None:
    """Median seconds between my recent votes, leaving out breaks."""
    times = sorted(
        session.exec(
            select(Decision.created_at)
            .where(Decision.review_id == review_id, Decision.reviewer_id == reviewer_id)
            .where(Decision.stage == stage)
            .order_by(col(Decision.created_at).desc())
            .limit(PACE_WINDOW)
        )
    )
    gaps = [(b - a).total_seconds() for a, b in pairwise(times)]
    gaps = sorted(g for g in gaps if READING_SECONDS <= g <= PAUSE_SECONDS)
    return gaps[len(gaps) // 2] if len(gaps) >= 3 else None
