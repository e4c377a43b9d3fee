"""Reviews, people, their roles, login throttling and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from review_app.models.base import ROLES, created_at_field, json_field, one_of


class Review(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=200)
    title: str = Field(sa_type=Text)
    question: str = Field(default="", sa_type=Text)
    protocol: dict[str, Any] = json_field()  # protocol_to_dict(Protocol)
    protocol_source: str = Field(default="", sa_type=Text)  # the TOML as loaded
    is_blind: bool = True  # a lead can unblind; starts from the protocol's setting
    created_at: datetime = created_at_field()


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=100)
    password_hash: str
    is_active: bool = True
    # Set by an admin's password reset: the user must choose a new password at the next login.
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = created_at_field()


class Membership(SQLModel, table=True):
    """A user's role in one review."""

    __table_args__ = (
        UniqueConstraint("user_id", "review_id"),
        one_of("role", ROLES, "role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=20)
    created_at: datetime = created_at_field()


class LoginThrottle(SQLModel, table=True):
    """Failed logins per attempted name (known or not), so failures are slowed down uniformly."""

    name: str = Field(primary_key=True, max_length=100)
    failures: int = 0
    last_failure_at: datetime | None = None


class LoginSession(SQLModel, table=True):
    """A browser's login. The cookie holds a random token; only its SHA-256 is stored, so a
    copy of the database cannot be used to log in. Ends at logout, after the idle timeout, when
    the user logs out everywhere or is deactivated."""

    token_sha256: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    created_at: datetime = created_at_field()
    last_seen_at: datetime = created_at_field()
    revoked_at: datetime | None = None


class AuditEvent(SQLModel, table=True):
    """Who changed what, when, with the state before and after (JSON)."""

    # A record's history looks its rows up by the changed row (services/record_history.py).
    __table_args__ = (Index("ix_auditevent_entity_entity_id", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int | None = Field(default=None, foreign_key="review.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    at: datetime = created_at_field()
    action: str = Field(max_length=60, index=True)  # e.g. vote.create, merge.undo
    entity: str = Field(max_length=40)  # table name
    entity_id: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
