"""Shared fixtures: real databases (SQLite and PostgreSQL), a migrated schema, a review."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from review_app.db import make_engine, migrate

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
KRATOM_PROTOCOL = REPO_ROOT / "protocols" / "kratom-neuropathic-pain.toml"
POSTGRES_SERVER = os.environ.get(
    "REVIEW_APP_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


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
    """A migrated database of the test's own, for tests that commit (threads, CLI-like flows)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'own.db'}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    server = make_engine(request.getfixturevalue("postgres_url"))
    schema = f"t_{uuid.uuid4().hex[:10]}"
    with server.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(
        f"{server.url.render_as_string(hide_password=False)}?options=-csearch_path%3D{schema}"
    )
    migrate(engine)
    yield engine
    engine.dispose()
    with server.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    server.dispose()
