"""Extraction: pick a study, fill its form (characteristics, design, arms, results in the form the
paper reports them), save, mark complete; leads compare the extractors' copies and agree the
consensus, which is what analyses use.

What the services return is shown; what they refuse is said in a sentence. Blinding is theirs:
this page asks for the person's own copy only, and for the others' values only on the lead's
consensus view (the services refuse anyone else).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from review_app.domain.vocabulary import ExtractionStatus, is_lead
from review_app.errors import ExtractionProblems, FieldProblem, ReviewAppError
from review_app.protocol import Protocol
from review_app.services.extraction import (
    CopyView,
    StudyProgress,
    list_progress,
    open_copy,
    save_copy,
    set_complete,
)
from review_app.services.fulltext import get_fulltext, read_pdf
from review_app.services.reviews import get_protocol
from review_app.services.studies import StudyView, get_study
from review_app.ui import deps, state
from review_app.ui.components import extraction_consensus
from review_app.ui.components.extraction_draft import (
    DESIGN_LABELS,
    Draft,
    from_extraction,
    to_extraction,
)
from review_app.ui.components.extraction_form import (
    Form,
    field_label,
    forget_widgets,
    labels_for,
    local_problems,
    named,
)
from review_app.ui.components.links import link_text, web_link
from review_app.ui.components.text import escape_markdown

STUDY_KEY = "extract_study"
VIEW_KEY = "extract_view"
FLASH_KEY = "extract_flash"
MY_COPY, CONSENSUS = "My extraction", "Compare and agree"
STATUS_LABELS = {ExtractionStatus.IN_PROGRESS: "in progress", ExtractionStatus.COMPLETE: "complete"}


def render() -> None:
    review_id, user = state.current_review_id(), state.current_user()
    if review_id is None or user is None:
        return
    st.title("Extraction")
    lead = is_lead(state.current_role())
    with deps.unit_of_work(read_only=True) as session:
        protocol = get_protocol(session, review_id)
        progress = list_progress(session, actor=user.actor, review_id=review_id)
    if not progress:
        st.info(
            "No study to extract yet. Reports included at full text become studies on the "
            "Studies page (a lead groups them)."
        )
        return
    _show_progress(progress, lead=lead)
    study = _pick_study(progress)
    # a lead who is not one of the study's extractors comes to compare and agree
    first_view = MY_COPY if study.mine is not None else CONSENSUS
    view = (
        st.segmented_control(
            "View", [MY_COPY, CONSENSUS], default=first_view, required=True, key=VIEW_KEY
        )
        if lead
        else MY_COPY
    )
    _show_flash()
    form_column, reports_column = st.columns([4, 1], gap="medium")
    with reports_column:
        _show_reports(review_id, study.study_id, user)
    with form_column:
        if view == CONSENSUS:
            extraction_consensus.show(review_id, study, user, protocol, edit=edit_copy)
        else:
            _my_copy(review_id, study, user, protocol)


# --- progress and the study ----------------------------------------------------------------------


def _show_progress(progress: list[StudyProgress], *, lead: bool) -> None:
    done = sum(p.mine == ExtractionStatus.COMPLETE for p in progress)
    mine = sum(p.mine is not None for p in progress)
    studies = f"{len(progress)} studies" if len(progress) != 1 else "1 study"
    st.caption(
        f"{studies} · you have started {mine} and completed {done}"
        + (
            f" · consensus complete for "
            f"{sum(p.consensus == ExtractionStatus.COMPLETE for p in progress)}"
            if lead
            else ""
        )
    )
    with st.expander("Progress per study and extractor", expanded=False):
        st.dataframe(
            pd.DataFrame([_progress_row(p, lead=lead) for p in progress]),
            hide_index=True,
            width="stretch",
        )


def _progress_row(progress: StudyProgress, *, lead: bool) -> dict[str, object]:
    row: dict[str, object] = {
        "Study": progress.label,
        "Reports": len(progress.record_ids),
        "Extractors": f"{progress.taken} of {progress.slots}",
        "Mine": _status(progress.mine),
    }
    if progress.extractors:  # leads, or everyone once the review is not blind
        row["Who"] = "; ".join(f"{name}: {_status(status)}" for name, status in progress.extractors)
    if lead:
        row["Consensus"] = _status(progress.consensus)
        row["Discrepancies"] = progress.discrepancies
    return row


def _status(status: ExtractionStatus | str | None) -> str:
    return "not started" if status is None else STATUS_LABELS[ExtractionStatus(status)]


def _pick_study(progress: list[StudyProgress]) -> StudyProgress:
    by_id = {p.study_id: p for p in progress}
    if st.session_state.get(STUDY_KEY) not in by_id:
        unfinished = [p.study_id for p in progress if p.mine != ExtractionStatus.COMPLETE]
        st.session_state[STUDY_KEY] = (unfinished or list(by_id))[0]
    # Plain labels: the statuses are in the progress table and above the form (an option's
    # label that changes while it is selected stays as it was in the browser's box)
    chosen = st.selectbox(
        "Study", list(by_id), format_func=lambda sid: by_id[sid].label, key=STUDY_KEY
    )
    return by_id[chosen]


def _show_reports(review_id: int, study_id: int, user: state.CurrentUser) -> None:
    """The study's reports, each with its full text (PDF or link) to read beside the form."""
    with deps.unit_of_work(read_only=True) as session:
        study: StudyView = get_study(
            session, actor=user.actor, review_id=review_id, study_id=study_id
        )
        fulltexts = {
            r.record_id: get_fulltext(
                session, actor=user.actor, review_id=review_id, record_id=r.record_id
            )
            for r in study.reports
        }
    st.markdown("**Reports**")
    for report in study.reports:
        main = " (main report)" if report.is_main_report else ""
        st.markdown(escape_markdown(f"{report.title}{main}"))
        st.caption(f"Record {report.record_id}" + (f" · {report.year}" if report.year else ""))
        fulltext = fulltexts[report.record_id]
        if fulltext is not None and fulltext.url:
            link = web_link("Full text link", fulltext.url)
            st.markdown(link or "Full text: " + link_text(fulltext.url))
        if fulltext is not None and fulltext.has_pdf:
            _pdf_button(review_id, report.record_id, fulltext.file_name or "full-text.pdf", user)
        if fulltext is None or not (fulltext.url or fulltext.has_pdf):
            st.caption("No full text recorded (attach it on the Screen page, full text stage).")


def _pdf_button(review_id: int, record_id: int, file_name: str, user: state.CurrentUser) -> None:
    def pdf() -> bytes:
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
        key=f"extract_pdf_{record_id}",
        on_click="ignore",
    )


# --- the person's own copy -----------------------------------------------------------------------


def _my_copy(
    review_id: int, study: StudyProgress, user: state.CurrentUser, protocol: Protocol
) -> None:
    if study.mine is None:
        _start_copy(review_id, study, user)
        return
    with deps.unit_of_work() as session:
        view = open_copy(session, actor=user.actor, review_id=review_id, study_id=study.study_id)
    edit_copy(review_id, view, user, protocol)


def _start_copy(review_id: int, study: StudyProgress, user: state.CurrentUser) -> None:
    """The offer to extract a study not started yet, while one of its slots is free."""
    label = escape_markdown(study.label)
    if study.taken >= study.slots:
        st.info(
            f"{label} already has its {study.slots} extractor(s) (the protocol's "
            "extractors per study); pick another study."
        )
        return
    st.write(f"You have not started {label} yet ({study.taken} of {study.slots} extractors have).")
    if not st.button("Start extracting this study", key="extract_open", type="primary"):
        return
    try:
        with deps.unit_of_work() as session:
            open_copy(session, actor=user.actor, review_id=review_id, study_id=study.study_id)
    except ReviewAppError as error:
        st.error(str(error))
        return
    st.rerun()


def edit_copy(review_id: int, view: CopyView, user: state.CurrentUser, protocol: Protocol) -> None:
    """The form of one copy with its Save and Mark complete buttons (the person's own copy, or
    the consensus for a lead)."""
    draft = current_draft(view)
    form = Form(view.extraction_id, draft, protocol)
    actions = st.container()  # drawn above the form, run after it has read this run's values
    tabs = st.tabs(
        ["Study characteristics", "Design and arms", "Results"],
        key=f"extract_tabs_{view.extraction_id}",
    )
    with tabs[0]:
        form.characteristics()
    with tabs[1]:
        form.design()
        st.markdown("**Arms**")
        form.arms()
    with tabs[2]:
        form.results()
    with actions:
        _actions(review_id, view, draft, user, protocol)


def draft_key(extraction_id: int) -> str:
    return f"xd:{extraction_id}"


def current_draft(view: CopyView) -> Draft:
    """The copy's draft in this browser tab: kept while the copy in the database is the one it
    was made from, so nothing typed is lost; made again when the copy changed there."""
    key = draft_key(view.extraction_id)
    version = copy_version(view.updated_at)
    draft = st.session_state.get(key)
    if not isinstance(draft, Draft) or draft.version != version:
        draft = from_extraction(view.data, version=version)
        st.session_state[key] = draft
        forget_widgets(view.extraction_id)
    return draft


def copy_version(updated_at: datetime) -> str:
    """When the copy was last saved, the same whether the time came back from the database
    without its zone (SQLite) or straight from the save with it (both are UTC)."""
    if updated_at.tzinfo is None:
        updated_at = updated_at.replace(tzinfo=UTC)
    return updated_at.astimezone(UTC).isoformat()


def _actions(
    review_id: int, view: CopyView, draft: Draft, user: state.CurrentUser, protocol: Protocol
) -> None:
    complete = view.status == ExtractionStatus.COMPLETE
    owner = "Consensus" if view.data.is_consensus else "Your copy"
    st.markdown(
        f"**{owner} of {escape_markdown(view.study_label)}** · {_status(view.status)} · "
        f"last saved {view.updated_at:%Y-%m-%d %H:%M} UTC"
    )
    if view.data.is_indirect:
        st.info(
            "**Indirect evidence**, left out of the main analyses: "
            f"{escape_markdown(view.data.indirect_evidence.strip())}",
            icon=":material/call_split:",
        )
    buttons = st.container(horizontal=True)
    save = buttons.button(
        "Save", key=f"extract_save_{view.extraction_id}", type="primary", shortcut="ctrl+s"
    )
    toggle = buttons.button(
        "Reopen" if complete else "Save and mark complete",
        key=f"extract_complete_{view.extraction_id}",
        help=None if complete else "Required fields (marked *) must be filled.",
    )
    if save or toggle:
        _save(review_id, view, draft, user, protocol, complete=(not complete) if toggle else None)


def _save(
    review_id: int,
    view: CopyView,
    draft: Draft,
    user: state.CurrentUser,
    protocol: Protocol,
    *,
    complete: bool | None,
) -> None:
    """Save the draft (and mark the copy complete or reopen it) in one transaction; every
    problem is listed, naming its field, and the typed values stay."""
    data, unreadable = to_extraction(
        draft,
        study=view.data.study,
        extractor=view.data.extractor,
        complete=view.data.complete,
        labels=labels_for(protocol),
    )
    if unreadable:
        _show_problems([str(u) for u in unreadable] + local_problems(draft, data, protocol))
        return

    def work(session: deps.Session) -> CopyView:
        saved = save_copy(
            session,
            actor=user.actor,
            review_id=review_id,
            extraction_id=view.extraction_id,
            data=data,
        )
        if complete is None:
            return saved
        return set_complete(
            session,
            actor=user.actor,
            review_id=review_id,
            extraction_id=view.extraction_id,
            complete=complete,
        )

    try:
        saved = deps.transaction(work)
    except ReviewAppError as error:
        _show_problems(problem_lines(error, protocol))
        return
    st.session_state[draft_key(view.extraction_id)] = from_extraction(
        saved.data, version=copy_version(saved.updated_at)
    )
    forget_widgets(view.extraction_id)
    done = {None: "Saved.", True: "Saved and marked complete.", False: "Reopened."}[complete]
    st.session_state[FLASH_KEY] = done
    st.rerun()


def problem_lines(error: ReviewAppError, protocol: Protocol) -> list[str]:
    """Each problem of a refused save on a line of its own, naming the field as the form labels
    it ("SE", "Country or countries"), or the error's one sentence."""
    if not isinstance(error, ExtractionProblems):
        return [str(error)]
    return [_problem_line(problem, protocol) for problem in error.problems]


def _problem_line(problem: FieldProblem, protocol: Protocol) -> str:
    characteristics = {f.id: f.label for f in protocol.extraction_fields}
    label = (
        characteristics.get(problem.field)
        if problem.where == "characteristics"
        else DESIGN_LABELS.get(problem.field)
        if problem.where == "design"
        else None
    ) or field_label(problem.field, labels_for(protocol))
    where = problem.where[:1].upper() + problem.where[1:]
    return (
        f"{where}, {named(label, problem.message)}"
        if problem.field
        else f"{where}: {problem.message}"
    )


def _show_problems(lines: list[str]) -> None:
    head = "Nothing was saved; your typed values are kept. Fix this first:"
    if len(lines) == 1:
        head = "Nothing was saved; your typed values are kept. Fix this first: "
        st.error(head + escape_markdown(lines[0]))
        return
    st.error(head + "\n" + "\n".join(f"- {escape_markdown(line)}" for line in lines))


def _show_flash() -> None:
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        st.success(flash)
