"""What the tests of a data-moving migration set up alike: a database of the test's own at the
revision before it (SQLite, or a PostgreSQL schema of its own), rows written as the old schema
had them, and a downgrade."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, text

from review_app.db import alembic_config, foreign_keys_off_on_sqlite, make_engine, migrate


def database_at(request: pytest.FixtureRequest, tmp_path: Path, revision: str) -> Iterator[Engine]:
    """For a fixture parametrised "sqlite" / "postgresql": an engine on a database of the test's
    own at ``revision``; dropped afterwards."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        migrate(engine, revision)
        yield engine
        engine.dispose()
        return
    server = make_engine(request.getfixturevalue("postgres_url"))
    schema = f"m_{uuid.uuid4().hex[:10]}"
    with server.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = server.url.render_as_string(hide_password=False)
    engine = make_engine(f"{url}?options=-csearch_path%3D{schema}")
    migrate(engine, revision)
    yield engine
    engine.dispose()
    with server.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    server.dispose()


def insert(engine: Engine, table: str, **values: Any) -> int:
    """A row as the old schema holds it; its id."""
    names = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join(f":{name}" for name in values)
    with engine.begin() as connection:
        connection.execute(text(f'INSERT INTO "{table}" ({names}) VALUES ({marks})'), values)
        return int(connection.execute(text(f'SELECT MAX(id) FROM "{table}"')).scalar_one())


def old_review(engine: Engine, when: datetime) -> dict[str, int]:
    """A blind review and two users, ana and ben: their ids by "review" and name."""
    review = insert(
        engine,
        "review",
        name="r",
        title="t",
        question="q",
        protocol="{}",
        protocol_source="",
        is_blind=True,
        created_at=when,
    )
    ids = {"review": review}
    for name in ("ana", "ben"):
        ids[name] = insert(
            engine, "user", name=name, password_hash="x", is_active=True, created_at=when
        )
    return ids


def downgrade(engine: Engine, revision: str) -> None:
    """As db.migrate upgrades: SQLite's foreign keys off while tables are copied."""
    config = alembic_config()
    with (
        engine.connect() as connection,
        foreign_keys_off_on_sqlite(connection),
        connection.begin(),
    ):
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
