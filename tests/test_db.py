"""The schema belongs to Alembic: upgrades from empty on SQLite and PostgreSQL; models agree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, SQLModel, select

import review_app.models  # noqa: F401
from review_app.db import make_engine, migrate, schema_is_current, session_scope
from review_app.errors import ConfigError
from review_app.models import Decision, ImportBatch, Record, Review, User
from tests.conftest import REPO_ROOT

TABLES = {
    "analysis", "auditevent", "candidatepair", "clustermember", "decision", "duplicatecluster",
    "extractionvalue", "fulltext", "gradeassessment", "importbatch", "loginthrottle", "membership",
    "outcomedata", "record", "recordrank", "resolution", "review", "riskofbias", "study",
    "studyreport", "user",
}  # fmt: skip


def test_migrations_build_every_table(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) >= TABLES
    assert schema_is_current(engine)


def test_models_match_the_migrations(engine: Engine) -> None:
    """A model change without a migration fails here."""
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_migrate_twice_is_harmless(engine: Engine) -> None:
    migrate(engine)
    assert schema_is_current(engine)


def test_alembic_command_line_upgrades_an_empty_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "empty.db"
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=REPO_ROOT,
        env={"REVIEW_APP_DATABASE_URL": f"sqlite:///{database}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert set(inspect(make_engine(f"sqlite:///{database}")).get_table_names()) >= TABLES


def test_alembic_command_line_upgrades_postgresql(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(
            text("DROP SCHEMA IF EXISTS cli_upgrade CASCADE; CREATE SCHEMA cli_upgrade")
        )
    url = f"{postgres_url}?options=-csearch_path%3Dcli_upgrade"
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=REPO_ROOT,
        env={"REVIEW_APP_DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert set(inspect(engine).get_table_names(schema="cli_upgrade")) >= TABLES
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA cli_upgrade CASCADE"))


def test_sqlite_pragmas(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_session_scope_rolls_back_everything_on_error(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(User(name="ada", password_hash="x"))
        session.flush()
        raise RuntimeError("boom")
    with session_scope(engine) as session:
        assert session.exec(select(User)).all() == []


def _one_record(session: Session) -> tuple[int, int, int]:
    review = Review(name="r", title="t")
    user = User(name="u", password_hash="x")
    session.add_all([review, user])
    session.flush()
    batch = ImportBatch(
        review_id=review.id, file_name="f", sha256="0", source_name="PubMed", format="ris"
    )  # type: ignore[arg-type]
    session.add(batch)
    session.flush()
    record = Record(review_id=review.id, import_batch_id=batch.id, position=1, title="T")  # type: ignore[arg-type]
    session.add(record)
    session.flush()
    return review.id, record.id, user.id  # type: ignore[return-value]


def test_one_vote_per_record_reviewer_and_stage(session: Session) -> None:
    from sqlalchemy.exc import IntegrityError

    review_id, record_id, user_id = _one_record(session)
    session.add(
        Decision(
            review_id=review_id,
            record_id=record_id,
            reviewer_id=user_id,
            stage="title_abstract",
            vote="include",
        )
    )
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            Decision(
                review_id=review_id,
                record_id=record_id,
                reviewer_id=user_id,
                stage="title_abstract",
                vote="exclude",
            )
        )
        session.flush()


def test_check_constraints_keep_votes_in_range(session: Session) -> None:
    from sqlalchemy.exc import IntegrityError

    review_id, record_id, user_id = _one_record(session)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            Decision(
                review_id=review_id,
                record_id=record_id,
                reviewer_id=user_id,
                stage="title_abstract",
                vote="perhaps",
            )
        )
        session.flush()


def test_bad_database_url_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="allowed: sqlite:///PATH"):
        make_engine("nosuchdb://x")
