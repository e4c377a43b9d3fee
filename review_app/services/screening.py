"""Screening votes: the next record to screen, voting, changing and undoing one's own votes.

Blinding is enforced here, not in the pages: while a review is blind, nothing in this module
returns another reviewer's vote, reason or note to a reviewer. Leads and admins see everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Delete,
    Update,
    cast,
    delete,
    func,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from review_app.domain.consensus import StageStatus
from review_app.domain.record_fields import Bibliographic, field_values
from review_app.domain.screening.keywords import compile_keywords, keyword_lists
from review_app.domain.vocabulary import Role, Stage, Vote, check_stage
from review_app.errors import NotFoundError, ValidationError
from review_app.models import (
    Decision,
    FullText,
    Record,
    Resolution,
    ScreeningSlot,
    StageRelease,
    User,
    utcnow,
)
from review_app.protocol import Protocol
from review_app.services.audit import record_event
from review_app.services.permissions import Actor, can_see_all_votes, require_role, role_of
from review_app.services.prioritisation import rank_order_join, ranking_owner
from review_app.services.progress import (
    stage_statuses,
    unique_record_conditions,
    unique_record_ids,
    unique_records_select,
)
from review_app.services.releases import released_record_ids
from review_app.services.reviews import get_protocol, get_review
from review_app.services.snapshots import snapshot

# A stable pseudo-random screening order (Knuth's multiplicative hash of the id), so that
# records from one source or one year do not come in a block; both reviewers share it.
_ORDER_MULTIPLIER = 2654435761
_ORDER_MODULUS = 4294967291
# How long a record shown to a reviewer stays reserved for their vote (the app passes
# ``Settings.lease_minutes``); a reload within it shows the same record.
LEASE_MINUTES = 10.0
# next_record tries this many candidates per round, for at most this many rounds, when other
# reviewers claim the last free slots first.
CLAIM_CANDIDATES = 25
CLAIM_ROUNDS = 3
_LOCK_SPACE = 0x5107  # the advisory-lock key space of screening claims (PostgreSQL)


@dataclass(slots=True, kw_only=True)
class RecordView(Bibliographic):
    """A stored record as the pages show it: its id and the declared fields
    (``domain.record_fields``); every stored record has a title."""

    id: int
    title: str


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
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    stage: Stage | str,
    lease_minutes: float = LEASE_MINUTES,
) -> ScreeningItem | None:
    """The next record that still needs votes and that this reviewer has not voted on, reserved
    for them for ``lease_minutes`` (a slot of the record's ``reviewers_per_record``).

    A record this reviewer already holds is shown again first, so a reload shows the same record.
    If another reviewer claims the last free slot of a candidate first, the next one is tried.
    """
    reviewer_id, released_only = _screener(session, actor, review_id)
    check_stage(stage)
    now = utcnow()
    until = now + timedelta(minutes=lease_minutes)
    needed = _needed(session, review_id)
    record_id = _renew_my_lease(
        session,
        review_id=review_id,
        stage=stage,
        reviewer_id=reviewer_id,
        released_only=released_only,
        needed=needed,
        now=now,
        until=until,
    )
    for _ in range(CLAIM_ROUNDS if record_id is None else 0):
        ranked = _ranked_candidates(
            session,
            review_id=review_id,
            stage=stage,
            reviewer_id=reviewer_id,
            released_only=released_only,
            needed=needed,
            now=now,
        )
        tried = 0
        for candidate in session.exec(ranked.limit(CLAIM_CANDIDATES)):
            tried += 1
            if _claim(
                session,
                review_id=review_id,
                record_id=candidate,
                stage=stage,
                reviewer_id=reviewer_id,
                needed=needed,
                now=now,
                until=until,
            ):
                record_id = candidate
                break
        if record_id is not None or tried < CLAIM_CANDIDATES:
            break
    if record_id is None:
        return None
    _drop_other_leases(
        session, review_id=review_id, stage=stage, reviewer_id=reviewer_id, keep=record_id, now=now
    )
    return get_item(session, actor=actor, review_id=review_id, record_id=record_id, stage=stage)


def count_remaining(session: Session, *, actor: Actor, review_id: int, stage: Stage | str) -> int:
    """How many records this reviewer could still be given at this stage (the one they hold
    included; records whose slots other reviewers hold or filled left out)."""
    reviewer_id, released_only = _screener(session, actor, review_id)
    query = _candidates(
        session,
        review_id=review_id,
        stage=stage,
        reviewer_id=reviewer_id,
        released_only=released_only,
        needed=_needed(session, review_id),
        now=utcnow(),
    )
    return session.exec(select(func.count()).select_from(query.subquery())).one()


def get_item(
    session: Session, *, actor: Actor, review_id: int, record_id: int, stage: str
) -> ScreeningItem:
    """A record with the votes this actor may see."""
    check_stage(stage)
    role = require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    record = _record(session, review_id, record_id)
    votes = votes_on(session, actor=actor, review_id=review_id, record_ids=[record_id], stage=stage)
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
    session: Session, *, actor: Actor, review_id: int, stage: Stage | str, limit: int | None = None
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
    stage: Stage | str,
    vote: str,
    reason: str | None = None,
    note: str | None = None,
    tags: list[str] | None = None,
) -> VoteView:
    """Cast or change this reviewer's vote (one per record and stage, audited).

    A new vote takes this reviewer's slot on the record (the one ``next_record`` leased to them,
    even expired if nobody took it over) or a free one; with every slot held by other reviewers it
    is refused, so a record never gets more votes than the protocol's ``reviewers_per_record``.
    """
    reviewer_id, released_only = _screener(session, actor, review_id)
    protocol = get_protocol(session, review_id)
    raise_first(vote_problems(protocol, stage=check_stage(stage), vote=vote, reason=reason))
    _check_eligible(
        session,
        review_id=review_id,
        record_id=record_id,
        stage=stage,
        released_only=released_only,
    )
    values: dict[str, object] = {
        "vote": vote,
        "reason": reason or None,
        "note": (note or "").strip() or None,
        "tags": sorted({t.strip() for t in tags or [] if t.strip()}),
    }
    decision = _find_decision(session, record_id, reviewer_id, stage)
    before = _decision_state(decision) if decision else None
    if decision is None:
        _take_slot_for_vote(
            session,
            review_id=review_id,
            record_id=record_id,
            stage=stage,
            reviewer_id=reviewer_id,
            needed=protocol.screening.reviewers_per_record,
        )
        decision, created = _insert_decision(
            session, review_id, record_id, reviewer_id, stage, values
        )
        if not created:  # the same vote sent twice (two tabs): the first one is the before
            before = _decision_state(decision)
    if (
        before is not None
        and _changed(decision, values)
        and not _is_lead(session, actor, review_id)
    ):
        _check_not_final(session, review_id=review_id, record_id=record_id, stage=stage)
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
    """Withdraw this reviewer's most recent vote at this stage (audited); None when none is left.

    The vote's slot is freed with it. A reviewer cannot undo a vote on a record a lead has
    resolved or released at this stage.
    """
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
    if not _is_lead(session, actor, review_id):
        _check_not_final(session, review_id=review_id, record_id=decision.record_id, stage=stage)
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
    _execute(
        session,
        delete(ScreeningSlot).where(
            col(ScreeningSlot.record_id) == decision.record_id,
            col(ScreeningSlot.stage) == stage,
            col(ScreeningSlot.reviewer_id) == reviewer_id,
        ),
    )
    return view


def release_leases(session: Session, *, actor: Actor, review_id: int | None = None) -> int:
    """Give back the records this user was shown and has not voted on (on logout): their slots
    are free for other reviewers at once instead of when the lease runs out. Returns how many."""
    if actor.user_id is None:
        return 0
    statement = delete(ScreeningSlot).where(
        col(ScreeningSlot.reviewer_id) == actor.user_id,
        col(ScreeningSlot.leased_until).is_not(None),
    )
    if review_id is not None:
        statement = statement.where(col(ScreeningSlot.review_id) == review_id)
    return _execute(session, statement)


# --- slots: who may vote on a record ------------------------------------------------------------
#
# A record has ``reviewers_per_record`` numbered slots per stage; a row in ScreeningSlot holds one
# for a reviewer, as a lease (``leased_until`` set: the record is on their screen) or with their
# vote (``leased_until`` None). The unique constraints (record, stage, slot) and (record, stage,
# reviewer) are what cap the votes, so every claim below is a single INSERT or a conditional
# UPDATE whose success the database decides: safe under PostgreSQL's READ COMMITTED (a competing
# insert waits for the other transaction, then fails) and trivially under SQLite's BEGIN IMMEDIATE.


def _claim(
    session: Session,
    *,
    review_id: int,
    record_id: int,
    stage: Stage | str,
    reviewer_id: int,
    needed: int,
    now: datetime,
    until: datetime | None,
) -> bool:
    """Hold a slot on the record for this reviewer until ``until`` (None: for their vote).

    Mine first (a lease of mine, even expired, that nobody took over), then the lowest free slot
    number, then another reviewer's expired lease. False when every slot is held.
    """
    slot = ScreeningSlot
    if _renew(session, record_id=record_id, stage=stage, reviewer_id=reviewer_id, until=until):
        return True
    if until is not None and not _try_lock_record(session, record_id):
        return False  # another reviewer is being given this record right now: take the next
    rows = session.exec(
        select(slot.slot, slot.id, slot.reviewer_id, slot.leased_until).where(
            slot.record_id == record_id, slot.stage == stage
        )
    ).all()
    taken = {number for number, *_ in rows}
    for number in range(1, needed + 1):
        if number in taken:
            continue
        claim = ScreeningSlot(
            review_id=review_id,
            record_id=record_id,
            stage=stage,
            slot=number,
            reviewer_id=reviewer_id,
            leased_until=until,
        )
        try:
            with session.begin_nested():
                session.add(claim)
        except IntegrityError:
            continue  # another reviewer took this number first (or I did, in another tab)
        return True
    expired = [
        slot_id
        for number, slot_id, holder, leased_until in rows
        if number <= needed
        and holder != reviewer_id
        and leased_until is not None
        and _aware(leased_until) < now
    ]
    for slot_id in expired:
        try:
            with session.begin_nested():
                taken_over = _execute(
                    session,
                    update(ScreeningSlot)
                    .where(
                        col(ScreeningSlot.id) == slot_id,
                        col(ScreeningSlot.leased_until).is_not(None),
                        col(ScreeningSlot.leased_until) < now,
                    )
                    .values(reviewer_id=reviewer_id, leased_until=until, created_at=now),
                )
        except IntegrityError:
            taken_over = 0
        if taken_over:
            return True
    # A request of mine in another tab may have claimed it meanwhile.
    return _renew(session, record_id=record_id, stage=stage, reviewer_id=reviewer_id, until=until)


def _try_lock_record(session: Session, record_id: int) -> bool:
    """On PostgreSQL, a transaction-scoped advisory lock on the record, without waiting.

    Reviewers share one order, so at once they all reach for the same top records; an INSERT on
    a slot another transaction has inserted but not committed waits for that commit, and twenty
    such waits queue up. With the try-lock a reviewer skips a record that someone else is being
    given and takes the next one. The constraints stay the guarantee; this only spreads the
    reviewers. SQLite runs one writer at a time (BEGIN IMMEDIATE), so there is nothing to skip.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return True
    locked = connection.execute(
        text("SELECT pg_try_advisory_xact_lock(:space, :key)"),
        {"space": _LOCK_SPACE, "key": record_id},
    ).scalar()
    return bool(locked)


def _renew(
    session: Session,
    *,
    record_id: int,
    stage: Stage | str,
    reviewer_id: int,
    until: datetime | None,
) -> bool:
    """Extend (or turn into a vote's) this reviewer's own slot on the record, if they hold one."""
    changed = _execute(
        session,
        update(ScreeningSlot)
        .where(
            col(ScreeningSlot.record_id) == record_id,
            col(ScreeningSlot.stage) == stage,
            col(ScreeningSlot.reviewer_id) == reviewer_id,
        )
        .values(leased_until=until),
    )
    return changed > 0


def _renew_my_lease(
    session: Session,
    *,
    review_id: int,
    stage: Stage | str,
    reviewer_id: int,
    released_only: bool,
    needed: int,
    now: datetime,
    until: datetime,
) -> int | None:
    """The record this reviewer was last shown and still holds, with its lease extended."""
    candidates = _candidates(
        session,
        review_id=review_id,
        stage=stage,
        reviewer_id=reviewer_id,
        released_only=released_only,
        needed=needed,
        now=now,
    )
    held = session.exec(
        select(ScreeningSlot.record_id)
        .where(
            ScreeningSlot.review_id == review_id,
            ScreeningSlot.stage == stage,
            ScreeningSlot.reviewer_id == reviewer_id,
            col(ScreeningSlot.leased_until).is_not(None),
            col(ScreeningSlot.record_id).in_(candidates),
        )
        .order_by(col(ScreeningSlot.leased_until).desc())
    ).all()
    for record_id in held:
        if _renew(session, record_id=record_id, stage=stage, reviewer_id=reviewer_id, until=until):
            return record_id
    return None


def _drop_other_leases(
    session: Session,
    *,
    review_id: int,
    stage: Stage | str,
    reviewer_id: int,
    keep: int,
    now: datetime,
) -> None:
    """One record on screen at a time: leases of mine on other records (which stopped being
    candidates: resolved, marked duplicate...) are given back. Expired ones are left for others
    to take over (deleting them could wait on a reviewer taking one over)."""
    _execute(
        session,
        delete(ScreeningSlot).where(
            col(ScreeningSlot.review_id) == review_id,
            col(ScreeningSlot.stage) == stage,
            col(ScreeningSlot.reviewer_id) == reviewer_id,
            col(ScreeningSlot.record_id) != keep,
            col(ScreeningSlot.leased_until) > now,
        ),
    )


def _take_slot_for_vote(
    session: Session,
    *,
    review_id: int,
    record_id: int,
    stage: Stage | str,
    reviewer_id: int,
    needed: int,
) -> None:
    if _claim(
        session,
        review_id=review_id,
        record_id=record_id,
        stage=stage,
        reviewer_id=reviewer_id,
        needed=needed,
        now=utcnow(),
        until=None,
    ):
        return
    votes = "vote" if needed == 1 else "votes"
    raise ValidationError(
        f"record {record_id} already has the {needed} {votes} the protocol asks for at "
        f"{Stage(stage).in_prose}; it was given to other reviewers while you had it open. "
        "Your vote was not saved: go on with the next record"
    )


def _execute(session: Session, statement: Update | Delete) -> int:
    """Run an UPDATE or DELETE; how many rows it changed (the compare-and-swap's answer)."""
    session.flush()
    return session.connection().execute(statement).rowcount


# --- queries ------------------------------------------------------------------------------------


def _candidates(
    session: Session,
    *,
    review_id: int,
    stage: Stage | str,
    reviewer_id: int,
    released_only: bool,
    needed: int,
    now: datetime,
) -> SelectOfScalar[Any]:
    """Records at this stage that still have a slot for me: no resolution, no vote of mine, and
    fewer than ``reviewers_per_record`` votes and live leases of other reviewers."""
    check_stage(stage)
    mine = select(Decision.record_id).where(
        Decision.review_id == review_id,
        Decision.reviewer_id == reviewer_id,
        Decision.stage == stage,
    )
    resolved = select(Resolution.record_id).where(
        Resolution.review_id == review_id, Resolution.stage == stage
    )
    held_by_others = (
        select(ScreeningSlot.record_id)
        .where(
            ScreeningSlot.review_id == review_id,
            ScreeningSlot.stage == stage,
            ScreeningSlot.reviewer_id != reviewer_id,
            col(ScreeningSlot.leased_until).is_(None) | (col(ScreeningSlot.leased_until) > now),
        )
        .group_by(col(ScreeningSlot.record_id))
        .having(func.count() >= needed)
    )
    eligible = _eligible_conditions(
        session, review_id=review_id, stage=stage, released_only=released_only
    )
    return (
        select(Record.id)
        .where(*eligible)
        .where(col(Record.id).not_in(mine), col(Record.id).not_in(resolved))
        .where(col(Record.id).not_in(_fully_voted(review_id=review_id, stage=stage, needed=needed)))
        .where(col(Record.id).not_in(held_by_others))
    )


def _fully_voted(*, review_id: int, stage: Stage | str, needed: int) -> SelectOfScalar[int]:
    """Records with all the votes the protocol asks for at this stage (one grouped pass over the
    votes, not a count per record)."""
    return (
        select(Decision.record_id)
        .where(Decision.review_id == review_id, Decision.stage == stage)
        .group_by(col(Decision.record_id))
        .having(func.count() >= needed)
    )


def _ranked_candidates(
    session: Session,
    *,
    review_id: int,
    stage: Stage | str,
    reviewer_id: int,
    released_only: bool,
    needed: int,
    now: datetime,
) -> SelectOfScalar[Any]:
    """Ranked records first (active learning, likeliest includes on top), then the stable order.

    The ranking is this reviewer's own while the review is blind, else the team's
    (``prioritisation.ranking_owner``)."""
    order = (cast(col(Record.id), BigInteger) * _ORDER_MULTIPLIER) % _ORDER_MODULUS
    query = _candidates(
        session,
        review_id=review_id,
        stage=stage,
        reviewer_id=reviewer_id,
        released_only=released_only,
        needed=needed,
        now=now,
    )
    if stage == Stage.TITLE_ABSTRACT:
        owner = ranking_owner(session, review_id=review_id, reviewer_id=reviewer_id)
        query = rank_order_join(query, review_id=review_id, reviewer_id_or_none=owner)
    return query.order_by(order, col(Record.id))


def _eligible_conditions(
    session: Session, *, review_id: int, stage: Stage | str, released_only: bool = False
) -> list[ColumnElement[bool]]:
    """Which records a stage screens, as conditions on ``Record``: the unique records at
    title/abstract (never the whole id list, which could pass the database's parameter limit),
    a short list at full text."""
    if stage == Stage.TITLE_ABSTRACT:
        return unique_record_conditions(review_id)
    ids = _full_text_eligible_ids(session, review_id=review_id, released_only=released_only)
    return [col(Record.id).in_(ids)]


def _full_text_eligible_ids(
    session: Session, *, review_id: int, released_only: bool = False
) -> list[int]:
    """Records that passed title/abstract screening and whose full text is not "not retrieved".

    ``released_only`` (a reviewer while the review is blind): only outcomes a lead resolved or
    released, since an outcome made of two votes tells one reviewer how the other voted.
    """
    ids = unique_record_ids(session, review_id=review_id)
    statuses = stage_statuses(
        session, review_id=review_id, stage=Stage.TITLE_ABSTRACT, record_ids=ids
    )
    passed = [rid for rid, status in statuses.items() if status is StageStatus.INCLUDED]
    not_retrieved = set(
        session.exec(select(FullText.record_id).where(FullText.status == "not_retrieved"))
    )
    if released_only:
        released = released_record_ids(session, review_id=review_id, stage=Stage.TITLE_ABSTRACT)
        passed = [rid for rid in passed if rid in released]
    return [rid for rid in passed if rid not in not_retrieved]


def votes_on(
    session: Session, *, actor: Actor, review_id: int, record_ids: list[int], stage: str
) -> list[VoteView]:
    """The votes on these records this actor may see: every vote for leads (and for everyone once
    the review is unblinded), only their own for a reviewer while it is blind."""
    role = require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    check_stage(stage)
    query = (
        select(Decision, User.name)
        .join(User, col(User.id) == Decision.reviewer_id)
        .where(Decision.review_id == review_id, Decision.stage == stage)
        .where(col(Decision.record_id).in_(record_ids))
        .order_by(col(Decision.created_at))
    )
    if not can_see_all_votes(role) and get_review(session, review_id).is_blind:
        query = query.where(Decision.reviewer_id == actor.user_id)
    return [_vote_view(decision, name) for decision, name in session.exec(query)]


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
    stage: Stage | str,
    values: dict[str, object],
) -> tuple[Decision, bool]:
    """Insert the vote; if a concurrent request (a double click, a second tab) inserted it first,
    use that row. Returns the row and whether this call created it.

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
        return existing, False
    return decision, True


def _record(session: Session, review_id: int, record_id: int) -> Record:
    record = session.get(Record, record_id)
    if record is None or record.review_id != review_id:
        raise NotFoundError(f"no record {record_id} in review {review_id}")
    return record


# --- checks ------------------------------------------------------------------------------------


def _reviewer_id(session: Session, actor: Actor, review_id: int) -> int:
    require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    if actor.user_id is None:
        raise ValidationError(
            "screening needs a reviewer: log in to vote (the command line cannot)"
        )
    return actor.user_id


def _screener(session: Session, actor: Actor, review_id: int) -> tuple[int, bool]:
    """The reviewer's id, and whether they may see only released outcomes (a reviewer, not a
    lead or admin, while the review is blind)."""
    reviewer_id = _reviewer_id(session, actor, review_id)
    released_only = (
        not _is_lead(session, actor, review_id) and get_review(session, review_id).is_blind
    )
    return reviewer_id, released_only


def _is_lead(session: Session, actor: Actor, review_id: int) -> bool:
    return can_see_all_votes(role_of(session, actor=actor, review_id=review_id))


def _needed(session: Session, review_id: int) -> int:
    return get_protocol(session, review_id).screening.reviewers_per_record


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes (stored as UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _check_not_final(
    session: Session, *, review_id: int, record_id: int, stage: Stage | str
) -> None:
    """A reviewer's vote is final once a lead has resolved or released the record's outcome."""
    resolved = session.exec(
        select(Resolution.id).where(Resolution.record_id == record_id, Resolution.stage == stage)
    ).first()
    released = session.exec(
        select(StageRelease.id).where(
            StageRelease.record_id == record_id, StageRelease.stage == stage
        )
    ).first()
    if resolved is not None or released is not None:
        done = "resolved" if resolved is not None else "released"
        raise ValidationError(
            f"your vote on record {record_id} at {Stage(stage).in_prose} is final: a lead has "
            f"{done} its outcome; ask a lead to change the decision"
        )


def keyword_patterns(
    protocol: Protocol, stage: str
) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """The include and exclude keywords of the criteria judged at ``stage``, as patterns to
    highlight (None when there are none)."""
    include, exclude = keyword_lists(protocol, stage)
    return compile_keywords(include), compile_keywords(exclude)


@dataclass(frozen=True, slots=True)
class VoteProblem:
    """A rule of the protocol that a vote (or a lead's final decision) breaks."""

    field: str  # "vote" or "reason"
    message: str  # names the value given and what is allowed


def vote_problems(
    protocol: Protocol, *, stage: Stage, vote: str, reason: str | None
) -> list[VoteProblem]:
    """What the protocol refuses in a reviewer's vote (``record_vote`` raises the first): the
    vote itself (maybe only with ``allow_maybe``), then its exclusion reason."""
    allowed = [v for v in Vote if v != Vote.MAYBE or protocol.screening.allow_maybe]
    problems = []
    if vote not in allowed:
        why = " (the protocol's allow_maybe is false)" if vote == Vote.MAYBE else ""
        problems.append(
            VoteProblem("vote", f"vote {str(vote)!r}: allowed are {_words(allowed)}{why}")
        )
    return problems + reason_problems(protocol, stage=stage, vote=vote, reason=reason)


def reason_problems(
    protocol: Protocol, *, stage: Stage, vote: str, reason: str | None
) -> list[VoteProblem]:
    """The exclusion-reason rules, the same for a vote and for a lead's final decision: a reason
    only with exclude, one of the protocol's reasons at ``stage``, and needed to exclude at full
    text."""
    reasons = protocol.exclusion_reasons_for(stage)
    # People read the labels; a decisions file or a script needs the ids: both are named.
    allowed = "; ".join(f"{r.label} ({r.id})" for r in reasons) or "none"
    if reason and vote != Vote.EXCLUDE:
        message = f"exclusion reason {reason!r}: a reason goes only with an exclude vote"
    elif reason and reason not in {r.id for r in reasons}:
        message = (
            f"{reason!r} is not an exclusion reason at {stage.in_prose} in the protocol; "
            f"allowed are {allowed}"
        )
    elif stage is Stage.FULL_TEXT and vote == Vote.EXCLUDE and not reason:
        message = f"excluding at full text needs a reason; allowed are {allowed}"
    else:
        return []
    return [VoteProblem("reason", message)]


def raise_first(problems: list[VoteProblem]) -> None:
    """ValidationError with the first problem, for the services that cast one vote at a time."""
    if problems:
        raise ValidationError(problems[0].message)


def _words(words: Iterable[str]) -> str:
    return ", ".join(words) or "none"


def _check_eligible(
    session: Session,
    *,
    review_id: int,
    record_id: int,
    stage: Stage | str,
    released_only: bool = False,
) -> None:
    _record(session, review_id, record_id)
    if stage == Stage.TITLE_ABSTRACT:
        query = unique_records_select(review_id).where(col(Record.id) == record_id)
        eligible = session.exec(query).first() is not None
    else:
        eligible = record_id in _full_text_eligible_ids(
            session, review_id=review_id, released_only=released_only
        )
    if not eligible:
        where = (
            "is a duplicate"
            if stage == Stage.TITLE_ABSTRACT
            else "has not passed title/abstract screening (or a lead has not released it yet) "
            "or its full text was not retrieved"
        )
        raise ValidationError(f"record {record_id} {where}; it cannot be screened at {stage}")


# --- views -------------------------------------------------------------------------------------


# What an audit event records of a vote.
_AUDITED = ("record_id", "stage", "vote", "reason", "note", "tags")


def _decision_state(decision: Decision) -> dict[str, object]:
    return snapshot(decision, _AUDITED)


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
    return RecordView(id=record.id, **field_values(record))


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
    reviewer_id, released_only = _screener(session, actor, review_id)
    eligible = _eligible_conditions(
        session, review_id=review_id, stage=stage, released_only=released_only
    )
    resolved = select(Resolution.record_id).where(
        Resolution.review_id == review_id, Resolution.stage == stage
    )
    fully_voted = _fully_voted(review_id=review_id, stage=stage, needed=_needed(session, review_id))
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


def _pace(
    session: Session, *, review_id: int, reviewer_id: int, stage: Stage | str
) -> float | None:
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
