"""Risk-of-bias judgements up to 80 characters: ROBINS-I V2's best confounding judgement, "Low
(except for concerns about uncontrolled confounding)", has 56 and VARCHAR(40) refused it on
PostgreSQL (SQLite does not enforce the length).

SQLite changes a column's type only by copying the table, and dropping the old ``appraisal``
table with foreign keys on deletes its domains (ON DELETE CASCADE; the pragma cannot be turned
off inside the migration's transaction). So the domains are resized first, kept aside while
``appraisal`` is copied, and put back.

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

# The child first: its copy deletes nothing; the parent's copy would delete the child's rows.
JUDGEMENT_COLUMNS = (("appraisaldomain", "judgement"), ("appraisal", "overall"))
OLD, NEW = 40, 80
KEPT = "_appraisaldomain_kept"


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
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in JUDGEMENT_COLUMNS:
        if sqlite and table == "appraisal":
            op.execute(f"CREATE TEMPORARY TABLE {KEPT} AS SELECT * FROM appraisaldomain")
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=sa.String(length=before),
                type_=sa.String(length=after),
                existing_nullable=True,
            )
        if sqlite and table == "appraisal":
            op.execute(f"INSERT INTO appraisaldomain SELECT * FROM {KEPT}")
            op.execute(f"DROP TABLE {KEPT}")
