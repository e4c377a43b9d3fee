"""A record's history for leads: its import, merges and their undo, votes and their changes,
the resolution, full-text actions, comments and flags, in time order with who and before/after;
nothing about other records; reviewers refused."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from review_app.domain.vocabulary import Stage
from review_app.errors import NotFoundError, PermissionDeniedError
from review_app.models import DuplicateCluster, Record
from review_app.services.conflicts import resolve
from review_app.services.deduplication import run_automatic_pass, undo_merge
from review_app.services.discussion import add_comment, flag_for_discussion
from review_app.services.fulltext import set_link
from review_app.services.imports import import_file
from review_app.services.permissions import Actor
from review_app.services.record_history import record_history
from review_app.services.releases import release_outcomes
from review_app.services.reviews import ReviewPublic
from review_app.services.screening import record_vote, undo_last_vote
from review_app.services.users import UserPublic

OPERATOR = Actor.operator()
ARTICLE = """TY  - JOUR
TI  - Kratom and pain tolerance: a randomized, placebo-controlled, double-blind study
AU  - Vicknasingam, B.
PY  - 2020
JO  - Yale J Biol Med
VL  - 93
SP  - 229
ER  -
"""
SAME_IN_EMBASE = ARTICLE.replace(
    "JO  - Yale J Biol Med", "JF  - Yale Journal of Biology and Medicine"
)
OTHER = """TY  - JOUR
TI  - Mitragynine attenuates paclitaxel-induced neuropathic pain in mice
PY  - 2019
ER  -
"""
TA = Stage.TITLE_ABSTRACT


def load(session: Session, review: ReviewPublic, text: str, name: str, source: str) -> int:
    summary = import_file(
        session, actor=OPERATOR, review_id=review.id, data=text.encode(), file_name=name,
        source_name=source,
    )  # fmt: skip
    query = select(Record.id).where(Record.import_batch_id == summary.batch_id)
    return int(session.exec(query.order_by(col(Record.id))).first() or 0)


def test_a_records_history_tells_its_story_in_order(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    rita, raj, lena = (Actor.user(team[name].id) for name in ("rita", "raj", "lena"))
    record = load(session, review, ARTICLE, "pubmed.ris", "PubMed")
    copy = load(session, review, SAME_IN_EMBASE, "embase.ris", "Embase")
    other = load(session, review, OTHER, "other.ris", "PubMed")
    run_automatic_pass(session, actor=OPERATOR, review_id=review.id)
    [cluster] = [c for c in session.exec(select(DuplicateCluster.id)) if c is not None]
    undo_merge(session, actor=lena, review_id=review.id, cluster_id=cluster)

    def vote(actor: Actor, record_id: int, value: str) -> None:
        record_vote(
            session, actor=actor, review_id=review.id, record_id=record_id, stage=TA, vote=value
        )

    vote(rita, record, "include")
    vote(rita, record, "exclude")
    vote(raj, record, "include")
    vote(rita, other, "exclude")
    resolve(session, actor=lena, review_id=review.id, record_id=record, stage=TA, vote="include")
    set_link(
        session, actor=raj, review_id=review.id, record_id=record, url="https://doi.org/10.1/x"
    )
    add_comment(session, actor=raj, review_id=review.id, record_id=record, body="Crossover?")
    flag_for_discussion(session, actor=raj, review_id=review.id, record_id=record)

    history = record_history(session, actor=lena, review_id=review.id, record_id=record)
    assert [(entry.action, entry.who) for entry in history] == [
        ("import.create", "command line"),
        ("dedup.merge.auto", "automatic deduplication"),
        ("dedup.undo", "lena"),
        ("vote.create", "rita"),
        ("vote.update", "rita"),
        ("vote.create", "raj"),
        ("resolution.create", "lena"),
        ("fulltext.set_link", "raj"),
        ("comment.create", "raj"),
        ("discussion.flag", "raj"),
    ]
    times = [entry.at for entry in history]
    assert times == sorted(times)
    change = history[4]
    assert change.label == "changed a vote"
    assert (change.before or {})["vote"] == "include" and (change.after or {})["vote"] == "exclude"
    assert (history[1].after or {})["record_ids"] == sorted([record, copy])
    assert (history[0].after or {})["file"] == "pubmed.ris"
    others = record_history(session, actor=lena, review_id=review.id, record_id=other)
    assert [entry.action for entry in others] == ["import.create", "vote.create"]


def test_a_reviewer_is_refused_the_history_with_why(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    record = load(session, review, ARTICLE, "pubmed.ris", "PubMed")
    with pytest.raises(PermissionDeniedError, match=r"shows every member's votes.*reviewer"):
        record_history(
            session, actor=Actor.user(team["rita"].id), review_id=review.id, record_id=record
        )
    with pytest.raises(NotFoundError, match=f"no record {record + 99}"):
        record_history(session, actor=OPERATOR, review_id=review.id, record_id=record + 99)


def test_a_withdrawn_vote_and_a_release_stay_in_the_history(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    """A withdrawn vote's row is gone: its events are found by the withdrawal's state."""
    rita, raj, lena = (Actor.user(team[name].id) for name in ("rita", "raj", "lena"))
    record = load(session, review, ARTICLE, "pubmed.ris", "PubMed")
    for actor, value in ((rita, "exclude"), (raj, "include")):
        record_vote(
            session, actor=actor, review_id=review.id, record_id=record, stage=TA, vote=value
        )
    undo_last_vote(session, actor=rita, review_id=review.id, stage=TA)
    record_vote(
        session, actor=rita, review_id=review.id, record_id=record, stage=TA, vote="include"
    )
    release_outcomes(session, actor=lena, review_id=review.id, stage=TA)
    history = record_history(session, actor=lena, review_id=review.id, record_id=record)
    assert [(entry.action, entry.who) for entry in history] == [
        ("import.create", "command line"),
        ("vote.create", "rita"),
        ("vote.create", "raj"),
        ("vote.undo", "rita"),
        ("vote.create", "rita"),
        ("stage.release", "lena"),
    ]
    assert (history[3].before or {})["vote"] == "exclude" and history[3].label == "withdrew a vote"
