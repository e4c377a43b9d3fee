"""An outcome's body of evidence on the GRADE page: what it is (a saved analysis of the outcome, a
narrative synthesis written here, or none), its studies (weight, risk of bias, design, what the
extraction says about indirectness), and per study the PICO elements the person judges indirect.

The suggestions are computed by the service from the saved choice; after a change here the page
says that they follow once it is saved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from review_app.domain.grade.model import (
    EvidenceDesign,
    EvidenceSource,
    GradeContent,
    OutcomeEvidence,
    PicoElement,
    RobLevel,
    StudyEvidence,
)
from review_app.ui.components.grade_keys import Keys
from review_app.ui.components.text import escape_markdown

SOURCE_LABELS = {
    EvidenceSource.ANALYSIS: "A saved analysis",
    EvidenceSource.NARRATIVE: "Narrative synthesis (no pooling)",
    EvidenceSource.NONE: "None: no study measured this outcome",
}
DESIGN_LABELS = {
    EvidenceDesign.RANDOMISED: "randomised",
    EvidenceDesign.NON_RANDOMISED: "non-randomised",
}
ROB_LABELS = {
    RobLevel.LOW: "low",
    RobLevel.SOME_CONCERNS: "some concerns",
    RobLevel.HIGH: "high",
    RobLevel.NOT_ASSESSED: "not assessed",
}
INDIRECT_COLUMN = "Indirect evidence (extraction)"
WEIGHT = "Weight (%)"
STUDIES_IN_FULL = 25  # a longer list of studies scrolls within its table
# The items of a synthesis without meta-analysis that the written synthesis should cover
# (SWiM reporting guideline, Campbell et al., BMJ 2020;368:l6890, items 1-5, 8 and 9).
SWIM_PROMPTS = (
    "how the studies were grouped for this synthesis, and why",
    "the standardised metric used (e.g. direction of effect) and any transformation",
    "the synthesis method (e.g. vote counting on the direction of effect, combining P values)",
    "which results were given priority, and the criteria",
    "how differences between the studies' effects were looked at",
    "the results, with the studies behind each statement",
    "the limits of this synthesis",
)


def source_key() -> str:
    return "source"


def analysis_key() -> str:
    return "analysis"


def narrative_key() -> str:
    return "narrative"


def indirect_key(study: str) -> str:
    return f"indirect:{study}"


def pick_source(
    keys: Keys, saved: GradeContent, evidence: OutcomeEvidence, analyses: Sequence[str]
) -> tuple[EvidenceSource, str | None, str]:
    """The body of evidence chosen: (source, the saved analysis's name, the narrative)."""
    initial = saved.source or evidence.source
    picked = st.radio(
        "What the evidence is",
        list(EvidenceSource),
        format_func=SOURCE_LABELS.__getitem__,
        horizontal=True,
        key=keys.seeded(source_key(), initial),
    )
    source = EvidenceSource(picked or initial)
    analysis = saved.analysis or (evidence.pooled.analysis if evidence.pooled else None)
    narrative = saved.narrative
    if source == EvidenceSource.ANALYSIS:
        analysis = _pick_analysis(keys, analysis, analyses)
    elif source == EvidenceSource.NARRATIVE:
        narrative = _write_narrative(keys, narrative)
    if source != initial:
        st.caption("The suggestions below follow the body of evidence once it is saved.")
    return source, analysis, narrative


def _pick_analysis(keys: Keys, chosen: str | None, analyses: Sequence[str]) -> str | None:
    if not analyses:
        st.warning(
            "No analysis of this outcome is saved yet: save one on the Analyses page, or choose "
            "a narrative synthesis."
        )
        return None
    initial = chosen if chosen in analyses else analyses[0]
    picked: str = st.selectbox(
        "Saved analysis",
        list(analyses),
        key=keys.seeded(analysis_key(), initial),
        help="The analyses saved on the Analyses page for this outcome; each is run again on "
        "the current consensus extraction.",
    )
    return picked


def _write_narrative(keys: Keys, narrative: str) -> str:
    text: str = st.text_area(
        "Narrative synthesis",
        key=keys.seeded(narrative_key(), narrative),
        height=180,
        placeholder="What the studies show together, when pooling is not appropriate.",
    )
    st.caption(
        "Following SWiM (Campbell et al., BMJ 2020), say: "
        + "; ".join(escape_markdown(p) for p in SWIM_PROMPTS)
        + "."
    )
    return text


def show_studies(evidence: OutcomeEvidence) -> None:
    """The studies of the body of evidence as the service gathered them; what the extraction
    says about a study's indirectness in full under the table (a cell would cut it)."""
    if not evidence.studies:
        st.caption("No study in this body of evidence.")
        return
    frame = pd.DataFrame([_study_row(study) for study in evidence.studies])
    empty = [WEIGHT] if all(s.weight is None for s in evidence.studies) else []
    if not any(s.flagged_indirect for s in evidence.studies):
        empty.append(INDIRECT_COLUMN)
    st.dataframe(
        frame.drop(columns=empty),  # no column that would be empty in every row
        hide_index=True,
        width="stretch",
        height="content" if len(evidence.studies) <= STUDIES_IN_FULL else "auto",
        column_config={
            WEIGHT: st.column_config.NumberColumn(format="%.1f"),
            "Participants": st.column_config.NumberColumn(format="localized"),
        },
    )
    for study in evidence.studies:
        if study.indirect_note:
            st.caption(
                f"Indirect evidence, {escape_markdown(study.study)}: "
                f"{escape_markdown(study.indirect_note)}"
            )


def _study_row(study: StudyEvidence) -> dict[str, object]:
    rob = ROB_LABELS[study.rob]
    if study.rob_judgement:
        rob = f"{study.rob_judgement} ({study.rob_tool})"
    return {
        "Study": study.study,
        "Design": DESIGN_LABELS[study.design],
        "Participants": study.participants,
        WEIGHT: study.weight,
        "Risk of bias": rob,
        INDIRECT_COLUMN: "yes" if study.flagged_indirect else "",
    }


def pick_indirect(
    keys: Keys, saved: GradeContent, evidence: OutcomeEvidence
) -> dict[str, frozenset[PicoElement]]:
    """Per study, the PICO elements judged indirect (studies with none left out)."""
    if not evidence.studies:
        return {}
    flagged = any(study.flagged_indirect for study in evidence.studies)
    chosen: dict[str, frozenset[PicoElement]] = {}
    with st.expander("Indirectness per study (PICO)", expanded=flagged):
        st.caption(
            "For each study, the elements of the review's question it answers only indirectly "
            "(another population, intervention, comparator or outcome; GRADE guidance 8)."
        )
        columns = st.columns(3)
        for place, study in enumerate(evidence.studies):
            initial = saved.indirect.get(study.study, study.indirect)
            with columns[place % 3]:
                elements = st.multiselect(
                    study.study,
                    list(PicoElement),
                    format_func=lambda e: e.value,
                    key=keys.seeded(indirect_key(study.study), sorted(initial)),
                    help=_indirect_help(study),
                    placeholder="direct",
                )
            if elements:
                chosen[study.study] = frozenset(elements)
    return chosen


def _indirect_help(study: StudyEvidence) -> str | None:
    if study.indirect_note:
        return f"The extraction says: {study.indirect_note}"
    if study.flagged_indirect:
        return "The extraction flags this study as indirect evidence."
    return None


def indirect_changed(
    chosen: Mapping[str, frozenset[PicoElement]], evidence: OutcomeEvidence
) -> bool:
    """Whether the choices differ from those the suggestions were computed from."""
    used = {s.study: s.indirect for s in evidence.studies if s.indirect}
    return dict(chosen) != used
