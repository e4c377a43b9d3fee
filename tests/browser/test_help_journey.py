"""Help and the ? overlay in Chromium, and the screening and conflicts pages as a reviewer and a
lead see them (screenshots /tmp/i17_p4_*.png)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from review_app.services.demo import DEMO_ACCOUNTS
from tests.browser.conftest import serve_demo
from tests.browser.helpers import log_in, rerun, settle
from tests.ui.test_conflicts_page import make_conflict

pytestmark = pytest.mark.browser
LEAD, FIRST, _ = DEMO_ACCOUNTS
SHOTS = Path("/tmp")


def open_screen(browser: Any, address: str, account: Any) -> Any:
    page = browser.new_context(viewport={"width": 1400, "height": 1800}).new_page()
    page.goto(address)
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    log_in(page, account.name, account.password)
    page.get_by_role("link", name="Screen").click()
    page.get_by_test_id("record-title").wait_for(timeout=30_000)
    settle(page)
    return page


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"i17_p4_{name}.png"), full_page=True)


def test_help_overlay_and_the_screening_pages(browser: Any, tmp_path: Path) -> None:
    with serve_demo(tmp_path, screening=True) as (address, url):
        record_id = make_conflict(url)
        page = open_screen(browser, address, FIRST)
        # The counts follow the reviewer's own vote at once.
        votes = page.get_by_test_id("stMetricValue").first.inner_text()
        page.get_by_test_id("record-abstract").click()  # focus the page, not a text field
        page.keyboard.press("i")
        page.wait_for_function(
            "v => document.querySelector('[data-testid=stMetricValue]').innerText !== v",
            arg=votes,
            timeout=20_000,
        )
        settle(page)
        assert int(page.get_by_test_id("stMetricValue").first.inner_text()) == int(votes) + 1
        assert page.get_by_text("Eligibility criteria").is_visible()
        shot(page, "screen_reviewer")

        page.get_by_test_id("record-abstract").click()
        page.keyboard.press("?")  # Shift+/ : the overlay, not a vote
        dialog = page.get_by_role("dialog")
        dialog.get_by_text("open the note box for this record").wait_for(timeout=20_000)
        assert dialog.get_by_text("Keyboard shortcuts").is_visible()
        shot(page, "overlay")
        page.keyboard.press("Escape")
        dialog.wait_for(state="detached", timeout=20_000)

        page.get_by_role("link", name="Help").click()
        page.get_by_role("heading", name="Keyboard shortcuts").wait_for(timeout=20_000)
        settle(page)
        body = page.locator("body").inner_text()
        assert "Remove duplicates" in body and "Ctrl+S" in body
        shot(page, "help")

        lead = open_screen(browser, address, LEAD)
        shot(lead, "screen_lead")
        lead.get_by_role("link", name="Conflicts").click()
        lead.get_by_text(f"{FIRST.name}:").first.wait_for(timeout=20_000)
        settle(lead)
        card = lead.locator(f".st-key-resolve_title_abstract_{record_id}")
        card.wait_for(timeout=20_000)  # the conflict's card may draw after the votes' text
        assert card.count() == 1
        shot(lead, "conflicts")
        card.get_by_role("button", name="Resolve").click()
        lead.get_by_text("Choose include or exclude").wait_for(timeout=20_000)
        rerun(lead)
