"""The lead's consensus view of one study: the extractors' copies compared item by item
(``copy_consensus``: what differs highlighted, the share of items identical), the consensus
started from what they agree on, each discrepancy settled by keeping one extractor's value, then
the consensus edited and marked complete like any copy.

Only leads reach it (the page offers it to them; the services refuse anyone else while blind).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st

from review_app.errors import ReviewAppError
from review_app.protocol import Protocol
from review_app.services.extraction import (
    CopyView,
    StudyComparison,
    StudyProgress,
    compare_study,
    get_copy,
    start_consensus,
    take_item,
)
from review_app.ui import deps, state
from review_app.ui.components import copy_consensus
from review_app.ui.components.text import escape_markdown

Editor = Callable[[int, CopyView, state.CurrentUser, Protocol], None]
WORDS = copy_consensus.Words(
    key="extract",
    holder="extractor",
    nothing_yet="Nothing has been filled in yet in any copy.",
    agreement_help="Share of items (fields, design facts, arms, results) identical in every "
    "copy; numbers are compared after conversion, text after trimming.",
    keep_hint="Keep one extractor's value, or type the right one in the consensus form below. "
    "Save what you typed in the form before keeping a value: keeping reloads the form.",
    differences_first=True,
)


def show(
    review_id: int,
    study: StudyProgress,
    user: state.CurrentUser,
    protocol: Protocol,
    *,
    edit: Editor,
) -> None:
    actor, study_id = user.actor, study.study_id
    try:
        with deps.unit_of_work(read_only=True) as session:
            comparison = compare_study(session, actor=actor, review_id=review_id, study_id=study_id)
            consensus = (
                get_copy(
                    session,
                    actor=actor,
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

    def start() -> None:
        with deps.unit_of_work() as session:
            start_consensus(session, actor=actor, review_id=review_id, study_id=study_id)

    def take(item: copy_consensus.ComparedItem, column: copy_consensus.Column) -> None:
        with deps.unit_of_work() as session:
            take_item(
                session,
                actor=actor,
                review_id=review_id,
                study_id=study_id,
                key=item.item.key,
                from_extraction_id=column.copy_id,
            )

    edit_consensus = (
        functools.partial(edit, review_id, consensus, user, protocol) if consensus else None
    )
    copy_consensus.show(
        _compared(comparison),
        words=WORDS,
        start=start,
        take=take,
        start_key=f"extract_start_{study_id}",
        edit_consensus=edit_consensus,
    )


def _compared(comparison: StudyComparison) -> copy_consensus.Compared:
    columns = tuple(
        copy_consensus.Column(
            column.extraction_id,
            copy_consensus.holder_name(column.extractor_name, column.slot, WORDS),
            column.status,
        )
        for column in comparison.columns
    )
    return copy_consensus.Compared.of(comparison, columns)
