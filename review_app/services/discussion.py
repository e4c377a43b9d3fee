"""Discussion on a record: members' comments and the "needs discussion" flag.

Any member comments on a record and flags it; a lead clears the flag, and works through the
flagged records as a queue. While the review is blind a comment could tell a reviewer how
someone else voted, so a reviewer reads other members' comments written at a stage only once
every vote the protocol asks for at that stage is in (or a lead has resolved or released the
record's outcome there): by then their own vote can no longer be swayed. Leads read everything
at once. Every comment, flag and clear is audited.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from review_app.domain.consensus import stage_status
from review_app.domain.vocabulary import STAGES, Role, Stage, StageStatus, check_stage
from review_app.errors import NotFoundError, ValidationError
from review_app.models import (
    Decision,
    DiscussionFlag,
    Record,
    RecordComment,
    Resolution,
    StageRelease,
    User,
    utcnow,
)
from review_app.services.audit import record_event
from review_app.services.permissions import Actor, can_see_all_votes, require_role
from review_app.services.reviews import get_protocol, get_review

MAX_COMMENT = 5_000  # characters: a paragraph or a few, not a pasted full text

# Audit actions and the tables they name.
COMMENT_ADDED = "comment.create"
FLAG_RAISED = "discussion.flag"
FLAG_CLEARED = "discussion.clear"
COMMENT_ENTITY = "recordcomment"
FLAG_ENTITY = "discussionflag"


@dataclass(frozen=True, slots=True)
class CommentView:
    id: int
    record_id: int
    author: str
    stage: str
    body: str
    created_at: datetime
    is_mine: bool


@dataclass(frozen=True, slots=True)
class FlagView:
    """An open "needs discussion" flag; ``raised_by`` is None while the raiser is withheld from
    a blind reviewer (under the same rule as comments)."""

    raised_by: str | None
    raised_at: datetime


@dataclass(frozen=True, slots=True)
class RecordDiscussion:
    record_id: int
    comments: tuple[CommentView, ...]
    # True while other members' comments at the record's current stage are withheld from this
    # reader (their votes are not all in); it says nothing about whether there are any.
    withheld: bool
    flag: FlagView | None
    may_clear_flag: bool


@dataclass(frozen=True, slots=True)
class QueueItem:
    record_id: int
    title: str
    raised_by: str
    raised_at: datetime
    comments: tuple[CommentView, ...]


def add_comment(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    record_id: int,
    body: str,
    stage: Stage | str | None = None,
) -> CommentView:
    """A member's comment on the record, at ``stage`` (by default the stage the record is at as
    this member may know it: full text once its title/abstract inclusion is visible to them)."""
    role = require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    author_id = _member_id(actor, "commenting")
    record = _record(session, review_id, record_id)
    text = _checked_body(body)
    if stage is None:
        stage = _current_stage(
            session, review_id, record_id, sees_all=_sees_all(session, review_id, role)
        )
    comment = RecordComment(
        review_id=review_id,
        record_id=record_id,
        author_id=author_id,
        stage=check_stage(stage),
        body=text,
    )
    session.add(comment)
    session.flush()
    record_event(
        session,
        review_id=review_id,
        user_id=author_id,
        action=COMMENT_ADDED,
        entity=COMMENT_ENTITY,
        entity_id=comment.id,
        after={"record_id": record.id, "stage": comment.stage, "body": text},
    )
    return _comment_view(comment, _name(session, author_id), author_id)


def get_discussion(
    session: Session, *, actor: Actor, review_id: int, record_id: int
) -> RecordDiscussion:
    """The comments on the record this member may read, oldest first, and its open flag."""
    role = require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    _record(session, review_id, record_id)
    sees_all = _sees_all(session, review_id, role)
    open_stages = set(STAGES) if sees_all else _open_stages(session, review_id, record_id)
    stage_now = _current_stage(session, review_id, record_id, sees_all=sees_all)
    comments = [
        view
        for view in _comments(session, review_id, [record_id], actor.user_id).get(record_id, [])
        if view.is_mine or view.stage in open_stages
    ]
    return RecordDiscussion(
        record_id=record_id,
        comments=tuple(comments),
        withheld=stage_now not in open_stages,
        flag=_flag_view(session, record_id, actor.user_id, show_raiser=bool(open_stages)),
        may_clear_flag=can_see_all_votes(role),
    )


def flag_for_discussion(
    session: Session, *, actor: Actor, review_id: int, record_id: int
) -> FlagView:
    """Any member marks the record "needs discussion"; flagging a flagged record changes nothing
    (a double click leaves one event)."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    user_id = _member_id(actor, "flagging a record")
    _record(session, review_id, record_id)
    flag = _flag(session, record_id)
    if flag is not None and flag.cleared_at is None:
        return FlagView(_name(session, flag.raised_by_id), flag.raised_at)
    before = _flag_state(flag) if flag else None
    flag = flag or DiscussionFlag(review_id=review_id, record_id=record_id, raised_by_id=user_id)
    flag.raised_by_id, flag.raised_at = user_id, utcnow()
    flag.cleared_by_id, flag.cleared_at = None, None
    session.add(flag)
    session.flush()
    _audit_flag(session, flag, FLAG_RAISED, user_id=user_id, before=before)
    return FlagView(_name(session, user_id), flag.raised_at)


def clear_flag(session: Session, *, actor: Actor, review_id: int, record_id: int) -> bool:
    """A lead takes the record off the discussion queue; False when it was not on it."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    _record(session, review_id, record_id)
    flag = _flag(session, record_id)
    if flag is None or flag.cleared_at is not None:
        return False
    before = _flag_state(flag)
    flag.cleared_by_id, flag.cleared_at = actor.user_id, utcnow()
    session.add(flag)
    session.flush()
    _audit_flag(session, flag, FLAG_CLEARED, user_id=actor.user_id, before=before)
    return True


def discussion_queue(session: Session, *, actor: Actor, review_id: int) -> list[QueueItem]:
    """The records flagged "needs discussion" and not yet cleared, oldest flag first, each with
    all its comments (leads only: they read every comment at once)."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    rows = list(
        session.exec(
            select(DiscussionFlag, Record.title, User.name)
            .join(Record, col(Record.id) == DiscussionFlag.record_id)
            .join(User, col(User.id) == DiscussionFlag.raised_by_id)
            .where(DiscussionFlag.review_id == review_id, col(DiscussionFlag.cleared_at).is_(None))
            .order_by(col(DiscussionFlag.raised_at), col(DiscussionFlag.id))
        )
    )
    comments = _comments(session, review_id, [flag.record_id for flag, _, _ in rows], actor.user_id)
    return [
        QueueItem(
            flag.record_id, title, name, flag.raised_at, tuple(comments.get(flag.record_id, []))
        )
        for flag, title, name in rows
    ]


def count_flagged(session: Session, *, actor: Actor, review_id: int) -> int:
    """How many records wait in the discussion queue (leads only, as the queue is)."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    query = select(func.count()).where(
        DiscussionFlag.review_id == review_id, col(DiscussionFlag.cleared_at).is_(None)
    )
    return int(session.exec(query).one())


def comments_by_record(session: Session, *, actor: Actor, review_id: int) -> dict[int, str]:
    """Each commented record's comments as one cell, "name: text" joined by " | ", oldest first,
    for the decisions export (leads only, as the export is)."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    return {
        record_id: " | ".join(f"{view.author}: {view.body}" for view in views)
        for record_id, views in _comments(session, review_id, None, actor.user_id).items()
    }


# --- reading ------------------------------------------------------------------------------------


def _comments(
    session: Session, review_id: int, record_ids: list[int] | None, reader_id: int | None
) -> dict[int, list[CommentView]]:
    """Comments by record, oldest first; of the given records, or of the whole review."""
    query = (
        select(RecordComment, User.name)
        .join(User, col(User.id) == RecordComment.author_id)
        .where(RecordComment.review_id == review_id)
        .order_by(col(RecordComment.created_at), col(RecordComment.id))
    )
    if record_ids is not None:
        query = query.where(col(RecordComment.record_id).in_(record_ids))
    by_record: dict[int, list[CommentView]] = defaultdict(list)
    for comment, name in session.exec(query):
        by_record[comment.record_id].append(_comment_view(comment, name, reader_id))
    return by_record


def _comment_view(comment: RecordComment, author: str, reader_id: int | None) -> CommentView:
    assert comment.id is not None
    return CommentView(
        id=comment.id,
        record_id=comment.record_id,
        author=author,
        stage=comment.stage,
        body=comment.body,
        created_at=comment.created_at,
        is_mine=reader_id is not None and comment.author_id == reader_id,
    )


def _flag_view(
    session: Session, record_id: int, reader_id: int | None, *, show_raiser: bool
) -> FlagView | None:
    flag = _flag(session, record_id)
    if flag is None or flag.cleared_at is not None:
        return None
    shown = show_raiser or flag.raised_by_id == reader_id
    return FlagView(_name(session, flag.raised_by_id) if shown else None, flag.raised_at)


# --- the blinding rule ----------------------------------------------------------------------------


def _sees_all(session: Session, review_id: int, role: str) -> bool:
    """Leads and admins read every comment, and so does everyone once the review is unblinded."""
    return can_see_all_votes(role) or not get_review(session, review_id).is_blind


def _open_stages(session: Session, review_id: int, record_id: int) -> set[str]:
    """The stages at which a blind reviewer may read others' comments on the record: every vote
    the protocol asks for is in, or a lead resolved or released the outcome there."""
    needed = get_protocol(session, review_id).screening.reviewers_per_record
    votes = _votes_by_stage(session, record_id)
    settled = {
        *session.exec(select(Resolution.stage).where(Resolution.record_id == record_id)),
        *session.exec(select(StageRelease.stage).where(StageRelease.record_id == record_id)),
    }
    return {stage for stage in STAGES if len(votes[stage]) >= needed or stage in settled}


def _votes_by_stage(session: Session, record_id: int) -> dict[str, list[str]]:
    votes: dict[str, list[str]] = defaultdict(list)
    query = select(Decision.stage, Decision.vote).where(Decision.record_id == record_id)
    for stage, vote in session.exec(query):
        votes[stage].append(vote)
    return votes


def _current_stage(session: Session, review_id: int, record_id: int, *, sees_all: bool) -> Stage:
    """Full text once the record's title/abstract inclusion is known to this member: from the
    votes for those who see every vote, from a lead's resolution or release for a blind reviewer
    (so the default never depends on a vote they may not see)."""
    resolution = session.exec(
        select(Resolution.vote).where(
            Resolution.record_id == record_id, Resolution.stage == Stage.TITLE_ABSTRACT
        )
    ).first()
    released = session.exec(
        select(StageRelease.id).where(
            StageRelease.record_id == record_id, StageRelease.stage == Stage.TITLE_ABSTRACT
        )
    ).first()
    if not (sees_all or resolution is not None or released is not None):
        return Stage.TITLE_ABSTRACT
    settings = get_protocol(session, review_id).screening
    status = stage_status(
        _votes_by_stage(session, record_id)[Stage.TITLE_ABSTRACT],
        reviewers_per_record=settings.reviewers_per_record,
        maybe_counts_as=settings.maybe_counts_as,
        resolution=resolution,
    )
    return Stage.FULL_TEXT if status == StageStatus.INCLUDED else Stage.TITLE_ABSTRACT


# --- writing ------------------------------------------------------------------------------------


def _member_id(actor: Actor, doing: str) -> int:
    if actor.user_id is None:
        raise ValidationError(f"{doing} needs a member: log in (the command line cannot)")
    return actor.user_id


def _checked_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise ValidationError("the comment is empty: write what should be discussed")
    if len(text) > MAX_COMMENT:
        raise ValidationError(
            f"the comment has {len(text):,} characters; at most {MAX_COMMENT:,} are allowed"
        )
    return text


def _record(session: Session, review_id: int, record_id: int) -> Record:
    record = session.get(Record, record_id)
    if record is None or record.review_id != review_id:
        raise NotFoundError(f"no record {record_id} in review {review_id}")
    return record


def _flag(session: Session, record_id: int) -> DiscussionFlag | None:
    return session.exec(select(DiscussionFlag).where(DiscussionFlag.record_id == record_id)).first()


def _flag_state(flag: DiscussionFlag) -> dict[str, object]:
    return {
        "record_id": flag.record_id,
        "raised_by_id": flag.raised_by_id,
        "open": flag.cleared_at is None,
    }


def _audit_flag(
    session: Session,
    flag: DiscussionFlag,
    action: str,
    *,
    user_id: int | None,
    before: dict[str, object] | None,
) -> None:
    record_event(
        session,
        review_id=flag.review_id,
        user_id=user_id,
        action=action,
        entity=FLAG_ENTITY,
        entity_id=flag.id,
        before=before,
        after=_flag_state(flag),
    )


def _name(session: Session, user_id: int) -> str:
    user = session.get(User, user_id)
    return user.name if user else f"user {user_id}"
