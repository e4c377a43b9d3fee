"""The sidebar: who is logged in, which review is open, log out."""

from __future__ import annotations

import streamlit as st

from review_app.services.reviews import ReviewPublic, reviews_of_user
from review_app.ui import deps, state


def show(user: state.CurrentUser) -> tuple[ReviewPublic, str] | None:
    """The review the user works on and their role in it, or None when they have none."""
    with deps.unit_of_work() as session:
        choices = reviews_of_user(session, user_id=user.id)
    with st.sidebar:
        st.markdown(f"Logged in as **{user.name}**")
        chosen = _pick(choices)
        if st.button("Log out", key="logout"):
            state.log_out()
            st.rerun()
    return chosen


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
