"""An admin runs the team in Chromium: adds a person (the temporary password shown once), resets
a reviewer's password, is told why the last admin keeps the role, creates a review from a
protocol file, reads the protocol; the new person logs in and chooses their own password.
Screenshots: /tmp/i17_p3_*.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from review_app.db import make_engine, session_scope
from review_app.services.demo import DEMO_ACCOUNTS
from review_app.services.permissions import Actor
from review_app.services.reviews import add_member, resolve_review_id
from review_app.services.users import authenticate, create_user
from tests.browser.conftest import serve_demo
from tests.browser.helpers import choose, log_in, open_as, rerun, settle
from tests.conftest import KRATOM_PROTOCOL

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp")
REVIEWER = DEMO_ACCOUNTS[1]


class Account:
    name = "ada"
    password = "ada-admin-password"


def make_admin(url: str) -> None:
    with session_scope(make_engine(url)) as session:
        review_id = resolve_review_id(session, None)
        user = create_user(session, name=Account.name, password=Account.password)
        add_member(
            session, actor=Actor.operator(), review_id=review_id, user_id=user.id, role="admin"
        )


def temporary_password(page: Any) -> str:
    shown = page.get_by_test_id("stCode").first.inner_text().strip()
    assert re.fullmatch(r"([a-z2-9]{4}-){3}[a-z2-9]{4}", shown), shown
    return shown


def add_person(page: Any, name: str) -> str:
    page.get_by_label("Name (their login)").fill(name)
    page.get_by_role("button", name="Add to the team").click()
    page.get_by_text(f"{name} was added as reviewer").wait_for(timeout=30_000)
    settle(page)
    return temporary_password(page)


def test_an_admin_runs_the_team_and_a_new_person_logs_in(browser: Any, tmp_path: Path) -> None:
    with serve_demo(tmp_path, screening=False) as (address, url):
        make_admin(url)
        page = open_as(browser, address, Account, "Team")
        page.screenshot(path=str(SHOTS / "i17_p3_team.png"), full_page=True)
        password = add_person(page, "nora")
        page.screenshot(path=str(SHOTS / "i17_p3_team_added.png"), full_page=True)

        choose(page, "Member", f"{REVIEWER.name} · Reviewer")
        page.get_by_role("button", name="Reset password").click()
        page.get_by_text(f"{REVIEWER.name} has a temporary password").wait_for(timeout=30_000)
        settle(page)
        reset = temporary_password(page)
        with session_scope(make_engine(url)) as session:
            assert authenticate(session, name=REVIEWER.name, password=reset).must_change_password

        choose(page, "Member", "ada (you) · Admin")
        page.get_by_label("Role", exact=True).last.click()
        page.get_by_role("option", name="Lead", exact=True).click()
        page.get_by_role("button", name="Save role").click()
        page.get_by_text("you are the review's last admin").wait_for(timeout=30_000)
        settle(page)
        assert page.get_by_role("heading", name="New review").is_visible()
        page.screenshot(path=str(SHOTS / "i17_p3_team_refusal.png"), full_page=True)

        page.locator("input[type=file]").set_input_files(str(KRATOM_PROTOCOL))
        rerun(page)
        page.get_by_label("Review name").fill("Kratom update")
        page.get_by_label("Review name").press("Enter")
        rerun(page)
        page.get_by_role("button", name="Create the review").click()
        page.get_by_text("Review Kratom update created").wait_for(timeout=30_000)
        settle(page)
        page.screenshot(path=str(SHOTS / "i17_p3_team_review.png"), full_page=True)

        page.get_by_role("link", name="Protocol").click()
        page.get_by_role("heading", name="Eligibility criteria").wait_for(timeout=30_000)
        settle(page)
        page.set_viewport_size({"width": 1400, "height": 6000})  # the page scrolls inside
        page.wait_for_timeout(500)
        page.screenshot(path=str(SHOTS / "i17_p3_protocol.png"))
        with page.expect_download(timeout=30_000) as download:
            page.get_by_role("button", name="Download the protocol as loaded (TOML)").click()
        assert Path(download.value.path()).read_text(encoding="utf-8").strip() == (
            KRATOM_PROTOCOL.read_text(encoding="utf-8").strip()
        )
        page.close()

        newcomer = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        newcomer.goto(address)
        newcomer.get_by_role("button", name="Log in").wait_for(timeout=30_000)
        log_in(newcomer, "nora", password)
        newcomer.get_by_text("Choose your password, nora").wait_for(timeout=30_000)
        settle(newcomer)
        newcomer.screenshot(path=str(SHOTS / "i17_p3_choose_password.png"))
        newcomer.get_by_label("New password", exact=True).fill("nora's own password")
        newcomer.get_by_label("New password again").fill("nora's own password")
        newcomer.get_by_role("button", name="Save and log in").click()
        newcomer.get_by_text("Logged in as").wait_for(timeout=30_000)
        assert newcomer.get_by_text("nora", exact=True).first.is_visible()
        newcomer.close()
