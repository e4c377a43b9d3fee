"""A whole review in one file, and back into an empty database (SQLite or PostgreSQL).

The backup is a ZIP archive:

- ``review-backup.json``: ``format`` ("review-app-backup"), ``version`` (1), ``created_at``,
  ``schema_revision`` (the Alembic revision it was taken at), ``review_id``, ``review_name``,
  ``tables`` (table name -> ``columns`` and ``rows``, in foreign-key order, each table's rows by
  primary key) and ``files`` (path under the files folder -> SHA-256);
- ``files/<path>``: the review's PDFs (``review-<id>/record-<id>/<sha256>.pdf``, earlier
  versions included) when a files folder is given.

What belongs to a review: the review row; every row of a table with a ``review_id`` column
holding it; rows of tables reached through a foreign key from those (cluster members, full texts,
study reports, extraction copies and their characteristics, arms and results, risk of bias); and
every user a row points at (members, voters, leads, importers, extractors, assessors, the audit
trail), with their password hashes.
Login throttling and login sessions (token hashes) are not review data. A table the rules
cannot place is an error, so a new table is never left out silently.

Values are written losslessly as JSON: datetimes in ISO 8601 with their offset (UTC), dates in
ISO 8601, JSON columns as JSON, booleans as booleans, floats as Python writes them (round trip).

Restoring keeps every id, so audit events still point at their rows; on PostgreSQL the id
sequences are moved past the restored ids (``setval``). It is one unit of work: the caller's
transaction holds every row or none. PDFs are written after the rows, content-checked; a failed
commit can leave PDFs behind, which are harmless (named by checksum) and reused by a retry.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, ColumnElement, Table, TypeDecorator, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col

from review_app.db import alembic_config
from review_app.domain.vocabulary import Role
from review_app.errors import ConflictError, NotFoundError, ValidationError
from review_app.models import FullText, Record, Review, User, utcnow
from review_app.services.permissions import Actor, require_role

FORMAT = "review-app-backup"
VERSION = 1
DATA_NAME = "review-backup.json"
FILES_PREFIX = "files/"
NOT_REVIEW_DATA = frozenset({"loginthrottle", "loginsession"})
INSERT_CHUNK = 1_000
_SHA256_NAME = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class _Scope:
    """Which rows of one table belong to the review."""

    table: Table
    where: ColumnElement[bool]


def backup_review(
    session: Session, *, actor: Actor, review_id: int, files_dir: Path | None = None
) -> bytes:
    """The review, its people and every row that belongs to it as one ZIP file (admins: the file
    holds password hashes); with ``files_dir``, the review's PDFs too."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.ADMIN)
    review = session.get(Review, review_id)
    if review is None:
        raise NotFoundError(f"no review with id {review_id}")
    tables = {
        scope.table.name: _dump_table(session, scope) for scope in _scopes(session, review_id)
    }
    files = dict(_pdfs(session, review_id, files_dir)) if files_dir is not None else {}
    document = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": utcnow().isoformat(),
        "schema_revision": _revision(session),
        "review_id": review_id,
        "review_name": review.name,
        "tables": tables,
        "files": {path: hashlib.sha256(data).hexdigest() for path, data in files.items()},
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(DATA_NAME, json.dumps(document, ensure_ascii=False))
        for path, data in sorted(files.items()):
            archive.writestr(FILES_PREFIX + path, data)
    return out.getvalue()


def restore_review(session: Session, *, data: bytes, files_dir: Path | None = None) -> int:
    """Put a backup into an empty database (no review, no user) with its original ids; returns
    the review's id. PDFs in the backup need ``files_dir``."""
    document, files = _read(data)
    _check_schema(session, document)
    _check_empty(session)
    if files and files_dir is None:
        raise ValidationError(
            f"the backup holds {len(files)} PDF file(s); give the files folder "
            "(REVIEW_APP_FILES_DIR) to restore them into"
        )
    tables: dict[str, Any] = document["tables"]
    metadata = SQLModel.metadata.tables
    for table in SQLModel.metadata.sorted_tables:
        if table.name in tables:
            _load_table(session, table, tables[table.name])
    if session.get_bind().dialect.name == "postgresql":
        for name in tables:
            _reset_sequence(session, metadata[name])
    if files_dir is not None:
        _write_files(files_dir, files, review_id=document["review_id"])
    return int(document["review_id"])


# --- what belongs to the review -----------------------------------------------------------------


def _scopes(session: Session, review_id: int) -> list[_Scope]:
    """Each table's rows of the review, in foreign-key order; users last but inserted first."""
    placed: dict[str, _Scope] = {}
    for table in SQLModel.metadata.sorted_tables:
        if table.name in NOT_REVIEW_DATA or table.name == "user":
            continue
        placed[table.name] = _Scope(table, _condition(table, review_id, placed))
    users = User.__table__  # type: ignore[attr-defined]
    ids = _referenced_users(session, placed.values())
    return [_Scope(users, users.c.id.in_(ids)), *placed.values()]


def _condition(table: Table, review_id: int, placed: dict[str, _Scope]) -> ColumnElement[bool]:
    if table.name == "review":
        return table.c.id == review_id
    if "review_id" in table.c:
        return table.c.review_id == review_id
    for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
        parent = placed.get(fk.column.table.name)
        if parent is not None:
            ids = select(fk.column).where(parent.where)
            return fk.parent.in_(ids)
    raise RuntimeError(
        f"table {table.name} is neither review data nor listed as not review data; "
        "teach review_app/services/backup.py where its rows belong"
    )


def _referenced_users(session: Session, scopes: Iterable[_Scope]) -> list[int]:
    ids: set[int] = set()
    for scope in scopes:
        for fk in scope.table.foreign_keys:
            if fk.column.table.name == "user":
                query = select(fk.parent).where(scope.where, fk.parent.is_not(None)).distinct()
                ids.update(session.execute(query).scalars())
    return sorted(ids)


# --- rows to and from JSON ----------------------------------------------------------------------


def _dump_table(session: Session, scope: _Scope) -> dict[str, Any]:
    table = scope.table
    columns = list(table.c)
    query = select(table).where(scope.where).order_by(*table.primary_key.columns)
    rows = [[_to_json(value) for value in row] for row in session.execute(query)]
    return {"columns": [c.name for c in columns], "rows": rows}


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _load_table(session: Session, table: Table, content: dict[str, Any]) -> None:
    try:
        names: list[str] = content["columns"]
        columns = [table.c[name] for name in names]
        rows = [
            {
                name: _from_json(column, value)
                for name, column, value in zip(names, columns, row, strict=True)
            }
            for row in content["rows"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"the backup's table {table.name} is damaged ({exc})") from exc
    try:
        for start in range(0, len(rows), INSERT_CHUNK):
            session.execute(table.insert(), rows[start : start + INSERT_CHUNK])
    except IntegrityError as exc:
        raise ConflictError(
            f"the backup's table {table.name} cannot be restored: {exc.orig}"
        ) from exc


def _from_json(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = _python_type(column)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    return value


def _python_type(column: Column[Any]) -> type | None:
    """The Python type of a column's values (of the type a TypeDecorator such as SQLModel's
    UTCDateTime wraps)."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    try:
        return kind.python_type
    except NotImplementedError:
        return None


def _reset_sequence(session: Session, table: Table) -> None:
    """Move the id sequence past the restored ids, so the next insert gets a fresh one."""
    column = table.autoincrement_column
    if column is None:
        return
    highest = f'MAX("{column.name}")'
    statement = (
        f"SELECT setval(pg_get_serial_sequence(:table, :column), COALESCE({highest}, 1), "
        f'{highest} IS NOT NULL) FROM "{table.name}"'
    )
    session.execute(text(statement), {"table": f'"{table.name}"', "column": column.name})


# --- checks -------------------------------------------------------------------------------------


def _read(data: bytes) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The JSON document and the PDFs (path -> bytes, checked against their SHA-256)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            document = json.loads(archive.read(DATA_NAME))
            files = {
                name.removeprefix(FILES_PREFIX): archive.read(name)
                for name in archive.namelist()
                if name.startswith(FILES_PREFIX) and not name.endswith("/")
            }
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ValidationError(
            f"not a review-app backup (a ZIP file holding {DATA_NAME}): {exc}"
        ) from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValidationError(f"not a review-app backup: {DATA_NAME} has no format {FORMAT!r}")
    if document.get("version") != VERSION:
        raise ValidationError(
            f"backup format version {document.get('version')!r}: this version of review-app "
            f"reads version {VERSION}"
        )
    expected: dict[str, str] = document.get("files", {})
    if set(expected) != set(files):
        raise ValidationError("the backup's PDF files do not match its list of files")
    for path, content in files.items():
        if hashlib.sha256(content).hexdigest() != expected[path]:
            raise ValidationError(f"the backup's file {path} does not match its checksum")
    return document, files


def _check_empty(session: Session) -> None:
    reviews = session.execute(select(func.count()).select_from(Review)).scalar_one()
    users = session.execute(select(func.count()).select_from(User)).scalar_one()
    if reviews or users:
        raise ConflictError(
            f"a backup is restored only into an empty database; this one holds {reviews} "
            f"review(s) and {users} user(s): create a new database (review-app init --db URL) "
            "and restore into that"
        )


def _check_schema(session: Session, document: dict[str, Any]) -> None:
    current, head = _revision(session), _head()
    if current != head:
        where = f"is at revision {current}, not {head}" if current else "has no schema yet"
        raise ConflictError(f"this database {where}: create or upgrade it first (review-app init)")
    known = SQLModel.metadata.tables
    for name, content in document["tables"].items():
        if name not in known or name in NOT_REVIEW_DATA:
            raise ValidationError(f"the backup holds a table {name!r} this version does not know")
        unknown = sorted(set(content["columns"]) - set(known[name].c.keys()))
        if unknown:
            raise ValidationError(
                f"the backup's table {name} has columns this version does not know: "
                f"{', '.join(unknown)} (it was made by a newer review-app)"
            )


def _revision(session: Session) -> str | None:
    return MigrationContext.configure(session.connection()).get_current_revision()


def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


# --- files --------------------------------------------------------------------------------------


def _pdfs(session: Session, review_id: int, files_dir: Path) -> Iterator[tuple[str, bytes]]:
    """Every file in the review's folder (earlier PDFs too), after checking that each current
    full text's PDF is there and unchanged."""
    current = session.execute(
        select(col(FullText.file_path), col(FullText.sha256))
        .join(Record, col(Record.id) == FullText.record_id)
        .where(col(Record.review_id) == review_id, col(FullText.file_path).is_not(None))
    ).all()
    for path, digest in current:
        try:
            content = (files_dir / path).read_bytes()
        except OSError as exc:
            raise NotFoundError(
                f"the PDF {files_dir / path} is missing ({exc.strerror}); the backup would be "
                "incomplete: restore the file or upload it again"
            ) from exc
        if hashlib.sha256(content).hexdigest() != digest:
            raise ConflictError(f"{files_dir / path} does not match its recorded checksum")
    folder = files_dir / f"review-{review_id}"
    if folder.is_dir():
        for path in sorted(folder.rglob("*.pdf")):
            if path.is_file() and _SHA256_NAME.fullmatch(path.stem):
                yield path.relative_to(files_dir).as_posix(), path.read_bytes()


def _write_files(files_dir: Path, files: dict[str, bytes], *, review_id: int) -> None:
    for name, content in sorted(files.items()):
        target = files_dir / _safe_path(name, review_id)
        if hashlib.sha256(content).hexdigest() != target.stem:
            raise ValidationError(f"the backup's file {name} does not match its name's checksum")
        if target.is_file():
            if target.read_bytes() != content:
                raise ConflictError(
                    f"{target} already exists with other content; restore into an empty "
                    "files folder"
                )
            continue
        _write_atomically(target, content)


def _safe_path(name: str, review_id: int) -> PurePosixPath:
    path = PurePosixPath(name)
    inside = path.parts[:1] == (f"review-{review_id}",) and ".." not in path.parts
    if path.is_absolute() or not inside:
        raise ValidationError(f"the backup's file {name!r} is outside the review's folder")
    if _SHA256_NAME.fullmatch(path.stem) and path.suffix == ".pdf":
        return path
    raise ValidationError(f"the backup's file {name!r} is not named by its SHA-256")


def _write_atomically(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=".upload-", suffix=".part", delete=False
    ) as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(handle.name, target)
