"""GRADE judgements in copies: per review and protocol outcome a copy per judge (slots 1..N) and
the final (slot 0) the Summary-of-Findings table is built from, each holding its content as
JSON; and ``sofpublication``, the Summary-of-Findings tables leads published.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

Existing data is kept: the placeholder ``gradeassessment`` table (one row per review and outcome,
``domains`` JSON of domain -> {rating, footnote}, ``certainty``, ``note``) was never written by
the app; a row found there becomes the outcome's final copy, in progress. A domain and a rating
spelled as GRADE's words of this revision (``risk_of_bias``, ``serious``; case and spaces aside)
become that domain's judgement with the footnote as its explanation; the note becomes the
comments, and any domain entry that does not match is added to the comments as written
("old judgement: <domain>: <value>"), so nothing is lost. A certainty among high, moderate,
low, very low (or very_low) is kept; another is dropped (the service computes it again).

The downgrade gives back what the old table holds: the final copies as rows of domains ->
{rating, footnote}, their certainty and comments as the note (the judges' copies, the body of
evidence, the baselines, the statement and the published tables are dropped).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = UTCDateTime()
# The vocabulary as of this revision (domain/vocabulary.ExtractionStatus, domain/grade/model.py).
STATUS_CHECK = "status IN ('in_progress', 'complete')"
CERTAINTY_CHECK = "certainty IN ('high', 'moderate', 'low', 'very_low')"
SLOT_CHECK = "(slot = 0 AND judge_id IS NULL) OR (slot > 0 AND judge_id IS NOT NULL)"
CERTAINTIES = ("high", "moderate", "low", "very_low")
DOMAINS = (
    "risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias",
    "large_effect", "dose_response", "confounding",
)  # fmt: skip
DOWN_RATINGS = ("not_serious", "serious", "very_serious")
UP_RATINGS = ("none", "plus_one", "plus_two")
FINAL_SLOT = 0

# The tables as this revision writes and reads them (not the models, which may change later).
OLD = sa.table(
    "gradeassessment",
    sa.column("id", sa.Integer),
    sa.column("review_id", sa.Integer),
    sa.column("outcome_id", sa.String),
    sa.column("domains", sa.JSON),
    sa.column("certainty", sa.String),
    sa.column("note", sa.Text),
    sa.column("updated_at", UTC_DATETIME),
)
NEW = sa.table(
    "gradeassessment",
    *(
        sa.column(name, kind)
        for name, kind in (
            ("id", sa.Integer), ("review_id", sa.Integer), ("outcome_id", sa.String),
            ("slot", sa.Integer), ("judge_id", sa.Integer), ("status", sa.String),
            ("content", sa.JSON), ("certainty", sa.String), ("decided", sa.JSON),
            ("created_at", UTC_DATETIME), ("created_by_id", sa.Integer),
            ("updated_at", UTC_DATETIME), ("updated_by_id", sa.Integer),
        )
    ),
)  # fmt: skip


def upgrade() -> None:
    bind = op.get_bind()
    old = bind.execute(sa.select(OLD).order_by(OLD.c.id)).all()
    op.drop_table("gradeassessment")  # with its index
    _create_new_tables()
    if old:
        op.bulk_insert(NEW, [_final_row(row) for row in old])


def downgrade() -> None:
    bind = op.get_bind()
    finals = bind.execute(sa.select(NEW).where(NEW.c.slot == FINAL_SLOT).order_by(NEW.c.id)).all()
    op.drop_table("sofpublication")  # with its index
    op.drop_table("gradeassessment")  # with its indexes
    _create_old_table()
    if finals:
        op.bulk_insert(OLD, [_old_row(row) for row in finals])


# --- upgrade ------------------------------------------------------------------------------------


def _user(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["user.id"], name=op.f(f"fk_{table}_{column}_user"))


def _review(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["review_id"], ["review.id"], name=op.f(f"fk_{table}_review_id_review"), ondelete="CASCADE"
    )


def _create_new_tables() -> None:
    op.create_table(
        "gradeassessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", AutoString(length=100), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("judge_id", sa.Integer(), nullable=True),
        sa.Column("status", AutoString(length=20), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("certainty", AutoString(length=20), nullable=True),
        sa.Column("decided", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(STATUS_CHECK, name=op.f("ck_gradeassessment_status")),
        sa.CheckConstraint(CERTAINTY_CHECK, name=op.f("ck_gradeassessment_certainty")),
        sa.CheckConstraint(SLOT_CHECK, name=op.f("ck_gradeassessment_slot_judge")),
        _review("gradeassessment"),
        _user("judge_id", "gradeassessment"),
        _user("created_by_id", "gradeassessment"),
        _user("updated_by_id", "gradeassessment"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gradeassessment")),
        sa.UniqueConstraint(
            "review_id", "outcome_id", "slot", name="uq_gradeassessment_review_outcome_slot"
        ),
        sa.UniqueConstraint(
            "review_id", "outcome_id", "judge_id", name="uq_gradeassessment_review_outcome_judge"
        ),
    )
    op.create_index(op.f("ix_gradeassessment_review_id"), "gradeassessment", ["review_id"])
    op.create_index(op.f("ix_gradeassessment_judge_id"), "gradeassessment", ["judge_id"])
    op.create_table(
        "sofpublication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("published_at", UTC_DATETIME, nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        _review("sofpublication"),
        _user("published_by_id", "sofpublication"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sofpublication")),
    )
    op.create_index(op.f("ix_sofpublication_review_id"), "sofpublication", ["review_id"])


def _word(value: Any) -> str:
    """An old value as this revision's word: "Very serious" -> "very_serious"."""
    return "_".join(str(value).strip().lower().replace("-", " ").split())


def _judgement(domain: str, value: Any) -> dict[str, Any] | None:
    """The old entry as a judgement of this revision, or None when it does not match one."""
    entry = value if isinstance(value, Mapping) else {"rating": value}
    rating = entry.get("rating")
    footnote = entry.get("footnote") or entry.get("explanation") or ""
    allowed = UP_RATINGS if DOMAINS.index(domain) >= 5 else DOWN_RATINGS
    if rating is not None and _word(rating) not in allowed:
        return None
    if not isinstance(footnote, str) or set(entry) - {"rating", "footnote", "explanation"}:
        return None
    return {"rating": _word(rating) if rating is not None else None, "explanation": footnote}


def _final_row(row: Any) -> dict[str, Any]:
    """An old row as the outcome's final copy (see the module's docstring)."""
    judgements: dict[str, Any] = {}
    unmatched: list[str] = []
    domains = row.domains if isinstance(row.domains, Mapping) else {}
    for key, value in domains.items():
        domain = _word(key)
        judgement = _judgement(domain, value) if domain in DOMAINS else None
        if judgement is None:
            unmatched.append(f"old judgement: {key}: {json.dumps(value, ensure_ascii=False)}")
        else:
            judgements[domain] = judgement
    comments = "\n".join(part for part in (row.note or "", *unmatched) if part)
    certainty = _word(row.certainty) if row.certainty else None
    content: dict[str, Any] = {
        "source": None, "analysis": None, "narrative": "", "indirect": {},
        "judgements": judgements, "baselines": [], "comments": comments, "statement": "",
    }  # fmt: skip
    return {
        "review_id": row.review_id,
        "outcome_id": row.outcome_id,
        "slot": FINAL_SLOT,
        "judge_id": None,
        "status": "in_progress",
        "content": content,
        "certainty": certainty if certainty in CERTAINTIES else None,
        "decided": [],
        "created_at": row.updated_at,
        "updated_at": row.updated_at,
    }


# --- downgrade ----------------------------------------------------------------------------------


def _create_old_table() -> None:
    op.create_table(
        "gradeassessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.String(length=100), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("certainty", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _review("gradeassessment"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gradeassessment")),
        sa.UniqueConstraint("review_id", "outcome_id", name=op.f("uq_gradeassessment_review_id")),
    )
    op.create_index(op.f("ix_gradeassessment_review_id"), "gradeassessment", ["review_id"])


def _old_row(row: Any) -> dict[str, Any]:
    content = row.content if isinstance(row.content, Mapping) else {}
    judgements = content.get("judgements") or {}
    return {
        "review_id": row.review_id,
        "outcome_id": row.outcome_id,
        "domains": {
            domain: {"rating": j.get("rating"), "footnote": j.get("explanation", "")}
            for domain, j in judgements.items()
        },
        "certainty": row.certainty,
        "note": content.get("comments") or None,
        "updated_at": row.updated_at,
    }
