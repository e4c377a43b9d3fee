from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select
from streamlit.runtime import context as st_context
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from review_app.db import make_engine, session_scope
from review_app.errors import DatabaseBusyError
from review_app.models import LoginSession, User
from review_app.services.demo import DEMO_ACCOUNTS
from review_app.services.permissions import Actor
from review_app.services.sessions import token_digest
from review_app.services.users import LOGIN_FAILED, authenticate, deactivate_user, reset_password
from review_app.ui import app as app_module
from tests.ui.conftest import APP, LEAD, log_in

REVIEWER = next(account for account in DEMO_ACCOUNTS if account.role == "reviewer")


def cookie_scripts(app: AppTest) -> list[str]:
    """The bodies of the page's cookie-writing scripts."""
    return [
        element.proto.body
        for element in app.get("html")
        if "review_app_session=" in element.proto.body
    ]


@pytest.fixture
def browser_cookies(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The cookies the "browser" sends when the page connects (AppTest has no browser)."""
    cookies: dict[str, str] = {}
    client = SimpleNamespace(cookies=cookies, headers=[], remote_ip=None)
    monkeypatch.setattr(st_context, "_get_client_context", lambda: client)
    yield cookies


def fresh_tab() -> AppTest:
    """A new page load (a reload, or a link opened in a new tab): no session state."""
    return AppTest.from_file(str(APP), default_timeout=30).run()


def logged_in_token(app: AppTest) -> str:
    token = app.session_state["session_token"]
    assert isinstance(token, str)
    return token


def test_only_the_login_page_before_login(app: AppTest) -> None:
    assert not app.exception
    assert app.title[0].value == "review-app"
    assert [t.label for t in app.text_input] == ["Name", "Password"]
    assert not app.sidebar.button  # no logout, no navigation yet


def test_wrong_password_gets_the_generic_message(app: AppTest) -> None:
    log_in(app, LEAD.name, "not-the-password")
    assert [e.value for e in app.error] == [LOGIN_FAILED]
    assert "user_id" not in app.session_state


def test_unknown_name_gets_the_same_message(app: AppTest) -> None:
    log_in(app, "nobody", LEAD.password)
    assert [e.value for e in app.error] == [LOGIN_FAILED]


@pytest.mark.parametrize("name", ["x" * 101, "lead\x00", "\x00", "lead\x07"])
def test_impossible_names_get_the_same_message(app: AppTest, name: str) -> None:
    log_in(app, name, LEAD.password)
    assert not app.exception
    assert [e.value for e in app.error] == [LOGIN_FAILED]


def test_login_then_logout(app: AppTest) -> None:
    log_in(app, LEAD.name, LEAD.password)
    assert not app.exception and not app.error
    assert app.session_state["user_name"] == LEAD.name
    app.sidebar.button(key="logout").click().run()
    assert "user_id" not in app.session_state
    assert app.title[0].value == "review-app"


def test_login_keeps_only_a_random_token_in_the_cookie(app: AppTest, demo_url: str) -> None:
    log_in(app, LEAD.name, LEAD.password)
    token = logged_in_token(app)
    [script] = cookie_scripts(app)
    assert f'document.cookie = "review_app_session={token}; Path=/; SameSite=Strict; Max-Age=' in (
        script
    )
    assert "Max-Age=28800" in script  # the idle timeout, 8 h
    assert "Secure" not in script  # served over http here
    assert LEAD.password not in script and LEAD.name not in script
    with session_scope(make_engine(demo_url)) as session:
        assert session.get(LoginSession, token_digest(token)) is not None


def test_cookie_is_secure_when_served_over_https(demo_url: str) -> None:
    app = AppTest.from_file(str(APP), default_timeout=30)
    app.context = {"url": "https://reviews.example.org/"}
    log_in(app.run(), LEAD.name, LEAD.password)
    [script] = cookie_scripts(app)
    assert "; Secure" in script


def test_reload_with_the_cookie_stays_logged_in(
    app: AppTest, browser_cookies: dict[str, str]
) -> None:
    log_in(app, LEAD.name, LEAD.password)
    browser_cookies["review_app_session"] = logged_in_token(app)
    reloaded = fresh_tab()
    assert not reloaded.exception
    assert reloaded.session_state["user_name"] == LEAD.name
    assert "Logged in as **lead**" in [m.value for m in reloaded.sidebar.markdown]
    assert "Kratom" in reloaded.title[0].value  # the dashboard, not the login form


def test_a_logged_out_cookie_shows_the_login_form_and_is_deleted(
    app: AppTest, browser_cookies: dict[str, str]
) -> None:
    log_in(app, LEAD.name, LEAD.password)
    browser_cookies["review_app_session"] = logged_in_token(app)
    app.sidebar.button(key="logout").click().run()
    [script] = cookie_scripts(app)
    assert "review_app_session=; Path=/; SameSite=Strict; Max-Age=0" in script
    assert not app.info  # logging out yourself needs no explanation
    reloaded = fresh_tab()  # the browser still sent the cookie (say it ran no script)
    assert "user_id" not in reloaded.session_state
    assert [t.label for t in reloaded.text_input] == ["Name", "Password"]
    assert "logged out" in reloaded.info[0].value
    assert "Max-Age=0" in cookie_scripts(reloaded)[0]


def test_logging_out_again_in_the_same_tab_needs_no_explanation(
    app: AppTest, browser_cookies: dict[str, str]
) -> None:
    """The tab's connection keeps sending the first cookie until a reload: after a second login
    and logout in the tab, that old cookie must neither log in nor explain itself."""
    log_in(app, LEAD.name, LEAD.password)
    browser_cookies["review_app_session"] = logged_in_token(app)
    tab = fresh_tab()
    assert tab.session_state["user_name"] == LEAD.name
    for _ in range(2):
        tab.sidebar.button(key="logout").click().run()
        assert not tab.exception and not tab.info
        assert [t.label for t in tab.text_input] == ["Name", "Password"]
        log_in(tab, LEAD.name, LEAD.password)
        assert tab.session_state["user_name"] == LEAD.name


def test_a_strange_cookie_is_ignored(browser_cookies: dict[str, str], demo_url: str) -> None:
    browser_cookies["review_app_session"] = "'; DROP TABLE user; --\x00"
    page = fresh_tab()
    assert not page.exception and not page.error and not page.info
    assert [t.label for t in page.text_input] == ["Name", "Password"]


def test_logout_everywhere_ends_the_other_tabs_at_their_next_action(
    app: AppTest, browser_cookies: dict[str, str], demo_url: str
) -> None:
    log_in(app, LEAD.name, LEAD.password)
    other_tab = AppTest.from_file(str(APP), default_timeout=30).run()
    log_in(other_tab, LEAD.name, LEAD.password)
    app.sidebar.button(key="logout_everywhere").click().run()
    assert "You logged out everywhere." in [i.value for i in app.info]
    with session_scope(make_engine(demo_url)) as session:
        rows = session.exec(select(LoginSession)).all()
        assert rows and all(row.revoked_at is not None for row in rows)
    other_tab.run()  # its next action
    assert "user_id" not in other_tab.session_state
    assert "logged out" in other_tab.info[0].value


def test_a_deactivated_user_is_logged_out_at_the_next_action(app: AppTest, demo_url: str) -> None:
    log_in(app, REVIEWER.name, REVIEWER.password)
    assert app.session_state["user_name"] == REVIEWER.name
    with session_scope(make_engine(demo_url)) as session:
        user = session.exec(select(User).where(User.name == REVIEWER.name)).one()
        assert user.id is not None
        deactivate_user(session, actor=Actor.operator(), user_id=user.id)
    app.run()
    assert not app.exception
    assert "user_id" not in app.session_state
    assert [t.label for t in app.text_input] == ["Name", "Password"]
    assert "deactivated" in app.info[0].value


def deep_link(app: AppTest, path: str) -> AppTest:
    """Open the app at /path (what the browser's address does: Streamlit hashes the path)."""
    app._page_hash = calc_hash(path)  # AppTest's switch_page only knows page files
    return app.run()


def test_deep_link_shows_the_login_form_then_that_page(demo_url: str) -> None:
    app = AppTest.from_file(str(APP), default_timeout=30).run()
    deep_link(app, "screen")
    assert not app.exception
    assert [t.label for t in app.text_input] == ["Name", "Password"]
    log_in(app, LEAD.name, LEAD.password)
    assert not app.exception
    assert app.session_state["user_name"] == LEAD.name
    assert "Logged in as **lead**" in [m.value for m in app.sidebar.markdown]
    assert "Left for me" in [m.label for m in app.metric]  # the screening page, not the dashboard
    assert app.button(key="vote_include")


def test_a_lead_page_linked_to_a_reviewer_says_who_may_open_it(demo_url: str) -> None:
    app = AppTest.from_file(str(APP), default_timeout=30).run()
    log_in(app, REVIEWER.name, REVIEWER.password)
    deep_link(app, "import")
    assert not app.exception
    assert "for the review's leads and admins" in app.info[0].value
    assert not app.get("file_uploader")


@pytest.mark.parametrize("path", [*app_module.PAGES, "login"])
def test_no_upload_before_login_whatever_the_address(demo_url: str, path: str) -> None:
    app = AppTest.from_file(str(APP), default_timeout=30).run()
    deep_link(app, path)
    assert not app.exception
    assert not app.get("file_uploader")
    assert [t.label for t in app.text_input] == ["Name", "Password"]


def test_an_unexpected_error_is_a_sentence_not_a_traceback(
    app: AppTest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("secret detail: SELECT * FROM user")

    monkeypatch.setattr("review_app.ui.views.dashboard.render", broken)
    log_in(app, LEAD.name, LEAD.password)
    assert not app.exception  # no traceback element
    assert [e.value for e in app.error] == [app_module.UNEXPECTED]
    assert "secret detail" not in str([m.value for m in app.markdown])
    assert "secret detail" in caplog.text  # logged for the admin


def test_development_mode_shows_the_details(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr("review_app.ui.views.dashboard.render", broken)
    monkeypatch.setenv("REVIEW_APP_DEVELOPMENT", "1")
    log_in(app, LEAD.name, LEAD.password)
    assert [e.value for e in app.error] == [app_module.UNEXPECTED]
    assert "secret detail" in app.exception[0].message


def test_a_busy_database_shows_its_sentence(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused() -> None:
        raise DatabaseBusyError("The database is busy; nothing was saved. Try again in a moment.")

    monkeypatch.setattr("review_app.ui.views.dashboard.render", refused)
    log_in(app, LEAD.name, LEAD.password)
    assert not app.exception
    assert [e.value for e in app.error] == [
        "The database is busy; nothing was saved. Try again in a moment."
    ]


def test_a_raw_database_error_is_a_busy_sentence(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked() -> None:
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

    monkeypatch.setattr("review_app.ui.views.dashboard.render", locked)
    log_in(app, LEAD.name, LEAD.password)
    assert not app.exception
    assert [e.value for e in app.error] == [app_module.BUSY]


def test_a_temporary_password_starts_no_session_until_the_person_chose_their_own(
    app: AppTest, demo_url: str
) -> None:
    with session_scope(make_engine(demo_url)) as session:
        user = session.exec(select(User).where(User.name == REVIEWER.name)).one()
        assert user.id is not None
        temporary = reset_password(session, actor=Actor.operator(), user_id=user.id).password

    def open_sessions() -> int:
        with session_scope(make_engine(demo_url)) as session:
            rows = session.exec(select(LoginSession).where(LoginSession.user_id == user.id))
            return sum(1 for row in rows if row.revoked_at is None)

    log_in(app, REVIEWER.name, temporary)
    assert not app.exception and "user_id" not in app.session_state
    assert app.subheader[0].value == f"Choose your password, {REVIEWER.name}"
    assert open_sessions() == 0 and not cookie_scripts(app)
    app.button(key="password_change_cancel").click().run()
    assert [t.label for t in app.text_input] == ["Name", "Password"]
    log_in(app, REVIEWER.name, temporary)
    for field in ("new_password", "new_password_again"):
        app.text_input(key=field).input(temporary)
    app.button[0].click().run()
    assert [e.value for e in app.error] == ["choose a password of your own, not the temporary one"]
    for field in ("new_password", "new_password_again"):
        app.text_input(key=field).input("a password of my own")
    app.button[0].click().run()
    assert not app.exception and not app.error
    assert app.session_state["user_name"] == REVIEWER.name and open_sessions() == 1
    with session_scope(make_engine(demo_url)) as session:
        assert authenticate(session, name=REVIEWER.name, password=temporary).user is None
        again = authenticate(session, name=REVIEWER.name, password="a password of my own")
        assert again.user is not None and not again.must_change_password
