"""What the tests of the stages kept in copies (extraction, risk of bias) set up alike: the team
as actors, a study of the review, another review whose protocol sets the stage differently, and
the stage's audit events."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from review_app.db import session_scope
from review_app.models import AuditEvent
from review_app.protocol import Protocol
from review_app.services.permissions import Actor
from review_app.services.reviews import add_member, create_review, create_review_from_protocol
from review_app.services.studies import create_study
from review_app.services.users import UserPublic, create_user
from tests.conftest import KRATOM_PROTOCOL
from tests.services.screening_helpers import import_titles

TEAM_ROLES = (("lena", "lead"), ("rita", "reviewer"), ("raj", "reviewer"))  # the team fixture's
RCT = "randomised controlled trial"  # a design the kratom protocol names a risk-of-bias tool for


def actors(team: dict[str, UserPublic]) -> dict[str, Actor]:
    return {name: Actor.user(user.id) for name, user in team.items()}


def add_study(session: Session, review_id: int, label: str, *, design: str | None = None) -> int:
    """A study of one newly imported record (titled after the label: a file is imported once)."""
    [record] = import_titles(session, review_id, 1, prefix=label)
    made = create_study(
        session,
        actor=Actor.operator(),
        review_id=review_id,
        label=label,
        record_ids=[record],
        design=design,
    )
    return made.id


def review_with(
    session: Session,
    team: dict[str, UserPublic],
    protocol: Protocol,
    *,
    name: str,
    label: str,
    design: str | None = None,
) -> tuple[int, int]:
    """A review of ``protocol`` with the team in their roles and one study: their ids."""
    review = create_review_from_protocol(session, protocol=protocol, source_text="", name=name)
    for person, role in TEAM_ROLES:
        add_member(
            session, actor=Actor.operator(), review_id=review.id, user_id=team[person].id, role=role
        )
    return review.id, add_study(session, review.id, label, design=design)


def stage_events(
    session: Session, review_id: int, entity: str, action: str | None = None
) -> list[AuditEvent]:
    """The review's audit events of the stage (``entity``), or of one of its actions."""
    query = select(AuditEvent).where(
        AuditEvent.review_id == review_id, col(AuditEvent.action).startswith(f"{entity}.")
    )
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(session.exec(query.order_by(col(AuditEvent.id))))


def claims_review(engine: Engine, studies: int) -> tuple[int, list[int], list[int]]:
    """Committed: a review (two people per study) with three reviewers and ``studies`` RCTs."""
    with session_scope(engine) as session:
        review = create_review(session, protocol_path=KRATOM_PROTOCOL, name="claims")
        users = []
        for name in ("ana", "ben", "cai"):
            user = create_user(session, name=name, password="long password")
            add_member(
                session,
                actor=Actor.operator(),
                review_id=review.id,
                user_id=user.id,
                role="reviewer",
            )
            users.append(user.id)
        made = [add_study(session, review.id, f"Study {i}", design=RCT) for i in range(studies)]
    return review.id, users, made
