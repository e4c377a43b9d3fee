"""A record's history for leads: every audit event that concerns it, in time order, with who
did it and the state before and after.

The audit trail names a record in different ways, depending on what changed: votes,
resolutions, full texts, comments and flags name their row (and carry ``record_id`` in their
state, which is how a withdrawn vote, its row gone, is found); an import names its batch; a
lead's pair decision names the candidate pair; an undo of a merge names the cluster; a release
and a study's reports list record ids. An automatic deduplication pass is audited once for the
whole review, so its merges are read from the clusters themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from review_app.domain.vocabulary import Role
from review_app.errors import NotFoundError, PermissionDeniedError
from review_app.models import (
    AuditEvent,
    CandidatePair,
    ClusterMember,
    Decision,
    DiscussionFlag,
    DuplicateCluster,
    FullText,
    Record,
    RecordComment,
    Resolution,
    User,
)
from review_app.services.permissions import Actor, can_see_all_votes, require_role

WITHDRAWN_VOTE = "vote.undo"  # the vote's row is deleted; the event's state names the record
# Review-wide actions whose state lists record ids (``record_ids``).
LISTING_ACTIONS = ("stage.release",)
LISTING_ENTITIES = ("study",)
AUTO_MERGE = "dedup.merge.auto"  # read from the cluster: the pass audits the review, not a merge
AUTOMATIC = "automatic deduplication"
OPERATOR = "command line"

ACTION_LABELS = {
    "import.create": "imported",
    "import.undo": "import undone",
    "vote.create": "voted",
    "vote.update": "changed a vote",
    "vote.undo": "withdrew a vote",
    "vote.import": "vote imported",
    "resolution.create": "resolved",
    "resolution.update": "changed a resolution",
    "resolution.import": "resolution imported",
    "stage.release": "released the outcome",
    "dedup.pair.duplicate": "merged as duplicates",
    "dedup.pair.not_duplicate": "judged not a duplicate",
    "dedup.pair.skip": "skipped a duplicate pair",
    "dedup.undo": "undid a merge",
    AUTO_MERGE: "merged as duplicates (automatic)",
    "comment.create": "commented",
    "discussion.flag": "flagged for discussion",
    "discussion.clear": "cleared the discussion flag",
}


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    who: str
    action: str
    label: str  # the action in words ("changed a vote")
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def record_history(
    session: Session, *, actor: Actor, review_id: int, record_id: int
) -> list[HistoryEntry]:
    """The record's history, oldest first (leads and admins only: it holds every vote)."""
    _require_lead(session, actor, review_id)
    record = session.get(Record, record_id)
    if record is None or record.review_id != review_id:
        raise NotFoundError(f"no record {record_id} in review {review_id}")
    clusters = _cluster_ids(session, record_id)
    events = sorted(
        [
            *_direct_events(session, record, clusters),
            *_listing_events(session, review_id, record_id),
        ],
        key=lambda event: (_aware(event.at), event.id or 0),
    )
    names = _user_names(session, {e.user_id for e in events if e.user_id is not None})
    entries = [_entry(event, names) for event in events]
    entries += _automatic_merges(session, clusters)
    return sorted(entries, key=lambda entry: entry.at)  # stable: ties keep the events' order


def _require_lead(session: Session, actor: Actor, review_id: int) -> None:
    role = require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    if not can_see_all_votes(role):
        raise PermissionDeniedError(
            "a record's history shows every member's votes, so only leads and admins may read "
            f"it; your role is {role}"
        )


def _direct_events(session: Session, record: Record, clusters: list[int]) -> list[AuditEvent]:
    """Events on the rows that belong to the record: each looked up by (entity, entity_id)
    through its index, not by reading every event's JSON (a review's trail holds two events
    per vote)."""
    assert record.id is not None
    rows = _rows_of(session, record, clusters)
    query = select(AuditEvent).where(or_(*(_entity_in(e, ids) for e, ids in rows.items() if ids)))
    return [event for event in session.exec(query) if event.review_id == record.review_id]


def _rows_of(session: Session, record: Record, clusters: list[int]) -> dict[str, list[int]]:
    """The ids, by table, of the rows an event about this record names."""
    rid = record.id

    def ids(column: Any, where: Any) -> list[int]:
        return [i for i in session.exec(select(column).where(where)) if i is not None]

    pair = or_(col(CandidatePair.record_a_id) == rid, col(CandidatePair.record_b_id) == rid)
    return {
        "decision": [
            *ids(Decision.id, col(Decision.record_id) == rid),
            *_withdrawn_votes(session, record),
        ],
        "resolution": ids(Resolution.id, col(Resolution.record_id) == rid),
        "fulltext": ids(FullText.id, col(FullText.record_id) == rid),
        "recordcomment": ids(RecordComment.id, col(RecordComment.record_id) == rid),
        "discussionflag": ids(DiscussionFlag.id, col(DiscussionFlag.record_id) == rid),
        "importbatch": [record.import_batch_id],
        "candidatepair": ids(CandidatePair.id, pair),
        "duplicatecluster": clusters,
    }


def _withdrawn_votes(session: Session, record: Record) -> list[int]:
    """Votes on the record that were withdrawn (their rows are gone): the ids their events
    name, from the few withdrawal events, whose state before holds the record's id."""
    # By the action's index alone: with the review's id in the query too, a database may walk
    # the review's whole trail instead (record ids are unique across reviews anyway).
    query = select(AuditEvent.entity_id, AuditEvent.review_id).where(
        AuditEvent.action == WITHDRAWN_VOTE,
        col(AuditEvent.before)["record_id"].as_integer() == record.id,
    )
    rows = session.exec(query)
    return [i for i, review_id in rows if i is not None and review_id == record.review_id]


def _entity_in(entity: str, ids: list[int]) -> ColumnElement[bool]:
    return and_(col(AuditEvent.entity) == entity, col(AuditEvent.entity_id).in_(ids))


def _listing_events(session: Session, review_id: int, record_id: int) -> list[AuditEvent]:
    """Releases and study changes whose state lists the record (few per review: read whole)."""
    query = select(AuditEvent).where(
        or_(
            col(AuditEvent.action).in_(LISTING_ACTIONS),
            col(AuditEvent.entity).in_(LISTING_ENTITIES),
        )
    )  # by the indexes of action and entity; the review is checked below (as above)
    return [
        event
        for event in session.exec(query)
        if event.review_id == review_id and _lists(event, record_id)
    ]


def _lists(event: AuditEvent, record_id: int) -> bool:
    return any(
        record_id in (state or {}).get("record_ids", []) for state in (event.before, event.after)
    )


def _cluster_ids(session: Session, record_id: int) -> list[int]:
    query = select(ClusterMember.cluster_id).where(ClusterMember.record_id == record_id)
    return sorted(set(session.exec(query)))


def _automatic_merges(session: Session, clusters: list[int]) -> list[HistoryEntry]:
    query = select(DuplicateCluster).where(
        col(DuplicateCluster.id).in_(clusters), DuplicateCluster.decided_by == "auto"
    )
    entries = []
    for cluster in session.exec(query):
        members = session.exec(
            select(ClusterMember.record_id).where(ClusterMember.cluster_id == cluster.id)
        )
        after = {
            "cluster_id": cluster.id,
            "primary_record_id": cluster.primary_record_id,
            "record_ids": sorted(members),
            "score": cluster.score,
        }
        at = _aware(cluster.created_at)
        entries.append(
            HistoryEntry(at, AUTOMATIC, AUTO_MERGE, ACTION_LABELS[AUTO_MERGE], None, after)
        )
    return entries


def _entry(event: AuditEvent, names: dict[int, str]) -> HistoryEntry:
    who = names.get(event.user_id, f"user {event.user_id}") if event.user_id else OPERATOR
    label = ACTION_LABELS.get(event.action, event.action.replace(".", " ").replace("_", " "))
    return HistoryEntry(_aware(event.at), who, event.action, label, event.before, event.after)


def _user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.name).where(col(User.id).in_(ids)))
    return {user_id: name for user_id, name in rows if user_id is not None}


def _aware(moment: datetime) -> datetime:
    """SQLite may give back naive datetimes (stored as UTC); sorting needs them alike."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
