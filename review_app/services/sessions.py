"""Login sessions: a random token in the browser's cookie, only its SHA-256 in the database.

A session is revocable on the server (logout, logout everywhere, deactivation) and ends after
``idle_hours`` without an action; the web app checks it on every run, so an ended session stops
working at the next click, not at the next login.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from review_app.errors import ValidationError
from review_app.models import LoginSession, User, utcnow
from review_app.services.permissions import Actor
from review_app.services.screening import release_leases
from review_app.services.users import UserPublic, end_sessions_of

TOKEN_BYTES = 32
# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet. Anything else in a
# cookie is not ours and is refused without a query.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
# last_seen_at is written at most this often, so a page's reruns do not each cost a write.
TOUCH_EVERY = timedelta(minutes=1)

ENDED = {
    "unknown": "Your login is no longer valid. Log in again.",
    "revoked": "You were logged out (here or on another device). Log in again.",
    "idle": "Your login ended after {hours} without an action. Log in again.",
    "inactive": "Your account has been deactivated. Ask an admin of your review.",
}


@dataclass(frozen=True, slots=True)
class SessionCheck:
    """The outcome of checking a token: the user, or why the session is over."""

    user: UserPublic | None
    reason: str = ""  # "" while valid, else a key of ENDED
    touch_due: bool = False  # checked with write=False and last_seen_at is due for an update

    def message(self, *, idle_hours: float) -> str:
        return ENDED.get(self.reason, ENDED["unknown"]).format(hours=_hours(idle_hours))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def start_session(session: Session, *, user_id: int, now: datetime | None = None) -> str:
    """A new login session for a user who just proved their password; returns the token for the
    browser (the database keeps only its SHA-256)."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise ValidationError(f"no active user with id {user_id}; a session needs one")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = now or utcnow()
    session.add(
        LoginSession(
            token_sha256=token_digest(token), user_id=user_id, created_at=now, last_seen_at=now
        )
    )
    session.flush()
    return token


def check_session(
    session: Session,
    *,
    token: str,
    idle_hours: float,
    now: datetime | None = None,
    write: bool = True,
) -> SessionCheck:
    """Whether a token is a live session, and whose. Touches ``last_seen_at`` at most once a
    minute; an idle session is revoked on the spot.

    With ``write=False`` nothing is written (for a read-only unit of work, which on SQLite takes
    no write lock): ``touch_due`` then says that a writing check is due."""
    if not TOKEN_PATTERN.match(token or ""):
        return SessionCheck(None, "unknown")
    row = session.get(LoginSession, token_digest(token))
    if row is None:
        return SessionCheck(None, "unknown")
    user = session.get(User, row.user_id)
    if user is None or user.id is None or not user.is_active:
        return SessionCheck(None, "inactive")  # said first: the reason the person can act on
    if row.revoked_at is not None:
        return SessionCheck(None, "revoked")
    now = now or utcnow()
    last_seen = _aware(row.last_seen_at)
    if now - last_seen > timedelta(hours=idle_hours):
        if write:
            row.revoked_at = now
            session.add(row)
            session.flush()
        return SessionCheck(None, "idle")
    if now - last_seen >= TOUCH_EVERY:
        if not write:
            return SessionCheck(UserPublic(id=user.id, name=user.name), touch_due=True)
        row.last_seen_at = now
        session.add(row)
        session.flush()
    return SessionCheck(UserPublic(id=user.id, name=user.name))


def resume_session(
    session: Session, *, token: str, idle_hours: float, now: datetime | None = None
) -> UserPublic | None:
    """The user a token logs in, or None when it is unknown, revoked, idle longer than
    ``idle_hours`` or its user is deactivated."""
    return check_session(session, token=token, idle_hours=idle_hours, now=now).user


def end_session(session: Session, *, token: str, now: datetime | None = None) -> None:
    """Log out this browser: revoke its session and release the user's screening leases."""
    if not TOKEN_PATTERN.match(token or ""):
        return
    row = session.get(LoginSession, token_digest(token))
    if row is None:
        return
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        session.add(row)
        session.flush()
    release_leases(session, actor=Actor.user(row.user_id), review_id=None)


def end_all_sessions(session: Session, *, actor: Actor, now: datetime | None = None) -> int:
    """Log the acting user out everywhere (every browser and device); returns how many sessions
    ended. Their screening leases are released too."""
    if actor.user_id is None:
        raise ValidationError("the command line has no login sessions to end; name a user")
    return end_sessions_of(session, user_id=actor.user_id, now=now)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _hours(hours: float) -> str:
    return f"{hours:g} hour" + ("" if hours == 1 else "s")
