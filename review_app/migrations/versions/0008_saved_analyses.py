"""Saved meta-analyses: per review, named analyses of an outcome at a time point with their
settings (measure, method, test, prediction interval, subgroups, studies left out by a rule,
whether indirect evidence is pooled), the digest of the data they last ran on and the summary of
that run's numbers; they replace the placeholder ``analysis`` table.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

Existing data is kept: each ``analysis`` row (outcome, measure, method, ``settings`` JSON,
``result`` JSON) becomes the saved analysis "Analysis <id>" of its review, created and updated
when it was created, by nobody, with no data digest (so it shows as stale until it is run). Its
measure is matched without case, by name ("risk ratio") or as the log of a ratio ("log RR");
one that matches none is refused, naming the row (an invented measure would be a wrong analysis).
Its method is matched without case ("FE"/"fixed" is EE); one that matches none becomes REML (the
default) and is kept as written. From ``settings`` these keys fill their columns when their
values are allowed: ``timepoint``, ``test`` ("z" | "knha"; else ``hksj`` true/false), ``prediction``
("metafor" | "revman"), ``subgroup``, ``excluded`` (a list of study labels), ``exclusion_rule``,
``include_indirect``; the test is z for MH and Peto (a "knha" given stays in ``legacy``).
Everything else, and the old id and ``result``, go to the ``legacy`` JSON column as they were:
{"analysis_id", "method" as written when it matched none, "settings": the keys not used,
"result"}.

The downgrade gives each saved analysis back as an ``analysis`` row: outcome, measure, method,
its settings (name, time point, test, prediction, subgroup, excluded, rule, include_indirect, and
the legacy settings) and its last result (else the legacy result); who saved it, when it was
updated and its digest are dropped with the table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

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
MEASURE_NAMES = {  # EffectMeasure and its label, as of this revision
    "MD": "mean difference", "SMD": "standardised mean difference", "RR": "risk ratio",
    "OR": "odds ratio", "RD": "risk difference", "HR": "hazard ratio", "IRR": "rate ratio",
}  # fmt: skip
METHOD_NAMES = {m.strip("'"): m.strip("'") for m in METHODS.split(", ")} | {
    "FE": "EE", "FIXED": "EE", "PETO'S": "PETO", "MANTEL-HAENSZEL": "MH",
}  # fmt: skip
TABLE_METHODS = ("MH", "PETO")  # they use the z test
DEFAULT_METHOD, DEFAULT_PREDICTION = "REML", "metafor"
MAX_SUBGROUP = 100

# The tables as this revision writes and reads them (not the models, which may change later).
OLD = sa.table(
    "analysis",
    sa.column("id", sa.Integer),
    sa.column("review_id", sa.Integer),
    sa.column("outcome_id", sa.String),
    sa.column("measure", sa.String),
    sa.column("method", sa.String),
    sa.column("settings", sa.JSON),
    sa.column("result", sa.JSON),
    sa.column("created_at", UTC_DATETIME),
)
SAVED = sa.table(
    "savedanalysis",
    *(
        sa.column(name, kind)
        for name, kind in (
            ("id", sa.Integer), ("review_id", sa.Integer), ("name", sa.String),
            ("outcome_id", sa.String), ("timepoint", sa.Text), ("measure", sa.String),
            ("method", sa.String), ("test", sa.String), ("prediction", sa.String),
            ("subgroup", sa.String), ("excluded", sa.JSON), ("exclusion_rule", sa.Text),
            ("include_indirect", sa.Boolean), ("data_digest", sa.String), ("result", sa.JSON),
            ("legacy", sa.JSON), ("created_at", UTC_DATETIME), ("updated_at", UTC_DATETIME),
        )
    ),
)  # fmt: skip
SPEC_KEYS = ("timepoint", "test", "prediction", "subgroup", "excluded", "exclusion_rule",
             "include_indirect")  # fmt: skip


def _text(length: int) -> AutoString:
    return AutoString(length=length)


def upgrade() -> None:
    bind = op.get_bind()
    old = bind.execute(sa.select(OLD).order_by(OLD.c.id)).all()
    saved = [_saved_row(row) for row in old]
    op.drop_table("analysis")  # with its index
    _create_saved_table()
    if saved:
        op.bulk_insert(SAVED, saved)


def downgrade() -> None:
    bind = op.get_bind()
    saved = bind.execute(sa.select(SAVED).order_by(SAVED.c.id)).all()
    op.drop_table("savedanalysis")  # with its index
    _create_old_table()
    if saved:
        op.bulk_insert(OLD, [_old_row(row) for row in saved])


# --- upgrade ------------------------------------------------------------------------------------


def _create_saved_table() -> None:
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
        sa.Column("include_indirect", sa.Boolean(), nullable=False),
        sa.Column("data_digest", _text(64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("legacy", sa.JSON(), nullable=False),
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


def _saved_row(row: sa.Row[Any]) -> dict[str, Any]:
    """The saved analysis an old ``analysis`` row becomes; what no column holds in ``legacy``."""
    settings = row.settings if isinstance(row.settings, Mapping) else {"settings": row.settings}
    legacy: dict[str, Any] = {"analysis_id": row.id}
    method = METHOD_NAMES.get(row.method.strip().upper())
    if method is None:
        method, legacy["method"] = DEFAULT_METHOD, row.method
    spec, unused = _spec(settings, method)
    if unused:
        legacy["settings"] = unused
    if row.result not in (None, {}):
        legacy["result"] = row.result
    return {
        "review_id": row.review_id,
        "name": f"Analysis {row.id}",
        "outcome_id": row.outcome_id,
        "measure": _measure(row),
        "method": method,
        **spec,
        "data_digest": "",
        "legacy": legacy,  # and no result (SQL NULL): it has not run here
        "created_at": row.created_at,
        "updated_at": row.created_at,
    }


def _measure(row: sa.Row[Any]) -> str:
    written = row.measure.strip()
    bare = re.sub(r"^(log|ln)\s*", "", written, flags=re.IGNORECASE)
    for measure, name in MEASURE_NAMES.items():
        if bare.upper() == measure or bare.casefold() == name:
            return measure
    raise ValueError(
        f"migration 0008: analysis {row.id} has the measure {written!r}, which is none of "
        f"{', '.join(MEASURE_NAMES)}; correct it in the analysis table and upgrade again"
    )


def _spec(settings: Mapping[str, Any], method: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The columns the old settings give (allowed values only), and the settings left unused."""
    unused = dict(settings)
    found: dict[str, Any] = {}
    for key in SPEC_KEYS:
        if key in unused and _allowed(key, unused[key]):
            found[key] = unused.pop(key)
    if "test" not in found and isinstance(unused.get("hksj"), bool):
        found["test"] = "knha" if unused.pop("hksj") else "z"
    if method in TABLE_METHODS and found.get("test", "z") != "z":
        unused["test"] = found.pop("test")
    spec = {
        "timepoint": found.get("timepoint"),
        "test": found.get("test", "z" if method in TABLE_METHODS else "knha"),
        "prediction": found.get("prediction", DEFAULT_PREDICTION),
        "subgroup": found.get("subgroup"),
        "excluded": found.get("excluded", []),
        "exclusion_rule": found.get("exclusion_rule", ""),
        "include_indirect": found.get("include_indirect", False),
    }
    return spec, unused


def _allowed(key: str, value: Any) -> bool:
    if key == "test":
        return value in ("z", "knha")
    if key == "prediction":
        return value in ("metafor", "revman")
    if key == "subgroup":
        return isinstance(value, str) and 0 < len(value) <= MAX_SUBGROUP
    if key == "excluded":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if key == "include_indirect":
        return isinstance(value, bool)
    return isinstance(value, str)  # timepoint, exclusion_rule


# --- downgrade ----------------------------------------------------------------------------------


def _old_row(row: sa.Row[Any]) -> dict[str, Any]:
    legacy = row.legacy if isinstance(row.legacy, Mapping) else {}
    settings = {
        **legacy.get("settings", {}),
        "name": row.name,
        **{key: getattr(row, key) for key in SPEC_KEYS},
    }
    return {
        "review_id": row.review_id,
        "outcome_id": row.outcome_id,
        "measure": row.measure,
        "method": row.method,
        "settings": json.loads(json.dumps(settings)),
        "result": row.result if row.result is not None else legacy.get("result", {}),
        "created_at": row.created_at,
    }


def _create_old_table() -> None:
    op.create_table(
        "analysis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.String(length=100), nullable=False),
        sa.Column("measure", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_analysis_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis")),
    )
    op.create_index(op.f("ix_analysis_review_id"), "analysis", ["review_id"])
