"""The sidebar: who is logged in, which review is open, log out."""

from __future__ import annotations

import streamlit as st

from review_app.services.reviews import ReviewPublic, reviews_of_user
from review_app.services.screening import release_leases
from review_app.services.sessions import end_all_sessions, end_session
from review_app.ui import deps, state


def show(user: state.CurrentUser) -> tuple[ReviewPublic, str] | None:
    """The review the user works on and their role in it, or None when they have none."""
    with deps.unit_of_work() as session:
        choices = reviews_of_user(session, user_id=user.id)
    with st.sidebar:
        st.markdown(f"Logged in as **{user.name}**")
        chosen = _pick(choices)
        if st.button("Log out", key="logout"):
            _log_out(user, everywhere=False)
        with st.expander("Other browsers and devices"):
            st.caption("End your login everywhere, for instance after using a shared computer.")
            if st.button("Log out everywhere", key="logout_everywhere"):
                _log_out(user, everywhere=True)
    return chosen


def _log_out(user: state.CurrentUser, *, everywhere: bool) -> None:
    """End the login on the server (the records held for this user's screening go back to the
    pool), forget it in this tab, and delete the cookie on the next run."""
    token = state.session_token()
    with deps.unit_of_work() as session:
        if everywhere:
            end_all_sessions(session, actor=user.actor)
        elif token is not None:
            end_session(session, token=token)
        else:  # a login without a session token (set by code): still give the leases back
            release_leases(session, actor=user.actor)
    state.log_out(notice="You logged out everywhere." if everywhere else None)
    st.rerun()


def _pick(choices: list[tuple[ReviewPublic, str]]) -> tuple[ReviewPublic, str] | None:
    if not choices:
        return None
    ids = [review.id for review, _ in choices]
    current = state.current_review_id()
    index = ids.index(current) if current in ids else 0
    if len(choices) > 1:
        labels = {review.id: f"{review.name} ({role})" for review, role in choices}
        picked = st.selectbox("Review", ids, index=index, format_func=labels.__getitem__)
        index = ids.index(picked)
    state.choose_review(ids[index])
    review, role = choices[index]
    st.caption(f"Review: {review.name} · your role: {role}")
    return review, role
