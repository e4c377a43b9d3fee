"""The schema belongs to Alembic (upgrades from empty on SQLite and PostgreSQL; models agree);
the unit of work under load: retries, and a sentence for whatever still fails."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, SQLModel, select

import review_app.models  # noqa: F401
from review_app.db import (
    make_engine,
    migrate,
    run_in_transaction,
    schema_is_current,
    session_scope,
)
from review_app.errors import ConfigError, DatabaseBusyError, ValidationError
from review_app.models import Decision, ImportBatch, Record, Review, User
from tests.conftest import REPO_ROOT

BUSY_SENTENCE = (
    r"^The database is busy: .+\. Your last action was not saved; try again in a moment\.$"
)

TABLES = {
    "appraisal", "appraisaldomain", "appraisalslot", "auditevent", "candidatepair",
    "clustermember", "decision", "duplicatecluster", "extraction", "extractionarm",
    "extractionresult", "extractionvalue", "fulltext", "gradeassessment", "importbatch",
    "loginthrottle", "membership", "record", "recordrank", "resolution", "review", "savedanalysis",
    "study", "studyreport", "user",
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
        assert connection.execute(text("PRAGMA busy_timeout")).scalar_one() >= 5000


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
    assert review.id is not None
    batch = ImportBatch(
        review_id=review.id, file_name="f", sha256="0", source_name="PubMed", format="ris"
    )
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


# --- Errors under load: retries, and what still fails reaches people as a sentence -------------


def _probe_engine(url: str, **options: object) -> Engine:
    engine = make_engine(url, **options)  # type: ignore[arg-type]
    with session_scope(engine) as session:
        session.execute(
            text("CREATE TABLE IF NOT EXISTS probe (id INTEGER PRIMARY KEY, n INTEGER)")
        )
        session.execute(text("DELETE FROM probe"))
        session.execute(text("INSERT INTO probe (id, n) VALUES (1, 0)"))
    return engine


def _count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.execute(text("SELECT n FROM probe WHERE id = 1")).scalar_one())


def _hold_sqlite_write_lock(path: str) -> sqlite3.Connection:
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def _bump(session: Session) -> int:
    session.execute(text("UPDATE probe SET n = n + 1 WHERE id = 1"))
    return int(session.execute(text("SELECT n FROM probe WHERE id = 1")).scalar_one())


def test_sqlite_waits_out_a_write_lock_held_by_another_connection(tmp_path: Path) -> None:
    """The busy timeout runs out (0.1 s) several times; the BEGIN is tried again and succeeds."""
    path = str(tmp_path / "locked.db")
    engine = _probe_engine(f"sqlite:///{path}", sqlite_busy_timeout_ms=100)
    holder = _hold_sqlite_write_lock(path)
    threading.Timer(0.4, holder.execute, args=("COMMIT",)).start()
    started = time.monotonic()
    with session_scope(engine) as session:
        assert _bump(session) == 1
    assert time.monotonic() - started >= 0.3
    assert _count(engine) == 1
    holder.close()


def test_sqlite_lock_that_outlasts_the_retries_is_refused_in_words(tmp_path: Path) -> None:
    path = str(tmp_path / "locked.db")
    engine = _probe_engine(f"sqlite:///{path}", sqlite_busy_timeout_ms=50)
    holder = _hold_sqlite_write_lock(path)
    try:
        with (
            pytest.raises(DatabaseBusyError, match=BUSY_SENTENCE) as caught,
            session_scope(engine) as session,
        ):
            _bump(session)
        assert caught.value.reason == "locked"
        assert "sqlite" not in str(caught.value).lower() and "UPDATE" not in str(caught.value)
        calls: list[int] = []
        with pytest.raises(DatabaseBusyError):
            run_in_transaction(engine, lambda s: calls.append(_bump(s)))
        assert calls == []  # refused at BEGIN, before the work ran: nothing to run again
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _count(engine) == 0


def test_run_in_transaction_reruns_a_unit_of_work_that_met_a_lock_midway(tmp_path: Path) -> None:
    """A read transaction that then writes while another connection holds the write lock fails
    midway (SQLite cannot wait there); session_scope refuses it, run_in_transaction runs the
    whole unit again once the lock is gone."""
    path = str(tmp_path / "locked.db")
    engine = _probe_engine(f"sqlite:///{path}", sqlite_busy_timeout_ms=50)
    holder = _hold_sqlite_write_lock(path)
    with (
        pytest.raises(DatabaseBusyError, match=BUSY_SENTENCE) as caught,
        session_scope(engine, read_only=True) as session,
    ):
        session.execute(text("SELECT n FROM probe")).all()
        _bump(session)
    assert caught.value.retryable

    runs: list[int] = []

    def read_then_write(session: Session) -> int:
        runs.append(1)
        session.execute(text("SELECT n FROM probe")).all()
        if len(runs) == 1:
            threading.Timer(0.1, holder.execute, args=("COMMIT",)).start()
        return _bump(session)

    # Attempts enough for a loaded machine, where the timer's COMMIT may come late.
    assert run_in_transaction(engine, read_then_write, read_only=True, attempts=20) == 1
    assert len(runs) >= 2 and _count(engine) == 1  # refused at least once, then done
    holder.close()


def test_a_lock_that_never_goes_is_refused_after_the_attempts(tmp_path: Path) -> None:
    path = str(tmp_path / "locked.db")
    engine = _probe_engine(f"sqlite:///{path}", sqlite_busy_timeout_ms=20)
    holder = _hold_sqlite_write_lock(path)
    runs: list[int] = []

    def read_then_write(session: Session) -> int:
        runs.append(1)
        session.execute(text("SELECT n FROM probe")).all()
        return _bump(session)

    try:
        with pytest.raises(DatabaseBusyError, match=BUSY_SENTENCE):
            run_in_transaction(engine, read_then_write, read_only=True, attempts=3)
        assert len(runs) == 3
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.fixture
def postgres_probe(postgres_url: str) -> Iterator[str]:
    """A schema of the test's own on the run's PostgreSQL database; yields its URL."""
    schema = f"busy_{uuid.uuid4().hex[:10]}"
    server = make_engine(postgres_url)
    with server.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    with server.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    server.dispose()


def test_postgresql_pool_exhaustion_is_refused_in_words(postgres_probe: str) -> None:
    engine = _probe_engine(postgres_probe, pool_size=2, max_overflow=0, pool_timeout=0.3)
    held = [engine.connect(), engine.connect()]  # two people mid-action: the pool is empty
    try:
        runs: list[int] = []
        started = time.monotonic()
        with pytest.raises(DatabaseBusyError, match=BUSY_SENTENCE) as caught:
            run_in_transaction(engine, lambda s: runs.append(_bump(s)))
        assert time.monotonic() - started < 2  # waited the pool timeout once, not again
        assert caught.value.reason == "pool" and not caught.value.retryable
        assert "2 people are saving at once" in str(caught.value)
        assert runs == []  # the work met the empty pool at its first statement
    finally:
        for connection in held:
            connection.close()
    assert _count(engine) == 0
    engine.dispose()


def test_make_engine_sizes_the_pool_from_the_settings(postgres_probe: str) -> None:
    engine = make_engine(postgres_probe, pool_size=3, max_overflow=4, pool_timeout=1.5)
    pool: Any = engine.pool
    assert (pool.size(), pool._max_overflow, pool._timeout) == (3, 4, 1.5)
    engine.dispose()


def test_postgresql_serialization_failure_is_run_again_once(postgres_probe: str) -> None:
    """A real clash: the unit reads at REPEATABLE READ, someone else updates the row and
    commits, the unit's update then fails with 40001; the second run succeeds."""
    engine = _probe_engine(postgres_probe)
    runs: list[int] = []

    def clashing(session: Session) -> int:
        runs.append(1)
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        session.execute(text("SELECT n FROM probe WHERE id = 1")).scalar_one()
        if len(runs) == 1:
            with engine.begin() as other:
                other.execute(text("UPDATE probe SET n = n + 10 WHERE id = 1"))
        return _bump(session)

    with (
        pytest.raises(DatabaseBusyError, match=BUSY_SENTENCE) as caught,
        session_scope(engine) as session,  # no second run here: refused in words
    ):
        clashing(session)
    assert caught.value.reason == "serialization" and caught.value.retryable

    runs.clear()
    assert run_in_transaction(engine, clashing) == 21
    assert len(runs) == 2 and _count(engine) == 21
    engine.dispose()


@pytest.mark.parametrize(("errcode", "reason"), [("40001", "serialization"), ("40P01", "deadlock")])
def test_postgresql_clash_that_repeats_is_refused_after_one_retry(
    postgres_probe: str, errcode: str, reason: str
) -> None:
    engine = _probe_engine(postgres_probe)
    runs: list[int] = []

    def always_clashes(session: Session) -> None:
        runs.append(1)
        _bump(session)
        session.execute(
            text(f"DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '{errcode}'; END $$")
        )

    with pytest.raises(DatabaseBusyError, match=BUSY_SENTENCE) as caught:
        run_in_transaction(engine, always_clashes, attempts=5)
    assert caught.value.reason == reason
    assert len(runs) == 2  # retried once, whatever the attempts for a lock
    assert _count(engine) == 0  # nothing of either run was written
    engine.dispose()


def test_other_errors_are_not_run_again(sqlite_url: str) -> None:
    engine = _probe_engine(sqlite_url)
    runs: list[int] = []

    def bad(session: Session) -> None:
        runs.append(_bump(session))
        raise ValidationError("not allowed")

    with pytest.raises(ValidationError):
        run_in_transaction(engine, bad)
    assert runs == [1] and _count(engine) == 0


def test_serve_hides_error_details_outside_development(monkeypatch: pytest.MonkeyPatch) -> None:
    from review_app import cli
    from review_app.config import Settings

    commands: list[tuple[list[str], dict[str, str]]] = []

    def execve(path: str, command: list[str], env: dict[str, str]) -> None:
        commands.append((command, env))  # serve becomes Streamlit (exec): here it stops instead
        raise typer.Exit(0)

    monkeypatch.setattr(cli.os, "execve", execve)
    for development, shown in ((False, "none"), (True, "full")):
        settings = Settings(pool_size=7, development=development)
        with pytest.raises(typer.Exit):
            cli._run_streamlit(settings, host="127.0.0.1", port=1)
        command, env = commands[-1]
        assert command[command.index("--client.showErrorDetails") + 1] == shown
        assert env["REVIEW_APP_POOL_SIZE"] == "7"
        assert env["REVIEW_APP_DEVELOPMENT"] == ("1" if development else "0")


def test_writers_of_one_process_take_turns_in_arrival_order(tmp_path: Path) -> None:
    """SQLite's busy handler lets a newcomer in before a writer that has waited; the writers of
    one process queue instead, first come first served."""
    engine = _probe_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    saved: list[int] = []

    def writer(number: int) -> None:
        with session_scope(engine) as session:
            _bump(session)
            saved.append(number)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(1, 6)]
    with session_scope(engine) as session:
        _bump(session)  # holds the write lock while the others arrive, one by one
        for thread in threads:
            thread.start()
            time.sleep(0.15)
    for thread in threads:
        thread.join(timeout=20)
    assert saved == [1, 2, 3, 4, 5]
    assert _count(engine) == 6


def test_a_second_writer_in_the_same_thread_is_refused_not_stuck(tmp_path: Path) -> None:
    engine = _probe_engine(f"sqlite:///{tmp_path / 'nested.db'}", sqlite_busy_timeout_ms=50)
    started = time.monotonic()
    with session_scope(engine) as outer:
        _bump(outer)
        with pytest.raises(DatabaseBusyError), session_scope(engine) as inner:
            _bump(inner)
    assert time.monotonic() - started < 5
    started = time.monotonic()
    with session_scope(engine) as session:  # the turn was handed back: no wait now
        assert _bump(session) == 2
    assert time.monotonic() - started < 0.5
