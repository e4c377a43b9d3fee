from __future__ import annotations

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, session_scope
from review_app.models import Decision, Review, User


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
