"""The duplicate review queue with its keys, and markup in records shown as text, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from review_app.db import make_engine, session_scope
from review_app.models import CandidatePair, ClusterMember, DuplicateCluster, Record, Review
from tests.browser.conftest import SERVER_DATABASES
from tests.browser.helpers import log_in, settle
from tests.browser.test_login_journey import LEAD

pytestmark = pytest.mark.browser


def queue_pairs(database: str, count: int) -> list[int]:
    """Put ``count`` pairs of unmerged records in the queue; returns their ids."""
    with session_scope(make_engine(database)) as session:
        review_id = session.exec(select(Review.id)).one()
        merged = set(session.exec(select(ClusterMember.record_id)))
        free = [r for r in session.exec(select(Record.id).order_by(Record.id)) if r not in merged]
        pairs = [
            CandidatePair(
                review_id=review_id,
                record_a_id=free[2 * i],
                record_b_id=free[2 * i + 1],
                score=9.0 - i,
            )
            for i in range(count)
        ]
        session.add_all(pairs)
        session.flush()
        return [p.id for p in pairs]  # type: ignore[misc]


def statuses(database: str, ids: list[int]) -> list[str]:
    with session_scope(make_engine(database)) as session:
        return [session.get(CandidatePair, i).status for i in ids]  # type: ignore[union-attr]


def test_queue_keys_d_n_s(browser: Any, demo_server: str) -> None:
    database = SERVER_DATABASES[demo_server]
    pair_ids = queue_pairs(database, 3)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(demo_server)
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    log_in(page, LEAD.name, LEAD.password)
    page.get_by_role("link", name="Duplicates").click()
    page.get_by_text("3 pair(s) to decide").wait_for(timeout=30_000)
    page.get_by_text("Is this the same record?").click()  # focus the page
    for key, left in (("d", "2 pair(s) to decide"), ("n", "1 pair(s) to decide")):
        settle(page)
        page.keyboard.press(key)
        page.get_by_text(left).wait_for(timeout=20_000)
    settle(page)
    page.keyboard.press("s")
    page.get_by_text("status skipped").wait_for(timeout=20_000)
    assert statuses(database, pair_ids) == ["duplicate", "not_duplicate", "skipped"]
    with session_scope(make_engine(database)) as session:
        manual = session.exec(
            select(DuplicateCluster).where(DuplicateCluster.decided_by == "manual")
        ).all()
    assert len(manual) == 1
    page.close()


def test_markup_in_titles_and_abstracts_is_never_rendered(browser: Any, demo_server: str) -> None:
    database = SERVER_DATABASES[demo_server]
    with session_scope(make_engine(database)) as session:
        for record in session.exec(select(Record)):
            record.title = '<img src=x onerror="window.hacked=1"><b>Bold</b> ' + record.title
            record.abstract = "<script>window.hacked=2</script> " + (record.abstract or "")
            session.add(record)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(demo_server)
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    log_in(page, "reviewer1", "demo-reviewer1-2026")
    page.get_by_role("link", name="Screen").click()
    title = page.get_by_test_id("record-title")
    title.wait_for(timeout=30_000)
    assert title.inner_text().startswith('<img src=x onerror="window.hacked=1"><b>Bold</b>')
    assert title.locator("img, b").count() == 0
    assert page.get_by_test_id("record-abstract").locator("script").count() == 0
    assert page.evaluate("window.hacked === undefined")
    page.close()
