"""Active learning inside a review: weighted labels from votes, the protocol's prior, a stored
ranking, and the stopping aid."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from review_app.domain.prioritisation import StoppingEstimate, ranked_stopping_estimate
from review_app.domain.prioritisation.stopping import RANKED_TAIL_METHOD
from review_app.errors import PermissionDeniedError
from review_app.models import Decision, RecordRank, Resolution, utcnow
from review_app.services.conflicts import resolve
from review_app.services.imports import import_file
from review_app.services.permissions import Actor
from review_app.services.prioritisation import (
    all_ranking_inputs,
    compute_ranking,
    ranker_for,
    ranking_inputs,
    ranking_owner,
    refresh_ranking,
    relevance_of,
    stopping_aid,
    store_rankings,
    training_labels,
    weighted_labels,
)
from review_app.services.progress import unique_record_ids
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


def test_team_labels_weigh_agreement_1_a_single_vote_half_and_a_conflict_is_an_include(
    session: Session, review: ReviewPublic, records: list[int], team: dict[str, UserPublic]
) -> None:
    rita, raj = Actor.user(team["rita"].id), Actor.user(team["raj"].id)
    vote_both(session, review, team, records[0], "include")
    record_vote(
        session, actor=rita, review_id=review.id, record_id=records[3], stage=TA, vote="exclude"
    )
    record_vote(
        session, actor=rita, review_id=review.id, record_id=records[4], stage=TA, vote="include"
    )
    record_vote(
        session, actor=raj, review_id=review.id, record_id=records[4], stage=TA, vote="exclude"
    )
    record_vote(
        session, actor=raj, review_id=review.id, record_id=records[6], stage=TA, vote="maybe"
    )
    labels, weights = weighted_labels(session, review_id=review.id)
    assert labels == {records[0]: 1, records[3]: 0, records[4]: 1, records[6]: 1}
    assert weights == {records[3]: 0.5, records[4]: 0.5, records[6]: 0.5}
    assert training_labels(session, review_id=review.id) == labels
    resolve(
        session,
        actor=Actor.user(team["lena"].id),
        review_id=review.id,
        record_id=records[4],
        stage=TA,
        vote="exclude",
        reason="wrong_population",
    )
    labels, weights = weighted_labels(session, review_id=review.id)
    assert labels[records[4]] == 0 and records[4] not in weights  # the lead's decision: 1
    own, own_weights = weighted_labels(session, review_id=review.id, reviewer_id=raj.user_id)
    assert own == {records[0]: 1, records[4]: 0, records[6]: 1} and own_weights == {}


def test_the_inputs_carry_the_weights_and_change_when_a_vote_agrees(
    session: Session, review: ReviewPublic, records: list[int], team: dict[str, UserPublic]
) -> None:
    rita, raj = Actor.user(team["rita"].id), Actor.user(team["raj"].id)
    record_vote(
        session, actor=rita, review_id=review.id, record_id=records[0], stage=TA, vote="include"
    )
    before = ranking_inputs(session, review_id=review.id)
    assert before.labels == {records[0]: 1} and before.weights == {records[0]: 0.5}
    record_vote(
        session, actor=raj, review_id=review.id, record_id=records[0], stage=TA, vote="include"
    )
    after = ranking_inputs(session, review_id=review.id)
    assert after.labels == before.labels and after.weights == {}
    assert after.fingerprint != before.fingerprint  # retrained although the labels are the same
    assert replace(after, read_at=before.read_at).fingerprint == after.fingerprint


def test_the_protocol_ranks_the_records_before_the_first_vote(
    session: Session, review: ReviewPublic, records: list[int], team: dict[str, UserPublic]
) -> None:
    summaries = refresh_ranking(session, review_id=review.id)
    assert {s.reviewer_id for s in summaries} == {user.id for user in team.values()}
    assert all(s.ranked == len(records) and s.includes == 0 for s in summaries)
    for name in ("rita", "raj", "lena"):
        actor = Actor.user(team[name].id)
        item = next_record(session, actor=actor, review_id=review.id, stage=TA)
        assert item is not None and item.record.title.startswith(RELEVANT)
        position = relevance_of(session, actor=actor, review_id=review.id, record_id=records[-1])
        assert position is not None and position[0] > 3  # the soil records come after
    set_blind(session, actor=Actor.user(team["lena"].id), review_id=review.id, blind=False)
    [shared] = refresh_ranking(session, review_id=review.id)
    assert shared.reviewer_id is None and shared.ranked == len(records)


def test_a_review_without_records_has_nothing_to_rank(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    summaries = refresh_ranking(session, review_id=review.id)
    assert len(summaries) == 3 and all(s.method == "no records to rank" for s in summaries)


def test_without_a_prior_a_ranking_waits_for_the_protocols_labels(
    session: Session, review: ReviewPublic, records: list[int], team: dict[str, UserPublic]
) -> None:
    vote_both(session, review, team, records[0], "include")
    inputs = replace(ranking_inputs(session, review_id=review.id), has_prior=False)
    assert inputs.needs == (1, 1) and not inputs.is_ready
    ranker = ranker_for(session, review_id=review.id, record_ids=inputs.record_ids)
    ranking = compute_ranking(inputs, ranker)
    assert ranking.scores == [] and "waiting for 1 include(s) and 1 exclude(s)" in ranking.method
    assert replace(inputs, has_prior=True).is_ready


def test_likely_includes_come_first_for_both_reviewers(
    session: Session, review: ReviewPublic, records: list[int], team: dict[str, UserPublic]
) -> None:
    vote_both(session, review, team, records[0], "include")
    vote_both(session, review, team, records[5], "exclude")
    summaries = refresh_ranking(session, review_id=review.id)
    voters = [s for s in summaries if s.reviewer_id != team["lena"].id]
    assert {s.reviewer_id for s in voters} == {team["rita"].id, team["raj"].id}
    assert all(s.ranked == len(records) - 2 and s.includes == 1 for s in voters)
    assert len(session.exec(select(RecordRank)).all()) == 2 * (len(records) - 2) + len(records)
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


def own_scores(session: Session, review: ReviewPublic, user_id: int) -> dict[int, float]:
    ranks = session.exec(
        select(RecordRank).where(
            RecordRank.review_id == review.id, RecordRank.reviewer_id == user_id
        )
    )
    return {rank.record_id: rank.score for rank in ranks}


def test_while_blind_anothers_votes_never_move_a_ranking_even_before_ones_own(
    session: Session, review: ReviewPublic, records: list[int], team: dict[str, UserPublic]
) -> None:
    raj = Actor.user(team["raj"].id)
    refresh_ranking(session, review_id=review.id)
    rita_before = own_scores(session, review, team["rita"].id)
    raj_before = own_scores(session, review, team["raj"].id)
    assert rita_before == raj_before  # the protocol alone: the same for everyone
    for record_id, vote in ((records[1], "include"), (records[7], "exclude")):
        record_vote(
            session, actor=raj, review_id=review.id, record_id=record_id, stage=TA, vote=vote
        )
    refresh_ranking(session, review_id=review.id)
    assert own_scores(session, review, team["rita"].id) == rita_before
    assert own_scores(session, review, team["raj"].id) != raj_before  # raj's own votes count


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


def decide_in_order(
    session: Session,
    review: ReviewPublic,
    team: dict[str, UserPublic],
    votes: list[tuple[int, str]],
) -> None:
    """Both reviewers vote on each record, the records final one after another: each record's
    latest vote is stamped a minute after the previous record's, its other vote earlier, in the
    reverse order (so the order is the latest votes', not the first ones' nor the record ids')."""
    start = utcnow()
    for minute, (record_id, vote) in enumerate(votes):
        vote_both(session, review, team, record_id, vote)
        first, last = session.exec(
            select(Decision).where(Decision.record_id == record_id).order_by(col(Decision.id))
        ).all()
        last.updated_at = start + timedelta(minutes=minute)
        first.updated_at = start - timedelta(hours=minute + 1)
        session.add_all([first, last])
    session.flush()


def lead_aid(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> StoppingEstimate:
    return stopping_aid(session, actor=Actor.user(team["lena"].id), review_id=review.id)


def test_stopping_aid_is_for_leads_and_explains_itself(
    session: Session, review: ReviewPublic, records: list[int], team: dict[str, UserPublic]
) -> None:
    vote_both(session, review, team, records[0], "include")
    vote_both(session, review, team, records[5], "exclude")
    with pytest.raises(PermissionDeniedError):
        stopping_aid(session, actor=Actor.user(team["rita"].id), review_id=review.id)
    estimate = lead_aid(session, review, team)
    assert estimate.n_includes_found == 1 and not estimate.criterion_met
    assert estimate.more_to_sample > 0 and estimate.explanation
    assert estimate.method == RANKED_TAIL_METHOD and estimate.sample_size > 0


def test_the_stopping_aid_tests_the_records_in_the_order_they_were_decided(
    session: Session, review: ReviewPublic, records: list[int], team: dict[str, UserPublic]
) -> None:
    r = records
    order = [(4, "exclude"), (0, "include"), (9, "exclude"), (3, "exclude"), (2, "include")]
    order += [(12, "exclude"), (5, "exclude")]
    decide_in_order(session, review, team, [(r[i], vote) for i, vote in order])
    # a conflict voted before all of them and resolved after them: it counts when resolved
    for name, vote in (("rita", "include"), ("raj", "exclude")):
        record_vote(session, actor=Actor.user(team[name].id), review_id=review.id,
                    record_id=r[1], stage=TA, vote=vote)  # fmt: skip
    for decision in session.exec(select(Decision).where(Decision.record_id == r[1])):
        decision.updated_at = utcnow() - timedelta(days=1)
        session.add(decision)
    resolve(session, actor=Actor.user(team["lena"].id), review_id=review.id, record_id=r[1],
            stage=TA, vote="include")  # fmt: skip
    resolution = session.exec(select(Resolution).where(Resolution.record_id == r[1])).one()
    resolution.updated_at = utcnow() + timedelta(days=1)
    session.add(resolution)
    # neither a record awaiting its second vote nor an unresolved conflict is decided
    record_vote(session, actor=Actor.user(team["rita"].id), review_id=review.id,
                record_id=r[13], stage=TA, vote="exclude")  # fmt: skip
    for name, vote in (("rita", "include"), ("raj", "exclude")):
        record_vote(session, actor=Actor.user(team[name].id), review_id=review.id,
                    record_id=r[14], stage=TA, vote=vote)  # fmt: skip
    session.flush()

    decided = [0, 1, 0, 0, 1, 0, 0, 1]
    assert lead_aid(session, review, team) == ranked_stopping_estimate(decided, n_records=15)
    by_id = [1, 1, 1, 0, 0, 0, 0, 0]  # records 0, 1, 2, 3, 4, 5, 9, 12: not the order decided
    assert lead_aid(session, review, team) != ranked_stopping_estimate(by_id, n_records=15)


@pytest.mark.parametrize(
    ("includes_first", "verdict"), [(True, "you may stop"), (False, "keep screening")]
)
def test_a_long_run_of_excludes_after_the_includes_says_stop_fresh_includes_say_go_on(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    team: dict[str, UserPublic],
    includes_first: bool,
    verdict: str,
) -> None:
    more = [f"{OTHER}, survey {i} of upland farms" for i in range(15)]
    import_file(session, actor=Actor.operator(), review_id=review.id, data=ris(more),
                file_name="more.ris", source_name="Embase")  # fmt: skip
    ids = unique_record_ids(session, review_id=review.id)
    assert len(ids) == 30
    includes = [(i, "include") for i in ids[:3]]
    excludes = [(i, "exclude") for i in ids[3:29]]  # one record left unscreened
    decide_in_order(
        session, review, team, includes + excludes if includes_first else excludes + includes
    )
    estimate = lead_aid(session, review, team)
    assert (estimate.n_includes_found, estimate.n_screened, estimate.n_unscreened) == (3, 29, 1)
    assert estimate.criterion_met is (verdict == "you may stop")
    if verdict == "you may stop":  # the 26 excludes after the last include are the sample
        assert (estimate.sample_size, estimate.includes_in_sample) == (26, 0)
    else:
        assert estimate.more_to_sample > 0
