"""Active-learning relevance scores for unscreened records.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recordrank",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("labelled", sa.Integer(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
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
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_recordrank")),
    )
    with op.batch_alter_table("recordrank", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recordrank_review_id"), ["review_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("recordrank", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recordrank_review_id"))
    op.drop_table("recordrank")
