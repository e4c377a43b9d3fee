"""The lead's consensus view of one result: the assessors' copies compared per domain and question
(what differs highlighted, the share of items identical), the consensus started from what the
complete copies agree on, each discrepancy settled by keeping one assessor's item (a judgement
comes with its support text), then the consensus edited and marked complete like any copy.

Only leads reach it (the page offers it to them; the services refuse anyone else while blind).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from review_app.errors import ReviewAppError
from review_app.services.appraisal import (
    AppraisalProgress,
    AssessmentView,
    ComparedItem,
    CopyColumn,
    ResultComparison,
    ResultProgress,
    compare_result,
    get_copy,
    start_consensus,
    take_item,
)
from review_app.ui import deps, state
from review_app.ui.components.text import escape_markdown

Editor = Callable[[int, AssessmentView, state.CurrentUser], None]
ONLY_DIFFERENCES_KEY = "rob_only_differences"
NOT_FILLED = "—"
DIFFERS = "background-color: #fde2e1"  # a light red behind the rows where the copies differ


@dataclass(frozen=True)
class _Result:
    """The result on the page and who looks at it."""

    review_id: int
    study_id: int
    outcome_id: str
    user: state.CurrentUser


def show(
    review_id: int,
    study: AppraisalProgress,
    result: ResultProgress,
    user: state.CurrentUser,
    *,
    edit: Editor,
) -> None:
    ref = _Result(review_id, study.study_id, result.outcome_id, user)
    try:
        with deps.unit_of_work(read_only=True) as session:
            comparison = compare_result(
                session,
                actor=user.actor,
                review_id=review_id,
                study_id=study.study_id,
                outcome_id=result.outcome_id,
            )
            consensus = (
                get_copy(
                    session,
                    actor=user.actor,
                    review_id=review_id,
                    appraisal_id=comparison.consensus.appraisal_id,
                )
                if comparison.consensus
                else None
            )
    except ReviewAppError as error:
        st.error(str(error))
        return
    if not comparison.columns:
        st.info(f"No one has started assessing this result of {escape_markdown(study.label)}.")
        return
    names = [_name(column) for column in comparison.columns]
    _agreement(comparison, names)
    _table(comparison, names)
    if consensus is None:
        _start(ref, comparison)
        return
    _discrepancies(ref, comparison, names)
    st.divider()
    edit(review_id, consensus, user)


def _name(column: CopyColumn) -> str:
    return column.assessor_name or f"assessor {column.slot}"


def _agreement(comparison: ResultComparison, names: list[str]) -> None:
    statuses = ", ".join(
        f"{name} ({column.status.replace('_', ' ')})"
        for name, column in zip(names, comparison.columns, strict=True)
    )
    st.markdown(f"**Copies compared:** {escape_markdown(statuses)}")
    if comparison.agreement is None:
        st.caption("Nothing has been answered yet in any copy.")
        return
    items = comparison.comparison.items
    differing = len(comparison.comparison.discrepancies)
    cols = st.columns(3)
    cols[0].metric(
        "Agreement",
        f"{comparison.agreement:.0%}",
        help="Share of items (each domain's judgement, each signalling answer, the overall "
        "judgement) identical in every copy; support texts are not compared.",
    )
    cols[1].metric("Discrepancies", differing, help=f"Of {len(items)} items compared.")
    if comparison.consensus is not None:
        cols[2].metric("Not yet settled", comparison.unresolved)


def _table(comparison: ResultComparison, names: list[str]) -> None:
    only_differences = st.toggle("Show only discrepancies", key=ONLY_DIFFERENCES_KEY)
    items = [item for item in comparison.items if not (only_differences and item.same)]
    if not items:
        st.caption("No discrepancies.")
        return
    with_consensus = comparison.consensus is not None
    frame = pd.DataFrame([_row(item, names, with_consensus) for item in items])
    styled = frame.style.apply(
        lambda row: ["" if row["Assessors"] == "agree" else DIFFERS for _ in row], axis=1
    )
    narrow = st.column_config.TextColumn(width="small")
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        column_config={
            "Item": st.column_config.TextColumn(width="large"),
            "Assessors": narrow,
            "Settled": narrow,
        },
    )


def _row(item: ComparedItem, names: list[str], with_consensus: bool) -> dict[str, str]:
    row = {"Item": item.item.label}
    row |= {name: _shown(value) for name, value in zip(names, item.values, strict=True)}
    row["Assessors"] = "agree" if item.same else "differ"
    if with_consensus:
        row["Consensus"] = _shown(item.consensus)
        row["Settled"] = "yes" if item.resolved else "no"
    return row


def _shown(value: str | None) -> str:
    return NOT_FILLED if value is None else value


def _start(ref: _Result, comparison: ResultComparison) -> None:
    complete = [c for c in comparison.columns if c.status == "complete"]
    st.write(
        "Start the consensus: it begins with every item on which the complete copies agree; "
        "you then settle each discrepancy."
    )
    if not complete:
        st.caption("It can start once at least one assessor has marked their copy complete.")
    if st.button(
        "Start consensus",
        key=f"rob_start_{ref.study_id}_{ref.outcome_id}",
        type="primary",
        disabled=not complete,
    ):
        try:
            with deps.unit_of_work() as session:
                start_consensus(
                    session,
                    actor=ref.user.actor,
                    review_id=ref.review_id,
                    study_id=ref.study_id,
                    outcome_id=ref.outcome_id,
                )
        except ReviewAppError as error:
            st.error(str(error))
            return
        st.rerun()


def _discrepancies(ref: _Result, comparison: ResultComparison, names: list[str]) -> None:
    open_items = [item for item in comparison.items if not item.resolved]
    st.markdown(f"**Settle the discrepancies** ({len(open_items)} left)")
    if not open_items:
        st.caption("Every item is settled; check the consensus below and mark it complete.")
        return
    st.caption(
        "Keep one assessor's item (a judgement comes with its support), or answer in the "
        "consensus form below. Save what you typed in the form before keeping an item: keeping "
        "reloads the form."
    )
    for item in open_items:
        _discrepancy(ref, comparison, names, item)


def _discrepancy(
    ref: _Result, comparison: ResultComparison, names: list[str], item: ComparedItem
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
                    key=f"rob_take_{copy.appraisal_id}_{'|'.join(item.item.key)}",
                ):
                    _take(ref, item, copy)


def _take(ref: _Result, item: ComparedItem, copy: CopyColumn) -> None:
    try:
        with deps.unit_of_work() as session:
            take_item(
                session,
                actor=ref.user.actor,
                review_id=ref.review_id,
                study_id=ref.study_id,
                outcome_id=ref.outcome_id,
                key=item.item.key,
                from_appraisal_id=copy.appraisal_id,
            )
    except ReviewAppError as error:
        st.error(str(error))
        return
    st.rerun()
