"""A study's extraction in copies: one per extractor (slots 1..N) and the consensus (slot 0).

Each copy holds what :class:`review_app.domain.extraction.model.StudyExtraction` holds: design
facts and the indirect-evidence note on the :class:`Extraction` row, the protocol's study
characteristics (:class:`ExtractionValue`), the arms (:class:`ExtractionArm`) and the results
(:class:`ExtractionResult`, numbers as the paper reports them in one of the domain's result
formats). ``services/extraction.py`` is the only writer and reads and writes whole copies.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import CheckConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from review_app.domain.extraction.model import Result
from review_app.domain.vocabulary import ArmRole, EffectMeasure, ExtractionStatus, StudyDesign
from review_app.models.base import created_at_field, json_field, one_of, utcnow

CONSENSUS_SLOT = 0  # the consensus copy's slot; extractors hold slots 1..N
EXTRACTION_STATUSES: tuple[str, ...] = tuple(ExtractionStatus)
STUDY_DESIGNS: tuple[str, ...] = tuple(StudyDesign)
ARM_ROLES: tuple[str, ...] = tuple(ArmRole)
EFFECT_MEASURES: tuple[str, ...] = tuple(EffectMeasure)
MAX_ARM_LABEL = 200  # ExtractionArm.label
MAX_FORMAT = 40  # ExtractionResult.format (a key of domain/extraction/formats.FORMATS)


def result_key_digest(result: Result) -> str:
    """The SHA-256 of ``Result.key`` (what makes two results the same result): a short, NULL-free
    column that a unique constraint can hold on both databases, whatever the labels' lengths."""
    return hashlib.sha256(json.dumps(list(result.key)).encode("utf-8")).hexdigest()


class Extraction(SQLModel, table=True):
    """One copy of one study's extraction: an extractor's (slot >= 1) or the consensus (slot 0,
    no extractor), with the design facts an analysis needs (Cochrane Handbook chapter 23)."""

    __table_args__ = (
        UniqueConstraint("study_id", "slot", name="uq_extraction_study_slot"),
        UniqueConstraint("study_id", "extractor_id", name="uq_extraction_study_extractor"),
        one_of("status", EXTRACTION_STATUSES, "status"),
        one_of("design_kind", STUDY_DESIGNS, "design_kind"),
        CheckConstraint(
            "(slot = 0 AND extractor_id IS NULL) OR (slot > 0 AND extractor_id IS NOT NULL)",
            name="slot_extractor",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True, ondelete="CASCADE")
    slot: int
    extractor_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    status: str = Field(default=ExtractionStatus.IN_PROGRESS, max_length=20)
    design_kind: str | None = Field(default=None, max_length=20)
    mean_cluster_size: float | None = None
    icc: float | None = None
    crossover_correlation: float | None = None
    design_note: str = Field(default="", sa_type=Text)
    indirect_evidence: str = Field(default="", sa_type=Text)
    # The consensus copy only: the comparison items (domain/extraction/compare keys) a lead has
    # decided by taking or editing them; an item the extractors agree on needs no decision.
    decided: list[list[str]] = json_field(list)
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utcnow, nullable=False)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")


class ExtractionValue(SQLModel, table=True):
    """One protocol extraction field's value (study characteristic) in one copy."""

    __table_args__ = (UniqueConstraint("extraction_id", "field_id"),)

    id: int | None = Field(default=None, primary_key=True)
    extraction_id: int = Field(foreign_key="extraction.id", index=True, ondelete="CASCADE")
    field_id: str = Field(max_length=100)  # protocol extraction field id
    value: str = Field(sa_type=Text)


class ExtractionArm(SQLModel, table=True):
    """An arm of the study as one copy records it; copies are matched by label."""

    __table_args__ = (
        UniqueConstraint("extraction_id", "label"),
        one_of("role", ARM_ROLES, "role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    extraction_id: int = Field(foreign_key="extraction.id", index=True, ondelete="CASCADE")
    position: int  # order on the form, from 0
    label: str = Field(max_length=MAX_ARM_LABEL)
    role: str = Field(max_length=20)
    description: str = Field(default="", sa_type=Text)
    randomised: int | None = None


class ExtractionResult(SQLModel, table=True):
    """A result of one outcome at one time point in one copy: of one arm (``comparator`` NULL) or
    between two arms (a contrast, with its effect measure). Arms are named by label, as in
    :class:`review_app.domain.extraction.model.Result`; ``result_key`` is
    :func:`result_key_digest`, unique within the copy."""

    __table_args__ = (
        UniqueConstraint("extraction_id", "result_key"),
        one_of("measure", EFFECT_MEASURES, "measure"),
    )

    id: int | None = Field(default=None, primary_key=True)
    extraction_id: int = Field(foreign_key="extraction.id", index=True, ondelete="CASCADE")
    position: int  # order on the form, from 0
    result_key: str = Field(max_length=64)
    outcome_id: str = Field(max_length=100)  # protocol outcome id
    timepoint: str = Field(default="", sa_type=Text)
    arm: str = Field(sa_type=Text)
    comparator: str | None = Field(default=None, sa_type=Text)
    format: str = Field(max_length=MAX_FORMAT)
    values: dict[str, float] = json_field()  # format field name -> number as reported
    measure: str | None = Field(default=None, max_length=10)
    adjusted: bool = False
    note: str = Field(default="", sa_type=Text)
