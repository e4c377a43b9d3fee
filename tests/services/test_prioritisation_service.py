"""Active learning inside a review: labels from votes, a stored ranking, and the stopping aid."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from review_app.errors import PermissionDeniedError
from review_app.models import RecordRank, utcnow
from review_app.services.imports import import_file
from review_app.services.permissions import Actor
from review_app.services.prioritisation import (
    all_ranking_inputs,
    compute_ranking,
    ranker_for,
    ranking_owner,
    refresh_ranking,
    relevance_of,
    stopping_aid,
    store_rankings,
    training_labels,
)
from review_app.services.reviews import ReviewPublic, set_blind
from review_app.services.screening import next_record, record_vote
from review_app.services.users import UserPublic

RELEVANT = "Kratom for neuropathic pain in adults: a randomised controlled trial of mitragynine"
OTHER = "Soil erosion and rainfall in alpine catchments"
TA = "title_abstract"


def ris(titles: list[str]) -> bytes:
    return "".join(f"TY  - JOUR\nTI  - {t}\nPY  - 2020\nER  -\n\n" for t in titles).encode()


@pytest.fixture
def records(session: Session, review: ReviewPublic) -> list[int]:
    titles = [f"{RELEVANT} ({i})" for i in range(3)] + [f"{OTHER} ({i})" for i in range(12)]
    import_file(
        session,
        actor=Actor.operator(),
        review_id=review.id,
        data=ris(titles),
        file_name="mixed.ris",
        source_name="PubMed",
    )
    from review_app.services.progress import unique_record_ids

    return unique_record_ids(session, review_id=review.id)


def vote_both(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic], record_id: int, vote: str
) -> None:
    for name in ("rita", "raj"):
        record_vote(
            session,
            actor=Actor.user(team[name].id),
            review_id=review.id,
            record_id=record_id,
            stage="title_abstract",
            vote=vote,
        )


def test_labels_use_agreement_else_the_votes_so_far(
    session: Session, review: ReviewPublic, records: list[int], team: dict[str, UserPublic]
) -> None:
    vote_both(session, review, team, records[0], "include")
    record_vote(
        session,
        actor=Actor.user(team["rita"].id),
        review_id=review.id,
        record_id=records[3],
        stage="title_abstract",
        vote="exclude",
    )
    record_vote(
        session,
        actor=Actor.user(team["rita"].id),
        review_id=review.id,
        record_id=records[4],
        stage="title_abstract",
        vote="include",
    )
    record_vote(
        session,
        actor=Actor.user(team["raj"].id),
        review_id=review.id,
        record_id=records[4],
        stage="title_abstract",
        vote="exclude",
    )
    assert training_labels(session, review_id=review.id) == {records[0]: 1, records[3]: 0}


def test_ranking_waits_for_one_include_and_one_exclude(
    session: Session, review: ReviewPublic, records: list[int], team: dict[str, UserPublic]
) -> None:
    vote_both(session, review, team, records[0], "include")
    summaries = refresh_ranking(session, review_id=review.id)
    assert len(summaries) == 2  # blind: one ranking per reviewer who has voted
    assert all(s.ranked == 0 and "waiting" in s.method for s in summaries)


def test_likely_includes_come_first_for_both_reviewers(
    session: Session, review: ReviewPublic, records: list[int], team: dict[str, UserPublic]
) -> None:
    vote_both(session, review, team, records[0], "include")
    vote_both(session, review, team, records[5], "exclude")
    summaries = refresh_ranking(session, review_id=review.id)
    assert {s.reviewer_id for s in summaries} == {team["rita"].id, team["raj"].id}
    assert all(s.ranked == len(records) - 2 and s.includes == 1 for s in summaries)
    assert len(session.exec(select(RecordRank)).all()) == 2 * (len(records) - 2)
    for name in ("rita", "raj"):
        actor = Actor.user(team[name].id)
        item = next_record(session, actor=actor, review_id=review.id, stage="title_abstract")
        assert item is not None and item.record.title.startswith(RELEVANT)
        position = relevance_of(session, actor=actor, review_id=review.id, record_id=item.record.id)
        assert position is not None and position[0] <= 2 and position[1] == len(records) - 2


def test_while_blind_each_ranking_learns_from_its_owners_votes_only(
    session: Session, review: ReviewPublic, records: list[int], team: dict[str, UserPublic]
) -> None:
    rita, raj = Actor.user(team["rita"].id), Actor.user(team["raj"].id)
    vote_both(session, review, team, records[0], "include")
    vote_both(session, review, team, records[5], "exclude")
    record_vote(
        session, actor=raj, review_id=review.id, record_id=records[1], stage=TA, vote="include"
    )
    assert training_labels(session, review_id=review.id, reviewer_id=team["rita"].id) == {
        records[0]: 1,
        records[5]: 0,
    }
    refresh_ranking(session, review_id=review.id)
    rita_sees = relevance_of(session, actor=rita, review_id=review.id, record_id=records[1])
    raj_sees = relevance_of(session, actor=raj, review_id=review.id, record_id=records[1])
    assert rita_sees is not None and rita_sees[1] == len(records) - 2
    assert raj_sees is None  # raj labelled it himself: not in his ranking
    assert ranking_owner(session, review_id=review.id, reviewer_id=team["rita"].id) == rita.user_id


def test_once_unblinded_the_team_shares_one_ranking(
    session: Session, review: ReviewPublic, records: list[int], team: dict[str, UserPublic]
) -> None:
    lena = Actor.user(team["lena"].id)
    vote_both(session, review, team, records[0], "include")
    vote_both(session, review, team, records[5], "exclude")
    refresh_ranking(session, review_id=review.id)
    set_blind(session, actor=lena, review_id=review.id, blind=False)
    [summary] = refresh_ranking(session, review_id=review.id)
    assert summary.reviewer_id is None and summary.ranked == len(records) - 2
    owners = set(session.exec(select(RecordRank.reviewer_id)))
    assert owners == {None}  # the per-reviewer rankings are gone
    for name in ("rita", "raj", "lena"):
        actor = Actor.user(team[name].id)
        assert relevance_of(session, actor=actor, review_id=review.id, record_id=records[1])
    set_blind(session, actor=lena, review_id=review.id, blind=True)
    assert session.exec(select(RecordRank)).all() == []  # the team's ranking goes at once
    rita = Actor.user(team["rita"].id)
    assert relevance_of(session, actor=rita, review_id=review.id, record_id=records[1]) is None


def test_an_older_run_never_replaces_a_newer_one(
    session: Session, review: ReviewPublic, records: list[int], team: dict[str, UserPublic]
) -> None:
    vote_both(session, review, team, records[0], "include")
    vote_both(session, review, team, records[5], "exclude")
    older = all_ranking_inputs(session, review_id=review.id, read_at=utcnow())
    newer = all_ranking_inputs(session, review_id=review.id, read_at=utcnow())
    ranker = ranker_for(session, review_id=review.id, record_ids=newer[0].record_ids)
    stored = [(i, compute_ranking(i, ranker)) for i in newer]
    assert store_rankings(session, review_id=review.id, rankings=stored) is True
    late = [(i, compute_ranking(i, ranker)) for i in older]
    assert store_rankings(session, review_id=review.id, rankings=late) is False


def test_stopping_aid_is_for_leads_and_explains_itself(
    session: Session, review: ReviewPublic, records: list[int], team: dict[str, UserPublic]
) -> None:
    vote_both(session, review, team, records[0], "include")
    vote_both(session, review, team, records[5], "exclude")
    with pytest.raises(PermissionDeniedError):
        stopping_aid(session, actor=Actor.user(team["rita"].id), review_id=review.id)
    estimate = stopping_aid(session, actor=Actor.user(team["lena"].id), review_id=review.id)
    assert estimate.n_includes_found == 1 and not estimate.criterion_met
    assert estimate.more_to_sample > 0 and estimate.explanation
