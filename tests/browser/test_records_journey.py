"""Records in Chromium: a lead searches, filters, pages and opens a record from the table; a
blind reviewer sees their own votes only; the table stays inside a narrow window.
Screenshots: /tmp/i17_p1_*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from review_app.db import make_engine, session_scope
from review_app.models import Decision, User
from review_app.services.demo import DEMO_ACCOUNTS
from tests.browser.conftest import serve_demo
from tests.browser.helpers import choose, log_in, rerun, settle

pytestmark = pytest.mark.browser
LEAD, FIRST, SECOND = DEMO_ACCOUNTS
SHOTS = Path("/tmp")


def open_records(browser: Any, address: str, account: Any) -> Any:
    """A new tab logged in as ``account`` on the Records page (helpers.open_as waits for any
    heading holding "Records", which the dashboard has too)."""
    page = browser.new_context(viewport={"width": 1400, "height": 1800}).new_page()
    page.goto(address)
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    log_in(page, account.name, account.password)
    page.get_by_role("link", name="Records", exact=True).click()
    page.get_by_role("heading", name="Records", exact=True, level=1).wait_for(timeout=30_000)
    page.get_by_test_id("stDataFrame").first.wait_for(timeout=30_000)
    settle(page)
    return page


def calm(page: Any) -> None:
    """The run over and every element drawn (no loading placeholder left), for a screenshot."""
    settle(page)
    page.wait_for_function("() => !document.querySelector('[data-testid=stSkeleton]')")
    page.wait_for_timeout(700)


def caption_total(page: Any) -> str:
    return str(page.get_by_text("Records 1–").first.inner_text())


def shared_record(url: str) -> int:
    """A record both reviewers voted on (the demo is partly screened)."""
    with session_scope(make_engine(url)) as session:
        me = session.exec(select(User.id).where(User.name == FIRST.name)).one()
        mine = select(Decision.record_id).where(Decision.reviewer_id == me)
        return session.exec(
            select(Decision.record_id)
            .where(Decision.reviewer_id != me, col(Decision.record_id).in_(mine))
            .order_by(col(Decision.record_id))
        ).first()


def open_row(page: Any, row: int) -> None:
    """Click a row's selection box in the table (the grid draws on a canvas)."""
    grid = page.get_by_test_id("stDataFrame").first
    grid.hover()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 36 * (row + 1) + 18)


def test_a_lead_finds_and_opens_a_record(browser: Any, tmp_path: Path) -> None:
    with serve_demo(tmp_path, screening=True) as (address, url):
        page = open_records(browser, address, LEAD)
        before = caption_total(page)
        calm(page)
        page.screenshot(path=str(SHOTS / "i17_p1_table.png"), full_page=True)
        search = page.get_by_role("textbox", name="Search")
        search.fill("mitragynine")
        search.press("Enter")
        rerun(page, 800)
        assert caption_total(page) != before
        choose(page, "Stage", "Title and abstract")
        calm(page)
        page.screenshot(path=str(SHOTS / "i17_p1_filtered.png"), full_page=True)
        open_row(page, 0)
        page.get_by_role("heading", name="Sources").wait_for(timeout=30_000)
        calm(page)
        assert "record=" in page.url
        calm(page)
        page.screenshot(path=str(SHOTS / "i17_p1_detail.png"), full_page=True)
        assert "None" not in page.locator("[data-testid=stMain]").inner_text()
        page.get_by_role("button", name="Back to the records").click()
        page.get_by_test_id("stDataFrame").first.wait_for(timeout=30_000)
        settle(page)
        assert "record=" not in page.url
        # a record by its address, as a colleague's link opens it
        record_id = shared_record(url)
        page.goto(f"{address}/records?record={record_id}")
        page.get_by_role("heading", name="Screening").wait_for(timeout=30_000)
        calm(page)
        main = page.locator("[data-testid=stMain]").inner_text()
        assert FIRST.name in main and SECOND.name in main
        page.close()


def test_a_blind_reviewer_and_a_narrow_window(browser: Any, tmp_path: Path) -> None:
    with serve_demo(tmp_path, screening=True) as (address, url):
        page = open_records(browser, address, FIRST)
        assert page.get_by_text("Blind review: a record's status shows").is_visible()
        page.goto(f"{address}/records?record={shared_record(url)}")
        page.get_by_role("heading", name="Screening").wait_for(timeout=30_000)
        calm(page)
        main = page.locator("[data-testid=stMain]").inner_text()
        assert FIRST.name in main and SECOND.name not in main
        calm(page)
        page.screenshot(path=str(SHOTS / "i17_p1_reviewer_detail.png"), full_page=True)
        page.set_viewport_size({"width": 760, "height": 1400})
        page.goto(f"{address}/records")
        page.get_by_test_id("stDataFrame").first.wait_for(timeout=30_000)
        settle(page)
        calm(page)
        page.screenshot(path=str(SHOTS / "i17_p1_narrow.png"), full_page=True)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0  # the table scrolls inside its frame, the page does not
        page.close()
