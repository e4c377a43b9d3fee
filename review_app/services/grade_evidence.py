"""The body of evidence behind an outcome's GRADE suggestions, read from the review's consensus
(issue 16): the studies with their design, size, risk of bias, indirectness and comparator-arm
numbers, and the saved analysis that pools them.

- **Source.** A saved analysis chosen by name (``GradeContent.analysis``) is run again on its
  saved choices from the current consensus extraction (never from stored numbers); it is
  ``stale`` when the data differ from those of its last saved run. Its studies are the ones the
  engine pooled, with their weight, effect and variance. A narrative synthesis takes every
  study whose consensus has a result for the outcome at any time point, indirect evidence
  included (GRADE rates it down for indirectness rather than leaving it out), without weights.
  No source: no studies.
- **Design** (what the starting level rests on, GRADE guidance 18): the risk-of-bias tool the
  study's result was assessed with, else the tool the protocol names for its design, decides
  when it is a tool for randomised trials (RoB 2 and its versions, RoB 1) or for non-randomised
  studies (ROBINS-I, ROBINS-E, Newcastle-Ottawa); else the design's words ("randomised
  controlled trial", "RCT"; "non-randomised" and "quasi-randomised" are not); else the study is
  non-randomised, the conservative start.
- **Risk of bias**: the consensus overall judgement for the outcome (its own copy's, else that
  of the copy for all outcomes), as ``services/appraisal.rob_tables`` reads it, put on GRADE's
  common scale by its position in the tool's scale (:func:`rob_level`).
- **Participants**: the sum of the arms' numbers randomised (or allocated) in the consensus (the
  largest arm's for a crossover trial, whose participants are in every arm),
  else the analysis' sample sizes (effective sizes for a cluster trial).

No function here takes an actor: ``services/grade.py`` checks who may read the consensus, then
calls these, which read it as the operator (as ``services/analyses._consensus`` does).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from review_app.domain.appraisal.model import ALL_OUTCOMES, ResultAssessment
from review_app.domain.appraisal.tool import Scale
from review_app.domain.appraisal.tools import TOOLS
from review_app.domain.extraction.model import StudyExtraction, same_label
from review_app.domain.grade.model import (
    EvidenceDesign,
    EvidenceSource,
    GradeContent,
    OutcomeEvidence,
    PicoElement,
    PooledEvidence,
    RobLevel,
    StudyEvidence,
)
from review_app.domain.meta.model import Continuous, Dichotomous, StudyData, Test
from review_app.domain.vocabulary import StudyDesign
from review_app.errors import ValidationError
from review_app.models import SavedAnalysis, Study
from review_app.protocol import Protocol
from review_app.protocol.model import Outcome
from review_app.services import appraisal, extraction
from review_app.services.analyses import AnalysisRun, get_analysis, run_analysis
from review_app.services.analysis_data import Consensus, StudyRow
from review_app.services.analysis_data import gather as gather_rows
from review_app.services.analysis_summary import pooled_summary
from review_app.services.permissions import Actor
from review_app.services.reviews import get_protocol
from review_app.services.study_copies import review_studies

# Protocol tool names (protocol/rules.py ROB_TOOLS) by the designs they assess: Cochrane Handbook
# chapter 8 (RoB 2, and RoB 1 before it, for randomised trials) and chapter 25 (ROBINS-I for
# non-randomised studies of interventions); ROBINS-E and Newcastle-Ottawa assess observational
# studies. The other tools (QUADAS, PROBAST, ROBIS, AMSTAR 2, JBI) say nothing of randomisation.
RANDOMISED_TOOLS = frozenset({"RoB 2", "RoB 2 (cluster)", "RoB 2 (crossover)", "RoB 1"})
NON_RANDOMISED_TOOLS = frozenset(
    {"ROBINS-I", "ROBINS-I V2", "ROBINS-I version 2", "ROBINS-E", "Newcastle-Ottawa"}
)
# "randomised/randomized controlled trial", "RCT", "crossover RCT"; not "non-randomised",
# "nonrandomized" or "quasi-randomised" (allocation by alternation or date of birth is not
# random: the Cochrane Handbook's chapter 24 counts such studies as non-randomised).
_RANDOMISED = re.compile(
    r"(?<!non)(?<!non[- ])(?<!quasi)(?<!quasi[- ])\brandomi[sz]|\bRCTs?\b", re.I
)
DESIGN_FIELD = appraisal.DESIGN_FIELD  # the extraction characteristic holding the design
FUNDING_FIELD = "funding"  # the protocol extraction field read for industry funding, if any
# Funding text read as industry funding (publication bias prompts: small industry-funded
# studies, GRADE guidance 5, Guyatt et al., J Clin Epidemiol 2011;64:1277-1282); any negation
# makes it unclear, so nothing is concluded.
_INDUSTRY = re.compile(r"\b(industr\w*|pharma\w*|manufacturer\w*|compan(y|ies))\b", re.I)
_NEGATION = re.compile(r"\b(no|not|non|none|without|neither|nor)\b", re.I)


def gather(
    session: Session, review_id: int, outcome: Outcome, content: GradeContent
) -> OutcomeEvidence:
    """The evidence for ``outcome`` from the source ``content`` chooses (none chosen: that of
    :func:`default_content`); ValidationError when the chosen analysis is missing, unknown or
    of another outcome."""
    chosen = content if content.source is not None else default_content(session, review_id, outcome)
    source = chosen.source or EvidenceSource.NONE
    studies: tuple[StudyEvidence, ...] = ()
    pooled, timepoint = None, None
    if source is EvidenceSource.ANALYSIS:
        name, run, stale = _run_named(session, review_id, outcome.id, chosen.analysis)
        pooled = _pooled(run, name, stale)
        review = _read_review(session, review_id)
        studies = _analysis_studies(review, outcome.id, run, content.indirect)
        timepoint = _one(run.data.timepoints) if run.spec.timepoint is None else run.spec.timepoint
    elif source is EvidenceSource.NARRATIVE:
        review = _read_review(session, review_id)
        studies, timepoint = _narrative_studies(review, outcome, content.indirect)
    return OutcomeEvidence(
        outcome_id=outcome.id,
        name=outcome.name,
        type=outcome.type,
        importance=outcome.importance,
        direction=outcome.direction,
        source=source,
        studies=studies,
        pooled=pooled,
        mid=outcome.mid,
        mid_unit=outcome.mid_unit,
        unit=outcome.unit,
        timepoint=timepoint,
        narrative=content.narrative if source is EvidenceSource.NARRATIVE else "",
    )


def default_content(session: Session, review_id: int, outcome: Outcome) -> GradeContent:
    """What the page proposes before anyone chose: the outcome's most recently saved analysis;
    else a narrative synthesis when a study's consensus has a result for it; else nothing."""
    newest = session.exec(
        _saved_of(review_id, outcome.id).order_by(
            col(SavedAnalysis.updated_at).desc(), col(SavedAnalysis.id).desc()
        )
    ).first()
    if newest is not None:
        return GradeContent(source=EvidenceSource.ANALYSIS, analysis=newest.name)
    if any(_has_result(copy, outcome.id) for copy in _consensus_copies(session, review_id)):
        return GradeContent(source=EvidenceSource.NARRATIVE)
    return GradeContent(source=EvidenceSource.NONE)


def analyses_for(session: Session, review_id: int, outcome_id: str) -> list[str]:
    """The names of the outcome's saved analyses, alphabetically (as the Analyses page lists)."""
    query = _saved_of(review_id, outcome_id).order_by(
        func.lower(SavedAnalysis.name), col(SavedAnalysis.id)
    )
    return [row.name for row in session.exec(query)]


def rob_level(scale: Scale, judgement: str | None) -> RobLevel:
    """A tool's judgement on GRADE's common scale, by its place in the tool's ranked levels
    (best first): the best is LOW; those past the middle of the scale are HIGH (RoB 2 "High";
    ROBINS-I and ROBINS-I V2 "Serious" and "Critical"); those between are SOME_CONCERNS (RoB 2
    "Some concerns"; ROBINS-I "Moderate"; ROBINS-I V2 "Low (except for concerns about
    uncontrolled confounding)" and "Moderate", residual confounding being a concern GRADE
    weighs: guidance 18). An unranked level ("No information") or none is NOT_ASSESSED."""
    rank = scale.rank(judgement) if judgement else None
    if rank is None:
        return RobLevel.NOT_ASSESSED
    if rank == 0:
        return RobLevel.LOW
    return RobLevel.HIGH if 2 * rank > len(scale.levels) - 1 else RobLevel.SOME_CONCERNS


def says_randomised(design: str) -> bool:
    """Whether a design's words say randomised ("parallel RCT", "randomized controlled trial"),
    not "non-randomised" or "quasi-randomised"."""
    return _RANDOMISED.search(design) is not None


# --- the review's consensus -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Review:
    """What the evidence is read from: the protocol, the studies, and by study label (compared
    as ``same_label``) the consensus extraction and the consensus risk-of-bias copies."""

    protocol: Protocol
    studies: Mapping[str, Study]  # in the review's order (by label)
    copies: Mapping[str, StudyExtraction]
    rob: Mapping[str, Sequence[ResultAssessment]]


def _consensus_copies(session: Session, review_id: int) -> list[StudyExtraction]:
    # The callers checked the actor (services/grade.py); read_copies is the leads' export, read
    # as the operator here as services/analyses._consensus does.
    return extraction.read_copies(
        session, actor=Actor.operator(), review_id=review_id, values="consensus"
    )


def _read_review(session: Session, review_id: int) -> _Review:
    assessments = appraisal.read_copies(
        session, actor=Actor.operator(), review_id=review_id, values="consensus"
    )
    rob: dict[str, list[ResultAssessment]] = {}
    for assessment in assessments:
        rob.setdefault(same_label(assessment.study), []).append(assessment)
    return _Review(
        protocol=get_protocol(session, review_id),
        studies={same_label(s.label): s for s in review_studies(session, review_id)},
        copies={same_label(c.study): c for c in _consensus_copies(session, review_id)},
        rob=rob,
    )


def _has_result(copy: StudyExtraction, outcome_id: str) -> bool:
    return any(result.outcome_id == outcome_id for result in copy.results)


# --- a saved analysis -----------------------------------------------------------------------


def _saved_of(review_id: int, outcome_id: str) -> SelectOfScalar[SavedAnalysis]:
    return select(SavedAnalysis).where(
        SavedAnalysis.review_id == review_id, SavedAnalysis.outcome_id == outcome_id
    )


def _run_named(
    session: Session, review_id: int, outcome_id: str, name: str | None
) -> tuple[str, AnalysisRun, bool]:
    """The saved analysis ``name`` (compared as its name is kept unique: spaces collapsed,
    case ignored) of the outcome: its name as saved, its run on the current consensus, and
    whether the data differ from its last saved run's."""
    names = analyses_for(session, review_id, outcome_id)
    listed = (
        f"the saved analyses of {outcome_id}: {', '.join(map(repr, names))}"
        if names
        else f"{outcome_id} has no saved analysis"
    )
    if not name or not name.strip():
        raise ValidationError(f"choose the saved analysis behind outcome {outcome_id}; {listed}")
    row = session.exec(
        select(SavedAnalysis).where(
            SavedAnalysis.review_id == review_id,
            func.lower(SavedAnalysis.name) == " ".join(name.split()).lower(),
        )
    ).first()
    if row is None:
        raise ValidationError(f"no saved analysis named {name!r} in the review; {listed}")
    if row.outcome_id != outcome_id:
        raise ValidationError(
            f"the saved analysis {row.name!r} pools outcome {row.outcome_id}, not {outcome_id}; "
            f"{listed}"
        )
    operator = Actor.operator()
    spec = get_analysis(session, actor=operator, review_id=review_id, analysis_id=row.id or 0).spec
    run = run_analysis(session, actor=operator, review_id=review_id, spec=spec)
    return row.name, run, run.digest != row.data_digest


def _pooled(run: AnalysisRun, name: str, stale: bool) -> PooledEvidence | None:
    """The run's pooled result (``services/analysis_summary`` fields), None when nothing was
    pooled."""
    summary = pooled_summary(run.analysis)
    if not summary["k"] or summary.get("estimate") is None:
        return None
    return PooledEvidence(
        analysis=name,
        measure=run.spec.measure,
        method=summary["method"],
        hksj=run.spec.test is Test.KNHA,
        k=summary["k"],
        estimate=summary["estimate"],
        ci_low=summary["ci_low"],
        ci_high=summary["ci_high"],
        pi_low=summary.get("pi_low"),
        pi_high=summary.get("pi_high"),
        tau2=summary.get("tau2"),
        tau2_ci_low=summary.get("tau2_ci_low"),
        tau2_ci_high=summary.get("tau2_ci_high"),
        i2=summary.get("i2"),
        q_p=summary.get("q_p"),
        stale=stale,
    )


def _analysis_studies(
    review: _Review,
    outcome_id: str,
    run: AnalysisRun,
    indirect: Mapping[str, frozenset[PicoElement]],
) -> tuple[StudyEvidence, ...]:
    """The studies the engine pooled, in its order, with their weight in percent."""
    from review_app.domain.meta.plots.rows import study_weights  # the forest plot's weights

    weights = study_weights(run.analysis)
    rows = {row.study: row for row in run.data.rows}
    return tuple(
        dataclasses.replace(
            _study(review, outcome_id, effect.study, rows.get(effect.study), indirect),
            weight=weights.get(effect.study),
            yi=effect.yi,
            vi=effect.vi,
        )
        for effect in run.analysis.effects
    )


# --- a narrative synthesis --------------------------------------------------------------------


def _narrative_studies(
    review: _Review, outcome: Outcome, indirect: Mapping[str, frozenset[PicoElement]]
) -> tuple[tuple[StudyEvidence, ...], str | None]:
    """Every study whose consensus has a result for the outcome, indirect evidence included, and
    the time point when they all report one. A study's numbers (its size when the arms do not
    say, its comparator arm) come from its data at each time point: the largest size, and the
    comparator arm only when one time point gives data."""
    consensus = Consensus(
        tuple((s.id or 0, s.label) for s in review.studies.values()),
        {
            s.id or 0: review.copies[key]
            for key, s in review.studies.items()
            if key in review.copies
        },
    )
    everything = gather_rows(consensus, outcome, None, None, subgroup=None, include_indirect=True)
    by_study: dict[str, list[StudyRow]] = {}
    for timepoint in everything.timepoints:
        data = gather_rows(
            consensus, outcome, timepoint, None, subgroup=None, include_indirect=True
        )
        for row in data.rows:
            by_study.setdefault(row.study, []).append(row)
    studies = []
    for key, study in review.studies.items():
        copy = review.copies.get(key)
        if copy is None or not _has_result(copy, outcome.id):
            continue
        rows = by_study.get(study.label, [])
        one = rows[0] if len(rows) == 1 else None
        found = _study(review, outcome.id, study.label, one, indirect)
        sizes = [n for row in rows if (n := _size(row.data)) is not None]
        if found.participants is None and sizes:
            found = dataclasses.replace(found, participants=max(sizes))
        studies.append(found)
    return tuple(studies), _one(everything.timepoints)


# --- one study ------------------------------------------------------------------------------


def _study(
    review: _Review,
    outcome_id: str,
    label: str,
    row: StudyRow | None,
    indirect: Mapping[str, frozenset[PicoElement]],
) -> StudyEvidence:
    """The study's evidence from its consensus, its risk of bias for the outcome, and ``row``
    (its data in the analysis, or at its only time point) for its size and comparator arm."""
    key = same_label(label)
    copy = review.copies.get(key)
    assessed, judgement = _consensus_rob(review.rob.get(key, ()), outcome_id)
    tool = TOOLS.get(assessed.tool) if assessed is not None else None
    level = rob_level(tool.scale, judgement) if tool is not None else RobLevel.NOT_ASSESSED
    chosen = {same_label(study): elements for study, elements in indirect.items()}
    note = copy.indirect_evidence.strip() if copy is not None else ""
    evidence = StudyEvidence(
        study=label,
        design=_design(review, label, copy, tool.name if tool else None),
        participants=_participants(copy, row),
        rob=level,
        rob_tool=tool.name if tool is not None and judgement else "",
        rob_judgement=judgement,
        indirect=frozenset(chosen.get(key, frozenset())),
        flagged_indirect=bool(note),
        indirect_note=note,
        industry_funded=_industry_funded(review.protocol, copy),
    )
    return _with_comparator_arm(evidence, row.data) if row is not None else evidence


def _consensus_rob(
    copies: Sequence[ResultAssessment], outcome_id: str
) -> tuple[ResultAssessment | None, str | None]:
    """The consensus copy whose overall judgement holds for the outcome, and that judgement: the
    outcome's own copy's, else the copy for all outcomes' (``appraisal.rob_tables``); a copy
    without an overall judgement yet still names the tool."""
    own = next((c for c in copies if c.outcome_id == outcome_id), None)
    shared = next((c for c in copies if c.outcome_id == ALL_OUTCOMES), None)
    for copy in (own, shared):
        if copy is not None and copy.overall:
            return copy, copy.overall
    return own or shared, None


def _design(
    review: _Review, label: str, copy: StudyExtraction | None, assessed_with: str | None
) -> EvidenceDesign:
    """Randomised or not, from the tool the result was assessed with, else the protocol's tool
    for the study's design, else the design's words; non-randomised when nothing says."""
    study = review.studies.get(same_label(label))
    designs = [
        d
        for d in (copy.characteristics.get(DESIGN_FIELD) if copy else None, study and study.design)
        if d and d.strip()
    ]
    named = {same_label(design): tool for design, tool in review.protocol.risk_of_bias.items()}
    tools = [assessed_with, *(named.get(same_label(d)) for d in designs)]
    for tool in tools:
        if tool in RANDOMISED_TOOLS:
            return EvidenceDesign.RANDOMISED
        if tool in NON_RANDOMISED_TOOLS:
            return EvidenceDesign.NON_RANDOMISED
    if any(says_randomised(design) for design in designs):
        return EvidenceDesign.RANDOMISED
    return EvidenceDesign.NON_RANDOMISED


def _participants(copy: StudyExtraction | None, row: StudyRow | None) -> int | None:
    """The arms' numbers randomised when every arm gives one (in a crossover trial every
    participant is in every arm, so the largest arm, Cochrane Handbook 23.2), else the analysed
    sizes."""
    if copy is not None and copy.arms and all(a.randomised is not None for a in copy.arms):
        sizes = [a.randomised or 0 for a in copy.arms]
        return max(sizes) if copy.design.kind == StudyDesign.CROSSOVER else sum(sizes)
    return _size(row.data) if row is not None else None


def _size(data: StudyData) -> int | None:
    if isinstance(data, Dichotomous | Continuous):
        return round(data.n_t + data.n_c)
    return None


def _with_comparator_arm(evidence: StudyEvidence, data: StudyData) -> StudyEvidence:
    """The comparator arm's events and total, or mean and SD (with the intervention's SD); an
    estimate between the arms gives neither."""
    if isinstance(data, Dichotomous):
        return dataclasses.replace(
            evidence, control_events=float(data.events_c), control_total=float(data.n_c)
        )
    if isinstance(data, Continuous):
        return dataclasses.replace(
            evidence,
            control_mean=float(data.mean_c),
            control_sd=float(data.sd_c),
            intervention_sd=float(data.sd_t),
        )
    return evidence


def _industry_funded(protocol: Protocol, copy: StudyExtraction | None) -> bool | None:
    """True when the protocol's funding field names industry without a negation; else None
    (not "no": a funding text rarely says clearly that industry paid nothing)."""
    if copy is None or not any(f.id == FUNDING_FIELD for f in protocol.extraction_fields):
        return None
    text = copy.characteristics.get(FUNDING_FIELD, "")
    return True if _INDUSTRY.search(text) and not _NEGATION.search(text) else None


def _one(values: Sequence[str]) -> str | None:
    return values[0] if len(values) == 1 else None
