"""The rows behind ``services/grade.py``: one GRADE copy per judge (slots 1..N) and the final
(slot 0) per review and protocol outcome, found, claimed, locked, written and audited.

- **Slots.** A judge's first save claims the first free slot of the outcome; when every slot is
  taken by others a sentence says so. Two people claiming at the same moment are kept apart by
  the unique constraints on (review, outcome, slot) and (review, outcome, judge): the claim that
  lost is looked up again (a double click) or given the next free slot, as
  ``services/copy_slots.claimed`` does for a study.
- **Writes** lock the copy's row until the end of the transaction (PostgreSQL; SQLite has one
  writer at a time), so two saves of one copy take turns; each changed item is one audit event
  (entity ``grade``, action ``grade.<item kind>``, or ``grade.take`` for a lead's take) with the
  value before and after.

No function here checks the actor: ``services/grade.py`` does, then calls these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from review_app.domain.comparison import ItemKey
from review_app.domain.grade.content import changes, content_from_dict, content_to_dict
from review_app.domain.grade.model import Certainty, GradeContent
from review_app.domain.vocabulary import ExtractionStatus
from review_app.errors import ConflictError
from review_app.models import GradeAssessment, utcnow
from review_app.models.synthesis import FINAL_SLOT
from review_app.protocol.model import Outcome
from review_app.services.audit import record_event

ENTITY = "grade"  # the audit entity, and its actions' prefix


class GradeAction(StrEnum):
    """The audit actions besides the items' kinds (``grade.rating``, ``grade.comments``...)."""

    STATUS = "status"
    TAKE = "take"
    PUBLISH = "publish"


@dataclass(frozen=True, slots=True)
class Writer:
    """Who writes, and the protocol's number of judges per outcome."""

    user_id: int | None
    judges: int


def outcome_copies(session: Session, review_id: int, outcome_id: str) -> list[GradeAssessment]:
    """The outcome's copies: the final first, then the judges' by slot."""
    return list(
        session.exec(
            select(GradeAssessment)
            .where(GradeAssessment.review_id == review_id, GradeAssessment.outcome_id == outcome_id)
            .order_by(col(GradeAssessment.slot))
        )
    )


def review_copies(session: Session, review_id: int) -> list[GradeAssessment]:
    return list(
        session.exec(
            select(GradeAssessment)
            .where(GradeAssessment.review_id == review_id)
            .order_by(col(GradeAssessment.outcome_id), col(GradeAssessment.slot))
        )
    )


def finals_of(session: Session, review_id: int) -> dict[str, GradeAssessment]:
    """The review's final copies by outcome id."""
    return {r.outcome_id: r for r in review_copies(session, review_id) if r.slot == FINAL_SLOT}


def final_of(rows: Iterable[GradeAssessment]) -> GradeAssessment | None:
    return next((r for r in rows if r.slot == FINAL_SLOT), None)


def judge_copies(rows: Iterable[GradeAssessment]) -> list[GradeAssessment]:
    return [r for r in rows if r.slot != FINAL_SLOT]


def own_of(rows: Iterable[GradeAssessment], user_id: int | None) -> GradeAssessment | None:
    if user_id is None:
        return None
    return next((r for r in rows if r.judge_id == user_id), None)


def content_of(row: GradeAssessment | None) -> GradeContent:
    """A copy's content (an empty one for no copy)."""
    return content_from_dict(row.content) if row is not None else GradeContent()


def status_of(row: GradeAssessment | None) -> ExtractionStatus | None:
    return ExtractionStatus(row.status) if row is not None else None


def is_complete(row: GradeAssessment | None) -> bool:
    return row is not None and row.status == ExtractionStatus.COMPLETE


def locked(session: Session, row: GradeAssessment) -> GradeAssessment:
    """The copy read again and held until the end of the transaction."""
    found = session.exec(
        select(GradeAssessment)
        .where(GradeAssessment.id == row.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return found


def copy_name(row_slot: int, outcome: Outcome) -> str:
    """ "judge 2's copy of Pain intensity", "the final judgements of Pain intensity"."""
    if row_slot == FINAL_SLOT:
        return f"the final judgements of {outcome.name}"
    return f"judge {row_slot}'s copy of {outcome.name}"


# --- making copies ------------------------------------------------------------------------------


def _created(
    session: Session,
    *,
    look: Callable[[], GradeAssessment | None],
    make: Callable[[], GradeAssessment],
    attempts: int,
    busy: str,
) -> GradeAssessment:
    """What ``look`` finds, else what ``make`` inserts in a savepoint; when the database refuses
    it (another person's insert took the slot at the same moment), look again."""
    for _attempt in range(attempts):
        found = look()
        if found is not None:
            return found
        try:
            with session.begin_nested():
                return make()
        except IntegrityError:
            continue
    raise ConflictError(busy)


def _new_row(
    session: Session, review_id: int, outcome_id: str, slot: int, writer: Writer, judge: bool
) -> GradeAssessment:
    row = GradeAssessment(
        review_id=review_id,
        outcome_id=outcome_id,
        slot=slot,
        judge_id=writer.user_id if judge else None,
        created_by_id=writer.user_id,
        updated_by_id=writer.user_id,
        content=content_to_dict(GradeContent()),
    )
    session.add(row)
    session.flush()
    return row


def claim_copy(
    session: Session, review_id: int, outcome: Outcome, writer: Writer, judge_id: int
) -> GradeAssessment:
    """The judge's copy of the outcome, in the first free slot the first time."""

    def look() -> GradeAssessment | None:
        return own_of(outcome_copies(session, review_id, outcome.id), judge_id)

    def make() -> GradeAssessment:
        taken = {r.slot for r in judge_copies(outcome_copies(session, review_id, outcome.id))}
        free = next((s for s in range(1, writer.judges + 1) if s not in taken), None)
        if free is None:
            raise ConflictError(
                f"{outcome.name} already has its {writer.judges} judge(s) (the protocol's "
                "[grade] judges_per_outcome); every slot is taken by others, so there is no copy "
                "for you"
            )
        return _new_row(session, review_id, outcome.id, free, writer, judge=True)

    return _created(
        session,
        look=look,
        make=make,
        attempts=writer.judges + 2,
        busy=f"{outcome.name}: another judge took a slot at the same moment; try again",
    )


def final_copy(
    session: Session, review_id: int, outcome: Outcome, writer: Writer
) -> GradeAssessment:
    """The outcome's final copy, made empty the first time."""
    return _created(
        session,
        look=lambda: final_of(outcome_copies(session, review_id, outcome.id)),
        make=lambda: _new_row(session, review_id, outcome.id, FINAL_SLOT, writer, judge=False),
        attempts=2,
        busy=f"{outcome.name}: another lead started the final judgements at the same moment; "
        "try again",
    )


# --- writing ------------------------------------------------------------------------------------


def where_of(row: GradeAssessment, outcome: Outcome) -> dict[str, Any]:
    """Where an event is: both sides of it say so."""
    return {"outcome_id": row.outcome_id, "outcome": outcome.name, "slot": row.slot}


def audit(
    session: Session,
    row: GradeAssessment,
    outcome: Outcome,
    writer: Writer,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    where = where_of(row, outcome)
    record_event(
        session,
        review_id=row.review_id,
        user_id=writer.user_id,
        action=f"{ENTITY}.{action}",
        entity=ENTITY,
        entity_id=row.id,
        before={**where, **before} if before is not None else None,
        after={**where, **after} if after is not None else None,
    )


def _item(key: ItemKey) -> dict[str, Any]:
    """An item's place past its kind: the domain of a rating, the study of indirectness."""
    if len(key) == 1:
        return {}
    return {"study": key[1]} if key[0] == "indirect" else {"domain": key[1]}


def write_content(
    session: Session,
    row: GradeAssessment,
    outcome: Outcome,
    writer: Writer,
    after: GradeContent,
    certainty: Certainty | None,
    *,
    taken: dict[str, Any] | None = None,
) -> list[ItemKey]:
    """Replace the copy's content (``row`` locked), one event per changed item: named by its
    kind, or ``take`` with where it came from (``taken``). The items changed."""
    before = content_of(row)
    changed = list(changes(before, after))
    for key, old, new in changed:
        item = _item(key)
        if taken is None:
            action, extra = key[0], item
        else:
            action, extra = GradeAction.TAKE, {**taken, "changed": key[0], **item}
        audit(
            session, row, outcome, writer, action, {**extra, "value": old}, {**extra, "value": new}
        )
    row.content = content_to_dict(after)
    row.certainty = certainty.value if certainty is not None else None
    touch(session, row, writer)
    return [key for key, _old, _new in changed]


def set_status(
    session: Session, row: GradeAssessment, outcome: Outcome, writer: Writer, *, complete: bool
) -> None:
    """The copy complete or in progress again (audited when it changes)."""
    status = ExtractionStatus.COMPLETE if complete else ExtractionStatus.IN_PROGRESS
    if row.status != status:
        audit(
            session, row, outcome, writer, GradeAction.STATUS,
            {"status": row.status}, {"status": status.value},
        )  # fmt: skip
        row.status = status
        touch(session, row, writer)


def touch(session: Session, row: GradeAssessment, writer: Writer) -> None:
    row.updated_at = utcnow()
    row.updated_by_id = writer.user_id
    session.add(row)
    session.flush()
