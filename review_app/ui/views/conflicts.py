"""Conflicts (leads): every vote, reason and note side by side; a final decision with a reason.

No decision is chosen in advance: a resolution is a lead's judgement, never a default clicked
through."""

from __future__ import annotations

import streamlit as st

from review_app.domain.vocabulary import Stage, Vote
from review_app.services.conflicts import ConflictView, list_conflicts, resolve
from review_app.services.reviews import get_protocol
from review_app.ui import deps, state
from review_app.ui.components.text import escape_markdown

ALL_PAIRS = "All reviewer pairs"
# Streamlit's colour names for the votes: include green, exclude red, as in the screening
# page's highlighting and buttons.
VOTE_COLOURS: dict[str, str] = {Vote.INCLUDE: "green", Vote.EXCLUDE: "red", Vote.MAYBE: "orange"}


def render() -> None:
    review_id, user = state.current_review_id(), state.current_user()
    if review_id is None or user is None:
        return
    st.title("Conflicts")
    stage = (
        st.segmented_control(
            "Stage",
            list(Stage),
            format_func=lambda stage: Stage(stage).label,
            default=Stage.TITLE_ABSTRACT,
            key="conflict_stage",
        )
        or Stage.TITLE_ABSTRACT
    )
    with deps.unit_of_work() as session:
        conflicts = list_conflicts(session, actor=user.actor, review_id=review_id, stage=stage)
        reasons = get_protocol(session, review_id).exclusion_reasons_for(stage)
    for message in st.session_state.pop("conflict_messages", []):
        st.toast(message)
    pairs = sorted({" & ".join(c.reviewers) for c in conflicts})
    chosen = st.selectbox("Reviewer pair", [ALL_PAIRS, *pairs], key="conflict_pair")
    shown = [c for c in conflicts if chosen == ALL_PAIRS or " & ".join(c.reviewers) == chosen]
    st.caption(f"{len(shown)} conflict(s) to resolve at {Stage(stage).label.lower()}.")
    if not shown:
        st.success("No conflicts here.")
    usable = {r.id: r.label for r in reasons}
    for conflict in shown:
        _show_conflict(conflict, usable, review_id, user)


def _show_conflict(
    conflict: ConflictView, reasons: dict[str, str], review_id: int, user: state.CurrentUser
) -> None:
    record, key = conflict.record, f"{conflict.stage}_{conflict.record.id}"
    with st.container(border=True):
        st.markdown(f"**{escape_markdown(record.title)}**")
        st.caption(
            escape_markdown(
                " · ".join(
                    filter(
                        None,
                        [
                            "; ".join(record.authors[:3]),
                            str(record.year or ""),
                            record.journal or "",
                        ],
                    )
                )
            )
        )
        if record.abstract:
            with st.expander("Abstract"):
                st.text(record.abstract)
        for vote in conflict.votes:
            reason = f" — {reasons.get(vote.reason, vote.reason)}" if vote.reason else ""
            note = f" · note: {vote.note}" if vote.note else ""
            colour = VOTE_COLOURS.get(vote.vote)
            st.markdown(
                f"{escape_markdown(vote.reviewer)}: "
                + (f":{colour}[**{vote.vote}**]" if colour else f"**{vote.vote}**")
                + escape_markdown(f"{reason}{note}")
            )
        cols = st.columns([1, 2, 2])
        decision = cols[0].radio(
            "Final decision", [Vote.INCLUDE, Vote.EXCLUDE], index=None, key=f"final_{key}"
        )
        reason = cols[1].selectbox(
            "Reason (to exclude)",
            ["", *reasons],
            format_func=lambda r: reasons.get(r, "(none)"),
            key=f"why_{key}",
        )
        note = cols[2].text_input("Note", key=f"note_{key}")
        if st.button("Resolve", key=f"resolve_{key}", type="primary"):
            if decision is None:
                st.error("Choose include or exclude as the final decision first.")
                return
            with deps.unit_of_work() as session:
                resolve(
                    session,
                    actor=user.actor,
                    review_id=review_id,
                    record_id=record.id,
                    stage=conflict.stage,
                    vote=decision,
                    reason=reason if decision == Vote.EXCLUDE and reason else None,
                    note=note,
                )
            st.session_state["conflict_messages"] = [f"Record {record.id}: {decision}."]
            st.rerun()
