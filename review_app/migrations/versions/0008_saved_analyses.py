"""Saved meta-analyses: per review, named analyses of an outcome at a time point with their
settings (measure, method, test, prediction interval, subgroups, studies left out by a rule)
and the digest of the data they last ran on; never their numbers, which are computed again
from the consensus extraction each time.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

A new table; nothing existing changes. The downgrade drops it with its saved analyses.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = UTCDateTime()
# The allowed values as of this revision (domain/vocabulary.py, domain/meta/model.py).
MEASURES = "'MD', 'SMD', 'RR', 'OR', 'RD', 'HR', 'IRR'"
METHODS = "'EE', 'DL', 'REML', 'PM', 'ML', 'HE', 'SJ', 'EB', 'HS', 'GENQ', 'PMM', 'MH', 'PETO'"
TESTS = "'z', 'knha'"
PREDICTION_RULES = "'metafor', 'revman'"


def _text(length: int) -> AutoString:
    return AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "savedanalysis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("name", _text(200), nullable=False),
        sa.Column("outcome_id", _text(100), nullable=False),
        sa.Column("timepoint", sa.Text(), nullable=True),
        sa.Column("measure", _text(10), nullable=False),
        sa.Column("method", _text(10), nullable=False),
        sa.Column("test", _text(10), nullable=False),
        sa.Column("prediction", _text(10), nullable=False),
        sa.Column("subgroup", _text(100), nullable=True),
        sa.Column("excluded", sa.JSON(), nullable=False),
        sa.Column("exclusion_rule", sa.Text(), nullable=False),
        sa.Column("data_digest", _text(64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"measure IN ({MEASURES})", name=op.f("ck_savedanalysis_measure")),
        sa.CheckConstraint(f"method IN ({METHODS})", name=op.f("ck_savedanalysis_method")),
        sa.CheckConstraint(f"test IN ({TESTS})", name=op.f("ck_savedanalysis_test")),
        sa.CheckConstraint(
            f"prediction IN ({PREDICTION_RULES})", name=op.f("ck_savedanalysis_prediction")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_savedanalysis_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_savedanalysis_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_savedanalysis_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_savedanalysis")),
        sa.UniqueConstraint("review_id", "name", name="uq_savedanalysis_review_name"),
    )
    op.create_index(op.f("ix_savedanalysis_review_id"), "savedanalysis", ["review_id"])


def downgrade() -> None:
    op.drop_table("savedanalysis")  # with its index
