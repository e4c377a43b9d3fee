"""The rules the extraction and risk-of-bias services share for a study kept in copies: one per
person's slot 1..N and a consensus (slot 0).

- **Slots.** A member claims the first free slot of a study; when every slot is taken by others a
  sentence says so, and a claim that lost a race (the database's unique constraint refused it) is
  looked up again (:func:`claimed`).
- **Blinding.** A reviewer reads and writes their own copies; leads read every copy and alone
  write the consensus; when the stage is not blind, the people holding a slot of a study read its
  other copies and their comparison (:func:`check_read`, :func:`check_write`,
  :func:`check_comparison`).
- **Audit.** Each change is an event of the stage's entity (:func:`audit`), one per changed item
  (:func:`audit_changes`); the actions both stages write are :class:`CopyAction`.
- **Consensus.** A lead starts it from the complete copies (:func:`start_sources`), takes single
  items from a copy (:func:`take_source`), and the items decided are remembered (:func:`decide`).

Each stage describes itself once in a :class:`CopyStage` (its table, protocol settings, words
and audit entity) and passes it in; what each copy holds stays in the stage's service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from review_app.domain.comparison import ItemKey
from review_app.domain.vocabulary import ExtractionStatus, Role, is_lead
from review_app.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from review_app.models import Appraisal, Extraction, GradeAssessment, Study, utcnow
from review_app.models.extraction import CONSENSUS_SLOT  # models.appraisal's is the same 0
from review_app.protocol import Protocol
from review_app.services.audit import record_event
from review_app.services.permissions import Actor, require_role
from review_app.services.reviews import get_protocol
from review_app.services.study_copies import id_chunks

Row = TypeVar("Row", Extraction, Appraisal)
# A settled copy that remembers the items a lead decided (a consensus; GRADE's final).
Decided = Extraction | Appraisal | GradeAssessment
Found = TypeVar("Found")
Values = Literal["consensus", "all"]
VALUES: tuple[Values, ...] = ("consensus", "all")


class CopyAction(StrEnum):
    """The audit actions both stages write, after their entity: ``extraction.claim``."""

    CLAIM = "claim"
    STATUS = "status"
    CONSENSUS_START = "consensus_start"
    CONSENSUS_TAKE = "consensus_take"
    CONSENSUS_FROM_COPY = "consensus_from_copy"
    IMPORT = "import"


@dataclass(frozen=True, slots=True)
class CopyStage(Generic[Row]):
    """What differs between the stages that keep a study in copies."""

    model: type[Row]
    entity: str  # the audit entity, and its actions' prefix
    setting: str  # the protocol's section: blind, and ``per_study`` people per study
    per_study: str  # the section's key for the number of slots
    person: str  # who holds a slot: "extractor"
    kind: str  # what a copy is of: "no extraction copy 3"
    work: str  # what the people do: "open the study for extraction"
    blind_work: str  # "while risk-of-bias assessment is blind"
    own: str  # what a person holds of a study: "copy" or "copies"
    owner: Callable[[Row], int | None]  # the copy's holder (None: the consensus)
    order: tuple[str, ...]  # the columns copies are listed by
    where: Callable[[Row, Study], str]  # the copy's study (and result), for people
    place: Callable[[Row], dict[str, Any]] = lambda row: {}  # where an event is, past the study

    def slots(self, protocol: Protocol) -> int:
        return int(getattr(getattr(protocol, self.setting), self.per_study))

    def is_blind(self, protocol: Protocol) -> bool:
        return bool(getattr(protocol, self.setting).blind)


@dataclass(frozen=True, slots=True)
class CopyAccess:
    """The actor, their role checked, and the review's protocol as the stage reads it."""

    actor: Actor
    lead: bool
    protocol: Protocol
    blind: bool
    per_study: int

    @property
    def user_id(self) -> int | None:
        return self.actor.user_id

    @property
    def open_book(self) -> bool:
        """Whether the actor may know every person's status and the consensus."""
        return self.lead or not self.blind


@dataclass(frozen=True, slots=True)
class ReplacedCopies:
    """What a stage's ``replace_copies`` did."""

    created: int
    replaced: int


def copy_access(
    session: Session,
    stage: CopyStage[Row],
    *,
    actor: Actor,
    review_id: int,
    at_least: Role = Role.REVIEWER,
) -> CopyAccess:
    """The actor's access to the review's copies of ``stage`` (PermissionDeniedError below
    ``at_least``)."""
    role = require_role(session, actor=actor, review_id=review_id, at_least=at_least)
    protocol = get_protocol(session, review_id)
    return CopyAccess(
        actor, is_lead(role), protocol, stage.is_blind(protocol), stage.slots(protocol)
    )


# --- who may do what ----------------------------------------------------------------------------


def copy_name(stage: CopyStage[Row], row: Row, study: Study) -> str:
    """ "extractor 2's copy of Smith 2020", "the consensus of Smith 2020 (outcome pain)"."""
    owner = "the consensus" if row.slot == CONSENSUS_SLOT else f"{stage.person} {row.slot}'s copy"
    return f"{owner} of {stage.where(row, study)}"


def is_own(stage: CopyStage[Row], access: CopyAccess, row: Row) -> bool:
    return access.user_id is not None and stage.owner(row) == access.user_id


def check_read(
    stage: CopyStage[Row], access: CopyAccess, row: Row, study: Study, *, takes_part: bool
) -> None:
    """Own copies; leads any; the other copies of a study one holds a slot of (``takes_part``),
    when the stage is not blind."""
    if access.lead or is_own(stage, access, row):
        return
    name = copy_name(stage, row, study)
    if access.blind:
        raise PermissionDeniedError(
            f"{name} is not yours: while {stage.blind_work} is blind each {stage.person} sees "
            f"only their own {stage.own} (leads see every copy)"
        )
    if not takes_part:
        raise PermissionDeniedError(
            f"{name} is not yours: the copies of a study are open to its {stage.person}s (open "
            f"the study for {stage.work}) and to leads"
        )


def check_write(stage: CopyStage[Row], access: CopyAccess, row: Row, study: Study) -> None:
    """A person writes their own copies; only leads write the consensus."""
    if row.slot == CONSENSUS_SLOT:
        if not access.lead:
            raise PermissionDeniedError(
                f"only leads edit {copy_name(stage, row, study)}; your role is reviewer"
            )
        return
    if not is_own(stage, access, row):
        raise PermissionDeniedError(
            f"{copy_name(stage, row, study)} is another {stage.person}'s; you edit only your "
            f"own {stage.own}"
        )


def check_comparison(
    stage: CopyStage[Row], access: CopyAccess, study: Study, *, takes_part: bool, copies: str
) -> None:
    """Leads compare; a study's people too (``takes_part``) when the stage is not blind."""
    if access.lead or (not access.blind and takes_part):
        return
    readers = (
        f"leads while {stage.work} is blind" if access.blind else f"leads and its {stage.person}s"
    )
    raise PermissionDeniedError(f"the comparison of {study.label}'s {copies} is for {readers}")


# --- rows ---------------------------------------------------------------------------------------


def copy_row(
    session: Session, stage: CopyStage[Row], review_id: int, copy_id: int, *, lock: bool = False
) -> tuple[Row, Study]:
    """The copy and its study; ``lock`` holds the copy's row until the end of the transaction
    (PostgreSQL; SQLite has one writer at a time), so two saves of one copy take turns."""
    model = stage.model
    query = select(model, Study).join(Study, col(Study.id) == model.study_id)
    query = query.where(model.id == copy_id, Study.review_id == review_id)
    if lock:
        query = query.with_for_update(of=model).execution_options(populate_existing=True)
    found = session.exec(query).first()
    if found is None:
        raise NotFoundError(f"no {stage.kind} copy {copy_id} in review {review_id}")
    return found


def writable_copy(
    session: Session, stage: CopyStage[Row], access: CopyAccess, review_id: int, copy_id: int
) -> tuple[Row, Study]:
    """The copy, once the actor may write it, locked for the write."""
    row, study = copy_row(session, stage, review_id, copy_id)
    check_write(stage, access, row, study)
    return copy_row(session, stage, review_id, copy_id, lock=True)


def copies_of(
    session: Session,
    stage: CopyStage[Row],
    study_ids: Sequence[int],
    *,
    consensus_only: bool = False,
) -> list[Row]:
    """The copies of these studies in the stage's order (one query per 500 studies)."""
    model = stage.model
    order = [col(getattr(model, name)) for name in stage.order]
    rows: list[Row] = []
    for chunk in id_chunks(study_ids):
        query = select(model).where(col(model.study_id).in_(chunk))
        if consensus_only:
            query = query.where(model.slot == CONSENSUS_SLOT)
        rows.extend(session.exec(query.order_by(*order)))
    return rows


def split_consensus(rows: Sequence[Row]) -> tuple[list[Row], Row | None]:
    """The people's copies (by slot, as given) and the consensus."""
    people = [r for r in rows if r.slot != CONSENSUS_SLOT]
    return people, next((r for r in rows if r.slot == CONSENSUS_SLOT), None)


def is_complete(row: Row) -> bool:
    return row.status == ExtractionStatus.COMPLETE


def touch(session: Session, row: Row, access: CopyAccess, *, flush: bool = True) -> None:
    row.updated_at = utcnow()
    row.updated_by_id = access.user_id
    session.add(row)
    if flush:
        session.flush()


def export_order(
    rows: list[Row], studies: Sequence[int], result: Callable[[Row], Any] = lambda row: ()
) -> None:
    """Sort for a file: studies as given, then by ``result``, each person's copy by slot, the
    consensus last."""
    position = {study_id: index for index, study_id in enumerate(studies)}
    rows.sort(key=lambda r: (position[r.study_id], result(r), r.slot == CONSENSUS_SLOT, r.slot))


def check_values(values: str) -> None:
    if values not in VALUES:
        raise ValidationError(f"values {values!r}: allowed are {', '.join(VALUES)}")


# --- slots --------------------------------------------------------------------------------------


def free_slot(stage: CopyStage[Row], access: CopyAccess, study: Study, taken: Iterable[int]) -> int:
    """The first slot no one holds, or a sentence saying every one is taken."""
    used = set(taken)
    free = next((slot for slot in range(1, access.per_study + 1) if slot not in used), None)
    if free is None:
        raise ConflictError(
            f"{study.label} already has its {access.per_study} {stage.person}(s) (the protocol's "
            f"{stage.per_study}); every slot is taken by others, so there is no copy for you"
        )
    return free


def claimed(
    session: Session,
    stage: CopyStage[Row],
    study: Study,
    *,
    look: Callable[[], Found | None],
    make: Callable[[], Found],
    attempts: int,
) -> Found:
    """What ``look`` finds, else what ``make`` makes in a savepoint. When the database refuses
    ``make`` (another claim took the slot at the same moment: a unique constraint), look again."""
    for _attempt in range(attempts):
        found = look()
        if found is not None:
            return found
        try:
            with session.begin_nested():
                return make()
        except IntegrityError:
            continue
    raise ConflictError(
        f"{study.label}: another {stage.person} claimed a slot at the same moment; try again"
    )


def import_slot(per_study: int, taken: Mapping[Any, int], user_id: int | None) -> int | None:
    """An imported copy's slot: the consensus's; the person's own; else the first free one
    (None: none is free)."""
    if user_id is None:
        return CONSENSUS_SLOT
    if user_id in taken:
        return taken[user_id]
    used = set(taken.values())
    return next((s for s in range(1, per_study + 1) if s not in used), None)


def no_free_slot(stage: CopyStage[Row], study: Study, per_study: int) -> str:
    return (
        f"{study.label} already has its {per_study} {stage.person}(s) (the protocol's "
        f"{stage.per_study}): no slot is free"
    )


# --- consensus ----------------------------------------------------------------------------------


def follows_one_copy(access: CopyAccess, row: Row, *, complete: bool) -> bool:
    """Whether the consensus follows this copy: it is complete and the only one per study."""
    return complete and row.slot != CONSENSUS_SLOT and access.per_study == 1


def start_sources(stage: CopyStage[Row], rows: Sequence[Row], where: str) -> list[Row]:
    """The complete copies a consensus starts from, or a sentence saying there is none."""
    complete = [r for r in rows if r.slot != CONSENSUS_SLOT and is_complete(r)]
    if not complete:
        raise ConflictError(
            f"no {stage.person} has marked {where} complete yet; the consensus starts from the "
            "complete copies"
        )
    return complete


def take_source(
    stage: CopyStage[Row], rows: Sequence[Row], copy_id: int, where: str
) -> tuple[Row, Row]:
    """The person's copy an item is taken from, and the consensus it goes into."""
    people, consensus = split_consensus(rows)
    source = next((r for r in people if r.id == copy_id), None)
    if source is None:
        ids = ", ".join(str(r.id) for r in people) or "none"
        raise NotFoundError(
            f"no {stage.person} copy {copy_id} of {where}; take items from one of its "
            f"{stage.person}s' copies: {ids}"
        )
    if consensus is None:
        raise ConflictError(f"start the consensus of {where} before taking items into it")
    return source, consensus


def decide(row: Decided, keys: Iterable[ItemKey]) -> None:
    """Remember that a lead decided these items of the consensus (or of GRADE's final)."""
    decided = [list(key) for key in row.decided]
    for key in keys:
        if list(key) not in decided:
            decided.append(list(key))
    row.decided = decided


def decided_keys(consensus: Decided | None) -> set[ItemKey]:
    return {tuple(key) for key in consensus.decided} if consensus else set()


def complete_groups(rows: Sequence[Row], group: Callable[[Row], Any]) -> dict[Any, list[Row]]:
    """The people's complete copies by ``group``, where two or more are (to compare)."""
    found: dict[Any, list[Row]] = {}
    for row in rows:
        if row.slot != CONSENSUS_SLOT and is_complete(row):
            found.setdefault(group(row), []).append(row)
    return {key: copies for key, copies in found.items() if len(copies) > 1}


# --- audit --------------------------------------------------------------------------------------

Change = tuple[str, dict[str, Any], Any, Any]  # kind of item, which item, before, after


def audit(
    session: Session,
    stage: CopyStage[Row],
    access: CopyAccess,
    study: Study,
    row: Row,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """One event of the stage's entity on the copy, both sides saying where it is."""
    where = {"study_id": study.id, "study": study.label, **stage.place(row), "slot": row.slot}
    record_event(
        session,
        review_id=study.review_id,
        user_id=access.user_id,
        action=f"{stage.entity}.{action}",
        entity=stage.entity,
        entity_id=row.id,
        before={**where, **before} if before is not None else None,
        after={**where, **after} if after is not None else None,
    )


def audit_changes(
    session: Session,
    stage: CopyStage[Row],
    access: CopyAccess,
    study: Study,
    row: Row,
    changes: Iterable[Change],
    *,
    taken: dict[str, Any] | None = None,
) -> None:
    """One event per changed item, named by its kind; a lead's take is named so, with the item
    and the slot it came from (``taken``)."""
    for kind, item, old, new in changes:
        action = CopyAction.CONSENSUS_TAKE if taken is not None else kind
        extra = {**taken, "changed": kind, **item} if taken is not None else item
        audit(
            session,
            stage,
            access,
            study,
            row,
            action,
            {**extra, "value": old},
            {**extra, "value": new},
        )


def set_status(
    session: Session,
    stage: CopyStage[Row],
    access: CopyAccess,
    study: Study,
    row: Row,
    *,
    complete: bool,
) -> None:
    """The copy complete or in progress again (audited when it changes)."""
    status = ExtractionStatus.COMPLETE if complete else ExtractionStatus.IN_PROGRESS
    if row.status != status:
        audit(
            session,
            stage,
            access,
            study,
            row,
            CopyAction.STATUS,
            {"status": row.status},
            {"status": status},
        )
        row.status = status
        touch(session, row, access)
