"""Discussion on a record: any member comments and flags; while the review is blind a reviewer
reads other members' comments only once every vote at that stage is in (a lead at once); a lead
clears flags and works through the queue; everything is audited; the decisions export carries
the comments."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import Session, col, select

from review_app.domain.vocabulary import Stage
from review_app.errors import NotFoundError, PermissionDeniedError, ValidationError
from review_app.models import AuditEvent
from review_app.services import discussion
from review_app.services.conflicts import resolve
from review_app.services.exports.decisions import export_decisions
from review_app.services.permissions import Actor
from review_app.services.reviews import ReviewPublic, set_blind
from review_app.services.screening import record_vote
from review_app.services.users import UserPublic
from tests.services.screening_helpers import import_titles

TA = Stage.TITLE_ABSTRACT


@pytest.fixture
def people(team: dict[str, UserPublic]) -> dict[str, Actor]:
    return {name: Actor.user(user.id) for name, user in team.items()}


def vote(session: Session, review: ReviewPublic, actor: Actor, record_id: int, value: str) -> None:
    record_vote(
        session, actor=actor, review_id=review.id, record_id=record_id, stage=TA, vote=value
    )


def bodies(session: Session, review: ReviewPublic, actor: Actor, record_id: int) -> list[str]:
    seen = discussion.get_discussion(session, actor=actor, review_id=review.id, record_id=record_id)
    return [comment.body for comment in seen.comments]


def comment(
    session: Session, review: ReviewPublic, actor: Actor, record_id: int, body: str
) -> discussion.CommentView:
    return discussion.add_comment(
        session, actor=actor, review_id=review.id, record_id=record_id, body=body
    )


def test_a_blind_reviewer_reads_others_comments_once_every_vote_is_in(
    session: Session, review: ReviewPublic, people: dict[str, Actor]
) -> None:
    [record] = import_titles(session, review.id, 1)
    rita, raj, lena = people["rita"], people["raj"], people["lena"]
    vote(session, review, rita, record, "exclude")
    comment(session, review, rita, record, "Rats only, I think")
    comment(session, review, lena, record, "Check the methods")
    assert bodies(session, review, lena, record) == ["Rats only, I think", "Check the methods"]
    assert bodies(session, review, rita, record) == ["Rats only, I think"]  # her own only
    waiting = discussion.get_discussion(session, actor=raj, review_id=review.id, record_id=record)
    assert (waiting.comments, waiting.withheld) == ((), True)
    mine = comment(session, review, raj, record, "Looks like humans to me")
    assert mine.is_mine and mine.stage == TA
    assert bodies(session, review, raj, record) == ["Looks like humans to me"]
    vote(session, review, raj, record, "include")  # the second and last vote at this stage
    opened = discussion.get_discussion(session, actor=raj, review_id=review.id, record_id=record)
    assert [c.body for c in opened.comments] == [
        "Rats only, I think",
        "Check the methods",
        "Looks like humans to me",
    ]
    assert not opened.withheld and not opened.may_clear_flag


def test_a_resolution_or_an_unblinded_review_opens_the_comments(
    session: Session, review: ReviewPublic, people: dict[str, Actor]
) -> None:
    first, second = import_titles(session, review.id, 2)
    rita, raj, lena = people["rita"], people["raj"], people["lena"]
    for record in (first, second):
        comment(session, review, lena, record, f"Lead's note on {record}")
    resolve(session, actor=lena, review_id=review.id, record_id=first, stage=TA, vote="exclude")
    assert bodies(session, review, raj, first) == [f"Lead's note on {first}"]
    assert bodies(session, review, rita, second) == []
    set_blind(session, actor=lena, review_id=review.id, blind=False)
    assert bodies(session, review, rita, second) == [f"Lead's note on {second}"]


def test_a_comment_defaults_to_the_stage_the_reader_may_know(
    session: Session, review: ReviewPublic, people: dict[str, Actor]
) -> None:
    [record] = import_titles(session, review.id, 1)
    rita, raj, lena = people["rita"], people["raj"], people["lena"]
    vote(session, review, rita, record, "include")
    vote(session, review, raj, record, "include")
    assert comment(session, review, lena, record, "On to full text").stage == Stage.FULL_TEXT
    # Rita may not know the outcome until a lead releases it: her comment stays at title/abstract.
    assert comment(session, review, rita, record, "Mine").stage == TA
    explicit = discussion.add_comment(
        session, actor=rita, review_id=review.id, record_id=record, body="FT", stage="full_text"
    )
    assert explicit.stage == Stage.FULL_TEXT


@pytest.mark.parametrize(
    ("body", "message"),
    [("   ", "the comment is empty"), ("x" * 5_001, "at most 5,000 are allowed")],
)
def test_a_bad_comment_is_refused_with_what_is_allowed(
    session: Session, review: ReviewPublic, people: dict[str, Actor], body: str, message: str
) -> None:
    [record] = import_titles(session, review.id, 1)
    with pytest.raises(ValidationError, match=message):
        comment(session, review, people["rita"], record, body)


def test_comments_need_a_member_a_record_of_the_review_and_a_known_stage(
    session: Session, review: ReviewPublic, people: dict[str, Actor]
) -> None:
    [record] = import_titles(session, review.id, 1)
    with pytest.raises(NotFoundError, match=f"no record {record + 1000}"):
        comment(session, review, people["rita"], record + 1000, "Where?")
    with pytest.raises(ValidationError, match="log in"):
        comment(session, review, Actor.operator(), record, "From the shell")
    with pytest.raises(PermissionDeniedError):
        comment(session, review, Actor.user(10_000), record, "A stranger")
    with pytest.raises(ValidationError, match="stage"):
        discussion.add_comment(
            session, actor=people["rita"], review_id=review.id, record_id=record, body="x",
            stage="abstract",
        )  # fmt: skip


def test_any_member_flags_a_lead_clears_and_the_queue_follows(
    session: Session, review: ReviewPublic, people: dict[str, Actor]
) -> None:
    first, second = import_titles(session, review.id, 2)
    rita, raj, lena = people["rita"], people["raj"], people["lena"]
    comment(session, review, rita, first, "Is pain neuropathic here?")
    flag = discussion.flag_for_discussion(session, actor=rita, review_id=review.id, record_id=first)
    assert flag.raised_by == "rita"
    discussion.flag_for_discussion(session, actor=rita, review_id=review.id, record_id=first)
    discussion.flag_for_discussion(session, actor=raj, review_id=review.id, record_id=second)
    # Raj sees the flag but, while his vote is out, not who raised it.
    seen = discussion.get_discussion(session, actor=raj, review_id=review.id, record_id=first)
    assert seen.flag is not None and seen.flag.raised_by is None
    queue = discussion.discussion_queue(session, actor=lena, review_id=review.id)
    assert [(item.record_id, item.raised_by) for item in queue] == [
        (first, "rita"),
        (second, "raj"),
    ]
    assert [c.body for c in queue[0].comments] == ["Is pain neuropathic here?"]
    assert discussion.count_flagged(session, actor=lena, review_id=review.id) == 2
    with pytest.raises(PermissionDeniedError):
        discussion.clear_flag(session, actor=rita, review_id=review.id, record_id=first)
    with pytest.raises(PermissionDeniedError):
        discussion.discussion_queue(session, actor=rita, review_id=review.id)
    assert discussion.clear_flag(session, actor=lena, review_id=review.id, record_id=first)
    assert not discussion.clear_flag(session, actor=lena, review_id=review.id, record_id=first)
    assert [
        i.record_id for i in discussion.discussion_queue(session, actor=lena, review_id=review.id)
    ] == [second]
    discussion.flag_for_discussion(session, actor=raj, review_id=review.id, record_id=first)
    queue = discussion.discussion_queue(session, actor=lena, review_id=review.id)
    assert [(item.record_id, item.raised_by) for item in queue] == [(second, "raj"), (first, "raj")]


def test_comments_flags_and_clears_are_audited_once_each(
    session: Session, review: ReviewPublic, people: dict[str, Actor]
) -> None:
    [record] = import_titles(session, review.id, 1)
    rita, lena = people["rita"], people["lena"]
    comment(session, review, rita, record, "Discuss")
    for _ in range(2):  # a double click
        discussion.flag_for_discussion(session, actor=rita, review_id=review.id, record_id=record)
        discussion.clear_flag(session, actor=lena, review_id=review.id, record_id=record)
    events = session.exec(
        select(AuditEvent)
        .where(
            col(AuditEvent.action).in_(["comment.create", "discussion.flag", "discussion.clear"])
        )
        .order_by(col(AuditEvent.id))
    ).all()
    assert [(e.action, e.user_id) for e in events] == [
        ("comment.create", rita.user_id),
        ("discussion.flag", rita.user_id),
        ("discussion.clear", lena.user_id),
        ("discussion.flag", rita.user_id),
        ("discussion.clear", lena.user_id),
    ]
    assert events[0].after == {"record_id": record, "stage": "title_abstract", "body": "Discuss"}
    assert events[2].before == {"record_id": record, "raised_by_id": rita.user_id, "open": True}
    assert events[2].after == {"record_id": record, "raised_by_id": rita.user_id, "open": False}


def test_the_decisions_export_carries_each_records_comments(
    session: Session, review: ReviewPublic, people: dict[str, Actor]
) -> None:
    first, second = import_titles(session, review.id, 2)
    comment(session, review, people["rita"], first, "Animal study")
    comment(session, review, people["lena"], first, "Agreed, exclude")
    files = export_decisions(session, actor=people["lena"], review_id=review.id, format="csv")
    rows = {
        int(row["record_id"]): row
        for row in csv.DictReader(io.StringIO(files["decisions"].decode("utf-8-sig")))
    }
    assert rows[first]["comments"] == "rita: Animal study | lena: Agreed, exclude"
    assert rows[second]["comments"] == ""
    with pytest.raises(PermissionDeniedError):
        discussion.comments_by_record(session, actor=people["raj"], review_id=review.id)
