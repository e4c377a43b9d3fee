"""Risk of bias: each result of a study is assessed in copies, one per assessor, and a consensus.

Risk of bias is judged per result (RoB 2 guidance, section 1.3): per study and protocol outcome,
with a copy for all outcomes (``ALL_OUTCOMES``, "*") holding the domains that do not differ. The
rules live here, not in the pages, as for extraction (``services/extraction.py``); the slots,
blinding, audit and consensus mechanics both share are ``services/copy_slots.py``, given this
stage's :data:`COPIES`:

- **Tool.** A study's tool is the one the protocol's ``[risk_of_bias]`` names for its design: the
  consensus extraction's ``design`` characteristic when the protocol names a tool for it, else the
  study's design (Studies page); its version for the consensus extraction's design kind (RoB 2
  for crossover trials, ``tool_for_design``). A copy keeps the tool it was opened with, and a
  result's later copies (another assessor's, the consensus) take its first copy's tool.
- **Slots.** A member who opens a study's result claims a free slot 1..N of the study, N being
  the protocol's ``[appraisal] assessors_per_study`` (default 2); the slot holds for all the
  study's results. Leads may assess too. When every slot is taken by others, a sentence says so.
- **Blinding** (``[appraisal] blind``, default true). A reviewer sees and edits only their own
  copies; leads see every copy, the comparison and the consensus. When not blind, the assessors
  of a study may also read its other copies and their comparison. Only leads write the
  consensus. A blind reviewer's progress shows their own status and how many slots are taken.
- **Saves** replace a copy's content with a :class:`ResultAssessment` checked whole
  (:func:`~review_app.domain.appraisal.assessment.problems`, on the copy with the domains it
  takes from the same owner's copy for all outcomes): every problem is listed in one
  :class:`AppraisalProblems` and nothing is written. Completing a copy checks it complete. A
  tool's triage (ROBINS-I V2's section B) is stored as a domain row with the triage's id ("B"),
  its judgement set from its answers: Critical where it ends the assessment (then no domain is
  needed and the robvis row's domains are empty), else none.
- **Audit.** Each changed item of a save is one event (entity ``appraisal``, actions
  ``appraisal.answer``, ``.judgement``, ``.support``, ``.overall``, ``.overall_support``,
  ``.variant``, ``.status``, ``.claim``, ``.open``, ``.consensus_take``, ``.consensus_start``,
  ``.consensus_from_copy``, ``.import``) with the item's value before and after.
- **Consensus.** A lead starts a result's consensus from what its complete copies agree on,
  takes single items from a copy, or edits it like a copy. With one assessor per study,
  completing a copy makes it the consensus.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import Table, and_, delete
from sqlmodel import Session, col, select

from review_app.domain.appraisal import assessment
from review_app.domain.appraisal.compare import agreed, compare, take
from review_app.domain.appraisal.model import (
    ALL_OUTCOMES,
    DomainAssessment,
    ResultAssessment,
    effective_domains,
)
from review_app.domain.appraisal.plots import Judgement, RobDomain, RobRow, RobTable
from review_app.domain.appraisal.tool import Answer, Tool
from review_app.domain.appraisal.tools import (
    TOOLS,
    tool_by_id,
    tool_for_design,
    tool_for_protocol_name,
)
from review_app.domain.comparison import ComparedItem, Comparison, WithConsensus, compared_items
from review_app.domain.extraction.model import same_label
from review_app.domain.vocabulary import ExtractionStatus, Role, StudyDesign
from review_app.errors import (
    AppraisalProblems,
    ConflictError,
    FieldProblem,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from review_app.models import (
    Appraisal,
    AppraisalDomain,
    AppraisalSlot,
    Extraction,
    ExtractionValue,
    Study,
)
from review_app.models.appraisal import CONSENSUS_SLOT
from review_app.protocol import Protocol
from review_app.services.copy_slots import (
    VALUES as VALUES,  # the callers read the choices here
)
from review_app.services.copy_slots import (
    Change,
    CopyAccess,
    CopyAction,
    CopyStage,
    ReplacedCopies,
    Values,
    audit,
    audit_changes,
    check_comparison,
    check_read,
    check_values,
    claimed,
    complete_groups,
    copies_of,
    copy_access,
    copy_name,
    copy_row,
    decide,
    decided_keys,
    export_order,
    follows_one_copy,
    free_slot,
    import_slot,
    is_complete,
    no_free_slot,
    set_status,
    split_consensus,
    start_sources,
    take_source,
    touch,
    writable_copy,
)
from review_app.services.permissions import Actor
from review_app.services.study_copies import (
    CHUNK,
    copy_holder,
    id_chunks,
    member_ids,
    record_ids,
    review_studies,
    review_study,
    user_names,
)

Status = ExtractionStatus  # a copy is in progress or complete, as an extraction copy is
DESIGN_FIELD = "design"  # the extraction characteristic read for a study's design

# --- views --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssessmentView:
    """One copy as a page shows and edits it.

    ``shared`` is the same owner's copy for all outcomes of the study (None for that copy itself
    or when there is none): the domains ``data`` does not hold come from it. ``proposals`` (domain
    id -> the judgement the algorithm proposes from the answers, None: none yet or left to the
    assessor) and ``overall_proposal`` are computed on that effective copy, as is ``triage``:
    what the tool's triage gives (ROBINS-I V2: a level that ends the assessment, PROCEED, or None
    while unanswered; None for tools without one).
    """

    appraisal_id: int
    study_id: int
    study_label: str
    outcome_id: str  # a protocol outcome id, or ALL_OUTCOMES
    slot: int  # 0: the consensus; 1..N: an assessor's
    assessor_id: int | None
    assessor_name: str | None
    status: Status
    updated_at: datetime
    tool: Tool
    data: ResultAssessment
    shared: ResultAssessment | None
    proposals: Mapping[str, str | None]
    overall_proposal: str | None
    triage: str | None = None

    @property
    def is_consensus(self) -> bool:
        return self.slot == CONSENSUS_SLOT


@dataclass(frozen=True, slots=True)
class ResultProgress:
    """Where one result (an outcome, or ALL_OUTCOMES) of a study stands, as much as the actor may
    know: ``assessors`` (name and status by slot) and ``consensus`` are given to leads, and to
    everyone when assessment is not blind."""

    outcome_id: str
    mine: Status | None
    assessors: tuple[tuple[str, Status], ...]
    consensus: Status | None
    discrepancies: int | None = None  # items the complete assessor copies differ on (2+ complete)


@dataclass(frozen=True, slots=True)
class AppraisalProgress:
    """One study: its tool (or the sentence saying why it has none), the slots, and each result
    (ALL_OUTCOMES first, then the protocol's outcomes in order)."""

    study_id: int
    label: str
    record_ids: list[int]  # the study's reports, main report first
    tool_id: str | None
    tool_problem: str | None  # why the study has no tool yet (set its design)
    slots: int  # assessors per study (protocol)
    taken: int  # assessor slots claimed
    my_slot: int | None
    results: tuple[ResultProgress, ...]


@dataclass(frozen=True, slots=True)
class CopyColumn:
    """Who one column of a comparison is."""

    appraisal_id: int
    slot: int
    assessor_name: str | None  # None: the consensus
    status: Status


@dataclass(frozen=True, slots=True)
class ResultComparison(WithConsensus):
    """The assessors' copies of one result of a study side by side, with the consensus."""

    study_id: int
    study_label: str
    outcome_id: str
    columns: tuple[CopyColumn, ...]  # the assessors' copies, by slot
    comparison: Comparison  # the assessors' copies compared (agreement, discrepancies)
    consensus: CopyColumn | None
    items: tuple[ComparedItem, ...]  # the comparison's items, then those only the consensus has


# --- who may do what ----------------------------------------------------------------------------


def _result_name(study: Study, outcome_id: str) -> str:
    result = "all outcomes" if outcome_id == ALL_OUTCOMES else f"outcome {outcome_id}"
    return f"{study.label} ({result})"


COPIES = CopyStage(
    model=Appraisal,
    entity="appraisal",
    setting="appraisal",
    per_study="assessors_per_study",
    person="assessor",
    kind="risk-of-bias",
    work="assessment",
    blind_work="risk-of-bias assessment",
    own="copies",
    owner=attrgetter("assessor_id"),
    order=("study_id", "outcome_id", "slot"),
    where=lambda row, study: _result_name(study, row.outcome_id),
    place=lambda row: {"outcome_id": row.outcome_id},
)
OPEN = "open"  # the audit action of a copy made for a result (after its slot's claim)


def _access(
    session: Session, actor: Actor, review_id: int, *, at_least: Role = Role.REVIEWER
) -> CopyAccess:
    return copy_access(session, COPIES, actor=actor, review_id=review_id, at_least=at_least)


def _assesses(session: Session, access: CopyAccess, study_id: int) -> bool:
    return access.user_id is not None and _own_slot(session, study_id, access.user_id) is not None


# --- public functions ---------------------------------------------------------------------------


def tool_for_study(session: Session, *, actor: Actor, review_id: int, study_id: int) -> Tool:
    """The tool the protocol names for the study's design, in its version for the extracted
    design kind (the tool a result's first copy is made with), or a ValidationError saying what
    to set (the study's design) and which designs the protocol names tools for."""
    access = _access(session, actor, review_id)
    study = review_study(session, review_id, study_id)
    tool, problem = _tool_choice(session, access.protocol, study)
    if tool is None:
        raise ValidationError(problem or f"{study.label}: no risk-of-bias tool")
    return tool


def list_progress(session: Session, *, actor: Actor, review_id: int) -> list[AppraisalProgress]:
    """Every study of the review by label, with its tool, the actor's own status per result and,
    when the actor may know them, the assessors' and the consensus's."""
    access = _access(session, actor, review_id)
    studies = review_studies(session, review_id)
    study_ids = [s.id for s in studies if s.id is not None]
    slots = _slots_of(session, study_ids)
    rows = copies_of(session, COPIES, study_ids)
    names = user_names(session, [s.assessor_id for s in slots])
    reports = record_ids(session, study_ids)
    designs = _extracted_designs(session, study_ids)
    outcomes = [ALL_OUTCOMES, *(o.id for o in access.protocol.outcomes)]
    progress = []
    for study in studies:
        assert study.id is not None
        own_slots = [s for s in slots if s.study_id == study.id]
        mine = next((s.slot for s in own_slots if s.assessor_id == access.user_id), None)
        tool, problem = _tool_from(access.protocol, study, designs.get(study.id, _Extracted()))
        own = [r for r in rows if r.study_id == study.id]
        counts = _discrepancy_counts(session, study, own) if access.open_book else {}
        progress.append(
            AppraisalProgress(
                study_id=study.id,
                label=study.label,
                record_ids=reports.get(study.id, []),
                tool_id=tool.id if tool else None,
                tool_problem=problem,
                slots=access.per_study,
                taken=len(own_slots),
                my_slot=mine,
                results=tuple(
                    dataclasses.replace(
                        _result_progress(access, outcome_id, own, mine, names),
                        discrepancies=counts.get(outcome_id),
                    )
                    for outcome_id in outcomes
                ),
            )
        )
    return progress


def open_copy(
    session: Session, *, actor: Actor, review_id: int, study_id: int, outcome_id: str
) -> AssessmentView:
    """The actor's own copy of the study's result (``outcome_id``: a protocol outcome or
    ALL_OUTCOMES), claiming a free slot of the study the first time and making the copy with the
    study's tool (both audited)."""
    access = _access(session, actor, review_id)
    user_id = copy_holder(actor.user_id, "risk-of-bias")
    study = review_study(session, review_id, study_id)
    _check_outcome(access.protocol, outcome_id)

    slot: int | None = None  # the actor's slot of the study, as last looked up

    def look() -> Appraisal | None:
        nonlocal slot
        slot = _own_slot(session, study_id, user_id)
        return _copy_at(session, study_id, outcome_id, slot) if slot is not None else None

    def make() -> Appraisal:
        tool = _study_tool(session, access.protocol, study, outcome_id)
        held = slot if slot is not None else _claim(session, access, study, user_id)
        row = _insert_copy(session, study, outcome_id, slot=held, assessor_id=user_id, tool=tool)
        if slot is None:
            audit(session, COPIES, access, study, row, CopyAction.CLAIM, None, {"slot": held})
        audit(session, COPIES, access, study, row, OPEN, None, {"tool": tool.id})
        return row

    row = claimed(session, COPIES, study, look=look, make=make, attempts=access.per_study + 2)
    return _view(session, row, study)


def get_copy(
    session: Session, *, actor: Actor, review_id: int, appraisal_id: int
) -> AssessmentView:
    """One copy: the actor's own; any for leads; a study's other copies for its assessors when
    assessment is not blind."""
    access = _access(session, actor, review_id)
    row, study = copy_row(session, COPIES, review_id, appraisal_id)
    takes_part = not access.blind and _assesses(session, access, study.id or 0)
    check_read(COPIES, access, row, study, takes_part=takes_part)
    return _view(session, row, study)


def save_copy(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    appraisal_id: int,
    data: ResultAssessment,
) -> AssessmentView:
    """Replace the copy's content with ``data``: its variant, domains (answers, judgement,
    support), overall judgement and support (its ``study``, ``outcome_id``, ``assessor``,
    ``tool`` and ``complete`` are the copy's own and are not read: :func:`set_complete` changes
    the status).

    The copy's assessor saves their copy; leads save the consensus. ``data`` is checked whole
    (a complete copy stays complete only if it still is): every problem is listed in one
    :class:`AppraisalProblems` and nothing is written. Each changed item is audited.
    """
    access = _access(session, actor, review_id)
    row, study = writable_copy(session, COPIES, access, review_id, appraisal_id)
    tool = _tool_by_id(row.tool)
    before = _load(session, [row], {study.id or 0: study.label})[row.id or 0]
    proposed = _own(row, study, before, _tidy(data))
    shared = _shared_of(session, row, study)
    complete = is_complete(row)
    where = copy_name(COPIES, row, study)
    _raise_problems(tool, proposed, shared, complete=complete, where=where)
    after = _cleaned(tool, proposed)
    if row.slot == CONSENSUS_SLOT:
        decide(row, [_item_key(key) for key, *_values in _changes(before, after)])
    _store(session, {row.id or 0: (row, after)}, access)
    audit_changes(session, COPIES, access, study, row, _item_changes(before, after))
    if follows_one_copy(access, row, complete=complete):
        _consensus_from(session, access, study, row, after)
    return _view(session, row, study, after)


def set_complete(
    session: Session, *, actor: Actor, review_id: int, appraisal_id: int, complete: bool
) -> AssessmentView:
    """Mark a copy complete (refused, listing every problem, while a domain or the overall is not
    judged or an asked question unanswered) or in progress again. With one assessor per study, a
    completed copy becomes the consensus of its result."""
    access = _access(session, actor, review_id)
    row, study = writable_copy(session, COPIES, access, review_id, appraisal_id)
    data = _load(session, [row], {study.id or 0: study.label})[row.id or 0]
    if complete:
        where = copy_name(COPIES, row, study)
        found = _problems_of(_tool_by_id(row.tool), data, _shared_of(session, row, study), True)
        if found:
            raise AppraisalProblems(
                found,
                summary=f"{where} cannot be marked complete: {len(found)} problem(s); it stays "
                "in progress",
            )
    set_status(session, COPIES, access, study, row, complete=complete)
    data = dataclasses.replace(data, complete=complete)
    if follows_one_copy(access, row, complete=complete):
        _consensus_from(session, access, study, row, data)
    return _view(session, row, study, data)


def compare_result(
    session: Session, *, actor: Actor, review_id: int, study_id: int, outcome_id: str
) -> ResultComparison:
    """The assessors' copies of a study's result compared item by item, with the consensus's
    value of each item and whether it is resolved (leads; a study's assessors when not blind)."""
    access = _access(session, actor, review_id)
    study = review_study(session, review_id, study_id)
    _check_outcome(access.protocol, outcome_id)
    takes_part = not access.blind and _assesses(session, access, study_id)
    check_comparison(COPIES, access, study, takes_part=takes_part, copies="risk-of-bias copies")
    rows = _result_copies(session, study_id, outcome_id)
    names = user_names(session, [r.assessor_id for r in rows if r.assessor_id is not None])
    data = _load(session, rows, {study_id: study.label})
    assessors, consensus = split_consensus(rows)
    copies = [data[r.id or 0] for r in assessors]
    comparison = _compare(copies)
    with_consensus = _compare([*copies, data[consensus.id or 0]]) if consensus else None
    return ResultComparison(
        study_id=study_id,
        study_label=study.label,
        outcome_id=outcome_id,
        columns=tuple(_column(r, names) for r in assessors),
        comparison=comparison,
        consensus=_column(consensus, names) if consensus else None,
        items=compared_items(comparison, with_consensus, decided=decided_keys(consensus)),
    )


def start_consensus(
    session: Session, *, actor: Actor, review_id: int, study_id: int, outcome_id: str
) -> AssessmentView:
    """The result's consensus copy (leads): made, the first time, of every item the complete
    assessor copies agree on; afterwards the copy as it stands."""
    access = _access(session, actor, review_id, at_least=Role.LEAD)
    study = review_study(session, review_id, study_id)
    _check_outcome(access.protocol, outcome_id)
    rows = _result_copies(session, study_id, outcome_id)
    _assessors, existing = split_consensus(rows)
    if existing is not None:
        return _view(session, existing, study)
    complete = start_sources(COPIES, rows, _result_name(study, outcome_id))
    copies = _load(session, complete, {study_id: study.label})
    tool = _tool_by_id(_one_tool(complete, study, outcome_id))
    start = agreed(
        [copies[r.id or 0] for r in complete],
        study=study.label,
        outcome_id=outcome_id,
        tool=tool.id,
        variant=_shared_variant([copies[r.id or 0] for r in complete]),
    )
    row = _insert_copy(session, study, outcome_id, slot=CONSENSUS_SLOT, assessor_id=None, tool=tool)
    row.updated_by_id = access.user_id
    _store(session, {row.id or 0: (row, start)}, access)
    after = {"from_slots": [r.slot for r in complete], "copy": _snapshot(start)}
    audit(session, COPIES, access, study, row, CopyAction.CONSENSUS_START, None, after)
    return _view(session, row, study, start)


def take_item(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    study_id: int,
    outcome_id: str,
    key: Sequence[str],
    from_appraisal_id: int,
) -> AssessmentView:
    """Copy one item (a comparison key: ``("judgement", "D1")`` with its support, ``("answer",
    "D1", "1.2")``, ``("overall",)``, ``("variant",)``) from an assessor's copy of the result into
    its consensus (leads; audited as ``appraisal.consensus_take``, one event per item changed)."""
    access = _access(session, actor, review_id, at_least=Role.LEAD)
    study = review_study(session, review_id, study_id)
    _check_outcome(access.protocol, outcome_id)
    rows = _result_copies(session, study_id, outcome_id)
    where = _result_name(study, outcome_id)
    source, consensus = take_source(COPIES, rows, from_appraisal_id, where)
    consensus, study = copy_row(session, COPIES, review_id, consensus.id or 0, lock=True)
    copies = _load(session, [consensus, source], {study_id: study.label})
    before = copies[consensus.id or 0]
    taken = take(before, copies[source.id or 0], tuple(key))
    tool = _tool_by_id(consensus.tool)
    proposed = _own(consensus, study, before, _tidy(taken))
    shared = _shared_of(session, consensus, study)
    where = copy_name(COPIES, consensus, study)
    _raise_problems(tool, proposed, shared, complete=is_complete(consensus), where=where)
    after = _cleaned(tool, proposed)
    decide(consensus, [tuple(key)])
    _store(session, {consensus.id or 0: (consensus, after)}, access)
    changes = _item_changes(before, after)
    took = {"item": list(key), "from_slot": source.slot}
    audit_changes(session, COPIES, access, study, consensus, changes, taken=took)
    return _view(session, consensus, study, after)


def read_copies(
    session: Session, *, actor: Actor, review_id: int, values: Values
) -> list[ResultAssessment]:
    """The review's assessments for export (leads): the consensus copies, or every copy ("all":
    per study and result the assessors' copies by slot, then the consensus); studies by label,
    results ALL_OUTCOMES first, then in the protocol's order."""
    access = _access(session, actor, review_id, at_least=Role.LEAD)
    check_values(values)
    studies = review_studies(session, review_id)
    labels = {s.id or 0: s.label for s in studies}
    rows = copies_of(session, COPIES, list(labels), consensus_only=values == "consensus")
    data = _load(session, rows, labels)
    outcomes = _outcome_order(access.protocol)
    export_order(
        rows, list(labels), lambda r: (outcomes.get(r.outcome_id, len(outcomes)), r.outcome_id)
    )
    return [data[r.id or 0] for r in rows]


def replace_copies(
    session: Session, *, actor: Actor, review_id: int, copies: Sequence[ResultAssessment]
) -> ReplacedCopies:
    """Replace whole copies (leads; the import of a file): each names its study by label, its
    result by outcome id (or ALL_OUTCOMES), its tool by id and its assessor by user name (None:
    the consensus); an assessor without a slot of the study gets a free one. Everything or
    nothing: every problem is listed in one :class:`AppraisalProblems`. Each copy is audited as
    ``appraisal.import`` with its content before and after."""
    access = _access(session, actor, review_id, at_least=Role.LEAD)
    studies = {same_label(s.label): s for s in review_studies(session, review_id)}
    members = member_ids(session, review_id)
    study_ids = [s.id for s in studies.values() if s.id is not None]
    slots = _slots_of(session, study_ids)
    rows = copies_of(session, COPIES, study_ids)
    labels = {s.id or 0: s.label for s in studies.values()}
    stored = _load(session, rows, labels)
    plan, problems = _import_plan(access, copies, studies, members, slots, rows, stored)
    if problems:
        raise AppraisalProblems(
            problems, summary=f"{len(problems)} problem(s) in the assessments; nothing was imported"
        )
    return _apply_import(session, access, plan, rows, stored, {s.id: s for s in studies.values()})


def rob_tables(
    session: Session, *, actor: Actor, review_id: int, outcome_id: str
) -> list[RobTable]:
    """The consensus assessments of one outcome as robvis tables, one per tool in use (RoB 2,
    then ROBINS-I): per study with a consensus copy for the outcome or for all outcomes, the
    effective domain judgements (the outcome's own copy over the copy for all outcomes) and the
    overall judgement (the outcome's own, else that of the copy for all outcomes). Weights are
    None until meta-analysis exists. Leads; everyone when assessment is not blind."""
    access = _access(session, actor, review_id)
    if not access.open_book:
        raise PermissionDeniedError(
            "the consensus assessments are for leads while risk-of-bias assessment is blind"
        )
    _check_outcome(access.protocol, outcome_id, all_allowed=False)
    studies = review_studies(session, review_id)
    labels = {s.id or 0: s.label for s in studies}
    rows = [
        r
        for r in copies_of(session, COPIES, list(labels), consensus_only=True)
        if r.outcome_id in (outcome_id, ALL_OUTCOMES)
    ]
    data = _load(session, rows, labels)
    by_study: dict[int, list[ResultAssessment]] = {}
    for row in rows:
        by_study.setdefault(row.study_id, []).append(data[row.id or 0])
    tables = []
    for tool in TOOLS.values():
        table_rows = [
            _rob_row(tool, labels[study_id], own, outcome_id)
            for study_id, copies in by_study.items()
            if (own := [c for c in copies if c.tool == tool.id])
        ]
        if table_rows:
            table_rows.sort(key=lambda r: (r.study.casefold(), r.study))
            variants = {
                c.variant for copies in by_study.values() for c in copies if c.tool == tool.id
            }
            tables.append(_rob_table(tool, table_rows, variants))
    return tables


def rob_table(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    outcome_id: str,
    tool_id: str | None = None,
) -> RobTable:
    """The table of :func:`rob_tables` for ``tool_id`` (None: the only tool in use); an empty
    table for a tool without assessments. Several tools in use and none named: a sentence
    naming them."""
    tables = rob_tables(session, actor=actor, review_id=review_id, outcome_id=outcome_id)
    if tool_id is None:
        if len(tables) > 1:
            raise ValidationError(
                f"outcome {outcome_id} is assessed with {', '.join(t.tool for t in tables)}; "
                "name the tool to plot"
            )
        return tables[0] if tables else _rob_table(next(iter(TOOLS.values())), [])
    tool = _tool_by_id(tool_id)
    return next((t for t in tables if t.tool == tool.name), _rob_table(tool, []))


def count_filled_assessments(session: Session, *, study_id: int) -> int:
    """How many copies of the study hold anything entered or are complete: a copy only opened
    (a slot claimed, nothing entered) is not an assessment. For services that checked the role."""
    rows = copies_of(session, COPIES, [study_id])
    data = _load(session, rows, {})
    return sum(_is_filled(data[row.id or 0]) for row in rows)


def _is_filled(data: ResultAssessment) -> bool:
    return bool(data.complete or data.domains or data.overall or data.overall_support)


# --- the study's tool ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Extracted:
    """What a study's consensus extraction says of its design: the ``design`` characteristic
    (text, matched to the protocol's ``[risk_of_bias]`` keys) and the design kind (crossover...)."""

    design: str | None = None
    kind: StudyDesign | None = None


def _tool_choice(session: Session, protocol: Protocol, study: Study) -> tuple[Tool | None, str]:
    extracted = _extracted_designs(session, [study.id or 0])
    return _tool_from(protocol, study, extracted.get(study.id or 0, _Extracted()))


def _study_tool(session: Session, protocol: Protocol, study: Study, outcome_id: str) -> Tool:
    """The tool of a new copy of the study's result: that of the result's existing copies (an
    assessor's copy made before the design was extracted keeps the others' company, else the
    consensus could not compare them), else the one for the study's design now."""
    stored = sorted({r.tool for r in _result_copies(session, study.id or 0, outcome_id)})
    if stored:
        return _tool_by_id(stored[0])
    tool, problem = _tool_choice(session, protocol, study)
    if tool is None:
        raise ValidationError(problem)
    return tool


def _tool_from(protocol: Protocol, study: Study, extracted: _Extracted) -> tuple[Tool | None, str]:
    """The tool for the study's design: the consensus extraction's design when the protocol names
    a tool for it, else the study's design; its version for the extracted design kind (RoB 2 for
    crossover trials); else (None, the sentence saying what to set)."""
    tools = {same_label(design): name for design, name in protocol.risk_of_bias.items()}
    for design in (extracted.design, study.design):
        name = tools.get(same_label(design)) if design else None
        if name is None:
            continue
        try:
            return tool_for_design(tool_for_protocol_name(name), extracted.kind), ""
        except ValidationError as error:
            return None, f"{study.label} ({design}): {error}"
    named = "; ".join(f"{design!r}" for design in protocol.risk_of_bias)
    found = f"its design is {study.design!r}" if study.design else "it has no design"
    return None, (
        f"{study.label}: {found}, and the protocol's [risk_of_bias] names a tool only for "
        f"{named}; set the study's design to one of these (Studies page)"
    )


def _extracted_designs(session: Session, study_ids: Sequence[int]) -> dict[int, _Extracted]:
    """Each study's consensus extraction's design characteristic and design kind, where it has
    a consensus extraction."""
    found: dict[int, _Extracted] = {}
    for chunk in id_chunks(study_ids):
        design_value = and_(
            col(ExtractionValue.extraction_id) == Extraction.id,
            col(ExtractionValue.field_id) == DESIGN_FIELD,
        )
        rows = session.exec(
            select(Extraction.study_id, ExtractionValue.value, Extraction.design_kind)
            .outerjoin(ExtractionValue, design_value)
            .where(col(Extraction.study_id).in_(chunk), Extraction.slot == CONSENSUS_SLOT)
        )
        found.update(
            {
                study_id: _Extracted(value, StudyDesign(kind) if kind else None)
                for study_id, value, kind in rows
            }
        )
    return found


def _tool_by_id(tool_id: str) -> Tool:
    try:
        return tool_by_id(tool_id)
    except ValidationError as error:
        raise ValidationError(
            f"this copy's risk-of-bias tool cannot be assessed here: {error}"
        ) from error


def _check_outcome(protocol: Protocol, outcome_id: str, *, all_allowed: bool = True) -> None:
    known = [o.id for o in protocol.outcomes]
    if outcome_id in known or (all_allowed and outcome_id == ALL_OUTCOMES):
        return
    allowed = ", ".join([*known, *([ALL_OUTCOMES] if all_allowed else [])])
    raise NotFoundError(
        f"outcome {outcome_id!r} is not an outcome of the protocol; allowed: {allowed}"
        + (f" ({ALL_OUTCOMES}: the same for all outcomes)" if all_allowed else "")
    )


def _outcome_order(protocol: Protocol) -> dict[str, int]:
    return {ALL_OUTCOMES: 0, **{o.id: i for i, o in enumerate(protocol.outcomes, 1)}}


# --- checking a copy ----------------------------------------------------------------------------


def _tidy(data: ResultAssessment) -> tuple[ResultAssessment, list[FieldProblem]]:
    """``data`` with texts trimmed, answers as :class:`Answer`, empty domains dropped; answers
    that are no answer at all are reported (the rules check the rest)."""
    problems: list[FieldProblem] = []
    domains = []
    for domain in data.domains:
        answers: dict[str, Answer] = {}
        for question, raw in domain.answers.items():
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            try:
                answers[str(question)] = Answer(str(raw).strip().upper())
            except ValueError:
                allowed = ", ".join(Answer)
                message = (
                    f"{domain.domain} {question}: {raw!r} is not an answer; allowed: {allowed}"
                )
                problems.append(FieldProblem(domain.domain, str(question), message))
        judgement = (domain.judgement or "").strip() or None
        support = (domain.support or "").strip()
        if answers or judgement or support:
            domains.append(DomainAssessment(domain.domain, answers, judgement, support))
    tidy = dataclasses.replace(
        data,
        variant=(data.variant or "").strip(),
        domains=tuple(domains),
        overall=(data.overall or "").strip() or None,
        overall_support=(data.overall_support or "").strip(),
    )
    return tidy, problems


def _own(
    row: Appraisal,
    study: Study,
    before: ResultAssessment,
    tidied: tuple[ResultAssessment, list[FieldProblem]],
) -> tuple[ResultAssessment, list[FieldProblem]]:
    """The tidied data as this copy's: its study, result, assessor, tool and status."""
    data, problems = tidied
    own = dataclasses.replace(
        data,
        study=study.label,
        outcome_id=row.outcome_id,
        assessor=before.assessor,
        tool=row.tool,
        complete=before.complete,
    )
    return own, problems


def _problems_of(
    tool: Tool, data: ResultAssessment, shared: ResultAssessment | None, complete: bool
) -> list[FieldProblem]:
    effective = assessment.effective_copy(data, shared)
    return [
        FieldProblem(p.where, p.field, p.message)
        for p in assessment.problems(tool, effective, complete=complete)
    ]


def _raise_problems(
    tool: Tool,
    proposed: tuple[ResultAssessment, list[FieldProblem]],
    shared: ResultAssessment | None,
    *,
    complete: bool,
    where: str,
) -> None:
    data, found = proposed
    found = [*found, *_problems_of(tool, data, shared, complete)]
    if found:
        state = "; it is complete, so it must stay complete" if complete else ""
        raise AppraisalProblems(
            found, summary=f"{where}: {len(found)} problem(s); nothing was saved{state}"
        )


def _cleaned(tool: Tool, proposed: tuple[ResultAssessment, list[FieldProblem]]) -> ResultAssessment:
    """The checked data with its domains in the tool's order (the triage first), the triage's
    judgement as its answers give it."""
    data = proposed[0]
    triage = (tool.triage,) if tool.triage else ()
    order = {d.id: i for i, d in enumerate((*triage, *tool.domains_for(data.variant)))}
    domains = sorted(data.domains, key=lambda d: order.get(d.domain, len(order)))
    return assessment.with_triage_judgement(tool, dataclasses.replace(data, domains=tuple(domains)))


# --- consensus ----------------------------------------------------------------------------------


def _item_key(change: tuple[str, ...]) -> tuple[str, ...]:
    """The comparison item (domain/appraisal/compare) a changed item belongs to: support goes
    with its judgement."""
    if change[0] == "support":
        return ("judgement", *change[1:])
    if change[0] == "overall_support":
        return ("overall",)
    return change


def _compare(copies: Sequence[ResultAssessment]) -> Comparison:
    """The copies compared; copies of different tools (a study's design changed between them)
    are a sentence, not a crash."""
    try:
        return compare(copies)
    except ValidationError as error:
        raise ConflictError(f"{error}") from error


def _column(row: Appraisal, names: Mapping[int, str]) -> CopyColumn:
    return CopyColumn(
        appraisal_id=row.id or 0,
        slot=row.slot,
        assessor_name=names.get(row.assessor_id) if row.assessor_id is not None else None,
        status=Status(row.status),
    )


def _one_tool(rows: Sequence[Appraisal], study: Study, outcome_id: str) -> str:
    tools = sorted({r.tool for r in rows})
    if len(tools) > 1:
        raise ConflictError(
            f"the complete copies of {_result_name(study, outcome_id)} use different tools "
            f"({', '.join(tools)}); an assessor reopens theirs with the study's tool"
        )
    return tools[0]


def _shared_variant(copies: Sequence[ResultAssessment]) -> str:
    """The variant the copies share; "" (the tool's default) when they differ (the lead takes
    one)."""
    variants = {copy.variant for copy in copies}
    return variants.pop() if len(variants) == 1 else ""


def _consensus_from(
    session: Session, access: CopyAccess, study: Study, source: Appraisal, data: ResultAssessment
) -> None:
    """With one assessor per study, the completed copy is its result's consensus."""
    row = _copy_at(session, study.id or 0, source.outcome_id, CONSENSUS_SLOT)
    labels = {study.id or 0: study.label}
    before = _load(session, [row], labels)[row.id or 0] if row else None
    if row is None:
        row = _insert_copy(
            session,
            study,
            source.outcome_id,
            slot=CONSENSUS_SLOT,
            assessor_id=None,
            tool=_tool_by_id(source.tool),
        )
    consensus = dataclasses.replace(data, assessor=None, complete=True)
    row.status = Status.COMPLETE
    _store(session, {row.id or 0: (row, consensus)}, access)
    snapshots = (_snapshot(before) if before else None, _snapshot(consensus))
    audit(session, COPIES, access, study, row, CopyAction.CONSENSUS_FROM_COPY, *snapshots)


# --- plots --------------------------------------------------------------------------------------


def _rob_row(tool: Tool, label: str, copies: Sequence[ResultAssessment], outcome_id: str) -> RobRow:
    own = next((c for c in copies if c.outcome_id == outcome_id), None)
    shared = next((c for c in copies if c.outcome_id == ALL_OUTCOMES), None)
    variant = own.variant if own else shared.variant if shared else ""
    domains = effective_domains(copies, outcome_id)
    if tool.triage and (ended := domains.get(tool.triage.id)) and ended.judgement:
        domains = {}  # a triage that ends the assessment: no domain is judged (robvis: empty)
    overall = own.overall if own and own.overall else shared.overall if shared else None
    return RobRow(
        study=label,
        judgements=tuple(
            domains[d.id].judgement if d.id in domains else None for d in tool.domains_for(variant)
        ),
        overall=overall,
        weight=None,
    )


def _rob_table(tool: Tool, rows: Sequence[RobRow], variants: Iterable[str] = ("",)) -> RobTable:
    """The table; a domain asked differently under the variants in use (RoB 2's Domain 2) is
    named by each variant's label ("... (effect of assignment) or ... (effect of adhering)")."""
    levels = (*tool.scale.levels, *tool.scale.unranked)
    in_use = sorted(set(variants)) or [""]
    names: dict[str, list[str]] = {}
    for variant in in_use:
        for d in tool.domains_for(variant):
            if d.label not in names.setdefault(d.id, []):
                names[d.id].append(d.label)
    return RobTable(
        tool=tool.name,
        domains=tuple(
            RobDomain(short=d.id, name=" or ".join(names[d.id])) for d in tool.domains_for(None)
        ),
        scale=tuple(Judgement(level.id, level.colour, level.symbol) for level in levels),
        rows=tuple(rows),
    )


# --- import -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Planned:
    study: Study
    assessor_id: int | None
    slot: int
    new_slot: bool  # the assessor's slot of the study is claimed by this import
    data: ResultAssessment


def _import_plan(
    access: CopyAccess,
    copies: Sequence[ResultAssessment],
    studies: Mapping[str, Study],
    members: Mapping[str, int],
    slots: Sequence[AppraisalSlot],
    rows: Sequence[Appraisal],
    stored: Mapping[int, ResultAssessment],
) -> tuple[list[_Planned], list[FieldProblem]]:
    """Each copy's study, assessor, slot (a free one for a new assessor) and checked data."""
    problems: list[FieldProblem] = []
    plan: list[_Planned] = []
    seen: set[tuple[int, str, int | None]] = set()
    taken: dict[int, dict[int, int]] = {}  # study -> assessor -> slot
    for claim in slots:
        taken.setdefault(claim.study_id, {})[claim.assessor_id] = claim.slot
    shared = _shared_copies(copies, rows, stored)
    for copy in copies:
        where = f"{copy.study}, {copy.outcome_id} ({copy.assessor or 'consensus'})"
        study = studies.get(same_label(copy.study or ""))
        user_id = members.get(copy.assessor) if copy.assessor is not None else None
        found = _import_problems(access, copy, study, user_id, shared)
        problems.extend(FieldProblem(where, p.field, p.message) for p in found)
        if found or study is None:
            continue
        key = (study.id or 0, copy.outcome_id, user_id)
        if key in seen:
            problems.append(FieldProblem(where, "", "given twice; give each copy once"))
            continue
        seen.add(key)
        study_slots = taken.setdefault(study.id or 0, {})
        slot = import_slot(access.per_study, study_slots, user_id)
        if slot is None:
            message = no_free_slot(COPIES, study, access.per_study)
            problems.append(FieldProblem(where, "assessor", message))
            continue
        new_slot = user_id is not None and user_id not in study_slots
        if user_id is not None:
            study_slots[user_id] = slot
        data = _cleaned(_tool_by_id(copy.tool), (dataclasses.replace(copy, study=study.label), []))
        plan.append(_Planned(study, user_id, slot, new_slot, data))
    return plan, problems


def _import_problems(
    access: CopyAccess,
    copy: ResultAssessment,
    study: Study | None,
    user_id: int | None,
    shared: Mapping[tuple[str, str | None], ResultAssessment],
) -> list[FieldProblem]:
    found: list[FieldProblem] = []
    if study is None:
        found.append(FieldProblem("", "study", f"no study labelled {copy.study!r} in this review"))
    if copy.assessor is not None and user_id is None:
        message = f"{copy.assessor!r} is not a member of this review"
        found.append(FieldProblem("", "assessor", message))
    try:
        _check_outcome(access.protocol, copy.outcome_id)
    except NotFoundError as error:
        found.append(FieldProblem("", "outcome", str(error)))
    try:
        tool = tool_by_id(copy.tool)
    except ValidationError as error:
        found.append(FieldProblem("", "tool", str(error)))
        return found
    tidy, answer_problems = _tidy(copy)
    found.extend(answer_problems)
    base = shared.get((same_label(copy.study or ""), copy.assessor))
    base = base if copy.outcome_id != ALL_OUTCOMES else None
    found.extend(_problems_of(tool, tidy, base, copy.complete))
    return found


def _shared_copies(
    copies: Sequence[ResultAssessment],
    rows: Sequence[Appraisal],
    stored: Mapping[int, ResultAssessment],
) -> dict[tuple[str, str | None], ResultAssessment]:
    """Per (study label key, assessor): the copy for all outcomes, the imported one over the
    stored one (what an imported outcome's copy takes its other domains from)."""
    found = {
        (same_label(stored[r.id or 0].study), stored[r.id or 0].assessor): stored[r.id or 0]
        for r in rows
        if r.outcome_id == ALL_OUTCOMES
    }
    for copy in copies:
        if copy.outcome_id == ALL_OUTCOMES:
            found[same_label(copy.study or ""), copy.assessor] = _tidy(copy)[0]
    return found


def _apply_import(
    session: Session,
    access: CopyAccess,
    plan: Sequence[_Planned],
    rows: Sequence[Appraisal],
    stored: Mapping[int, ResultAssessment],
    studies: Mapping[int | None, Study],
) -> ReplacedCopies:
    existing = {(r.study_id, r.outcome_id, r.slot): r for r in rows}
    pairs: list[tuple[Appraisal, ResultAssessment]] = []
    for item in plan:
        if item.new_slot and item.assessor_id is not None:
            session.add(
                AppraisalSlot(
                    study_id=item.study.id or 0, slot=item.slot, assessor_id=item.assessor_id
                )
            )
        row = existing.get((item.study.id or 0, item.data.outcome_id, item.slot)) or Appraisal(
            study_id=item.study.id or 0,
            outcome_id=item.data.outcome_id,
            slot=item.slot,
            assessor_id=item.assessor_id,
            tool=item.data.tool,
        )
        row.tool = item.data.tool
        row.status = Status.COMPLETE if item.data.complete else Status.IN_PROGRESS
        session.add(row)
        pairs.append((row, item.data))
    created = sum(row.id is None for row, _data in pairs)
    session.flush()
    targets = {row.id or 0: (row, data) for row, data in pairs}
    _store(session, targets, access)
    for copy_id, (row, data) in targets.items():
        old = stored.get(copy_id)
        snapshots = (_snapshot(old) if old else None, {**_snapshot(data), "tool": row.tool})
        audit(session, COPIES, access, studies[row.study_id], row, CopyAction.IMPORT, *snapshots)
    return ReplacedCopies(created=created, replaced=len(targets) - created)


# --- audit --------------------------------------------------------------------------------------


def _item_changes(before: ResultAssessment, after: ResultAssessment) -> Iterator[Change]:
    """:func:`_changes` as the audit names them: the kind, and the domain and question."""
    for key, old, new in _changes(before, after):
        yield key[0], dict(zip(("domain", "question"), key[1:], strict=False)), old, new


def _changes(
    before: ResultAssessment, after: ResultAssessment
) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    """(item key, value before, value after) for each item that differs. Keys: ("variant",),
    ("answer", domain, question), ("judgement", domain), ("support", domain), ("overall",),
    ("overall_support",)."""
    if before.variant != after.variant:
        yield ("variant",), before.variant, after.variant
    old_domains = {d.domain: d for d in before.domains}
    new_domains = {d.domain: d for d in after.domains}
    for domain_id in dict.fromkeys([*old_domains, *new_domains]):
        old = old_domains.get(domain_id) or DomainAssessment(domain_id)
        new = new_domains.get(domain_id) or DomainAssessment(domain_id)
        for question in dict.fromkeys([*old.answers, *new.answers]):
            old_answer, new_answer = old.answers.get(question), new.answers.get(question)
            if old_answer != new_answer:
                yield ("answer", domain_id, question), _str(old_answer), _str(new_answer)
        if old.judgement != new.judgement:
            yield ("judgement", domain_id), old.judgement, new.judgement
        if old.support != new.support:
            yield ("support", domain_id), old.support, new.support
    if before.overall != after.overall:
        yield ("overall",), before.overall, after.overall
    if before.overall_support != after.overall_support:
        yield ("overall_support",), before.overall_support, after.overall_support


def _str(answer: Answer | None) -> str | None:
    return str(answer) if answer is not None else None


def _snapshot(data: ResultAssessment) -> dict[str, Any]:
    """A whole copy as JSON (the audit of a start, an import or a copy made the consensus)."""
    return {
        "complete": data.complete,
        "variant": data.variant,
        "domains": [
            {
                "domain": d.domain,
                "answers": {q: str(a) for q, a in d.answers.items()},
                "judgement": d.judgement,
                "support": d.support,
            }
            for d in data.domains
        ],
        "overall": data.overall,
        "overall_support": data.overall_support,
    }


def _discrepancy_counts(
    session: Session, study: Study, rows: Sequence[Appraisal]
) -> dict[str, int]:
    """Per result of the study with two or more complete assessor copies of one tool: the
    items on which they differ."""
    compared = {
        outcome_id: copies
        for outcome_id, copies in complete_groups(rows, lambda row: row.outcome_id).items()
        if len({r.tool for r in copies}) == 1
    }
    if not compared:
        return {}
    data = _load(session, [r for copies in compared.values() for r in copies], {})
    return {
        outcome_id: len(compare([data[r.id or 0] for r in copies]).discrepancies)
        for outcome_id, copies in compared.items()
    }


def _result_progress(
    access: CopyAccess,
    outcome_id: str,
    rows: Sequence[Appraisal],
    mine: int | None,
    names: Mapping[int, str],
) -> ResultProgress:
    result = [r for r in rows if r.outcome_id == outcome_id]
    own = next((r for r in result if mine is not None and r.slot == mine), None)
    consensus = next((r for r in result if r.slot == CONSENSUS_SLOT), None)
    assessors = tuple(
        (names.get(r.assessor_id or 0, "?"), Status(r.status))
        for r in result
        if r.slot != CONSENSUS_SLOT
    )
    return ResultProgress(
        outcome_id=outcome_id,
        mine=Status(own.status) if own else None,
        assessors=assessors if access.open_book else (),
        consensus=Status(consensus.status) if consensus and access.open_book else None,
    )


# --- rows <-> copies ----------------------------------------------------------------------------


def _slots_of(session: Session, study_ids: Sequence[int]) -> list[AppraisalSlot]:
    rows: list[AppraisalSlot] = []
    for chunk in id_chunks(study_ids):
        rows.extend(
            session.exec(
                select(AppraisalSlot)
                .where(col(AppraisalSlot.study_id).in_(chunk))
                .order_by(col(AppraisalSlot.study_id), col(AppraisalSlot.slot))
            )
        )
    return rows


def _own_slot(session: Session, study_id: int, user_id: int) -> int | None:
    return session.exec(
        select(AppraisalSlot.slot).where(
            AppraisalSlot.study_id == study_id, AppraisalSlot.assessor_id == user_id
        )
    ).first()


def _result_copies(session: Session, study_id: int, outcome_id: str) -> list[Appraisal]:
    return [r for r in copies_of(session, COPIES, [study_id]) if r.outcome_id == outcome_id]


def _copy_at(session: Session, study_id: int, outcome_id: str, slot: int) -> Appraisal | None:
    return session.exec(
        select(Appraisal).where(
            Appraisal.study_id == study_id,
            Appraisal.outcome_id == outcome_id,
            Appraisal.slot == slot,
        )
    ).first()


def _shared_of(session: Session, row: Appraisal, study: Study) -> ResultAssessment | None:
    """The same owner's copy for all outcomes of the study (None for that copy itself)."""
    if row.outcome_id == ALL_OUTCOMES:
        return None
    shared = _copy_at(session, row.study_id, ALL_OUTCOMES, row.slot)
    if shared is None or shared.tool != row.tool:  # another tool's domains do not apply
        return None
    return _load(session, [shared], {study.id or 0: study.label})[shared.id or 0]


def _claim(session: Session, access: CopyAccess, study: Study, user_id: int) -> int:
    taken = [s.slot for s in _slots_of(session, [study.id or 0])]
    free = free_slot(COPIES, access, study, taken)
    session.add(AppraisalSlot(study_id=study.id or 0, slot=free, assessor_id=user_id))
    session.flush()
    return free


def _insert_copy(
    session: Session,
    study: Study,
    outcome_id: str,
    *,
    slot: int,
    assessor_id: int | None,
    tool: Tool,
) -> Appraisal:
    row = Appraisal(
        study_id=study.id or 0,
        outcome_id=outcome_id,
        slot=slot,
        assessor_id=assessor_id,
        tool=tool.id,
        updated_by_id=assessor_id,
    )
    session.add(row)
    session.flush()
    return row


def _domain_table() -> Table:
    return AppraisalDomain.__table__  # type: ignore[attr-defined]


def _load(
    session: Session, rows: Sequence[Appraisal], labels: Mapping[int, str]
) -> dict[int, ResultAssessment]:
    """Each copy as plain data, by copy id (one query per 500 copies for the domains)."""
    ids = [r.id for r in rows if r.id is not None]
    domains: dict[int, list[DomainAssessment]] = {}
    table = _domain_table()
    for chunk in id_chunks(ids):  # plain rows, not ORM objects: a review holds many thousands
        for row in session.execute(
            table.select().where(table.c.appraisal_id.in_(chunk)).order_by(table.c.position)
        ):
            domains.setdefault(row.appraisal_id, []).append(
                DomainAssessment(
                    domain=row.domain,
                    answers={q: Answer(a) for q, a in (row.answers or {}).items()},
                    judgement=row.judgement,
                    support=row.support,
                )
            )
    names = user_names(session, [r.assessor_id for r in rows if r.assessor_id is not None])
    return {
        row.id or 0: ResultAssessment(
            study=labels.get(row.study_id, ""),
            outcome_id=row.outcome_id,
            assessor=names.get(row.assessor_id) if row.assessor_id is not None else None,
            tool=row.tool,
            variant=row.variant,
            domains=tuple(domains.get(row.id or 0, [])),
            overall=row.overall,
            overall_support=row.overall_support,
            complete=row.status == Status.COMPLETE,
        )
        for row in rows
    }


def _store(
    session: Session, copies: Mapping[int, tuple[Appraisal, ResultAssessment]], access: CopyAccess
) -> None:
    """Replace the content of these copies (their rows already exist) with bulk statements."""
    table = _domain_table()
    for chunk in id_chunks(list(copies)):
        session.execute(delete(table).where(table.c.appraisal_id.in_(chunk)))
    domains: list[dict[str, Any]] = []
    for copy_id, (row, data) in copies.items():
        row.variant = data.variant
        row.overall = data.overall
        row.overall_support = data.overall_support
        touch(session, row, access, flush=False)
        domains.extend(
            {
                "appraisal_id": copy_id,
                "position": position,
                "domain": domain.domain,
                "answers": {q: str(a) for q, a in domain.answers.items()},
                "judgement": domain.judgement,
                "support": domain.support,
            }
            for position, domain in enumerate(data.domains)
        )
    session.flush()
    for start in range(0, len(domains), CHUNK * 10):
        session.execute(table.insert(), domains[start : start + CHUNK * 10])


def _view(
    session: Session, row: Appraisal, study: Study, data: ResultAssessment | None = None
) -> AssessmentView:
    labels = {study.id or 0: study.label}
    if data is None:
        data = _load(session, [row], labels)[row.id or 0]
    shared = _shared_of(session, row, study)
    tool = _tool_by_id(row.tool)
    effective = assessment.effective_copy(data, shared)
    names = user_names(session, [row.assessor_id] if row.assessor_id is not None else [])
    return AssessmentView(
        appraisal_id=row.id or 0,
        study_id=study.id or 0,
        study_label=study.label,
        outcome_id=row.outcome_id,
        slot=row.slot,
        assessor_id=row.assessor_id,
        assessor_name=names.get(row.assessor_id or 0),
        status=Status(row.status),
        updated_at=row.updated_at,
        tool=tool,
        data=data,
        shared=shared,
        proposals=assessment.proposals(tool, effective),
        overall_proposal=assessment.overall_proposal(tool, effective),
        triage=assessment.triage_proposal(tool, effective),
    )
