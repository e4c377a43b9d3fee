"""A lead's comparison of the judges' GRADE copies of one outcome, item by item (the body of
evidence, each domain's rating and explanation, indirectness per study, comparator risks,
comments, statement), beside the final; each discrepancy settled by taking one judge's item into
the final (``services.grade.take``). The table and the buttons are the ones extraction and risk
of bias use (``copy_consensus``)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from review_app.services.grade import GradeComparison, take
from review_app.ui import deps, state
from review_app.ui.components import copy_consensus
from review_app.ui.components.copy_consensus import Column, Compared, ComparedItem

WORDS = copy_consensus.Words(
    key="grade",
    holder="judge",
    nothing_yet="No judge has saved a copy of this outcome yet.",
    agreement_help="Share of the items any judge filled in on which every judge's copy agrees.",
    keep_hint="Take one judge's item into the final; you can also edit the final itself.",
    item_width="medium",
    differences_first=True,
)


def show(review_id: int, comparison: GradeComparison, *, taken: Callable[[], None]) -> None:
    """The judges' copies side by side with the final and a take button per discrepancy;
    ``taken`` runs after a take (the page forgets the final's form there)."""
    if not comparison.columns:
        st.caption(WORDS.nothing_yet)
        return
    columns = tuple(
        Column(
            copy_id=column.judge_id or 0,
            name=column.judge_name or f"judge {column.slot}",
            status=column.status,
        )
        for column in comparison.columns
    )
    compared = Compared(
        columns=columns,
        items=comparison.items,
        agreement=comparison.agreement,
        compared=len(comparison.comparison.items),
        discrepancies=len(comparison.comparison.discrepancies),
        has_consensus=True,  # the final is made by the first take or save
        unresolved=comparison.unresolved,
    )
    copy_consensus.show(
        compared,
        words=WORDS,
        start=lambda: None,
        take=lambda item, column: _take(review_id, comparison.outcome_id, item, column, taken),
        start_key=f"grade_start_{comparison.outcome_id}",
        edit_consensus=lambda: None,
    )


def _take(
    review_id: int,
    outcome_id: str,
    item: ComparedItem,
    column: Column,
    taken: Callable[[], None],
) -> None:
    user = state.current_user()
    assert user is not None
    deps.transaction(
        lambda session: take(
            session,
            actor=user.actor,
            review_id=review_id,
            outcome_id=outcome_id,
            item=item.item.key,
            judge_id=column.copy_id,
        )
    )
    taken()
