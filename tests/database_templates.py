"""Migrated databases made once per test process and copied for each test that needs its own.

Migrating a new database runs every Alembic migration (about 0.3-0.5 s on SQLite, where batch mode
copies tables, and 0.3-1 s on PostgreSQL), and seeding the demo review takes 1-2 s more. Tests
that commit need a database of their own, so these costs were paid once per test; here they are
paid once per test process (one per pytest-xdist worker, so workers never share a template), and
each test gets a copy:

- SQLite: one migrated (or migrated and seeded) file, copied byte for byte. The template's
  write-ahead log is folded into the file first, so the copy holds everything.
- PostgreSQL: the statements one real migration sends are recorded once (the CREATE TABLE,
  ALTER TABLE, CREATE INDEX... and the ``alembic_version`` rows) and sent again, in order and with
  the same parameters, into each new schema. Catalogue queries Alembic made to decide what to do
  are left out: on an empty schema they find the same nothing.

Either way the copy is what ``migrate`` would have made, ``alembic_version`` row included (so
code that checks the revision sees head); ``tests/test_database_templates.py`` compares a copy with
a database migrated for real, on both kinds. Tests of the migrations themselves
(``tests/test_migration_*.py``, ``tests/migration_helpers.py``) still migrate for real.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text

from review_app.db import make_engine, migrate, session_scope

_LOCK = threading.Lock()  # a template is made once even if two threads of a test ask at once


@cache
def _folder() -> Path:
    """This process's folder for templates, removed when the process ends."""
    folder = Path(tempfile.mkdtemp(prefix="review-app-templates-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _fold_write_ahead_log(path: Path) -> None:
    """Write what is still in ``path``'s write-ahead log into the file itself, so that copying
    the one file copies the whole database (SQLite keeps WAL mode in the file's header)."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def _sqlite_template(name: str, *, demo: bool, screening: bool) -> Path:
    with _LOCK:
        return _cached_sqlite_template(name, demo, screening)


@cache
def _cached_sqlite_template(name: str, demo: bool, screening: bool) -> Path:
    path = _folder() / f"{name}.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
        if demo:
            from review_app.services.demo import seed_demo

            with session_scope(engine) as session:
                seed_demo(session, screening=screening)
    finally:
        engine.dispose()
    _fold_write_ahead_log(path)
    return path


def _copy(template: Path, target: Path) -> str:
    if target.exists() or target.with_name(target.name + "-wal").exists():
        raise FileExistsError(f"{target} exists; a template is copied only into a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def migrated_sqlite(target: Path) -> str:
    """A new SQLite database at ``target`` at the newest migration (a copy of this process's
    migrated template); its URL."""
    return _copy(_sqlite_template("migrated", demo=False, screening=False), target)


def demo_sqlite(target: Path, *, screening: bool = True) -> str:
    """A new SQLite database at ``target`` holding the seeded demo review (``seed_demo`` with
    ``screening``), copied from this process's template; its URL."""
    name = "demo-screened" if screening else "demo-unscreened"
    return _copy(_sqlite_template(name, demo=True, screening=screening), target)


@dataclass(frozen=True)
class _Statement:
    sql: str
    parameters: Any
    many: bool


def _is_catalogue_query(sql: str) -> bool:
    return sql.lstrip().upper().startswith("SELECT")


def _record_migration(server_url: str) -> tuple[_Statement, ...]:
    """The statements that migrating an empty schema of ``server_url``'s database sends, in
    order (the schema used to record them is dropped afterwards)."""
    schema = f"tmpl_{uuid.uuid4().hex[:10]}"
    server = make_engine(server_url)
    sent: list[_Statement] = []
    try:
        with server.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        engine = make_engine(f"{server_url}?options=-csearch_path%3D{schema}")

        def record(
            _conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, many: bool
        ) -> None:
            if not _is_catalogue_query(sql):
                sent.append(_Statement(sql, parameters, many))

        event.listen(engine, "before_cursor_execute", record)
        try:
            migrate(engine)
        finally:
            engine.dispose()
        with server.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        server.dispose()
    if not any("alembic_version" in statement.sql for statement in sent):
        raise RuntimeError("recording the migration caught no alembic_version statement")
    return tuple(sent)


_RECORDINGS: dict[str, tuple[_Statement, ...]] = {}


def _recording(server_url: str) -> Sequence[_Statement]:
    with _LOCK:
        if server_url not in _RECORDINGS:
            _RECORDINGS[server_url] = _record_migration(server_url)
        return _RECORDINGS[server_url]


def migrated_postgres_schema(server: Engine, schema: str) -> str:
    """Create ``schema`` in ``server``'s database at the newest migration (the recorded
    migration sent again, in one transaction); the URL of an engine whose search path is it."""
    url = server.url.render_as_string(hide_password=False)
    statements = _recording(url)
    with server.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
        connection.execute(text(f"SET LOCAL search_path TO {schema}"))
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            for statement in statements:
                if statement.many:
                    cursor.executemany(statement.sql, statement.parameters)
                else:
                    cursor.execute(statement.sql, statement.parameters)
        finally:
            cursor.close()
    return f"{url}?options=-csearch_path%3D{schema}"
