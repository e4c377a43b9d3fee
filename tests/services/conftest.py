from __future__ import annotations

import pytest
from sqlmodel import Session

from review_app.services.permissions import Actor
from review_app.services.reviews import ReviewPublic, add_member, create_review
from review_app.services.users import UserPublic, create_user
from tests.conftest import KRATOM_PROTOCOL


@pytest.fixture
def review(session: Session) -> ReviewPublic:
    return create_review(session, protocol_path=KRATOM_PROTOCOL, name="kratom")


@pytest.fixture
def team(session: Session, review: ReviewPublic) -> dict[str, UserPublic]:
    """A lead and two reviewers in the review."""
    people = {}
    for name, role in (("lena", "lead"), ("rita", "reviewer"), ("raj", "reviewer")):
        user = create_user(session, name=name, password=f"{name}-password")
        add_member(session, actor=Actor.operator(), review_id=review.id, user_id=user.id, role=role)
        people[name] = user
    return people
