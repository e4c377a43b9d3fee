"""What a review's admin does to its team and its reviews: accounts with temporary passwords,
roles (a review keeps an admin), resets, deactivation, reviews from uploaded protocols, and the
protocol's history. Every action audited; refusals in words."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from review_app.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    ValidationError,
)
from review_app.models import AuditEvent, LoginSession, Membership, Review, User
from review_app.services.permissions import Actor
from review_app.services.reviews import (
    COMMAND_LINE,
    MAX_PROTOCOL_BYTES,
    ReviewPublic,
    add_existing_member,
    add_member,
    add_new_member,
    create_review,
    create_review_from_upload,
    list_team,
    protocol_history,
    set_blind,
)
from review_app.services.sessions import start_session
from review_app.services.users import (
    UserPublic,
    authenticate,
    create_user,
    deactivate_user,
    reactivate_user,
    reset_password,
)
from tests.conftest import KRATOM_PROTOCOL


@pytest.fixture
def admin(session: Session, review: ReviewPublic, team: dict[str, UserPublic]) -> UserPublic:
    """The review's one admin (the team's lead and reviewers are in it too)."""
    user = create_user(session, name="ada", password="ada-password")
    add_member(session, actor=Actor.operator(), review_id=review.id, user_id=user.id, role="admin")
    return user


def events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


def test_an_admin_adds_a_person_with_a_temporary_password(
    session: Session, review: ReviewPublic, admin: UserPublic
) -> None:
    made = add_new_member(
        session, actor=Actor.user(admin.id), review_id=review.id, name="nora", role="reviewer"
    )
    assert len(made.password) == 19 and made.password.count("-") == 3
    first = authenticate(session, name="nora", password=made.password)
    assert first.user == made.user and first.must_change_password
    team = {m.name: m for m in list_team(session, actor=Actor.user(admin.id), review_id=review.id)}
    assert team["nora"].role == "reviewer" and team["nora"].must_change_password
    [created] = events(session, "user.create")
    assert created.user_id == admin.id and created.review_id == review.id
    assert made.password not in str(created.after)


def test_a_refused_role_leaves_no_account(
    session: Session, review: ReviewPublic, admin: UserPublic
) -> None:
    with pytest.raises(ValidationError, match="allowed are reviewer, lead, admin"):
        add_new_member(
            session, actor=Actor.user(admin.id), review_id=review.id, name="nora", role="boss"
        )
    session.rollback()  # the unit of work a page would roll back
    assert session.exec(select(User).where(User.name == "nora")).first() is None


def test_leads_see_the_team_but_only_admins_change_it(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic], admin: UserPublic
) -> None:
    lead = Actor.user(team["lena"].id)
    with pytest.raises(PermissionDeniedError, match="admin role or higher; your role is lead"):
        add_new_member(session, actor=lead, review_id=review.id, name="nora", role="reviewer")
    with pytest.raises(PermissionDeniedError, match="admin role"):
        add_existing_member(session, actor=lead, review_id=review.id, name="raj", role="lead")
    assert [m.name for m in list_team(session, actor=lead, review_id=review.id)] == [
        "ada",
        "lena",
        "raj",
        "rita",
    ]
    with pytest.raises(PermissionDeniedError, match="lead role or higher; your role is reviewer"):
        list_team(session, actor=Actor.user(team["rita"].id), review_id=review.id)
    with pytest.raises(PermissionDeniedError, match="every review it belongs to"):
        reset_password(session, actor=lead, user_id=team["rita"].id)


def test_an_existing_account_joins_but_a_member_is_not_added_twice(
    session: Session, review: ReviewPublic, admin: UserPublic
) -> None:
    create_user(session, name="omar", password="omar-password")
    actor = Actor.user(admin.id)
    joined = add_existing_member(
        session, actor=actor, review_id=review.id, name="omar", role="lead"
    )
    assert joined.role == "lead"
    with pytest.raises(ConflictError, match=r"omar is already a member \(lead\)"):
        add_existing_member(session, actor=actor, review_id=review.id, name="omar", role="reviewer")
    with pytest.raises(NotFoundError, match="no user named 'nobody'"):
        add_existing_member(session, actor=actor, review_id=review.id, name="nobody", role="lead")


def test_the_last_admin_cannot_demote_themselves(
    session: Session, review: ReviewPublic, admin: UserPublic, team: dict[str, UserPublic]
) -> None:
    actor = Actor.user(admin.id)
    with pytest.raises(ConflictError, match="you are the review's last admin; make another"):
        add_member(session, actor=actor, review_id=review.id, user_id=admin.id, role="lead")
    add_member(session, actor=actor, review_id=review.id, user_id=team["lena"].id, role="admin")
    add_member(session, actor=actor, review_id=review.id, user_id=admin.id, role="lead")
    lena = Actor.user(team["lena"].id)
    with pytest.raises(ConflictError, match="you are the review's last admin"):
        add_member(session, actor=lena, review_id=review.id, user_id=team["lena"].id, role="lead")
    roles = [e.after for e in events(session, "member.set_role") if e.user_id == admin.id]
    assert {"user": "lena", "role": "admin"} in roles and {"user": "ada", "role": "lead"} in roles


def test_the_operator_cannot_leave_a_review_without_its_admin(
    session: Session, review: ReviewPublic, admin: UserPublic
) -> None:
    with pytest.raises(ConflictError, match="ada is the review's last admin"):
        add_member(
            session, actor=Actor.operator(), review_id=review.id, user_id=admin.id, role="lead"
        )


def test_a_reset_ends_sessions_and_asks_for_a_new_password(
    session: Session, review: ReviewPublic, admin: UserPublic, team: dict[str, UserPublic]
) -> None:
    rita = team["rita"]
    start_session(session, user_id=rita.id)
    reset = reset_password(session, actor=Actor.user(admin.id), user_id=rita.id)
    assert reset.user == rita
    assert authenticate(session, name="rita", password="rita-password").user is None
    assert authenticate(session, name="rita", password=reset.password).must_change_password
    sessions = session.exec(select(LoginSession).where(LoginSession.user_id == rita.id)).all()
    assert sessions and all(s.revoked_at is not None for s in sessions)
    [event] = events(session, "user.reset_password")
    assert (event.user_id, event.entity_id) == (admin.id, rita.id)
    assert event.after == {"must_change_password": True}
    assert reset.password not in str(event.before) + str(event.after)


def test_nobody_resets_their_own_password_here(
    session: Session, review: ReviewPublic, admin: UserPublic
) -> None:
    with pytest.raises(PermissionDeniedError, match="cannot reset the password of your own"):
        reset_password(session, actor=Actor.user(admin.id), user_id=admin.id)


def test_an_admin_of_one_review_cannot_reset_an_admin_of_another(
    session: Session, review: ReviewPublic, admin: UserPublic
) -> None:
    other = create_review(session, protocol_path=KRATOM_PROTOCOL, name="other")
    boss = create_user(session, name="boss", password="boss-password")
    operator = Actor.operator()
    add_member(session, actor=operator, review_id=other.id, user_id=boss.id, role="admin")
    add_member(session, actor=operator, review_id=review.id, user_id=boss.id, role="reviewer")
    with pytest.raises(PermissionDeniedError, match="admin role in every review it belongs to"):
        reset_password(session, actor=Actor.user(admin.id), user_id=boss.id)
    with pytest.raises(PermissionDeniedError, match="to deactivate an account"):
        deactivate_user(session, actor=Actor.user(admin.id), user_id=boss.id)


def test_deactivate_and_reactivate_are_audited(
    session: Session, review: ReviewPublic, admin: UserPublic, team: dict[str, UserPublic]
) -> None:
    actor, raj = Actor.user(admin.id), team["raj"]
    deactivate_user(session, actor=actor, user_id=raj.id)
    assert authenticate(session, name="raj", password="raj-password").user is None
    reactivate_user(session, actor=actor, user_id=raj.id)
    reactivate_user(session, actor=actor, user_id=raj.id)  # already active: nothing to record
    assert authenticate(session, name="raj", password="raj-password").user == raj
    assert [e.after for e in events(session, "user.reactivate")] == [{"is_active": True}]
    states = {m.name: m.is_active for m in list_team(session, actor=actor, review_id=review.id)}
    assert states["raj"] is True


def test_a_review_from_an_uploaded_protocol_makes_the_uploader_its_admin(
    session: Session, review: ReviewPublic, admin: UserPublic
) -> None:
    data = KRATOM_PROTOCOL.read_bytes()
    made = create_review_from_upload(
        session, actor=Actor.user(admin.id), data=data, file_name="kratom v2.toml"
    )
    assert made.name == "kratom v2" and made.title == review.title
    row = session.get(Review, made.id)
    assert row is not None and row.protocol_source == data.decode("utf-8")
    role = session.exec(
        select(Membership.role).where(
            Membership.review_id == made.id, Membership.user_id == admin.id
        )
    ).one()
    assert role == "admin"
    history = protocol_history(session, actor=Actor.user(admin.id), review_id=made.id)
    assert history.loaded_by == "ada" and history.source_text == row.protocol_source


def test_a_bad_uploaded_protocol_is_refused_with_its_line_and_creates_nothing(
    session: Session, review: ReviewPublic, admin: UserPublic
) -> None:
    actor = Actor.user(admin.id)
    broken = b'title = "x"\n[screening]\nreviewers_per_record = "two"\n'
    with pytest.raises(ProtocolError, match=r"broken\.toml.*reviewers_per_record"):
        create_review_from_upload(session, actor=actor, data=broken, file_name="broken.toml")
    latin1 = 'title = "x"\n\nquestion = "caf\xe9"\n'.encode("latin-1")
    with pytest.raises(ProtocolError, match=r"latin\.toml, line 3: the file is not UTF-8"):
        create_review_from_upload(session, actor=actor, data=latin1, file_name="latin.toml")
    with pytest.raises(ValidationError, match="at most 1,000,000 bytes"):
        create_review_from_upload(
            session, actor=actor, data=b"#" * (MAX_PROTOCOL_BYTES + 1), file_name="big.toml"
        )
    with pytest.raises(ConflictError, match="a review named 'kratom' already exists"):
        create_review_from_upload(
            session, actor=actor, data=KRATOM_PROTOCOL.read_bytes(), file_name="kratom.toml"
        )
    assert len(session.exec(select(Review)).all()) == 1


def test_only_an_admin_creates_reviews_in_the_browser(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    with pytest.raises(PermissionDeniedError, match="admin role in at least one review"):
        create_review_from_upload(
            session,
            actor=Actor.user(team["lena"].id),
            data=KRATOM_PROTOCOL.read_bytes(),
            file_name="new.toml",
        )


def test_the_protocol_history_says_who_loaded_it_and_what_changed(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    set_blind(session, actor=Actor.user(team["lena"].id), review_id=review.id, blind=False)
    history = protocol_history(session, actor=Actor.user(team["rita"].id), review_id=review.id)
    assert history.loaded_by == COMMAND_LINE
    assert history.source_text == KRATOM_PROTOCOL.read_text(encoding="utf-8")
    assert [(e.action, e.who, e.after) for e in history.entries] == [
        ("review.create", COMMAND_LINE, {"name": "kratom"}),
        ("review.set_blind", "lena", {"is_blind": False}),
    ]
    stranger = create_user(session, name="stranger", password="password!")
    with pytest.raises(PermissionDeniedError, match="not a member"):
        protocol_history(session, actor=Actor.user(stranger.id), review_id=review.id)
