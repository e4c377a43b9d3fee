"""Discussion on a record and password resets: ``recordcomment`` (a member's comment on a record,
with the screening stage it was written at, which decides when blind reviewers may read it),
``discussionflag`` (a record marked "needs discussion"; open until a lead clears it) and
``user.must_change_password`` (an admin's reset: the user chooses a new password at next login);
an index of ``auditevent`` by (entity, entity_id), which a record's history looks its events up by.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

Existing data is kept: the new tables start empty and every existing user gets
``must_change_password`` false (server default), so nobody is asked for a new password by the
upgrade. The downgrade drops the comments, the flags, the column and the index.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The vocabulary as of this revision (domain/vocabulary.Stage).
STAGE_CHECK = "stage IN ('title_abstract', 'full_text')"


def upgrade() -> None:
    _create_recordcomment()
    _create_discussionflag()
    op.create_index("ix_auditevent_entity_entity_id", "auditevent", ["entity", "entity_id"])
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
    op.drop_index("ix_auditevent_entity_entity_id", table_name="auditevent")
    op.drop_table("discussionflag")  # with its index
    op.drop_table("recordcomment")  # with its indexes


def _foreign_key(table: str, column: str, target: str, *, cascade: bool) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="CASCADE" if cascade else None,
    )


def _create_recordcomment() -> None:
    op.create_table(
        "recordcomment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("stage", AutoString(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(STAGE_CHECK, name=op.f("ck_recordcomment_stage")),
        _foreign_key("recordcomment", "author_id", "user", cascade=False),
        _foreign_key("recordcomment", "record_id", "record", cascade=True),
        _foreign_key("recordcomment", "review_id", "review", cascade=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordcomment")),
    )
    op.create_index(op.f("ix_recordcomment_author_id"), "recordcomment", ["author_id"])
    op.create_index(op.f("ix_recordcomment_record_id"), "recordcomment", ["record_id"])
    op.create_index("ix_recordcomment_review_record", "recordcomment", ["review_id", "record_id"])


def _create_discussionflag() -> None:
    op.create_table(
        "discussionflag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("cleared_by_id", sa.Integer(), nullable=True),
        sa.Column("cleared_at", UTCDateTime(), nullable=True),
        _foreign_key("discussionflag", "cleared_by_id", "user", cascade=False),
        _foreign_key("discussionflag", "raised_by_id", "user", cascade=False),
        _foreign_key("discussionflag", "record_id", "record", cascade=True),
        _foreign_key("discussionflag", "review_id", "review", cascade=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discussionflag")),
        sa.UniqueConstraint("record_id", name=op.f("uq_discussionflag_record_id")),
    )
    op.create_index(op.f("ix_discussionflag_review_id"), "discussionflag", ["review_id"])
