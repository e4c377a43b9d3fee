"""Saved meta-analyses: the choices that make an analysis, and the numbers it last gave.

A saved analysis names an outcome, a time point and the analysis' settings (measure, method,
test, prediction interval, subgroups by a study characteristic, studies left out by a stated
rule, whether indirect evidence is pooled); ``services/analyses.py`` runs it again from the
current consensus extraction each time. ``data_digest`` is the SHA-256 of the study data it last
ran on: when the extraction changes, the digest differs and the analysis is shown as stale until
it is run again. ``result`` keeps that last run's summary (``services/analysis_summary.py``), so a
list shows the numbers an analysis last had beside its stale mark; it is never read back as the
analysis (a run computes again).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from review_app.domain.meta.model import Method, PredictionRule, Test
from review_app.domain.vocabulary import EffectMeasure
from review_app.models.base import created_at_field, json_field, one_of, utcnow

ANALYSIS_MEASURES: tuple[str, ...] = tuple(EffectMeasure)
ANALYSIS_METHODS: tuple[str, ...] = tuple(Method)
ANALYSIS_TESTS: tuple[str, ...] = tuple(Test)
PREDICTION_RULES: tuple[str, ...] = tuple(PredictionRule)
MAX_NAME = 200  # SavedAnalysis.name
MAX_FIELD_ID = 100  # a protocol id (outcome, extraction field)


class SavedAnalysis(SQLModel, table=True):
    """One saved analysis of a review, named uniquely within it."""

    __table_args__ = (
        UniqueConstraint("review_id", "name", name="uq_savedanalysis_review_name"),
        one_of("measure", ANALYSIS_MEASURES, "measure"),
        one_of("method", ANALYSIS_METHODS, "method"),
        one_of("test", ANALYSIS_TESTS, "test"),
        one_of("prediction", PREDICTION_RULES, "prediction"),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=MAX_NAME)
    outcome_id: str = Field(max_length=MAX_FIELD_ID)  # protocol outcome id
    timepoint: str | None = Field(default=None, sa_type=Text)  # None: each study's only one
    measure: str = Field(max_length=10)
    method: str = Field(max_length=10)
    test: str = Field(max_length=10)
    prediction: str = Field(max_length=10)
    subgroup: str | None = Field(default=None, max_length=MAX_FIELD_ID)  # extraction field id
    excluded: list[str] = json_field(list)  # study labels left out (a sensitivity analysis)
    exclusion_rule: str = Field(default="", sa_type=Text)  # why: "high risk of bias (RoB 2)"
    include_indirect: bool = False  # pool studies flagged as indirect evidence too
    data_digest: str = Field(default="", max_length=64)
    # None (SQL NULL, not JSON null): not run since it moved from the old table (migration 0008)
    result: dict[str, Any] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    # What migration 0008 moved from the old ``analysis`` table that no column above holds (its
    # id, settings it could not map, its result); {} for an analysis saved here.
    legacy: dict[str, Any] = json_field()
    created_at: datetime = created_at_field()
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow, nullable=False)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
