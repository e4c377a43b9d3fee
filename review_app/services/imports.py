"""Importing search results: one file is one batch, written in one transaction or not at all."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from review_app.config import Settings
from review_app.domain.record_fields import field_values
from review_app.domain.vocabulary import Role
from review_app.errors import (
    ConflictError,
    NotFoundError,
    Problem,
    ValidationError,
)
from review_app.importers import DEFAULT_LIMITS, FORMATS, Limits, read_bytes
from review_app.importers.plausibility import IssueTally
from review_app.importers.record import RecordIn
from review_app.importers.source_detect import SourceGuess
from review_app.models import (
    ClusterMember,
    Decision,
    DuplicateCluster,
    ImportBatch,
    Record,
    User,
    utcnow,
)
from review_app.models.records import SOURCE_KINDS
from review_app.services.audit import record_event
from review_app.services.import_sources import guess_from_bytes
from review_app.services.permissions import Actor, require_role

INSERT_CHUNK = 2_000
PREVIEW_RECORDS = 5
RECORD_TABLE = Record.__table__  # type: ignore[attr-defined]
Progress = Callable[[float], None]


@dataclass(frozen=True, slots=True)
class ImportPreview:
    """What a file holds, before anything is written (the web page shows it for confirmation)."""

    file_name: str
    format: str
    encoding: str
    record_count: int
    first_records: list[RecordIn]
    warnings: list[str]
    problems: list[Problem]
    source_guess: SourceGuess | None = None  # what the file says about its database, if anything


@dataclass(frozen=True, slots=True)
class UndoSummary:
    """What an undo took away, for the page and the command line to say."""

    batch_id: int
    file_name: str
    source_name: str
    records: int
    merges_undone: int

    @property
    def message(self) -> str:
        merges = f"{self.merges_undone} merge{'' if self.merges_undone == 1 else 's'} undone"
        return (
            f"Undid import {self.batch_id} ({self.source_name}, {self.file_name}: "
            f"{self.records:,} records, {merges})"
        )


@dataclass(frozen=True, slots=True)
class ImportSummary:
    batch_id: int
    file_name: str
    source_name: str
    format: str
    imported: int
    skipped: int
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BatchPublic:
    id: int
    file_name: str
    source_name: str
    source_kind: str
    format: str
    date_searched: date | None
    imported_at: datetime
    imported_by: str | None
    record_count: int
    skipped_count: int
    status: str
    voted_records: int  # records with a screening vote: the batch can be undone only at 0


def import_limits(settings: Settings) -> Limits:
    """The settings' caps on one imported file (the web app's and the command line's)."""
    return Limits.of(
        max_upload_mb=settings.max_upload_mb,
        max_records_per_file=settings.max_records_per_file,
        max_field_chars=settings.max_field_chars,
        max_sheet_cells=settings.max_sheet_cells,
    )


def preview_import(
    *,
    data: bytes,
    file_name: str,
    format: str = "auto",
    skip_invalid: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> ImportPreview:
    """Parse a file without writing; raises ImportFileError with every problem when it can't.
    ``limits``: the largest file, most records, longest field and most XLSX cells accepted."""
    first: list[RecordIn] = []
    tally = IssueTally()

    def keep(record: RecordIn) -> None:
        tally.add_record(record)
        if len(first) < PREVIEW_RECORDS:
            first.append(record)

    result = read_bytes(
        data,
        filename=file_name,
        format=format,
        skip_invalid=skip_invalid,
        limits=limits,
        sink=keep,
    )
    untrusted = tally.verdict(source=file_name)
    for record in first if untrusted else ():
        record.issue = None
    return ImportPreview(
        file_name=file_name,
        format=result.format,
        encoding=result.encoding,
        record_count=result.record_count,
        first_records=first,
        warnings=[*result.warnings, *([untrusted] if untrusted else [])],
        problems=result.problems,
        source_guess=guess_from_bytes(data, file_name=file_name, format=result.format),
    )


def import_file(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    data: bytes,
    file_name: str,
    source_name: str,
    source_kind: str = "database",
    format: str = "auto",
    date_searched: date | None = None,
    skip_invalid: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ImportSummary:
    """Import one export file as a batch (leads and admins).

    The same file (by SHA-256) is refused a second time unless ``force``. Records are written as
    they are read, inside a savepoint: any problem undoes the whole file, so nothing of it stays.
    With ``skip_invalid`` the valid records go in and the rest are listed. ``limits`` (from the
    settings) caps the file's size, its records, each field's length and an XLSX's cells.
    """
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    _check_source(source_name, source_kind)
    _check_format(format)
    digest = hashlib.sha256(data).hexdigest()
    if not force:
        _refuse_repeat(session, review_id=review_id, digest=digest, file_name=file_name)
    with session.begin_nested():
        batch = ImportBatch(
            review_id=review_id,
            file_name=file_name,
            sha256=digest,
            source_name=source_name.strip(),
            source_kind=source_kind,
            format=format,  # the detected format replaces "auto" once the file is read
            date_searched=date_searched,
            imported_by_id=actor.user_id,
        )
        session.add(batch)
        session.flush()
        assert batch.id is not None
        writer = _RecordWriter(session, review_id=review_id, batch_id=batch.id,
                               lines=data.count(b"\n") + 1, progress=progress)  # fmt: skip
        result = read_bytes(
            data,
            filename=file_name,
            format=format,
            skip_invalid=skip_invalid,
            sink=writer.add,
            limits=limits,
        )
        writer.flush()
        result.warnings += _distrust_issues(session, batch.id, writer.issues, file_name)
        batch.format = result.format
        batch.record_count = result.record_count
        batch.skipped_count = len(result.problems)
        batch.warnings = result.warnings
        session.add(batch)
        session.flush()
    if progress is not None:
        progress(1.0)
    record_event(
        session,
        review_id=review_id,
        user_id=actor.user_id,
        action="import.create",
        entity="importbatch",
        entity_id=batch.id,
        after={
            "file": file_name,
            "source": source_name,
            "records": result.record_count,
            "skipped": len(result.problems),
            "format": result.format,
        },
    )
    return ImportSummary(
        batch_id=batch.id,
        file_name=file_name,
        source_name=batch.source_name,
        format=result.format,
        imported=result.record_count,
        skipped=len(result.problems),
        warnings=result.warnings,
        problems=result.problems,
    )


def list_batches(session: Session, *, actor: Actor, review_id: int) -> list[BatchPublic]:
    """The review's import batches (any member): counts of records and of voted records only."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    voted = dict(
        session.exec(
            select(Record.import_batch_id, func.count(func.distinct(Decision.record_id)))
            .join(Decision, col(Decision.record_id) == Record.id)
            .where(Record.review_id == review_id)
            .group_by(col(Record.import_batch_id))
        ).all()
    )
    rows = session.exec(
        select(ImportBatch, User.name)
        .join(User, col(User.id) == ImportBatch.imported_by_id, isouter=True)
        .where(ImportBatch.review_id == review_id)
        .order_by(col(ImportBatch.id))
    )
    return [_public(batch, name, voted.get(batch.id or 0, 0)) for batch, name in rows]


def undo_import(session: Session, *, actor: Actor, review_id: int, batch_id: int) -> UndoSummary:
    """Remove a batch's records while none of them has a screening vote; the batch row stays,
    marked undone, so the audit trail keeps what was imported. Says what went: the records and
    the merges undone (copies that leave, and clusters whose primary leaves)."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    batch = session.get(ImportBatch, batch_id)
    if batch is None or batch.review_id != review_id:
        raise NotFoundError(f"no import batch {batch_id} in review {review_id}")
    if batch.status == "undone":
        raise ConflictError(f"import batch {batch_id} ({batch.file_name}) is already undone")
    voted = session.exec(
        select(func.count(func.distinct(Decision.record_id)))
        .join(Record, col(Record.id) == Decision.record_id)
        .where(Record.import_batch_id == batch_id)
    ).one()
    if voted:
        raise ConflictError(
            f"import batch {batch_id} ({batch.file_name}) cannot be undone: {voted} of its "
            "records already have screening votes"
        )
    merges = _count_merges_touched(session, batch_id)
    _drop_merges_led_by(session, batch_id)
    session.execute(delete(Record).where(col(Record.import_batch_id) == batch_id))
    batch.status = "undone"
    session.add(batch)
    session.flush()
    record_event(
        session,
        review_id=review_id,
        user_id=actor.user_id,
        action="import.undo",
        entity="importbatch",
        entity_id=batch_id,
        before={"status": "active", "records": batch.record_count},
        after={"status": "undone", "merges_undone": merges},
    )
    return UndoSummary(
        batch_id=batch_id,
        file_name=batch.file_name,
        source_name=batch.source_name,
        records=batch.record_count,
        merges_undone=merges,
    )


def _count_merges_touched(session: Session, batch_id: int) -> int:
    """Copies (non-primary members) of active clusters that leave with the batch or whose
    cluster's primary leaves: each is one merge the undo takes back."""
    leaving = select(Record.id).where(Record.import_batch_id == batch_id)
    led = select(DuplicateCluster.id).where(col(DuplicateCluster.primary_record_id).in_(leaving))
    return session.exec(
        select(func.count())
        .select_from(ClusterMember)
        .join(DuplicateCluster, col(DuplicateCluster.id) == ClusterMember.cluster_id)
        .where(
            DuplicateCluster.status == "active",
            col(ClusterMember.is_primary).is_(False),
            col(ClusterMember.cluster_id).in_(led) | col(ClusterMember.record_id).in_(leaving),
        )
    ).one()


def _drop_merges_led_by(session: Session, batch_id: int) -> None:
    """Merges whose primary record leaves with the batch go too (their copies return to
    screening); copies that leave are dropped from their clusters by the cascade."""
    leaving = select(Record.id).where(Record.import_batch_id == batch_id)
    cluster_ids = list(
        session.exec(
            select(DuplicateCluster.id).where(col(DuplicateCluster.primary_record_id).in_(leaving))
        )
    )
    if cluster_ids:
        session.execute(delete(ClusterMember).where(col(ClusterMember.cluster_id).in_(cluster_ids)))
        session.execute(delete(DuplicateCluster).where(col(DuplicateCluster.id).in_(cluster_ids)))


def record_row(record: RecordIn, *, review_id: int, batch_id: int) -> dict[str, Any]:
    """The Record table row for an imported record."""
    return {
        "review_id": review_id,
        "import_batch_id": batch_id,
        "position": record.position,
        **field_values(record),
        "title": record.title or "",
        "raw": record.raw,
        "created_at": utcnow(),
    }


class _RecordWriter:
    """Writes records as the parser hands them over, ``INSERT_CHUNK`` rows at a time."""

    def __init__(
        self,
        session: Session,
        *,
        review_id: int,
        batch_id: int,
        lines: int,
        progress: Progress | None,
    ) -> None:
        self._session, self._review_id, self._batch_id = session, review_id, batch_id
        self._lines, self._progress = lines, progress
        self._rows: list[dict[str, Any]] = []
        self._last_line = 0
        self.issues = IssueTally()  # is the file's issue column issues? (known at its end)

    def add(self, record: RecordIn) -> None:
        self.issues.add_record(record)
        self._rows.append(record_row(record, review_id=self._review_id, batch_id=self._batch_id))
        self._last_line = record.line or self._last_line
        if len(self._rows) >= INSERT_CHUNK:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            # Core executemany on the table: the ORM's bulk path costs more than the insert.
            self._session.connection().execute(RECORD_TABLE.insert(), self._rows)
            self._rows = []
        if self._progress is not None and self._last_line:  # how far into the file we are
            self._progress(min(1.0, self._last_line / self._lines))


def _distrust_issues(
    session: Session, batch_id: int, tally: IssueTally, file_name: str
) -> list[str]:
    """Empty the batch's issue field when the file's issue column holds something else
    (record numbers): deduplication must not compare them. Each record's raw fields keep the
    values; the returned warning says why (none when the issues are plausible)."""
    warning = tally.verdict(source=file_name)
    if warning is None:
        return []
    session.connection().execute(
        update(RECORD_TABLE).where(RECORD_TABLE.c.import_batch_id == batch_id).values(issue=None)
    )
    return [warning]


def _refuse_repeat(session: Session, *, review_id: int, digest: str, file_name: str) -> None:
    earlier = session.exec(
        select(ImportBatch).where(
            ImportBatch.review_id == review_id,
            ImportBatch.sha256 == digest,
            ImportBatch.status == "active",
        )
    ).first()
    if earlier is not None:
        when = earlier.imported_at.strftime("%Y-%m-%d %H:%M")
        raise ConflictError(
            f"{file_name}: this file was already imported (batch {earlier.id}, "
            f"{earlier.file_name}, {when} UTC); import it again only with --force"
        )


def _check_source(source_name: str, source_kind: str) -> None:
    if not source_name.strip():
        raise ValidationError("source: name the database or register the file came from")
    if source_kind not in SOURCE_KINDS:
        raise ValidationError(f"source kind {source_kind!r}: allowed are {', '.join(SOURCE_KINDS)}")


def _check_format(format: str) -> None:
    """Before the batch row is written (its format column holds 20 characters)."""
    if format != "auto" and format not in FORMATS:
        raise ValidationError(f"format {format!r}: allowed are auto, {', '.join(FORMATS)}")


def _public(batch: ImportBatch, imported_by: str | None, voted: int) -> BatchPublic:
    assert batch.id is not None
    return BatchPublic(
        id=batch.id,
        file_name=batch.file_name,
        source_name=batch.source_name,
        source_kind=batch.source_kind,
        format=batch.format,
        date_searched=batch.date_searched,
        imported_at=batch.imported_at,
        imported_by=imported_by,
        record_count=batch.record_count,
        skipped_count=batch.skipped_count,
        status=batch.status,
        voted_records=voted,
    )
