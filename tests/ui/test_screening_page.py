from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, session_scope
from review_app.models import Decision, Review, User
from review_app.services.permissions import Actor
from review_app.services.progress import unique_record_ids
from review_app.services.screening import record_vote


def screening_page() -> None:
    from review_app.ui.views import screening

    screening.render()


def open_as(url: str, name: str, role: str = "reviewer") -> AppTest:
    with session_scope(make_engine(url)) as session:
        review_id = session.exec(select(Review.id)).one()
        user_id = session.exec(select(User.id).where(User.name == name)).one()
    app = AppTest.from_function(screening_page, default_timeout=60)
    app.session_state["user_id"], app.session_state["user_name"] = user_id, name
    app.session_state["review_id"], app.session_state["role"] = review_id, role
    return app.run()


def shown_title(app: AppTest) -> str:
    return next(m.value for m in app.markdown if "record-title" in m.value)


def my_votes(url: str, name: str) -> list[tuple[int, str]]:
    with session_scope(make_engine(url)) as session:
        user_id = session.exec(select(User.id).where(User.name == name)).one()
        return list(
            session.exec(
                select(Decision.record_id, Decision.vote).where(Decision.reviewer_id == user_id)
            )
        )


def test_vote_moves_on_and_undo_brings_the_record_back(demo_url: str) -> None:
    app = open_as(demo_url, "reviewer1")
    assert not app.exception
    first = shown_title(app)
    before = len(my_votes(demo_url, "reviewer1"))
    app.button(key="vote_include").click().run()
    assert not app.exception and shown_title(app) != first
    assert len(my_votes(demo_url, "reviewer1")) == before + 1
    app.button(key="undo_vote").click().run()
    assert shown_title(app) == first
    assert len(my_votes(demo_url, "reviewer1")) == before


def test_exclusion_reason_is_saved(demo_url: str) -> None:
    app = open_as(demo_url, "reviewer2")
    [reason] = [s for s in app.selectbox if s.key.startswith("reason_title_abstract_")]
    record_id = int(reason.key.rsplit("_", 1)[1])
    reason.set_value("animal_or_in_vitro").run()
    app.button(key="vote_exclude").click().run()
    with session_scope(make_engine(demo_url)) as session:
        reviewer2 = session.exec(select(User.id).where(User.name == "reviewer2")).one()
        decision = session.exec(
            select(Decision).where(
                Decision.record_id == record_id, Decision.reviewer_id == reviewer2
            )
        ).one()
    assert (decision.vote, decision.reason) == ("exclude", "animal_or_in_vitro")


def test_full_text_exclusion_without_reason_is_refused_with_a_message(demo_url: str) -> None:
    app = open_as(demo_url, "reviewer1")
    app.segmented_control(key="screen_stage").set_value("full_text").run()
    if any("Nothing left" in s.value for s in app.success):
        return  # nothing has passed title/abstract in this database yet
    app.button(key="vote_exclude").click().run()
    assert any("needs a reason" in e.value for e in app.error)


def test_markup_in_a_title_is_shown_as_text(demo_url: str) -> None:
    from review_app.models import Record

    with session_scope(make_engine(demo_url)) as session:
        for record in session.exec(select(Record)):
            record.title = '<img src=x onerror="alert(1)"> <b>bold</b> ' + record.title
            session.add(record)
    app = open_as(demo_url, "reviewer1")
    title = shown_title(app)
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in title and "<b>" not in title


# --- rough edges of issue 17 ------------------------------------------------------------------


def metric(app: AppTest, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def test_my_votes_and_left_for_me_follow_every_vote(demo_url: str) -> None:
    """The side panel's own counts move with each vote, never a few votes behind (a reviewer saw
    "Nothing left for you" beside "Left for me 1")."""
    st.cache_data.clear()  # the counts of another test's copy of the demo
    app = open_as(demo_url, "reviewer1")
    votes, left = int(metric(app, "My votes")), int(metric(app, "Left for me"))
    for cast in (1, 2):
        app.button(key="vote_include").click().run()
        assert not app.exception
        assert (metric(app, "My votes"), metric(app, "Left for me")) == (
            str(votes + cast),
            str(left - cast),
        )


def test_the_last_vote_leaves_nothing_left_for_me(demo_url: str) -> None:
    st.cache_data.clear()
    app = open_as(demo_url, "reviewer1")
    for _ in range(int(metric(app, "Left for me"))):
        app.button(key="vote_exclude").click().run()
    assert any("Nothing left" in s.value for s in app.success)
    assert metric(app, "Left for me") == "0"


def space_votes(url: str, name: str, seconds: float) -> None:
    """This reviewer's title/abstract votes, as if cast ``seconds`` apart (a quick reader)."""
    with session_scope(make_engine(url)) as session:
        user_id = session.exec(select(User.id).where(User.name == name)).one()
        decisions = session.exec(
            select(Decision).where(Decision.reviewer_id == user_id).order_by(Decision.id)
        ).all()
        start = datetime.now(UTC) - timedelta(seconds=seconds * len(decisions) + 60)
        for number, decision in enumerate(decisions):
            decision.created_at = start + timedelta(seconds=seconds * number)
            session.add(decision)


def test_pace_line_never_says_zero_minutes_with_records_to_go(demo_url: str) -> None:
    space_votes(demo_url, "reviewer1", seconds=1.0)
    st.cache_data.clear()
    app = open_as(demo_url, "reviewer1")
    assert int(metric(app, "Left for me")) > 0
    [pace] = [c.value for c in app.caption if "your pace" in c.value]
    assert "0 min" not in pace and "under a minute" in pace, pace


def test_include_is_not_the_red_primary_button(demo_url: str) -> None:
    """Red marks exclude keywords in the record; Include must not be the theme's red button."""
    app = open_as(demo_url, "reviewer1")
    assert app.button(key="vote_include").proto.type != "primary"
    assert app.button(key="vote_exclude").proto.type != "primary"


def test_criteria_are_read_across_the_page(demo_url: str) -> None:
    """The eligibility criteria (long texts) get the page's width, not the narrow side column."""
    app = open_as(demo_url, "reviewer1")
    [criteria] = [e for e in app.main.children.values() if _label(e).startswith("Eligibility")]
    text = " ".join(m.value for m in criteria.markdown).replace("\\", "")  # Markdown escapes
    assert "Adults (18 years or older)" in text


def _label(element: object) -> str:
    return str(getattr(element, "label", "") or "")


def test_a_lead_reads_reason_labels_not_codes(demo_url: str) -> None:
    with session_scope(make_engine(demo_url)) as session:
        review_id = session.exec(select(Review.id)).one()
        reviewer2 = session.exec(select(User.id).where(User.name == "reviewer2")).one()
        voted = set(
            session.exec(select(Decision.record_id).where(Decision.reviewer_id == reviewer2))
        )
        record_id = next(
            r for r in unique_record_ids(session, review_id=review_id) if r not in voted
        )
        record_vote(
            session,
            actor=Actor.user(reviewer2),
            review_id=review_id,
            record_id=record_id,
            stage="title_abstract",
            vote="exclude",
            reason="animal_or_in_vitro",
        )
    app = AppTest.from_function(screening_page, default_timeout=60)
    lead_id = _user_id(demo_url, "lead")
    app.session_state["user_id"], app.session_state["user_name"] = lead_id, "lead"
    app.session_state["review_id"], app.session_state["role"] = review_id, "lead"
    app.session_state["screen_revisit"] = (record_id, "title_abstract")
    app.run()
    shown = " ".join(c.value for c in app.caption).replace("\\", "")  # Markdown escapes
    assert "reviewer2: exclude (Animal or in-vitro study)" in shown
    assert "animal_or_in_vitro" not in shown


def _user_id(url: str, name: str) -> int:
    with session_scope(make_engine(url)) as session:
        return session.exec(select(User.id).where(User.name == name)).one()


def test_a_comment_on_the_record_being_screened(demo_url: str) -> None:
    """The discussion panel opens under the record; a comment lands on that record."""
    from review_app.models import RecordComment

    app = open_as(demo_url, "reviewer1")
    record_id = _shown_record_id(app)
    app.session_state["screen_discussion_open"] = True
    app.run()
    app.text_area(key=f"screen_discussion_{record_id}_body").input("Rats or people?")
    next(b for b in app.button if b.label == "Add comment").click().run()
    assert not app.exception
    with session_scope(make_engine(demo_url)) as session:
        comment = session.exec(select(RecordComment)).one()
    assert (comment.record_id, comment.body) == (record_id, "Rats or people?")


def _shown_record_id(app: AppTest) -> int:
    [reason] = [s for s in app.selectbox if s.key.startswith("reason_title_abstract_")]
    return int(reason.key.rsplit("_", 1)[1])
