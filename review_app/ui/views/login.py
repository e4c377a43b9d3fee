"""Log in. The only page anyone sees before logging in, whatever page the address asked for."""

from __future__ import annotations

import streamlit as st

from review_app.services.sessions import start_session
from review_app.services.users import authenticate
from review_app.ui import deps, state


def render() -> None:
    st.title("review-app")
    st.caption("Systematic reviews from search results to Summary-of-Findings tables.")
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
        token = start_session(session, user_id=outcome.user.id) if outcome.user else None
    if outcome.user is None or token is None:
        st.error(outcome.message)
        return
    state.log_in(outcome.user.id, outcome.user.name, token)
    st.rerun()  # the same address: a deep link such as /screen now opens that page
