"""Active learning inside a review: labels from votes, a stored ranking, and the stopping aid."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from review_app.errors import PermissionDeniedError
from review_app.models import RecordRank
from review_app.services.imports import import_file
from review_app.services.permissions import Actor
from review_app.services.prioritisation import (
    refresh_ranking,
    relevance_of,
    stopping_aid,
    training_labels,
)
from review_app.services.reviews import ReviewPublic
from review_app.services.screening import next_record, record_vote
from review_app.services.users import UserPublic

RELEVANT = "Kratom for neuropathic pain in adults: a randomised controlled trial of mitragynine"
OTHER = "Soil erosion and rainfall in alpine catchments"


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
    summary = refresh_ranking(session, review_id=review.id)
    assert summary.ranked == 0 and "waiting" in summary.method


def test_likely_includes_come_first_for_both_reviewers(
    session: Session, review: ReviewPublic, records: list[int], team: dict[str, UserPublic]
) -> None:
    vote_both(session, review, team, records[0], "include")
    vote_both(session, review, team, records[5], "exclude")
    summary = refresh_ranking(session, review_id=review.id)
    assert summary.ranked == len(records) - 2 and summary.includes == 1
    assert len(session.exec(select(RecordRank)).all()) == summary.ranked
    for name in ("rita", "raj"):
        item = next_record(
            session, actor=Actor.user(team[name].id), review_id=review.id, stage="title_abstract"
        )
        assert item is not None and item.record.title.startswith(RELEVANT)
    position = relevance_of(session, review_id=review.id, record_id=item.record.id)
    assert position is not None and position[0] <= 2


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
