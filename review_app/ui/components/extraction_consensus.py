"""The lead's consensus view of one study: the extractors' copies compared item by item (what
differs highlighted, the share of items identical), the consensus started from what they agree
on, each discrepancy settled by keeping one extractor's value, then the consensus edited and
marked complete like any copy.

Only leads reach it (the page offers it to them; the services refuse anyone else while blind).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from review_app.errors import ReviewAppError
from review_app.protocol import Protocol
from review_app.services.extraction import (
    ComparedItem,
    CopyColumn,
    CopyView,
    StudyComparison,
    StudyProgress,
    compare_study,
    get_copy,
    start_consensus,
    take_item,
)
from review_app.ui import deps, state
from review_app.ui.components.text import escape_markdown

Editor = Callable[[int, CopyView, state.CurrentUser, Protocol], None]
ONLY_DIFFERENCES_KEY = "extract_only_differences"
NOT_FILLED = "—"
DIFFERS = "background-color: #fde2e1"  # a light red behind the rows where the copies differ


def show(
    review_id: int,
    study: StudyProgress,
    user: state.CurrentUser,
    protocol: Protocol,
    *,
    edit: Editor,
) -> None:
    try:
        with deps.unit_of_work(read_only=True) as session:
            comparison = compare_study(
                session, actor=user.actor, review_id=review_id, study_id=study.study_id
            )
            consensus = (
                get_copy(
                    session,
                    actor=user.actor,
                    review_id=review_id,
                    extraction_id=comparison.consensus.extraction_id,
                )
                if comparison.consensus
                else None
            )
    except ReviewAppError as error:
        st.error(str(error))
        return
    if not comparison.columns:
        st.info(f"No one has started extracting {escape_markdown(study.label)} yet.")
        return
    names = [_name(column) for column in comparison.columns]
    _agreement(comparison, names)
    _table(comparison, names)
    if consensus is None:
        _start(review_id, study, user, comparison)
        return
    _discrepancies(review_id, study, user, comparison, names)
    st.divider()
    edit(review_id, consensus, user, protocol)


def _name(column: CopyColumn) -> str:
    return column.extractor_name or f"extractor {column.slot}"


def _agreement(comparison: StudyComparison, names: list[str]) -> None:
    statuses = ", ".join(
        f"{name} ({column.status.replace('_', ' ')})"
        for name, column in zip(names, comparison.columns, strict=True)
    )
    st.markdown(f"**Copies compared:** {escape_markdown(statuses)}")
    if comparison.agreement is None:
        st.caption("Nothing has been filled in yet in any copy.")
        return
    items = comparison.comparison.items
    differing = len(comparison.comparison.discrepancies)
    cols = st.columns(3)
    cols[0].metric(
        "Agreement",
        f"{comparison.agreement:.0%}",
        help="Share of items (fields, design facts, arms, results) identical in every copy; "
        "numbers are compared after conversion, text after trimming.",
    )
    cols[1].metric("Discrepancies", differing, help=f"Of {len(items)} items compared.")
    if comparison.consensus is not None:
        cols[2].metric("Not yet settled", comparison.unresolved)


def _table(comparison: StudyComparison, names: list[str]) -> None:
    only_differences = st.toggle("Show only discrepancies", key=ONLY_DIFFERENCES_KEY)
    # the discrepancies first, so that the highlighted rows are the ones in view
    items = sorted(
        (item for item in comparison.items if not (only_differences and item.same)),
        key=lambda item: item.same,
    )
    if not items:
        st.caption("No discrepancies.")
        return
    with_consensus = comparison.consensus is not None
    frame = pd.DataFrame([_row(item, names, with_consensus) for item in items])
    styled = frame.style.apply(
        lambda row: ["" if row["Extractors"] == "agree" else DIFFERS for _ in row], axis=1
    )
    narrow = st.column_config.TextColumn(width="small")
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        column_config={
            "Item": st.column_config.TextColumn(width="medium"),
            "Extractors": narrow,
            "Settled": narrow,
        },
    )


def _row(item: ComparedItem, names: list[str], with_consensus: bool) -> dict[str, str]:
    row = {"Item": item.item.label}
    row |= {name: _shown(value) for name, value in zip(names, item.values, strict=True)}
    row["Extractors"] = "agree" if item.same else "differ"
    if with_consensus:
        row["Consensus"] = _shown(item.consensus)
        row["Settled"] = "yes" if item.resolved else "no"
    return row


def _shown(value: str | None) -> str:
    return NOT_FILLED if value is None else value


def _start(
    review_id: int, study: StudyProgress, user: state.CurrentUser, comparison: StudyComparison
) -> None:
    complete = [c for c in comparison.columns if c.status == "complete"]
    st.write(
        "Start the consensus: it begins with every item on which the complete copies agree; "
        "you then settle each discrepancy."
    )
    if not complete:
        st.caption("It can start once at least one extractor has marked their copy complete.")
    if st.button(
        "Start consensus",
        key=f"extract_start_{study.study_id}",
        type="primary",
        disabled=not complete,
    ):
        try:
            with deps.unit_of_work() as session:
                start_consensus(
                    session, actor=user.actor, review_id=review_id, study_id=study.study_id
                )
        except ReviewAppError as error:
            st.error(str(error))
            return
        st.rerun()


def _discrepancies(
    review_id: int,
    study: StudyProgress,
    user: state.CurrentUser,
    comparison: StudyComparison,
    names: list[str],
) -> None:
    open_items = [item for item in comparison.items if not item.resolved]
    st.markdown(f"**Settle the discrepancies** ({len(open_items)} left)")
    if not open_items:
        st.caption("Every item is settled; check the consensus below and mark it complete.")
        return
    st.caption(
        "Keep one extractor's value, or type the right one in the consensus form below. "
        "Save what you typed in the form before keeping a value: keeping reloads the form."
    )
    for item in open_items:
        _discrepancy(review_id, study, user, comparison, names, item)


def _discrepancy(
    review_id: int,
    study: StudyProgress,
    user: state.CurrentUser,
    comparison: StudyComparison,
    names: list[str],
    item: ComparedItem,
) -> None:
    with st.container(border=True):
        st.markdown(
            f"**{escape_markdown(item.item.label)}** · consensus now: "
            f"{escape_markdown(_shown(item.consensus))}"
        )
        columns = st.columns(len(comparison.columns))
        for column, name, value, copy in zip(
            columns, names, item.values, comparison.columns, strict=True
        ):
            with column:
                st.markdown(escape_markdown(f"{name}: {_shown(value)}"))
                if st.button(
                    f"Keep {name}'s",
                    key=f"extract_take_{copy.extraction_id}_{'|'.join(item.item.key)}",
                ):
                    _take(review_id, study, user, item, copy)


def _take(
    review_id: int,
    study: StudyProgress,
    user: state.CurrentUser,
    item: ComparedItem,
    copy: CopyColumn,
) -> None:
    try:
        with deps.unit_of_work() as session:
            take_item(
                session,
                actor=user.actor,
                review_id=review_id,
                study_id=study.study_id,
                key=item.item.key,
                from_extraction_id=copy.extraction_id,
            )
    except ReviewAppError as error:
        st.error(str(error))
        return
    st.rerun()
