"""The session-state keys the whole app shares (ids only, never ORM objects), and the login cookie.

The login lives in a cookie holding a random session token (never the password; the database
keeps only its SHA-256), so a reload or a link opened in another tab finds it again. Streamlit
reads cookies (``st.context.cookies``, sent when the page connects) but has no call to write one:
the page writes it with a one-line script (``st.html`` with JavaScript allowed; the script's text
is built here from the token alone).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import streamlit as st

from review_app.services.permissions import Actor

USER_ID = "user_id"
USER_NAME = "user_name"
REVIEW_ID = "review_id"
SESSION_TOKEN = "session_token"  # the login's token (also in the browser's cookie)
ENDED_TOKENS = "ended_session_tokens"  # tokens this tab ended: their cookie is not tried again
NOTICE = "login_notice"  # why the last login ended, shown once on the login page

COOKIE = "review_app_session"
# The cookie is written again at most this often while the person works, so its Max-Age (the
# idle timeout) runs from about their last action, like the session on the server.
COOKIE_REFRESH_SECONDS = 600


@dataclass(frozen=True, slots=True)
class CurrentUser:
    id: int
    name: str

    @property
    def actor(self) -> Actor:
        return Actor.user(self.id)


def current_user() -> CurrentUser | None:
    user_id = st.session_state.get(USER_ID)
    if user_id is None:
        return None
    return CurrentUser(id=user_id, name=st.session_state.get(USER_NAME, ""))


def log_in(user_id: int, name: str, token: str | None = None) -> None:
    st.session_state[USER_ID] = user_id
    st.session_state[USER_NAME] = name
    if token is not None:
        st.session_state[SESSION_TOKEN] = token


def session_token() -> str | None:
    token = st.session_state.get(SESSION_TOKEN)
    return token if isinstance(token, str) else None


def log_out(notice: str | None = None) -> None:
    """Forget everything about this login in this tab; ``notice`` says why, on the login page."""
    # The connection's cookie stays as it was when the page connected, whatever the tab did
    # since: it must not log in again (nor explain itself) until the next page load.
    ended = {*_ended_tokens(), session_token(), _sent_cookie()} - {None, ""}
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[ENDED_TOKENS] = sorted(ended)
    if notice:
        st.session_state[NOTICE] = notice


def forget_cookie_token(token: str, notice: str | None = None) -> None:
    """A cookie's token that did not log in: not tried again in this tab."""
    st.session_state[ENDED_TOKENS] = sorted({*_ended_tokens(), token})
    if notice:
        st.session_state[NOTICE] = notice


def take_notice() -> str | None:
    notice = st.session_state.pop(NOTICE, None)
    return notice if isinstance(notice, str) else None


def cookie_token() -> str | None:
    """The session token the browser sent when this page connected, unless this tab ended it.

    The cookies are those of the connection: a token written or deleted since then shows up only
    after a reload, hence ``ENDED_TOKENS``."""
    token = _sent_cookie()
    if token is None or token in _ended_tokens():
        return None
    return token


def _sent_cookie() -> str | None:
    token = st.context.cookies.get(COOKIE)
    return token if isinstance(token, str) and token else None


def _ended_tokens() -> list[str]:
    return list(st.session_state.get(ENDED_TOKENS, []))


def browser_has_cookie() -> bool:
    return _sent_cookie() is not None


def write_cookie(token: str | None, *, max_age_seconds: int) -> None:
    """Keep ``token`` in the browser's cookie, or delete the cookie when ``token`` is None.

    The script runs when its text changes (Streamlit re-executes an ``st.html`` script only
    then): on login, on logout and every ``COOKIE_REFRESH_SECONDS`` while the person works."""
    if token is None:
        value, max_age, stamp = "", 0, 0
    else:
        value, max_age = token, max_age_seconds
        stamp = int(time.time() // COOKIE_REFRESH_SECONDS)
    st.html(
        _cookie_script(value, max_age, secure=_served_over_https(), stamp=stamp),
        unsafe_allow_javascript=True,
    )
    st.html(_HIDE_COOKIE_SCRIPT)  # style only: Streamlit puts it where it takes no space


# The script's element is empty but the page's layout gap would still push the title down.
_HIDE_COOKIE_SCRIPT = (
    "<style>[data-testid=stElementContainer]:has(script[data-review-app-cookie])"
    "{display: none}</style>"
)


def _cookie_script(value: str, max_age: int, *, secure: bool, stamp: int) -> str:
    if not all(char.isalnum() or char in "-_" for char in value):
        raise ValueError("a session token is URL-safe base64")  # never text from a person
    attributes = f"Path=/; SameSite=Strict; Max-Age={int(max_age)}" + ("; Secure" if secure else "")
    return (
        f'<script data-review-app-cookie="{stamp}">'
        f'document.cookie = "{COOKIE}={value}; {attributes}";</script>'
    )


def _served_over_https() -> bool:
    url = st.context.url
    return bool(url) and str(url).lower().startswith("https://")


def current_review_id() -> int | None:
    return st.session_state.get(REVIEW_ID)


def choose_review(review_id: int) -> None:
    st.session_state[REVIEW_ID] = review_id


ROLE = "role"  # the role in the open review: for choosing pages only; services check again


def current_role() -> str | None:
    return st.session_state.get(ROLE)


def set_role(role: str) -> None:
    st.session_state[ROLE] = role
