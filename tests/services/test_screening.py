"""Voting, the next record, blinding on every read path, conflicts and resolutions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from review_app.domain.consensus import StageStatus
from review_app.errors import PermissionDeniedError, ValidationError
from review_app.models import AuditEvent, Decision
from review_app.services.conflicts import list_conflicts, list_resolutions, resolve
from review_app.services.permissions import Actor
from review_app.services.progress import review_progress, stage_statuses
from review_app.services.releases import release_outcomes
from review_app.services.reviews import ReviewPublic, add_member, create_review, set_blind
from review_app.services.screening import (
    count_remaining,
    get_item,
    list_my_votes,
    next_record,
    record_vote,
    screening_progress,
    undo_last_vote,
)
from review_app.services.users import UserPublic
from tests.conftest import KRATOM_PROTOCOL
from tests.services.screening_helpers import import_titles, mark_duplicate

TA, FT = "title_abstract", "full_text"


@pytest.fixture
def actors(team: dict[str, UserPublic]) -> dict[str, Actor]:
    return {name: Actor.user(user.id) for name, user in team.items()}


@pytest.fixture
def records(session: Session, review: ReviewPublic) -> list[int]:
    return import_titles(session, review.id, 6)


def vote(
    session: Session,
    review: ReviewPublic,
    actor: Actor,
    record_id: int,
    value: str,
    stage: str = TA,
    reason: str | None = None,
) -> None:
    record_vote(
        session,
        actor=actor,
        review_id=review.id,
        record_id=record_id,
        stage=stage,
        vote=value,
        reason=reason,
    )


def test_next_record_skips_what_i_voted_and_what_is_done(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    rita, raj, lena = actors["rita"], actors["raj"], actors["lena"]
    first = next_record(session, actor=rita, review_id=review.id, stage=TA)
    assert first is not None and first.my_vote is None
    # Both reviewers draw from the same order, so the top is double-screened first.
    same = next_record(session, actor=raj, review_id=review.id, stage=TA)
    assert same is not None and same.record.id == first.record.id
    vote(session, review, rita, first.record.id, "include")
    after = next_record(session, actor=rita, review_id=review.id, stage=TA)
    assert after is not None and after.record.id != first.record.id
    vote(session, review, raj, first.record.id, "include")
    # Two votes are enough (protocol: 2 reviewers per record): a third reviewer doesn't get it.
    seen = set()
    while (item := next_record(session, actor=lena, review_id=review.id, stage=TA)) is not None:
        seen.add(item.record.id)
        vote(session, review, lena, item.record.id, "exclude")
    assert first.record.id not in seen and len(seen) == len(records) - 1


def test_duplicates_never_appear(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    mark_duplicate(session, review.id, records[0], records[1])
    offered = []
    while (
        item := next_record(session, actor=actors["rita"], review_id=review.id, stage=TA)
    ) is not None:
        offered.append(item.record.id)
        vote(session, review, actors["rita"], item.record.id, "exclude")
    assert records[1] not in offered and sorted(offered) == sorted(set(records) - {records[1]})
    with pytest.raises(ValidationError, match="is a duplicate"):
        vote(session, review, actors["raj"], records[1], "include")


def test_one_vote_per_reviewer_changes_are_audited(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    team: dict[str, UserPublic],
) -> None:
    vote(session, review, actors["rita"], records[0], "include")
    vote(session, review, actors["rita"], records[0], "exclude", reason="animal_or_in_vitro")
    vote(
        session, review, actors["rita"], records[0], "exclude", reason="animal_or_in_vitro"
    )  # no change
    rows = session.exec(select(Decision).where(Decision.record_id == records[0])).all()
    assert [(d.vote, d.reason) for d in rows] == [("exclude", "animal_or_in_vitro")]
    events = session.exec(
        select(AuditEvent).where(AuditEvent.entity == "decision").order_by(col(AuditEvent.id))
    ).all()
    assert [e.action for e in events] == ["vote.create", "vote.update"]
    assert events[1].before["vote"] == "include" and events[1].after["vote"] == "exclude"  # type: ignore[index]
    assert events[1].user_id == team["rita"].id


def test_undo_my_last_vote(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    vote(session, review, actors["rita"], records[0], "include")
    vote(session, review, actors["rita"], records[1], "exclude")
    vote(session, review, actors["raj"], records[2], "exclude")
    undone = undo_last_vote(session, actor=actors["rita"], review_id=review.id, stage=TA)
    assert undone is not None and undone.record_id == records[1]
    mine = list_my_votes(session, actor=actors["rita"], review_id=review.id, stage=TA)
    assert [v.record_id for v, _ in mine] == [records[0]]
    undone = undo_last_vote(session, actor=actors["rita"], review_id=review.id, stage=TA)
    assert undone is not None and undone.record_id == records[0]
    assert undo_last_vote(session, actor=actors["rita"], review_id=review.id, stage=TA) is None
    assert len(list_my_votes(session, actor=actors["raj"], review_id=review.id, stage=TA)) == 1


@pytest.mark.parametrize(
    ("stage", "value", "reason", "message"),
    [
        (TA, "perhaps", None, "allowed are include, exclude, maybe"),
        (TA, "include", "animal_or_in_vitro", "only with an exclude vote"),
        (TA, "exclude", "wrong_comparator", "allowed are Duplicate record"),  # full text only
        (TA, "exclude", "no_such_reason", "allowed are"),
        ("abstract", "include", None, "allowed are title_abstract, full_text"),
    ],
)
def test_bad_votes_are_refused(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    stage: str,
    value: str,
    reason: str | None,
    message: str,
) -> None:
    with pytest.raises(ValidationError, match=message):
        vote(session, review, actors["rita"], records[0], value, stage=stage, reason=reason)
    assert session.exec(select(Decision)).all() == []


def test_full_text_needs_title_abstract_pass_and_a_reason_to_exclude(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    with pytest.raises(ValidationError, match="has not passed title/abstract"):
        vote(session, review, actors["rita"], records[0], "include", stage=FT)
    vote(session, review, actors["rita"], records[0], "include")
    vote(session, review, actors["raj"], records[0], "maybe")  # maybe counts as include here
    # While blind, the outcome reaches the reviewers' full-text queue only once a lead releases it
    # (it would tell Rita that Raj did not exclude); the lead sees it at once.
    assert next_record(session, actor=actors["rita"], review_id=review.id, stage=FT) is None
    with pytest.raises(ValidationError, match="has not passed title/abstract"):
        vote(session, review, actors["rita"], records[0], "include", stage=FT)
    lead_item = next_record(session, actor=actors["lena"], review_id=review.id, stage=FT)
    assert lead_item is not None and lead_item.record.id == records[0]
    assert release_outcomes(session, actor=actors["lena"], review_id=review.id, stage=TA) == 1
    released = next_record(session, actor=actors["rita"], review_id=review.id, stage=FT)
    assert released is not None and released.record.id == records[0]
    # Released votes are final for the reviewers.
    with pytest.raises(ValidationError, match="is final"):
        vote(session, review, actors["rita"], records[0], "exclude")
    with pytest.raises(ValidationError, match="needs a reason"):
        vote(session, review, actors["rita"], records[0], "exclude", stage=FT)
    vote(
        session, review, actors["rita"], records[0], "exclude", stage=FT, reason="wrong_comparator"
    )


def test_reviewers_see_only_their_own_votes_while_blind(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    rita, raj, lena = actors["rita"], actors["raj"], actors["lena"]
    record_vote(
        session,
        actor=raj,
        review_id=review.id,
        record_id=records[0],
        stage=TA,
        vote="exclude",
        reason="wrong_design",
        note="a survey, no control group",
    )
    vote(session, review, rita, records[0], "include")
    # Every read path a reviewer has:
    item = get_item(session, actor=rita, review_id=review.id, record_id=records[0], stage=TA)
    assert item.my_vote.vote == "include" and item.other_votes == [] and item.resolution is None  # type: ignore[union-attr]
    mine = list_my_votes(session, actor=rita, review_id=review.id, stage=TA)
    assert {v.reviewer for v, _ in mine} == {"rita"}
    offered = next_record(session, actor=rita, review_id=review.id, stage=TA)
    assert offered is not None and offered.other_votes == []
    assert count_remaining(session, actor=rita, review_id=review.id, stage=TA) == len(records) - 1
    with pytest.raises(PermissionDeniedError):
        list_conflicts(session, actor=rita, review_id=review.id, stage=TA)
    with pytest.raises(PermissionDeniedError):
        list_resolutions(session, actor=rita, review_id=review.id)
    progress = review_progress(session, actor=rita, review_id=review.id)
    assert [stage.counts for stage in progress.stages] == [None, None]  # no conflict count to read
    assert "wrong_design" not in repr(progress) and "survey" not in repr(progress)
    # Leads see everything, with reasons and notes.
    seen = get_item(session, actor=lena, review_id=review.id, record_id=records[0], stage=TA)
    assert [(v.reviewer, v.vote, v.reason, v.note) for v in seen.other_votes] == [
        ("raj", "exclude", "wrong_design", "a survey, no control group"),
        ("rita", "include", None, None),
    ]
    # Once a lead unblinds the review, reviewers see each other's votes.
    set_blind(session, actor=lena, review_id=review.id, blind=False)
    item = get_item(session, actor=rita, review_id=review.id, record_id=records[0], stage=TA)
    assert [v.reviewer for v in item.other_votes] == ["raj"]


def test_strangers_cannot_screen(
    session: Session, review: ReviewPublic, records: list[int]
) -> None:
    from review_app.services.users import create_user

    stranger = Actor.user(create_user(session, name="eve", password="long password").id)
    for call in (
        lambda: next_record(session, actor=stranger, review_id=review.id, stage=TA),
        lambda: get_item(
            session, actor=stranger, review_id=review.id, record_id=records[0], stage=TA
        ),
        lambda: list_my_votes(session, actor=stranger, review_id=review.id, stage=TA),
        lambda: vote(session, review, stranger, records[0], "include"),
    ):
        with pytest.raises(PermissionDeniedError):
            call()


def test_disagreement_becomes_a_conflict_the_lead_resolves(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    rita, raj, lena = actors["rita"], actors["raj"], actors["lena"]
    vote(session, review, rita, records[0], "include")
    vote(session, review, raj, records[0], "exclude", reason="wrong_population")
    vote(session, review, rita, records[1], "exclude")
    vote(session, review, raj, records[1], "exclude")
    [conflict] = list_conflicts(session, actor=lena, review_id=review.id, stage=TA)
    assert conflict.record.id == records[0] and conflict.reviewers == ("raj", "rita")
    assert list_conflicts(
        session, actor=lena, review_id=review.id, stage=TA, reviewer_pair=("rita", "raj")
    )
    assert not list_conflicts(
        session, actor=lena, review_id=review.id, stage=TA, reviewer_pair=("rita", "lena")
    )
    with pytest.raises(PermissionDeniedError):
        resolve(
            session, actor=raj, review_id=review.id, record_id=records[0], stage=TA, vote="exclude"
        )
    resolve(
        session,
        actor=lena,
        review_id=review.id,
        record_id=records[0],
        stage=TA,
        vote="include",
        note="population unclear from the abstract",
    )
    assert list_conflicts(session, actor=lena, review_id=review.id, stage=TA) == []
    statuses = stage_statuses(session, review_id=review.id, stage=TA, record_ids=records[:2])
    assert statuses == {records[0]: StageStatus.INCLUDED, records[1]: StageStatus.EXCLUDED}
    [resolution] = list_resolutions(session, actor=lena, review_id=review.id)
    assert (resolution.lead, resolution.vote) == ("lena", "include")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "resolution.create")).one()
    assert event.after["note"] == "population unclear from the abstract"  # type: ignore[index]
    with pytest.raises(ValidationError, match="allowed are include, exclude"):
        resolve(
            session, actor=lena, review_id=review.id, record_id=records[0], stage=TA, vote="maybe"
        )


def test_progress_counts_this_review_only_and_paces_from_reading_gaps(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic], actors: dict[str, Actor]
) -> None:
    ids = import_titles(session, review.id, 8)
    mark_duplicate(session, review.id, ids[0], ids[7])  # 7 records to screen
    rita, raj = actors["rita"], actors["raj"]
    for record_id in ids[:7]:
        vote(session, review, rita, record_id, "exclude")
    for record_id in ids[:2]:
        vote(session, review, raj, record_id, "exclude")
    # Rita's votes as she cast them: two double-clicks (0.2 s), three records read (30, 40,
    # 50 s) and a lunch break (2,000 s); only the reading gaps make her pace.
    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    offsets = (0, 0.2, 0.4, 30.4, 70.4, 120.4, 2120.4)
    mine = session.exec(
        select(Decision).where(Decision.reviewer_id == team["rita"].id).order_by(Decision.id)  # type: ignore[arg-type]
    ).all()
    for decision, offset in zip(mine, offsets, strict=True):
        decision.created_at = start + timedelta(seconds=offset)
        session.add(decision)
    # Rita's votes in another review count there, not here.
    other = create_review(session, protocol_path=KRATOM_PROTOCOL, name="another")
    add_member(session, actor=Actor.operator(), review_id=other.id, user_id=team["rita"].id,
               role="reviewer")  # fmt: skip
    elsewhere = import_titles(session, other.id, 1, prefix="Elsewhere")
    record_vote(session, actor=rita, review_id=other.id, record_id=elsewhere[0], stage=TA,
                vote="include")  # fmt: skip
    session.flush()

    progress = screening_progress(session, actor=rita, review_id=review.id, stage=TA)
    assert (progress.my_votes, progress.remaining_for_me) == (7, 0)
    assert (progress.eligible, progress.fully_voted) == (7, 2)
    assert progress.seconds_per_vote == 40
    theirs = screening_progress(session, actor=raj, review_id=review.id, stage=TA)
    assert (theirs.my_votes, theirs.remaining_for_me, theirs.seconds_per_vote) == (2, 5, None)


def test_a_refused_reason_lists_the_protocol_reasons_by_label_with_their_ids(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    """People read the labels; a decisions file needs the ids: the message gives both."""
    with pytest.raises(ValidationError) as refused:
        vote(session, review, actors["rita"], records[0], "exclude", reason="rats")
    message = str(refused.value)
    assert "'rats' is not an exclusion reason at title/abstract" in message
    assert "Animal or in-vitro study (animal_or_in_vitro)" in message
    assert "wrong_comparator" not in message  # a full-text reason
