"""Who may do what. Every privileged service calls ``require_role`` itself."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from review_app.domain.vocabulary import Role, is_lead
from review_app.errors import PermissionDeniedError
from review_app.models import Membership


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a logged-in user, or the operator at the command line.

    The operator runs ``review-app`` with direct access to the database file or server, so the
    command line acts with admin rights; the web app always acts as a user.
    """

    user_id: int | None

    @classmethod
    def operator(cls) -> Actor:
        return cls(user_id=None)

    @classmethod
    def user(cls, user_id: int) -> Actor:
        return cls(user_id=user_id)

    @property
    def is_operator(self) -> bool:
        return self.user_id is None


def role_of(session: Session, *, actor: Actor, review_id: int) -> str | None:
    if actor.is_operator:
        return Role.ADMIN
    membership = session.exec(
        select(Membership).where(
            Membership.review_id == review_id, Membership.user_id == actor.user_id
        )
    ).first()
    return membership.role if membership else None


def require_role(session: Session, *, actor: Actor, review_id: int, at_least: str) -> str:
    """The actor's role in the review, or PermissionDeniedError if it ranks below ``at_least``."""
    role = role_of(session, actor=actor, review_id=review_id)
    if role is None or not Role(role).at_least(at_least):
        held = f"your role is {role}" if role else "you are not a member of this review"
        raise PermissionDeniedError(f"this needs the {at_least} role or higher; {held}")
    return role


def can_see_all_votes(role: str | None) -> bool:
    """Leads and admins see every vote; reviewers see only their own while the review is blind."""
    return is_lead(role)
