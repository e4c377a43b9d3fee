"""The Discussion page (leads) and the record panels the Records and screening pages call:
the queue of flagged records with their comments, answering and clearing; a blind reviewer's
panel withholds others' comments until every vote is in; the history table for leads only."""

from __future__ import annotations

from sqlmodel import col, select
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, session_scope
from review_app.models import Decision, Record, Review, User
from review_app.services.discussion import add_comment, discussion_queue, flag_for_discussion
from review_app.services.permissions import Actor
from review_app.services.screening import record_vote


def discussion_page() -> None:
    from review_app.ui.views import discussion

    discussion.render()


def record_panels() -> None:
    import streamlit as st

    from review_app.ui.components.record_discussion import render_discussion
    from review_app.ui.components.record_history import render_history

    record_id = st.session_state["record_under_test"]
    render_history(st.session_state["review_id"], record_id)
    render_discussion(st.session_state["review_id"], record_id)


def ids(url: str) -> dict[str, int]:
    """The review, its people and a record nobody has voted on yet."""
    with session_scope(make_engine(url)) as session:
        found: dict[str, int | None] = {"review": session.exec(select(Review.id)).one()}
        found.update(session.exec(select(User.name, User.id)).all())
        voted = select(Decision.record_id)
        found["record"] = session.exec(
            select(Record.id).where(col(Record.id).not_in(voted)).order_by(col(Record.id))
        ).first()
    return {name: value for name, value in found.items() if value is not None}


def open_as(function: object, url: str, name: str, role: str, **state: object) -> AppTest:
    known = ids(url)
    app = AppTest.from_function(function, default_timeout=60)  # type: ignore[arg-type]
    app.session_state["user_id"], app.session_state["user_name"] = known[name], name
    app.session_state["review_id"], app.session_state["role"] = known["review"], role
    for key, value in state.items():
        app.session_state[key] = value
    return app.run()


def raise_question(url: str) -> int:
    """reviewer1 votes on a fresh record, comments and flags it; its id."""
    known = ids(url)
    review, record, actor = known["review"], known["record"], Actor.user(known["reviewer1"])
    with session_scope(make_engine(url)) as session:
        record_vote(
            session, actor=actor, review_id=review, record_id=record, stage="title_abstract",
            vote="exclude",
        )  # fmt: skip
        add_comment(session, actor=actor, review_id=review, record_id=record, body="Rats only?")
        flag_for_discussion(session, actor=actor, review_id=review, record_id=record)
    return record


def test_an_empty_queue_says_how_records_get_there(demo_url: str) -> None:
    app = open_as(discussion_page, demo_url, "lead", "lead")
    assert not app.exception
    assert "No record waits for discussion" in app.success[0].value


def test_the_lead_reads_answers_and_clears_a_flagged_record(demo_url: str) -> None:
    record = raise_question(demo_url)
    app = open_as(discussion_page, demo_url, "lead", "lead")
    assert not app.exception
    shown = " ".join(m.value for m in app.markdown)
    assert "Rats only?" in shown and "Needs discussion" in shown and "reviewer1" in shown
    assert f"(records?record={record})" in shown  # the record's own page, one click away
    app.text_area(key=f"queue_{record}_body").input("Check the methods section")
    app.button(key=f"FormSubmitter:queue_{record}_form-Add comment").click().run()
    assert not app.exception
    assert "Check the methods section" in " ".join(m.value for m in app.markdown)
    app.button(key=f"queue_{record}_clear").click().run()
    assert not app.exception
    assert "No record waits for discussion" in app.success[0].value
    known = ids(demo_url)
    with session_scope(make_engine(demo_url)) as session:
        assert (
            discussion_queue(session, actor=Actor.user(known["lead"]), review_id=known["review"])
            == []
        )


def test_a_blind_reviewers_panel_withholds_others_comments_until_every_vote_is_in(
    demo_url: str,
) -> None:
    record = raise_question(demo_url)
    app = open_as(record_panels, demo_url, "reviewer2", "reviewer", record_under_test=record)
    assert not app.exception
    shown = " ".join(m.value for m in app.markdown)
    captions = " ".join(c.value for c in app.caption)
    assert "Rats only?" not in shown
    assert "appear once every vote" in captions and "for leads and admins" in captions
    assert not app.table  # no history for a reviewer
    assert not any(b.key == f"discussion_{record}_clear" for b in app.button)  # leads clear
    known = ids(demo_url)
    with session_scope(make_engine(demo_url)) as session:
        record_vote(
            session, actor=Actor.user(known["reviewer2"]), review_id=known["review"],
            record_id=record, stage="title_abstract", vote="include",
        )  # fmt: skip
    app.run()
    assert "Rats only?" in " ".join(m.value for m in app.markdown)
    assert "appear once every vote" not in " ".join(c.value for c in app.caption)


def test_an_empty_comment_is_refused_on_the_page(demo_url: str) -> None:
    record = ids(demo_url)["record"]
    app = open_as(record_panels, demo_url, "reviewer1", "reviewer", record_under_test=record)
    app.button(key=f"FormSubmitter:discussion_{record}_form-Add comment").click().run()
    assert not app.exception
    assert "the comment is empty" in app.error[0].value
    app.button(key=f"discussion_{record}_flag").click().run()
    assert "Needs discussion" in " ".join(m.value for m in app.markdown)


def test_the_lead_sees_the_records_history_as_a_table(demo_url: str) -> None:
    record = raise_question(demo_url)
    app = open_as(record_panels, demo_url, "lead", "lead", record_under_test=record)
    assert not app.exception
    table = app.table[0].value
    assert list(table.columns) == ["When", "Who", "What", "Before", "After"]
    what = list(table["What"])  # the demo merged this record's copies after the import
    assert what[0] == "imported" and what[-3:] == ["voted", "commented", "flagged for discussion"]
    states = " ".join(table["Before"]) + " ".join(table["After"])
    assert "None" not in states and "True" not in states and "open: yes" in states
