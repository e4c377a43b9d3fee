"""The discussion panel of one record: its comments, a form to add one, and the "needs
discussion" flag (any member raises it; a lead clears it).

Call ``render_discussion(review_id, record_id)`` from a record's detail view (the Records page)
or beside the record being screened (the screening page may pass ``stage`` and a ``key`` of its
own). The services apply the blinding rule: while the review is blind a reviewer sees other
members' comments only once every vote on the record at that stage is in; the panel says so.
"""

from __future__ import annotations

import streamlit as st

from review_app.domain.vocabulary import Stage
from review_app.errors import ReviewAppError
from review_app.services.discussion import (
    MAX_COMMENT,
    CommentView,
    FlagView,
    RecordDiscussion,
    add_comment,
    clear_flag,
    flag_for_discussion,
    get_discussion,
)
from review_app.ui import deps, state
from review_app.ui.components.record_history import when
from review_app.ui.components.text import escape_markdown

WITHHELD = (
    "The review is blind: other members' comments on this record appear once every vote on "
    "it at this stage is in."
)


def render_discussion(
    review_id: int, record_id: int, *, stage: Stage | str | None = None, key: str = "discussion"
) -> None:
    """The panel; ``stage`` is the stage a new comment belongs to (by default the stage the
    record is at as this member may know it); ``key`` keeps two panels on a page apart."""
    user = state.current_user()
    if user is None:
        return
    prefix = f"{key}_{record_id}"
    for message in st.session_state.pop(f"{prefix}_messages", []):
        st.toast(message)
    with deps.unit_of_work(read_only=True) as session:
        seen = get_discussion(session, actor=user.actor, review_id=review_id, record_id=record_id)
    _flag_row(seen, review_id, user, prefix)
    _comments(seen.comments)
    if seen.withheld:
        st.caption(WITHHELD)
    _comment_form(review_id, record_id, user, stage, prefix)


def _flag_row(seen: RecordDiscussion, review_id: int, user: state.CurrentUser, prefix: str) -> None:
    left, right = st.columns([3, 1], vertical_alignment="center")
    if seen.flag is None:
        left.caption("Not flagged for discussion.")
        if right.button("Flag for discussion", key=f"{prefix}_flag", icon=":material/flag:"):
            _act(review_id, seen.record_id, user, prefix, flag=True)
        return
    left.markdown(":orange[:material/flag:] **Needs discussion** · " + _flag_words(seen.flag))
    if seen.may_clear_flag and right.button("Clear flag", key=f"{prefix}_clear"):
        _act(review_id, seen.record_id, user, prefix, flag=False)


def _flag_words(flag: FlagView) -> str:
    by = f"flagged by {escape_markdown(flag.raised_by)}" if flag.raised_by else "flagged"
    return f"{by} on {when(flag.raised_at)}"


def _comments(comments: tuple[CommentView, ...]) -> None:
    if not comments:
        st.caption("No comments yet.")
        return
    for comment in comments:
        with st.container(border=True):
            author = "you" if comment.is_mine else comment.author
            st.caption(
                f"**{escape_markdown(author)}** · {when(comment.created_at)} · "
                f"{Stage(comment.stage).label}"
            )
            st.markdown(escape_markdown(comment.body))


def _comment_form(
    review_id: int,
    record_id: int,
    user: state.CurrentUser,
    stage: Stage | str | None,
    prefix: str,
) -> None:
    with st.form(f"{prefix}_form", clear_on_submit=True, border=False):
        body = st.text_area(
            "Add a comment",
            max_chars=MAX_COMMENT,
            placeholder="What should the team discuss about this record?",
            key=f"{prefix}_body",
        )
        if not st.form_submit_button("Add comment"):
            return
    try:
        with deps.unit_of_work() as session:
            add_comment(
                session,
                actor=user.actor,
                review_id=review_id,
                record_id=record_id,
                body=body,
                stage=stage,
            )
    except ReviewAppError as error:
        st.error(str(error))
        return
    st.session_state[f"{prefix}_messages"] = ["Comment added."]
    st.rerun()


def _act(
    review_id: int, record_id: int, user: state.CurrentUser, prefix: str, *, flag: bool
) -> None:
    """Raise or clear the flag in one unit of work, then show the page again."""
    action = flag_for_discussion if flag else clear_flag
    with deps.unit_of_work() as session:
        action(session, actor=user.actor, review_id=review_id, record_id=record_id)
    done = "Flagged for discussion." if flag else "Flag cleared."
    st.session_state[f"{prefix}_messages"] = [done]
    st.rerun()
