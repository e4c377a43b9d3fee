"""The audit trail: each change to a decision, resolution, merge, role or rating is an event."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from review_app.models import AuditEvent


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


def list_events(session: Session, *, review_id: int, limit: int | None = None) -> list[AuditEvent]:
    query = (
        select(AuditEvent)
        .where(AuditEvent.review_id == review_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())  # type: ignore[attr-defined,union-attr]
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))
