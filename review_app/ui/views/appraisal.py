"""Risk of bias: pick a study and a result (an outcome, or all outcomes for the domains that do
not differ), answer the tool's signalling questions domain by domain, confirm or override each
proposed judgement with support, judge overall, save, mark complete; leads compare the assessors'
copies, agree the consensus, and see the consensus plots of an outcome.

What the services return is shown; what they refuse is said in a sentence. Blinding is theirs:
this page asks for the person's own copy only, and for the others' only on the lead's views (the
services refuse anyone else).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from review_app.domain.appraisal.model import ALL_OUTCOMES
from review_app.domain.appraisal.tools import tool_by_id
from review_app.domain.vocabulary import ExtractionStatus, is_lead
from review_app.errors import FormProblems, ReviewAppError
from review_app.services.appraisal import (
    AppraisalProgress,
    AssessmentView,
    ResultProgress,
    list_progress,
    open_copy,
    rob_tables,
    save_copy,
    set_complete,
)
from review_app.services.reviews import get_protocol
from review_app.ui import deps, state
from review_app.ui.components import (
    appraisal_consensus,
    appraisal_plots,
    copy_editing,
    study_reports,
)
from review_app.ui.components.appraisal_draft import Draft, from_assessment
from review_app.ui.components.appraisal_form import AssessmentForm, forget_widgets
from review_app.ui.components.copy_editing import status_label
from review_app.ui.components.text import escape_markdown

STUDY_KEY = "rob_study"
OUTCOME_KEY = "rob_outcome"
MY_COPY, CONSENSUS = "My assessment", "Compare and agree"
ALL_OUTCOMES_LABEL = "All outcomes (domains that do not differ)"
# the reports beside the form, abstracts open: support text quotes them
REPORTS = study_reports.Layout(widths=(3, 2), abstracts_open=True)
DRAFTS = copy_editing.Drafts("rd:", Draft, forget_widgets)
SAVING = copy_editing.Saving(
    key="rob",
    kept="your answers",
    complete_help="Every domain judged, every question shown answered, and an overall judgement.",
)


def render() -> None:
    review_id, user = state.current_review_id(), state.current_user()
    if review_id is None or user is None:
        return
    st.title("Risk of bias")
    lead = is_lead(state.current_role())
    with deps.unit_of_work(read_only=True) as session:
        protocol = get_protocol(session, review_id)
        progress = list_progress(session, actor=user.actor, review_id=review_id)
    outcomes = {ALL_OUTCOMES: ALL_OUTCOMES_LABEL} | {o.id: o.name for o in protocol.outcomes}
    if not progress:
        st.info(
            "No study to assess yet. Reports included at full text become studies on the "
            "Studies page (a lead groups them)."
        )
        return
    _show_progress(progress, outcomes, lead=lead)
    study = _pick_study(progress)
    if study.tool_id is None:
        st.info(escape_markdown(study.tool_problem or f"{study.label} has no tool yet."))
        return
    result = _pick_result(study, outcomes)
    _show_tool(study.tool_id)
    first_view = MY_COPY if result.mine is not None or not result.assessors else CONSENSUS
    view = (
        st.segmented_control(
            "View",
            [MY_COPY, CONSENSUS],
            default=first_view,
            required=True,
            key=view_key(study.study_id, result.outcome_id),
        )
        if lead
        else MY_COPY
    )
    copy_editing.show_flash(SAVING)
    if view == CONSENSUS:  # the comparison full width, the consensus form beside the reports
        appraisal_consensus.show(review_id, study, result, user, edit=_edit_beside_reports)
    else:
        with study_reports.beside(review_id, study.study_id, user, REPORTS):
            _my_copy(review_id, study, result, user)
    # the consensus plots: leads, and everyone once assessment is not blind (as the service)
    if (lead or not protocol.appraisal.blind) and result.outcome_id != ALL_OUTCOMES:
        st.divider()
        _show_plots(review_id, result.outcome_id, outcomes[result.outcome_id], user)


def view_key(study_id: int, outcome_id: str) -> str:
    """The view switch's key, one per result: each result opens on the view that fits it (the
    comparison for a lead who is not one of its assessors)."""
    return f"rob_view:{study_id}:{outcome_id}"


# --- progress, the study and the result ----------------------------------------------------------


def _show_progress(
    progress: list[AppraisalProgress], outcomes: Mapping[str, str], *, lead: bool
) -> None:
    results = [r for p in progress for r in p.results]
    done = sum(r.mine == ExtractionStatus.COMPLETE for r in results)
    started = sum(r.mine is not None for r in results)
    agreed = sum(r.consensus == ExtractionStatus.COMPLETE for r in results)
    st.caption(
        f"{_count(len(progress), 'study', 'studies')} · you have started "
        f"{_count(started, 'result', 'results')} and completed {done}"
        + (f" · consensus complete for {agreed}" if lead else "")
    )
    with st.expander("Progress per study and result", expanded=False):
        st.dataframe(
            pd.DataFrame(
                [_progress_row(p, r, outcomes, lead=lead) for p in progress for r in p.results]
            ),
            hide_index=True,
            width="stretch",
        )


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _progress_row(
    study: AppraisalProgress, result: ResultProgress, outcomes: Mapping[str, str], *, lead: bool
) -> dict[str, object]:
    row: dict[str, object] = {
        "Study": study.label,
        "Result": outcomes.get(result.outcome_id, result.outcome_id),
        "Tool": tool_by_id(study.tool_id).name if study.tool_id else "none yet",
        "Assessor slots": f"{study.taken} of {study.slots} taken",
        "Mine": status_label(result.mine),
    }
    if result.assessors:  # leads, or everyone once assessment is not blind
        row["Who"] = copy_editing.holders_line(result.assessors)
    if lead:
        row["Consensus"] = status_label(result.consensus)
    return row


def _pick_study(progress: list[AppraisalProgress]) -> AppraisalProgress:
    return copy_editing.pick_study(
        progress,
        key=STUDY_KEY,
        is_unfinished=lambda p: any(r.mine != ExtractionStatus.COMPLETE for r in p.results),
    )


def _pick_result(study: AppraisalProgress, outcomes: Mapping[str, str]) -> ResultProgress:
    by_outcome = {r.outcome_id: r for r in study.results}
    if st.session_state.get(OUTCOME_KEY) not in by_outcome:
        st.session_state[OUTCOME_KEY] = next(iter(by_outcome))
    chosen = st.selectbox(
        "Outcome",
        list(by_outcome),
        format_func=lambda outcome_id: outcomes.get(outcome_id, outcome_id),
        key=OUTCOME_KEY,
        help="Risk of bias is judged per result. Assess under 'All outcomes' the domains that "
        "are the same for every outcome (randomisation, usually); an outcome's own assessment "
        "of a domain takes its place for that outcome.",
    )
    return by_outcome[chosen]


def _show_tool(tool_id: str) -> None:
    tool = tool_by_id(tool_id)
    st.caption(
        f"Tool: {tool.name} ({tool.version}; {tool.citation}) · "
        f"[guidance]({tool.guidance_url}) · answers: Y yes, PY probably yes, PN probably no, "
        "N no, NI no information, NA not applicable"
    )


# --- the person's own copy -----------------------------------------------------------------------


def _my_copy(
    review_id: int, study: AppraisalProgress, result: ResultProgress, user: state.CurrentUser
) -> None:
    if result.mine is None:
        _start_copy(review_id, study, result, user)
        return
    with deps.unit_of_work() as session:
        view = open_copy(
            session,
            actor=user.actor,
            review_id=review_id,
            study_id=study.study_id,
            outcome_id=result.outcome_id,
        )
    edit_copy(review_id, view, user)


def _start_copy(
    review_id: int, study: AppraisalProgress, result: ResultProgress, user: state.CurrentUser
) -> None:
    """The offer to assess a result not started yet, while the person has or can claim one of
    the study's assessor slots."""
    label = escape_markdown(study.label)
    if study.my_slot is None and study.taken >= study.slots:
        st.info(
            f"{label} already has its {study.slots} assessor(s) (the protocol's assessors per "
            "study); pick another study."
        )
        return
    st.write(f"You have not started this result of {label} yet.")
    if not st.button("Start assessing", key="rob_open", type="primary"):
        return
    try:
        with deps.unit_of_work() as session:
            open_copy(
                session,
                actor=user.actor,
                review_id=review_id,
                study_id=study.study_id,
                outcome_id=result.outcome_id,
            )
    except ReviewAppError as error:
        st.error(str(error))
        return
    st.rerun()


def edit_copy(review_id: int, view: AssessmentView, user: state.CurrentUser) -> None:
    """The form of one copy with its Save and Mark complete buttons (the person's own copy, or
    the consensus for a lead)."""
    draft = current_draft(view)
    form = AssessmentForm(view.appraisal_id, draft, view.tool, saved=view.data, shared=view.shared)
    actions = st.container()  # drawn above the form, run after it has read this run's values
    form.variant()
    form.domains()
    form.overall()
    with actions:
        _actions(review_id, view, form, user)


def _edit_beside_reports(review_id: int, view: AssessmentView, user: state.CurrentUser) -> None:
    with study_reports.beside(review_id, view.study_id, user, REPORTS):
        edit_copy(review_id, view, user)


def current_draft(view: AssessmentView) -> Draft:
    return DRAFTS.current(
        view.appraisal_id,
        view.updated_at,
        lambda version: from_assessment(view.data, view.tool, version=version),
    )


def _actions(
    review_id: int, view: AssessmentView, form: AssessmentForm, user: state.CurrentUser
) -> None:
    copy_editing.heading(
        is_consensus=view.is_consensus,
        study_label=view.study_label,
        status=view.status,
        updated_at=view.updated_at,
    )
    clicked, complete = copy_editing.requested(
        SAVING, view.appraisal_id, complete=view.status == ExtractionStatus.COMPLETE
    )
    if clicked:
        _save(review_id, view, form, user, complete=complete)


def _save(
    review_id: int,
    view: AssessmentView,
    form: AssessmentForm,
    user: state.CurrentUser,
    *,
    complete: bool | None,
) -> None:
    """Save the form (and mark the copy complete or reopen it) in one transaction; every
    problem is listed, naming its domain and question, and the typed values stay."""
    data = form.current()
    ids = {"review_id": review_id, "appraisal_id": view.appraisal_id}

    def work(session: deps.Session) -> AssessmentView:
        saved = save_copy(session, actor=user.actor, data=data, **ids)
        if complete is None:
            return saved
        return set_complete(session, actor=user.actor, complete=complete, **ids)

    def keep(saved: AssessmentView) -> None:
        version = copy_editing.copy_version(saved.updated_at)
        DRAFTS.keep(saved.appraisal_id, from_assessment(saved.data, saved.tool, version=version))

    copy_editing.save(SAVING, work, complete=complete, problem_lines=problem_lines, saved=keep)


def problem_lines(error: ReviewAppError) -> list[str]:
    """Each problem of a refused save on a line of its own (each names its domain and question,
    or the overall judgement), or the error's one sentence."""
    if not isinstance(error, FormProblems):
        return [str(error)]
    return [problem.message[:1].upper() + problem.message[1:] for problem in error.problems]


# --- the consensus plots -------------------------------------------------------------------------


def _show_plots(
    review_id: int, outcome_id: str, outcome_name: str, user: state.CurrentUser
) -> None:
    st.subheader(f"Consensus plots: {outcome_name}")
    try:
        with deps.unit_of_work(read_only=True) as session:
            tables = rob_tables(
                session, actor=user.actor, review_id=review_id, outcome_id=outcome_id
            )
    except ReviewAppError as error:
        st.error(str(error))
        return
    if not tables:
        st.caption(appraisal_plots.no_consensus(outcome_name))
        return
    for table in tables:
        appraisal_plots.show(table, outcome_name=outcome_name, key=f"{outcome_id}_{table.tool}")
