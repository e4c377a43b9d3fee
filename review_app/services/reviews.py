"""Reviews and their members: a review from a protocol file (on disk or uploaded), the team and
its roles (admins only), and the protocol's history."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from review_app.domain.vocabulary import ROLES, Role
from review_app.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
    ProtocolError,
    ValidationError,
)
from review_app.models import AuditEvent, Membership, RecordRank, Review, User
from review_app.protocol import Protocol, parse_protocol, protocol_from_dict, protocol_to_dict
from review_app.services.audit import record_event
from review_app.services.permissions import Actor, require_role
from review_app.services.users import (
    TemporaryPassword,
    create_user,
    get_user_by_name,
    new_temporary_password,
)

MAX_PROTOCOL_BYTES = 1_000_000  # the kratom protocol is 12 kB; a larger upload is not a protocol
# The audit actions that belong to the review's plan, shown as the protocol's history.
PROTOCOL_ACTIONS = ("review.create", "review.set_blind")


@dataclass(frozen=True, slots=True)
class ReviewPublic:
    id: int
    name: str
    title: str
    question: str
    is_blind: bool


@dataclass(frozen=True, slots=True)
class MemberPublic:
    user_id: int
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class TeamMember:
    """A member as the Team page lists them: role and the state of their account."""

    user_id: int
    name: str
    role: str
    is_active: bool
    must_change_password: bool


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    who: str  # a user's name, or "the command line"
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class ProtocolHistory:
    """When and by whom the protocol was loaded, the TOML as loaded, and what changed since."""

    loaded_at: datetime
    loaded_by: str
    source_text: str
    entries: list[HistoryEntry]


COMMAND_LINE = "the command line"


def create_review(
    session: Session, *, protocol_path: Path, name: str | None = None
) -> ReviewPublic:
    """A new review from a protocol file; its name defaults to the file's stem."""
    try:
        raw = protocol_path.read_bytes()
    except OSError as exc:
        raise NotFoundError(f"{protocol_path}: cannot read the protocol ({exc.strerror})") from exc
    text = _protocol_text(raw, source=str(protocol_path))
    protocol = parse_protocol(text, source=str(protocol_path))
    return create_review_from_protocol(
        session, protocol=protocol, source_text=text, name=name or protocol_path.stem
    )


def create_review_from_upload(
    session: Session, *, actor: Actor, data: bytes, file_name: str, name: str | None = None
) -> ReviewPublic:
    """A new review from a protocol file uploaded in the browser; the uploader becomes its admin.

    Open to the operator and to anyone who is admin of a review already (a reviewer or lead
    cannot start reviews). A bad file is refused with the same messages as on the command line
    (file name, line, key, what is allowed) and creates nothing.
    """
    if not actor.is_operator and not _is_admin_somewhere(session, actor):
        raise PermissionDeniedError(
            "creating a review needs the admin role in at least one review; ask an admin"
        )
    if len(data) > MAX_PROTOCOL_BYTES:
        raise ValidationError(
            f"{file_name}: {len(data):,} bytes; a protocol file is at most "
            f"{MAX_PROTOCOL_BYTES:,} bytes of TOML (see protocols/_template.toml)"
        )
    text = _protocol_text(data, source=file_name)
    protocol = parse_protocol(text, source=file_name)
    review = create_review_from_protocol(
        session,
        protocol=protocol,
        source_text=text,
        name=name or Path(file_name).stem,
        created_by=actor.user_id,
    )
    if actor.user_id is not None:
        _add_founding_admin(session, review_id=review.id, user_id=actor.user_id)
    return review


def _add_founding_admin(session: Session, *, review_id: int, user_id: int) -> None:
    """The creator of a review is its first admin (nobody could grant the role yet)."""
    membership = Membership(review_id=review_id, user_id=user_id, role=Role.ADMIN)
    session.add(membership)
    session.flush()
    record_event(
        session,
        review_id=review_id,
        user_id=user_id,
        action="member.set_role",
        entity="membership",
        entity_id=membership.id,
        after={"user_id": user_id, "role": Role.ADMIN},
    )


def create_review_from_protocol(
    session: Session,
    *,
    protocol: Protocol,
    source_text: str,
    name: str,
    created_by: int | None = None,
) -> ReviewPublic:
    """The review and its ``review.create`` event (``created_by`` None: the command line)."""
    _check_review_name(name)
    if session.exec(select(Review).where(Review.name == name)).first() is not None:
        raise ConflictError(f"a review named {name!r} already exists; choose another name (--name)")
    review = Review(
        name=name,
        title=protocol.title,
        question=protocol.question,
        protocol=protocol_to_dict(protocol),
        protocol_source=source_text,
        is_blind=protocol.screening.blind,
    )
    session.add(review)
    session.flush()
    assert review.id is not None
    record_event(
        session,
        review_id=review.id,
        user_id=created_by,
        action="review.create",
        entity="review",
        entity_id=review.id,
        after={"name": name},
    )
    return _public(review)


def list_reviews(session: Session) -> list[ReviewPublic]:
    return [_public(r) for r in session.exec(select(Review).order_by(Review.id))]  # type: ignore[arg-type]


def get_review(session: Session, review_id: int) -> ReviewPublic:
    return _public(_load(session, review_id))


def get_protocol(session: Session, review_id: int) -> Protocol:
    """The review's protocol as stored, parsed once per content (the parse validates every key
    and was most of the time of a vote); an edited protocol is parsed again."""
    return _parsed_protocol(_canonical_json(_load(session, review_id).protocol))


def _canonical_json(stored: dict[str, Any]) -> str:
    return json.dumps(stored, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=64)  # a few reviews, and their protocols' versions, in one process
def _parsed_protocol(canonical: str) -> Protocol:
    """Safe to share between callers: a Protocol is a frozen dataclass that nothing alters."""
    return protocol_from_dict(json.loads(canonical))


def resolve_review_id(session: Session, review_id: int | None) -> int:
    """The review to act on: the one given, or the only one in the database."""
    if review_id is not None:
        return _load(session, review_id).id  # type: ignore[return-value]
    reviews = list_reviews(session)
    if len(reviews) == 1:
        return reviews[0].id
    if not reviews:
        raise NotFoundError("the database holds no review yet; create one with: review-app init")
    ids = ", ".join(f"{r.id} ({r.name})" for r in reviews)
    raise ValidationError(
        f"the database holds {len(reviews)} reviews; pass --review ID, one of: {ids}"
    )


def add_member(
    session: Session, *, actor: Actor, review_id: int, user_id: int, role: str
) -> MemberPublic:
    """Give a user a role in a review (admins only), replacing any role they had.

    A review that has an admin keeps one: the last admin cannot be demoted (themselves
    included); make another member admin first."""
    if role not in ROLES:
        raise ValidationError(f"role {role!r}: allowed are {', '.join(ROLES)}")
    require_role(session, actor=actor, review_id=review_id, at_least=Role.ADMIN)
    _load(session, review_id)
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    membership = session.exec(
        select(Membership).where(Membership.review_id == review_id, Membership.user_id == user_id)
    ).first()
    if membership is not None and role != Role.ADMIN:
        _keep_an_admin(session, actor=actor, membership=membership, name=user.name)
    before = {"role": membership.role} if membership else None
    membership = membership or Membership(review_id=review_id, user_id=user_id, role=role)
    membership.role = role
    session.add(membership)
    session.flush()
    record_event(
        session,
        review_id=review_id,
        user_id=actor.user_id,
        action="member.set_role",
        entity="membership",
        entity_id=membership.id,
        before=before,
        after={"user": user.name, "role": role},
    )
    return MemberPublic(user_id=user_id, name=user.name, role=role)


def list_members(session: Session, *, review_id: int) -> list[MemberPublic]:
    rows = session.exec(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
        .where(Membership.review_id == review_id)
        .order_by(User.name)
    )
    return [MemberPublic(user_id=u.id, name=u.name, role=m.role) for m, u in rows]  # type: ignore[arg-type]


def add_new_member(
    session: Session, *, actor: Actor, review_id: int, name: str, role: str
) -> TemporaryPassword:
    """A new account with a temporary password (returned once, for the admin to pass on), made
    a member of the review with ``role``; the person chooses their own password at first login.
    Admins only; one unit of work, so a refused role leaves no account behind."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.ADMIN)
    password = new_temporary_password()
    user = create_user(session, name=name, password=password, must_change_password=True)
    record_event(
        session,
        review_id=review_id,
        user_id=actor.user_id,
        action="user.create",
        entity="user",
        entity_id=user.id,
        after={"name": user.name, "must_change_password": True},
    )
    add_member(session, actor=actor, review_id=review_id, user_id=user.id, role=role)
    return TemporaryPassword(user, password)


def add_existing_member(
    session: Session, *, actor: Actor, review_id: int, name: str, role: str
) -> MemberPublic:
    """An account that exists already (a member of another review) joins this one with
    ``role``; someone already in the review is refused, so a typo cannot change a role."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.ADMIN)
    user = get_user_by_name(session, name.strip())
    already = session.exec(
        select(Membership).where(Membership.review_id == review_id, Membership.user_id == user.id)
    ).first()
    if already is not None:
        raise ConflictError(
            f"{user.name} is already a member ({already.role}); change their role below instead"
        )
    return add_member(session, actor=actor, review_id=review_id, user_id=user.id, role=role)


def list_team(session: Session, *, actor: Actor, review_id: int) -> list[TeamMember]:
    """The review's members with their roles and account states, for its leads and admins (a
    lead sees who is in the team; only an admin changes it)."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    rows = session.exec(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
        .where(Membership.review_id == review_id)
        .order_by(User.name)
    )
    return [
        TeamMember(
            user_id=user.id,  # type: ignore[arg-type]
            name=user.name,
            role=membership.role,
            is_active=user.is_active,
            must_change_password=user.must_change_password,
        )
        for membership, user in rows
    ]


def protocol_history(session: Session, *, actor: Actor, review_id: int) -> ProtocolHistory:
    """What every member may know of the plan: when and by whom the protocol was loaded, the
    TOML as loaded, and the review-wide changes since (blinding switched off or on). The events
    read here carry no vote, so a blind reviewer sees the same history as a lead."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    review = _load(session, review_id)
    events = session.exec(
        select(AuditEvent, User.name)
        .join(User, User.id == AuditEvent.user_id, isouter=True)  # type: ignore[arg-type]
        .where(
            AuditEvent.review_id == review_id,
            col(AuditEvent.action).in_(PROTOCOL_ACTIONS),
        )
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all()
    entries = [
        HistoryEntry(event.at, who or COMMAND_LINE, event.action, event.before, event.after)
        for event, who in events
    ]
    created = next((e for e in entries if e.action == "review.create"), None)
    return ProtocolHistory(
        loaded_at=created.at if created else review.created_at,
        loaded_by=created.who if created else COMMAND_LINE,
        source_text=review.protocol_source,
        entries=entries,
    )


def reviews_of_user(session: Session, *, user_id: int) -> list[tuple[ReviewPublic, str]]:
    rows = session.exec(
        select(Review, Membership.role)
        .join(Membership, Membership.review_id == Review.id)  # type: ignore[arg-type]
        .where(Membership.user_id == user_id)
        .order_by(Review.id)  # type: ignore[arg-type]
    )
    return [(_public(review), role) for review, role in rows]


def set_blind(session: Session, *, actor: Actor, review_id: int, blind: bool) -> ReviewPublic:
    """Leads may unblind (or re-blind) a review; reviewers then see each other's votes.

    The rankings that no longer apply go at once (the shared one, trained on everyone's votes,
    when the review is blinded again; the per-reviewer ones once unblinded), so no reviewer is
    ordered by the team's votes while blind; the ranking worker trains the new ones.
    """
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    review = _load(session, review_id)
    before = {"is_blind": review.is_blind}
    review.is_blind = blind
    session.add(review)
    owner = col(RecordRank.reviewer_id)
    session.execute(
        delete(RecordRank).where(
            col(RecordRank.review_id) == review_id,
            owner.is_(None) if blind else owner.is_not(None),
        )
    )
    session.flush()
    record_event(
        session,
        review_id=review_id,
        user_id=actor.user_id,
        action="review.set_blind",
        entity="review",
        entity_id=review_id,
        before=before,
        after={"is_blind": blind},
    )
    return _public(review)


def _load(session: Session, review_id: int) -> Review:
    review = session.get(Review, review_id)
    if review is None:
        raise NotFoundError(
            f"no review with id {review_id}; list them in the web app or pass a valid --review"
        )
    return review


def _keep_an_admin(session: Session, *, actor: Actor, membership: Membership, name: str) -> None:
    """Refuse to take the admin role from the review's last admin."""
    if membership.role != Role.ADMIN:
        return
    admins = session.exec(
        select(func.count())
        .select_from(Membership)
        .where(Membership.review_id == membership.review_id, Membership.role == Role.ADMIN)
    ).one()
    if admins > 1:
        return
    who = "you are" if membership.user_id == actor.user_id else f"{name} is"
    raise ConflictError(
        f"{who} the review's last admin; make another member admin first, so that someone can "
        "still manage the team"
    )


def _is_admin_somewhere(session: Session, actor: Actor) -> bool:
    return (
        session.exec(
            select(Membership.id).where(
                Membership.user_id == actor.user_id, Membership.role == Role.ADMIN
            )
        ).first()
        is not None
    )


def _protocol_text(raw: bytes, *, source: str) -> str:
    """The protocol file's text, or a ProtocolError naming the line that is not UTF-8 (as
    ``load_protocol`` says it)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        message = "the file is not UTF-8 text; save it as UTF-8"
        raise ProtocolError([Problem(source, message, line=line)]) from None


def _public(review: Review) -> ReviewPublic:
    assert review.id is not None
    return ReviewPublic(
        id=review.id,
        name=review.name,
        title=review.title,
        question=review.question,
        is_blind=review.is_blind,
    )


def _check_review_name(name: str) -> None:
    if not re.fullmatch(r"[\w][\w .-]{0,199}", name):
        raise ValidationError(
            f"review name {name!r}: 1-200 characters, letters, digits, spaces and . _ -"
        )
