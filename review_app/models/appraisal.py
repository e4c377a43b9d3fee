"""Risk of bias in copies: per study, each assessor's (slots 1..N) and the consensus (slot 0).

Risk of bias is judged per result (RoB 2 guidance, section 1.3), so a study has a copy per
protocol outcome, or one for every outcome (``outcome_id`` = ``ALL_OUTCOMES``, "*") that an
outcome's own copy overrides domain by domain. An assessor claims a slot of a study
(:class:`AppraisalSlot`) and all their copies of the study's results carry it.

Each copy (:class:`Appraisal`) holds what
:class:`review_app.domain.appraisal.model.ResultAssessment` holds: the tool and its variant, the
overall judgement and its support, and a row per domain (:class:`AppraisalDomain`) with the
signalling answers, the judgement and its support. ``services/appraisal.py`` is the only writer
and reads and writes whole copies.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from review_app.domain.vocabulary import ExtractionStatus
from review_app.models.base import created_at_field, json_field, one_of, utcnow

CONSENSUS_SLOT = 0  # the consensus copies' slot; assessors hold slots 1..N
# A copy is in progress or complete, as an extraction copy is.
APPRAISAL_STATUSES: tuple[str, ...] = tuple(ExtractionStatus)
MAX_TOOL = 40  # Appraisal.tool: a key of domain/appraisal/tools.TOOLS ("rob2", "robins-i")
MAX_VARIANT = 40  # Appraisal.variant: a variant id of the tool ("assignment", "adherence")
MAX_LEVEL = 80  # a level id of the tool's scale ("Some concerns", "No information")
MAX_DOMAIN = 20  # AppraisalDomain.domain: a domain id of the tool ("D1")
SLOT_ASSESSOR = "(slot = 0 AND assessor_id IS NULL) OR (slot > 0 AND assessor_id IS NOT NULL)"


class AppraisalSlot(SQLModel, table=True):
    """An assessor's claim on a study: their slot 1..N, the same for all its results' copies.
    One row per (study, slot) and per (study, assessor), so two claims cannot share a slot."""

    __table_args__ = (
        UniqueConstraint("study_id", "slot", name="uq_appraisalslot_study_slot"),
        UniqueConstraint("study_id", "assessor_id", name="uq_appraisalslot_study_assessor"),
        CheckConstraint("slot > 0", name="assessor_slot"),
    )

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True, ondelete="CASCADE")
    slot: int
    assessor_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = created_at_field()


class Appraisal(SQLModel, table=True):
    """One copy of one result's risk-of-bias assessment: an assessor's (slot >= 1) or the
    consensus (slot 0, no assessor)."""

    __table_args__ = (
        UniqueConstraint("study_id", "outcome_id", "slot", name="uq_appraisal_study_outcome_slot"),
        one_of("status", APPRAISAL_STATUSES, "status"),
        CheckConstraint(SLOT_ASSESSOR, name="slot_assessor"),
    )

    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="study.id", index=True, ondelete="CASCADE")
    outcome_id: str = Field(max_length=100)  # protocol outcome id, or ALL_OUTCOMES ("*")
    slot: int
    assessor_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    tool: str = Field(max_length=MAX_TOOL)
    variant: str = Field(default="", max_length=MAX_VARIANT)
    overall: str | None = Field(default=None, max_length=MAX_LEVEL)
    overall_support: str = Field(default="", sa_type=Text)
    status: str = Field(default=ExtractionStatus.IN_PROGRESS, max_length=20)
    # The consensus copies only: the comparison items (domain/appraisal/compare keys) a lead has
    # decided by taking or editing them; an item the assessors agree on needs no decision.
    decided: list[list[str]] = json_field(list)
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utcnow, nullable=False)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")


class AppraisalDomain(SQLModel, table=True):
    """One domain of one copy: the signalling answers, the judgement and its support."""

    __table_args__ = (UniqueConstraint("appraisal_id", "domain"),)

    id: int | None = Field(default=None, primary_key=True)
    appraisal_id: int = Field(foreign_key="appraisal.id", index=True, ondelete="CASCADE")
    position: int  # the tool's domain order, from 0
    domain: str = Field(max_length=MAX_DOMAIN)
    answers: dict[str, str] = json_field()  # question number ("1.1") -> answer ("PY")
    judgement: str | None = Field(default=None, max_length=MAX_LEVEL)
    support: str = Field(default="", sa_type=Text)
