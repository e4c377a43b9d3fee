"""A lead logs in to the real server in Chromium and sees the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from review_app.services.demo import DEMO_ACCOUNTS
from review_app.services.users import LOGIN_FAILED
from tests.browser.helpers import log_in, settle

pytestmark = pytest.mark.browser
LEAD = DEMO_ACCOUNTS[0]


def test_lead_logs_in_and_sees_the_dashboard(browser: Any, demo_server: str) -> None:
    page = browser.new_page()
    page.goto(demo_server)
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    log_in(page, "lead", "wrong-password")
    page.get_by_text(LOGIN_FAILED).wait_for(timeout=15_000)
    log_in(page, LEAD.name, LEAD.password)
    page.get_by_role("heading", name="Title and abstract").wait_for(timeout=30_000)
    assert page.get_by_text("Logged in as").is_visible()
    assert "Kratom" in page.get_by_role("heading", level=1).first.inner_text()
    settle(page)
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="PRISMA2020 CSV").click()
    r_csv = Path(download.value.path()).read_text(encoding="utf-8")
    assert r_csv.startswith("data,node,box,description,boxtext,tooltips,url,n\n")
    assert '"PubMed, 20; Embase, 73; Scopus, 61"' in r_csv  # the demo's searches, per database
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Log in").wait_for(timeout=15_000)
    page.close()
