"""Studies and GRADE assessments (extraction: models/extraction.py; risk of bias:
models/appraisal.py; saved analyses: models/analysis.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from review_app.models.base import created_at_field, json_field


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
    __table_args__ = (UniqueConstraint("review_id", "outcome_id"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    outcome_id: str = Field(max_length=100)
    domains: dict[str, Any] = json_field()  # domain -> {rating, footnote}
    certainty: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = created_at_field()
