"""Protocol (every member): the review's plan as a page to read, its history (when and by whom
it was loaded, what changed since) and the TOML file as loaded, to download."""

from __future__ import annotations

import streamlit as st

from review_app.services.reviews import get_protocol, get_review, protocol_history
from review_app.ui import deps, state
from review_app.ui.components import protocol_view


def render() -> None:
    review_id, user = state.current_review_id(), state.current_user()
    if review_id is None or user is None:
        return
    with deps.unit_of_work(read_only=True) as session:
        history = protocol_history(session, actor=user.actor, review_id=review_id)
        review = get_review(session, review_id)
        protocol = get_protocol(session, review_id)
    st.title("Protocol")
    st.caption(protocol.title)
    protocol_view.show(protocol)
    protocol_view.show_history(history, file_name=f"{review.name}.toml")
