"""A study's reports beside the form that extracts or assesses it: each report's title, year and
abstract (to quote from), and its full text (a link, or the PDF to open).

The Extraction and Risk of bias pages both show it; what a reviewer may see is the services' rule
(``get_study``, ``get_item`` answers a blind reviewer with their own votes only, which this
component does not show; ``get_fulltext``, ``read_pdf``).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from review_app.domain.vocabulary import Stage
from review_app.services.fulltext import FullTextView, get_fulltext, read_pdf
from review_app.services.screening import get_item
from review_app.services.studies import StudyReportView, get_study
from review_app.ui import deps, state
from review_app.ui.components.links import link_text, web_link
from review_app.ui.components.text import escape_markdown

NO_ABSTRACT = "No abstract in the record."
NO_FULL_TEXT = "No full text recorded (attach it on the Screen page, full text stage)."


@dataclass(frozen=True, slots=True)
class _Report:
    """One report as the panel shows it."""

    view: StudyReportView
    abstract: str | None
    fulltext: FullTextView | None


@dataclass(frozen=True, slots=True)
class Layout:
    """How a page sets the reports beside its form."""

    widths: tuple[int, int]  # the form's column to the reports'
    abstracts_open: bool  # open where the reports are quoted from, folded in a narrow column


def beside(
    review_id: int, study_id: int, user: state.CurrentUser, layout: Layout
) -> DeltaGenerator:
    """The study's reports in a column on the right; returns the left column, for the form."""
    form_column, reports_column = st.columns(list(layout.widths), gap="medium")
    with reports_column:
        show(review_id, study_id, user, abstracts_open=layout.abstracts_open)
    return form_column


def show(review_id: int, study_id: int, user: state.CurrentUser, *, abstracts_open: bool) -> None:
    """The study's reports, main report first, each with its abstract (open, or folded where
    the column is narrow) and full text."""
    st.markdown("**Reports**")
    for report in _reports(review_id, study_id, user):
        _show_report(review_id, report, user, abstract_open=abstracts_open)


def _reports(review_id: int, study_id: int, user: state.CurrentUser) -> list[_Report]:
    with deps.unit_of_work(read_only=True) as session:
        study = get_study(session, actor=user.actor, review_id=review_id, study_id=study_id)
        return [
            _Report(
                view=report,
                # a report is a record included at full text: its record as screened there
                abstract=get_item(
                    session,
                    actor=user.actor,
                    review_id=review_id,
                    record_id=report.record_id,
                    stage=Stage.FULL_TEXT,
                ).record.abstract,
                fulltext=get_fulltext(
                    session, actor=user.actor, review_id=review_id, record_id=report.record_id
                ),
            )
            for report in study.reports
        ]


def _show_report(
    review_id: int, report: _Report, user: state.CurrentUser, *, abstract_open: bool
) -> None:
    view, fulltext = report.view, report.fulltext
    main = " (main report)" if view.is_main_report else ""
    st.markdown(escape_markdown(f"{view.title}{main}"))
    st.caption(f"Record {view.record_id}" + (f" · {view.year}" if view.year else ""))
    with st.expander("Abstract", expanded=abstract_open):
        if report.abstract:
            st.text(report.abstract)  # plain text: what it says, markup and all, to quote
        else:
            st.caption(NO_ABSTRACT)
    if fulltext is not None and fulltext.url:
        link = web_link("Full text link", fulltext.url)
        st.markdown(link or "Full text: " + link_text(fulltext.url))
    if fulltext is not None and fulltext.has_pdf:
        _pdf_button(review_id, view.record_id, fulltext.file_name or "full-text.pdf", user)
    if fulltext is None or not (fulltext.url or fulltext.has_pdf):
        st.caption(NO_FULL_TEXT)


def _pdf_button(review_id: int, record_id: int, file_name: str, user: state.CurrentUser) -> None:
    def pdf() -> bytes:  # read when clicked, not on every run
        with deps.unit_of_work(read_only=True) as session:
            return read_pdf(
                session,
                actor=user.actor,
                review_id=review_id,
                record_id=record_id,
                files_dir=deps.settings().files_dir,
            )

    st.download_button(
        f"Open {file_name}",
        pdf,
        file_name=file_name,
        mime="application/pdf",
        key=f"study_report_pdf_{record_id}",
        on_click="ignore",  # opening the PDF changes nothing on the page
    )
