"""Extraction: pick a study, fill its form (characteristics, design, arms, results in the form the
paper reports them), save, mark complete; leads compare the extractors' copies and agree the
consensus, which is what analyses use.

What the services return is shown; what they refuse is said in a sentence. Blinding is theirs:
this page asks for the person's own copy only, and for the others' values only on the lead's
consensus view (the services refuse anyone else).
"""

from __future__ import annotations

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
from review_app.services.reviews import get_protocol
from review_app.ui import deps, state
from review_app.ui.components import copy_editing, extraction_consensus, study_reports
from review_app.ui.components.copy_editing import status_label
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
from review_app.ui.components.text import escape_markdown

STUDY_KEY = "extract_study"
VIEW_KEY = "extract_view"
MY_COPY, CONSENSUS = "My extraction", "Compare and agree"
# the reports in a narrow column beside the form (its tables are wide), abstracts folded
REPORTS = study_reports.Layout(widths=(4, 1), abstracts_open=False)
DRAFTS = copy_editing.Drafts("xd:", Draft, forget_widgets)
SAVING = copy_editing.Saving(
    key="extract",
    kept="your typed values",
    complete_help="Required fields (marked *) must be filled.",
)


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
    copy_editing.show_flash(SAVING)
    with study_reports.beside(review_id, study.study_id, user, REPORTS):
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
        "Mine": status_label(progress.mine),
    }
    if progress.extractors:  # leads, or everyone once the review is not blind
        row["Who"] = copy_editing.holders_line(progress.extractors)
    if lead:
        row["Consensus"] = status_label(progress.consensus)
        row["Discrepancies"] = progress.discrepancies
    return row


def _pick_study(progress: list[StudyProgress]) -> StudyProgress:
    return copy_editing.pick_study(
        progress, key=STUDY_KEY, is_unfinished=lambda p: p.mine != ExtractionStatus.COMPLETE
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


def current_draft(view: CopyView) -> Draft:
    return DRAFTS.current(
        view.extraction_id,
        view.updated_at,
        lambda version: from_extraction(view.data, version=version),
    )


def _actions(
    review_id: int, view: CopyView, draft: Draft, user: state.CurrentUser, protocol: Protocol
) -> None:
    copy_editing.heading(
        is_consensus=view.data.is_consensus,
        study_label=view.study_label,
        status=view.status,
        updated_at=view.updated_at,
    )
    if view.data.is_indirect:
        st.info(
            "**Indirect evidence**, left out of the main analyses: "
            f"{escape_markdown(view.data.indirect_evidence.strip())}",
            icon=":material/call_split:",
        )
    clicked, complete = copy_editing.requested(
        SAVING, view.extraction_id, complete=view.status == ExtractionStatus.COMPLETE
    )
    if clicked:
        _save(review_id, view, draft, user, protocol, complete=complete)


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
        lines = [str(u) for u in unreadable] + local_problems(draft, data, protocol)
        copy_editing.show_problems(SAVING, lines)
        return
    ids = {"review_id": review_id, "extraction_id": view.extraction_id}

    def work(session: deps.Session) -> CopyView:
        saved = save_copy(session, actor=user.actor, data=data, **ids)
        if complete is None:
            return saved
        return set_complete(session, actor=user.actor, complete=complete, **ids)

    def keep(saved: CopyView) -> None:
        version = copy_editing.copy_version(saved.updated_at)
        DRAFTS.keep(saved.extraction_id, from_extraction(saved.data, version=version))

    copy_editing.save(
        SAVING,
        work,
        complete=complete,
        problem_lines=lambda error: problem_lines(error, protocol),
        saved=keep,
    )


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
