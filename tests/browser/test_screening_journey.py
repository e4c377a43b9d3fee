"""Two reviewers screen in separate browsers, blind; their disagreement reaches the lead."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from review_app.services.demo import DEMO_ACCOUNTS
from tests.browser.helpers import log_in, settle

pytestmark = pytest.mark.browser
LEAD, FIRST, SECOND = DEMO_ACCOUNTS


def open_screen(browser: Any, url: str, account: Any) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    log_in(page, account.name, account.password)
    page.get_by_role("link", name="Screen").click()
    page.get_by_test_id("record-title").wait_for(timeout=30_000)
    return page


def title(page: Any) -> str:
    return str(page.get_by_test_id("record-title").inner_text())


def press(page: Any, key: str, *, before: str) -> str:
    """Press a shortcut and wait for the next record to replace ``before``."""
    settle(page)
    page.get_by_test_id("record-abstract").click()  # focus the page, not a text field
    page.keyboard.press(key)
    page.wait_for_function(
        "t => { const e = document.querySelector('[data-testid=record-title]');"
        " return e && e.innerText !== t; }",
        arg=before,
        timeout=20_000,
    )
    return title(page)


def test_two_reviewers_conflict_and_the_lead_resolves(
    browser: Any, demo_server: str, tmp_path: Path
) -> None:
    first, second = (
        open_screen(browser, demo_server, FIRST),
        open_screen(browser, demo_server, SECOND),
    )
    shared = title(first)
    assert title(second) == shared  # both draw from the same order
    after_first = press(first, "i", before=shared)
    press(second, "e", before=shared)
    # Neither sees the other's vote: reopen the record through "My recent votes".
    first.get_by_text("My recent votes").click()
    first.get_by_role("button", name="Change").first.click()
    first.wait_for_function(
        "t => document.querySelector('[data-testid=record-title]').innerText === t", arg=shared
    )
    # The rerun may still be drawing: wait for the vote line, then read the page.
    first.get_by_text("Your vote: include").wait_for(timeout=20_000)
    body = first.locator("body").inner_text()
    assert "Your vote: include" in body and SECOND.name not in body
    assert after_first != shared

    lead = open_screen(browser, demo_server, LEAD)
    lead.get_by_role("link", name="Conflicts").click()
    lead.get_by_text(f"{FIRST.name}: include").wait_for(timeout=20_000)
    assert lead.get_by_text(f"{SECOND.name}: exclude").is_visible()
    # Nothing is chosen for the lead: pick the final decision, then resolve.
    lead.get_by_test_id("stRadio").first.get_by_text("include", exact=True).click()
    settle(lead)
    lead.get_by_role("button", name="Resolve").first.click()
    lead.get_by_text("No conflicts here.").wait_for(timeout=20_000)
    lead.get_by_role("link", name="Dashboard").click()
    lead.get_by_text("Agreement between reviewers").wait_for(timeout=20_000)

    out = tmp_path / "decisions.csv"
    database = demo_server_database(demo_server)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "review_app.cli",
            "--db",
            database,
            "export",
            "decisions",
            "-o",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    rows = {" ".join(r["title"].split()): r for r in csv.DictReader(out.open(encoding="utf-8"))}
    row = rows[" ".join(shared.split())]
    assert row[f"title_abstract:{FIRST.name}"] == "include"
    assert row[f"title_abstract:{SECOND.name}"] == "exclude"
    assert row["title_abstract:resolution"].startswith("include")


def demo_server_database(url: str) -> str:
    from tests.browser.conftest import SERVER_DATABASES

    return SERVER_DATABASES[url]
