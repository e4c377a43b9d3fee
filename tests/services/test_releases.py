"""A lead releases decided outcomes to the reviewers while the review is blind."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from review_app.errors import PermissionDeniedError
from review_app.models import AuditEvent, Record, Resolution
from review_app.services.permissions import Actor
from review_app.services.releases import (
    count_unreleased,
    release_outcomes,
    released_record_ids_select,
)
from review_app.services.reviews import ReviewPublic
from review_app.services.screening import record_vote
from review_app.services.users import UserPublic
from tests.services.screening_helpers import import_titles

TA = "title_abstract"


def test_a_lead_releases_the_decided_records_once(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    ids = import_titles(session, review.id, 6)
    rita, raj, lena = (Actor.user(team[n].id) for n in ("rita", "raj", "lena"))
    for record_id, (a, b) in zip(
        ids, [("include", "include"), ("exclude", "exclude"), ("include", "exclude")], strict=False
    ):
        record_vote(session, actor=rita, review_id=review.id, record_id=record_id, stage=TA, vote=a)
        record_vote(session, actor=raj, review_id=review.id, record_id=record_id, stage=TA, vote=b)
    # The conflict ids[2] is resolved; ids[3] is a conflict left open (see the next test);
    # ids[4] awaits a second vote, ids[5] has none.
    record_vote(
        session, actor=rita, review_id=review.id, record_id=ids[3], stage=TA, vote="include"
    )
    record_vote(session, actor=raj, review_id=review.id, record_id=ids[3], stage=TA, vote="exclude")
    record_vote(
        session, actor=rita, review_id=review.id, record_id=ids[4], stage=TA, vote="include"
    )
    session.add(
        Resolution(
            review_id=review.id, record_id=ids[2], stage=TA, lead_id=team["lena"].id, vote="include"
        )
    )
    session.flush()

    with pytest.raises(PermissionDeniedError):
        count_unreleased(session, actor=rita, review_id=review.id, stage=TA)
    with pytest.raises(PermissionDeniedError):
        release_outcomes(session, actor=rita, review_id=review.id, stage=TA)

    def released() -> set[int]:
        query = select(Record.id).where(
            col(Record.id).in_(released_record_ids_select(review.id, TA))
        )
        return {rid for rid in session.exec(query) if rid is not None}

    assert released() == {ids[2]}  # a resolution is a release
    # Every record with all its votes goes, the open conflict too: which records are released
    # then depends on how many votes they have, never on what the votes are.
    assert count_unreleased(session, actor=lena, review_id=review.id, stage=TA) == 3
    assert release_outcomes(session, actor=lena, review_id=review.id, stage=TA) == 3
    assert released() == {ids[0], ids[1], ids[2], ids[3]}
    assert count_unreleased(session, actor=lena, review_id=review.id, stage=TA) == 0
    assert release_outcomes(session, actor=lena, review_id=review.id, stage=TA) == 0
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "stage.release")).all()
    assert len(events) == 1 and events[0].after["records"] == 3  # type: ignore[index]
