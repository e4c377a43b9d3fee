"""GRADE: per protocol outcome, the certainty of the evidence judged in copies, one per judge and
a final one, and the Summary-of-Findings table built from the finals and published.

The rules live here, not in the pages, as for risk of bias (``services/appraisal.py``); the
rows, slots and audit are ``services/grade_copies.py``, the checks of a content
``services/grade_checks.py``, the evidence ``services/grade_evidence.py``, the suggestions
``domain/grade/rules.py`` and the table ``domain/grade/sof.py``.

- **Who judges.** Leads; and every member once extraction and risk of bias are both not blind
  (the protocol's ``[extraction] blind`` and ``[appraisal] blind``): the judgements rest on
  their consensus, which is the leads' while either is blind.
- **Copies.** A judge's first save claims a free slot 1..N of the outcome, N being the
  protocol's ``[grade] judges_per_outcome`` (default 2); when every slot is taken by others a
  sentence says so. Leads write the final copy (slot 0), which the table is built from.
- **Blinding** (``[grade] blind``, default true). A judge reads only their own copy; leads read
  every copy, the comparison and the final. When not blind, the judges of an outcome may also
  read its other copies, their comparison and the final. Everyone reads the table once a lead
  publishes it (:func:`published`).
- **Saves** replace a copy's content, checked whole against the evidence it chooses: a rating a
  domain does not take, a saved analysis that is not the outcome's, a comparator risk outside
  0-1,000, and a rating that moves certainty or overrides the suggestion without an explanation
  (``needs_explanation``) are listed in one :class:`GradeProblems` by outcome and domain, and
  nothing is written. A complete copy rates every domain that rates certainty down.
- **Audit.** Each changed item is one event (entity ``grade``, actions ``grade.source``,
  ``.analysis``, ``.narrative``, ``.indirect``, ``.rating``, ``.explanation``, ``.baselines``,
  ``.comments``, ``.statement``, ``.status``, ``.take``, ``.publish``) with its value before and
  after.
- **Final.** A lead edits it like a copy or takes single items from a judge's copy
  (:func:`take`); with one judge per outcome, completing a copy makes it the final (audited as
  ``grade.take`` of each changed item, the item taken being the whole copy).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import Session, col, select

from review_app.domain.comparison import (
    ComparedItem,
    Comparison,
    WithConsensus,
    compared_items,
)
from review_app.domain.grade import content as items
from review_app.domain.grade.content import (
    check_item,
    content_to_dict,
    tidy,
)
from review_app.domain.grade.model import (
    Certainty,
    GradeContent,
    GradeDomain,
    OutcomeEvidence,
    OutcomeGrade,
    SofTable,
    Suggestion,
)
from review_app.domain.grade.sof import (
    build_table,
    outcome_order,
    table_from_dict,
    table_to_dict,
)
from review_app.domain.vocabulary import ExtractionStatus, Role, is_lead
from review_app.errors import (
    FieldProblem,
    NotFoundError,
    PermissionDeniedError,
)
from review_app.models import GradeAssessment, SofPublication, utcnow
from review_app.models.synthesis import FINAL_SLOT
from review_app.protocol import Protocol
from review_app.protocol.model import Outcome
from review_app.services import grade_checks as checks
from review_app.services import grade_copies as copies
from review_app.services.audit import record_event
from review_app.services.copy_slots import decide, decided_keys
from review_app.services.grade_copies import GradeAction, Writer
from review_app.services.grade_evidence import analyses_for
from review_app.services.permissions import Actor, require_role
from review_app.services.reviews import get_protocol
from review_app.services.study_copies import copy_holder, user_names

GradeProblems = checks.GradeProblems  # what a save, a completion or a publication refuses with
Status = ExtractionStatus  # a copy is in progress or complete, as a risk-of-bias copy is
WHOLE_COPY = "copy"  # the item a one-judge final takes: the judge's whole copy


# --- views --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JudgeColumn:
    """One copy of an outcome: a judge's (slot >= 1) or the final (slot 0, no judge)."""

    assessment_id: int
    slot: int
    judge_id: int | None
    judge_name: str | None
    status: Status
    certainty: Certainty | None


@dataclass(frozen=True, slots=True)
class OutcomeView:
    """One protocol outcome as a page shows it to the actor.

    ``content`` is the copy the view is built around (the final for :func:`outcome_view`'s
    ``final=True``, else the actor's own copy; what the page proposes, ``default_content``, when
    that copy does not exist yet); ``evidence``, ``suggestions``, ``start`` and ``grade`` are
    computed from it (from the proposed evidence when that of ``content`` cannot be read any
    more, ``evidence_problem`` saying why: its saved analysis was renamed or deleted).
    ``final`` and ``final_grade`` (the final's content and what it gives; the proposal when
    there is no final yet) and ``judges`` are given to leads, and to the outcome's judges when
    GRADE is not blind; None and () otherwise.
    """

    outcome_id: str
    name: str
    importance: str
    is_final: bool
    content: GradeContent
    evidence: OutcomeEvidence
    suggestions: Mapping[GradeDomain, Suggestion]
    start: Certainty | None
    grade: OutcomeGrade
    own: GradeContent | None
    own_status: Status | None
    own_slot: int | None
    final: GradeContent | None
    final_status: Status | None
    final_grade: OutcomeGrade | None
    judges: tuple[JudgeColumn, ...]
    slots: int  # judges per outcome (protocol)
    taken: int  # judges' slots claimed
    analyses: tuple[str, ...]  # the outcome's saved analyses, by name
    evidence_problem: str = ""  # why the evidence ``content`` chooses cannot be read ("": it can)


@dataclass(frozen=True, slots=True)
class GradeComparison(WithConsensus):
    """The judges' copies of one outcome side by side, with the final."""

    outcome_id: str
    name: str
    columns: tuple[JudgeColumn, ...]  # the judges' copies, by slot
    comparison: Comparison  # the judges' copies compared (agreement, discrepancies)
    final: JudgeColumn | None
    items: tuple[ComparedItem, ...]  # the comparison's items, then those only the final has


# --- who may do what ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Access:
    actor: Actor
    lead: bool
    protocol: Protocol

    @property
    def user_id(self) -> int | None:
        return self.actor.user_id

    @property
    def writer(self) -> Writer:
        return Writer(self.actor.user_id, self.protocol.grade.judges_per_outcome)

    @property
    def blind(self) -> bool:
        return self.protocol.grade.blind


def _access(
    session: Session, actor: Actor, review_id: int, *, at_least: Role = Role.REVIEWER
) -> _Access:
    """The actor, once they may judge: leads; every member when extraction and risk of bias
    are both not blind."""
    role = require_role(session, actor=actor, review_id=review_id, at_least=at_least)
    protocol = get_protocol(session, review_id)
    lead = is_lead(role)
    blind = [
        f"[{name}] blind"
        for name, settings in (
            ("extraction", protocol.extraction),
            ("appraisal", protocol.appraisal),
        )
        if settings.blind
    ]
    if not lead and blind:
        verb = "is" if len(blind) == 1 else "are"
        raise PermissionDeniedError(
            "GRADE judges the consensus extraction and risk of bias, which are for leads while "
            f"the protocol's {' and '.join(blind)} {verb} true; judges are leads until both are "
            "not blind; your role is reviewer"
        )
    return _Access(actor, lead, protocol)


def _reads_all(access: _Access, rows: Sequence[GradeAssessment]) -> bool:
    """Whether the actor reads the outcome's other copies, their comparison and the final:
    leads; the outcome's judges when GRADE is not blind."""
    return access.lead or (not access.blind and copies.own_of(rows, access.user_id) is not None)


def _check_reads_all(access: _Access, rows: Sequence[GradeAssessment], outcome: Outcome) -> None:
    if _reads_all(access, rows):
        return
    if access.blind:
        raise PermissionDeniedError(
            f"the judges' copies and the final judgements of {outcome.name} are for leads while "
            "GRADE is blind (the protocol's [grade] blind); each judge sees only their own copy, "
            "and everyone reads the Summary-of-Findings table once a lead publishes it"
        )
    raise PermissionDeniedError(
        f"the copies of {outcome.name} are open to its judges (save your judgements of it "
        "first) and to leads"
    )


def _check_lead(access: _Access, what: str) -> None:
    if not access.lead:
        raise PermissionDeniedError(f"only leads {what}; your role is reviewer")


def _outcome(protocol: Protocol, outcome_id: str) -> Outcome:
    found = next((o for o in protocol.outcomes if o.id == outcome_id), None)
    if found is None:
        allowed = ", ".join(o.id for o in protocol.outcomes)
        raise NotFoundError(f"no outcome '{outcome_id}' in the protocol; its outcomes: {allowed}")
    return found


# --- public functions: judging ------------------------------------------------------------------


def list_outcomes(session: Session, *, actor: Actor, review_id: int) -> list[OutcomeView]:
    """Every protocol outcome, critical first, as :func:`outcome_view` shows it around the
    actor's own copy."""
    access = _access(session, actor, review_id)
    return [
        _view(session, access, review_id, outcome, final=False)
        for outcome in outcome_order(access.protocol.outcomes)
    ]


def outcome_view(
    session: Session, *, actor: Actor, review_id: int, outcome_id: str, final: bool = False
) -> OutcomeView:
    """One outcome around the actor's own copy, or around the final (``final``: leads, and the
    outcome's judges when GRADE is not blind)."""
    access = _access(session, actor, review_id)
    outcome = _outcome(access.protocol, outcome_id)
    if final:
        _check_reads_all(access, copies.outcome_copies(session, review_id, outcome_id), outcome)
    return _view(session, access, review_id, outcome, final=final)


def save_content(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    outcome_id: str,
    content: GradeContent,
    final: bool = False,
) -> OutcomeView:
    """Replace the actor's own copy of the outcome with ``content`` (claiming a free slot the
    first time), or the final (``final``: leads). Checked whole (a complete copy must stay
    complete): every problem in one :class:`GradeProblems`, nothing written. Each changed item
    is audited."""
    access = _access(session, actor, review_id)
    outcome = _outcome(access.protocol, outcome_id)
    if final:
        _check_lead(access, f"edit the final judgements of {outcome.name}")
    else:
        copy_holder(access.user_id, "GRADE")
    rows = copies.outcome_copies(session, review_id, outcome_id)
    row = copies.final_of(rows) if final else copies.own_of(rows, access.user_id)
    after = tidy(content)
    slot = row.slot if row is not None else FINAL_SLOT if final else None
    where = copies.copy_name(slot, outcome) if slot is not None else f"your copy of {outcome.name}"
    graded = checks.checked(
        session, review_id, outcome, after, complete=copies.is_complete(row), where=where
    )
    if row is None:
        writer, user_id = access.writer, access.user_id or 0
        row = (
            copies.final_copy(session, review_id, outcome, writer)
            if final
            else copies.claim_copy(session, review_id, outcome, writer, user_id)
        )
    row = copies.locked(session, row)
    changed = copies.write_content(session, row, outcome, access.writer, after, graded.certainty)
    if final:
        decide(row, changed)
        copies.touch(session, row, access.writer)
    _follow_one_copy(session, access, outcome, row)
    return _view(session, access, review_id, outcome, final=final)


def set_complete(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    outcome_id: str,
    complete: bool = True,
    final: bool = False,
) -> OutcomeView:
    """Mark the actor's copy (or the final: leads) complete, refused with every problem while
    a domain that rates certainty down is not rated, or in progress again. With one judge per
    outcome, a completed copy becomes the final."""
    access = _access(session, actor, review_id)
    outcome = _outcome(access.protocol, outcome_id)
    if final:
        _check_lead(access, f"complete the final judgements of {outcome.name}")
    rows = copies.outcome_copies(session, review_id, outcome_id)
    row = copies.final_of(rows) if final else copies.own_of(rows, access.user_id)
    if row is None:
        raise NotFoundError(
            f"{outcome.name} has no final judgements yet; save them first"
            if final
            else f"you have no GRADE copy of {outcome.name} yet; save your judgements first"
        )
    row = copies.locked(session, row)
    if complete:
        where = copies.copy_name(row.slot, outcome)
        content = copies.content_of(row)
        found = checks.problems(session, review_id, outcome, content, complete=True)[0]
        if found:
            raise GradeProblems(
                found,
                summary=f"{where} cannot be marked complete: {len(found)} problem(s); it stays "
                "in progress",
            )
    copies.set_status(session, row, outcome, access.writer, complete=complete)
    _follow_one_copy(session, access, outcome, row)
    return _view(session, access, review_id, outcome, final=final)


def compare(session: Session, *, actor: Actor, review_id: int, outcome_id: str) -> GradeComparison:
    """The judges' copies of the outcome compared item by item, with the final's value of each
    and whether it is resolved (leads; the outcome's judges when GRADE is not blind)."""
    access = _access(session, actor, review_id)
    outcome = _outcome(access.protocol, outcome_id)
    rows = copies.outcome_copies(session, review_id, outcome_id)
    _check_reads_all(access, rows, outcome)
    judges, final = copies.judge_copies(rows), copies.final_of(rows)
    names = user_names(session, [r.judge_id for r in judges if r.judge_id is not None])
    contents = [copies.content_of(r) for r in judges]
    comparison = items.compare(contents)
    with_final = items.compare([*contents, copies.content_of(final)]) if final else None
    return GradeComparison(
        outcome_id=outcome_id,
        name=outcome.name,
        columns=tuple(_column(r, names) for r in judges),
        comparison=comparison,
        final=_column(final, names) if final else None,
        items=compared_items(comparison, with_final, decided=decided_keys(final)),
    )


def take(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    outcome_id: str,
    item: Sequence[str],
    judge_id: int,
) -> OutcomeView:
    """Copy one item (``("rating", domain)`` with its explanation, ``("explanation", domain)``,
    ``("indirect", study)``, ``("source",)`` with its analysis, ``("analysis",)``,
    ``("narrative",)``, ``("baselines",)``, ``("comments",)``, ``("statement",)``) from the
    judge's copy into the final, made the first time (leads; checked as a save; audited as
    ``grade.take``, one event per item changed)."""
    access = _access(session, actor, review_id, at_least=Role.LEAD)
    outcome = _outcome(access.protocol, outcome_id)
    key = check_item(item)
    rows = copies.outcome_copies(session, review_id, outcome_id)
    source = next((r for r in copies.judge_copies(rows) if r.judge_id == judge_id), None)
    if source is None:
        ids = ", ".join(str(r.judge_id) for r in copies.judge_copies(rows)) or "none yet"
        raise NotFoundError(
            f"user {judge_id} has no copy of {outcome.name}; take items from its judges' "
            f"copies (judges: {ids})"
        )
    final = copies.final_of(rows)
    final = copies.locked(session, final) if final is not None else None  # takes take turns
    after = tidy(items.take(copies.content_of(final), copies.content_of(source), key))
    where = copies.copy_name(FINAL_SLOT, outcome)
    complete = copies.is_complete(final)
    graded = checks.checked(session, review_id, outcome, after, complete=complete, where=where)
    row = final or copies.final_copy(session, review_id, outcome, access.writer)
    row = copies.locked(session, row)
    taken = {"item": list(key), "from_slot": source.slot}
    copies.write_content(session, row, outcome, access.writer, after, graded.certainty, taken=taken)
    decide(row, [key])
    copies.touch(session, row, access.writer)
    return _view(session, access, review_id, outcome, final=True)


# --- public functions: the table ----------------------------------------------------------------


def summary_of_findings(session: Session, *, actor: Actor, review_id: int) -> SofTable:
    """The Summary-of-Findings table as the finals give it now (leads): every protocol outcome,
    those without a final with what the page proposes (pending where it has studies). When it
    equals the last published table, that table is returned (with when and by whom)."""
    access = _access(session, actor, review_id, at_least=Role.LEAD)
    table = _table(session, access.protocol, review_id)
    last = _last_published(session, review_id)
    if last is not None and replace(last, published_at=None, published_by=None) == table:
        return last  # nothing changed since: the table is the published one, and says so
    return table


def publish(session: Session, *, actor: Actor, review_id: int) -> SofTable:
    """Publish the table as the finals give it now (leads), for every member to read: refused,
    listing every problem by outcome and domain, while a final no longer passes its checks or
    an outcome with studies has no certainty yet. Audited as ``grade.publish``."""
    access = _access(session, actor, review_id, at_least=Role.LEAD)
    finals = copies.finals_of(session, review_id)
    found: list[FieldProblem] = []
    grades: list[OutcomeGrade] = []
    for outcome in outcome_order(access.protocol.outcomes):
        content = checks.final_or_default(session, review_id, outcome, finals.get(outcome.id))
        problems, graded = checks.problems(session, review_id, outcome, content, complete=True)
        found.extend(problems)
        grades.extend([graded.grade] if graded is not None else [])
    if found:
        raise GradeProblems(
            found,
            summary=f"the Summary-of-Findings table cannot be published: {len(found)} "
            "problem(s) in the final judgements; nothing was published",
        )
    now = utcnow()
    names = user_names(session, [access.user_id] if access.user_id is not None else [])
    table = replace(
        _table_of(access.protocol, grades),
        published_at=now.isoformat(),
        published_by=names.get(access.user_id or 0, "the command line"),
    )
    row = SofPublication(
        review_id=review_id,
        published_at=now,
        published_by_id=access.user_id,
        content=table_to_dict(table),
    )
    session.add(row)
    session.flush()
    _audit_publication(session, access, review_id, row, table)
    return table


def published(session: Session, *, actor: Actor, review_id: int) -> SofTable | None:
    """The table a lead published last (every member), None before the first publication."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    return _last_published(session, review_id)


def _last_published(session: Session, review_id: int) -> SofTable | None:
    row = session.exec(
        select(SofPublication)
        .where(SofPublication.review_id == review_id)
        .order_by(col(SofPublication.published_at).desc(), col(SofPublication.id).desc())
    ).first()
    return table_from_dict(row.content) if row is not None else None


# --- the final ----------------------------------------------------------------------------------


def _follow_one_copy(
    session: Session, access: _Access, outcome: Outcome, row: GradeAssessment
) -> None:
    """With one judge per outcome, a completed judge's copy is the final (each item changed is
    audited as taken from it)."""
    if row.slot == FINAL_SLOT or access.protocol.grade.judges_per_outcome != 1:
        return
    if not copies.is_complete(row):
        return
    writer = access.writer
    final = copies.locked(session, copies.final_copy(session, row.review_id, outcome, writer))
    taken = {"item": [WHOLE_COPY], "from_slot": row.slot}
    content = copies.content_of(row)
    certainty = Certainty(row.certainty) if row.certainty else None
    copies.write_content(session, final, outcome, writer, content, certainty, taken=taken)
    copies.set_status(session, final, outcome, writer, complete=True)


def _table(session: Session, protocol: Protocol, review_id: int) -> SofTable:
    finals = copies.finals_of(session, review_id)
    grades = []
    for outcome in outcome_order(protocol.outcomes):
        content = checks.final_or_default(session, review_id, outcome, finals.get(outcome.id))
        grades.append(checks.graded(session, protocol, review_id, outcome, content).grade)
    return _table_of(protocol, grades)


def _table_of(protocol: Protocol, grades: Sequence[OutcomeGrade]) -> SofTable:
    """The table of these outcomes under the protocol's question (its PICO; it names no
    setting)."""
    pico = protocol.pico
    return build_table(
        title=protocol.title,
        question=protocol.question.strip(),
        population=pico.population,
        intervention=pico.intervention,
        comparison=pico.comparator,
        setting="",
        grades=grades,
    )


def _audit_publication(
    session: Session, access: _Access, review_id: int, row: SofPublication, table: SofTable
) -> None:
    after: dict[str, Any] = {
        "publication_id": row.id,
        "outcomes": [
            {
                "outcome_id": r.grade.evidence.outcome_id,
                "certainty": r.grade.certainty.value if r.grade.certainty else None,
            }
            for r in table.rows
        ],
    }
    record_event(
        session,
        review_id=review_id,
        user_id=access.user_id,
        action=f"{copies.ENTITY}.{GradeAction.PUBLISH}",
        entity=copies.ENTITY,
        entity_id=row.id,
        before=None,
        after=after,
    )


# --- views --------------------------------------------------------------------------------------


def _column(row: GradeAssessment, names: Mapping[int, str]) -> JudgeColumn:
    return JudgeColumn(
        assessment_id=row.id or 0,
        slot=row.slot,
        judge_id=row.judge_id,
        judge_name=names.get(row.judge_id) if row.judge_id is not None else None,
        status=Status(row.status),
        certainty=Certainty(row.certainty) if row.certainty else None,
    )


def _view(
    session: Session, access: _Access, review_id: int, outcome: Outcome, *, final: bool
) -> OutcomeView:
    rows = copies.outcome_copies(session, review_id, outcome.id)
    own, final_row = copies.own_of(rows, access.user_id), copies.final_of(rows)
    reads_all = _reads_all(access, rows)
    shown_row = final_row if final else own
    content = checks.final_or_default(session, review_id, outcome, shown_row)
    graded, problem = checks.shown(session, access.protocol, review_id, outcome, content)
    final_grade: OutcomeGrade | None = None
    if reads_all:
        final_content = checks.final_or_default(session, review_id, outcome, final_row)
        same = content_to_dict(final_content) == content_to_dict(content)
        final_grade = (
            graded.grade
            if same
            else checks.shown(session, access.protocol, review_id, outcome, final_content)[0].grade
        )
    judges = copies.judge_copies(rows)
    names = user_names(session, [r.judge_id for r in judges if r.judge_id is not None])
    return OutcomeView(
        outcome_id=outcome.id,
        name=outcome.name,
        importance=outcome.importance,
        is_final=final,
        content=content,
        evidence=graded.evidence,
        evidence_problem=problem,
        suggestions=graded.suggestions,
        start=graded.start,
        grade=graded.grade,
        own=copies.content_of(own) if own is not None else None,
        own_status=copies.status_of(own),
        own_slot=own.slot if own is not None else None,
        final=copies.content_of(final_row) if reads_all and final_row is not None else None,
        final_status=copies.status_of(final_row) if reads_all else None,
        final_grade=final_grade,
        judges=tuple(_column(r, names) for r in judges) if reads_all else (),
        slots=access.protocol.grade.judges_per_outcome,
        taken=len(judges),
        analyses=tuple(analyses_for(session, review_id, outcome.id)),
    )
