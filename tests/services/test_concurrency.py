"""Two reviewers voting at the same instant, or one double-clicking: no vote lost or doubled."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import col, select

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
    assert len(created) == ROUNDS  # every vote audited once; the repeated clicks change nothing
    assert session_events(committed_engine, "vote.update") == []


def session_events(engine: Engine, action: str) -> list[AuditEvent]:
    with session_scope(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_a_second_tab_sending_another_vote_at_once_is_logged_as_a_change(
    committed_engine: Engine,
) -> None:
    """Tab 1 has inserted the vote but not committed when tab 2 sends a different one: tab 2's
    write waits for tab 1 (PostgreSQL: on the unique key; SQLite: on the write lock) and must be
    logged as a change from tab 1's vote, not as a second create without a before."""
    review_id, (ana, _), records = set_up(committed_engine)
    second_tab = threading.Thread(
        target=vote(committed_engine, review_id, ana, records[0], "exclude")
    )
    with session_scope(committed_engine) as first_tab:
        record_vote(
            first_tab, actor=Actor.user(ana), review_id=review_id, record_id=records[0],
            stage="title_abstract", vote="include",
        )  # fmt: skip
        second_tab.start()
        time.sleep(1.0)  # the second tab is now waiting for the first one's transaction
    second_tab.join(timeout=60)
    assert not second_tab.is_alive()
    with session_scope(committed_engine) as session:
        [decision] = session.exec(select(Decision)).all()
        events = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "decision").order_by(col(AuditEvent.id))
        ).all()
    assert decision.vote == "exclude"
    assert [e.action for e in events] == ["vote.create", "vote.update"]
    assert events[0].before is None and events[0].after["vote"] == "include"  # type: ignore[index]
    assert events[1].before["vote"] == "include" and events[1].after["vote"] == "exclude"  # type: ignore[index]
