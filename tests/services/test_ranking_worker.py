"""The background ranking worker: a request returns at once, and when several server processes
serve one review only one trains at a time while the others read what it stored."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from review_app.db import session_scope
from review_app.domain.prioritisation import Ranker
from review_app.models import RecordRank, utcnow
from review_app.services import ranking_worker
from review_app.services.permissions import Actor
from review_app.services.prioritisation import Ranking, RankingInputs
from review_app.services.ranking_worker import RankingWorker
from review_app.services.reviews import add_member, create_review, set_blind
from review_app.services.screening import record_vote
from review_app.services.users import create_user
from tests.conftest import KRATOM_PROTOCOL
from tests.services.screening_helpers import import_titles


def _review_with_two_votes(engine: Engine) -> tuple[int, int, list[int]]:
    """A blind review, 12 records, one reviewer who voted include on one and exclude on one."""
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
    return review.id, user.id, ids


def _add_reviewer(engine: Engine, review_id: int, name: str) -> int:
    with session_scope(engine) as session:
        user = create_user(session, name=name, password="long password")
        add_member(
            session, actor=Actor.operator(), review_id=review_id, user_id=user.id, role="reviewer"
        )
    return user.id


def _count_trainings(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """Whose rankings the worker trains from now on (appended as it trains them)."""
    trained: list[int | None] = []
    compute = ranking_worker.compute_ranking

    def counting(inputs: RankingInputs, ranker: Ranker | None) -> Ranking:
        trained.append(inputs.reviewer_id)
        return compute(inputs, ranker)

    monkeypatch.setattr(ranking_worker, "compute_ranking", counting)
    return trained


def _ranked(engine: Engine) -> list[tuple[int, int | None]]:
    with session_scope(engine, read_only=True) as session:
        return list(session.exec(select(RecordRank.record_id, RecordRank.reviewer_id)).all())


def test_a_request_returns_at_once_and_the_ranking_arrives(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ranking_worker, "QUIET_SECONDS", 0.2)
    review_id, ana, ids = _review_with_two_votes(committed_engine)
    worker = RankingWorker(committed_engine)
    start = time.monotonic()
    worker.request(review_id)
    worker.request(review_id)  # a second vote while waiting: still one worker
    assert time.monotonic() - start < 0.1
    deadline = time.monotonic() + 60
    while worker.is_running(review_id) and time.monotonic() < deadline:
        time.sleep(0.1)
    ranked = _ranked(committed_engine)
    # blind: the reviewer's own ranking, over the records she has not voted on
    assert sorted(ranked) == sorted((rid, ana) for rid in ids[2:])


def test_a_second_process_reads_the_ranking_another_one_stored(committed_engine: Engine) -> None:
    review_id, _, _ = _review_with_two_votes(committed_engine)
    requested = utcnow()  # both processes were asked after the same vote
    first, second = RankingWorker(committed_engine), RankingWorker(committed_engine)
    assert first.retrain(review_id, requested_at=requested) is True
    stored = _ranked(committed_engine)
    assert second.retrain(review_id, requested_at=requested) is False  # already covered
    assert _ranked(committed_engine) == stored
    assert second.retrain(review_id) is True  # a later vote: trains again


def test_on_postgresql_one_process_trains_while_the_other_waits(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if committed_engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite checks at store time")
    review_id, _, _ = _review_with_two_votes(committed_engine)
    trainings: list[int | None] = []
    slow_compute = ranking_worker.compute_ranking

    def compute(inputs: RankingInputs, ranker: Ranker | None) -> Ranking:
        trainings.append(inputs.reviewer_id)
        time.sleep(1.0)  # the training takes a while
        return slow_compute(inputs, ranker)

    monkeypatch.setattr(ranking_worker, "compute_ranking", compute)
    requested = utcnow()  # both processes were asked after the same vote
    results: dict[str, bool] = {}

    def run(name: str) -> None:
        results[name] = RankingWorker(committed_engine).retrain(review_id, requested_at=requested)

    first = threading.Thread(target=run, args=("first",))
    first.start()
    time.sleep(0.3)
    second = threading.Thread(target=run, args=("second",))
    second.start()
    first.join(30)
    second.join(30)
    assert results == {"first": True, "second": False}
    assert len(trainings) == 1  # one reviewer's ranking, trained once
    assert _ranked(committed_engine)


def test_while_blind_a_vote_retrains_only_the_voters_ranking(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    review_id, ana, ids = _review_with_two_votes(committed_engine)
    bo = _add_reviewer(committed_engine, review_id, "bo")
    with session_scope(committed_engine) as session:
        for record_id, vote in ((ids[0], "include"), (ids[1], "exclude")):
            record_vote(
                session,
                actor=Actor.user(bo),
                review_id=review_id,
                record_id=record_id,
                stage="title_abstract",
                vote=vote,
            )
    trained = _count_trainings(monkeypatch)
    worker = RankingWorker(committed_engine)
    assert worker.retrain(review_id) is True
    assert set(trained) == {ana, bo} and len(trained) == 2
    with session_scope(committed_engine) as session:
        record_vote(
            session,
            actor=Actor.user(bo),
            review_id=review_id,
            record_id=ids[2],
            stage="title_abstract",
            vote="include",
        )
    trained.clear()
    assert worker.retrain(review_id) is True
    assert trained == [bo]
    owners = {owner for _, owner in _ranked(committed_engine)}
    assert owners == {ana, bo}  # ana's ranking is kept, not trained again


def test_a_second_reviewer_agreeing_retrains_the_teams_ranking(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unblinded, the team's ranking weighs a lone vote less than an agreed one: a second vote
    that agrees changes a weight, not a label, and that is a reason to train again."""
    review_id, _, ids = _review_with_two_votes(committed_engine)
    bo = _add_reviewer(committed_engine, review_id, "bo")
    with session_scope(committed_engine) as session:
        set_blind(session, actor=Actor.operator(), review_id=review_id, blind=False)
    trained = _count_trainings(monkeypatch)
    worker = RankingWorker(committed_engine)
    assert worker.retrain(review_id) is True and trained == [None]
    trained.clear()
    assert worker.retrain(review_id) is True and trained == []  # nothing changed
    with session_scope(committed_engine) as session:
        record_vote(session, actor=Actor.user(bo), review_id=review_id, record_id=ids[0],
                    stage="title_abstract", vote="include")  # fmt: skip
    assert worker.retrain(review_id) is True and trained == [None]
