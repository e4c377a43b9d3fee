from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from review_app.db import session_scope
from review_app.errors import ConflictError, NotFoundError, ValidationError
from review_app.models import LoginThrottle, User, utcnow
from review_app.services.users import (
    FREE_FAILURES,
    LOGIN_FAILED,
    MAX_PASSWORD_LENGTH,
    authenticate,
    create_user,
    get_user_by_name,
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


def _guess_in_parallel(
    engine: Engine, *, name: str, threads: int, seconds: float, speedup: float
) -> tuple[list[str], list[BaseException]]:
    """``threads`` guessers trying wrong passwords for ``name`` as fast as they can, for
    ``seconds`` of throttle time (the clock handed to authenticate runs ``speedup`` times fast)."""
    start, started = utcnow(), time.monotonic()
    messages: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def clock() -> datetime:
        return start + timedelta(seconds=(time.monotonic() - started) * speedup)

    def guesser(number: int) -> None:
        attempt = 0
        while clock() - start < timedelta(seconds=seconds):
            attempt += 1
            try:
                with session_scope(engine) as session:
                    outcome = authenticate(
                        session, name=name, password=f"guess-{number}-{attempt}", now=clock()
                    )
            except BaseException as exc:
                with lock:
                    errors.append(exc)
                return
            with lock:
                messages.append(outcome.message)

    workers = [threading.Thread(target=guesser, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return messages, errors


@pytest.mark.parametrize("known", [True, False], ids=["known-name", "unknown-name"])
def test_parallel_guessers_get_no_more_tries_than_one(
    committed_engine: Engine, known: bool
) -> None:
    """8 guessers at once for 10 s: one guesser alone gets FREE_FAILURES tries at once, then one
    at 2 s and one at 6 s (the next is at 14 s). Before the throttle row was taken atomically,
    8 threads on PostgreSQL got 33 tries in 10 s and 7 of them crashed with IntegrityError."""
    name = "ada" if known else "ghost"
    if known:
        with session_scope(committed_engine) as session:
            create_user(session, name="ada", password="correct horse")
    messages, errors = _guess_in_parallel(
        committed_engine, name=name, threads=8, seconds=10, speedup=4
    )
    assert errors == []
    tried = messages.count(LOGIN_FAILED)
    assert FREE_FAILURES <= tried <= FREE_FAILURES + 2, messages
    assert len(messages) > tried  # the others were refused without a password check
    with session_scope(committed_engine) as session:
        throttle = session.get(LoginThrottle, name)
        assert throttle is not None and throttle.failures == tried


@pytest.mark.parametrize(
    "name",
    ["x" * 101, "a" * 5000, "ada\x00", "\x00", "ada\x1b[31m", "ad\u200ba", "\ud800ada"],
    ids=["101-chars", "5000-chars", "nul-inside", "nul", "escape", "zero-width", "surrogate"],
)
def test_impossible_login_names_get_the_uniform_answer(session: Session, name: str) -> None:
    """Such names fit no account; today PostgreSQL raised (NUL; too long for the throttle row)
    and the traceback, with the SQL and its parameters, reached someone not logged in."""
    create_user(session, name="ada", password="correct horse")
    for _ in range(FREE_FAILURES + 2):
        outcome = authenticate(session, name=name, password="correct horse")
        assert outcome.user is None and outcome.message == LOGIN_FAILED
    assert session.exec(select(LoginThrottle)).all() == []  # no row written, nothing to crash
    with pytest.raises(NotFoundError, match="no user named"):
        get_user_by_name(session, name)
    # the session is still usable: nothing failed inside the database
    assert authenticate(session, name="ada", password="correct horse").user is not None


def test_odd_passwords_are_just_wrong(session: Session) -> None:
    create_user(session, name="ada", password="correct horse")
    for password in ("\x00", "correct horse\x00", "\ud800", "x" * (MAX_PASSWORD_LENGTH + 1)):
        assert authenticate(session, name="ada", password=password).message == LOGIN_FAILED
    with pytest.raises(ValidationError, match="at most"):
        create_user(session, name="bob", password="x" * (MAX_PASSWORD_LENGTH + 1))


def test_throttle_row_is_upserted_on_both_databases(session: Session) -> None:
    now = utcnow()
    authenticate(session, name="ghost", password="x", now=now)
    authenticate(session, name="ghost", password="x", now=now)
    throttle = session.get(LoginThrottle, "ghost")
    assert throttle is not None
    session.refresh(throttle)
    assert throttle.failures == 2 and throttle.last_failure_at == now
