"""Data extraction: each study is extracted in copies, one per extractor, and a consensus copy.

The rules live here, not in the pages; the slots, blinding, audit and consensus mechanics it
shares with risk of bias are ``services/copy_slots.py``, given this stage's :data:`COPIES`:

- **Slots.** A member who opens a study for extraction claims a free slot 1..N, N being the
  protocol's ``[extraction] extractors_per_study`` (default 2); leads may extract too. When every
  slot is taken by others, a sentence says so. Only the review's studies (made on the Studies
  page from reports included at full text) are extracted.
- **Blinding** (``[extraction] blind``, default true). A reviewer sees and edits only their own
  copy; leads see every copy, the comparison and the consensus. When not blind, the extractors of
  a study may also read its other copies and their comparison. Only leads write the consensus.
  A blind reviewer's progress shows their own status and how many slots are taken, never another
  extractor's values or status.
- **Saves** replace a copy's content with a :class:`StudyExtraction` checked whole: the
  protocol's characteristics by type, arms unique by label with a valid role, results of the
  protocol's outcomes naming arms of the copy, with no impossible value
  (:func:`~review_app.domain.extraction.formats.check_result`). Every problem is listed in one
  :class:`ExtractionProblems` and nothing is written.
- **Audit.** Each changed item of a save is one event (entity ``extraction``, actions
  ``extraction.value``, ``.indirect_evidence``, ``.design``, ``.arm``, ``.result``, ``.status``,
  ``.claim``, ``.consensus_take``, ``.consensus_start``, ``.consensus_from_copy``, ``.import``)
  with the item's value before and after.
- **Consensus.** A lead starts it from the items the complete copies agree on
  (:func:`~review_app.domain.extraction.compare.agreed`), takes single items from a copy, or
  edits it like a copy. With one extractor per study, completing a copy makes it the consensus.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import Table, delete
from sqlmodel import Session, select

from review_app.domain.comparison import (
    ComparedItem,
    Comparison,
    ItemKey,
    WithConsensus,
    compared_items,
)
from review_app.domain.extraction.compare import agreed, compare, take
from review_app.domain.extraction.fields import check_characteristic, missing_required
from review_app.domain.extraction.formats import (
    DESIGN_FIELDS,
    Derived,
    check_design,
    check_result,
    derive,
)
from review_app.domain.extraction.model import Arm, Design, Result, StudyExtraction, same_label
from review_app.domain.vocabulary import ArmRole, EffectMeasure, ExtractionStatus, Role, StudyDesign
from review_app.errors import ExtractionProblems, FieldProblem, ValidationError
from review_app.models import (
    Extraction,
    ExtractionArm,
    ExtractionResult,
    ExtractionValue,
    Study,
)
from review_app.models.extraction import CONSENSUS_SLOT, MAX_ARM_LABEL, result_key_digest
from review_app.protocol import ExtractionField, Protocol
from review_app.services.copy_slots import (
    VALUES as VALUES,  # the callers read the choices here
)
from review_app.services.copy_slots import (
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
    check_write,
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
    is_own,
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

ResultKey = tuple[str, str, str, str, str, bool]  # Result.key

# --- views --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CopyView:
    """One copy as a page shows and edits it; ``derived`` holds, per result (``Result.key``),
    what the analysis gets from it and by which formulas."""

    extraction_id: int
    study_id: int
    study_label: str
    slot: int  # 0: the consensus; 1..N: an extractor's
    extractor_id: int | None
    extractor_name: str | None
    status: ExtractionStatus
    updated_at: datetime
    data: StudyExtraction
    derived: Mapping[ResultKey, Derived]

    @property
    def is_consensus(self) -> bool:
        return self.slot == CONSENSUS_SLOT


@dataclass(frozen=True, slots=True)
class StudyProgress:
    """Where one study's extraction stands, as much as the actor may know.

    ``extractors`` (name and status per extractor, by slot) and ``consensus`` are given to leads,
    and to everyone when extraction is not blind; ``discrepancies`` (items on which the complete
    extractor copies differ; None until two are complete) likewise.
    """

    study_id: int
    label: str
    record_ids: list[int]  # the study's reports, main report first
    slots: int  # extractors per study (protocol)
    taken: int  # extractor copies claimed
    mine: ExtractionStatus | None
    extractors: list[tuple[str, ExtractionStatus]]
    consensus: ExtractionStatus | None
    discrepancies: int | None


@dataclass(frozen=True, slots=True)
class CopyColumn:
    """Who one column of a comparison is."""

    extraction_id: int
    slot: int
    extractor_name: str | None  # None: the consensus
    status: ExtractionStatus


@dataclass(frozen=True, slots=True)
class StudyComparison(WithConsensus):
    """The extractors' copies of one study side by side, with the consensus."""

    study_id: int
    study_label: str
    columns: tuple[CopyColumn, ...]  # the extractors' copies, by slot
    comparison: Comparison  # the extractors' copies compared (agreement, discrepancies)
    consensus: CopyColumn | None
    items: tuple[ComparedItem, ...]  # the comparison's items, then those only the consensus has


# --- who may do what ----------------------------------------------------------------------------

COPIES = CopyStage(
    model=Extraction,
    entity="extraction",
    setting="extraction",
    per_study="extractors_per_study",
    person="extractor",
    kind="extraction",
    work="extraction",
    blind_work="extraction",
    own="copy",
    owner=attrgetter("extractor_id"),
    order=("study_id", "slot"),
    where=lambda row, study: study.label,
)


def _access(
    session: Session, actor: Actor, review_id: int, *, at_least: Role = Role.REVIEWER
) -> CopyAccess:
    return copy_access(session, COPIES, actor=actor, review_id=review_id, at_least=at_least)


def _extracts(access: CopyAccess, rows: Sequence[Extraction]) -> bool:
    """Whether the actor holds a slot of the study whose copies these are."""
    return any(is_own(COPIES, access, row) for row in rows)


# --- public functions ---------------------------------------------------------------------------


def list_progress(session: Session, *, actor: Actor, review_id: int) -> list[StudyProgress]:
    """Every study of the review by label, with the actor's own status and, when the actor may
    know them, the extractors', the consensus's and the discrepancies."""
    access = _access(session, actor, review_id)
    studies = review_studies(session, review_id)
    rows = copies_of(session, COPIES, [s.id for s in studies if s.id is not None])
    names = user_names(session, [r.extractor_id for r in rows if r.extractor_id is not None])
    reports = record_ids(session, [s.id for s in studies if s.id is not None])
    open_book = access.open_book
    counts = _discrepancy_counts(session, access, studies, rows) if open_book else {}
    progress = []
    for study in studies:
        assert study.id is not None
        extractors, consensus = split_consensus([r for r in rows if r.study_id == study.id])
        mine = next((r for r in extractors if is_own(COPIES, access, r)), None)
        progress.append(
            StudyProgress(
                study_id=study.id,
                label=study.label,
                record_ids=reports.get(study.id, []),
                slots=access.per_study,
                taken=len(extractors),
                mine=ExtractionStatus(mine.status) if mine else None,
                extractors=[
                    (names.get(r.extractor_id or 0, "?"), ExtractionStatus(r.status))
                    for r in extractors
                ]
                if open_book
                else [],
                consensus=ExtractionStatus(consensus.status) if consensus and open_book else None,
                discrepancies=counts.get(study.id),
            )
        )
    return progress


def open_copy(session: Session, *, actor: Actor, review_id: int, study_id: int) -> CopyView:
    """The actor's own copy of the study, claiming a free slot the first time (audited)."""
    access = _access(session, actor, review_id)
    user_id = copy_holder(actor.user_id, "extraction")
    study = review_study(session, review_id, study_id)

    def claim() -> Extraction:
        rows = copies_of(session, COPIES, [study_id])
        slot = free_slot(COPIES, access, study, [r.slot for r in rows if r.slot != CONSENSUS_SLOT])
        row = _insert_copy(session, study, slot=slot, extractor_id=user_id, access=access)
        audit(session, COPIES, access, study, row, CopyAction.CLAIM, None, {"slot": row.slot})
        return row

    row = claimed(
        session,
        COPIES,
        study,
        look=lambda: _own_copy(session, study_id, user_id),
        make=claim,
        attempts=access.per_study + 1,
    )
    return _view(session, row, study)


def get_copy(session: Session, *, actor: Actor, review_id: int, extraction_id: int) -> CopyView:
    """One copy: the actor's own; any for leads; a study's other copies for its extractors
    when extraction is not blind."""
    access = _access(session, actor, review_id)
    row, study = copy_row(session, COPIES, review_id, extraction_id)
    rows = copies_of(session, COPIES, [study.id or 0])
    check_read(COPIES, access, row, study, takes_part=_extracts(access, rows))
    return _view(session, row, study)


def save_copy(
    session: Session, *, actor: Actor, review_id: int, extraction_id: int, data: StudyExtraction
) -> CopyView:
    """Replace the copy's content with ``data`` (its ``study``, ``extractor`` and ``complete``
    are the copy's own and are not read: :func:`set_complete` changes the status).

    The copy's extractor saves their copy; leads save the consensus. ``data`` is checked whole:
    every problem is listed in one :class:`ExtractionProblems` and nothing is written. Each
    changed item is audited with its value before and after.
    """
    access = _access(session, actor, review_id)
    row, study = copy_row(session, COPIES, review_id, extraction_id)
    check_write(COPIES, access, row, study)
    clean = _checked(access.protocol, data)
    row, study = copy_row(session, COPIES, review_id, extraction_id, lock=True)
    before = _load(session, [row], {study.id or 0: study.label})[row.id or 0]
    after = dataclasses.replace(
        clean, study=study.label, extractor=before.extractor, complete=before.complete
    )
    if row.slot == CONSENSUS_SLOT:
        decide(row, _changed_keys(access.protocol, before, after))
    _store(session, {row.id or 0: (row, after)}, access)
    audit_changes(session, COPIES, access, study, row, _changes(before, after))
    if follows_one_copy(access, row, complete=after.complete):
        _consensus_from(session, access, study, after)  # the consensus follows the one copy
    return _view(session, row, study, after)


def set_complete(
    session: Session, *, actor: Actor, review_id: int, extraction_id: int, complete: bool
) -> CopyView:
    """Mark a copy complete (refused while a required characteristic is empty, naming it) or in
    progress again. With one extractor per study, a completed copy becomes the consensus (and
    a save of it while complete updates the consensus too)."""
    access = _access(session, actor, review_id)
    row, study = writable_copy(session, COPIES, access, review_id, extraction_id)
    data = _load(session, [row], {study.id or 0: study.label})[row.id or 0]
    if complete:
        _check_required(access.protocol, data, where=copy_name(COPIES, row, study))
    set_status(session, COPIES, access, study, row, complete=complete)
    data = dataclasses.replace(data, complete=complete)
    if follows_one_copy(access, row, complete=complete):
        _consensus_from(session, access, study, data)
    return _view(session, row, study, data)


def compare_study(
    session: Session, *, actor: Actor, review_id: int, study_id: int
) -> StudyComparison:
    """The extractors' copies of a study compared item by item, with the consensus's value of
    each item and whether it is resolved (leads; a study's extractors when not blind)."""
    access = _access(session, actor, review_id)
    study = review_study(session, review_id, study_id)
    rows = copies_of(session, COPIES, [study_id])
    check_comparison(COPIES, access, study, takes_part=_extracts(access, rows), copies="copies")
    names = user_names(session, [r.extractor_id for r in rows if r.extractor_id is not None])
    data = _load(session, rows, {study_id: study.label})
    extractors, consensus = split_consensus(rows)
    copies = [data[r.id or 0] for r in extractors]
    fields, outcomes = _form(access.protocol)
    comparison = compare(copies, fields=fields, outcomes=outcomes)
    with_consensus = (
        compare([*copies, data[consensus.id or 0]], fields=fields, outcomes=outcomes)
        if consensus
        else None
    )
    return StudyComparison(
        study_id=study_id,
        study_label=study.label,
        columns=tuple(_column(r, names) for r in extractors),
        comparison=comparison,
        consensus=_column(consensus, names) if consensus else None,
        items=compared_items(comparison, with_consensus, decided=decided_keys(consensus)),
    )


def start_consensus(session: Session, *, actor: Actor, review_id: int, study_id: int) -> CopyView:
    """The study's consensus copy (leads): made, the first time, of every item the complete
    extractor copies agree on; afterwards the copy as it stands."""
    access = _access(session, actor, review_id, at_least=Role.LEAD)
    study = review_study(session, review_id, study_id)
    rows = copies_of(session, COPIES, [study_id])
    _extractors, existing = split_consensus(rows)
    if existing is not None:
        return _view(session, existing, study)
    complete = start_sources(COPIES, rows, study.label)
    copies = _load(session, complete, {study_id: study.label})
    fields, _outcomes = _form(access.protocol)
    start = agreed([copies[r.id or 0] for r in complete], study=study.label, fields=fields)
    row = _insert_copy(session, study, slot=CONSENSUS_SLOT, extractor_id=None, access=access)
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
    key: Sequence[str],
    from_extraction_id: int,
) -> CopyView:
    """Copy one item (a comparison key) from an extractor's copy into the consensus (leads;
    audited as ``extraction.consensus_take``, one event per item it changed)."""
    access = _access(session, actor, review_id, at_least=Role.LEAD)
    study = review_study(session, review_id, study_id)
    rows = copies_of(session, COPIES, [study_id])
    source, consensus = take_source(COPIES, rows, from_extraction_id, study.label)
    consensus, study = copy_row(session, COPIES, review_id, consensus.id or 0, lock=True)
    copies = _load(session, [consensus, source], {study_id: study.label})
    before = copies[consensus.id or 0]
    after = _checked(access.protocol, take(before, copies[source.id or 0], tuple(key)))
    after = dataclasses.replace(after, study=study.label, extractor=None, complete=before.complete)
    decide(consensus, [tuple(key)])
    _store(session, {consensus.id or 0: (consensus, after)}, access)
    taken = {"item": list(key), "from_slot": source.slot}
    changes = _changes(before, after)
    audit_changes(session, COPIES, access, study, consensus, changes, taken=taken)
    return _view(session, consensus, study, after)


def read_copies(
    session: Session, *, actor: Actor, review_id: int, values: Values
) -> list[StudyExtraction]:
    """The review's extraction for export (leads): the consensus copies, or every copy
    ("all": per study the extractors' copies by slot, then the consensus), studies by label."""
    _access(session, actor, review_id, at_least=Role.LEAD)
    check_values(values)
    studies = review_studies(session, review_id)
    labels = {s.id or 0: s.label for s in studies}
    rows = copies_of(session, COPIES, list(labels), consensus_only=values == "consensus")
    data = _load(session, rows, labels)
    export_order(rows, list(labels))
    return [data[r.id or 0] for r in rows]


def replace_copies(
    session: Session, *, actor: Actor, review_id: int, copies: Sequence[StudyExtraction]
) -> ReplacedCopies:
    """Replace whole copies (leads; the import of a file): each names its study by label and
    its extractor by user name (None: the consensus); an extractor without a copy of the study
    gets a free slot. Everything or nothing: every problem is listed in one
    :class:`ExtractionProblems`. Each copy is audited as ``extraction.import`` with its content
    before and after."""
    access = _access(session, actor, review_id, at_least=Role.LEAD)
    studies = {same_label(s.label): s for s in review_studies(session, review_id)}
    members = member_ids(session, review_id)
    rows = copies_of(session, COPIES, [s.id for s in studies.values() if s.id is not None])
    plan, problems = _import_plan(access, copies, studies, members, rows)
    if problems:
        raise ExtractionProblems(
            problems, summary=f"{len(problems)} problem(s) in the extraction; nothing was imported"
        )
    existing = {(r.study_id, r.extractor_id): r for r in rows}
    replaced = [
        existing[key] for key in ((s.id, u) for s, u, _slot, _data in plan) if key in existing
    ]
    before = _load(session, replaced, {s.id or 0: s.label for s in studies.values()})
    pairs: list[tuple[Extraction, StudyExtraction]] = []
    for study, user_id, slot, data in plan:
        row = existing.get((study.id or 0, user_id)) or Extraction(
            study_id=study.id or 0, slot=slot, extractor_id=user_id
        )
        row.status = ExtractionStatus.COMPLETE if data.complete else ExtractionStatus.IN_PROGRESS
        session.add(row)
        pairs.append((row, data))
    created = sum(row.id is None for row, _data in pairs)
    session.flush()  # one round of inserts for the new copies
    targets = {row.id or 0: (row, data) for row, data in pairs}
    _store(session, targets, access)
    by_id = {s.id: s for s in studies.values()}
    for copy_id, (row, data) in targets.items():
        old = before.get(copy_id)
        snapshots = (_snapshot(old) if old else None, _snapshot(data))
        audit(session, COPIES, access, by_id[row.study_id], row, CopyAction.IMPORT, *snapshots)
    return ReplacedCopies(created=created, replaced=len(targets) - created)


def count_filled_copies(session: Session, *, study_id: int) -> int:
    """How many copies of the study hold anything entered or are complete: a copy only opened
    (a slot claimed, nothing typed) is not extraction. For services that checked the role."""
    rows = copies_of(session, COPIES, [study_id])
    data = _load(session, rows, {})
    return sum(_is_filled(data[row.id or 0]) for row in rows)


def _is_filled(data: StudyExtraction) -> bool:
    blank = StudyExtraction(study=data.study, extractor=data.extractor)
    return data != blank


# --- checking a copy ----------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.found: list[FieldProblem] = []

    def add(self, where: str, field: str, message: str) -> None:
        self.found.append(FieldProblem(where, field, message))


def _checked(protocol: Protocol, data: StudyExtraction) -> StudyExtraction:
    clean, problems = _check_copy(protocol, data)
    if problems:
        raise ExtractionProblems(problems)
    return clean


def _check_copy(
    protocol: Protocol, data: StudyExtraction
) -> tuple[StudyExtraction, list[FieldProblem]]:
    """``data`` in its stored form (trimmed, normalised), and everything wrong with it."""
    problems = _Problems()
    characteristics = _check_characteristics(protocol, data.characteristics, problems)
    design = _check_design(data.design, problems)
    arms = _check_arms(data.arms, problems)
    results = _check_results(protocol, data.results, arms, problems)
    clean = StudyExtraction(
        study=data.study,
        extractor=data.extractor,
        design=design,
        characteristics=characteristics,
        arms=tuple(arms.values()),
        results=tuple(results),
        complete=data.complete,
        indirect_evidence=(data.indirect_evidence or "").strip(),
    )
    return clean, problems.found


def _check_characteristics(
    protocol: Protocol, characteristics: Mapping[str, str], problems: _Problems
) -> dict[str, str]:
    fields = {field.id: field for field in protocol.extraction_fields}
    clean = {}
    for field_id, raw in characteristics.items():
        field = fields.get(field_id)
        if field is None:
            allowed = ", ".join(fields) or "none (the protocol has no extraction fields)"
            problems.add(
                "characteristics",
                field_id,
                f"not a field of the protocol's extraction form; allowed: {allowed}",
            )
            continue
        try:
            value = check_characteristic(field, raw if isinstance(raw, str) else str(raw))
        except ValidationError as error:
            problems.add("characteristics", field_id, str(error).removeprefix(f"{field.label}: "))
            continue
        if value is not None:
            clean[field_id] = value
    return {field.id: clean[field.id] for field in protocol.extraction_fields if field.id in clean}


def _check_design(design: Design, problems: _Problems) -> Design:
    kind = design.kind
    if kind is not None and kind not in tuple(StudyDesign):
        allowed = ", ".join(StudyDesign)
        problems.add("design", "kind", f"{kind!r} is not a study design; allowed: {allowed}")
        kind = None
    numbers: dict[str, float | None] = {}
    for name in DESIGN_FIELDS:
        value = getattr(design, name)
        if value is not None and not _is_number(value):
            problems.add("design", name, f"must be a number (got {value!r})")
            value = None
        numbers[name] = value
    clean = Design(
        kind=StudyDesign(kind) if kind is not None else None,
        note=(design.note or "").strip(),
        **numbers,
    )
    for problem in check_design(clean):
        problems.add("design", problem.field, problem.message)
    return clean


def _check_arms(arms: Sequence[Arm], problems: _Problems) -> dict[str, Arm]:
    """The arms by key (same_label), labels trimmed, in the order given."""
    clean: dict[str, Arm] = {}
    for position, arm in enumerate(arms, 1):
        label = (arm.label or "").strip()
        where = f"arm '{label}'" if label else f"arm {position}"
        role = arm.role if arm.role in tuple(ArmRole) else None
        if role is None:
            allowed = ", ".join(ArmRole)
            problems.add(where, "role", f"{arm.role!r} is not an arm role; allowed: {allowed}")
        randomised = arm.randomised
        if randomised is not None and not (_is_number(randomised) and randomised >= 0):
            problems.add(
                where, "randomised", f"must be a whole number of at least 0 (got {randomised!r})"
            )
        elif randomised is not None and randomised != int(randomised):
            problems.add(where, "randomised", f"must be a whole number (got {randomised:g})")
        if not label:
            problems.add(where, "label", "an arm needs a label, such as 'Placebo'")
            continue
        if len(label) > MAX_ARM_LABEL:
            problems.add(where, "label", f"{len(label)} characters; at most {MAX_ARM_LABEL}")
            continue
        twin = clean.get(same_label(label))
        if twin is not None:
            problems.add(
                where,
                "label",
                f"another arm is labelled '{twin.label}' (labels are compared ignoring case "
                "and spaces); give each arm its own label",
            )
            continue
        clean[same_label(label)] = Arm(
            label=label,
            role=ArmRole(role or ArmRole.INTERVENTION),
            description=(arm.description or "").strip(),
            randomised=int(randomised)
            if randomised is not None and _is_number(randomised)
            else None,
        )
    return clean


def _check_results(
    protocol: Protocol, results: Sequence[Result], arms: Mapping[str, Arm], problems: _Problems
) -> list[Result]:
    outcomes = {outcome.id: outcome for outcome in protocol.outcomes}
    clean: dict[ResultKey, Result] = {}
    for result in results:
        outcome = outcomes.get(result.outcome_id)
        where = _result_where(result, outcome.name if outcome else result.outcome_id)
        if outcome is None:
            allowed = ", ".join(outcomes)
            problems.add(
                where,
                "outcome",
                f"{result.outcome_id!r} is not an outcome of the protocol; allowed: {allowed}",
            )
            continue
        tidy = _tidy_result(result, arms, where, problems)
        if tidy is None:
            continue
        for problem in check_result(tidy, outcome_type=outcome.type):
            problems.add(where, problem.field, problem.message)
        if tidy.key in clean:
            problems.add(where, "", "entered twice: one result per outcome, time point and arm(s)")
            continue
        clean[tidy.key] = tidy
    return list(clean.values())


def _tidy_result(
    result: Result, arms: Mapping[str, Arm], where: str, problems: _Problems
) -> Result | None:
    """The result with its arms named as the copy's arms are, its measure as an EffectMeasure
    and only numeric values; None when something makes it uncheckable (reported)."""
    ok = True
    named: dict[str, str | None] = {}
    for field, label in (("arm", result.arm), ("comparator", result.comparator)):
        if label is None or not label.strip():  # no arm: check_result says so; no comparator
            named[field] = "" if field == "arm" else None  # (blank): an arm-level result
            continue
        arm = arms.get(same_label(label))
        if arm is None:
            problems.add(where, field, f"no arm labelled '{label}' in this copy; add the arm first")
            ok = False
        named[field] = arm.label if arm else label
    measure = result.measure
    if measure is not None and measure not in tuple(EffectMeasure):
        allowed = ", ".join(EffectMeasure)
        problems.add(where, "measure", f"{measure!r} is not an effect measure; allowed: {allowed}")
        ok = False
    for name, value in result.values.items():
        if not _is_number(value):
            problems.add(where, name, f"must be a number (got {value!r})")
            ok = False
    if not ok:
        return None
    return dataclasses.replace(
        result,
        timepoint=(result.timepoint or "").strip(),
        arm=named["arm"] or "",
        comparator=named["comparator"],
        measure=EffectMeasure(measure) if measure is not None else None,
        values={name: value for name, value in result.values.items()},
        note=(result.note or "").strip(),
    )


def _result_where(result: Result, outcome_name: str) -> str:
    """Where a result is, for people: "Pain intensity at '1 h', arm 'Kratom'"."""
    at = f" at '{result.timepoint.strip()}'" if (result.timepoint or "").strip() else ""
    if (result.comparator or "").strip():
        return f"{outcome_name}{at}, '{result.arm}' vs '{result.comparator}'"
    return f"{outcome_name}{at}, arm '{result.arm}'"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_required(protocol: Protocol, data: StudyExtraction, *, where: str) -> None:
    missing = missing_required(protocol.extraction_fields, data.characteristics)
    if missing:
        raise ExtractionProblems(
            [
                FieldProblem("characteristics", field.id, f"{field.label} is required")
                for field in missing
            ],
            summary=f"{where} cannot be marked complete: {len(missing)} required field(s) empty "
            f"({', '.join(field.label for field in missing)}); it stays in progress",
        )


# --- rows <-> copies ----------------------------------------------------------------------------


def _own_copy(session: Session, study_id: int, user_id: int) -> Extraction | None:
    return session.exec(
        select(Extraction).where(
            Extraction.study_id == study_id, Extraction.extractor_id == user_id
        )
    ).first()


def _insert_copy(
    session: Session, study: Study, *, slot: int, extractor_id: int | None, access: CopyAccess
) -> Extraction:
    row = Extraction(
        study_id=study.id or 0, slot=slot, extractor_id=extractor_id, updated_by_id=access.user_id
    )
    session.add(row)
    session.flush()
    return row


def _load(
    session: Session, rows: Sequence[Extraction], labels: Mapping[int, str]
) -> dict[int, StudyExtraction]:
    """Each copy as plain data, by copy id (four queries per 500 copies)."""
    ids = [r.id for r in rows if r.id is not None]
    values: dict[int, dict[str, str]] = {}
    arms: dict[int, list[Arm]] = {}
    results: dict[int, list[Result]] = {}
    value_table, arm_table, result_table = _content_tables()
    for chunk in id_chunks(ids):  # plain rows, not ORM objects: a review holds many thousands
        for copy_id, field_id, value in session.execute(
            select(value_table.c.extraction_id, value_table.c.field_id, value_table.c.value).where(
                value_table.c.extraction_id.in_(chunk)
            )
        ):
            values.setdefault(copy_id, {})[field_id] = value
        for arm in session.execute(
            arm_table.select()
            .where(arm_table.c.extraction_id.in_(chunk))
            .order_by(arm_table.c.position)
        ):
            arms.setdefault(arm.extraction_id, []).append(_arm_of(arm))
        for result in session.execute(
            result_table.select()
            .where(result_table.c.extraction_id.in_(chunk))
            .order_by(result_table.c.position)
        ):
            results.setdefault(result.extraction_id, []).append(_result_of(result))
    names = user_names(session, [r.extractor_id for r in rows if r.extractor_id is not None])
    return {
        row.id or 0: StudyExtraction(
            study=labels.get(row.study_id, ""),
            extractor=names.get(row.extractor_id) if row.extractor_id is not None else None,
            design=Design(
                kind=StudyDesign(row.design_kind) if row.design_kind else None,
                mean_cluster_size=row.mean_cluster_size,
                icc=row.icc,
                crossover_correlation=row.crossover_correlation,
                note=row.design_note,
            ),
            characteristics=values.get(row.id or 0, {}),
            arms=tuple(arms.get(row.id or 0, [])),
            results=tuple(results.get(row.id or 0, [])),
            complete=row.status == ExtractionStatus.COMPLETE,
            indirect_evidence=row.indirect_evidence,
        )
        for row in rows
    }


def _content_tables() -> tuple[Table, Table, Table]:
    """The tables of a copy's content: characteristics, arms, results."""
    return (
        ExtractionValue.__table__,  # type: ignore[attr-defined]
        ExtractionArm.__table__,  # type: ignore[attr-defined]
        ExtractionResult.__table__,  # type: ignore[attr-defined]
    )


def _arm_of(row: Any) -> Arm:
    """An arm from a row of the extractionarm table."""
    return Arm(
        label=row.label,
        role=ArmRole(row.role),
        description=row.description,
        randomised=row.randomised,
    )


def _result_of(row: Any) -> Result:
    """A result from a row of the extractionresult table."""
    return Result(
        outcome_id=row.outcome_id,
        timepoint=row.timepoint,
        arm=row.arm,
        format=row.format,
        values=dict(row.values),
        comparator=row.comparator,
        measure=EffectMeasure(row.measure) if row.measure else None,
        adjusted=row.adjusted,
        note=row.note,
    )


def _store(
    session: Session, copies: Mapping[int, tuple[Extraction, StudyExtraction]], access: CopyAccess
) -> None:
    """Replace the content of these copies (their rows already exist) with bulk statements."""
    tables = _content_tables()
    for chunk in id_chunks(list(copies)):
        for table in tables:
            session.execute(delete(table).where(table.c.extraction_id.in_(chunk)))
    values: list[dict[str, Any]] = []
    arms: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for copy_id, (row, data) in copies.items():
        _set_design(row, data)
        touch(session, row, access, flush=False)
        values.extend(
            {"extraction_id": copy_id, "field_id": field_id, "value": value}
            for field_id, value in data.characteristics.items()
        )
        arms.extend(_arm_row(copy_id, position, arm) for position, arm in enumerate(data.arms))
        results.extend(
            _result_row(copy_id, position, result) for position, result in enumerate(data.results)
        )
    session.flush()
    for table, rows in zip(tables, (values, arms, results), strict=True):
        for start in range(0, len(rows), CHUNK * 10):
            session.execute(table.insert(), rows[start : start + CHUNK * 10])


def _set_design(row: Extraction, data: StudyExtraction) -> None:
    row.design_kind = data.design.kind
    row.mean_cluster_size = data.design.mean_cluster_size
    row.icc = data.design.icc
    row.crossover_correlation = data.design.crossover_correlation
    row.design_note = data.design.note
    row.indirect_evidence = data.indirect_evidence


def _arm_row(copy_id: int, position: int, arm: Arm) -> dict[str, Any]:
    return {
        "extraction_id": copy_id,
        "position": position,
        "label": arm.label,
        "role": str(arm.role),
        "description": arm.description,
        "randomised": arm.randomised,
    }


def _result_row(copy_id: int, position: int, result: Result) -> dict[str, Any]:
    return {
        "extraction_id": copy_id,
        "position": position,
        "result_key": result_key_digest(result),
        "outcome_id": result.outcome_id,
        "timepoint": result.timepoint,
        "arm": result.arm,
        "comparator": result.comparator,
        "format": result.format,
        "values": dict(result.values),
        "measure": str(result.measure) if result.measure is not None else None,
        "adjusted": result.adjusted,
        "note": result.note,
    }


def _view(
    session: Session, row: Extraction, study: Study, data: StudyExtraction | None = None
) -> CopyView:
    if data is None:
        data = _load(session, [row], {study.id or 0: study.label})[row.id or 0]
    names = user_names(session, [row.extractor_id] if row.extractor_id is not None else [])
    return CopyView(
        extraction_id=row.id or 0,
        study_id=study.id or 0,
        study_label=study.label,
        slot=row.slot,
        extractor_id=row.extractor_id,
        extractor_name=names.get(row.extractor_id or 0),
        status=ExtractionStatus(row.status),
        updated_at=row.updated_at,
        data=data,
        derived={result.key: derive(result, design=data.design) for result in data.results},
    )


def _column(row: Extraction, names: Mapping[int, str]) -> CopyColumn:
    return CopyColumn(
        extraction_id=row.id or 0,
        slot=row.slot,
        extractor_name=names.get(row.extractor_id) if row.extractor_id is not None else None,
        status=ExtractionStatus(row.status),
    )


# --- consensus ----------------------------------------------------------------------------------


def _form(protocol: Protocol) -> tuple[Sequence[ExtractionField], dict[str, str]]:
    """The protocol's characteristics fields and outcome names, for labelling comparisons."""
    return protocol.extraction_fields, {o.id: o.name for o in protocol.outcomes}


def _changed_keys(
    protocol: Protocol, before: StudyExtraction, after: StudyExtraction
) -> list[ItemKey]:
    fields, outcomes = _form(protocol)
    return [
        row.item.key
        for row in compare([before, after], fields=fields, outcomes=outcomes).discrepancies
    ]


def _consensus_from(
    session: Session, access: CopyAccess, study: Study, data: StudyExtraction
) -> None:
    """With one extractor per study, the completed copy is the consensus (made or replaced)."""
    _extractors, row = split_consensus(copies_of(session, COPIES, [study.id or 0]))
    labels = {study.id or 0: study.label}
    before = _load(session, [row], labels)[row.id or 0] if row else None
    if row is None:
        row = _insert_copy(session, study, slot=CONSENSUS_SLOT, extractor_id=None, access=access)
    consensus = dataclasses.replace(data, extractor=None, complete=True)
    row.status = ExtractionStatus.COMPLETE
    _store(session, {row.id or 0: (row, consensus)}, access)
    snapshots = (_snapshot(before) if before else None, _snapshot(consensus))
    audit(session, COPIES, access, study, row, CopyAction.CONSENSUS_FROM_COPY, *snapshots)


# --- import -------------------------------------------------------------------------------------


def _import_plan(
    access: CopyAccess,
    copies: Sequence[StudyExtraction],
    studies: Mapping[str, Study],
    members: Mapping[str, int],
    rows: Sequence[Extraction],
) -> tuple[list[tuple[Study, int | None, int, StudyExtraction]], list[FieldProblem]]:
    """Each copy's study, extractor and slot (a free one for a new extractor), checked data."""
    problems: list[FieldProblem] = []
    plan: list[tuple[Study, int | None, int, StudyExtraction]] = []
    seen: set[tuple[int, int | None]] = set()
    slots: dict[int, dict[int | None, int]] = {}
    for row in rows:
        slots.setdefault(row.study_id, {})[row.extractor_id] = row.slot
    for copy in copies:
        where = f"{copy.study} ({copy.extractor or 'consensus'})"
        study = studies.get(same_label(copy.study or ""))
        user_id = members.get(copy.extractor) if copy.extractor is not None else None
        if study is None:
            problems.append(
                FieldProblem(where, "study", f"no study labelled {copy.study!r} in this review")
            )
        if copy.extractor is not None and user_id is None:
            problems.append(
                FieldProblem(
                    where, "extractor", f"{copy.extractor!r} is not a member of this review"
                )
            )
        clean, found = _check_copy(access.protocol, copy)
        problems.extend(FieldProblem(f"{where}, {p.where}", p.field, p.message) for p in found)
        if clean.complete:
            missing = missing_required(access.protocol.extraction_fields, clean.characteristics)
            problems.extend(
                FieldProblem(where, field.id, f"{field.label} is required in a complete copy")
                for field in missing
            )
        if study is None or (copy.extractor is not None and user_id is None):
            continue
        taken = slots.setdefault(study.id or 0, {})
        if (study.id or 0, user_id) in seen:
            problems.append(FieldProblem(where, "", "given twice; give each copy once"))
            continue
        seen.add((study.id or 0, user_id))
        slot = import_slot(access.per_study, taken, user_id)
        if slot is None:
            message = no_free_slot(COPIES, study, access.per_study)
            problems.append(FieldProblem(where, "extractor", message))
            continue
        taken[user_id] = slot
        data = dataclasses.replace(clean, study=study.label, extractor=copy.extractor)
        plan.append((study, user_id, slot, data))
    return plan, problems


# --- audit --------------------------------------------------------------------------------------


def _changes(
    before: StudyExtraction, after: StudyExtraction
) -> Iterator[tuple[str, dict[str, Any], Any, Any]]:
    """(kind, which item, value before, value after) for each item that differs."""
    for field_id in dict.fromkeys([*before.characteristics, *after.characteristics]):
        old, new = before.characteristics.get(field_id), after.characteristics.get(field_id)
        if old != new:
            yield "value", {"field": field_id}, old, new
    if before.indirect_evidence != after.indirect_evidence:
        yield "indirect_evidence", {}, before.indirect_evidence, after.indirect_evidence
    for attribute in ("kind", "mean_cluster_size", "icc", "crossover_correlation", "note"):
        old, new = getattr(before.design, attribute), getattr(after.design, attribute)
        if old != new:
            yield "design", {"attribute": attribute}, old, new
    old_arms = {arm.key: arm for arm in before.arms}
    new_arms = {arm.key: arm for arm in after.arms}
    for arm_key in dict.fromkeys([*old_arms, *new_arms]):
        old_arm, new_arm = old_arms.get(arm_key), new_arms.get(arm_key)
        if old_arm != new_arm:
            label = new_arm.label if new_arm else old_arm.label if old_arm else arm_key
            yield "arm", {"arm": label}, _arm_json(old_arm), _arm_json(new_arm)
    old_results = {result.key: result for result in before.results}
    new_results = {result.key: result for result in after.results}
    for result_key in dict.fromkeys([*old_results, *new_results]):
        old_result, new_result = old_results.get(result_key), new_results.get(result_key)
        if _result_json(old_result) != _result_json(new_result):
            yield (
                "result",
                {"result": list(result_key)},
                _result_json(old_result),
                _result_json(new_result),
            )


def _arm_json(arm: Arm | None) -> dict[str, Any] | None:
    if arm is None:
        return None
    return {
        "label": arm.label,
        "role": str(arm.role),
        "description": arm.description,
        "randomised": arm.randomised,
    }


def _result_json(result: Result | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {
        "outcome_id": result.outcome_id,
        "timepoint": result.timepoint,
        "arm": result.arm,
        "comparator": result.comparator,
        "format": result.format,
        "values": dict(result.values),
        "measure": str(result.measure) if result.measure is not None else None,
        "adjusted": result.adjusted,
        "note": result.note,
    }


def _snapshot(data: StudyExtraction) -> dict[str, Any]:
    """A whole copy as JSON (the audit of a start, an import or a copy made the consensus)."""
    design = {
        "kind": str(data.design.kind) if data.design.kind else None,
        "mean_cluster_size": data.design.mean_cluster_size,
        "icc": data.design.icc,
        "crossover_correlation": data.design.crossover_correlation,
        "note": data.design.note,
    }
    return {
        "complete": data.complete,
        "indirect_evidence": data.indirect_evidence,
        "design": design,
        "characteristics": dict(data.characteristics),
        "arms": [_arm_json(arm) for arm in data.arms],
        "results": [_result_json(result) for result in data.results],
    }


def _discrepancy_counts(
    session: Session, access: CopyAccess, studies: Sequence[Study], rows: Sequence[Extraction]
) -> dict[int, int]:
    """Per study with two or more complete extractor copies: the items on which they differ."""
    compared = complete_groups(rows, lambda row: row.study_id)
    if not compared:
        return {}
    labels = {s.id or 0: s.label for s in studies}
    data = _load(session, [r for copies in compared.values() for r in copies], labels)
    fields, outcomes = _form(access.protocol)
    return {
        study_id: len(
            compare(
                [data[r.id or 0] for r in copies], fields=fields, outcomes=outcomes
            ).discrepancies
        )
        for study_id, copies in compared.items()
    }
