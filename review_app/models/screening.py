"""Votes, lead resolutions and full texts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from review_app.domain.vocabulary import Vote
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
        one_of("vote", (Vote.INCLUDE, Vote.EXCLUDE), "vote"),
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
    file_name: str | None = Field(default=None, sa_type=Text)
    sha256: str | None = Field(default=None, max_length=64)
    url: str | None = Field(default=None, sa_type=Text)
    note: str | None = Field(default=None, sa_type=Text)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow, nullable=False)


class RecordRank(SQLModel, table=True):
    """A record's predicted relevance from the latest active-learning run (higher: likelier).

    ``reviewer_id`` is None for the team's shared ranking (once unblinded); while a review is
    blind each reviewer has a ranking of their own, trained on their own votes only, so the order
    and relevance a reviewer is shown never depend on another reviewer's vote.
    """

    __table_args__ = (Index("ix_recordrank_review_reviewer", "review_id", "reviewer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="record.id", index=True, ondelete="CASCADE")
    review_id: int = Field(foreign_key="review.id", ondelete="CASCADE")
    reviewer_id: int | None = Field(default=None, foreign_key="user.id", ondelete="CASCADE")
    score: float
    model: str = Field(max_length=40)
    labelled: int  # records with a known label when the model was trained
    trained_at: datetime = created_at_field()


class ScreeningSlot(SQLModel, table=True):
    """One of the ``reviewers_per_record`` places a record has for votes at a stage.

    A reviewer holds a slot while a record is shown to them (a lease: ``leased_until`` set) and
    keeps it with their vote (``leased_until`` None). The unique (record, stage, slot) constraint
    is what caps the votes: slots are numbered 1..N, so no (N+1)th vote can ever be stored, however
    many reviewers ask at once. An expired lease may be taken over by another reviewer.
    """

    __table_args__ = (
        UniqueConstraint("record_id", "stage", "slot", name="uq_screeningslot_record_stage_slot"),
        UniqueConstraint(
            "record_id", "stage", "reviewer_id", name="uq_screeningslot_record_stage_reviewer"
        ),
        Index("ix_screeningslot_review_stage_reviewer", "review_id", "stage", "reviewer_id"),
        one_of("stage", STAGES, "stage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", ondelete="CASCADE")
    record_id: int = Field(foreign_key="record.id", ondelete="CASCADE")
    stage: str = Field(max_length=20)
    slot: int  # 1..reviewers_per_record
    reviewer_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    leased_until: datetime | None = None  # None: held by the reviewer's vote
    created_at: datetime = created_at_field()


class StageRelease(SQLModel, table=True):
    """A lead's release of a record's outcome at a stage to the reviewers while the review is blind.

    While blind, a record that passed title/abstract screening reaches the reviewers' full-text
    queue only once a lead releases it (or resolves it): an outcome derived from two votes would
    otherwise tell the reviewer who voted include how the other one voted. Released votes are
    final for the reviewers.
    """

    __table_args__ = (UniqueConstraint("record_id", "stage"), one_of("stage", STAGES, "stage"))

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    record_id: int = Field(foreign_key="record.id", ondelete="CASCADE")
    stage: str = Field(max_length=20)
    released_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at_field()
