"""Two reviewers voting at the same instant, or one double-clicking: no vote lost or doubled."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import select

from review_app.db import session_scope
from review_app.models import AuditEvent, Decision
from review_app.services.permissions import Actor
from review_app.services.reviews import add_member, create_review
from review_app.services.screening import record_vote
from review_app.services.users import create_user
from tests.conftest import KRATOM_PROTOCOL
from tests.services.screening_helpers import import_titles

ROUNDS = 15


def set_up(engine: Engine) -> tuple[int, list[int], list[int]]:
    with session_scope(engine) as session:
        review = create_review(session, protocol_path=KRATOM_PROTOCOL, name="threads")
        users = []
        for name in ("ana", "ben"):
            user = create_user(session, name=name, password="long password")
            add_member(
                session,
                actor=Actor.operator(),
                review_id=review.id,
                user_id=user.id,
                role="reviewer",
            )
            users.append(user.id)
        records = import_titles(session, review.id, ROUNDS)
    return review.id, users, records


def at_once(*calls: Callable[[], None]) -> list[BaseException]:
    """Run the calls in threads released by one barrier; return what they raised."""
    barrier, errors = threading.Barrier(len(calls)), []

    def run(call: Callable[[], None]) -> None:
        barrier.wait()
        try:
            call()
        except BaseException as error:  # collected and asserted by the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def vote(
    engine: Engine, review_id: int, user_id: int, record_id: int, value: str
) -> Callable[[], None]:
    def call() -> None:
        with session_scope(engine) as session:
            record_vote(
                session,
                actor=Actor.user(user_id),
                review_id=review_id,
                record_id=record_id,
                stage="title_abstract",
                vote=value,
            )

    return call


def test_two_reviewers_vote_on_the_same_record_at_once(committed_engine: Engine) -> None:
    review_id, (ana, ben), records = set_up(committed_engine)
    for record_id in records:
        errors = at_once(
            vote(committed_engine, review_id, ana, record_id, "include"),
            vote(committed_engine, review_id, ben, record_id, "exclude"),
        )
        assert errors == []
    with session_scope(committed_engine) as session:
        votes = session.exec(select(Decision.record_id, Decision.reviewer_id, Decision.vote)).all()
    assert sorted(votes) == sorted(
        [(r, ana, "include") for r in records] + [(r, ben, "exclude") for r in records]
    )


def test_a_double_click_records_one_vote(committed_engine: Engine) -> None:
    review_id, (ana, _), records = set_up(committed_engine)
    for record_id in records:
        click = vote(committed_engine, review_id, ana, record_id, "maybe")
        assert at_once(click, click, click) == []
    with session_scope(committed_engine) as session:
        votes = session.exec(select(Decision)).all()
        created = session.exec(select(AuditEvent).where(AuditEvent.action == "vote.create")).all()
    assert len(votes) == ROUNDS and {v.vote for v in votes} == {"maybe"}
    assert len(created) >= ROUNDS  # every vote audited (a lost race may log its create too)
