"""Accounts: argon2 password hashes, login with uniform failure messages and throttling, and
what an admin does to an account (add one with a temporary password, reset a password,
deactivate, reactivate)."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from review_app.domain.vocabulary import Role
from review_app.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from review_app.models import LoginSession, LoginThrottle, Membership, User, utcnow
from review_app.services.audit import record_event
from review_app.services.permissions import Actor

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,99}$")
MAX_NAME_LENGTH = 100  # the column's length
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a login form has no use for megabytes
FREE_FAILURES = 3  # failures allowed before logins for that name are slowed down
MAX_DELAY_SECONDS = 300
LOGIN_FAILED = "Login failed: the name or the password is not right."

_hasher = PasswordHasher()
# Verified when the name is unknown, so an unknown name costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


# A temporary password is read out or copied by hand: no 0/o, 1/l/i to confuse. 4 groups of 4
# from 31 symbols is about 79 bits, more than any password a person chooses.
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TEMPORARY_GROUPS = 4


@dataclass(frozen=True, slots=True)
class UserPublic:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class TemporaryPassword:
    """An account's new temporary password, to be shown once to the admin who made it; only its
    hash is stored, and the user must choose their own at their next login."""

    user: UserPublic
    password: str


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def new_temporary_password() -> str:
    """A random password such as ``k7dm-q2xp-9fwr-hb3e``."""
    return "-".join(
        "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(4))
        for _ in range(TEMPORARY_GROUPS)
    )


def create_user(
    session: Session, *, name: str, password: str, must_change_password: bool = False
) -> UserPublic:
    _check_name(name)
    _check_password(password)
    if session.exec(select(User).where(User.name == name)).first() is not None:
        raise ConflictError(f"user {name!r} already exists; choose another name")
    user = User(
        name=name,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    return UserPublic(id=user.id, name=user.name)


def get_user_by_name(session: Session, name: str) -> UserPublic:
    user = session.exec(select(User).where(User.name == name)).first() if _storable(name) else None
    if user is None or user.id is None:
        raise NotFoundError(f"no user named {name!r}; add one with: review-app users add NAME")
    return UserPublic(id=user.id, name=user.name)


def get_user(session: Session, user_id: int) -> UserPublic:
    user = session.get(User, user_id)
    if user is None or user.id is None:
        raise NotFoundError(f"no user with id {user_id}")
    return UserPublic(id=user.id, name=user.name)


def is_active_user(session: Session, user_id: int) -> bool:
    user = session.get(User, user_id)
    return user is not None and user.is_active


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """The result of a login attempt. A failure is a normal outcome (its counter must be saved),
    so it is returned, not raised: raising would roll the caller's unit of work back."""

    user: UserPublic | None
    message: str = ""
    # The password was a temporary one an admin set: the user must choose their own before a
    # login session starts (the login page asks, then calls replace_temporary_password).
    must_change_password: bool = False


def authenticate(
    session: Session, *, name: str, password: str, now: datetime | None = None
) -> LoginOutcome:
    """Check a name and password; a failure never says which of the two was wrong.

    After FREE_FAILURES failures for a name (known or not), each further attempt must wait twice
    as long as the one before (2 s, 4 s, ... up to MAX_DELAY_SECONDS); attempts inside the wait
    are refused without checking the password.

    Parallel attempts for one name queue behind each other: the first statement takes (creating
    it when needed) the name's throttle row and holds it until the caller's unit of work ends, so
    N guessers in parallel get no more tries than one guesser one at a time. A name no account
    can have (too long for the column, control characters such as NUL) fails at once, without a
    query, with the same message.
    """
    if not _storable(name) or len(password) > MAX_PASSWORD_LENGTH:
        return LoginOutcome(None, LOGIN_FAILED)
    failures, last_failure_at = _take_throttle_row(session, name)
    now = now or utcnow()  # read after the wait for the row, so a queued attempt is judged now
    wait = _seconds_to_wait(failures, last_failure_at, now)
    if wait > 0:
        return LoginOutcome(None, f"Too many failed logins. Try again in {wait} s.")
    user = session.exec(select(User).where(User.name == name, col(User.is_active))).first()
    password_ok = _verify(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or user.id is None or not password_ok:
        _count_failure(session, name, now)
        return LoginOutcome(None, LOGIN_FAILED)
    session.execute(
        LoginThrottle.__table__.delete().where(  # type: ignore[attr-defined]
            LoginThrottle.__table__.c.name == name  # type: ignore[attr-defined]
        )
    )
    return LoginOutcome(
        UserPublic(id=user.id, name=user.name), must_change_password=user.must_change_password
    )


def _insert(session: Session) -> Any:
    """The dialect's INSERT, which has ON CONFLICT (both SQLite and PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(LoginThrottle)


def _take_throttle_row(session: Session, name: str) -> tuple[int, datetime | None]:
    """Create or lock the name's throttle row and read it, in one statement.

    On PostgreSQL the no-op ON CONFLICT DO UPDATE locks the row (a parallel attempt waits here
    until this unit of work ends); on SQLite the unit of work began with BEGIN IMMEDIATE and so
    already holds the database's write lock.
    """
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    statement = _insert(session).values(name=name, failures=0, last_failure_at=None)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.name], set_={"name": statement.excluded.name}
    ).returning(table.c.failures, table.c.last_failure_at)
    failures, last_failure_at = session.execute(statement).one()
    return int(failures), last_failure_at


def _count_failure(session: Session, name: str, now: datetime) -> None:
    """failures + 1 as one atomic upsert (no read-modify-write)."""
    table = LoginThrottle.__table__  # type: ignore[attr-defined]
    statement = _insert(session).values(name=name, failures=1, last_failure_at=now)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.name],
            set_={"failures": table.c.failures + 1, "last_failure_at": now},
        )
    )


def _storable(name: str) -> bool:
    """Whether a login name could belong to an account: fits the column and holds no control,
    format or surrogate characters (PostgreSQL refuses NUL in text outright)."""
    return 0 < len(name) <= MAX_NAME_LENGTH and not any(
        unicodedata.category(char).startswith("C") for char in name
    )


def deactivate_user(session: Session, *, actor: Actor, user_id: int) -> UserPublic:
    """Stop an account: it can no longer log in, and its open sessions end at its next action.

    Allowed to the operator (command line) and to a user who is admin of every review the account
    belongs to (and of at least one review); nobody deactivates themselves. Records the account
    held on lease for screening go back to the pool.
    """
    user = _account_to_manage(session, actor=actor, user_id=user_id, doing="deactivate")
    if user.is_active:
        user.is_active = False
        session.add(user)
        _record_account_event(session, actor, user, "user.deactivate", "is_active", True, False)
    end_sessions_of(session, user_id=user.id)  # type: ignore[arg-type]
    session.flush()
    return _public_user(user)


def reactivate_user(session: Session, *, actor: Actor, user_id: int) -> UserPublic:
    """Let a deactivated account log in again (with its old password, or a temporary one after
    a reset). The same people may do it as may deactivate it."""
    user = _account_to_manage(session, actor=actor, user_id=user_id, doing="reactivate")
    if not user.is_active:
        user.is_active = True
        session.add(user)
        _record_account_event(session, actor, user, "user.reactivate", "is_active", False, True)
    session.flush()
    return _public_user(user)


def reset_password(session: Session, *, actor: Actor, user_id: int) -> TemporaryPassword:
    """Give an account a new temporary password (returned once, for the admin to pass on) that
    the user must replace at their next login; the account's open sessions end, so whoever held
    one must log in again. The audit event says that it happened, never the password.

    Allowed to the same people as deactivation: an admin of every review the account belongs to,
    so that an admin of one review cannot take over an admin of another; not to oneself.
    """
    user = _account_to_manage(session, actor=actor, user_id=user_id, doing="reset the password of")
    password = new_temporary_password()
    was_flagged = user.must_change_password
    user.password_hash = hash_password(password)
    user.must_change_password = True
    session.add(user)
    _record_account_event(
        session, actor, user, "user.reset_password", "must_change_password", was_flagged, True
    )
    end_sessions_of(session, user_id=user.id)  # type: ignore[arg-type]
    session.flush()
    return TemporaryPassword(_public_user(user), password)


def replace_temporary_password(session: Session, *, user_id: int, new_password: str) -> UserPublic:
    """The user's own password in place of the temporary one an admin gave them.

    Called by the login page right after ``authenticate`` accepted the temporary password (the
    caller is the check that this is the account's owner), and only while the account is
    flagged: it cannot change the password of an account an admin did not reset.
    """
    user = session.get(User, user_id)
    if user is None or user.id is None or not user.is_active:
        raise NotFoundError(f"no active user with id {user_id}")
    if not user.must_change_password:
        raise ConflictError(
            f"{user.name} has no temporary password to replace; log in with your password"
        )
    _check_password(new_password)
    if _verify(user.password_hash, new_password):
        raise ValidationError("choose a password of your own, not the temporary one")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    session.add(user)
    _record_account_event(
        session,
        Actor.user(user.id),
        user,
        "user.change_password",
        "must_change_password",
        True,
        False,
    )
    session.flush()
    return _public_user(user)


def _account_to_manage(session: Session, *, actor: Actor, user_id: int, doing: str) -> User:
    """The account ``actor`` may ``doing`` (deactivate, reset the password of...), or a refusal."""
    user = session.get(User, user_id)
    if user is None or user.id is None:
        raise NotFoundError(f"no user with id {user_id}")
    if not actor.is_operator:
        _require_admin_over(session, actor=actor, user_id=user.id, doing=doing)
    return user


def _record_account_event(
    session: Session, actor: Actor, user: User, action: str, field: str, before: bool, after: bool
) -> None:
    """An account belongs to no single review: its events have no review (``review_id`` None)."""
    record_event(
        session,
        review_id=None,
        user_id=actor.user_id,
        action=action,
        entity="user",
        entity_id=user.id,
        before={field: before},
        after={field: after},
    )


def _public_user(user: User) -> UserPublic:
    assert user.id is not None
    return UserPublic(id=user.id, name=user.name)


def end_sessions_of(session: Session, *, user_id: int, now: datetime | None = None) -> int:
    """Revoke every open login session of a user and release their screening leases; returns how
    many sessions ended."""
    from review_app.services.screening import release_leases  # screening is a heavier module

    result = session.execute(
        update(LoginSession)
        .where(col(LoginSession.user_id) == user_id, col(LoginSession.revoked_at).is_(None))
        .values(revoked_at=now or utcnow())
    )
    release_leases(session, actor=Actor.user(user_id), review_id=None)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _require_admin_over(session: Session, *, actor: Actor, user_id: int, doing: str) -> None:
    if actor.user_id == user_id:
        raise PermissionDeniedError(
            f"you cannot {doing} your own account; ask another admin or the operator"
        )
    mine = select(Membership).where(Membership.user_id == actor.user_id)
    roles = {membership.review_id: membership.role for membership in session.exec(mine)}
    target_reviews = session.exec(
        select(Membership.review_id).where(Membership.user_id == user_id)
    ).all()
    if Role.ADMIN not in roles.values() or any(
        roles.get(review_id) != Role.ADMIN for review_id in target_reviews
    ):
        raise PermissionDeniedError(
            f"to {doing} an account you need the admin role in every review it belongs to"
        )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError, UnicodeEncodeError):
        return False


def _seconds_to_wait(failures: int, last_failure_at: datetime | None, now: datetime) -> int:
    if failures < FREE_FAILURES or last_failure_at is None:
        return 0
    delay = min(2 ** (failures - FREE_FAILURES + 1), MAX_DELAY_SECONDS)
    allowed_at = _aware(last_failure_at) + timedelta(seconds=delay)
    return max(0, int((allowed_at - now).total_seconds() + 0.999))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"password: at most {MAX_PASSWORD_LENGTH} characters")


def _check_name(name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise ValidationError(
            f"user name {name!r}: 2-100 characters, letters, digits and . _ @ - "
            "(starting with a letter or digit)"
        )


def _aware(moment: datetime) -> datetime:
    """A core-SQL read of a datetime column may come back naive on SQLite: it is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
