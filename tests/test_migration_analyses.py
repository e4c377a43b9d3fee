"""Migration 0008 (saved analyses) on SQLite and PostgreSQL: the upgrade moves the placeholder
``analysis`` rows into saved analyses (settings it can map in their columns, the rest in
``legacy``, an unknown measure refused) and drops that table; the new table's checks refuse
settings outside the vocabulary; the downgrade gives the rows back to a recreated ``analysis``
table and keeps the rest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from review_app.db import migrate
from review_app.models import SavedAnalysis
from tests.migration_helpers import database_at, downgrade, insert, old_review

WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0007(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of the test's own, at revision 0007 (before saved analyses)."""
    yield from database_at(request, tmp_path, "0007")


def a_review(engine: Engine) -> int:
    return old_review(engine, WHEN)["review"]


def old_analysis(engine: Engine, review_id: int, **values: Any) -> int:
    """A row of the placeholder table as 0001 made it (settings and result as JSON text)."""
    row = {"outcome_id": "pain", "measure": "MD", "method": "REML", "settings": {},
           "result": {}} | values  # fmt: skip
    row["settings"], row["result"] = json.dumps(row["settings"]), json.dumps(row["result"])
    return insert(engine, "analysis", review_id=review_id, created_at=WHEN, **row)


def saved(review_id: int, **changes: Any) -> SavedAnalysis:
    settings: dict[str, Any] = {
        "review_id": review_id,
        "name": "Pain, REML",
        "outcome_id": "pain_intensity",
        "measure": "MD",
        "method": "REML",
        "test": "knha",
        "prediction": "metafor",
    }
    return SavedAnalysis(**(settings | changes))


def test_upgrade_adds_saved_analyses_and_their_checks(at_0007: Engine) -> None:
    review_id = a_review(at_0007)
    migrate(at_0007)
    with Session(at_0007) as session:
        session.add(saved(review_id, excluded=["Smith 2020"], exclusion_rule="high risk of bias"))
        session.commit()
        [row] = session.exec(select(SavedAnalysis)).all()
        assert (row.review_id, row.timepoint, row.excluded, row.data_digest) == (
            review_id,
            None,
            ["Smith 2020"],
            "",
        )
        for wrong in ({"measure": "log RR"}, {"method": "Bayes"}, {"test": "t"}):
            session.add(saved(review_id, name=f"wrong {wrong}", **wrong))
            with pytest.raises(IntegrityError):
                session.commit()
            session.rollback()
        session.add(saved(review_id))  # the same name in the same review
        with pytest.raises(IntegrityError):
            session.commit()


def test_downgrade_drops_the_table_and_keeps_the_review(at_0007: Engine) -> None:
    review_id = a_review(at_0007)
    migrate(at_0007)
    with Session(at_0007) as session:
        session.add(saved(review_id))
        session.commit()
    downgrade(at_0007, "0007")
    assert "savedanalysis" not in inspect(at_0007).get_table_names()
    with at_0007.connect() as connection:
        assert connection.execute(text("SELECT id FROM review")).scalars().all() == [review_id]
    migrate(at_0007)  # and up again
    assert "savedanalysis" in inspect(at_0007).get_table_names()


def test_upgrade_moves_the_old_analyses_and_keeps_what_has_no_column(at_0007: Engine) -> None:
    review_id = a_review(at_0007)
    settings = {
        "hksj": True, "timepoint": "12 weeks", "subgroup": "country", "excluded": ["Smith 2020"],
        "exclusion_rule": "high risk of bias", "prediction": "bayesian", "colour": ["blue"],
    }  # fmt: skip
    first = old_analysis(at_0007, review_id, measure="log RR", method="dl", settings=settings,
                         result={"estimate": -0.123456789012345, "k": 3})  # fmt: skip
    open_settings = {"test": "knha", "include_indirect": True}
    second = old_analysis(at_0007, review_id, measure=" smd",
                          method="Bayes", settings=open_settings)  # fmt: skip
    hksj = {"hksj": True}
    third = old_analysis(at_0007, review_id, measure="Odds ratio", method="mh", settings=hksj)
    migrate(at_0007)
    assert "analysis" not in inspect(at_0007).get_table_names()
    with Session(at_0007) as session:
        rows = session.exec(select(SavedAnalysis).order_by(col(SavedAnalysis.id))).all()
    assert [(r.name, r.measure, r.method, r.test, r.prediction) for r in rows] == [
        (f"Analysis {first}", "RR", "DL", "knha", "metafor"),
        (f"Analysis {second}", "SMD", "REML", "knha", "metafor"),
        (f"Analysis {third}", "OR", "MH", "z", "metafor"),  # MH uses the z test
    ]
    moved = rows[0]
    assert (moved.review_id, moved.outcome_id, moved.timepoint, moved.subgroup) == (
        review_id, "pain", "12 weeks", "country"
    )  # fmt: skip
    assert (moved.excluded, moved.exclusion_rule) == (["Smith 2020"], "high risk of bias")
    assert (moved.created_at, moved.updated_at, moved.created_by_id) == (WHEN, WHEN, None)
    assert (moved.data_digest, moved.result) == ("", None)  # stale until run, no numbers yet
    assert moved.legacy == {
        "analysis_id": first,
        "settings": {"prediction": "bayesian", "colour": ["blue"]},
        "result": {"estimate": -0.123456789012345, "k": 3},
    }
    assert rows[1].include_indirect and rows[1].legacy == {"analysis_id": second, "method": "Bayes"}
    assert rows[2].legacy == {"analysis_id": third, "settings": {"test": "knha"}}
    with at_0007.connect() as connection:  # SQL NULL, not JSON null
        assert connection.execute(text("SELECT count(*) FROM savedanalysis WHERE result IS NULL")
                                  ).scalar_one() == 3  # fmt: skip


def test_an_unknown_measure_is_refused_naming_the_row_and_nothing_changes(at_0007: Engine) -> None:
    review_id = a_review(at_0007)
    bad = old_analysis(at_0007, review_id, measure="log ROM")
    with pytest.raises(ValueError, match=f"analysis {bad} has the measure 'log ROM'"):
        migrate(at_0007)
    tables = inspect(at_0007).get_table_names()
    assert "analysis" in tables and "savedanalysis" not in tables


def test_downgrade_gives_the_saved_analyses_back_to_the_old_table(at_0007: Engine) -> None:
    review_id = a_review(at_0007)
    old_analysis(at_0007, review_id, measure="RR", settings={"colour": "blue", "hksj": False},
                 result={"k": 2})  # fmt: skip
    migrate(at_0007)
    with Session(at_0007) as session:
        result = {"k": 3, "estimate": 0.5, "ran_at": "2026-03-01T09:30:00+00:00"}
        session.add(saved(review_id, excluded=["Smith 2020"], exclusion_rule="rule",
                          result=result))  # fmt: skip
        session.commit()
    downgrade(at_0007, "0007")
    with at_0007.connect() as connection:
        old = connection.execute(
            text("SELECT review_id, outcome_id, measure, method, settings, result, created_at "
                 "FROM analysis ORDER BY id")
        ).all()  # fmt: skip

    def loaded(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    common = {"prediction": "metafor", "subgroup": None, "include_indirect": False}
    assert [(r.review_id, r.outcome_id, r.measure, r.method) for r in old] == [
        (review_id, "pain", "RR", "REML"),
        (review_id, "pain_intensity", "MD", "REML"),
    ]
    assert loaded(old[0].settings) == {
        "colour": "blue", "name": "Analysis 1", "timepoint": None, "test": "z", "excluded": [],
        "exclusion_rule": "", **common,
    }  # fmt: skip
    assert loaded(old[0].result) == {"k": 2}  # never run since: the old result
    assert loaded(old[1].settings) == {
        "name": "Pain, REML", "timepoint": None, "test": "knha", "excluded": ["Smith 2020"],
        "exclusion_rule": "rule", **common,
    }  # fmt: skip
    assert loaded(old[1].result)["estimate"] == 0.5  # its last result
    migrate(at_0007)  # and up again: the rows move once more
    with Session(at_0007) as session:
        assert len(session.exec(select(SavedAnalysis)).all()) == 2
