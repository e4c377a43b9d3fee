"""The web app's entry point (``streamlit run``): login first, then the pages the role allows.

Every run checks the login session first (a logout elsewhere, the idle timeout or a deactivated
account ends it at the next click), and nothing that goes wrong shows a traceback: a
``ReviewAppError`` is its own message, anything else is logged and summed up in a sentence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

from review_app.config import Settings
from review_app.domain.vocabulary import Role, is_lead
from review_app.errors import ReviewAppError
from review_app.services.sessions import ENDED, check_session
from review_app.services.users import is_active_user
from review_app.ui import deps, state
from review_app.ui.components import review_picker
from review_app.ui.views import (
    admin,
    analyses,
    appraisal,
    conflicts,
    dashboard,
    discussion,
    duplicates,
    exports,
    extraction,
    grade,
    help,
    imports,
    login,
    protocol,
    records,
    screening,
    sof,
    studies,
)

log = logging.getLogger("review_app.ui")

UNEXPECTED = (
    "Something went wrong on our side; the error was logged. Try again, or tell your admin."
)
BUSY = "The database is busy right now; nothing was saved. Wait a moment and try again."

# Every page of the app by URL path, with its title: a deep link such as /screen opens the login
# form while logged out and that page after login; a page the role does not allow says so.
PAGES: dict[str, tuple[str, Callable[[], None]]] = {
    "dashboard": ("Dashboard", dashboard.render),
    "screen": ("Screen", screening.render),
    "records": ("Records", records.render),
    "import": ("Import", imports.render),
    "duplicates": ("Duplicates", duplicates.render),
    "conflicts": ("Conflicts", conflicts.render),
    "discussion": ("Discussion", discussion.render),
    "studies": ("Studies", studies.render),
    "extract": ("Extraction", extraction.render),
    "rob": ("Risk of bias", appraisal.render),
    "analyses": ("Analyses", analyses.render),
    "grade": ("GRADE", grade.render),
    "sof": ("Summary of findings", sof.render),
    "exports": ("Exports", exports.render),
    "protocol": ("Protocol", protocol.render),
    "admin": ("Team", admin.render),
    "help": ("Help", help.render),
}
REVIEWER_PAGES = (
    "dashboard",
    "screen",
    "records",
    "extract",
    "rob",
    "analyses",
    "grade",
    "sof",
    "help",
    "protocol",
)


def main() -> None:
    st.set_page_config(page_title="review-app", page_icon=":material/fact_check:", layout="wide")
    settings = deps.settings()
    user = signed_in_user(settings)
    if user is None:
        if state.browser_has_cookie():
            state.write_cookie(None, max_age_seconds=0)
        st.navigation(_login_pages(), position="hidden").run()
        return
    token = state.session_token()
    if token is not None:
        state.write_cookie(token, max_age_seconds=int(settings.session_idle_hours * 3600))
    chosen = review_picker.show(user)
    if chosen is None:
        st.navigation(_no_review_pages(), position="hidden").run()
        return
    _, role = chosen
    state.set_role(role)
    # every page in view: with GRADE and its table a lead has twelve, beyond Streamlit's ten
    st.navigation(pages_for(role) + _hidden_pages(role), expanded=True).run()


def signed_in_user(settings: Settings) -> state.CurrentUser | None:
    """The user of this run: from this tab's login, or from the browser's session cookie (after a
    reload or a link opened in a new tab). The session is checked on every run, so an ended one
    logs out at the next action, with a sentence saying why."""
    user = state.current_user()
    token = state.session_token() if user is not None else state.cookie_token()
    if user is not None and token is None:
        # A login without a session token (set by code, as page tests do): the account must
        # still be active.
        with deps.unit_of_work(read_only=True) as session:
            active = is_active_user(session, user.id)
        if not active:
            state.log_out(notice=ENDED["inactive"])
            return None
        return user
    if token is None:
        return None
    with deps.unit_of_work(read_only=True) as session:
        check = check_session(
            session, token=token, idle_hours=settings.session_idle_hours, write=False
        )
    if check.user is not None and check.touch_due:  # at most once a minute: a write
        with deps.unit_of_work() as session:
            check = check_session(session, token=token, idle_hours=settings.session_idle_hours)
    if check.user is None:
        notice = check.message(idle_hours=settings.session_idle_hours)
        if user is not None:
            state.log_out(notice=notice)
        else:  # a cookie left from an earlier login
            state.forget_cookie_token(token, notice if check.reason != "unknown" else None)
        return None
    if user is None:
        state.log_in(check.user.id, check.user.name, token)
    return state.current_user()


def pages_for(role: str) -> list[st.Page]:
    """The pages a role may open. Services check permissions again on every call."""
    return [
        st.Page(PAGES[path][1], title=PAGES[path][0], url_path=path, default=path == "dashboard")
        for path in _allowed(role)
    ]


def _allowed(role: str) -> tuple[str, ...]:
    return tuple(PAGES) if is_lead(role) else REVIEWER_PAGES


def _hidden_pages(role: str) -> list[st.Page]:
    """Pages the role may not open, and the login page's path: a link to one of them says so
    (or opens the dashboard) instead of Streamlit's "Page not found"."""
    refused = [
        st.Page(_needs_lead(title), title=title, url_path=path, visibility="hidden")
        for path, (title, _) in PAGES.items()
        if path not in _allowed(role)
    ]
    return [*refused, st.Page(_to_dashboard, title="Log in", url_path="login", visibility="hidden")]


def _login_pages() -> list[st.Page]:
    """Before login, every path of the app shows the login form; after login the same path
    (kept in the address bar) opens the page that was asked for."""
    pages = [
        st.Page(login.render, title="Log in", url_path=path, default=path == "dashboard")
        for path in PAGES
    ]
    return [*pages, st.Page(login.render, title="Log in", url_path="login")]


def _no_review_pages() -> list[st.Page]:
    pages = [
        st.Page(_no_review, title="No review", url_path=path, default=path == "dashboard")
        for path in PAGES
    ]
    return [*pages, st.Page(_no_review, title="No review", url_path="login")]


def _needs_lead(title: str) -> Callable[[], None]:
    def render() -> None:
        st.title(title)
        st.info(
            f"{title} is for the review's leads and admins; your role is "
            f"{state.current_role() or Role.REVIEWER}. The pages you can open are in the sidebar."
        )

    render.__name__ = f"needs_lead_{title.lower()}"
    return render


def _to_dashboard() -> None:
    st.switch_page(pages_for(state.current_role() or Role.REVIEWER)[0])


def _no_review() -> None:
    st.title("No review yet")
    st.write("You are not a member of any review. Ask a review's admin or lead to add you.")


def run() -> None:
    """``main`` with nothing raw reaching the page: a ReviewAppError (a busy database among them)
    shows its message; anything else is logged, and the page says so in a sentence (with the
    details only when REVIEW_APP_DEVELOPMENT=1)."""
    try:
        main()
    except ReviewAppError as error:
        st.error(str(error))
    except deps.DATABASE_ERRORS as error:
        log.exception("database error in the web app")
        _show_unexpected(error, BUSY)
    except Exception as error:  # the last line before a person's screen (st.rerun, st.stop and
        # st.switch_page raise BaseExceptions, which pass)
        log.exception("unexpected error in the web app")
        _show_unexpected(error, UNEXPECTED)


def _show_unexpected(error: Exception, sentence: str) -> None:
    st.error(sentence)
    try:
        development = deps.settings().development
    except ReviewAppError:
        development = False
    if development:
        st.exception(error)


if __name__ == "__main__":  # streamlit run (and AppTest) run this file as __main__
    run()
