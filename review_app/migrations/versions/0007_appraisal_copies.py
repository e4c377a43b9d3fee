"""Risk of bias in copies: per study an assessor's slot, and per result (study x outcome, or "*"
for all outcomes) a copy per assessor and a consensus copy, each domain with its signalling
answers, judgement and support.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

Existing data is kept: every old ``riskofbias`` row (study, outcome, tool name, assessor,
``judgements`` JSON of domain -> {judgement, support}, overall) becomes that assessor's copy of
the result, in progress. A study's assessors get slots 1, 2, ... in the order of their first row.
The tool's protocol name becomes its id ("RoB 2" -> "rob2", "ROBINS-I" -> "robins-i"; another
name is kept as written, and the service names the tools that can be run); a judgement matching a
level of the tool but for case takes the level's spelling ("low" -> "Low"). A judgement given as
plain text instead of {judgement, support} is the judgement; a support that is not text is kept
as its JSON. A domain key longer than the column is cut, and a judgement too long for a level dropped,
their full text kept at the start of the support.

The downgrade gives back what the old table holds: the assessors' copies as rows of judgements
and support (answers, variants, overall support, status and the consensus copies are dropped).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sqlmodel.sql.sqltypes.UTCDateTime()
STATUS_CHECK = "status IN ('in_progress', 'complete')"
SLOT_CHECK = "(slot = 0 AND assessor_id IS NULL) OR (slot > 0 AND assessor_id IS NOT NULL)"
MAX_DOMAIN, MAX_LEVEL = 20, 40  # appraisaldomain.domain and .judgement
# The tools as of this revision (domain/appraisal/tools.py): protocol name -> id, and levels.
TOOL_IDS = {"RoB 2": "rob2", "ROBINS-I": "robins-i"}
TOOL_NAMES = {tool_id: name for name, tool_id in TOOL_IDS.items()}
LEVELS = {
    "rob2": ("Low", "Some concerns", "High"),
    "robins-i": ("Low", "Moderate", "Serious", "Critical", "No information"),
}

# The tables as this revision writes and reads them (not the models, which may change later).
SLOT = sa.table(
    "appraisalslot",
    sa.column("id", sa.Integer),
    sa.column("study_id", sa.Integer),
    sa.column("slot", sa.Integer),
    sa.column("assessor_id", sa.Integer),
    sa.column("created_at", UTC_DATETIME),
)
APPRAISAL = sa.table(
    "appraisal",
    sa.column("id", sa.Integer),
    sa.column("study_id", sa.Integer),
    sa.column("outcome_id", sa.String),
    sa.column("slot", sa.Integer),
    sa.column("assessor_id", sa.Integer),
    sa.column("tool", sa.String),
    sa.column("variant", sa.String),
    sa.column("overall", sa.String),
    sa.column("overall_support", sa.Text),
    sa.column("status", sa.String),
    sa.column("decided", sa.JSON),
    sa.column("created_at", UTC_DATETIME),
    sa.column("updated_at", UTC_DATETIME),
    sa.column("updated_by_id", sa.Integer),
)
DOMAIN = sa.table(
    "appraisaldomain",
    sa.column("id", sa.Integer),
    sa.column("appraisal_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("domain", sa.String),
    sa.column("answers", sa.JSON),
    sa.column("judgement", sa.String),
    sa.column("support", sa.Text),
)
OLD = sa.table(
    "riskofbias",
    sa.column("id", sa.Integer),
    sa.column("study_id", sa.Integer),
    sa.column("outcome_id", sa.String),
    sa.column("tool", sa.String),
    sa.column("assessor_id", sa.Integer),
    sa.column("judgements", sa.JSON),
    sa.column("overall", sa.String),
    sa.column("updated_at", UTC_DATETIME),
)


def upgrade() -> None:
    bind = op.get_bind()
    old = bind.execute(sa.select(OLD).order_by(OLD.c.id)).all()
    op.drop_table("riskofbias")  # with its index
    _create_tables()
    _move_old_rows(bind, old)


def downgrade() -> None:
    bind = op.get_bind()
    copies = bind.execute(
        sa.select(APPRAISAL).where(APPRAISAL.c.slot > 0).order_by(APPRAISAL.c.id)
    ).all()
    domains = bind.execute(
        sa.select(DOMAIN).order_by(DOMAIN.c.appraisal_id, DOMAIN.c.position)
    ).all()
    for table in ("appraisaldomain", "appraisal", "appraisalslot"):
        op.drop_table(table)  # with its indexes
    _create_old_table()
    judgements: dict[int, dict[str, Any]] = {}
    for row in domains:
        judgements.setdefault(row.appraisal_id, {})[row.domain] = {
            "judgement": row.judgement,
            "support": row.support,
        }
    _insert(
        OLD,
        [
            {
                "study_id": copy.study_id,
                "outcome_id": copy.outcome_id,
                "tool": TOOL_NAMES.get(copy.tool, copy.tool),
                "assessor_id": copy.assessor_id,
                "judgements": judgements.get(copy.id, {}),
                "overall": copy.overall,
                "updated_at": copy.updated_at,
            }
            for copy in copies
        ],
    )


# --- upgrade ------------------------------------------------------------------------------------


def _create_tables() -> None:
    op.create_table(
        "appraisalslot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("slot > 0", name=op.f("ck_appraisalslot_assessor_slot")),
        sa.ForeignKeyConstraint(
            ["assessor_id"], ["user.id"], name=op.f("fk_appraisalslot_assessor_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_appraisalslot_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisalslot")),
        sa.UniqueConstraint("study_id", "assessor_id", name="uq_appraisalslot_study_assessor"),
        sa.UniqueConstraint("study_id", "slot", name="uq_appraisalslot_study_slot"),
    )
    op.create_index(op.f("ix_appraisalslot_assessor_id"), "appraisalslot", ["assessor_id"])
    op.create_index(op.f("ix_appraisalslot_study_id"), "appraisalslot", ["study_id"])
    op.create_table(
        "appraisal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=True),
        sa.Column("tool", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("variant", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("overall", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("overall_support", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("decided", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(STATUS_CHECK, name=op.f("ck_appraisal_status")),
        sa.CheckConstraint(SLOT_CHECK, name=op.f("ck_appraisal_slot_assessor")),
        sa.ForeignKeyConstraint(
            ["assessor_id"], ["user.id"], name=op.f("fk_appraisal_assessor_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_appraisal_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_appraisal_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal")),
        sa.UniqueConstraint(
            "study_id", "outcome_id", "slot", name="uq_appraisal_study_outcome_slot"
        ),
    )
    op.create_index(op.f("ix_appraisal_assessor_id"), "appraisal", ["assessor_id"])
    op.create_index(op.f("ix_appraisal_study_id"), "appraisal", ["study_id"])
    op.create_table(
        "appraisaldomain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appraisal_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("domain", sqlmodel.sql.sqltypes.AutoString(length=MAX_DOMAIN), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("judgement", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("support", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisal.id"],
            name=op.f("fk_appraisaldomain_appraisal_id_appraisal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisaldomain")),
        sa.UniqueConstraint("appraisal_id", "domain", name=op.f("uq_appraisaldomain_appraisal_id")),
    )
    op.create_index(op.f("ix_appraisaldomain_appraisal_id"), "appraisaldomain", ["appraisal_id"])


def _move_old_rows(bind: sa.Connection, rows: Sequence[sa.Row[Any]]) -> None:
    """Each old row becomes its assessor's copy; slots numbered by the assessor's first row."""
    slots: dict[tuple[int, int], int] = {}
    taken: dict[int, int] = {}
    for row in rows:
        if (row.study_id, row.assessor_id) not in slots:
            taken[row.study_id] = taken.get(row.study_id, 0) + 1
            slots[row.study_id, row.assessor_id] = taken[row.study_id]
            _insert(
                SLOT,
                [
                    {
                        "study_id": row.study_id,
                        "slot": taken[row.study_id],
                        "assessor_id": row.assessor_id,
                        "created_at": row.updated_at,
                    }
                ],
            )
    domains: list[dict[str, Any]] = []
    for row in rows:
        tool = TOOL_IDS.get(row.tool, row.tool)
        copy_id = int(
            bind.execute(
                APPRAISAL.insert()
                .values(
                    study_id=row.study_id,
                    outcome_id=row.outcome_id,
                    slot=slots[row.study_id, row.assessor_id],
                    assessor_id=row.assessor_id,
                    tool=tool,
                    variant="",
                    overall=_level(tool, row.overall),
                    overall_support="",
                    status="in_progress",
                    decided=[],
                    created_at=row.updated_at,
                    updated_at=row.updated_at,
                    updated_by_id=row.assessor_id,
                )
                .returning(APPRAISAL.c.id)
            ).scalar_one()
        )
        domains.extend(_domain_rows(copy_id, tool, row.judgements or {}))
    _insert(DOMAIN, domains)


def _domain_rows(copy_id: int, tool: str, judgements: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for position, (key, value) in enumerate(sorted(judgements.items())):
        entry = value if isinstance(value, dict) else {"judgement": value}
        support = _text(entry.get("support"))
        judgement = _text(entry.get("judgement")) or None
        if judgement is not None and len(judgement) > MAX_LEVEL:  # too long for a level
            support = "\n".join(filter(None, [f"(judgement before 0007: {judgement})", support]))
            judgement = None
        domain = str(key)
        if len(domain) > MAX_DOMAIN:
            support = "\n".join(
                filter(None, [f"(domain before migration 0007: {domain})", support])
            )
            domain = domain[:MAX_DOMAIN]
        rows.append(
            {
                "appraisal_id": copy_id,
                "position": position,
                "domain": domain,
                "answers": {},
                "judgement": _level(tool, judgement),
                "support": support,
            }
        )
    return rows


def _level(tool: str, judgement: str | None) -> str | None:
    """The tool's spelling of a level written in another case; anything else as written."""
    if judgement is None:
        return None
    spelt = {level.casefold(): level for level in LEVELS.get(tool, ())}
    return spelt.get(judgement.strip().casefold(), judgement)


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _insert(table: sa.TableClause, rows: list[dict[str, Any]]) -> None:
    if rows:
        op.bulk_insert(table, rows)


# --- downgrade ----------------------------------------------------------------------------------


def _create_old_table() -> None:
    op.create_table(
        "riskofbias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.String(length=100), nullable=False),
        sa.Column("tool", sa.String(length=40), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=False),
        sa.Column("judgements", sa.JSON(), nullable=False),
        sa.Column("overall", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessor_id"], ["user.id"], name=op.f("fk_riskofbias_assessor_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_riskofbias_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_riskofbias")),
        sa.UniqueConstraint(
            "study_id", "outcome_id", "assessor_id", name=op.f("uq_riskofbias_study_id")
        ),
    )
    op.create_index(op.f("ix_riskofbias_study_id"), "riskofbias", ["study_id"])
