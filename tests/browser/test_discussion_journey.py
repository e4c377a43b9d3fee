"""The Discussion page in Chromium: a reviewer's flagged question reaches the lead's queue, the
lead answers and clears it, the record's page shows the discussion and the history, a reviewer
is told the page is for leads, and a narrow window cuts nothing off (screenshots
/tmp/i17_p2_*.png)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from review_app.services.demo import DEMO_ACCOUNTS
from tests.browser.conftest import serve_demo
from tests.browser.helpers import log_in, rerun, settle
from tests.ui.test_discussion_page import raise_question

pytestmark = pytest.mark.browser
LEAD, _, SECOND = DEMO_ACCOUNTS
SHOTS = Path("/tmp")


def open_discussion(
    browser: Any, address: str, account: Any, width: int = 1400, height: int = 1600
) -> Any:
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(f"{address}/discussion")
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    log_in(page, account.name, account.password)
    page.get_by_role("heading", name="Discussion").wait_for(timeout=30_000)
    settle(page)
    return page


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"i17_p2_{name}.png"), full_page=True)


def overflows(page: Any) -> bool:
    return bool(
        page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    )


def test_a_flagged_question_is_answered_and_cleared(browser: Any, tmp_path: Path) -> None:
    with serve_demo(tmp_path, screening=True) as (address, url):
        record = raise_question(url)
        page = open_discussion(browser, address, LEAD)
        page.get_by_text("Rats only?").wait_for(timeout=20_000)
        assert page.get_by_text("Needs discussion").is_visible()
        shot(page, "queue")

        page.get_by_label("Add a comment").fill("Check the methods section: rats or people?")
        page.get_by_role("button", name="Add comment").click()
        page.get_by_text("Check the methods section: rats or people?", exact=True).wait_for(
            timeout=20_000
        )
        rerun(page)
        shot(page, "answered")

        narrow = open_discussion(browser, address, LEAD, width=640)
        narrow.get_by_text("Rats only?").wait_for(timeout=20_000)
        assert not overflows(narrow)
        shot(narrow, "narrow")

        detail = open_discussion(browser, address, LEAD, height=3400)  # the page scrolls inside
        link = detail.get_by_role("link", name=f"Open record {record}")
        assert link.get_attribute("href").endswith(f"records?record={record}")
        detail.goto(f"{address}/records?record={record}")
        detail.get_by_role("heading", name="History").wait_for(timeout=30_000)
        settle(detail)
        detail.get_by_text("Check the methods section: rats or people?", exact=True).wait_for(
            timeout=20_000
        )
        detail.get_by_test_id("stTable").last.wait_for(timeout=20_000)  # the history table
        assert not overflows(detail)
        shot(detail, "record")

        page.get_by_role("button", name="Clear flag").click()
        page.get_by_text("No record waits for discussion").wait_for(timeout=20_000)
        shot(page, "cleared")

        reviewer = open_discussion(browser, address, SECOND)
        reviewer.get_by_text("is for the review's leads and admins").wait_for(timeout=20_000)
        assert not reviewer.get_by_text("Rats only?").count()
        shot(reviewer, "reviewer")
