"""Meta-analyses inside the review: the studies' data from the consensus extraction, analyses
run and saved by name.

The rules live here, not in the pages:

- **Data.** For an outcome, a time point and the comparison (the arms whose role is intervention
  against those whose role is comparator), each study's consensus copy gives one row: 2x2 tables
  or means and SDs from its arms' results, or an estimate between the arms (generic inverse
  variance, log for ratios). What a paper reported is turned into these by the extraction's result
  formats (:func:`~review_app.domain.extraction.formats.derive`), so each row keeps the formulas
  used and whether a value is estimated; the page flags them. Several arms of one role are
  combined into one (Cochrane Handbook table 6.5.a and 23.3.4), flagged too. A study that gives
  nothing usable is listed with what is missing. Indirect evidence is left out unless the
  analysis includes it (``AnalysisSpec.include_indirect``; GRADE rates the indirectness down),
  its rows then flagged ``indirect`` for the page and the forest plot.
- **Who.** The consensus is the leads' while extraction is blind; then analyses are for leads,
  and for every member once extraction is not blind (as the risk-of-bias consensus plots are).
  Any member who may read them saves analyses; the one who saved an analysis, or a lead, changes
  or deletes it. Studies whose consensus is not complete are named in every result.
- **Saved analyses** keep the choices, and the summary of the numbers they last gave
  (``SavedAnalysisView.last_result``, fields of ``services/analysis_summary.py``) for lists and
  GRADE; each run computes again from the current consensus (:func:`run_saved`), never from
  stored numbers. The digest of the data an analysis last ran on marks it stale when the
  extraction changed since. Saves, deletions and runs on changed data are audited (entity
  ``analysis``: ``analysis.create``, ``.update``, ``.delete``, ``.rerun``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from review_app.domain.extraction.model import same_label
from review_app.domain.meta.model import Generic, Method, PredictionRule, StudyData, Test
from review_app.domain.vocabulary import EffectMeasure, Role, is_lead
from review_app.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from review_app.models import SavedAnalysis, utcnow
from review_app.models.analysis import MAX_NAME
from review_app.protocol import Protocol
from review_app.services.analysis_data import Consensus, LeftOut, OutcomeData, StudyRow, gather
from review_app.services.analysis_summary import run_summary
from review_app.services.audit import record_event
from review_app.services.extraction import read_copies
from review_app.services.permissions import Actor, require_role
from review_app.services.reviews import get_protocol
from review_app.services.study_copies import review_studies, user_names

if TYPE_CHECKING:
    from review_app.domain.meta.further import SubgroupResult
    from review_app.domain.meta.model import Analysis
    from review_app.domain.meta.plots import ForestLabels
    from review_app.protocol.model import Outcome

ENTITY = "analysis"


# --- plain results ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnalysisSpec:
    """What makes an analysis: outcome, time point (None: each study's only one), measure,
    method, test (HKSJ = ``Test.KNHA``), prediction interval, subgroups by a study characteristic
    (a protocol extraction field id), studies left out with the rule that leaves them out, and
    whether studies flagged as indirect evidence are pooled too (default: left out)."""

    outcome_id: str
    measure: EffectMeasure
    timepoint: str | None = None
    method: Method = Method.REML
    test: Test = Test.KNHA
    prediction: PredictionRule = PredictionRule.METAFOR
    subgroup: str | None = None
    excluded: tuple[str, ...] = ()
    exclusion_rule: str = ""
    include_indirect: bool = False


@dataclass(frozen=True, slots=True)
class AnalysisRun:
    """An analysis computed from the current consensus: its data and the engine's result."""

    spec: AnalysisSpec
    data: OutcomeData
    analysis: Analysis
    groups: Mapping[str, str]  # study -> subgroup (empty without subgroups)
    subgroups: SubgroupResult | None  # each subgroup pooled, and the test for differences
    labels: ForestLabels  # the forest plot's title and favours labels (direction of benefit)
    digest: str  # OutcomeData.digest of the data gathered, before any study was left out


@dataclass(frozen=True, slots=True)
class SavedAnalysisView:
    """A saved analysis as pages list it; ``stale``: the data changed since it last ran;
    ``last_result``: that run's summary (``services/analysis_summary.py`` fields and ``ran_at``),
    None when it has not run since it moved from the old table (migration 0008)."""

    id: int
    name: str
    spec: AnalysisSpec
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    stale: bool
    incomplete: tuple[str, ...]  # studies whose consensus is not complete
    last_result: Mapping[str, Any] | None = None


# --- public functions: data and runs ------------------------------------------------------------


def study_data(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    outcome_id: str,
    timepoint: str | None = None,
    measure: EffectMeasure | None = None,
    subgroup: str | None = None,
    include_indirect: bool = False,
) -> OutcomeData:
    """The review's data for the outcome at the time point (None: each study's only one) for
    ``measure`` (None: the protocol's default for the outcome, else the first the data allows);
    ``subgroup`` puts each row in the group its consensus characteristic names;
    ``include_indirect`` keeps studies flagged as indirect evidence (their rows flagged)."""
    protocol = _check_reader(session, actor, review_id)
    outcome = _outcome(protocol, outcome_id)
    if measure is not None:
        _check_measure(outcome, measure)
    if subgroup is not None:
        _check_subgroup(protocol, subgroup)
    return _outcome_data(
        session,
        review_id,
        outcome,
        timepoint,
        measure,
        subgroup=subgroup,
        include_indirect=include_indirect,
    )


def default_spec(
    session: Session, *, actor: Actor, review_id: int, outcome_id: str
) -> AnalysisSpec:
    """The protocol's analysis settings for the outcome (``[outcomes.analysis]``)."""
    protocol = _check_reader(session, actor, review_id)
    outcome = _outcome(protocol, outcome_id)
    settings = outcome.analysis
    method = Method(settings.method)
    return AnalysisSpec(
        outcome_id=outcome.id,
        measure=outcome.default_measure,
        method=method,
        test=Test.KNHA if settings.hksj and not method.needs_tables else Test.Z,
        prediction=PredictionRule(settings.prediction),
    )


def run_analysis(
    session: Session, *, actor: Actor, review_id: int, spec: AnalysisSpec
) -> AnalysisRun:
    """The analysis ``spec`` describes, computed from the current consensus extraction."""
    protocol = _check_reader(session, actor, review_id)
    _check_spec(session, protocol, review_id, spec)
    return _run(session, review_id, _outcome(protocol, spec.outcome_id), spec)


# --- public functions: saved analyses -----------------------------------------------------------


def save_analysis(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    name: str,
    spec: AnalysisSpec,
    analysis_id: int | None = None,
) -> SavedAnalysisView:
    """Save ``spec`` under ``name`` (unique in the review): a new analysis, or ``analysis_id``
    changed (its author or a lead), with the summary of its run on the current data. Audited
    with the settings before and after. Data the engine refuses (a sentence says why) save
    nothing."""
    protocol = _check_reader(session, actor, review_id)
    _check_spec(session, protocol, review_id, spec)
    outcome = _outcome(protocol, spec.outcome_id)
    cleaned = _checked_name(session, review_id, name, analysis_id)
    if analysis_id is None:
        row = SavedAnalysis(review_id=review_id, created_by_id=actor.user_id, name=cleaned,
                            **_columns(spec))  # fmt: skip
        before = None
    else:
        row = _saved(session, review_id, analysis_id)
        _check_owner(session, actor, review_id, row)
        before = _settings(row)
        for column, value in {"name": cleaned, **_columns(spec)}.items():
            setattr(row, column, value)
    run = _run(session, review_id, outcome, spec)
    _keep_result(row, run, run_summary(run))
    row.updated_at, row.updated_by_id = utcnow(), actor.user_id
    session.add(row)
    session.flush()
    action = "update" if before is not None else "create"
    _audit(session, actor, row, action, before, _settings(row))
    return _view(session, row, stale=False, incomplete=run.data.incomplete)


def list_analyses(session: Session, *, actor: Actor, review_id: int) -> list[SavedAnalysisView]:
    """The review's saved analyses by name, each marked stale when its data changed since."""
    protocol = _check_reader(session, actor, review_id)
    rows = session.exec(
        select(SavedAnalysis)
        .where(SavedAnalysis.review_id == review_id)
        .order_by(func.lower(SavedAnalysis.name), col(SavedAnalysis.id))
    ).all()
    copies = _consensus(session, review_id)
    return [_current_view(session, protocol, row, copies) for row in rows]


def get_analysis(
    session: Session, *, actor: Actor, review_id: int, analysis_id: int
) -> SavedAnalysisView:
    protocol = _check_reader(session, actor, review_id)
    row = _saved(session, review_id, analysis_id)
    return _current_view(session, protocol, row, _consensus(session, review_id))


def delete_analysis(session: Session, *, actor: Actor, review_id: int, analysis_id: int) -> None:
    """Delete a saved analysis (its author or a lead); audited with its settings."""
    _check_reader(session, actor, review_id)
    row = _saved(session, review_id, analysis_id)
    _check_owner(session, actor, review_id, row)
    before = _settings(row)
    session.delete(row)
    session.flush()
    _audit(session, actor, row, "delete", before, None, entity_id=analysis_id)


def run_saved(session: Session, *, actor: Actor, review_id: int, analysis_id: int) -> AnalysisRun:
    """A saved analysis computed again from the current consensus extraction (never stored
    numbers). When its numbers differ from the summary it keeps, the new digest and summary are
    kept (it is no longer stale); a run on changed data is audited. A run giving the same
    numbers writes nothing (pages run an analysis each time they show it)."""
    protocol = _check_reader(session, actor, review_id)
    row = _saved(session, review_id, analysis_id)
    spec = _spec(row)
    run = _run(session, review_id, _outcome(protocol, spec.outcome_id), spec)
    summary = run_summary(run)
    last = {k: v for k, v in (row.result or {}).items() if k != RAN_AT}
    if run.digest == row.data_digest and last == summary:
        return run
    before = {"data_digest": row.data_digest}
    _keep_result(row, run, summary)
    session.add(row)
    session.flush()
    if before["data_digest"] != row.data_digest:
        _audit(session, actor, row, "rerun", before, {"data_digest": row.data_digest})
    return run


# --- who may do what ----------------------------------------------------------------------------


def _check_reader(session: Session, actor: Actor, review_id: int) -> Protocol:
    """Leads; every member once extraction is not blind (analyses read the consensus)."""
    role = require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    protocol = get_protocol(session, review_id)
    if protocol.extraction.blind and not is_lead(role):
        raise PermissionDeniedError(
            "analyses pool the consensus extraction, which is for leads while extraction is "
            "blind (the protocol's [extraction] blind); your role is reviewer"
        )
    return protocol


def _check_owner(session: Session, actor: Actor, review_id: int, row: SavedAnalysis) -> None:
    role = require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    if not is_lead(role) and row.created_by_id != actor.user_id:
        raise PermissionDeniedError(
            f"the analysis '{row.name}' was saved by another member; its author or a lead "
            "changes or deletes it (save yours under another name)"
        )


# --- checking a spec ----------------------------------------------------------------------------


def _outcome(protocol: Protocol, outcome_id: str) -> Outcome:
    found = next((o for o in protocol.outcomes if o.id == outcome_id), None)
    if found is None:
        allowed = ", ".join(o.id for o in protocol.outcomes)
        raise NotFoundError(f"no outcome '{outcome_id}' in the protocol; its outcomes: {allowed}")
    return found


def _check_subgroup(protocol: Protocol, subgroup: str) -> None:
    ids = [f.id for f in protocol.extraction_fields]
    if subgroup not in ids:
        raise ValidationError(
            f"subgroups by '{subgroup}': not a study characteristic of the protocol; "
            f"allowed: {', '.join(ids)}"
        )


def _check_measure(outcome: Outcome, measure: EffectMeasure) -> None:
    if measure not in outcome.measures:
        allowed = ", ".join(outcome.measures)
        raise ValidationError(
            f"{measure}: {outcome.name} is a {outcome.type} outcome, pooled as {allowed}"
        )


def _check_spec(session: Session, protocol: Protocol, review_id: int, spec: AnalysisSpec) -> None:
    _check_measure(_outcome(protocol, spec.outcome_id), spec.measure)
    if spec.method.needs_tables and spec.measure not in _TABLE_MEASURES[spec.method]:
        allowed = ", ".join(_TABLE_MEASURES[spec.method])
        raise ValidationError(f"the {spec.method} method pools {allowed} only, not {spec.measure}")
    if spec.method.needs_tables and spec.test is Test.KNHA:
        raise ValidationError(
            f"Hartung-Knapp (HKSJ) adjusts inverse-variance methods; {spec.method} uses the z test"
        )
    if spec.subgroup is not None:
        _check_subgroup(protocol, spec.subgroup)
    if spec.excluded and not spec.exclusion_rule.strip():
        raise ValidationError(
            "studies left out of an analysis need the rule that leaves them out "
            "(e.g. 'high risk of bias in randomisation')"
        )
    labels = {same_label(s.label) for s in review_studies(session, review_id)}
    unknown = [label for label in spec.excluded if same_label(label) not in labels]
    if unknown:
        raise NotFoundError(f"no study {', '.join(map(repr, unknown))} in the review to leave out")


_TABLE_MEASURES = {
    Method.MH: (EffectMeasure.RR, EffectMeasure.OR, EffectMeasure.RD),
    Method.PETO: (EffectMeasure.OR,),
}


def _checked_name(session: Session, review_id: int, name: str, analysis_id: int | None) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME:
        raise ValidationError(f"an analysis needs a name of 1 to {MAX_NAME} characters")
    taken = session.exec(
        select(SavedAnalysis.id).where(
            SavedAnalysis.review_id == review_id,
            func.lower(SavedAnalysis.name) == cleaned.lower(),
        )
    ).first()
    if taken is not None and taken != analysis_id:
        raise ConflictError(f"an analysis named '{cleaned}' exists already; choose another name")
    return cleaned


# --- saved rows ---------------------------------------------------------------------------------

RAN_AT = "ran_at"  # in a saved result: when its numbers were computed (ISO 8601, UTC)


def _keep_result(row: SavedAnalysis, run: AnalysisRun, summary: Mapping[str, Any]) -> None:
    """The run's digest and its summary, timed, as the saved analysis's last result."""
    row.data_digest = run.digest
    row.result = {**summary, RAN_AT: utcnow().isoformat()}


def _saved(session: Session, review_id: int, analysis_id: int) -> SavedAnalysis:
    row = session.get(SavedAnalysis, analysis_id)
    if row is None or row.review_id != review_id:
        raise NotFoundError(f"no saved analysis {analysis_id} in review {review_id}")
    return row


def _columns(spec: AnalysisSpec) -> dict[str, Any]:
    """The saved analysis's columns that hold ``spec`` (:func:`_spec` reads them back)."""
    return {
        "outcome_id": spec.outcome_id,
        "timepoint": spec.timepoint,
        "measure": spec.measure,
        "method": spec.method,
        "test": spec.test,
        "prediction": spec.prediction,
        "subgroup": spec.subgroup,
        "excluded": list(spec.excluded),
        "exclusion_rule": spec.exclusion_rule.strip(),
        "include_indirect": spec.include_indirect,
    }


def _spec(row: SavedAnalysis) -> AnalysisSpec:
    return AnalysisSpec(
        outcome_id=row.outcome_id,
        measure=EffectMeasure(row.measure),
        timepoint=row.timepoint,
        method=Method(row.method),
        test=Test(row.test),
        prediction=PredictionRule(row.prediction),
        subgroup=row.subgroup,
        excluded=tuple(row.excluded),
        exclusion_rule=row.exclusion_rule,
        include_indirect=row.include_indirect,
    )


def _settings(row: SavedAnalysis) -> dict[str, Any]:
    """What the audit trail keeps of a saved analysis."""
    spec = dataclasses.asdict(_spec(row))
    return {
        "name": row.name,
        **{k: list(v) if isinstance(v, tuple) else v for k, v in spec.items()},
    }


def _audit(
    session: Session,
    actor: Actor,
    row: SavedAnalysis,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    entity_id: int | None = None,
) -> None:
    record_event(
        session,
        review_id=row.review_id,
        user_id=actor.user_id,
        action=f"{ENTITY}.{action}",
        entity=ENTITY,
        entity_id=entity_id if entity_id is not None else row.id,
        before=before,
        after=after,
    )


def _view(
    session: Session, row: SavedAnalysis, *, stale: bool, incomplete: tuple[str, ...]
) -> SavedAnalysisView:
    names = user_names(session, [row.created_by_id] if row.created_by_id is not None else [])
    return SavedAnalysisView(
        id=row.id or 0,
        name=row.name,
        spec=_spec(row),
        created_by=names.get(row.created_by_id or 0),
        created_at=row.created_at,
        updated_at=row.updated_at,
        stale=stale,
        incomplete=incomplete,
        last_result=row.result,
    )


def _current_view(
    session: Session, protocol: Protocol, row: SavedAnalysis, copies: Consensus
) -> SavedAnalysisView:
    """The saved analysis, stale when the data it would run on differ from its last run's."""
    spec = _spec(row)
    outcome = _outcome(protocol, spec.outcome_id)
    data = gather(
        copies,
        outcome,
        spec.timepoint,
        spec.measure,
        subgroup=spec.subgroup,
        include_indirect=spec.include_indirect,
    )
    return _view(session, row, stale=data.digest != row.data_digest, incomplete=data.incomplete)


# --- running ------------------------------------------------------------------------------------


def _run(session: Session, review_id: int, outcome: Outcome, spec: AnalysisSpec) -> AnalysisRun:
    from review_app.domain.meta.pooling import analyse

    gathered = _outcome_data(
        session,
        review_id,
        outcome,
        spec.timepoint,
        spec.measure,
        subgroup=spec.subgroup,
        include_indirect=spec.include_indirect,
    )
    kept, excluded = _without_excluded(gathered.rows, spec)
    pooled, not_pooled, notes = _engine_data(kept, spec)
    unpooled = {left.study for left in not_pooled}
    data = dataclasses.replace(
        gathered,
        rows=tuple(row for row in kept if row.study not in unpooled),
        left_out=(*gathered.left_out, *excluded, *not_pooled),
    )
    analysis = analyse(
        pooled, spec.measure, method=spec.method, test=spec.test, prediction=spec.prediction
    )
    if notes:
        analysis = dataclasses.replace(analysis, notes=(*analysis.notes, *notes))
    groups = {row.study: row.group for row in data.rows if row.group is not None}
    parts = _subgroups(pooled, groups, spec) if spec.subgroup is not None and pooled else None
    labels = _labels(outcome, spec.timepoint)
    return AnalysisRun(spec, data, analysis, groups, parts, labels, digest=gathered.digest)


def _labels(outcome: Outcome, timepoint: str | None) -> ForestLabels:
    """The forest plot's words: the outcome (and time point) as its title, and which side of the
    line of no effect favours which arm, from the outcome's direction of benefit (effects below
    it mean less of the outcome in the intervention arm)."""
    from review_app.domain.meta.plots import ForestLabels

    intervention, comparator = "Favours intervention", "Favours comparator"
    lower_is_better = outcome.direction == "lower_is_better"
    left, right = (intervention, comparator) if lower_is_better else (comparator, intervention)
    title = f"{outcome.name}, {timepoint}" if timepoint else outcome.name
    return ForestLabels(favours_left=left, favours_right=right, title=title)


def _subgroups(
    data: Sequence[StudyData], groups: Mapping[str, str], spec: AnalysisSpec
) -> SubgroupResult:
    from review_app.domain.meta.further import AnalysisChoices, subgroups

    choices = AnalysisChoices(
        spec.measure, method=spec.method, test=spec.test, prediction=spec.prediction
    )
    return subgroups(data, groups, choices)


def _without_excluded(
    rows: Sequence[StudyRow], spec: AnalysisSpec
) -> tuple[list[StudyRow], list[LeftOut]]:
    excluded = {same_label(label) for label in spec.excluded}
    kept = [row for row in rows if same_label(row.study) not in excluded]
    left = [
        LeftOut(row.study_id, row.study, f"left out by the analysis: {spec.exclusion_rule}")
        for row in rows
        if same_label(row.study) in excluded
    ]
    return kept, left


def _engine_data(
    rows: Sequence[StudyRow], spec: AnalysisSpec
) -> tuple[list[StudyData], list[LeftOut], list[str]]:
    """What the engine pools (one kind of data), the studies it cannot, and notes. Mantel-Haenszel
    and Peto pool 2x2 tables, so a study giving only an estimate is left out; inverse-variance
    methods pool arm data and estimates together once the arm data are effect sizes (generic
    inverse variance, Cochrane Handbook 10.3.3), computed as metafor's escalc does."""
    from review_app.domain.meta.effects import effect_sizes

    estimates = [row for row in rows if isinstance(row.data, Generic)]
    if spec.method.needs_tables:
        tables: list[StudyData] = [row.data for row in rows if not isinstance(row.data, Generic)]
        return tables, [_only_estimate(row, spec) for row in estimates], []
    if not estimates or len(estimates) == len(rows):
        return [row.data for row in rows], [], []
    pooled: list[StudyData] = []
    left: list[LeftOut] = []
    for row in rows:
        if isinstance(row.data, Generic):
            pooled.append(row.data)
            continue
        effects, dropped = effect_sizes([row.data], spec.measure)
        left.extend(LeftOut(row.study_id, row.study, d.reason) for d in dropped)
        pooled.extend(Generic(row.study, e.yi, e.vi) for e in effects)
    note = (
        "Studies with arm data were turned into effect sizes to be pooled with the studies that "
        "give only an estimate between the arms (generic inverse variance)."
    )
    return pooled, left, [note]


def _only_estimate(row: StudyRow, spec: AnalysisSpec) -> LeftOut:
    return LeftOut(
        row.study_id,
        row.study,
        f"{spec.method} pools 2x2 tables and this study gives only an estimate between the arms; "
        "an inverse-variance method (e.g. REML) includes it",
    )


# --- the review's data --------------------------------------------------------------------------


def _consensus(session: Session, review_id: int) -> Consensus:
    # Callers checked the actor (_check_reader); read_copies is the leads' export, so it is read
    # as the operator here rather than as a reviewer it would refuse.
    copies = read_copies(session, actor=Actor.operator(), review_id=review_id, values="consensus")
    studies = tuple((s.id or 0, s.label) for s in review_studies(session, review_id))
    by_label = {copy.study: copy for copy in copies}
    return Consensus(
        studies, {study_id: by_label[label] for study_id, label in studies if label in by_label}
    )


def _outcome_data(
    session: Session,
    review_id: int,
    outcome: Outcome,
    timepoint: str | None,
    measure: EffectMeasure | None,
    *,
    subgroup: str | None,
    include_indirect: bool = False,
) -> OutcomeData:
    copies = _consensus(session, review_id)
    return gather(
        copies, outcome, timepoint, measure, subgroup=subgroup, include_indirect=include_indirect
    )
