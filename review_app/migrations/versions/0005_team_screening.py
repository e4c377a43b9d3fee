"""Team screening: vote slots (the cap on votes per record), releases of outcomes while blind,
login sessions, a ranking per reviewer, and unbounded bibliographic text columns.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

Existing votes are given their slots here, numbered in the order they were cast, so the cap holds
from the first vote after the upgrade. The ranking table is a cache the background trainer
rebuilds, so it is recreated empty rather than converted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sqlmodel.sql.sqltypes.UTCDateTime()
STAGE_CHECK = "stage IN ('title_abstract', 'full_text')"
# (table, column, old length): bibliographic and file-name text has no natural limit
WIDENED = (
    ("fulltext", "file_name", 500, True),
    ("importbatch", "file_name", 500, False),
    ("importbatch", "source_name", 200, False),
    ("record", "source_record_id", 200, True),
    ("record", "volume", 100, True),
    ("record", "issue", 100, True),
    ("record", "pages", 100, True),
    ("record", "doi", 300, True),
    ("record", "pmid", 30, True),
    ("record", "issn", 100, True),
    ("record", "isbn", 100, True),
    ("record", "language", 100, True),
    ("record", "publication_type", 200, True),
)


def upgrade() -> None:
    _create_login_sessions()
    _create_screening_slots()
    _create_stage_releases()
    _recreate_record_rank(with_reviewer=True)
    for table, column, length, nullable in WIDENED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.VARCHAR(length=length),
                type_=sa.Text(),
                existing_nullable=nullable,
            )


def downgrade() -> None:
    for table, column, length, nullable in WIDENED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.Text(),
                type_=sa.VARCHAR(length=length),
                existing_nullable=nullable,
            )
    _recreate_record_rank(with_reviewer=False)
    op.drop_table("stagerelease")
    op.drop_table("screeningslot")
    op.drop_table("loginsession")


def _create_login_sessions() -> None:
    op.create_table(
        "loginsession",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("revoked_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_loginsession_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_sha256", name=op.f("pk_loginsession")),
    )
    op.create_index(op.f("ix_loginsession_user_id"), "loginsession", ["user_id"], unique=False)


def _create_screening_slots() -> None:
    op.create_table(
        "screeningslot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("leased_until", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(STAGE_CHECK, name=op.f("ck_screeningslot_stage")),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_screeningslot_record_id_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_screeningslot_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["user.id"],
            name=op.f("fk_screeningslot_reviewer_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screeningslot")),
        sa.UniqueConstraint(
            "record_id", "stage", "reviewer_id", name="uq_screeningslot_record_stage_reviewer"
        ),
        sa.UniqueConstraint(
            "record_id", "stage", "slot", name="uq_screeningslot_record_stage_slot"
        ),
    )
    op.create_index(
        "ix_screeningslot_review_stage_reviewer",
        "screeningslot",
        ["review_id", "stage", "reviewer_id"],
        unique=False,
    )
    # Every existing vote holds a slot, numbered by when it was cast.
    op.execute(
        """
        INSERT INTO screeningslot (review_id, record_id, stage, slot, reviewer_id, created_at)
        SELECT review_id, record_id, stage,
               ROW_NUMBER() OVER (PARTITION BY record_id, stage ORDER BY created_at, id),
               reviewer_id, created_at
        FROM decision
        """
    )


def _create_stage_releases() -> None:
    op.create_table(
        "stagerelease",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(STAGE_CHECK, name=op.f("ck_stagerelease_stage")),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_stagerelease_record_id_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"], ["user.id"], name=op.f("fk_stagerelease_released_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_stagerelease_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stagerelease")),
        sa.UniqueConstraint("record_id", "stage", name=op.f("uq_stagerelease_record_id")),
    )
    op.create_index(op.f("ix_stagerelease_review_id"), "stagerelease", ["review_id"], unique=False)


def _recreate_record_rank(*, with_reviewer: bool) -> None:
    op.drop_table("recordrank")
    key = [sa.Column("id", sa.Integer(), nullable=False)] if with_reviewer else []
    reviewer = (
        [
            sa.Column("reviewer_id", sa.Integer(), nullable=True),
            sa.ForeignKeyConstraint(
                ["reviewer_id"],
                ["user.id"],
                name=op.f("fk_recordrank_reviewer_id_user"),
                ondelete="CASCADE",
            ),
        ]
        if with_reviewer
        else []
    )
    op.create_table(
        "recordrank",
        *key,
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("labelled", sa.Integer(), nullable=False),
        sa.Column("trained_at", UTC_DATETIME, nullable=False),
        *reviewer,
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_recordrank_record_id_record"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_recordrank_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id" if with_reviewer else "record_id", name=op.f("pk_recordrank")),
    )
    if with_reviewer:
        op.create_index(op.f("ix_recordrank_record_id"), "recordrank", ["record_id"])
        op.create_index("ix_recordrank_review_reviewer", "recordrank", ["review_id", "reviewer_id"])
    else:
        op.create_index(op.f("ix_recordrank_review_id"), "recordrank", ["review_id"])
