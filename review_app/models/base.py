"""Column helpers and the naming convention that gives constraints stable names for Alembic."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint
from sqlmodel import Field, SQLModel

from review_app.domain.vocabulary import ROLES, STAGES, VOTES

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

__all__ = ["ROLES", "STAGES", "VOTES", "created_at_field", "json_field", "one_of", "utcnow"]


def utcnow() -> datetime:
    """Aware UTC now: the one clock every table uses (SQLModel stores it as UTC)."""
    return datetime.now(UTC)


def created_at_field() -> Any:
    return Field(default_factory=utcnow, nullable=False)


def json_field(default_factory: Any = dict) -> Any:
    return Field(default_factory=default_factory, sa_type=JSON, nullable=False)


def one_of(column: str, allowed: tuple[str, ...], name: str) -> CheckConstraint:
    """A CHECK that keeps a text column inside its allowed values on both databases."""
    values = ", ".join(f"'{value}'" for value in allowed)
    return CheckConstraint(f"{column} IN ({values})", name=name)
