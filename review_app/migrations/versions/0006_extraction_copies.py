"""Extraction in copies: one per extractor and a consensus copy per study, each with the study's
design facts, characteristics, arms and results in the form the paper reports them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

Existing data is kept:

- every old ``extractionvalue`` row (study, field, extractor, value) moves into its extractor's
  copy of the study; a study's extractors get slots 1, 2, ... in the order they first entered a
  value; empty values are dropped (a copy holds only the characteristics that have a value);
- every old ``outcomedata`` row (arm-level data without an extractor) moves into the study's
  consensus copy (slot 0): arm "intervention" becomes an arm of role intervention, any other arm
  (the old "control") an arm of role comparator, labelled as stored; n/mean/SD become a result in
  format ``mean_sd``, events with n a result in format ``events_total`` (a row holding both keeps
  the events and says in its note which mean and SD it also held).

The downgrade keeps what the old tables can hold (extractors' characteristics; consensus arm-level
results in those two formats, one per role, outcome and time point) and drops the rest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sqlmodel.sql.sqltypes.UTCDateTime()
STATUS_CHECK = "status IN ('in_progress', 'complete')"
DESIGN_CHECK = "design_kind IN ('parallel', 'crossover', 'cluster')"
SLOT_CHECK = "(slot = 0 AND extractor_id IS NULL) OR (slot > 0 AND extractor_id IS NOT NULL)"
ROLE_CHECK = "role IN ('intervention', 'comparator')"
MEASURE_CHECK = "measure IN ('MD', 'SMD', 'RR', 'OR', 'RD', 'HR', 'IRR')"
OLD_TIMEPOINT, OLD_ARM = 100, 20  # outcomedata's column lengths

# The tables as this revision writes and reads them (not the models, which may change later).
EXTRACTION = sa.table(
    "extraction",
    sa.column("id", sa.Integer),
    sa.column("study_id", sa.Integer),
    sa.column("slot", sa.Integer),
    sa.column("extractor_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("design_note", sa.Text),
    sa.column("indirect_evidence", sa.Text),
    sa.column("decided", sa.JSON),
    sa.column("created_at", UTC_DATETIME),
    sa.column("updated_at", UTC_DATETIME),
    sa.column("updated_by_id", sa.Integer),
)
VALUE = sa.table(
    "extractionvalue",
    sa.column("id", sa.Integer),
    sa.column("extraction_id", sa.Integer),
    sa.column("study_id", sa.Integer),
    sa.column("extractor_id", sa.Integer),
    sa.column("field_id", sa.String),
    sa.column("value", sa.Text),
    sa.column("updated_at", UTC_DATETIME),
)
ARM = sa.table(
    "extractionarm",
    sa.column("id", sa.Integer),
    sa.column("extraction_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("label", sa.String),
    sa.column("role", sa.String),
    sa.column("description", sa.Text),
)
RESULT = sa.table(
    "extractionresult",
    sa.column("id", sa.Integer),
    sa.column("extraction_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("result_key", sa.String),
    sa.column("outcome_id", sa.String),
    sa.column("timepoint", sa.Text),
    sa.column("arm", sa.Text),
    sa.column("comparator", sa.Text),
    sa.column("format", sa.String),
    sa.column("values", sa.JSON),
    sa.column("measure", sa.String),
    sa.column("adjusted", sa.Boolean),
    sa.column("note", sa.Text),
)
OUTCOME_DATA = sa.table(
    "outcomedata",
    sa.column("id", sa.Integer),
    sa.column("study_id", sa.Integer),
    sa.column("outcome_id", sa.String),
    sa.column("timepoint", sa.String),
    sa.column("arm", sa.String),
    sa.column("n", sa.Integer),
    sa.column("mean", sa.Float),
    sa.column("sd", sa.Float),
    sa.column("events", sa.Integer),
    sa.column("note", sa.Text),
)


def upgrade() -> None:
    bind = op.get_bind()
    old_values = bind.execute(
        sa.select(VALUE.c.id, VALUE.c.study_id, VALUE.c.extractor_id, VALUE.c.field_id)
        .add_columns(VALUE.c.value, VALUE.c.updated_at)
        .order_by(VALUE.c.id)
    ).all()
    old_outcomes = bind.execute(sa.select(OUTCOME_DATA).order_by(OUTCOME_DATA.c.id)).all()
    _drop_old_tables()
    _create_copies()
    _create_values()
    _move_values(bind, old_values)
    _move_outcome_data(bind, old_outcomes)


def downgrade() -> None:
    bind = op.get_bind()
    values = bind.execute(
        sa.select(EXTRACTION.c.study_id, EXTRACTION.c.extractor_id, VALUE.c.field_id)
        .add_columns(VALUE.c.value, EXTRACTION.c.updated_at)
        .join(EXTRACTION, EXTRACTION.c.id == VALUE.c.extraction_id)
        .where(EXTRACTION.c.extractor_id.is_not(None))
        .order_by(VALUE.c.id)
    ).all()
    results = bind.execute(
        sa.select(EXTRACTION.c.study_id, RESULT, ARM.c.role)
        .join(EXTRACTION, EXTRACTION.c.id == RESULT.c.extraction_id)
        .join(
            ARM,
            sa.and_(ARM.c.extraction_id == RESULT.c.extraction_id, ARM.c.label == RESULT.c.arm),
        )
        .where(EXTRACTION.c.slot == 0, RESULT.c.comparator.is_(None))
        .order_by(RESULT.c.id)
    ).all()
    for table in ("extractionvalue", "extractionresult", "extractionarm", "extraction"):
        op.drop_table(table)  # with its indexes
    _create_old_tables()
    _insert(
        VALUE,
        [
            {"study_id": s, "extractor_id": e, "field_id": f, "value": v, "updated_at": at}
            for s, e, f, v, at in values
        ],
    )
    _insert(OUTCOME_DATA, _old_outcome_rows(results))


# --- upgrade ------------------------------------------------------------------------------------


def _drop_old_tables() -> None:
    op.drop_table("outcomedata")  # with its indexes
    op.drop_table("extractionvalue")


def _create_copies() -> None:
    op.create_table(
        "extraction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("extractor_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("design_kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("mean_cluster_size", sa.Float(), nullable=True),
        sa.Column("icc", sa.Float(), nullable=True),
        sa.Column("crossover_correlation", sa.Float(), nullable=True),
        sa.Column("design_note", sa.Text(), nullable=False),
        sa.Column("indirect_evidence", sa.Text(), nullable=False),
        sa.Column("decided", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(DESIGN_CHECK, name=op.f("ck_extraction_design_kind")),
        sa.CheckConstraint(STATUS_CHECK, name=op.f("ck_extraction_status")),
        sa.CheckConstraint(SLOT_CHECK, name=op.f("ck_extraction_slot_extractor")),
        sa.ForeignKeyConstraint(
            ["extractor_id"], ["user.id"], name=op.f("fk_extraction_extractor_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_extraction_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_extraction_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extraction")),
        sa.UniqueConstraint("study_id", "extractor_id", name="uq_extraction_study_extractor"),
        sa.UniqueConstraint("study_id", "slot", name="uq_extraction_study_slot"),
    )
    op.create_index(op.f("ix_extraction_extractor_id"), "extraction", ["extractor_id"])
    op.create_index(op.f("ix_extraction_study_id"), "extraction", ["study_id"])
    op.create_table(
        "extractionarm",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("extraction_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("randomised", sa.Integer(), nullable=True),
        sa.CheckConstraint(ROLE_CHECK, name=op.f("ck_extractionarm_role")),
        _copy_foreign_key("extractionarm"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extractionarm")),
        sa.UniqueConstraint("extraction_id", "label", name=op.f("uq_extractionarm_extraction_id")),
    )
    op.create_index(op.f("ix_extractionarm_extraction_id"), "extractionarm", ["extraction_id"])
    op.create_table(
        "extractionresult",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("extraction_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("result_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("outcome_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("timepoint", sa.Text(), nullable=False),
        sa.Column("arm", sa.Text(), nullable=False),
        sa.Column("comparator", sa.Text(), nullable=True),
        sa.Column("format", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("measure", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("adjusted", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(MEASURE_CHECK, name=op.f("ck_extractionresult_measure")),
        _copy_foreign_key("extractionresult"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extractionresult")),
        sa.UniqueConstraint(
            "extraction_id", "result_key", name=op.f("uq_extractionresult_extraction_id")
        ),
    )
    op.create_index(
        op.f("ix_extractionresult_extraction_id"), "extractionresult", ["extraction_id"]
    )


def _create_values() -> None:
    op.create_table(
        "extractionvalue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("extraction_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        _copy_foreign_key("extractionvalue"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extractionvalue")),
        sa.UniqueConstraint(
            "extraction_id", "field_id", name=op.f("uq_extractionvalue_extraction_id")
        ),
    )
    op.create_index(op.f("ix_extractionvalue_extraction_id"), "extractionvalue", ["extraction_id"])


def _copy_foreign_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["extraction_id"],
        ["extraction.id"],
        name=op.f(f"fk_{table}_extraction_id_extraction"),
        ondelete="CASCADE",
    )


def _move_values(bind: sa.Connection, rows: Sequence[sa.Row[Any]]) -> None:
    """Each (study, extractor) gets a copy, slots numbered by the extractor's first value."""
    copies: dict[tuple[int, int], int] = {}
    slots: dict[int, int] = {}
    times: dict[tuple[int, int], list[datetime]] = {}
    for _id, study_id, extractor_id, _field, _value, updated_at in rows:
        times.setdefault((study_id, extractor_id), []).append(_aware(updated_at))
    for (study_id, extractor_id), moments in times.items():
        slots[study_id] = slots.get(study_id, 0) + 1
        copies[study_id, extractor_id] = _insert_copy(
            bind,
            study_id=study_id,
            slot=slots[study_id],
            extractor_id=extractor_id,
            created_at=min(moments),
            updated_at=max(moments),
        )
    _insert(
        VALUE,
        [
            {"extraction_id": copies[study_id, extractor_id], "field_id": field, "value": value}
            for _id, study_id, extractor_id, field, value, _at in rows
            if value is not None and value.strip()
        ],
    )


def _move_outcome_data(bind: sa.Connection, rows: Sequence[sa.Row[Any]]) -> None:
    """The old arm-level rows (no extractor) become each study's consensus copy."""
    by_study: dict[int, list[sa.Row[Any]]] = {}
    for row in rows:
        by_study.setdefault(row.study_id, []).append(row)
    now = datetime.now(UTC)
    for study_id, study_rows in by_study.items():
        copy_id = _insert_copy(
            bind, study_id=study_id, slot=0, extractor_id=None, created_at=now, updated_at=now
        )
        labels = sorted({row.arm for row in study_rows}, key=lambda arm: arm != "intervention")
        _insert(
            ARM,
            [
                {
                    "extraction_id": copy_id,
                    "position": position,
                    "label": label,
                    "role": "intervention" if label == "intervention" else "comparator",
                    "description": "",
                }
                for position, label in enumerate(labels)
            ],
        )
        _insert(
            RESULT,
            [
                _result_row(copy_id, position, row)
                for position, row in enumerate(
                    sorted(study_rows, key=lambda r: (r.outcome_id, r.timepoint, r.arm))
                )
            ],
        )


def _result_row(copy_id: int, position: int, row: sa.Row[Any]) -> dict[str, Any]:
    note = row.note or ""
    if row.events is not None:
        data_format = "events_total"
        values = _present(events=row.events, total=row.n)
        also = _present(mean=row.mean, sd=row.sd)
        if also:
            held = ", ".join(f"{name} {value!r}" for name, value in also.items())
            note = " ".join(filter(None, [note, f"(before migration 0006 also held {held})"]))
    else:
        data_format = "mean_sd"
        values = _present(n=row.n, mean=row.mean, sd=row.sd)
    timepoint = row.timepoint or ""
    return {
        "extraction_id": copy_id,
        "position": position,
        "result_key": _result_key(row.outcome_id, timepoint, row.arm),
        "outcome_id": row.outcome_id,
        "timepoint": timepoint,
        "arm": row.arm,
        "comparator": None,
        "format": data_format,
        "values": values,
        "measure": None,
        "adjusted": False,
        "note": note,
    }


def _present(**values: float | None) -> dict[str, float]:
    return {name: value for name, value in values.items() if value is not None}


def _same_label(text: str) -> str:
    """domain/extraction/model.same_label as of this revision."""
    return " ".join(text.split()).casefold()


def _result_key(outcome_id: str, timepoint: str, arm: str) -> str:
    """models/extraction.result_key_digest of an arm-level result, as of this revision."""
    key = [outcome_id, _same_label(timepoint), _same_label(arm), "", "", False]
    return hashlib.sha256(json.dumps(key).encode("utf-8")).hexdigest()


def _insert_copy(
    bind: sa.Connection,
    *,
    study_id: int,
    slot: int,
    extractor_id: int | None,
    created_at: datetime,
    updated_at: datetime,
) -> int:
    return int(
        bind.execute(
            EXTRACTION.insert()
            .values(
                study_id=study_id,
                slot=slot,
                extractor_id=extractor_id,
                status="in_progress",
                design_note="",
                indirect_evidence="",
                decided=[],
                created_at=created_at,
                updated_at=updated_at,
                updated_by_id=extractor_id,
            )
            .returning(EXTRACTION.c.id)
        ).scalar_one()
    )


def _insert(table: sa.TableClause, rows: list[dict[str, Any]]) -> None:
    if rows:
        op.bulk_insert(table, rows)


def _aware(moment: datetime | str) -> datetime:
    """A stored time as aware UTC (SQLite hands back naive or text values)."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- downgrade ----------------------------------------------------------------------------------


def _create_old_tables() -> None:
    op.create_table(
        "extractionvalue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.String(length=100), nullable=False),
        sa.Column("extractor_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["extractor_id"], ["user.id"], name=op.f("fk_extractionvalue_extractor_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_extractionvalue_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extractionvalue")),
        sa.UniqueConstraint(
            "study_id", "field_id", "extractor_id", name=op.f("uq_extractionvalue_study_id")
        ),
    )
    op.create_index(op.f("ix_extractionvalue_study_id"), "extractionvalue", ["study_id"])
    op.create_table(
        "outcomedata",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.String(length=100), nullable=False),
        sa.Column("timepoint", sa.String(length=OLD_TIMEPOINT), nullable=False),
        sa.Column("arm", sa.String(length=OLD_ARM), nullable=False),
        sa.Column("n", sa.Integer(), nullable=True),
        sa.Column("mean", sa.Float(), nullable=True),
        sa.Column("sd", sa.Float(), nullable=True),
        sa.Column("events", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_outcomedata_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomedata")),
        sa.UniqueConstraint(
            "study_id", "outcome_id", "timepoint", "arm", name=op.f("uq_outcomedata_study_id")
        ),
    )
    op.create_index(op.f("ix_outcomedata_study_id"), "outcomedata", ["study_id"])


def _old_outcome_rows(results: Sequence[sa.Row[Any]]) -> list[dict[str, Any]]:
    """Consensus arm-level results the old table can hold: one per study, outcome, time point
    and role ("intervention" or "control"), in format mean_sd or events_total."""
    rows: dict[tuple[int, str, str, str], dict[str, Any]] = {}
    for result in results:
        arm = "intervention" if result.role == "intervention" else "control"
        where = (result.study_id, result.outcome_id, result.timepoint, arm)
        fits = (
            result.format in ("mean_sd", "events_total") and len(result.timepoint) <= OLD_TIMEPOINT
        )
        if not fits or where in rows:
            continue
        values = result.values or {}
        rows[where] = {
            "study_id": result.study_id,
            "outcome_id": result.outcome_id,
            "timepoint": result.timepoint,
            "arm": arm,
            "n": _whole(values.get("total", values.get("n"))),
            "mean": values.get("mean"),
            "sd": values.get("sd"),
            "events": _whole(values.get("events")),
            "note": result.note or None,
        }
    return list(rows.values())


def _whole(value: float | None) -> int | None:
    return None if value is None else int(value)
