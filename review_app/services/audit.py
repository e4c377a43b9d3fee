"""The audit trail: each change to a decision, resolution, merge, role or rating is an event."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from review_app.domain.vocabulary import Role
from review_app.models import AuditEvent
from review_app.services.permissions import Actor, can_see_all_votes, require_role


def record_event(
    session: Session,
    *,
    review_id: int | None,
    user_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        review_id=review_id,
        user_id=user_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
    )
    session.add(event)
    session.flush()
    return event


def list_events(
    session: Session, *, actor: Actor, review_id: int, limit: int | None = None
) -> list[AuditEvent]:
    """The review's audit trail, newest first: every event for leads and admins; a reviewer gets
    only their own events (the trail records every vote, so it is never theirs to read whole)."""
    role = require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    query = (
        select(AuditEvent)
        .where(AuditEvent.review_id == review_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())  # type: ignore[attr-defined,union-attr]
    )
    if not can_see_all_votes(role):
        query = query.where(AuditEvent.user_id == actor.user_id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))
