"""Migration 0009 widens the risk-of-bias judgement columns so ROBINS-I V2's 56-character
"Low (except for concerns about uncontrolled confounding)" fits on PostgreSQL too; the downgrade
refuses rather than cut such a judgement."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from review_app.db import migrate
from review_app.domain.appraisal.robins_i_v2 import ROBINS_I_V2
from tests.migration_helpers import database_at, downgrade, insert, old_review

WHEN = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
LONGEST = max((level.id for level in ROBINS_I_V2.scale.levels), key=len)


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0008(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from database_at(request, tmp_path, "0008")


def judgement_lengths(engine: Engine) -> dict[str, int | None]:
    columns = {
        table: {c["name"]: c["type"] for c in inspect(engine).get_columns(table)}
        for table in ("appraisal", "appraisaldomain")
    }
    return {
        "appraisal.overall": getattr(columns["appraisal"]["overall"], "length", None),
        "appraisaldomain.judgement": getattr(
            columns["appraisaldomain"]["judgement"], "length", None
        ),
    }


def test_a_robins_i_v2_judgement_fits_and_the_downgrade_refuses_to_cut_it(at_0008: Engine) -> None:
    assert len(LONGEST) > 40
    ids = old_review(at_0008, WHEN)
    study = insert(at_0008, "study", review_id=ids["review"], label="Cohort 2021", created_at=WHEN)
    appraisal = insert(
        at_0008, "appraisal", study_id=study, outcome_id="pain", slot=0, tool="robins-i-v2",
        variant="", overall="Serious", overall_support="", status="in_progress", decided="[]",
        created_at=WHEN, updated_at=WHEN,
    )  # fmt: skip
    insert(
        at_0008, "appraisaldomain", appraisal_id=appraisal, position=0, domain="D1",
        answers='{"1.1": "WN"}', judgement="Moderate", support="quoted",
    )  # fmt: skip
    migrate(at_0008, "0009")
    assert judgement_lengths(at_0008) == {"appraisal.overall": 80, "appraisaldomain.judgement": 80}
    with at_0008.begin() as connection:  # the copy of appraisal on SQLite kept its domains
        kept = connection.execute(text("SELECT domain, judgement, support FROM appraisaldomain"))
        assert kept.all() == [("D1", "Moderate", "quoted")]
        connection.execute(text("UPDATE appraisal SET overall = :j"), {"j": LONGEST})
        connection.execute(text("UPDATE appraisaldomain SET judgement = :j"), {"j": LONGEST})
    with pytest.raises(RuntimeError, match=r"holds a judgement of 56 characters"):
        downgrade(at_0008, "0008")
    with at_0008.begin() as connection:
        stored = connection.execute(text("SELECT overall FROM appraisal")).scalar_one()
    assert stored == LONGEST  # nothing cut


def test_the_downgrade_restores_the_old_width(at_0008: Engine) -> None:
    migrate(at_0008, "0009")
    downgrade(at_0008, "0008")
    assert judgement_lengths(at_0008) == {"appraisal.overall": 40, "appraisaldomain.judgement": 40}
