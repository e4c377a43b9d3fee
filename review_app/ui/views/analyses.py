"""Analyses: pool the consensus extraction of an outcome. Pick the outcome, time point, measure
and model (the protocol's defaults first), see the studies with what was converted and those
left out, the forest plot and the statistics, subgroups, a sensitivity analysis by a rule,
leave-one-out and small-study effects; save the analysis under a name and re-run saved ones whose
data changed.

The services decide who may read the consensus (leads while extraction is blind, every member
once it is not) and compute every number; this page says what they refuse in a sentence.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

import streamlit as st

from review_app.domain.appraisal.plots import RobTable
from review_app.domain.vocabulary import is_lead
from review_app.errors import PermissionDeniedError
from review_app.protocol import Outcome
from review_app.services import analysis_report
from review_app.services.analyses import (
    AnalysisRun,
    AnalysisSpec,
    SavedAnalysisView,
    default_spec,
    list_analyses,
    run_analysis,
    study_data,
)
from review_app.services.appraisal import rob_tables
from review_app.services.reviews import get_protocol
from review_app.ui import deps, state
from review_app.ui.components import (
    analysis_choices,
    analysis_results,
    analysis_saved,
    analysis_studies,
)
from review_app.ui.components.text import escape_markdown


def render() -> None:
    review_id, user = state.current_review_id(), state.current_user()
    if review_id is None or user is None:
        return
    st.title("Analyses")
    try:
        with deps.unit_of_work(read_only=True) as session:
            protocol = get_protocol(session, review_id)
            saved = list_analyses(session, actor=user.actor, review_id=review_id)
    except PermissionDeniedError as error:
        st.info(escape_markdown(_sentence(str(error))))
        return
    analysis_saved.show_flash()
    if not protocol.outcomes:
        st.info("The protocol names no outcome to analyse.")
        return
    outcome = analysis_choices.pick_outcome(protocol.outcomes)
    st.markdown(analysis_choices.COMPARISON)
    fields = {f.id: f.label for f in protocol.extraction_fields}
    spec, risk_of_bias = _choices(review_id, outcome, fields)
    with deps.unit_of_work(read_only=True) as session:
        run = run_analysis(session, actor=user.actor, review_id=review_id, spec=spec)
        everyone = None
        if spec.excluded:
            unruled = dataclasses.replace(spec, excluded=(), exclusion_rule="")
            everyone = run_analysis(session, actor=user.actor, review_id=review_id, spec=unruled)
    _results(run, risk_of_bias, everyone)
    st.divider()
    analysis_saved.save_form(review_id, spec, saved)
    lead = is_lead(state.current_role())
    analysis_saved.show_list(
        review_id,
        saved,
        {o.id: o.name for o in protocol.outcomes},
        may_change=lambda view: lead or _is_author(view),
    )


def _choices(
    review_id: int, outcome: Outcome, fields: Mapping[str, str]
) -> tuple[AnalysisSpec, RobTable | None]:
    """The analysis the widgets describe (``fields``: the study characteristics to make
    subgroups by), and the outcome's consensus risk of bias, if any."""
    user = state.current_user()
    assert user is not None
    with deps.unit_of_work(read_only=True) as session:
        default = default_spec(
            session, actor=user.actor, review_id=review_id, outcome_id=outcome.id
        )
        reported = study_data(session, actor=user.actor, review_id=review_id, outcome_id=outcome.id)
    timepoint = analysis_choices.pick_timepoint(outcome, reported.timepoints, default.timepoint)
    with deps.unit_of_work(read_only=True) as session:
        data = study_data(
            session,
            actor=user.actor,
            review_id=review_id,
            outcome_id=outcome.id,
            timepoint=timepoint,
        )
        risk_of_bias = _risk_of_bias(session, review_id, outcome.id)
    spec = analysis_choices.pick_model(
        outcome,
        data.measures or outcome.measures,
        dataclasses.replace(default, timepoint=timepoint),
        fields,
    )
    overall = {r.study: r.overall for r in risk_of_bias.rows if r.overall} if risk_of_bias else {}
    excluded, rule = analysis_choices.pick_exclusions(
        outcome.id, [row.study for row in data.rows], overall
    )
    return dataclasses.replace(spec, excluded=excluded, exclusion_rule=rule), risk_of_bias


def _risk_of_bias(session: deps.Session, review_id: int, outcome_id: str) -> RobTable | None:
    """The outcome's consensus assessments for the forest plot's columns: the tool with the most
    studies assessed; None when there are none or the reader may not see them yet."""
    user = state.current_user()
    assert user is not None
    try:
        tables = rob_tables(session, actor=user.actor, review_id=review_id, outcome_id=outcome_id)
    except PermissionDeniedError:
        return None
    assessed = [table for table in tables if table.rows]
    return max(assessed, key=lambda table: len(table.rows)) if assessed else None


def _results(run: AnalysisRun, risk_of_bias: RobTable | None, everyone: AnalysisRun | None) -> None:
    analysis_studies.show(
        analysis_report.study_lines(run),
        analysis_report.left_out_lines(run),
        grouped=run.spec.subgroup is not None,
    )
    if run.data.rows and not analysis_report.judges_a_study(run, risk_of_bias):
        st.caption(
            "No risk-of-bias columns in the forest plot: none of these studies has a consensus "
            "risk-of-bias assessment of this outcome that you may see yet."
        )
    analysis_results.show(
        run, risk_of_bias=risk_of_bias, all_studies=everyone, file_stem=_file_stem(run.spec)
    )


def _file_stem(spec: AnalysisSpec) -> str:
    words = f"{spec.outcome_id} {spec.timepoint or ''} {spec.measure} {spec.method}"
    return re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")


def _is_author(view: SavedAnalysisView) -> bool:
    user = state.current_user()
    return user is not None and view.created_by == user.name


def _sentence(message: str) -> str:
    """A service's refusal as a sentence of its own."""
    text = message.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
