"""A login survives a reload and a deep link; logout ends it; a deep link waits for the login."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from review_app.services.demo import DEMO_ACCOUNTS
from tests.browser.helpers import log_in, settle

pytestmark = pytest.mark.browser
LEAD = DEMO_ACCOUNTS[0]
COOKIE = "review_app_session"


def shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"session-{name}.png"), full_page=True)


def session_cookie(context: Any) -> dict[str, Any] | None:
    return next((c for c in context.cookies() if c["name"] == COOKIE), None)


def wait_for_login_form(page: Any) -> None:
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    settle(page)
    assert not page.get_by_text("Page not found").is_visible()
    assert not page.get_by_text("Logged in as").is_visible()


def wait_for_dashboard(page: Any) -> None:
    page.get_by_role("heading", name="Title and abstract").wait_for(timeout=30_000)
    page.get_by_text("Logged in as").wait_for(timeout=30_000)
    settle(page)


def wait_for_screen(page: Any) -> None:
    page.get_by_test_id("record-title").wait_for(timeout=30_000)
    page.get_by_text("Left for me").wait_for(timeout=30_000)  # the Screen page's own figures
    page.get_by_text("Logged in as").wait_for(timeout=30_000)
    settle(page)


def test_reload_and_deep_link_keep_the_login_until_logout(
    browser: Any, demo_server: str, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(demo_server)
    wait_for_login_form(page)
    assert session_cookie(context) is None
    log_in(page, LEAD.name, LEAD.password)
    wait_for_dashboard(page)
    page.wait_for_function(f"document.cookie.includes('{COOKIE}=')", timeout=15_000)
    cookie = session_cookie(context)
    assert cookie is not None
    assert len(cookie["value"]) == 43 and LEAD.password not in cookie["value"]
    assert cookie["path"] == "/" and cookie["sameSite"] == "Strict"
    assert cookie["expires"] > 0  # Max-Age: not a browser-session cookie
    shot(page, tmp_path, "1-dashboard")

    page.reload()
    wait_for_dashboard(page)
    assert not page.get_by_role("button", name="Log in").is_visible()
    shot(page, tmp_path, "2-after-reload")

    page.goto(f"{demo_server}/screen")
    wait_for_screen(page)
    shot(page, tmp_path, "3-deep-link-screen")

    page.get_by_role("button", name="Log out", exact=True).click()
    wait_for_login_form(page)
    page.wait_for_function(f"!document.cookie.includes('{COOKIE}=')", timeout=15_000)
    assert session_cookie(context) is None
    page.reload()
    wait_for_login_form(page)
    shot(page, tmp_path, "4-after-logout-reload")

    # the old token is dead on the server too: putting the cookie back does not log in
    context.add_cookies([{**cookie, "sameSite": "Strict"}])
    page.reload()
    wait_for_login_form(page)
    assert page.get_by_text("You were logged out").is_visible()
    context.close()


def test_a_deep_link_while_logged_out_lands_on_its_page_after_login(
    browser: Any, demo_server: str, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{demo_server}/screen")
    wait_for_login_form(page)
    shot(page, tmp_path, "5-deep-link-logged-out")
    log_in(page, LEAD.name, LEAD.password)
    wait_for_screen(page)
    assert page.url.rstrip("/").endswith("/screen")
    shot(page, tmp_path, "6-deep-link-after-login")

    # a second tab of the same browser is logged in by the cookie
    other = context.new_page()
    other.goto(demo_server)
    wait_for_dashboard(other)
    # logging out everywhere from it ends the first tab's login at its next action
    other.get_by_text("Other browsers and devices").click()
    other.get_by_role("button", name="Log out everywhere").click()
    wait_for_login_form(other)
    page.get_by_role("link", name="Dashboard").click()
    wait_for_login_form(page)
    assert page.get_by_text("You were logged out").is_visible()
    shot(page, tmp_path, "7-ended-elsewhere")
    context.close()
