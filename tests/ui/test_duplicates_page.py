from __future__ import annotations

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, session_scope
from review_app.models import CandidatePair, ClusterMember, DuplicateCluster, Record, Review, User


def duplicates_page() -> None:
    from review_app.ui.views import duplicates

    duplicates.render()


def open_as_lead(url: str) -> AppTest:
    with session_scope(make_engine(url)) as session:
        review_id = session.exec(select(Review.id)).one()
        lead_id = session.exec(select(User.id).where(User.name == "lead")).one()
    app = AppTest.from_function(duplicates_page, default_timeout=60)
    app.session_state["user_id"], app.session_state["user_name"] = lead_id, "lead"
    app.session_state["review_id"], app.session_state["role"] = review_id, "lead"
    return app.run()


def queue_a_pair(url: str) -> tuple[int, int]:
    """Two unmerged demo records put in the queue, as an uncertain pair would be."""
    with session_scope(make_engine(url)) as session:
        review_id = session.exec(select(Review.id)).one()
        merged = set(session.exec(select(ClusterMember.record_id)))
        a, b = [r for r in session.exec(select(Record.id).order_by(Record.id)) if r not in merged][
            :2
        ]
        session.add(CandidatePair(review_id=review_id, record_a_id=a, record_b_id=b, score=8.0))
    return a, b


def test_demo_merges_are_listed(demo_url: str) -> None:
    app = open_as_lead(demo_url)
    assert not app.exception
    assert any("queue is empty" in s.value for s in app.success)
    merges = app.dataframe[-1].value
    copies = sum(len(str(c).split(", ")) for c in merges["Copy ids"])
    assert copies == 71  # the demo's 157 records hold 86 different ones


def test_decide_a_pair_as_duplicate_then_undo(demo_url: str) -> None:
    _, b = queue_a_pair(demo_url)
    app = open_as_lead(demo_url)
    assert "1 pair(s) to decide" in app.subheader[0].value
    app.radio[0].set_value(b).run()
    app.button(key="pair_duplicate").click().run()
    assert not app.exception
    with session_scope(make_engine(demo_url)) as session:
        cluster = session.exec(
            select(DuplicateCluster).where(DuplicateCluster.decided_by == "manual")
        ).one()
        assert cluster.primary_record_id == b
    app.selectbox(key="undo_merge").set_value(cluster.id)
    app.button(key="undo_merge_go").click().run()
    assert "1 pair(s) to decide" in app.subheader[0].value  # the pair is back in the queue


def test_not_a_duplicate_and_skip(demo_url: str) -> None:
    queue_a_pair(demo_url)
    app = open_as_lead(demo_url)
    app.button(key="pair_skip").click().run()
    assert "status skipped" in app.caption[0].value
    app.button(key="pair_not_duplicate").click().run()
    assert any("queue is empty" in s.value for s in app.success)


def queue_beside_a_merge(url: str) -> tuple[int, int, int]:
    """An unmerged record, a merge's primary and one of its copies: 'not a duplicate' decided
    for (record, primary), and (record, copy) waiting in the queue."""
    with session_scope(make_engine(url)) as session:
        review_id = session.exec(select(Review.id)).one()
        members = session.exec(select(ClusterMember).order_by(ClusterMember.id)).all()
        primary = next(m.record_id for m in members if m.is_primary)
        cluster = next(m.cluster_id for m in members if m.record_id == primary)
        copy = next(m.record_id for m in members if m.cluster_id == cluster and not m.is_primary)
        merged = {m.record_id for m in members}
        other = next(
            r for r in session.exec(select(Record.id).order_by(Record.id)) if r not in merged
        )
        for b, status in ((primary, "not_duplicate"), (copy, "pending")):
            low, high = min(other, b), max(other, b)
            session.add(CandidatePair(review_id=review_id, record_a_id=low, record_b_id=high,
                                      score=8.0, status=status))  # fmt: skip
    return other, primary, copy


def test_a_pair_against_an_earlier_decision_asks_before_merging(demo_url: str) -> None:
    other, primary, copy = queue_beside_a_merge(demo_url)
    app = open_as_lead(demo_url)
    [warning] = [w.value for w in app.warning if "decided earlier" in w.value]
    assert f"- record {min(other, primary)} (" in warning  # with the records' citation lines
    assert app.button(key="pair_duplicate").disabled
    app.checkbox[0].check().run()
    assert not app.button(key="pair_duplicate").disabled
    app.button(key="pair_duplicate").click().run()
    assert not app.exception and not app.error
    with session_scope(make_engine(demo_url)) as session:
        clusters = {m.record_id: m.cluster_id for m in session.exec(select(ClusterMember))}
    assert clusters[other] == clusters[copy]


def test_a_pair_shows_citations_and_evidence_in_words(demo_url: str) -> None:
    a, _ = queue_a_pair(demo_url)
    app = open_as_lead(demo_url)
    lines = [m.value for m in app.markdown]
    assert any(line.startswith(f"**Record {a}**") and "(" in line for line in lines)
    caption = app.caption[0].value
    assert "bits" not in caption and caption.startswith(("Strong evidence", "Uncertain"))
    merges = app.dataframe[-1].value
    assert set(merges["Evidence"]) <= {"strong", "uncertain"}
    assert all(":" in str(c) and not str(c).replace(", ", "").isdigit() for c in merges["Copies"])


def test_the_page_has_the_shortcuts_overlay(demo_url: str) -> None:
    queue_a_pair(demo_url)
    app = open_as_lead(demo_url)
    app.button(key="shortcuts_help").click().run()
    assert not app.exception
    assert any("| **N** | not a duplicate: keep both |" in m.value for m in app.markdown)
    assert "**?** all keys" in app.caption[0].value
