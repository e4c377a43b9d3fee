"""Studies, GRADE judgements in copies and published Summary-of-Findings tables (extraction:
models/extraction.py; risk of bias: models/appraisal.py; saved analyses: models/analysis.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from review_app.domain.grade.model import Certainty
from review_app.domain.vocabulary import ExtractionStatus
from review_app.models.base import created_at_field, json_field, one_of, utcnow

FINAL_SLOT = 0  # the final judgements' slot; judges hold slots 1..N
# A copy is in progress or complete, as an extraction or risk-of-bias copy is.
GRADE_STATUSES: tuple[str, ...] = tuple(ExtractionStatus)
CERTAINTIES: tuple[str, ...] = tuple(Certainty)
MAX_OUTCOME_ID = 100  # a protocol outcome id
SLOT_JUDGE = "(slot = 0 AND judge_id IS NULL) OR (slot > 0 AND judge_id IS NOT NULL)"


class Study(SQLModel, table=True):
    """A study; one or more included reports (records) belong to it."""

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    label: str = Field(max_length=200)  # e.g. "Vicknasingam 2020"
    design: str | None = Field(default=None, max_length=100)
    created_at: datetime = created_at_field()


class StudyReport(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("record_id"),)

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True, ondelete="CASCADE")
    record_id: int = Field(foreign_key="record.id", ondelete="CASCADE")
    is_main_report: bool = False


class GradeAssessment(SQLModel, table=True):
    """One copy of one protocol outcome's GRADE judgements: a judge's (slot >= 1) or the final
    (slot 0, no judge) the Summary-of-Findings table is built from.

    ``content`` is a :class:`review_app.domain.grade.model.GradeContent` as
    ``domain/grade/content.content_to_dict`` writes it; ``certainty`` the certainty it gives,
    kept for lists (None without studies or while a downgrading domain is not rated);
    ``decided`` (the final only): the comparison items a lead took or edited.
    ``services/grade.py`` is the only writer.
    """

    __table_args__ = (
        UniqueConstraint(
            "review_id", "outcome_id", "slot", name="uq_gradeassessment_review_outcome_slot"
        ),
        UniqueConstraint(
            "review_id", "outcome_id", "judge_id", name="uq_gradeassessment_review_outcome_judge"
        ),
        one_of("status", GRADE_STATUSES, "status"),
        one_of("certainty", CERTAINTIES, "certainty"),
        CheckConstraint(SLOT_JUDGE, name="slot_judge"),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    outcome_id: str = Field(max_length=MAX_OUTCOME_ID)  # protocol outcome id
    slot: int
    judge_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    status: str = Field(default=ExtractionStatus.IN_PROGRESS, max_length=20)
    content: dict[str, Any] = json_field()
    certainty: str | None = Field(default=None, max_length=20)
    decided: list[list[str]] = json_field(list)
    created_at: datetime = created_at_field()
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow, nullable=False)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")


class SofPublication(SQLModel, table=True):
    """A Summary-of-Findings table as a lead published it: every member reads the latest.
    ``content`` is ``domain/grade/sof.table_to_dict`` of the table, kept as it was then."""

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    published_at: datetime = created_at_field()
    published_by_id: int | None = Field(default=None, foreign_key="user.id")
    content: dict[str, Any] = json_field()
