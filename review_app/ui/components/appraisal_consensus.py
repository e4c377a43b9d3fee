"""The lead's consensus view of one result: the assessors' copies compared per domain and question
(``copy_consensus``: what differs highlighted, the share of items identical), the consensus
started from what the complete copies agree on, each discrepancy settled by keeping one
assessor's item (a judgement comes with its support text), then the consensus edited and marked
complete like any copy.

Only leads reach it (the page offers it to them; the services refuse anyone else while blind).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st

from review_app.errors import ReviewAppError
from review_app.services.appraisal import (
    AppraisalProgress,
    AssessmentView,
    ResultComparison,
    ResultProgress,
    compare_result,
    get_copy,
    start_consensus,
    take_item,
)
from review_app.ui import deps, state
from review_app.ui.components import copy_consensus
from review_app.ui.components.text import escape_markdown

Editor = Callable[[int, AssessmentView, state.CurrentUser], None]
WORDS = copy_consensus.Words(
    key="rob",
    holder="assessor",
    nothing_yet="Nothing has been answered yet in any copy.",
    agreement_help="Share of items (each domain's judgement, each signalling answer, the overall "
    "judgement) identical in every copy; support texts are not compared.",
    keep_hint="Keep one assessor's item (a judgement comes with its support), or answer in the "
    "consensus form below. Save what you typed in the form before keeping an item: keeping "
    "reloads the form.",
    item_width="large",
)


def show(
    review_id: int,
    study: AppraisalProgress,
    result: ResultProgress,
    user: state.CurrentUser,
    *,
    edit: Editor,
) -> None:
    actor, study_id, outcome_id = user.actor, study.study_id, result.outcome_id
    try:
        with deps.unit_of_work(read_only=True) as session:
            comparison = compare_result(
                session, actor=actor, review_id=review_id, study_id=study_id, outcome_id=outcome_id
            )
            consensus = (
                get_copy(
                    session,
                    actor=actor,
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

    def start() -> None:
        with deps.unit_of_work() as session:
            start_consensus(
                session, actor=actor, review_id=review_id, study_id=study_id, outcome_id=outcome_id
            )

    def take(item: copy_consensus.ComparedItem, column: copy_consensus.Column) -> None:
        with deps.unit_of_work() as session:
            take_item(
                session,
                actor=actor,
                review_id=review_id,
                study_id=study_id,
                outcome_id=outcome_id,
                key=item.item.key,
                from_appraisal_id=column.copy_id,
            )

    copy_consensus.show(
        _compared(comparison),
        words=WORDS,
        start=start,
        take=take,
        start_key=f"rob_start_{study_id}_{outcome_id}",
        edit_consensus=functools.partial(edit, review_id, consensus, user) if consensus else None,
    )


def _compared(comparison: ResultComparison) -> copy_consensus.Compared:
    columns = tuple(
        copy_consensus.Column(
            column.appraisal_id,
            copy_consensus.holder_name(column.assessor_name, column.slot, WORDS),
            column.status,
        )
        for column in comparison.columns
    )
    return copy_consensus.Compared.of(comparison, columns)
