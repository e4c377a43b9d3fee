"""Votes, lead resolutions and full texts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from review_app.models.base import STAGES, VOTES, created_at_field, json_field, one_of, utcnow


class Decision(SQLModel, table=True):
    """One reviewer's vote on one record at one stage: exactly one, by constraint."""

    __table_args__ = (
        UniqueConstraint("record_id", "reviewer_id", "stage"),
        one_of("stage", STAGES, "stage"),
        one_of("vote", VOTES, "vote"),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    record_id: int = Field(foreign_key="record.id", index=True, ondelete="CASCADE")
    reviewer_id: int = Field(foreign_key="user.id", index=True)
    stage: str = Field(max_length=20)
    vote: str = Field(max_length=10)
    reason: str | None = Field(default=None, max_length=100)  # exclusion reason id (protocol)
    note: str | None = Field(default=None, sa_type=Text)
    tags: list[str] = json_field(list)
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utcnow, nullable=False)


class Resolution(SQLModel, table=True):
    """A lead's final decision on a conflict (or an override), one per record and stage."""

    __table_args__ = (
        UniqueConstraint("record_id", "stage"),
        one_of("stage", STAGES, "stage"),
        one_of("vote", ("include", "exclude"), "vote"),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    record_id: int = Field(foreign_key="record.id", index=True, ondelete="CASCADE")
    stage: str = Field(max_length=20)
    lead_id: int = Field(foreign_key="user.id")
    vote: str = Field(max_length=10)
    reason: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utcnow, nullable=False)


class FullText(SQLModel, table=True):
    """The full text of a record: an uploaded file (stored on disk), a link, or not retrieved."""

    __table_args__ = (one_of("status", ("retrieved", "not_retrieved"), "status"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="record.id", unique=True, ondelete="CASCADE")
    status: str = Field(max_length=20)
    file_path: str | None = Field(default=None, sa_type=Text)  # relative to the files folder
    file_name: str | None = Field(default=None, max_length=500)
    sha256: str | None = Field(default=None, max_length=64)
    url: str | None = Field(default=None, sa_type=Text)
    note: str | None = Field(default=None, sa_type=Text)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow, nullable=False)


class RecordRank(SQLModel, table=True):
    """A record's predicted relevance from the latest active-learning run (higher: likelier)."""

    record_id: int = Field(foreign_key="record.id", primary_key=True, ondelete="CASCADE")
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    score: float
    model: str = Field(max_length=40)
    labelled: int  # records with a known label when the model was trained
    trained_at: datetime = created_at_field()
