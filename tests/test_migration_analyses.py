"""Migration 0008 (saved analyses) on SQLite and PostgreSQL: the upgrade adds the table beside
the review's data, which it leaves alone; its checks refuse settings outside the vocabulary; the
downgrade drops it and keeps the rest."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from review_app.db import alembic_config, make_engine, migrate
from review_app.models import SavedAnalysis

WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0007(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of the test's own, at revision 0007 (before saved analyses)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        migrate(engine, "0007")
        yield engine
        engine.dispose()
        return
    server = make_engine(request.getfixturevalue("postgres_url"))
    schema = f"m_{uuid.uuid4().hex[:10]}"
    with server.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = server.url.render_as_string(hide_password=False)
    engine = make_engine(f"{url}?options=-csearch_path%3D{schema}")
    migrate(engine, "0007")
    yield engine
    engine.dispose()
    with server.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    server.dispose()


def insert(engine: Engine, table: str, **values: Any) -> int:
    names = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join(f":{name}" for name in values)
    with engine.begin() as connection:
        connection.execute(text(f'INSERT INTO "{table}" ({names}) VALUES ({marks})'), values)
        return int(connection.execute(text(f'SELECT MAX(id) FROM "{table}"')).scalar_one())


def a_review(engine: Engine) -> int:
    return insert(
        engine,
        "review",
        name="r",
        title="t",
        question="q",
        protocol="{}",
        protocol_source="",
        is_blind=True,
        created_at=WHEN,
    )


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
    config = alembic_config()
    with at_0007.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    assert "savedanalysis" not in inspect(at_0007).get_table_names()
    with at_0007.connect() as connection:
        assert connection.execute(text("SELECT id FROM review")).scalars().all() == [review_id]
    migrate(at_0007)  # and up again
    assert "savedanalysis" in inspect(at_0007).get_table_names()
