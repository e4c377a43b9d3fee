"""The shortcuts the fixtures take are exact: a database copied from a migrated template is the
schema a real migration makes (alembic_version included), on SQLite and PostgreSQL; copies are
independent; the cheap password hasher is the tests' alone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import argon2
import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import select

from review_app.db import make_engine, migrate, schema_is_current, session_scope
from review_app.models import Review, User
from review_app.services import users
from review_app.services.demo import DEMO_ACCOUNTS
from review_app.services.users import authenticate
from tests.conftest import PRODUCTION_HASHER, TEST_HASHER
from tests.database_templates import demo_sqlite, migrated_postgres_schema, migrated_sqlite


def schema_of(engine: Engine) -> dict[str, Any]:
    """Every table's columns (type, nullability, default), keys, indexes and constraints."""
    inspector = inspect(engine)
    described: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        described[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in inspector.get_columns(table)
            ],
            "primary key": inspector.get_pk_constraint(table),
            "foreign keys": sorted(map(repr, inspector.get_foreign_keys(table))),
            "indexes": sorted(map(repr, inspector.get_indexes(table))),
            "unique": sorted(map(repr, inspector.get_unique_constraints(table))),
            "checks": sorted(map(repr, inspector.get_check_constraints(table))),
        }
    return described


def revision_of(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_and_copied(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Engine, Engine]]:
    """A database migrated for real and one copied from the template, of the same kind."""
    if request.param == "sqlite":
        real = make_engine(f"sqlite:///{tmp_path / 'real.db'}")
        migrate(real)
        copy = make_engine(migrated_sqlite(tmp_path / "copy.db"))
        yield real, copy
        real.dispose()
        copy.dispose()
        return
    server = make_engine(request.getfixturevalue("postgres_url"))
    real_schema, copy_schema = (f"f_{uuid.uuid4().hex[:10]}" for _ in range(2))
    with server.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {real_schema}"))
    url = server.url.render_as_string(hide_password=False)
    real = make_engine(f"{url}?options=-csearch_path%3D{real_schema}")
    migrate(real)
    copy = make_engine(migrated_postgres_schema(server, copy_schema))
    yield real, copy
    real.dispose()
    copy.dispose()
    with server.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {real_schema} CASCADE"))
        connection.execute(text(f"DROP SCHEMA {copy_schema} CASCADE"))
    server.dispose()


def test_a_copy_of_the_template_is_what_a_migration_makes(
    migrated_and_copied: tuple[Engine, Engine],
) -> None:
    real, copy = migrated_and_copied
    assert len(schema_of(real)) > 10  # the comparison below compares tables, not two nothings
    assert schema_of(copy) == schema_of(real)
    assert revision_of(copy) == revision_of(real) and len(revision_of(copy)) == 1
    assert schema_is_current(copy)
    migrate(copy)  # already at head: nothing to do, nothing refused
    assert revision_of(copy) == revision_of(real)


def test_copies_are_independent_of_each_other_and_of_the_template(tmp_path: Path) -> None:
    first = make_engine(demo_sqlite(tmp_path / "first.db"))
    with session_scope(first) as session:
        review = session.exec(select(Review)).one()
        demo_name, review.name = review.name, "changed in the first copy"
    second = make_engine(demo_sqlite(tmp_path / "second.db"))
    with session_scope(second) as session:
        assert [review.name for review in session.exec(select(Review))] == [demo_name]
        names = {user.name for user in session.exec(select(User))}
        assert names == {account.name for account in DEMO_ACCOUNTS}
        lead = DEMO_ACCOUNTS[0]
        outcome = authenticate(session, name=lead.name, password=lead.password)
        assert outcome.user is not None and outcome.user.name == lead.name
    with session_scope(first) as session:
        assert session.exec(select(Review.name)).one() == "changed in the first copy"
    first.dispose()
    second.dispose()
    with pytest.raises(FileExistsError):
        migrated_sqlite(tmp_path / "first.db")


def test_the_cheap_password_hasher_is_the_tests_alone() -> None:
    """Production keeps argon2-cffi's defaults; the tests hash with argon2id at the least cost."""
    defaults = argon2.PasswordHasher()
    for name in ("time_cost", "memory_cost", "parallelism", "hash_len", "salt_len", "type"):
        assert getattr(PRODUCTION_HASHER, name) == getattr(defaults, name), name
    assert users._hasher is TEST_HASHER and users._hasher is not PRODUCTION_HASHER
    assert users.hash_password("a-password").startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert users._DUMMY_HASH.startswith("$argon2id$v=19$m=8,t=1,p=1$")
