"""The audit trail is read through an actor: leads see it all, a reviewer only their own events."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from review_app.errors import PermissionDeniedError
from review_app.services.audit import list_events
from review_app.services.permissions import Actor
from review_app.services.reviews import ReviewPublic
from review_app.services.screening import record_vote
from review_app.services.users import UserPublic, create_user
from tests.services.screening_helpers import import_titles


def test_a_reviewer_reads_only_their_own_events(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    [record_id] = import_titles(session, review.id, 1)
    rita, raj, lena = (Actor.user(team[n].id) for n in ("rita", "raj", "lena"))
    for actor, vote in ((rita, "include"), (raj, "exclude")):
        record_vote(session, actor=actor, review_id=review.id, record_id=record_id,
                    stage="title_abstract", vote=vote)  # fmt: skip
    mine = list_events(session, actor=rita, review_id=review.id)
    assert [e.after["vote"] for e in mine if e.action == "vote.create"] == ["include"]  # type: ignore[index]
    assert {e.user_id for e in mine} == {team["rita"].id}
    everyone = list_events(session, actor=lena, review_id=review.id)
    assert {e.user_id for e in everyone if e.action == "vote.create"} == {
        team["rita"].id,
        team["raj"].id,
    }
    outsider = create_user(session, name="olga", password="olga-password")
    with pytest.raises(PermissionDeniedError):
        list_events(session, actor=Actor.user(outsider.id), review_id=review.id)
