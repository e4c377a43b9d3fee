"""Login sessions: a token only the browser holds, revocable, idle-limited; uploads need a login."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from review_app.errors import PermissionDeniedError, ValidationError
from review_app.models import LoginSession, ScreeningSlot, User, utcnow
from review_app.services.fulltext import attach_pdf
from review_app.services.imports import import_file
from review_app.services.permissions import Actor
from review_app.services.reviews import ReviewPublic, add_member
from review_app.services.screening import next_record
from review_app.services.sessions import (
    TOUCH_EVERY,
    check_session,
    end_all_sessions,
    end_session,
    resume_session,
    start_session,
    token_digest,
)
from review_app.services.users import (
    LOGIN_FAILED,
    UserPublic,
    authenticate,
    create_user,
    deactivate_user,
)
from tests.services.screening_helpers import import_titles, ris

IDLE = 8.0


@pytest.fixture
def ada(session: Session) -> UserPublic:
    return create_user(session, name="ada", password="correct horse")


def test_only_the_tokens_digest_is_stored(session: Session, ada: UserPublic) -> None:
    token = start_session(session, user_id=ada.id)
    assert len(token) == 43  # secrets.token_urlsafe(32)
    rows = session.exec(select(LoginSession).where(LoginSession.user_id == ada.id)).all()
    assert [row.token_sha256 for row in rows] == [token_digest(token)]
    assert token not in rows[0].token_sha256
    assert resume_session(session, token=token, idle_hours=IDLE) == ada


def test_each_login_gets_its_own_token(session: Session, ada: UserPublic) -> None:
    assert start_session(session, user_id=ada.id) != start_session(session, user_id=ada.id)


@pytest.mark.parametrize(
    "token",
    ["", "x", "A" * 43 + "\x00", "\x00" * 43, "é" * 43, "a" * 10_000, "A" * 42 + "="],
)
def test_strange_tokens_are_unknown_and_never_reach_the_database(
    session: Session, token: str
) -> None:
    # NUL or non-ASCII would make PostgreSQL (or the hash) fail; such a cookie is simply not ours.
    assert check_session(session, token=token, idle_hours=IDLE).reason == "unknown"
    end_session(session, token=token)  # a no-op, not an error


def test_an_unknown_token_of_the_right_shape_is_refused(session: Session) -> None:
    assert resume_session(session, token="A" * 43, idle_hours=IDLE) is None


def test_idle_session_ends_and_stays_ended(session: Session, ada: UserPublic) -> None:
    start = utcnow()
    token = start_session(session, user_id=ada.id, now=start)
    assert resume_session(session, token=token, idle_hours=IDLE, now=start + timedelta(hours=7))
    # the check at 7 h counted as an action, so the clock starts again from there
    later = start + timedelta(hours=7 + IDLE, minutes=1)
    check = check_session(session, token=token, idle_hours=IDLE, now=later)
    assert check.user is None and check.reason == "idle"
    assert "8 hours without an action" in check.message(idle_hours=IDLE)
    # revoked on the spot: a shorter idle setting later does not revive it
    assert resume_session(session, token=token, idle_hours=1000, now=later) is None


def test_last_seen_is_written_at_most_once_a_minute(session: Session, ada: UserPublic) -> None:
    start = utcnow()
    token = start_session(session, user_id=ada.id, now=start)
    row = session.get(LoginSession, token_digest(token))
    assert row is not None
    for seconds in (1, 20, 59):
        resume_session(
            session, token=token, idle_hours=IDLE, now=start + timedelta(seconds=seconds)
        )
        assert row.last_seen_at == start
    resume_session(session, token=token, idle_hours=IDLE, now=start + TOUCH_EVERY)
    assert row.last_seen_at == start + TOUCH_EVERY


def test_logout_ends_this_session_only(session: Session, ada: UserPublic) -> None:
    laptop = start_session(session, user_id=ada.id)
    phone = start_session(session, user_id=ada.id)
    end_session(session, token=laptop)
    check = check_session(session, token=laptop, idle_hours=IDLE)
    assert check.user is None and check.reason == "revoked"
    assert resume_session(session, token=phone, idle_hours=IDLE) == ada


def test_logout_everywhere(session: Session, ada: UserPublic) -> None:
    other = create_user(session, name="bob", password="correct horse")
    tokens = [start_session(session, user_id=ada.id) for _ in range(3)]
    bobs = start_session(session, user_id=other.id)
    assert end_all_sessions(session, actor=Actor.user(ada.id)) == 3
    assert all(resume_session(session, token=t, idle_hours=IDLE) is None for t in tokens)
    assert resume_session(session, token=bobs, idle_hours=IDLE) == other
    with pytest.raises(ValidationError, match="command line"):
        end_all_sessions(session, actor=Actor.operator())


def test_deactivated_user_is_stopped_at_the_next_action(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    admin = create_user(session, name="adm", password="admin-password")
    add_member(session, actor=Actor.operator(), review_id=review.id, user_id=admin.id, role="admin")
    rita = team["rita"]
    token = start_session(session, user_id=rita.id)
    assert resume_session(session, token=token, idle_hours=IDLE) == rita
    with pytest.raises(PermissionDeniedError, match="admin role"):
        deactivate_user(session, actor=Actor.user(team["lena"].id), user_id=rita.id)  # a lead
    with pytest.raises(PermissionDeniedError, match="your own account"):
        deactivate_user(session, actor=Actor.user(admin.id), user_id=admin.id)
    deactivate_user(session, actor=Actor.user(admin.id), user_id=rita.id)
    check = check_session(session, token=token, idle_hours=IDLE)
    assert check.user is None and check.reason == "inactive"
    assert authenticate(session, name="rita", password="rita-password").message == LOGIN_FAILED
    with pytest.raises(ValidationError, match="no active user"):
        start_session(session, user_id=rita.id)


def test_deactivation_alone_stops_a_session(session: Session, ada: UserPublic) -> None:
    """Even a session the revocation missed ends: the check reads the account's state."""
    token = start_session(session, user_id=ada.id)
    user = session.get(User, ada.id)
    assert user is not None
    user.is_active = False
    session.add(user)
    session.flush()
    assert check_session(session, token=token, idle_hours=IDLE).reason == "inactive"


def test_logout_gives_back_the_records_on_lease(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    import_titles(session, review.id, 3)
    rita = Actor.user(team["rita"].id)
    token = start_session(session, user_id=rita.user_id)  # type: ignore[arg-type]
    assert next_record(session, actor=rita, review_id=review.id, stage="title_abstract")
    leases = select(ScreeningSlot).where(
        col(ScreeningSlot.reviewer_id) == rita.user_id, col(ScreeningSlot.leased_until).is_not(None)
    )
    assert session.exec(leases).all()
    end_session(session, token=token)
    assert not session.exec(leases).all()


def test_uploads_need_a_member_not_just_a_user_id(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic], tmp_path: Path
) -> None:
    """Nothing is written for an actor who is not logged in to the review (no membership)."""
    stranger = create_user(session, name="stranger", password="correct horse")
    for actor in (Actor.user(stranger.id), Actor.user(10_000_000)):
        with pytest.raises(PermissionDeniedError, match="not a member"):
            import_file(
                session,
                actor=actor,
                review_id=review.id,
                data=ris(["A title"]),
                file_name="x.ris",
                source_name="PubMed",
            )
        with pytest.raises(PermissionDeniedError, match="not a member"):
            attach_pdf(
                session,
                actor=actor,
                review_id=review.id,
                record_id=1,
                data=b"%PDF-1.4\n%%EOF\n",
                file_name="x.pdf",
                files_dir=tmp_path,
                max_bytes=1_000_000,
            )
    # a reviewer may attach full texts but not import search results
    with pytest.raises(PermissionDeniedError, match="lead role"):
        import_file(
            session,
            actor=Actor.user(team["rita"].id),
            review_id=review.id,
            data=ris(["A title"]),
            file_name="x.ris",
            source_name="PubMed",
        )
    assert not list(tmp_path.iterdir())


def test_a_read_only_check_writes_nothing_and_says_when_a_touch_is_due(
    session: Session, ada: UserPublic
) -> None:
    start = utcnow()
    token = start_session(session, user_id=ada.id, now=start)
    row = session.get(LoginSession, token_digest(token))
    assert row is not None
    soon = check_session(session, token=token, idle_hours=IDLE, now=start, write=False)
    assert soon.user == ada and not soon.touch_due
    later = start + TOUCH_EVERY
    due = check_session(session, token=token, idle_hours=IDLE, now=later, write=False)
    assert due.user == ada and due.touch_due and row.last_seen_at == start
    idle = start + timedelta(hours=IDLE, minutes=1)
    assert check_session(session, token=token, idle_hours=IDLE, now=idle, write=False).reason == (
        "idle"
    )
    assert row.revoked_at is None  # judged idle, but nothing written in a read-only check
