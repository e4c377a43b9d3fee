"""Migration 0007 (risk of bias in copies) keeps the old ``riskofbias`` rows, on SQLite and
PostgreSQL: each becomes its assessor's copy of the result, slots numbered per study by the
assessor's first row; the downgrade gives back the judgements and support."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from review_app.db import migrate
from review_app.models import Appraisal, AppraisalDomain, AppraisalSlot
from tests.migration_helpers import database_at, downgrade, insert, old_review

WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0006(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of the test's own, at revision 0006 (before risk-of-bias copies)."""
    yield from database_at(request, tmp_path, "0006")


def old_data(engine: Engine) -> dict[str, int]:
    """One study rated by two assessors (ben first), for two outcomes by ana."""
    ids = old_review(engine, WHEN)
    ids["study"] = insert(
        engine, "study", review_id=ids["review"], label="Smith 2020", created_at=WHEN
    )
    long_domain = "Bias arising from the randomisation process"
    rows = (
        ("ben", "pain", "RoB 2", '{"D1": {"judgement": "low", "support": "sealed envelopes"}}',
         "some concerns", WHEN),
        ("ana", "pain", "RoB 2",
         '{"D2": "High", "D1": {"judgement": "Low", "support": ["page 3", 4]}}', "HIGH", LATER),
        ("ana", "sleep", "ROBINS-I",
         f'{{"{long_domain}": {{"judgement": "serious"}}, "D3": {{"support": "none"}}}}',
         None, LATER),
    )  # fmt: skip
    for assessor, outcome, tool, judgements, overall, at in rows:
        insert(
            engine,
            "riskofbias",
            study_id=ids["study"],
            outcome_id=outcome,
            tool=tool,
            assessor_id=ids[assessor],
            judgements=judgements,
            overall=overall,
            updated_at=at,
        )
    return ids


def domains(session: Session, copy: Appraisal) -> list[tuple[str, str | None, str, dict[str, str]]]:
    rows = session.exec(
        select(AppraisalDomain)
        .where(AppraisalDomain.appraisal_id == copy.id)
        .order_by(col(AppraisalDomain.position))
    )
    return [(row.domain, row.judgement, row.support, row.answers) for row in rows]


def test_upgrade_makes_each_old_row_its_assessors_copy(at_0006: Engine) -> None:
    ids = old_data(at_0006)
    migrate(at_0006)
    with Session(at_0006) as session:
        slots = session.exec(select(AppraisalSlot).order_by(col(AppraisalSlot.slot))).all()
        assert [(s.study_id, s.slot, s.assessor_id) for s in slots] == [
            (ids["study"], 1, ids["ben"]),  # ben's row came first
            (ids["study"], 2, ids["ana"]),
        ]
        copies = {
            (c.assessor_id, c.outcome_id): c
            for c in session.exec(select(Appraisal).order_by(col(Appraisal.id)))
        }
        assert set(copies) == {(ids["ben"], "pain"), (ids["ana"], "pain"), (ids["ana"], "sleep")}
        ben = copies[ids["ben"], "pain"]
        assert (ben.slot, ben.tool, ben.variant, ben.overall, ben.status) == (
            1, "rob2", "", "Some concerns", "in_progress"
        )  # fmt: skip
        assert (ben.created_at, ben.updated_at, ben.updated_by_id) == (WHEN, WHEN, ids["ben"])
        assert domains(session, ben) == [("D1", "Low", "sealed envelopes", {})]
        ana = copies[ids["ana"], "pain"]
        assert (ana.slot, ana.overall) == (2, "High")
        assert domains(session, ana) == [
            ("D1", "Low", '["page 3", 4]', {}),  # support that was not text: kept as JSON
            ("D2", "High", "", {}),  # a plain judgement
        ]
        sleep = copies[ids["ana"], "sleep"]
        assert (sleep.slot, sleep.tool, sleep.overall) == (2, "robins-i", None)
        assert domains(session, sleep) == [
            (
                "Bias arising from th",  # cut to the column, the full key kept in the support
                "Serious",
                "(domain before migration 0007: Bias arising from the randomisation process)",
                {},
            ),
            ("D3", None, "none", {}),
        ]


def test_downgrade_gives_back_the_assessors_judgements(at_0006: Engine) -> None:
    ids = old_data(at_0006)
    migrate(at_0006)
    with Session(at_0006) as session:
        session.add(Appraisal(study_id=ids["study"], outcome_id="pain", slot=0, tool="rob2"))
        session.commit()  # a consensus copy: the old table has no place for it
    downgrade(at_0006, "0006")
    with at_0006.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT outcome_id, tool, assessor_id, judgements, overall FROM riskofbias "
                "ORDER BY id"
            )
        ).all()
    decoded = [(o, t, a, j if isinstance(j, dict) else json.loads(j), v) for o, t, a, j, v in rows]
    assert decoded[0] == (
        "pain", "RoB 2", ids["ben"],
        {"D1": {"judgement": "Low", "support": "sealed envelopes"}}, "Some concerns",
    )  # fmt: skip
    assert decoded[1][:3] == ("pain", "RoB 2", ids["ana"])
    assert decoded[1][3]["D2"] == {"judgement": "High", "support": ""}
    assert decoded[2][:2] == ("sleep", "ROBINS-I")
    assert len(decoded) == 3
