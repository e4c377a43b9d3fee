"""The choices that make an analysis: outcome, time point, measure, model, subgroups and the
studies a sensitivity analysis leaves out by a rule. Every widget is keyed per outcome, so that
each outcome starts from its own protocol defaults (``analyses.default_spec``); opening a saved
analysis writes its choices into the same keys (:func:`load`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from review_app.domain.vocabulary import EffectMeasure, PoolingMethod, PredictionRule
from review_app.protocol import Outcome
from review_app.services.analyses import AnalysisSpec
from review_app.services.analysis_report import HKSJ, Test

OUTCOME_KEY = "an_outcome"
EACH_ONLY = "Each study's only time point"
NO_SUBGROUPS = "No subgroups"
METHODS = {  # short enough for the select box; the help names them in full
    PoolingMethod.REML: "REML (random effects)",
    PoolingMethod.DL: "DerSimonian-Laird (random effects)",
    PoolingMethod.PM: "Paule-Mandel (random effects)",
    PoolingMethod.ML: "ML (random effects)",
    PoolingMethod.SJ: "Sidik-Jonkman (random effects)",
    PoolingMethod.HE: "Hedges (random effects)",
    PoolingMethod.EB: "Empirical Bayes (random effects)",
    PoolingMethod.EE: "Inverse variance (fixed effect)",
    PoolingMethod.MH: "Mantel-Haenszel (fixed effect)",
    PoolingMethod.PETO: "Peto (fixed effect)",
}
METHOD_HELP = (
    "Random effects: tau² by restricted maximum likelihood (REML), DerSimonian-Laird, "
    "Paule-Mandel, maximum likelihood (ML), Sidik-Jonkman, Hedges or empirical Bayes. Fixed "
    "effect: inverse variance, or Mantel-Haenszel and Peto on 2x2 tables (risk ratios, odds "
    "ratios and risk differences; Peto odds ratios only)."
)
TABLE_MEASURES = {  # what the 2x2-table methods pool (the service refuses the rest)
    PoolingMethod.MH: (EffectMeasure.RR, EffectMeasure.OR, EffectMeasure.RD),
    PoolingMethod.PETO: (EffectMeasure.OR,),
}
PREDICTIONS = {
    PredictionRule.METAFOR: "metafor (normal; t with k-1 df under HKSJ)",
    PredictionRule.REVMAN: "RevMan (t with k-2 df)",
}
COMPARISON = (
    "Comparison: the arms whose role is **intervention** against the arms whose role is "
    "**comparator** in each study's consensus extraction (several arms of one role are combined "
    "into one, Cochrane Handbook table 6.5.a)."
)


def key(name: str, outcome_id: str) -> str:
    return f"an_{name}:{outcome_id}"


def pick_outcome(outcomes: Sequence[Outcome]) -> Outcome:
    """The protocol's outcomes, critical first (then in the protocol's order)."""
    ordered = sorted(outcomes, key=lambda o: o.importance != "critical")
    by_id = {o.id: o for o in ordered}
    chosen = st.selectbox(
        "Outcome",
        list(by_id),
        format_func=lambda i: f"{by_id[i].name} ({by_id[i].importance}, {by_id[i].type})",
        key=OUTCOME_KEY,
    )
    return by_id[chosen]


def pick_timepoint(outcome: Outcome, timepoints: Sequence[str], default: str | None) -> str | None:
    """One of the time points the consensus reports the outcome at, or each study's only one."""
    options = [EACH_ONLY, *timepoints]
    widget = key("timepoint", outcome.id)
    if st.session_state.get(widget) not in options:
        st.session_state[widget] = default if default in options else EACH_ONLY
    chosen = st.selectbox(
        "Time point",
        options,
        key=widget,
        help="The time points the consensus extraction reports this outcome at. With 'each "
        "study's only time point', a study reporting several is left out until you choose one.",
    )
    return None if chosen == EACH_ONLY else chosen


def pick_model(
    outcome: Outcome,
    measures: Sequence[EffectMeasure],
    default: AnalysisSpec,
    subgroup_fields: Mapping[str, str],
) -> AnalysisSpec:
    """Measure, pooling method, HKSJ, prediction interval and subgroups; the rest of ``default``
    (outcome, time point, exclusions) kept."""
    _set_defaults(outcome.id, default, measures)
    left, middle, right = st.columns(3)
    measure = left.selectbox(
        "Effect measure",
        list(measures),
        format_func=lambda m: f"{m.value}: {m.label.lower()}",
        key=key("measure", outcome.id),
    )
    methods = [m for m in METHODS if measure in TABLE_MEASURES.get(m, (measure,))]
    if st.session_state.get(key("method", outcome.id)) not in methods:
        st.session_state[key("method", outcome.id)] = methods[0]
    method = middle.selectbox(
        "Model",
        methods,
        format_func=METHODS.__getitem__,
        key=key("method", outcome.id),
        help=METHOD_HELP,
    )
    hksj = right.checkbox(
        "Hartung-Knapp-Sidik-Jonkman CI",
        key=key("hksj", outcome.id),
        disabled=method.needs_tables,
        help="A t-based CI that widens with few or heterogeneous studies (inverse-variance "
        "methods only; Mantel-Haenszel and Peto use the z test).",
    )
    prediction = right.radio(
        "Prediction interval",
        list(PREDICTIONS),
        format_func=PREDICTIONS.__getitem__,
        key=key("prediction", outcome.id),
        disabled=not method.random_effects,
        horizontal=True,
    )
    indirect = middle.checkbox(
        "Include indirect evidence",
        key=key("indirect", outcome.id),
        help="Studies whose consensus extraction flags them as indirect evidence (another "
        "population, intervention or outcome) are left out unless included here; included, "
        "they are flagged, and GRADE rates the evidence down for indirectness.",
    )
    groups = [NO_SUBGROUPS, *subgroup_fields]
    subgroup = left.selectbox(
        "Subgroups by",
        groups,
        format_func=lambda f: subgroup_fields.get(f, f),
        key=key("subgroup", outcome.id),
        help="A study characteristic of the extraction form; each study's consensus value is "
        "its subgroup, and the test for subgroup differences compares them.",
    )
    return AnalysisSpec(
        outcome_id=outcome.id,
        measure=measure,
        timepoint=default.timepoint,
        method=method,
        test=HKSJ if hksj and not method.needs_tables else Test.Z,
        prediction=prediction,
        subgroup=None if subgroup == NO_SUBGROUPS else subgroup,
        include_indirect=indirect,
    )


def pick_exclusions(
    outcome_id: str, studies: Sequence[str], judgements: Mapping[str, str]
) -> tuple[tuple[str, ...], str]:
    """A sensitivity analysis: the studies to leave out and the rule, in the user's words, that
    leaves them out (``judgements``: each study's overall risk of bias, to choose by)."""
    with st.expander("Sensitivity analysis: leave studies out by a rule", expanded=False):
        rule = st.text_input(
            "Rule",
            key=key("rule", outcome_id),
            placeholder="e.g. overall high risk of bias",
            help="Why the studies are left out; saved with the analysis and said with its result.",
        )
        widget = key("excluded", outcome_id)
        chosen = [s for s in st.session_state.get(widget, []) if s in studies]
        st.session_state[widget] = chosen
        excluded = st.multiselect(
            "Studies to leave out",
            list(studies),
            key=widget,
            format_func=lambda s: (
                f"{s} (overall risk of bias: {judgements[s]})" if s in judgements else s
            ),
        )
        if excluded and not rule.strip():
            st.warning("Write the rule that leaves these studies out; until then all are pooled.")
            return (), ""
    return tuple(excluded), rule.strip()


def load(spec: AnalysisSpec) -> None:
    """Write a saved analysis's choices into the widgets' keys (before they are drawn)."""
    outcome = spec.outcome_id
    st.session_state[OUTCOME_KEY] = outcome
    st.session_state[key("timepoint", outcome)] = spec.timepoint or EACH_ONLY
    st.session_state[key("measure", outcome)] = spec.measure
    st.session_state[key("method", outcome)] = spec.method
    st.session_state[key("hksj", outcome)] = spec.test is HKSJ
    st.session_state[key("prediction", outcome)] = spec.prediction
    st.session_state[key("subgroup", outcome)] = spec.subgroup or NO_SUBGROUPS
    st.session_state[key("rule", outcome)] = spec.exclusion_rule
    st.session_state[key("excluded", outcome)] = list(spec.excluded)
    st.session_state[key("indirect", outcome)] = spec.include_indirect


def _set_defaults(
    outcome_id: str, default: AnalysisSpec, measures: Sequence[EffectMeasure]
) -> None:
    """The protocol's defaults for widgets not set yet (or holding a value no longer offered)."""
    values = {
        "measure": default.measure if default.measure in measures else measures[0],
        "method": default.method,
        "hksj": default.test is HKSJ,
        "prediction": default.prediction,
        "subgroup": default.subgroup or NO_SUBGROUPS,
        "indirect": default.include_indirect,
    }
    for name, value in values.items():
        widget = key(name, outcome_id)
        if widget not in st.session_state or (
            name == "measure" and st.session_state[widget] not in measures
        ):
            st.session_state[widget] = value
