"""Records: every record of the review in a paged table, searched, filtered and sorted; a row
opens the record's detail (``components/record_detail.py``).

The database pages, filters and counts (``services/records_browser.py``): the page never holds
more than one page of rows, whatever the review's size. The open record is in the address
(``?record=ID``), so a record can be linked to and the browser's back button returns to the table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from review_app.domain.vocabulary import Stage, StageStatus, Vote
from review_app.errors import ReviewAppError
from review_app.services.records_browser import (
    NOT_VOTED,
    PAGE_SIZES,
    FilterOptions,
    RecordFilters,
    RecordPage,
    RecordRow,
    RecordSort,
    list_filter_options,
    list_records,
)
from review_app.ui import deps, state
from review_app.ui.components import record_detail

RECORD_PARAM = "record"  # the open record's id in the address
ANY = "__any__"  # a filter left out
TABLE_KEY = "records_table"
TABLE_GENERATION = "records_table_generation"  # a new table (no row selected) after "back"
STATUS_LABELS = {
    StageStatus.UNSCREENED: "No votes yet",
    StageStatus.AWAITING: "Awaiting votes",
    StageStatus.CONFLICT: "Conflict",
    StageStatus.INCLUDED: "Included",
    StageStatus.EXCLUDED: "Excluded",
}
VOTE_LABELS: dict[str, str] = {
    Vote.INCLUDE: "Include",
    Vote.EXCLUDE: "Exclude",
    Vote.MAYBE: "Maybe",
}
MY_VOTE_LABELS: dict[str, str] = {**VOTE_LABELS, NOT_VOTED: "Not voted yet"}
YES_NO = {True: "Yes", False: "No"}
BLIND_NOTE = (
    "Blind review: a record's status shows once a lead has sent its outcome on; until then you "
    "see your own votes only."
)


def render() -> None:
    review_id, user = state.current_review_id(), state.current_user()
    if review_id is None or user is None:
        return
    st.title("Records")
    opened = _opened_record()
    if opened is not None:
        record_detail.show(review_id, opened, on_back=_close_record)
        return
    with deps.unit_of_work(read_only=True) as session:
        options = list_filter_options(session, actor=user.actor, review_id=review_id)
    filters, sort, descending, page_size = _controls(options)
    page_number = st.session_state.get(_page_key(filters, sort, descending, page_size), 1)
    try:
        with deps.unit_of_work(read_only=True) as session:
            page = list_records(
                session,
                actor=user.actor,
                review_id=review_id,
                filters=filters,
                sort=sort,
                descending=descending,
                page=page_number,
                page_size=page_size,
            )
    except ReviewAppError as error:
        st.error(str(error))
        return
    _table(page)
    if page.pages > 1:
        st.pagination(page.pages, key=_page_key(filters, sort, descending, page_size))
    if not page.sees_outcomes:
        st.caption(BLIND_NOTE)


# --- the controls --------------------------------------------------------------------------------


def _controls(options: FilterOptions) -> tuple[RecordFilters, RecordSort, bool, int]:
    text = st.text_input(
        "Search",
        placeholder="Words of the title, abstract or authors; a DOI or a PMID",
        key="records_search",
    )
    with st.expander("Filters", expanded=True):
        row = st.columns(5)
        source = _pick(row[0], "Source", options.sources, str, "records_source")
        batches = {b.id: b.label for b in options.batches}
        batch = _pick(row[1], "Import", list(batches), batches.__getitem__, "records_batch")
        stage = _pick(row[2], "Stage", list(Stage), lambda s: Stage(s).label, "records_stage")
        status = _pick(row[3], "Status", options.statuses, STATUS_LABELS.__getitem__,
                       "records_status")  # fmt: skip
        my_vote = _pick(row[4], "My vote", list(MY_VOTE_LABELS), MY_VOTE_LABELS.__getitem__,
                        "records_my_vote")  # fmt: skip
        row = st.columns(5)
        conflict = _pick(row[0], "Reviewers disagreed", [True, False], YES_NO.__getitem__,
                         "records_conflict")  # fmt: skip
        duplicate = _pick(row[1], "Duplicate copy", [True, False], YES_NO.__getitem__,
                          "records_duplicate")  # fmt: skip
        tag = _pick(row[2], "Tag", options.tags, str, "records_tag")
        full_text = _pick(row[3], "Full text", [True, False],
                          {True: "Recorded", False: "None yet"}.__getitem__,
                          "records_full_text")  # fmt: skip
    left, middle, right = st.columns([2, 1, 1], vertical_alignment="bottom")
    sort = left.selectbox(
        "Sort by", list(RecordSort), format_func=lambda s: RecordSort(s).label, key="records_sort"
    )
    descending = middle.toggle("Descending", key="records_descending")
    page_size = right.selectbox("Rows per page", PAGE_SIZES, index=1, key="records_page_size")
    filters = RecordFilters(
        text=text,
        source=source,
        import_batch_id=batch,
        stage=stage,
        status=status,
        my_vote=my_vote,
        conflict=conflict,
        duplicate=duplicate,
        tag=tag,
        has_full_text=full_text,
    )
    return filters, RecordSort(sort or RecordSort.IMPORTED), descending, page_size


def _pick(
    column: Any, label: str, values: Sequence[Any], format_value: Callable[[Any], str], key: str
) -> Any:
    """A select box with "Any" first; the chosen value, or None for "Any"."""
    chosen = column.selectbox(
        label,
        [ANY, *values],
        format_func=lambda value: "Any" if value == ANY else format_value(value),
        key=key,
    )
    return None if chosen == ANY else chosen


def _page_key(filters: RecordFilters, sort: RecordSort, descending: bool, page_size: int) -> str:
    """The pagination widget's key: a new one (back on page 1) whenever the filters, the sort
    or the page size change."""
    digest = hashlib.sha1(repr((filters, sort, descending, page_size)).encode()).hexdigest()
    return f"records_page_{digest[:12]}"


# --- the table -----------------------------------------------------------------------------------


def _table(page: RecordPage) -> None:
    if not page.total:
        st.info("No record matches. Clear the search or a filter to see more.")
        return
    first = (page.page - 1) * page.page_size + 1
    st.caption(
        f"Records {first:,}–{first + len(page.rows) - 1:,} of {page.total:,}. "
        "Choose a row to open the record."
    )
    generation = st.session_state.get(TABLE_GENERATION, 0)
    event = st.dataframe(
        pd.DataFrame([_row(r) for r in page.rows]),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=f"{TABLE_KEY}_{generation}",
        column_config={
            "Record": st.column_config.NumberColumn(width="small", format="%d"),
            "Title": st.column_config.TextColumn(width="large"),
            "Year": st.column_config.TextColumn(width="small"),
        },
    )
    chosen = event.selection.rows if event is not None else []
    if chosen:
        _open_record(page.rows[chosen[0]].id)


def _row(row: RecordRow) -> dict[str, object]:
    authors = "; ".join(row.authors[:3]) + (" et al." if len(row.authors) > 3 else "")
    if row.duplicate_of is not None:
        where = f"Duplicate of {row.duplicate_of}"
    else:
        where = Stage(row.stage).label if row.stage else ""
    return {
        "Record": row.id,
        "Title": row.title,
        "Authors": authors,
        "Year": str(row.year) if row.year else "",  # an empty cell, never "None"
        "Journal": row.journal or "",
        "Source": row.source,
        "Stage": where,
        "Status": STATUS_LABELS[row.status] if row.status else "",
        "My vote": VOTE_LABELS.get(Vote(row.my_vote), "") if row.my_vote else "",
        "Full text": "Yes" if row.has_full_text else "",
        "Copies": row.copies or "",
    }


# --- the open record -----------------------------------------------------------------------------


def _opened_record() -> int | None:
    value = st.query_params.get(RECORD_PARAM)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        st.error(f"{value!r} is not a record number; the table shows every record.")
        del st.query_params[RECORD_PARAM]
        return None


def _open_record(record_id: int) -> None:
    st.query_params[RECORD_PARAM] = str(record_id)
    st.rerun()


def _close_record() -> None:
    """Back to the table, with no row selected (a new table widget)."""
    st.query_params.pop(RECORD_PARAM, None)
    st.session_state[TABLE_GENERATION] = st.session_state.get(TABLE_GENERATION, 0) + 1
