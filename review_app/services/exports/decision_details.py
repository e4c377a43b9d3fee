"""What the decisions export adds beside each vote and resolution: the reviewer's note, the
exclusion reason's label (the code keeps its own column, for scripts), and for a resolution its
reason, note and the lead who resolved it.

The columns go right after the ones they explain, so a person reading the table across finds a
vote, its reason code, the reason in words and the note together.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from review_app.domain.vocabulary import STAGES, Role
from review_app.models import Decision, Resolution, User
from review_app.services.permissions import Actor, require_role
from review_app.services.reviews import get_protocol

REASON = ":reason"
RESOLUTION = ":resolution"
# After "<stage>:<reviewer>:reason"
VOTE_DETAILS = ("reason_label", "note")
# After "<stage>:resolution"
RESOLUTION_DETAILS = (
    "resolution_reason",
    "resolution_reason_label",
    "resolved_by",
    "resolution_note",
)

Table = tuple[list[str], list[list[object]]]
Cell = Callable[[list[object]], object]  # a row of the decisions table -> one cell


def with_notes_and_resolvers(
    session: Session, *, actor: Actor, review_id: int, header: list[str], rows: list[list[object]]
) -> Table:
    """The decisions table with each vote's reason label and note, and each resolution's reason
    (code and label), resolver and note, inserted after the columns they belong to."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    labels = {r.id: r.label for r in get_protocol(session, review_id).exclusion_reasons}
    notes = _vote_notes(session, review_id)
    resolutions = _resolutions(session, review_id)
    at = header.index("record_id")
    out_header: list[str] = []
    makers: list[Cell] = []
    for index, name in enumerate(header):
        out_header.append(name)
        makers.append(_copy(index))
        stage, reviewer = _vote_reason_column(name)
        if stage is not None and reviewer is not None:
            out_header += [f"{stage}:{reviewer}:{d}" for d in VOTE_DETAILS]
            makers += [
                _label_of(index, labels),
                _note_of(at, notes.get((stage, reviewer), {})),
            ]
        elif (stage := _resolution_column(name)) is not None:
            out_header += [f"{stage}:{d}" for d in RESOLUTION_DETAILS]
            makers += [
                _resolution_part(at, resolutions.get(stage, {}), i, labels) for i in range(4)
            ]
    return out_header, [[make(row) for make in makers] for row in rows]


def _vote_reason_column(name: str) -> tuple[str | None, str | None]:
    """("full_text", "rita") for "full_text:rita:reason"; (None, None) for any other column."""
    for stage in STAGES:
        prefix = f"{stage}:"
        if name.startswith(prefix) and name.endswith(REASON) and len(name) > len(prefix + REASON):
            return stage, name[len(prefix) : -len(REASON)]
    return None, None


def _resolution_column(name: str) -> str | None:
    return next((stage for stage in STAGES if name == f"{stage}{RESOLUTION}"), None)


def _copy(index: int) -> Cell:
    return lambda row: row[index]


def _label_of(index: int, labels: dict[str, str]) -> Cell:
    return lambda row: labels.get(str(row[index]), row[index]) if row[index] else ""


def _note_of(at: int, notes: dict[int, str]) -> Cell:
    return lambda row: notes.get(_record_id(row, at) or 0, "")


def _record_id(row: list[object], at: int) -> int | None:
    value = row[at]
    return value if isinstance(value, int) else None


def _resolution_part(
    at: int, resolutions: dict[int, tuple[str, str, str]], part: int, labels: dict[str, str]
) -> Cell:
    """Part ``part`` of RESOLUTION_DETAILS for a row: reason code, its label, lead, note."""

    def cell(row: list[object]) -> object:
        found = resolutions.get(_record_id(row, at) or 0)
        if found is None:
            return ""
        reason, lead, note = found
        return (reason, labels.get(reason, reason) if reason else "", lead, note)[part]

    return cell


def _vote_notes(session: Session, review_id: int) -> dict[tuple[str, str], dict[int, str]]:
    """(stage, reviewer name) -> record -> the reviewer's note on their vote."""
    notes: dict[tuple[str, str], dict[int, str]] = {}
    rows = session.execute(
        sa_select(col(Decision.record_id), col(Decision.stage), col(User.name), col(Decision.note))
        .join(User, col(User.id) == Decision.reviewer_id)
        .where(col(Decision.review_id) == review_id, col(Decision.note).is_not(None))
    )
    for record_id, stage, name, note in rows:
        notes.setdefault((stage, name), {})[record_id] = note
    return notes


def _resolutions(session: Session, review_id: int) -> dict[str, dict[int, tuple[str, str, str]]]:
    """stage -> record -> (reason code, the lead's name, note) of the lead's resolution."""
    found: dict[str, dict[int, tuple[str, str, str]]] = {}
    rows = session.execute(
        sa_select(
            col(Resolution.record_id),
            col(Resolution.stage),
            col(Resolution.reason),
            col(User.name),
            col(Resolution.note),
        )
        .join(User, col(User.id) == Resolution.lead_id)
        .where(col(Resolution.review_id) == review_id)
    )
    for record_id, stage, reason, lead, note in rows:
        found.setdefault(stage, {})[record_id] = (reason or "", lead, note or "")
    return found
