"""Screening: one record at a time, keyboard first (the keys are in ``ui/shortcuts.py``: I include,
E exclude, M maybe, N note, U undo; ? lists them).

Votes go through callbacks bound to the record that was on screen, so a vote can never land on
a different record than the one the reviewer read.
"""

from __future__ import annotations

import streamlit as st

from review_app.domain.vocabulary import Stage, Vote
from review_app.errors import ReviewAppError
from review_app.protocol import Protocol
from review_app.services.prioritisation import relevance_of
from review_app.services.reviews import get_protocol
from review_app.services.screening import (
    ScreeningItem,
    ScreeningProgress,
    get_item,
    keyword_patterns,
    list_my_votes,
    next_record,
    record_vote,
    screening_progress,
    undo_last_vote,
)
from review_app.ui import background, deps, state
from review_app.ui.components import fulltext_panel, screening_panel, shortcuts_help
from review_app.ui.components.highlight import highlight
from review_app.ui.components.links import record_links
from review_app.ui.components.record_discussion import render_discussion
from review_app.ui.components.text import escape_markdown
from review_app.ui.shortcuts import keys

KEYS = keys("screen")

STAGE_KEY = "screen_stage"
REVISIT_KEY = "screen_revisit"  # a record the reviewer asked to see again (undo, change)
FLASH_KEY = "screen_flash"
NOTE_OPEN_KEY = "screen_note_open"
# How many votes and undos this tab has made: the cached progress is counted again after each,
# so the reviewer's own figures never trail their votes.
ACTIONS_KEY = "screen_actions"
DISCUSSION_KEY = "screen_discussion_open"
NO_REASON = ""


def render() -> None:
    review_id, user = state.current_review_id(), state.current_user()
    if review_id is None or user is None:
        return
    with st.container(horizontal=True, vertical_alignment="bottom"):
        stage = (
            st.segmented_control(
                "Stage",
                list(Stage),
                format_func=lambda stage: Stage(stage).label,
                default=Stage.TITLE_ABSTRACT,
                key=STAGE_KEY,
            )
            or Stage.TITLE_ABSTRACT
        )
        shortcuts_help.show("screen")
    with deps.unit_of_work() as session:
        protocol = get_protocol(session, review_id)
        item = _current_item(session, user, review_id, stage)
        relevance = (
            relevance_of(session, actor=user.actor, review_id=review_id, record_id=item.record.id)
            if item
            else None
        )
    _show_flash()
    left, right = st.columns([3, 1], gap="large")
    with left:
        if item is None:
            st.success(
                f"Nothing left for you to screen at {Stage(stage).label.lower()}. Thank you!"
            )
        else:
            _show_record(item, protocol)
            if relevance:
                st.caption(
                    f"Relevance: ranked {relevance[0]:,} of {relevance[1]:,} unscreened "
                    "records by the model (likely includes first)."
                )
            if stage == Stage.FULL_TEXT:
                fulltext_panel.show(review_id, item.record.id, user)
            _vote_controls(item, protocol, review_id, user)
            _discussion(review_id, item.record.id, stage)
        _undo_control(review_id, user, stage)
        _my_votes(review_id, user, stage)
    with right:  # counted after the record is drawn: the next record shows without waiting
        actions = st.session_state.get(ACTIONS_KEY, 0)
        screening_panel.show_progress(_progress(review_id, user.id, stage, actions))
    # Across the page below the record: long texts read badly in the side column, and above
    # the record they would push the vote buttons off the screen.
    screening_panel.show_criteria(protocol, stage)


@st.cache_data(ttl=10, show_spinner=False)
def _progress(review_id: int, user_id: int, stage: Stage | str, actions: int) -> ScreeningProgress:
    """Counted at most every 10 s, and again after each of this tab's votes and undos
    (``actions``): exact counts over a large review cost more than a keypress may take, and
    others' votes a few seconds old serve as well, but one's own must show at once."""
    with deps.unit_of_work() as session:
        return screening_progress(
            session, actor=state.CurrentUser(user_id, "").actor, review_id=review_id, stage=stage
        )


def _current_item(
    session: deps.Session, user: state.CurrentUser, review_id: int, stage: str
) -> ScreeningItem | None:
    revisit = st.session_state.get(REVISIT_KEY)
    if revisit and revisit[1] == stage:
        return get_item(
            session, actor=user.actor, review_id=review_id, record_id=revisit[0], stage=stage
        )
    return next_record(
        session,
        actor=user.actor,
        review_id=review_id,
        stage=stage,
        lease_minutes=deps.settings().lease_minutes,
    )


# --- the record ------------------------------------------------------------------------------


def _show_record(item: ScreeningItem, protocol: Protocol) -> None:
    record = item.record
    include, exclude = keyword_patterns(protocol, item.stage)
    st.markdown(
        f"<h3 data-testid='record-title'>{highlight(record.title, include, exclude)}</h3>",
        unsafe_allow_html=True,
    )
    citation = " · ".join(
        filter(
            None,
            [
                "; ".join(record.authors[:6]) + (" et al." if len(record.authors) > 6 else ""),
                str(record.year or ""),
                record.journal or "",
                ", ".join(
                    filter(
                        None,
                        [
                            record.volume and f"vol {record.volume}",
                            record.issue and f"no {record.issue}",
                            record.pages and f"pp {record.pages}",
                        ],
                    )
                ),
            ],
        )
    )
    st.caption(escape_markdown(citation))
    if links := record_links(record.doi, record.pmid):  # escaped parts (components/links.py)
        st.markdown(links)
    abstract = record.abstract or "(no abstract in any copy of this record)"
    st.markdown(
        f"<div data-testid='record-abstract' style='line-height:1.6'>"
        f"{highlight(abstract, include, exclude)}</div>",
        unsafe_allow_html=True,
    )
    if record.keywords:
        st.caption("Keywords: " + escape_markdown("; ".join(record.keywords)))
    labels = {reason.id: reason.label for reason in protocol.exclusion_reasons}
    if item.my_vote:
        reason = _reason_text(item.my_vote.reason, labels)
        st.info(
            f"Your vote: **{item.my_vote.vote}**{escape_markdown(reason)}. Vote again to change it."
        )
    for other in item.other_votes:  # only filled for leads, or once the review is unblinded
        reason = _reason_text(other.reason, labels)
        st.caption(escape_markdown(f"{other.reviewer}: {other.vote}{reason}"))


def _reason_text(reason: str | None, labels: dict[str, str]) -> str:
    """ " (Animal or in-vitro study)": the protocol's label, or the stored id if the protocol
    no longer has it."""
    return f" ({labels.get(reason, reason)})" if reason else ""


# --- voting ----------------------------------------------------------------------------------


def _vote_controls(
    item: ScreeningItem, protocol: Protocol, review_id: int, user: state.CurrentUser
) -> None:
    record_id, stage = item.record.id, item.stage
    reasons = protocol.exclusion_reasons_for(stage)
    labels = {NO_REASON: "(no reason)" if stage == Stage.TITLE_ABSTRACT else "Choose a reason…"}
    labels |= {r.id: r.label for r in reasons}
    current = item.my_vote
    st.selectbox(
        "Exclusion reason" + (" (required to exclude)" if stage == Stage.FULL_TEXT else ""),
        list(labels),
        format_func=labels.__getitem__,
        key=f"reason_{stage}_{record_id}",
        index=list(labels).index(current.reason) if current and current.reason in labels else 0,
    )
    if st.session_state.get(NOTE_OPEN_KEY) or (current and current.note):
        st.text_area(
            "Note",
            value=current.note if current and current.note else "",
            key=f"note_{stage}_{record_id}",
        )
    st.text_input(
        "Tags (comma-separated)",
        value=", ".join(current.tags) if current else "",
        key=f"tags_{stage}_{record_id}",
    )
    votes = [(":material/check: Include", Vote.INCLUDE), (":material/close: Exclude", Vote.EXCLUDE)]
    if protocol.screening.allow_maybe:
        votes.append(("Maybe", Vote.MAYBE))
    # Not the theme's primary button: its red would say "exclude" (the highlighting's colour).
    st.html(screening_panel.vote_button_style({vote: f"vote_{vote}" for _, vote in votes}))
    cols = st.columns(len(votes) + 1)
    for col, (label, vote) in zip(cols, votes, strict=False):
        col.button(
            label,
            key=f"vote_{vote}",
            shortcut=KEYS.key(vote),
            on_click=_cast,
            args=(review_id, user.id, record_id, stage, vote),
            width="stretch",
        )
    cols[-1].button("Note", key="open_note", shortcut=KEYS.key("note"), on_click=_open_note)
    st.caption(KEYS.hint())


def _cast(review_id: int, user_id: int, record_id: int, stage: Stage | str, vote: str) -> None:
    reason = st.session_state.get(f"reason_{stage}_{record_id}") or None
    note = st.session_state.get(f"note_{stage}_{record_id}")
    tags = [t.strip() for t in (st.session_state.get(f"tags_{stage}_{record_id}") or "").split(",")]
    try:
        deps.transaction(
            lambda session: record_vote(
                session,
                actor=state.CurrentUser(user_id, "").actor,
                review_id=review_id,
                record_id=record_id,
                stage=stage,
                vote=vote,
                reason=reason if vote == Vote.EXCLUDE else None,
                note=note,
                tags=tags,
            )
        )
    except ReviewAppError as error:
        st.session_state[FLASH_KEY] = ("error", str(error))
        return
    _count_action()
    if stage == Stage.TITLE_ABSTRACT:
        background.retrainer().request(review_id)
    st.session_state.pop(REVISIT_KEY, None)
    st.session_state[NOTE_OPEN_KEY] = False
    st.session_state[FLASH_KEY] = ("ok", f"Voted {vote} on record {record_id}.")


def _count_action() -> None:
    st.session_state[ACTIONS_KEY] = st.session_state.get(ACTIONS_KEY, 0) + 1


def _open_note() -> None:
    st.session_state[NOTE_OPEN_KEY] = True


def _discussion(review_id: int, record_id: int, stage: Stage | str) -> None:
    """The record's comments and its "needs discussion" flag, read only when opened: closed,
    it costs a keypress nothing (the services keep others' comments back while blind)."""
    folder = st.expander("Discussion", key=DISCUSSION_KEY, on_change="rerun")
    if not folder.open:
        return
    with folder:
        render_discussion(review_id, record_id, stage=stage, key="screen_discussion")


def _undo_control(review_id: int, user: state.CurrentUser, stage: Stage | str) -> None:
    st.button(
        "Undo my last vote",
        key="undo_vote",
        shortcut=KEYS.key("undo"),
        on_click=_undo,
        args=(review_id, user.id, stage),
    )


def _undo(review_id: int, user_id: int, stage: Stage | str) -> None:
    with deps.unit_of_work() as session:
        undone = undo_last_vote(
            session, actor=state.CurrentUser(user_id, "").actor, review_id=review_id, stage=stage
        )
    if undone is None:
        st.session_state[FLASH_KEY] = ("error", "You have no vote to undo at this stage.")
        return
    _count_action()
    if stage == Stage.TITLE_ABSTRACT:
        background.retrainer().request(review_id)
    st.session_state[REVISIT_KEY] = (undone.record_id, stage)
    st.session_state[FLASH_KEY] = (
        "ok",
        f"Withdrew your {undone.vote} vote on record {undone.record_id}.",
    )


def _show_flash() -> None:
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash and flash[0] == "error":
        st.error(flash[1])
    elif flash:
        st.toast(flash[1])


# --- my recent votes --------------------------------------------------------------------------


def _my_votes(review_id: int, user: state.CurrentUser, stage: Stage | str) -> None:
    recent = st.expander("My recent votes (change one)", key="my_votes_open", on_change="rerun")
    if not recent.open:  # drawn only when opened: closed, it costs a keypress nothing
        return
    with recent:
        with deps.unit_of_work() as session:
            mine = list_my_votes(
                session, actor=user.actor, review_id=review_id, stage=stage, limit=20
            )
        if not mine:
            st.caption("No votes yet at this stage.")
        for vote, record in mine:
            cols = st.columns([5, 1, 1])
            cols[0].markdown(escape_markdown(record.title))
            cols[1].write(vote.vote)
            cols[2].button(
                "Change", key=f"change_{record.id}", on_click=_revisit, args=(record.id, stage)
            )


def _revisit(record_id: int, stage: Stage | str) -> None:
    st.session_state[REVISIT_KEY] = (record_id, stage)
