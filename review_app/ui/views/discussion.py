"""Discussion (leads): the records someone flagged "needs discussion", oldest flag first, each
with its comments, a form to answer and the button that clears the flag once it is settled."""

from __future__ import annotations

import streamlit as st

from review_app.services.discussion import QueueItem, discussion_queue
from review_app.ui import deps, state
from review_app.ui.components.record_discussion import render_discussion
from review_app.ui.components.text import escape_markdown

SHOWN = 25  # records per page of the queue: each shows its comments and a form


def render() -> None:
    review_id, user = state.current_review_id(), state.current_user()
    if review_id is None or user is None:
        return
    st.title("Discussion")
    with deps.unit_of_work(read_only=True) as session:
        queue = discussion_queue(session, actor=user.actor, review_id=review_id)
    if not queue:
        st.success(
            "No record waits for discussion. Any member can flag a record from its page or "
            "while screening; flagged records are listed here."
        )
        return
    st.caption(
        f"{len(queue)} record(s) flagged for discussion, oldest first. Clear a flag once the "
        "team has settled the question."
    )
    for item in _page_of(queue):
        _show(item, review_id)


def _page_of(queue: list[QueueItem]) -> list[QueueItem]:
    pages = (len(queue) + SHOWN - 1) // SHOWN
    if pages <= 1:
        return queue
    page = st.number_input("Page", min_value=1, max_value=pages, value=1, key="discussion_page")
    st.caption(f"Page {page} of {pages}")
    start = (int(page) - 1) * SHOWN
    return queue[start : start + SHOWN]


def _show(item: QueueItem, review_id: int) -> None:
    with st.container(border=True):
        st.markdown(f"**{escape_markdown(item.title)}**")
        # The record's page (Records, ?record=ID) shows its votes, full text and history.
        st.markdown(
            f"[Open record {item.record_id}](records?record={item.record_id}) · "
            f"{len(item.comments)} comment(s)"
        )
        render_discussion(review_id, item.record_id, key="queue")
