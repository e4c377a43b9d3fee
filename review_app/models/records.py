"""Imported search results and their duplicate clusters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from review_app.models.base import created_at_field, json_field, one_of

SOURCE_KINDS = ("database", "register", "website", "organisation", "citation", "other")


class ImportBatch(SQLModel, table=True):
    """One imported file: where it came from (PRISMA's per-source counts) and what it held."""

    __table_args__ = (
        one_of("source_kind", SOURCE_KINDS, "source_kind"),
        one_of("status", ("active", "undone"), "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    file_name: str = Field(sa_type=Text)
    sha256: str = Field(max_length=64, index=True)
    source_name: str = Field(sa_type=Text)  # "PubMed", "Embase", ...
    source_kind: str = Field(default="database", max_length=20)
    format: str = Field(max_length=20)
    date_searched: date | None = None
    imported_by_id: int | None = Field(default=None, foreign_key="user.id")
    imported_at: datetime = created_at_field()
    record_count: int = 0
    skipped_count: int = 0
    warnings: list[str] = json_field(list)
    status: str = Field(default="active", max_length=10)


class Record(SQLModel, table=True):
    """One bibliographic record as imported, normalised, with its original fields in ``raw``.

    Its bibliographic columns are the fields declared in ``domain/record_fields.py``, written
    out here because Alembic reads them; ``tests/test_record_fields.py`` fails when the two
    disagree (a field without its column, a column without its declaration, another type).
    """

    __table_args__ = (
        Index("ix_record_review_doi", "review_id", "doi"),
        Index("ix_record_review_pmid", "review_id", "pmid"),
        # covers "the records of this review in active imports" without reading the wide rows
        Index("ix_record_review_batch", "review_id", "import_batch_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    import_batch_id: int = Field(foreign_key="importbatch.id", index=True, ondelete="CASCADE")
    position: int  # 1-based record number within its file
    source_record_id: str | None = Field(default=None, sa_type=Text)
    title: str = Field(sa_type=Text)
    abstract: str | None = Field(default=None, sa_type=Text)
    authors: list[str] = json_field(list)
    year: int | None = None
    journal: str | None = Field(default=None, sa_type=Text)
    volume: str | None = Field(default=None, sa_type=Text)
    issue: str | None = Field(default=None, sa_type=Text)
    pages: str | None = Field(default=None, sa_type=Text)
    doi: str | None = Field(default=None, sa_type=Text)
    pmid: str | None = Field(default=None, sa_type=Text)
    issn: str | None = Field(default=None, sa_type=Text)
    isbn: str | None = Field(default=None, sa_type=Text)
    keywords: list[str] = json_field(list)
    language: str | None = Field(default=None, sa_type=Text)
    publication_type: str | None = Field(default=None, sa_type=Text)
    url: str | None = Field(default=None, sa_type=Text)
    raw: dict[str, Any] = json_field()
    # False until an automatic deduplication pass has compared the record with the rest of the
    # review, so a search update compares only new x new and new x existing.
    dedup_checked: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = created_at_field()


class DuplicateCluster(SQLModel, table=True):
    """Records judged to be one report; the primary stays in screening, the others leave it."""

    __table_args__ = (
        one_of("decided_by", ("auto", "manual"), "decided_by"),
        one_of("status", ("active", "undone"), "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    primary_record_id: int = Field(foreign_key="record.id")
    decided_by: str = Field(max_length=10)
    decided_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    status: str = Field(default="active", max_length=10)
    score: float | None = None
    evidence: dict[str, Any] = json_field()
    primary_before: dict[str, Any] = json_field()  # primary's fields before merging, for undo
    created_at: datetime = created_at_field()
    undone_at: datetime | None = None


class ClusterMember(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("cluster_id", "record_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: int = Field(foreign_key="duplicatecluster.id", index=True, ondelete="CASCADE")
    record_id: int = Field(foreign_key="record.id", index=True, ondelete="CASCADE")
    is_primary: bool = False
    score: float | None = None


class CandidatePair(SQLModel, table=True):
    """An uncertain pair waiting for a person in the duplicate review queue."""

    __table_args__ = (
        UniqueConstraint("record_a_id", "record_b_id"),
        one_of("status", ("pending", "duplicate", "not_duplicate", "skipped"), "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    record_a_id: int = Field(foreign_key="record.id", ondelete="CASCADE")
    record_b_id: int = Field(foreign_key="record.id", ondelete="CASCADE")
    score: float
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    status: str = Field(default="pending", max_length=20, index=True)
    decided_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
