"""Accounts: argon2 password hashes, login with uniform failure messages and throttling."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from review_app.errors import ConflictError, NotFoundError, ValidationError
from review_app.models import LoginThrottle, User, utcnow

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,99}$")
MIN_PASSWORD_LENGTH = 8
FREE_FAILURES = 3  # failures allowed before logins for that name are slowed down
MAX_DELAY_SECONDS = 300
LOGIN_FAILED = "Login failed: the name or the password is not right."

_hasher = PasswordHasher()
# Verified when the name is unknown, so an unknown name costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


@dataclass(frozen=True, slots=True)
class UserPublic:
    id: int
    name: str


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(session: Session, *, name: str, password: str) -> UserPublic:
    _check_name(name)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if session.exec(select(User).where(User.name == name)).first() is not None:
        raise ConflictError(f"user {name!r} already exists; choose another name")
    user = User(name=name, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    assert user.id is not None
    return UserPublic(id=user.id, name=user.name)


def get_user_by_name(session: Session, name: str) -> UserPublic:
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None or user.id is None:
        raise NotFoundError(f"no user named {name!r}; add one with: review-app users add NAME")
    return UserPublic(id=user.id, name=user.name)


def get_user(session: Session, user_id: int) -> UserPublic:
    user = session.get(User, user_id)
    if user is None or user.id is None:
        raise NotFoundError(f"no user with id {user_id}")
    return UserPublic(id=user.id, name=user.name)


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """The result of a login attempt. A failure is a normal outcome (its counter must be saved),
    so it is returned, not raised: raising would roll the caller's unit of work back."""

    user: UserPublic | None
    message: str = ""


def authenticate(
    session: Session, *, name: str, password: str, now: datetime | None = None
) -> LoginOutcome:
    """Check a name and password; a failure never says which of the two was wrong.

    After FREE_FAILURES failures for a name (known or not), each further attempt must wait twice
    as long as the one before (2 s, 4 s, ... up to MAX_DELAY_SECONDS); attempts inside the wait
    are refused without checking the password.
    """
    now = now or utcnow()
    throttle = session.get(LoginThrottle, name)
    wait = _seconds_to_wait(throttle, now) if throttle else 0
    if wait > 0:
        return LoginOutcome(None, f"Too many failed logins. Try again in {wait} s.")
    user = session.exec(select(User).where(User.name == name, User.is_active)).first()
    password_ok = _verify(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or user.id is None or not password_ok:
        throttle = throttle or LoginThrottle(name=name)
        throttle.failures += 1
        throttle.last_failure_at = now
        session.add(throttle)
        session.flush()
        return LoginOutcome(None, LOGIN_FAILED)
    if throttle is not None:
        session.delete(throttle)
        session.flush()
    return LoginOutcome(UserPublic(id=user.id, name=user.name))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _seconds_to_wait(throttle: LoginThrottle, now: datetime) -> int:
    if throttle.failures < FREE_FAILURES or throttle.last_failure_at is None:
        return 0
    delay = min(2 ** (throttle.failures - FREE_FAILURES + 1), MAX_DELAY_SECONDS)
    allowed_at = throttle.last_failure_at + timedelta(seconds=delay)
    return max(0, int((allowed_at - now).total_seconds() + 0.999))


def _check_name(name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise ValidationError(
            f"user name {name!r}: 2-100 characters, letters, digits and . _ @ - "
            "(starting with a letter or digit)"
        )
