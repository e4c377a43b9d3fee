"""Reviews and their members."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from review_app.domain.vocabulary import ROLES, Role
from review_app.errors import ConflictError, NotFoundError, ValidationError
from review_app.models import Membership, RecordRank, Review, User
from review_app.protocol import Protocol, parse_protocol, protocol_from_dict, protocol_to_dict
from review_app.services.audit import record_event
from review_app.services.permissions import Actor, require_role


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


def create_review(
    session: Session, *, protocol_path: Path, name: str | None = None
) -> ReviewPublic:
    """A new review from a protocol file; its name defaults to the file's stem."""
    try:
        text = protocol_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise NotFoundError(f"{protocol_path}: cannot read the protocol ({exc.strerror})") from exc
    protocol = parse_protocol(text, source=str(protocol_path))
    return create_review_from_protocol(
        session, protocol=protocol, source_text=text, name=name or protocol_path.stem
    )


def create_review_from_protocol(
    session: Session, *, protocol: Protocol, source_text: str, name: str
) -> ReviewPublic:
    _check_review_name(name)
    if session.exec(select(Review).where(Review.name == name)).first() is not None:
        raise ConflictError(
            f"a review named {name!r} already exists; pass --name to choose another"
        )
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
        user_id=None,
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
    """Give a user a role in a review (admins only), replacing any role they had."""
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
