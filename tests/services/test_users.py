from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from review_app.db import session_scope
from review_app.errors import ConflictError, NotFoundError, ValidationError
from review_app.models import AuditEvent, LoginThrottle, User, utcnow
from review_app.services.permissions import Actor
from review_app.services.users import (
    FREE_FAILURES,
    LOGIN_FAILED,
    MAX_PASSWORD_LENGTH,
    authenticate,
    create_user,
    get_user_by_name,
    new_temporary_password,
    replace_temporary_password,
    reset_password,
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


def test_a_temporary_password_must_be_replaced_by_one_of_the_users_own(session: Session) -> None:
    ada = create_user(session, name="ada", password="correct horse")
    reset = reset_password(session, actor=Actor.operator(), user_id=ada.id)
    with pytest.raises(ValidationError, match="not the temporary one"):
        replace_temporary_password(session, user_id=ada.id, new_password=reset.password)
    with pytest.raises(ValidationError, match="at least 8"):
        replace_temporary_password(session, user_id=ada.id, new_password="short")
    replace_temporary_password(session, user_id=ada.id, new_password="battery staple")
    outcome = authenticate(session, name="ada", password="battery staple")
    assert outcome.user == ada and not outcome.must_change_password
    changed = session.exec(select(AuditEvent).where(AuditEvent.action == "user.change_password"))
    assert [(e.user_id, e.after) for e in changed] == [(ada.id, {"must_change_password": False})]


def test_only_a_reset_account_may_replace_its_password_this_way(session: Session) -> None:
    """The login page calls this after the temporary password was accepted; without the flag
    it would let any caller set any account's password."""
    ada = create_user(session, name="ada", password="correct horse")
    with pytest.raises(ConflictError, match="no temporary password to replace"):
        replace_temporary_password(session, user_id=ada.id, new_password="battery staple")
    assert authenticate(session, name="ada", password="correct horse").user == ada


def test_temporary_passwords_differ_and_avoid_lookalike_characters() -> None:
    made = {new_temporary_password() for _ in range(200)}
    assert len(made) == 200
    assert not set("".join(made)) & set("01ilo")
