"""Engine, unit of work and migrations. Nothing is built at import time.

Concurrency, in one place (docs/deploy.md says what it means for a team):

- SQLite: WAL, ``BEGIN IMMEDIATE`` (writers queue at the start of a unit of work; the writers
  of one process take turns in arrival order, ``WriteTurns``) and a busy timeout per attempt;
  a ``BEGIN`` that still finds the database locked is tried again after a jittered, doubling
  pause. Nothing has run yet at that point, so every ``session_scope`` gets these retries.
- PostgreSQL: a pool sized from the settings; waiting longer than the pool timeout for a
  connection is not retried (the wait already happened).
- A failure in the middle of a unit of work (SQLite locked after a read began, PostgreSQL
  serialisation failure 40001 or deadlock 40P01) cannot be retried by ``session_scope``, which
  cannot run the caller's block again: ``run_in_transaction`` takes the block as a function and
  runs it again (PostgreSQL's two codes once, a lock up to ``attempts`` times).
- Whatever still fails leaves ``session_scope`` as a ``DatabaseBusyError`` with a sentence for
  the person; nothing of the unit of work was written.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from review_app.config import DEFAULTS
from review_app.errors import ConfigError, DatabaseBusyError

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5_000  # SQLite's own wait for the write lock, per attempt
SQLITE_BEGIN_ATTEMPTS = 4  # BEGIN IMMEDIATE tries: about 20 s of waiting in all
TRANSACTION_ATTEMPTS = 3  # run_in_transaction: runs of a unit of work that met a lock midway
SERIALIZATION_RETRIES = 1  # run_in_transaction: PostgreSQL 40001 / 40P01 are retried once
BACKOFF_FIRST_SECONDS = 0.05  # the first pause; doubled each time, jittered, at most BACKOFF_MAX
BACKOFF_MAX_SECONDS = 1.0
_PG_RETRYABLE = {"40001": "serialization", "40P01": "deadlock", "55P03": "locked"}
_SQLITE_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (primary result codes)
READ_ONLY = "review_app_read_only"
# orjson writes the JSON columns (raw fields, authors, evidence...) several times faster than the
# standard library; an import spends most of its insert time there.
JSON_CODEC: dict[str, Any] = {
    "json_serializer": lambda value: orjson.dumps(value).decode(),
    "json_deserializer": orjson.loads,
}


def make_engine(
    url: str,
    *,
    pool_size: int = DEFAULTS["pool_size"],
    max_overflow: int = DEFAULTS["pool_overflow"],
    pool_timeout: float = DEFAULTS["pool_timeout_seconds"],
    sqlite_busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
) -> Engine:
    """An engine for ``url``. Pool sizes come from the settings (``REVIEW_APP_POOL_*``): one
    connection per concurrent user of this process, and ``pool_timeout`` seconds of waiting for
    one before the action is refused as busy. SQLite gets WAL, foreign keys and a busy timeout
    per connection."""
    pool: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_timeout": pool_timeout,
    }
    try:
        if url.startswith("sqlite"):
            return _sqlite_engine(url, pool, sqlite_busy_timeout_ms)
        return create_engine(url, pool_pre_ping=True, **pool, **JSON_CODEC)
    except (ArgumentError, ModuleNotFoundError) as exc:
        raise ConfigError(
            f"database URL {url!r} is not usable ({exc}); allowed: sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST:PORT/DB"
        ) from exc


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names, made absolute (relative paths are from the working folder);
    None for an in-memory SQLite database, another database, or a URL that is not one."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.database.startswith("file:"):  # a URI filename (?uri=true): leave it alone
        return None
    return Path(parsed.database).resolve()


def absolute_url(url: str) -> str:
    """``url`` with a SQLite file's path made absolute, so that it works from any folder; any
    other URL unchanged."""
    path = sqlite_file(url)
    return url if path is None else make_url(url).set(database=str(path)).render_as_string()


def _sqlite_engine(url: str, pool: dict[str, Any], busy_timeout_ms: int) -> Engine:
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}, **JSON_CODEC}
    if in_memory:
        kwargs["poolclass"] = StaticPool
    else:
        kwargs.update(pool)
    engine = create_engine(url, **kwargs)

    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        _set_sqlite_pragmas(dbapi_connection, busy_timeout_ms)

    turns = WriteTurns(busy_timeout_ms / 1000)

    def begin(connection: Any) -> None:
        _begin_immediate(connection, turns)

    def end(connection: Any) -> None:
        turns.give_back(connection.info)

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        turns.give_back(record.info)  # a transaction that ended without commit or rollback

    event.listen(engine, "connect", set_pragmas)
    event.listen(engine, "begin", begin)
    event.listen(engine, "commit", end)
    event.listen(engine, "rollback", end)
    event.listen(engine.pool, "checkin", checkin)
    return engine


class WriteTurns:
    """First come, first served for this process's SQLite writers.

    SQLite's own busy handler is not a queue: a writer that has waited sleeps up to 100 ms
    between looks at the lock, and newer writers that look at the right moment take it first, so
    under load one person can wait seconds while others save at once. Writers of one process
    (the threads of one ``serve``) therefore take turns here, in arrival order, before
    ``BEGIN IMMEDIATE``; the turn is handed to the next writer when the transaction commits or
    rolls back. A writer that waits longer than ``timeout`` goes on to SQLite's busy handling
    without its turn (so a mistake here can slow a save, never block it for good)."""

    KEY = "review_app_write_turn"

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._mutex = threading.Lock()
        self._held = False
        self._waiting: deque[threading.Event] = deque()

    def take(self, info: dict[str, Any]) -> None:
        """Wait for this connection's turn (marked in ``info``, the connection's own dict)."""
        if info.get(self.KEY):
            return
        with self._mutex:
            if not self._held:
                self._held = True
                info[self.KEY] = True
                return
            mine = threading.Event()
            self._waiting.append(mine)
        granted = mine.wait(self._timeout)
        with self._mutex:
            if not granted and not mine.is_set():
                self._waiting.remove(mine)
                return
        info[self.KEY] = True

    def give_back(self, info: dict[str, Any]) -> None:
        if not info.pop(self.KEY, False):
            return
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().set()  # handed over: still held, by the next writer
            else:
                self._held = False


def _set_sqlite_pragmas(dbapi_connection: Any, busy_timeout_ms: int) -> None:
    # Let SQLAlchemy, not the sqlite3 module, issue BEGIN (SQLAlchemy's recipe for SAVEPOINT).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_immediate(connection: Any, turns: WriteTurns) -> None:
    """Take SQLite's write lock at BEGIN: two writers then queue (busy timeout) instead of one
    failing with "database is locked" when both try to upgrade a read transaction at once.
    A unit of work opened with ``read_only=True`` begins a plain read transaction instead, which
    in WAL mode never waits for, nor holds up, a writer.

    When the busy timeout runs out the BEGIN is tried again after a pause (nothing has run yet,
    so this is always safe); after ``SQLITE_BEGIN_ATTEMPTS`` the action is refused as busy."""
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
        return
    turns.take(connection.info)
    try:
        for attempt in range(1, SQLITE_BEGIN_ATTEMPTS + 1):
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if _reason(exc) != "locked":
                    raise
                if attempt == SQLITE_BEGIN_ATTEMPTS:
                    raise _busy_error(connection.engine, "locked", retryable=False) from exc
                time.sleep(backoff_seconds(attempt))
    except BaseException:
        turns.give_back(connection.info)
        raise


def backoff_seconds(attempt: int) -> float:
    """The pause after failed attempt ``attempt`` (1-based): doubling, with full jitter so that
    writers who met the same lock do not all come back at the same moment."""
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (attempt - 1))
    return ceiling / 2 + random.random() * ceiling / 2


def _reason(exc: BaseException) -> str | None:
    """Why the database refused, when it is a matter of concurrency: ``locked`` (SQLite busy or
    locked, PostgreSQL lock timeout), ``serialization``, ``deadlock``, ``pool`` (no connection
    free within the pool timeout); None for anything else."""
    if isinstance(exc, PoolTimeoutError):
        return "pool"
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:
        return _PG_RETRYABLE.get(sqlstate)
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return "locked" if code & 0xFF in _SQLITE_BUSY_CODES else None
    message = str(orig).lower()
    if "database is locked" in message or "database table is locked" in message:
        return "locked"
    return None


def _busy_error(engine: Engine, reason: str, *, retryable: bool) -> DatabaseBusyError:
    checked_out = getattr(engine.pool, "checkedout", None)
    busy = int(checked_out()) if callable(checked_out) else 0
    if reason in ("serialization", "deadlock"):
        what = "your save met another person's save to the same rows"
    elif busy >= 2:
        what = f"{busy} people are saving at once"
    else:
        what = "another save is still running"
    return DatabaseBusyError(
        f"The database is busy: {what}. Your last action was not saved; try again in a moment.",
        reason=reason,
        retryable=retryable,
        busy=busy,
    )


@contextmanager
def session_scope(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """One unit of work: commit when the block ends, roll back everything on any error.

    ``read_only`` is for long reads (the ranking's inputs): on SQLite they then take no write lock.
    A lock, a pool without a free connection, or a PostgreSQL serialisation failure or deadlock
    that still fails here leaves as ``DatabaseBusyError`` (nothing written); to have the block
    run again instead, pass it to ``run_in_transaction``.
    """
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    session = Session(bind, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException as exc:
        session.rollback()
        reason = _reason(exc)
        if reason is not None:
            raise _busy_error(engine, reason, retryable=reason != "pool") from exc
        raise
    finally:
        session.close()


_retry_counter = threading.local()


def run_in_transaction(
    engine: Engine,
    work: Callable[[Session], T],
    *,
    read_only: bool = False,
    attempts: int = TRANSACTION_ATTEMPTS,
) -> T:
    """Run ``work(session)`` as one unit of work, and run it again from the start when the
    database refused it for concurrency midway: a SQLite lock up to ``attempts`` runs in all,
    a PostgreSQL serialisation failure or deadlock once more. Pauses between runs back off.

    ``work`` must have no effect outside the session (it may run more than once) and should
    return plain values (ids, dataclasses), not ORM objects. Raises ``DatabaseBusyError`` when
    the last run is refused too; any other error leaves at once, as from ``session_scope``.
    """
    pg_retries = SERIALIZATION_RETRIES
    attempt = 1
    while True:
        try:
            with session_scope(engine, read_only=read_only) as session:
                return work(session)
        except DatabaseBusyError as error:
            if not error.retryable or attempt >= attempts:
                raise
            if error.reason in ("serialization", "deadlock"):
                if pg_retries <= 0:
                    raise
                pg_retries -= 1
            _retry_counter.count = getattr(_retry_counter, "count", 0) + 1
            time.sleep(backoff_seconds(attempt))
            attempt += 1


def retries_in_this_thread() -> int:
    """How many times ``run_in_transaction`` has re-run a unit of work in this thread (the
    benchmark and the tests read it)."""
    return int(getattr(_retry_counter, "count", 0))


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision``. Safe to run on every start."""
    config = alembic_config()
    with (
        engine.connect() as connection,
        foreign_keys_off_on_sqlite(connection),
        connection.begin(),
    ):
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        _check_foreign_keys(connection)


@contextmanager
def foreign_keys_off_on_sqlite(connection: Connection) -> Iterator[None]:
    """SQLite alters a table by copying it (Alembic's batch mode), and with foreign keys on,
    dropping the old copy deletes every row that references it (ON DELETE CASCADE): an upgrade
    would empty the tables below. The pragma changes only outside a transaction, so it is set on
    the driver's connection before the migration's transaction begins, and set back after."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.dbapi_connection
    assert driver is not None
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    """With the checks off during the upgrade, a migration that left a dangling reference is
    refused here, inside its transaction, so nothing of it is kept."""
    if connection.dialect.name != "sqlite":
        return
    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if dangling:
        table, _, parent, _ = dangling[0]
        raise RuntimeError(
            f"the upgrade left {len(dangling)} row(s) whose reference is missing, e.g. in "
            f"{table} pointing to {parent}; nothing was changed"
        )


def schema_is_current(engine: Engine) -> bool:
    """True when the database is at the newest migration."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head
