"""Migration 0006 (extraction in copies) keeps the data of the old extraction tables, on SQLite
and PostgreSQL: old characteristics move into their extractor's copy, old arm-level outcome data
into the study's consensus copy; the downgrade gives back what the old tables can hold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from review_app.db import migrate
from review_app.domain.extraction.model import Result
from review_app.models import Extraction, ExtractionArm, ExtractionResult, ExtractionValue
from review_app.models.extraction import result_key_digest
from tests.migration_helpers import database_at, downgrade, insert, old_review

WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0005(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of the test's own, at revision 0005 (before extraction copies)."""
    yield from database_at(request, tmp_path, "0005")


def old_data(engine: Engine) -> dict[str, int]:
    """Two studies: one with two extractors' characteristics, one with arm-level outcome data."""
    ids = old_review(engine, WHEN)
    for label in ("Smith 2020", "Jones 2021"):
        ids[label] = insert(engine, "study", review_id=ids["review"], label=label, created_at=WHEN)
    for extractor, field, value, at in (
        ("ben", "country", "Malaysia", LATER),  # ben's first value comes first: slot 1
        ("ana", "country", "Thailand", WHEN),
        ("ana", "setting", "outpatient", LATER),
        ("ana", "notes", None, WHEN),  # no value: not kept
    ):
        insert(
            engine,
            "extractionvalue",
            study_id=ids["Smith 2020"],
            field_id=field,
            extractor_id=ids[extractor],
            value=value,
            updated_at=at,
        )
    for arm, n, mean, sd, events, note in (
        ("intervention", 30, 2.5, 1.25, None, "end of treatment"),
        ("control", 28, 3.0, 1.5, None, None),
    ):
        insert(
            engine,
            "outcomedata",
            study_id=ids["Jones 2021"],
            outcome_id="pain_intensity",
            timepoint="12 weeks",
            arm=arm,
            n=n,
            mean=mean,
            sd=sd,
            events=events,
            note=note,
        )
    for arm, n, events, mean in (("intervention", 30, 3, 0.5), ("control", 28, 5, None)):
        insert(
            engine,
            "outcomedata",
            study_id=ids["Jones 2021"],
            outcome_id="withdrawals",
            timepoint="",
            arm=arm,
            n=n,
            mean=mean,
            sd=None,
            events=events,
            note=None,
        )
    return ids


def test_upgrade_moves_characteristics_into_each_extractors_copy(at_0005: Engine) -> None:
    ids = old_data(at_0005)
    migrate(at_0005)
    with Session(at_0005) as session:
        copies = session.exec(
            select(Extraction).where(Extraction.study_id == ids["Smith 2020"])
        ).all()
        by_extractor = {copy.extractor_id: copy for copy in copies}
        assert set(by_extractor) == {ids["ana"], ids["ben"]}  # no consensus: no outcome data
        assert by_extractor[ids["ben"]].slot == 1 and by_extractor[ids["ana"]].slot == 2
        ana = by_extractor[ids["ana"]]
        assert (ana.status, ana.created_at, ana.updated_at) == ("in_progress", WHEN, LATER)
        assert ana.updated_by_id == ids["ana"]

        def values(copy: Extraction) -> dict[str, str]:
            rows = session.exec(
                select(ExtractionValue).where(ExtractionValue.extraction_id == copy.id)
            )
            return {row.field_id: row.value for row in rows}

        assert values(ana) == {"country": "Thailand", "setting": "outpatient"}
        assert values(by_extractor[ids["ben"]]) == {"country": "Malaysia"}


def test_upgrade_moves_outcome_data_into_the_consensus_copy(at_0005: Engine) -> None:
    ids = old_data(at_0005)
    migrate(at_0005)
    with Session(at_0005) as session:
        [consensus] = session.exec(
            select(Extraction).where(Extraction.study_id == ids["Jones 2021"])
        ).all()
        assert (consensus.slot, consensus.extractor_id) == (0, None)
        arms = session.exec(
            select(ExtractionArm)
            .where(ExtractionArm.extraction_id == consensus.id)
            .order_by(col(ExtractionArm.position))
        ).all()
        assert [(a.label, a.role) for a in arms] == [
            ("intervention", "intervention"),
            ("control", "comparator"),
        ]
        results = session.exec(
            select(ExtractionResult).where(ExtractionResult.extraction_id == consensus.id)
        ).all()
        found = {(r.outcome_id, r.arm): (r.format, r.values, r.note) for r in results}
        assert found == {
            ("pain_intensity", "intervention"): (
                "mean_sd",
                {"n": 30, "mean": 2.5, "sd": 1.25},
                "end of treatment",
            ),
            ("pain_intensity", "control"): ("mean_sd", {"n": 28, "mean": 3.0, "sd": 1.5}, ""),
            ("withdrawals", "intervention"): (
                "events_total",
                {"events": 3, "total": 30},
                "(before migration 0006 also held mean 0.5)",
            ),
            ("withdrawals", "control"): ("events_total", {"events": 5, "total": 28}, ""),
        }
        for row in results:  # the stored key is the one the services compute
            result = Result(
                outcome_id=row.outcome_id, timepoint=row.timepoint, arm=row.arm, format=row.format
            )
            assert row.result_key == result_key_digest(result)


def test_downgrade_gives_back_what_the_old_tables_hold(at_0005: Engine) -> None:
    ids = old_data(at_0005)
    migrate(at_0005)
    downgrade(at_0005, "0005")
    with at_0005.connect() as connection:
        values = connection.execute(
            text("SELECT study_id, extractor_id, field_id, value FROM extractionvalue")
        ).all()
        outcomes = connection.execute(
            text("SELECT outcome_id, timepoint, arm, n, mean, sd, events FROM outcomedata")
        ).all()
    assert sorted(values) == sorted(
        [
            (ids["Smith 2020"], ids["ben"], "country", "Malaysia"),
            (ids["Smith 2020"], ids["ana"], "country", "Thailand"),
            (ids["Smith 2020"], ids["ana"], "setting", "outpatient"),
        ]
    )
    assert sorted(outcomes) == sorted(
        [
            ("pain_intensity", "12 weeks", "intervention", 30, 2.5, 1.25, None),
            ("pain_intensity", "12 weeks", "control", 28, 3.0, 1.5, None),
            ("withdrawals", "", "intervention", 30, None, None, 3),
            ("withdrawals", "", "control", 28, None, None, 5),
        ]
    )
    migrate(at_0005)  # and up again
