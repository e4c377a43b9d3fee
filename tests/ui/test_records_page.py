"""The Records page (AppTest): a paged table with search and filters, a record's detail opened
from the address, blinding on the page, and no "None" where a value is missing."""

from __future__ import annotations

from sqlmodel import col, select
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, session_scope
from review_app.domain.vocabulary import StageStatus
from review_app.models import Decision, Record, Review, User
from review_app.ui.app import PAGES, REVIEWER_PAGES
from review_app.ui.views.records import STATUS_LABELS


def records_page() -> None:
    from review_app.ui.views import records

    records.render()


def open_as(url: str, name: str, role: str) -> AppTest:
    with session_scope(make_engine(url)) as session:
        review_id = session.exec(select(Review.id)).one()
        user_id = session.exec(select(User.id).where(User.name == name)).one()
    app = AppTest.from_function(records_page, default_timeout=60)
    app.session_state["user_id"], app.session_state["user_name"] = user_id, name
    app.session_state["review_id"], app.session_state["role"] = review_id, role
    return app


def shown_text(app: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "subheader", "info", "error")
             for e in getattr(app, kind)]  # fmt: skip
    parts += [frame.value.to_string() for frame in [*app.dataframe, *app.table]]
    return "\n".join(str(p) for p in parts)


def total_shown(app: AppTest) -> int:
    """N of the table's "Records 1–50 of N" line."""
    [line] = [c.value for c in app.caption if c.value.startswith("Records ")]
    return int(line.split(" of ")[1].split(".")[0].replace(",", ""))


def test_the_page_is_there_for_reviewers_and_leads() -> None:
    assert PAGES["records"][0] == "Records" and "records" in REVIEWER_PAGES


def test_a_lead_pages_through_every_record(demo_url: str) -> None:
    with session_scope(make_engine(demo_url)) as session:
        total = len(session.exec(select(Record.id)).all())
    app = open_as(demo_url, "lead", "lead").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert len(table) == 50 and list(table["Record"]) == sorted(table["Record"])
    # the demo's record 12 has no year: an empty cell, not "None" (the grid's mark for null)
    assert table["Year"].notna().all() and "" in set(table["Year"])
    assert any(f"Records 1–50 of {total:,}" in c.value for c in app.caption)
    app.pagination[0].select(2).run()
    assert app.dataframe[0].value["Record"].iloc[0] == table["Record"].iloc[-1] + 1
    app.selectbox(key="records_page_size").set_value(100).run()  # back to page 1
    assert any(f"Records 1–100 of {total:,}" in c.value for c in app.caption)


def test_search_and_a_filter_narrow_the_table(demo_url: str) -> None:
    app = open_as(demo_url, "lead", "lead").run()
    everything = total_shown(app)
    app.text_input(key="records_search").input("mitragynine").run()
    assert 0 < total_shown(app) < everything
    assert any("mitragynine" in t.lower() for t in app.dataframe[0].value["Title"])
    app.text_input(key="records_search").input("").run()
    app.selectbox(key="records_status").set_value(StageStatus.CONFLICT).run()
    statuses = set(app.dataframe[0].value["Status"]) if app.dataframe else set()
    assert statuses <= {STATUS_LABELS[StageStatus.CONFLICT]}
    app.text_input(key="records_search").input("zzzz no such words").run()
    assert any("No record matches" in i.value for i in app.info)


def test_a_lead_opens_a_record_with_every_vote_and_its_sources(demo_url: str) -> None:
    with session_scope(make_engine(demo_url)) as session:
        record_id = session.exec(
            select(Decision.record_id)
            .group_by(col(Decision.record_id))
            .order_by(col(Decision.record_id))
        ).first()
        voters = len(session.exec(select(Decision.id).where(Decision.record_id == record_id)).all())
    app = open_as(demo_url, "lead", "lead")
    app.query_params["record"] = str(record_id)
    app.run()
    assert not app.exception
    headings = [s.value for s in app.subheader]
    assert {"Sources", "Screening", "Full text", "Study", "Discussion", "History"} <= set(headings)
    votes = app.table[2].value  # fields, sources, then the first stage's votes
    assert len(votes) == voters >= 2
    assert "None" not in shown_text(app)
    app.button(key="record_back").click().run()
    assert "record" not in app.query_params and app.dataframe[0].value is not None


def test_a_blind_reviewer_sees_their_own_votes_only(demo_url: str) -> None:
    with session_scope(make_engine(demo_url)) as session:
        me = session.exec(select(User.id).where(User.name == "reviewer1")).one()
        mine = set(session.exec(select(Decision.record_id).where(Decision.reviewer_id == me)))
        shared = session.exec(
            select(Decision.record_id).where(
                Decision.reviewer_id != me, col(Decision.record_id).in_(mine)
            )
        ).first()
    app = open_as(demo_url, "reviewer1", "reviewer").run()
    assert not app.exception
    status_options = app.selectbox(key="records_status").options
    assert STATUS_LABELS[StageStatus.AWAITING] not in status_options
    assert any("Blind review" in c.value for c in app.caption)
    app.query_params["record"] = str(shared)
    app.run()
    votes = app.table[2].value
    assert list(votes["Reviewer"]) == ["reviewer1"]


def test_a_record_number_that_is_not_one_says_so(demo_url: str) -> None:
    app = open_as(demo_url, "lead", "lead")
    app.query_params["record"] = "abc"
    app.run()
    assert any("'abc' is not a record number" in e.value for e in app.error)
    assert app.dataframe  # the table instead
    other = open_as(demo_url, "lead", "lead")
    other.query_params["record"] = "999999"
    other.run()
    assert any("no record 999999" in e.value for e in other.error) and not other.exception
