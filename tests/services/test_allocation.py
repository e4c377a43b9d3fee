"""Vote allocation: a record gets at most ``reviewers_per_record`` votes, however many reviewers
screen at once. Slots are leased to the reviewer a record is shown to and kept by their vote."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from review_app.db import session_scope
from review_app.errors import ValidationError
from review_app.models import Decision, ScreeningSlot, utcnow
from review_app.services.conflicts import resolve
from review_app.services.permissions import Actor
from review_app.services.reviews import ReviewPublic, add_member, create_review, set_blind
from review_app.services.screening import (
    count_remaining,
    next_record,
    record_vote,
    release_leases,
    screening_progress,
    undo_last_vote,
    votes_on,
)
from review_app.services.users import UserPublic, create_user
from tests.conftest import KRATOM_PROTOCOL
from tests.services.screening_helpers import import_titles

TA = "title_abstract"
N = 2  # reviewers_per_record in the kratom protocol


@pytest.fixture
def actors(team: dict[str, UserPublic]) -> dict[str, Actor]:
    return {name: Actor.user(user.id) for name, user in team.items()}


@pytest.fixture
def records(session: Session, review: ReviewPublic) -> list[int]:
    return import_titles(session, review.id, 6)


def shown(session: Session, review: ReviewPublic, actor: Actor) -> int | None:
    item = next_record(session, actor=actor, review_id=review.id, stage=TA)
    return None if item is None else item.record.id


def vote(
    session: Session, review: ReviewPublic, actor: Actor, record_id: int, value: str = "include"
) -> None:
    record_vote(
        session, actor=actor, review_id=review.id, record_id=record_id, stage=TA, vote=value
    )


def slots(session: Session, record_id: int) -> list[tuple[int, int, bool]]:
    """(slot, reviewer, is a lease) of a record's title/abstract slots."""
    rows = session.exec(
        select(ScreeningSlot)
        .where(ScreeningSlot.record_id == record_id)
        .order_by(col(ScreeningSlot.slot))
    ).all()
    return [(s.slot, s.reviewer_id, s.leased_until is not None) for s in rows]


def expire_lease(session: Session, record_id: int, reviewer_id: int) -> None:
    session.execute(
        update(ScreeningSlot)
        .where(col(ScreeningSlot.record_id) == record_id)
        .where(col(ScreeningSlot.reviewer_id) == reviewer_id)
        .values(leased_until=utcnow() - timedelta(minutes=1))
    )


def test_a_record_is_shown_to_at_most_n_reviewers_and_a_vote_beyond_n_is_refused(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    team: dict[str, UserPublic],
) -> None:
    rita, raj, lena = actors["rita"], actors["raj"], actors["lena"]
    first = shown(session, review, rita)
    assert first is not None and shown(session, review, raj) == first  # the same top record
    # Both slots are leased: a third screener is shown another record, and cannot vote on it.
    assert shown(session, review, lena) not in (first, None)
    assert count_remaining(session, actor=lena, review_id=review.id, stage=TA) == len(records) - 1
    with pytest.raises(ValidationError, match="already has the 2 votes the protocol asks for"):
        vote(session, review, lena, first)
    vote(session, review, rita, first)
    vote(session, review, raj, first, "exclude")
    assert slots(session, first) == [(1, team["rita"].id, False), (2, team["raj"].id, False)]
    with pytest.raises(ValidationError, match=f"record {first} already has the 2 votes"):
        vote(session, review, lena, first)
    assert session.exec(select(Decision).where(Decision.record_id == first)).all() != []
    assert len(session.exec(select(Decision).where(Decision.record_id == first)).all()) == N
    # A lead's resolution is not a vote: it needs no slot.
    resolve(session, actor=lena, review_id=review.id, record_id=first, stage=TA, vote="include")


def test_a_reload_shows_the_same_record_until_the_vote(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    rita = actors["rita"]
    first = shown(session, review, rita)
    assert first is not None
    assert [shown(session, review, rita) for _ in range(3)] == [first] * 3
    vote(session, review, rita, first)
    second = shown(session, review, rita)
    assert second not in (first, None) and shown(session, review, rita) == second
    # Even after the lease ran out, while nobody took it over the record is still mine.
    expire_lease(session, second, rita.user_id)  # type: ignore[arg-type]
    assert shown(session, review, rita) == second
    expire_lease(session, second, rita.user_id)  # type: ignore[arg-type]
    vote(session, review, rita, second)
    assert [s for s in slots(session, second) if s[1] == rita.user_id] == [(1, rita.user_id, False)]


def test_an_expired_lease_is_taken_over_and_its_holder_told(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    team: dict[str, UserPublic],
) -> None:
    rita, raj, lena = actors["rita"], actors["raj"], actors["lena"]
    first = shown(session, review, rita)
    assert first is not None and shown(session, review, raj) == first
    expire_lease(session, first, team["raj"].id)  # Raj went for lunch with the record open
    assert shown(session, review, lena) == first  # the lapsed slot goes to the next reviewer
    assert slots(session, first) == [(1, team["rita"].id, True), (2, team["lena"].id, True)]
    with pytest.raises(ValidationError, match="given to other reviewers while you had it open"):
        vote(session, review, raj, first)
    assert session.exec(select(Decision).where(Decision.reviewer_id == team["raj"].id)).all() == []
    after_lunch = shown(session, review, raj)
    assert after_lunch not in (first, None)
    vote(session, review, lena, first)
    vote(session, review, rita, first)
    assert len(session.exec(select(Decision).where(Decision.record_id == first)).all()) == N


def test_release_leases_frees_the_records_a_user_had_open(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    team: dict[str, UserPublic],
) -> None:
    rita, raj, lena = actors["rita"], actors["raj"], actors["lena"]
    first = shown(session, review, rita)
    assert first is not None and shown(session, review, raj) == first
    vote(session, review, rita, first)
    assert release_leases(session, actor=raj, review_id=review.id) == 1  # logout
    assert release_leases(session, actor=rita) == 0  # a vote is not a lease
    assert slots(session, first) == [(1, team["rita"].id, False)]
    assert shown(session, review, lena) == first
    assert release_leases(session, actor=Actor.operator()) == 0


def test_changing_a_vote_keeps_the_slot_and_undo_frees_it(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    team: dict[str, UserPublic],
) -> None:
    rita, raj, lena = actors["rita"], actors["raj"], actors["lena"]
    vote(session, review, rita, records[0])
    vote(session, review, raj, records[0])
    vote(session, review, rita, records[0], "exclude")  # a change needs no new slot
    assert slots(session, records[0]) == [(1, team["rita"].id, False), (2, team["raj"].id, False)]
    undone = undo_last_vote(session, actor=rita, review_id=review.id, stage=TA)
    assert undone is not None and undone.record_id == records[0]
    assert slots(session, records[0]) == [(2, team["raj"].id, False)]
    vote(session, review, lena, records[0])
    assert slots(session, records[0]) == [(1, team["lena"].id, False), (2, team["raj"].id, False)]


def test_a_resolved_or_released_vote_is_final_for_reviewers(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    rita, raj, lena = actors["rita"], actors["raj"], actors["lena"]
    vote(session, review, rita, records[0])
    vote(session, review, raj, records[0], "exclude")
    resolve(
        session, actor=lena, review_id=review.id, record_id=records[0], stage=TA, vote="include"
    )
    with pytest.raises(ValidationError, match="is final: a lead has resolved"):
        vote(session, review, raj, records[0], "include")
    with pytest.raises(ValidationError, match="is final"):
        undo_last_vote(session, actor=raj, review_id=review.id, stage=TA)
    vote(session, review, raj, records[0], "exclude")  # the same vote again changes nothing


def test_votes_on_shows_a_blind_reviewer_only_their_own(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    rita, raj, lena = actors["rita"], actors["raj"], actors["lena"]
    vote(session, review, rita, records[0])
    vote(session, review, raj, records[0], "exclude")

    def voters(actor: Actor) -> list[int]:
        views = votes_on(session, actor=actor, review_id=review.id, record_ids=records, stage=TA)
        return sorted(v.reviewer_id for v in views)

    assert voters(rita) == [rita.user_id]
    assert voters(lena) == sorted([rita.user_id, raj.user_id])  # type: ignore[type-var]
    set_blind(session, actor=lena, review_id=review.id, blind=False)
    assert voters(rita) == sorted([rita.user_id, raj.user_id])  # type: ignore[type-var]


def test_progress_agrees_with_what_next_record_can_give(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    rita, raj, lena = actors["rita"], actors["raj"], actors["lena"]
    shown(session, review, rita)
    shown(session, review, raj)
    given: list[int] = []
    while (record_id := shown(session, review, lena)) is not None:
        remaining = screening_progress(session, actor=lena, review_id=review.id, stage=TA)
        assert remaining.remaining_for_me == len(records) - 1 - len(given)
        given.append(record_id)
        vote(session, review, lena, record_id)
    assert len(given) == len(records) - 1
    assert count_remaining(session, actor=lena, review_id=review.id, stage=TA) == 0


# --- twenty reviewers at once, on a real database ----------------------------------------------

REVIEWERS = 20
RECORDS = 60


@dataclass
class Outcome:
    accepted: dict[tuple[int, int], str] = field(default_factory=dict)  # (reviewer, record) -> vote
    refused: list[str] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    reloads_moved: list[tuple[int, int, int | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def team_review(engine: Engine) -> tuple[int, list[int], list[int]]:
    with session_scope(engine) as session:
        review = create_review(session, protocol_path=KRATOM_PROTOCOL, name="twenty")
        users = []
        for i in range(REVIEWERS):
            user = create_user(session, name=f"reviewer{i:02d}", password="long password")
            add_member(
                session, actor=Actor.operator(), review_id=review.id, user_id=user.id,
                role="reviewer",
            )  # fmt: skip
            users.append(user.id)
        records = import_titles(session, review.id, RECORDS)
    return review.id, users, records


def screen_as_fast_as_possible(
    engine: Engine,
    review_id: int,
    user_id: int,
    records: list[int],
    outcome: Outcome,
    seed: int,
    lease_minutes: float,
) -> None:
    """A reviewer's loop: show the next record (one unit of work, like a page run), sometimes
    reload it, vote on it (another unit of work); now and then vote on a record picked at random
    (a stale page, a second tab) to hit the cap from outside the queue."""
    rng, actor = random.Random(seed), Actor.user(user_id)

    def cast(record_id: int) -> None:
        value = rng.choice(["include", "exclude", "maybe"])
        try:
            with session_scope(engine) as session:
                record_vote(
                    session, actor=actor, review_id=review_id, record_id=record_id, stage=TA,
                    vote=value,
                )  # fmt: skip
        except ValidationError as refused:
            with outcome.lock:
                outcome.refused.append(str(refused))
            return
        with outcome.lock:
            outcome.accepted[(user_id, record_id)] = value

    for _ in range(RECORDS * 2):
        with session_scope(engine) as session:
            item = next_record(
                session, actor=actor, review_id=review_id, stage=TA, lease_minutes=lease_minutes
            )
        if item is None:
            return
        if rng.random() < 0.2:
            with session_scope(engine) as session:
                again = next_record(
                    session, actor=actor, review_id=review_id, stage=TA, lease_minutes=lease_minutes
                )
            moved_to = None if again is None else again.record.id
            if moved_to != item.record.id:
                with outcome.lock:
                    outcome.reloads_moved.append((user_id, item.record.id, moved_to))
        if rng.random() < 0.15:
            cast(rng.choice(records))
        if lease_minutes < 1:
            time.sleep(rng.uniform(0, 0.3))  # reading, while short leases lapse
        cast(item.record.id)


@pytest.mark.parametrize("lease_minutes", [10.0, 0.002], ids=["leases-hold", "leases-lapse"])
def test_twenty_reviewers_at_once_never_exceed_the_votes_per_record(
    committed_engine: Engine, lease_minutes: float
) -> None:
    """With 10-minute leases every reviewer votes on what they were shown; with leases of 0.12 s
    they lapse while reviewers "read", are taken over by others at the same instant, and the
    late votes are refused with a sentence: the cap and the stored votes hold either way."""
    review_id, users, records = team_review(committed_engine)
    outcome, barrier = Outcome(), threading.Barrier(REVIEWERS)

    def run(user_id: int, seed: int) -> None:
        barrier.wait()
        try:
            screen_as_fast_as_possible(
                committed_engine, review_id, user_id, records, outcome, seed, lease_minutes
            )
        except BaseException as error:  # collected and asserted below
            with outcome.lock:
                outcome.errors.append(error)

    threads = [threading.Thread(target=run, args=(u, i)) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=500)
    assert not any(thread.is_alive() for thread in threads)

    # No IntegrityError, OperationalError, deadlock or pool timeout escaped.
    assert outcome.errors == [], [repr(error.__cause__ or error) for error in outcome.errors]
    with session_scope(committed_engine) as session:
        stored = {
            (d.reviewer_id, d.record_id): d.vote
            for d in session.exec(select(Decision).where(Decision.review_id == review_id))
        }
        leases = session.exec(
            select(ScreeningSlot).where(col(ScreeningSlot.leased_until).is_not(None))
        ).all()
        remaining = [
            count_remaining(session, actor=Actor.user(u), review_id=review_id, stage=TA)
            for u in users
        ]
    per_record = Counter(record_id for _, record_id in stored)
    assert max(per_record.values()) <= N, per_record.most_common(5)
    assert stored == outcome.accepted  # no vote the service accepted is lost, none invented
    assert sorted(per_record) == sorted(records) and set(per_record.values()) == {N}  # all done
    assert leases == [] and remaining == [0] * REVIEWERS
    assert all("already has the 2 votes" in message for message in outcome.refused)
    if lease_minutes >= 1:
        assert outcome.reloads_moved == []  # a reload shows the record the reviewer holds
