"""Shared fixtures: real databases (SQLite and PostgreSQL), a migrated schema, a review; and
password hashes cheap to make in tests (see ``cheap_password_hashes``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from review_app.db import make_engine, migrate
from review_app.services import users
from tests.database_templates import migrated_postgres_schema, migrated_sqlite

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
KRATOM_PROTOCOL = REPO_ROOT / "protocols" / "kratom-neuropathic-pain.toml"
POSTGRES_SERVER = os.environ.get(
    "REVIEW_APP_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


# argon2id at its smallest cost (RFC 9106 allows t=1; m=8 KiB is the least for p=1), for tests
# only: with the library's defaults (m=64 MiB, t=3, p=4) each hash takes 0.1-0.4 s, and the
# fixtures that make a team hash thousands of passwords per run (more than half the services
# tests' time). Verification reads the cost from the hash, so hashes made here stay cheap to check
# in a served app too; the production hasher is untouched (test_fixtures.py checks its defaults).
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PRODUCTION_HASHER = users._hasher


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """users.py's argon2id hasher, and the dummy hash an unknown name is checked against, at
    TEST_HASHER's cost for the whole run (unknown and known names still cost the same)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "_hasher", TEST_HASHER)
        patch.setattr(users, "_DUMMY_HASH", TEST_HASHER.hash("not-a-real-password"))
        yield


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or a skip with the reason when that folder is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (it ships beside the repository in CI, not in a clone)")
    return path


def _postgres_or_skip() -> None:
    try:
        engine = create_engine(POSTGRES_SERVER)
        with engine.connect():
            pass
        engine.dispose()
    except OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL must be reachable in CI at {POSTGRES_SERVER}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_SERVER}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    _postgres_or_skip()
    name = f"review_app_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_SERVER.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database of each kind, shared by the run; tests roll their changes back."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test (services never commit)."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite file of the test's own, for tests that commit."""
    return f"sqlite:///{tmp_path / 'review.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def committed_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database of the test's own, for tests that commit (threads, CLI-like flows):
    a copy of the process's migrated template (tests/database_templates.py), not a migration."""
    if request.param == "sqlite":
        engine = make_engine(migrated_sqlite(tmp_path / "own.db"))
        yield engine
        engine.dispose()
        return
    server = make_engine(request.getfixturevalue("postgres_url"))
    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = make_engine(migrated_postgres_schema(server, schema))
    yield engine
    engine.dispose()
    with server.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    server.dispose()
