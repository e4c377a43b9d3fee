"""Risk-of-bias judgements up to 80 characters: ROBINS-I V2's best confounding judgement, "Low
(except for concerns about uncontrolled confounding)", has 56 and VARCHAR(40) refused it on
PostgreSQL (SQLite does not enforce the length).

SQLite changes a column's type only by copying the table; ``db.migrate`` turns its foreign keys
off meanwhile, so copying ``appraisal`` does not delete its domains.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JUDGEMENT_COLUMNS = (("appraisaldomain", "judgement"), ("appraisal", "overall"))
OLD, NEW = 40, 80


def upgrade() -> None:
    _resize(OLD, NEW)


def downgrade() -> None:
    # A judgement longer than 40 characters cannot go back: refuse rather than cut it.
    connection = op.get_bind()
    for table, column in JUDGEMENT_COLUMNS:
        longest = connection.execute(sa.text(f"SELECT MAX(LENGTH({column})) FROM {table}")).scalar()
        if longest is not None and longest > OLD:
            raise RuntimeError(
                f"{table}.{column} holds a judgement of {longest} characters (ROBINS-I V2); "
                f"revision 0008 allows {OLD}. Change those judgements before downgrading."
            )
    _resize(NEW, OLD)


def _resize(before: int, after: int) -> None:
    for table, column in JUDGEMENT_COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=sa.String(length=before),
                type_=sa.String(length=after),
                existing_nullable=True,
            )
