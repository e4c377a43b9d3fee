from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from review_app.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    ValidationError,
)
from review_app.models import AuditEvent, Review
from review_app.services.permissions import Actor
from review_app.services.reviews import (
    ReviewPublic,
    add_member,
    create_review,
    get_protocol,
    list_members,
    resolve_review_id,
    reviews_of_user,
    set_blind,
)
from review_app.services.users import UserPublic, create_user
from tests.conftest import KRATOM_PROTOCOL


def test_review_is_created_from_the_protocol(session: Session) -> None:
    review = create_review(session, protocol_path=KRATOM_PROTOCOL)
    assert review.name == "kratom-neuropathic-pain"
    assert "kratom" in review.title.lower()
    assert review.is_blind is True
    protocol = get_protocol(session, review.id)
    assert protocol.screening.reviewers_per_record == 2


def test_a_protocol_is_parsed_once_and_again_when_it_changes(session: Session) -> None:
    """get_protocol keeps the parse of each stored content: the same object while the protocol
    is unchanged (another review with the same protocol included), a new one once it is edited."""
    review = create_review(session, protocol_path=KRATOM_PROTOCOL, name="a")
    twin = create_review(session, protocol_path=KRATOM_PROTOCOL, name="b")
    first = get_protocol(session, review.id)
    assert get_protocol(session, review.id) is first and get_protocol(session, twin.id) is first
    row = session.get(Review, review.id)
    assert row is not None
    screening = {**row.protocol["screening"], "allow_maybe": False}
    row.protocol = {**row.protocol, "screening": screening}
    session.add(row)
    session.flush()
    edited = get_protocol(session, review.id)
    assert first.screening.allow_maybe is True and edited.screening.allow_maybe is False
    assert get_protocol(session, twin.id) is first


def test_review_names_are_unique(session: Session) -> None:
    create_review(session, protocol_path=KRATOM_PROTOCOL, name="same")
    with pytest.raises(ConflictError, match="already exists"):
        create_review(session, protocol_path=KRATOM_PROTOCOL, name="same")


def test_broken_protocol_creates_nothing(session: Session, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('title = "x"\n[screening]\nreviewers_per_record = "two"\n')
    with pytest.raises(ProtocolError):
        create_review(session, protocol_path=broken)
    assert session.exec(select(AuditEvent)).all() == []


def test_missing_protocol_file(session: Session, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="cannot read"):
        create_review(session, protocol_path=tmp_path / "absent.toml")


def test_resolve_review_id(session: Session) -> None:
    with pytest.raises(NotFoundError, match="no review yet"):
        resolve_review_id(session, None)
    first = create_review(session, protocol_path=KRATOM_PROTOCOL, name="one")
    assert resolve_review_id(session, None) == first.id
    create_review(session, protocol_path=KRATOM_PROTOCOL, name="two")
    with pytest.raises(ValidationError, match="pass --review"):
        resolve_review_id(session, None)
    with pytest.raises(NotFoundError):
        resolve_review_id(session, 999_999)


def test_roles_and_members(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    members = {m.name: m.role for m in list_members(session, review_id=review.id)}
    assert members == {"lena": "lead", "rita": "reviewer", "raj": "reviewer"}
    [(mine, role)] = reviews_of_user(session, user_id=team["rita"].id)
    assert (mine.id, role) == (review.id, "reviewer")


def test_a_reviewer_cannot_change_roles(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    with pytest.raises(PermissionDeniedError, match="admin role"):
        add_member(
            session,
            actor=Actor.user(team["rita"].id),
            review_id=review.id,
            user_id=team["rita"].id,
            role="admin",
        )


def test_a_lead_cannot_change_roles_either(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    with pytest.raises(PermissionDeniedError):
        add_member(
            session,
            actor=Actor.user(team["lena"].id),
            review_id=review.id,
            user_id=team["raj"].id,
            role="lead",
        )


def test_only_leads_unblind(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    with pytest.raises(PermissionDeniedError, match="lead role"):
        set_blind(session, actor=Actor.user(team["raj"].id), review_id=review.id, blind=False)
    unblinded = set_blind(
        session, actor=Actor.user(team["lena"].id), review_id=review.id, blind=False
    )
    assert unblinded.is_blind is False
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "review.set_blind")).one()
    assert (event.before, event.after, event.user_id) == (
        {"is_blind": True},
        {"is_blind": False},
        team["lena"].id,
    )


def test_a_stranger_has_no_role(session: Session, review: ReviewPublic) -> None:
    stranger = create_user(session, name="stranger", password="password!")
    with pytest.raises(PermissionDeniedError, match="not a member"):
        set_blind(session, actor=Actor.user(stranger.id), review_id=review.id, blind=False)


def test_unknown_role_is_refused(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    with pytest.raises(ValidationError, match="allowed are reviewer, lead, admin"):
        add_member(
            session,
            actor=Actor.operator(),
            review_id=review.id,
            user_id=team["raj"].id,
            role="boss",
        )
