from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from review_app.errors import ConflictError, ValidationError
from review_app.models import User, utcnow
from review_app.services.users import (
    FREE_FAILURES,
    LOGIN_FAILED,
    authenticate,
    create_user,
)


def test_password_is_stored_as_argon2_hash(session: Session) -> None:
    create_user(session, name="ada", password="correct horse")
    stored = session.exec(select(User).where(User.name == "ada")).one()
    assert stored.password_hash.startswith("$argon2id$")
    assert "correct horse" not in stored.password_hash


def test_login_with_right_password(session: Session) -> None:
    user = create_user(session, name="ada", password="correct horse")
    outcome = authenticate(session, name="ada", password="correct horse")
    assert outcome.user == user


def test_failed_login_does_not_say_which_part_was_wrong(session: Session) -> None:
    create_user(session, name="ada", password="correct horse")
    wrong_password = authenticate(session, name="ada", password="wrong horse")
    unknown_name = authenticate(session, name="nobody", password="correct horse")
    assert wrong_password.user is None and unknown_name.user is None
    assert wrong_password.message == unknown_name.message == LOGIN_FAILED


def test_repeated_failures_are_slowed_down(session: Session) -> None:
    create_user(session, name="ada", password="correct horse")
    start = utcnow()
    for _ in range(FREE_FAILURES):
        assert authenticate(session, name="ada", password="nope", now=start).message == LOGIN_FAILED
    # Even the right password is refused while the wait lasts...
    blocked = authenticate(session, name="ada", password="correct horse", now=start)
    assert blocked.user is None and "Try again in 2 s" in blocked.message
    # ...and accepted after it; success clears the counter.
    later = start + timedelta(seconds=3)
    assert authenticate(session, name="ada", password="correct horse", now=later).user is not None
    assert authenticate(session, name="ada", password="nope", now=later).message == LOGIN_FAILED


def test_unknown_names_are_throttled_like_known_ones(session: Session) -> None:
    now = utcnow()
    for _ in range(FREE_FAILURES):
        authenticate(session, name="ghost", password="x", now=now)
    assert "Try again" in authenticate(session, name="ghost", password="x", now=now).message


def test_waits_double_with_each_failure(session: Session) -> None:
    create_user(session, name="ada", password="correct horse")
    now = utcnow()
    for _ in range(FREE_FAILURES + 2):
        authenticate(session, name="ada", password="nope", now=now)
        now += timedelta(seconds=100)  # past any wait, so each attempt is checked
    assert (
        "Try again in 8 s"
        in authenticate(session, name="ada", password="x", now=now - timedelta(seconds=100)).message
    )


@pytest.mark.parametrize("name", ["", "a", "has space", "-dash", "x" * 101])
def test_bad_names_are_refused(session: Session, name: str) -> None:
    with pytest.raises(ValidationError, match="user name"):
        create_user(session, name=name, password="long enough")


def test_short_password_is_refused(session: Session) -> None:
    with pytest.raises(ValidationError, match="at least 8"):
        create_user(session, name="ada", password="short")


def test_duplicate_name_is_refused(session: Session) -> None:
    create_user(session, name="ada", password="correct horse")
    with pytest.raises(ConflictError, match="already exists"):
        create_user(session, name="ada", password="another one")
