"""Log in. The only page anyone sees before logging in, whatever page the address asked for.

A login with a temporary password (an admin added the account or reset its password) starts no
session: the person first chooses their own password, then is logged in."""

from __future__ import annotations

import streamlit as st

from review_app.errors import ReviewAppError
from review_app.services.sessions import start_session
from review_app.services.users import UserPublic, authenticate, replace_temporary_password
from review_app.ui import deps, state

# (user id, name) of the account whose temporary password was just accepted in this tab.
PASSWORD_CHANGE = "password_change_for"


def render() -> None:
    st.title("review-app")
    st.caption("Systematic reviews from search results to Summary-of-Findings tables.")
    pending = st.session_state.get(PASSWORD_CHANGE)
    if pending is not None:
        _choose_password(UserPublic(*pending))
        return
    notice = state.take_notice()
    if notice:
        st.info(notice)
    with st.form("login", clear_on_submit=False):
        name = st.text_input("Name", key="login_name")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in", type="primary")
    if not submitted:
        return
    with deps.unit_of_work() as session:
        outcome = authenticate(session, name=name.strip(), password=password)
        user = outcome.user
        starts = user is not None and not outcome.must_change_password
        token = start_session(session, user_id=user.id) if user and starts else None
    if user is None:
        st.error(outcome.message)
        return
    if token is None:  # a temporary password: no session until the person chose their own
        st.session_state[PASSWORD_CHANGE] = (user.id, user.name)
        st.rerun()
    state.log_in(user.id, user.name, token)
    st.rerun()  # the same address: a deep link such as /screen now opens that page


def _choose_password(user: UserPublic) -> None:
    """The form that replaces a temporary password, then logs in."""
    st.subheader(f"Choose your password, {user.name}")
    st.info(
        "You logged in with a temporary password an admin gave you. Choose your own password "
        "(at least 8 characters) to go on; the temporary one then stops working."
    )
    with st.form("choose_password", clear_on_submit=True):
        new = st.text_input("New password", type="password", key="new_password")
        again = st.text_input("New password again", type="password", key="new_password_again")
        saved = st.form_submit_button("Save and log in", type="primary")
    if st.button("Back to the login form", key="password_change_cancel"):
        del st.session_state[PASSWORD_CHANGE]
        st.rerun()
    if not saved:
        return
    if new != again:
        st.error("The two passwords differ; type the same password twice.")
        return
    try:
        with deps.unit_of_work() as session:
            replace_temporary_password(session, user_id=user.id, new_password=new)
            token = start_session(session, user_id=user.id)
    except ReviewAppError as error:
        st.error(str(error))
        return
    del st.session_state[PASSWORD_CHANGE]
    state.log_in(user.id, user.name, token)
    st.rerun()
