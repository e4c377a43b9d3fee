from __future__ import annotations

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, session_scope
from review_app.models import Resolution, Review, User
from review_app.services.permissions import Actor
from review_app.services.progress import unique_record_ids
from review_app.services.screening import record_vote


def conflicts_page() -> None:
    from review_app.ui.views import conflicts

    conflicts.render()


def make_conflict(url: str) -> int:
    with session_scope(make_engine(url)) as session:
        review_id = session.exec(select(Review.id)).one()
        record_id = unique_record_ids(session, review_id=review_id)[-1]
        for name, vote in (("reviewer1", "include"), ("reviewer2", "exclude")):
            user_id = session.exec(select(User.id).where(User.name == name)).one()
            record_vote(
                session,
                actor=Actor.user(user_id),
                review_id=review_id,
                record_id=record_id,
                stage="title_abstract",
                vote=vote,
                note="clear" if vote == "include" else None,
            )
    return record_id


def test_lead_sees_all_votes_and_resolves(demo_url: str) -> None:
    record_id = make_conflict(demo_url)
    with session_scope(make_engine(demo_url)) as session:
        review_id = session.exec(select(Review.id)).one()
        lead_id = session.exec(select(User.id).where(User.name == "lead")).one()
    app = AppTest.from_function(conflicts_page, default_timeout=60)
    app.session_state["user_id"], app.session_state["user_name"] = lead_id, "lead"
    app.session_state["review_id"], app.session_state["role"] = review_id, "lead"
    app.run()
    assert not app.exception
    texts = " ".join(m.value for m in app.markdown)
    assert "reviewer1: :green[**include**]" in texts  # include green, exclude red
    assert "reviewer2: :red[**exclude**]" in texts
    key = f"title_abstract_{record_id}"
    app.radio(key=f"final_{key}").set_value("exclude")
    app.selectbox(key=f"why_{key}").set_value("wrong_design")
    app.button(key=f"resolve_{key}").click().run()
    with session_scope(make_engine(demo_url)) as session:
        resolution = session.exec(select(Resolution).where(Resolution.record_id == record_id)).one()
    assert (resolution.vote, resolution.reason) == ("exclude", "wrong_design")


def open_as_lead(url: str) -> AppTest:
    with session_scope(make_engine(url)) as session:
        review_id = session.exec(select(Review.id)).one()
        lead_id = session.exec(select(User.id).where(User.name == "lead")).one()
    app = AppTest.from_function(conflicts_page, default_timeout=60)
    app.session_state["user_id"], app.session_state["user_name"] = lead_id, "lead"
    app.session_state["review_id"], app.session_state["role"] = review_id, "lead"
    return app.run()


def test_no_final_decision_is_chosen_for_the_lead(demo_url: str) -> None:
    """A decision pre-set to include is one click from a resolution nobody chose."""
    record_id = make_conflict(demo_url)
    app = open_as_lead(demo_url)
    key = f"title_abstract_{record_id}"
    assert app.radio(key=f"final_{key}").value is None
    app.button(key=f"resolve_{key}").click().run()
    assert not app.exception
    assert any("Choose include or exclude" in e.value for e in app.error)
    with session_scope(make_engine(demo_url)) as session:
        assert session.exec(select(Resolution).where(Resolution.record_id == record_id)).all() == []
