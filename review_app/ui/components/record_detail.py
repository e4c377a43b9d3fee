"""One record in full on the Records page: where it stands, its fields, its copies and the imports
they came from, its screening history, full text and study; then its discussion and, for leads,
its history (``record_discussion``, ``record_history``).

What a blind reviewer may see is decided in ``services/record_detail.py``; this only shows it.
Empty values show as a dash, never as "None"; the tables are short and drawn as text, so long
titles and notes wrap inside the page's width instead of being cut off.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from review_app.domain.vocabulary import Stage, StageStatus, Vote
from review_app.errors import NotFoundError
from review_app.protocol import Protocol
from review_app.services.fulltext import FullTextView, read_pdf
from review_app.services.record_detail import RecordDetail, StageHistory, get_record_detail
from review_app.services.reviews import get_protocol
from review_app.services.studies import StudyView
from review_app.ui import deps, state
from review_app.ui.components.links import record_links, web_link
from review_app.ui.components.record_discussion import render_discussion
from review_app.ui.components.record_history import render_history, when
from review_app.ui.components.text import escape_markdown

NOTHING = "—"
STATUS_WORDS = {
    StageStatus.UNSCREENED: "no votes yet",
    StageStatus.AWAITING: "awaiting votes",
    StageStatus.CONFLICT: "a conflict",
    StageStatus.INCLUDED: "included",
    StageStatus.EXCLUDED: "excluded",
}
FIELD_LABELS = {"source_record_id": "Database id", "publication_type": "Publication type",
                "doi": "DOI", "pmid": "PMID", "issn": "ISSN", "isbn": "ISBN",
                "url": "URL"}  # fmt: skip


def show(review_id: int, record_id: int, *, on_back: Callable[[], None]) -> None:
    """The record's detail with a button back to the table (``on_back`` runs on click)."""
    user = state.current_user()
    if user is None:
        return
    st.button("Back to the records", key="record_back", icon=":material/arrow_back:",
              on_click=on_back)  # fmt: skip
    try:
        with deps.unit_of_work(read_only=True) as session:
            detail = get_record_detail(
                session, actor=user.actor, review_id=review_id, record_id=record_id
            )
            protocol = get_protocol(session, review_id)
    except NotFoundError as error:
        st.error(f"{error}; go back to the records to choose another.")
        return
    _heading(detail)
    _fields(detail)
    _sources(detail)
    _screening(detail, protocol)
    _full_text(review_id, detail.record.id, detail.full_text, user)
    _study(detail.study)
    st.subheader("Discussion")
    render_discussion(review_id, detail.record.id)
    st.subheader("History")
    render_history(review_id, detail.record.id)


def _heading(detail: RecordDetail) -> None:
    record = detail.record
    st.subheader(escape_markdown(record.title))
    authors = "; ".join(record.authors[:6]) + (" et al." if len(record.authors) > 6 else "")
    citation = " · ".join(filter(None, [authors, str(record.year or ""), record.journal or ""]))
    if citation:
        st.caption(escape_markdown(citation))
    if links := record_links(record.doi, record.pmid):
        st.markdown(links)
    st.markdown(escape_markdown(_standing(detail)))
    if record.abstract:
        st.markdown(escape_markdown(record.abstract))
    else:
        st.caption("No abstract in any copy of this record.")


def _standing(detail: RecordDetail) -> str:
    """Where the record stands, in a sentence."""
    if detail.duplicate_of is not None:
        how = "automatically" if detail.merged_by == "auto" else "by a lead"
        return (
            f"Record {detail.record.id} is a duplicate copy of record {detail.duplicate_of} "
            f"(merged {how}); it left screening."
        )
    outcome = detail.outcome
    stage = Stage(outcome.stage or Stage.TITLE_ABSTRACT)
    status = (
        STATUS_WORDS[outcome.status]
        if outcome.status
        else "not decided as far as you can see (the review is blind)"
    )
    mine = f" Your vote: {outcome.my_vote}." if outcome.my_vote else ""
    return f"Record {detail.record.id} is at {stage.in_prose} screening, {status}.{mine}"


def _fields(detail: RecordDetail) -> None:
    rows = [
        {"Field": FIELD_LABELS.get(name, name.replace("_", " ").capitalize()),
         "Value": _text(value)}
        for name, value in detail.fields
        if name not in ("title", "abstract")
    ]  # fmt: skip
    with st.expander("All fields", expanded=False):
        st.table(pd.DataFrame(rows), hide_index=True, border="horizontal")
        if detail.raw:
            st.caption("As the file had them:")
            st.json(detail.raw, expanded=False)


def _sources(detail: RecordDetail) -> None:
    st.subheader("Sources")
    if len(detail.sources) == 1:
        st.caption("One copy: no duplicate of it was found in the other searches.")
    rows = [
        {
            "Record": s.record_id,
            "Kept in screening": "Yes" if s.is_primary else "No (duplicate)",
            "Source": s.source,
            "File": s.file_name,
            "Position in file": s.position,
            "Database id": s.source_record_id or NOTHING,
            "Title": s.title,
            "Imported": when(s.imported_at),
            "By": s.imported_by or "command line",
        }
        for s in detail.sources
    ]
    st.table(pd.DataFrame(rows), hide_index=True, border="horizontal")


def _screening(detail: RecordDetail, protocol: Protocol) -> None:
    st.subheader("Screening")
    if not detail.sees_outcomes:
        st.caption("Blind review: you see your own votes only.")
    for stage_history in detail.history:
        reached = stage_history.stage is Stage.TITLE_ABSTRACT or (
            detail.outcome.stage is Stage.FULL_TEXT
        )
        if reached or stage_history.votes:
            _stage(stage_history, protocol, detail.sees_outcomes)


def _stage(history: StageHistory, protocol: Protocol, sees_outcomes: bool) -> None:
    stage = Stage(history.stage)
    reasons = {r.id: r.label for r in protocol.exclusion_reasons_for(stage)}
    status = STATUS_WORDS[history.status].capitalize() if history.status else ""
    st.markdown(f"**{stage.label}**" + (f": {status}" if status else ""))
    if not history.votes and history.resolution is None:
        if not sees_outcomes:  # a lead reads "no votes yet" in the status above
            st.caption("You have not voted on it.")
        return
    if history.votes:
        rows = [
            {
                "Reviewer": v.reviewer,
                "Vote": Vote(v.vote).capitalize(),
                "Reason": reasons.get(v.reason, v.reason) if v.reason else NOTHING,
                "Note": v.note or NOTHING,
                "Tags": ", ".join(v.tags) or NOTHING,
                "When": when(v.updated_at),
            }
            for v in history.votes
        ]
        st.table(pd.DataFrame(rows), hide_index=True, border="horizontal")
    if (r := history.resolution) is not None:
        reason = f" ({reasons.get(r.reason, r.reason)})" if r.reason else ""
        note = f" Note: {r.note}" if r.note else ""
        st.markdown(
            escape_markdown(
                f"Lead's decision: {r.vote}{reason}, by {r.lead}, {when(r.updated_at)}."
            )
            + escape_markdown(note)
        )


def _full_text(
    review_id: int, record_id: int, fulltext: FullTextView | None, user: state.CurrentUser
) -> None:
    st.subheader("Full text")
    if fulltext is None:
        st.caption("No full text recorded.")
        return
    by = f" by {fulltext.updated_by}" if fulltext.updated_by else ""
    if not fulltext.is_retrieved:
        st.write(escape_markdown(f"Not retrieved: {fulltext.note or NOTHING}"))
    elif fulltext.has_pdf:
        st.download_button(
            f"Open {fulltext.file_name}",
            functools.partial(_pdf, review_id, record_id, user),
            file_name=fulltext.file_name or "full-text.pdf",
            mime="application/pdf",
            key="record_pdf",
            icon=":material/picture_as_pdf:",
            on_click="ignore",
        )
    if fulltext.url:
        st.markdown(web_link(fulltext.url, fulltext.url) or escape_markdown(fulltext.url))
    st.caption(escape_markdown(f"Recorded{by}, {when(fulltext.updated_at)}."))


def _pdf(review_id: int, record_id: int, user: state.CurrentUser) -> bytes:
    with deps.unit_of_work(read_only=True) as session:
        return read_pdf(
            session,
            actor=user.actor,
            review_id=review_id,
            record_id=record_id,
            files_dir=deps.settings().files_dir,
        )


def _study(study: StudyView | None) -> None:
    st.subheader("Study")
    if study is None:
        st.caption("Not a report of a study yet (leads group included reports on Studies).")
        return
    design = f" ({study.design})" if study.design else ""
    st.write(escape_markdown(f"A report of {study.label}{design}."))
    rows = [
        {
            "Record": r.record_id,
            "Main report": "Yes" if r.is_main_report else "",
            "Title": r.title,
            "Year": r.year or NOTHING,
        }
        for r in study.reports
    ]
    st.table(pd.DataFrame(rows), hide_index=True, border="horizontal")


def _text(value: Any) -> str:
    if value is None or value == []:
        return NOTHING
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)
