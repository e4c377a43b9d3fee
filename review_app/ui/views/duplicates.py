"""Duplicates: the review queue (keys D / N / S, ? for the list), the automatic pass, and merges
to undo."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review_app.errors import ReviewAppError
from review_app.services.deduplication import decide_pair, run_automatic_pass, undo_merge
from review_app.services.duplicates import (
    COMPARED_FIELDS,
    STRONG,
    PairView,
    SourcedRecord,
    list_clusters,
    list_queue,
)
from review_app.ui import deps, state
from review_app.ui.components import shortcuts_help
from review_app.ui.components.text import escape_markdown
from review_app.ui.shortcuts import keys

PAGE = "duplicates"  # the URL path in ui/app.py, the key of its shortcuts (ui/shortcuts.py)
PRIMARY_CHOICE = "dedup_primary"


def render() -> None:
    review_id, user = state.current_review_id(), state.current_user()
    if review_id is None or user is None:
        return
    st.title("Duplicates")
    shortcuts_help.show(PAGE)
    with deps.unit_of_work() as session:
        queue = list_queue(session, actor=user.actor, review_id=review_id)
    _show_message()
    if queue:
        _review_pair(queue[0], len(queue), review_id, user)
    else:
        st.success("The review queue is empty: every uncertain pair has been decided.")
    if st.button("Run the automatic pass on new records", key="dedup_run"):
        with deps.unit_of_work() as session:
            summary = run_automatic_pass(session, actor=user.actor, review_id=review_id)
        _say(
            f"Compared {summary.compared_records} new records: merged {summary.merged_records} "
            f"duplicates, queued {summary.queued_pairs} pairs."
        )
        st.rerun()
    _show_merges(review_id, user)


def _review_pair(pair: PairView, waiting: int, review_id: int, user: state.CurrentUser) -> None:
    st.subheader(f"Is this the same record? ({waiting} pair(s) to decide)")
    for record in (pair.a, pair.b):
        st.markdown(
            f"**Record {record.id}** ({escape_markdown(record.source)}): "
            f"{escape_markdown(record.citation)}"
        )
    st.caption(
        f"{_strength_sentence(pair)} Queue status {pair.status}. {keys(PAGE).hint()}. "
        "Differences are highlighted."
    )
    st.dataframe(_side_by_side(pair), width="stretch", hide_index=False)
    overrule = _earlier_decisions(pair)
    primary = st.radio(
        "Keep as primary (the copy that stays in screening)",
        [pair.a.id, pair.b.id],
        format_func=lambda rid: f"Record {rid} ({(pair.a if rid == pair.a.id else pair.b).source})",
        horizontal=True,
        key=f"{PRIMARY_CHOICE}_{pair.id}",
    )
    cols = st.columns(3)
    choices = (
        ("Duplicate", "duplicate"),
        ("Not a duplicate", "not_duplicate"),
        ("Skip", "skip"),
    )
    for col, (label, decision) in zip(cols, choices, strict=True):
        if col.button(
            label,
            key=f"pair_{decision}",
            shortcut=keys(PAGE).key(decision),
            type="primary" if decision == "duplicate" else "secondary",
            disabled=decision == "duplicate" and bool(pair.earlier) and not overrule,
        ):
            _decide(pair, decision, label, primary, overrule, review_id, user)


def _decide(
    pair: PairView,
    decision: str,
    label: str,
    primary: int,
    overrule: bool,
    review_id: int,
    user: state.CurrentUser,
) -> None:
    try:
        with deps.unit_of_work() as session:
            decide_pair(
                session,
                actor=user.actor,
                review_id=review_id,
                pair_id=pair.id,
                decision=decision,
                primary_id=primary if decision == "duplicate" else None,
                overrule_earlier=overrule,
            )
    except ReviewAppError as error:
        st.error(str(error))
        return
    _say(f"Pair {pair.id}: {label.lower()}.")
    st.rerun()


def _strength_sentence(pair: PairView) -> str:
    """The evidence in words: strong or uncertain, which fields agree and which differ, and
    what held the pair back from an automatic merge."""
    text = (
        "Strong evidence: the fields alone would have merged these automatically."
        if pair.strength == STRONG
        else "Uncertain: the fields agree on some points only."
    )
    named = (
        ("Agree on", pair.agreeing),
        ("differ on", pair.conflicting),
        ("held back because", pair.held_back_by),
    )
    details = [f"{words} {', '.join(items)}" for words, items in named if items]
    return text + (f" {'; '.join(details)}." if details else "")


def _earlier_decisions(pair: PairView) -> bool:
    """Warn when "duplicate" would contradict an earlier "not a duplicate" between the merges
    these records belong to; returns whether the lead chose to overrule it."""
    if not pair.earlier:
        return False
    said = "\n".join(
        f"- record {e.record_a_id} ({escape_markdown(e.citations[0])}) and record "
        f"{e.record_b_id} ({escape_markdown(e.citations[1])})"
        for e in pair.earlier
    )
    st.warning(
        "A lead decided earlier that these are not duplicates:\n"
        f"{said}\n\nEach of those records is, or is merged with, one of the two "
        "records here, so marking this pair as a duplicate would merge what was kept apart."
    )
    return st.checkbox(
        "The earlier decision was wrong: allow 'Duplicate' for this pair",
        key=f"dedup_overrule_{pair.id}",
    )


def _side_by_side(pair: PairView) -> pd.io.formats.style.Styler:
    rows = {
        field: [_cell(pair.a, field), _cell(pair.b, field)]
        for field in ("source", *COMPARED_FIELDS)
    }
    table = pd.DataFrame.from_dict(
        rows, orient="index", columns=[f"Record {pair.a.id}", f"Record {pair.b.id}"]
    )
    differing = set(pair.differing_fields())
    return table.style.apply(
        lambda row: ["background-color: #fff3bf" if row.name in differing else "" for _ in row],
        axis=1,
    )


def _cell(record: SourcedRecord, field: str) -> str:
    value = record.source if field == "source" else record.fields.get(field)
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return "" if value is None else str(value)


def _show_merges(review_id: int, user: state.CurrentUser) -> None:
    with deps.unit_of_work() as session:
        clusters = list_clusters(session, actor=user.actor, review_id=review_id)
    st.subheader(f"Merged records ({len(clusters)})")
    if not clusters:
        st.info("No merges yet.")
        return
    table = pd.DataFrame(
        [
            {
                "Merge": c.id,
                "How": c.how,
                "Evidence": c.strength,
                "Citation": c.primary.citation,
                "Sources": ", ".join([c.primary.source, *(copy.source for copy in c.copies)]),
                "Copies": " · ".join(f"{copy.source}: {copy.citation}" for copy in c.copies),
                "Primary": c.primary.id,
                "Copy ids": ", ".join(str(copy.id) for copy in c.copies),
            }
            for c in clusters
        ]
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "Citation": st.column_config.TextColumn(width="large"),
            "Copies": st.column_config.TextColumn(width="large"),
        },
    )
    with st.expander("Undo a merge"):
        labels = {c.id: f"{c.id}: {c.primary.citation} ({c.how})" for c in clusters}
        chosen = st.selectbox(
            "Merge", list(labels), format_func=labels.__getitem__, key="undo_merge"
        )
        st.caption("Undo returns the copies to screening and gives the primary back its fields.")
        if st.button("Undo this merge", key="undo_merge_go"):
            with deps.unit_of_work() as session:
                undo_merge(session, actor=user.actor, review_id=review_id, cluster_id=chosen)
            _say(f"Merge {chosen} undone.")
            st.rerun()


def _say(message: str) -> None:
    st.session_state["dedup_message"] = message


def _show_message() -> None:
    message = st.session_state.pop("dedup_message", None)
    if message:
        st.toast(escape_markdown(message))
