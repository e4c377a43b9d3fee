"""The background retrainer stores a ranking without the page waiting for it."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from review_app.db import make_engine, migrate, session_scope
from review_app.models import RecordRank
from review_app.services.permissions import Actor
from review_app.services.reviews import add_member, create_review
from review_app.services.screening import record_vote
from review_app.services.users import create_user
from review_app.ui import background
from tests.conftest import KRATOM_PROTOCOL
from tests.services.screening_helpers import import_titles


def test_a_request_returns_at_once_and_the_ranking_arrives(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(background, "QUIET_SECONDS", 0.2)
    engine = make_engine(sqlite_url)
    migrate(engine)
    with session_scope(engine) as session:
        review = create_review(session, protocol_path=KRATOM_PROTOCOL, name="bg")
        user = create_user(session, name="ana", password="long password")
        add_member(
            session, actor=Actor.operator(), review_id=review.id, user_id=user.id, role="reviewer"
        )
        ids = import_titles(session, review.id, 12)
        for record_id, vote in ((ids[0], "include"), (ids[1], "exclude")):
            record_vote(
                session,
                actor=Actor.user(user.id),
                review_id=review.id,
                record_id=record_id,
                stage="title_abstract",
                vote=vote,
            )
    retrainer = background.Retrainer(engine)
    start = time.monotonic()
    retrainer.request(review.id)
    retrainer.request(review.id)  # a second vote while waiting: still one worker
    assert time.monotonic() - start < 0.1
    deadline = time.monotonic() + 60
    while retrainer.is_running(review.id) and time.monotonic() < deadline:
        time.sleep(0.1)
    with session_scope(engine) as session:
        ranked = session.exec(select(RecordRank.record_id)).all()
    assert sorted(ranked) == sorted(ids[2:])
