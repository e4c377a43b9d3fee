"""In Chromium: a duplicate pair against an earlier decision (the warning, the locked button, the
? overlay), and the dashboard of a partly screened review (its counts, the kappa sentence, the
stopping aid's verdict, the button that starts screening). Screenshots: /tmp/i17_p6_*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from review_app.db import make_engine, session_scope
from review_app.models import CandidatePair, ClusterMember, Record, Review
from tests.browser.conftest import serve_demo
from tests.browser.helpers import open_as, rerun, settle
from tests.browser.test_login_journey import LEAD

pytestmark = pytest.mark.browser


def queue_beside_a_merge(database: str) -> None:
    """'Not a duplicate' decided for (record, a merge's primary); (record, one of the merge's
    copies) waiting in the queue."""
    with session_scope(make_engine(database)) as session:
        review_id = session.exec(select(Review.id)).one()
        members = session.exec(select(ClusterMember).order_by(ClusterMember.id)).all()
        primary = next(m for m in members if m.is_primary)
        copy = next(
            m.record_id for m in members if m.cluster_id == primary.cluster_id and not m.is_primary
        )
        merged = {m.record_id for m in members}
        other = next(
            r for r in session.exec(select(Record.id).order_by(Record.id)) if r not in merged
        )
        for record, status in ((primary.record_id, "not_duplicate"), (copy, "pending")):
            low, high = min(other, record), max(other, record)
            session.add(CandidatePair(review_id=review_id, record_a_id=low, record_b_id=high,
                                      score=8.0, status=status))  # fmt: skip


def test_duplicates_and_dashboard(browser: Any, tmp_path: Path) -> None:
    with serve_demo(tmp_path, screening=True) as (address, database):
        queue_beside_a_merge(database)
        page = open_as(browser, address, LEAD, "Duplicates")
        page.get_by_text("decided earlier that these are not duplicates").wait_for()
        assert page.locator(".st-key-pair_duplicate button").is_disabled()
        assert page.get_by_text("bits").count() == 0
        page.screenshot(path="/tmp/i17_p6_duplicates.png", full_page=True)
        page.get_by_text("Is this the same record?").click()  # focus the page, not a widget
        page.keyboard.press("?")
        page.get_by_role("dialog").get_by_text("not a duplicate: keep both").wait_for()
        page.screenshot(path="/tmp/i17_p6_duplicates_keys.png")
        page.keyboard.press("Escape")
        page.get_by_text("The earlier decision was wrong").click()
        rerun(page)
        assert page.locator(".st-key-pair_duplicate button").is_enabled()
        page.get_by_role("link", name="Dashboard").click()
        page.get_by_text("Records at this stage").first.wait_for()
        settle(page)
        page.screenshot(path="/tmp/i17_p6_dashboard.png", full_page=True)
        note = page.get_by_text("agreement but a kappa of").first
        note.scroll_into_view_if_needed()
        page.screenshot(path="/tmp/i17_p6_dashboard_agreement.png")
        page.get_by_role("button", name="Start screening (title and abstract)").click()
        page.get_by_role("heading", name="Screen").first.wait_for(timeout=30_000)
        settle(page)
        page.screenshot(path="/tmp/i17_p6_dashboard_to_screen.png")
        page.close()
