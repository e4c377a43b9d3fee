"""Full texts of records past title/abstract screening: a PDF, a link, or "not retrieved".

Where the PDFs live: on disk, not in the database. Each upload is written to
``files_dir / review-<id> / record-<id> / <sha256>.pdf`` and the FullText row keeps that path
(relative to ``files_dir``, so the folder can move), the original file name and the SHA-256.
Rows stay small on SQLite and PostgreSQL alike, backups of the database stay fast, and a PDF can
be served or opened without loading it through SQL. A file is written under a temporary name and
renamed into place (``os.replace``), so a crash never leaves a half-written PDF under its final
name. Naming files by their checksum means a replaced PDF keeps its own file: the row points at
the new one and the audit trail still leads to the old one.

"Not retrieved" is what PRISMA 2020 counts as "reports not retrieved"; such records leave
full-text screening (see ``screening._full_text_eligible_ids``) until ``mark_retrieved``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from review_app.domain.consensus import StageStatus
from review_app.domain.vocabulary import Role, Stage
from review_app.errors import ConfigError, ConflictError, NotFoundError, ValidationError
from review_app.models import FullText, Record, User, utcnow
from review_app.services.audit import record_event
from review_app.services.permissions import Actor, can_see_all_votes, require_role, role_of
from review_app.services.progress import stage_statuses, unique_records_select
from review_app.services.releases import released_record_ids
from review_app.services.reviews import get_review
from review_app.services.snapshots import snapshot

PDF_MAGIC = b"%PDF-"
URL_SCHEMES = ("http", "https")
MAX_FILE_NAME = 500  # FullText.file_name


@dataclass(frozen=True, slots=True)
class FullTextView:
    record_id: int
    status: str  # "retrieved" | "not_retrieved"
    file_name: str | None  # the name it was uploaded under
    sha256: str | None
    url: str | None
    note: str | None  # why it was not retrieved
    updated_by: str | None  # None when changed from the command line
    updated_at: datetime

    @property
    def has_pdf(self) -> bool:
        return self.sha256 is not None

    @property
    def is_retrieved(self) -> bool:
        return self.status == "retrieved"


def attach_pdf(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    record_id: int,
    data: bytes,
    file_name: str,
    files_dir: Path,
    max_bytes: int,
) -> FullTextView:
    """Store a PDF for a record past title/abstract and point its full text at it (audited).

    An earlier PDF stays on disk; only the row moves to the new file. The PDF is written before
    the row changes and removed again if the row cannot be saved, so an error leaves neither.
    """
    require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    _check_eligible(session, actor=actor, review_id=review_id, record_id=record_id)
    name = _display_name(file_name)
    _check_pdf(data, file_name=name, max_bytes=max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    relative = _relative_path(review_id, record_id, digest)
    created = _write_file(files_dir / relative, data, file_name=name)
    try:
        return _save(
            session,
            actor,
            review_id,
            record_id,
            _find(session, record_id),
            action="attach_pdf",
            status="retrieved",
            file_path=relative,
            file_name=name,
            sha256=digest,
            note=None,
        )
    except BaseException:
        if created:
            (files_dir / relative).unlink(missing_ok=True)
        raise


def set_link(
    session: Session, *, actor: Actor, review_id: int, record_id: int, url: str
) -> FullTextView:
    """Record where the full text can be read online (http or https; audited).

    A link counts as retrieved: it undoes an earlier "not retrieved".
    """
    require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    _check_eligible(session, actor=actor, review_id=review_id, record_id=record_id)
    link = _check_url(url, record_id=record_id)
    fulltext = _find(session, record_id)
    return _save(
        session,
        actor,
        review_id,
        record_id,
        fulltext,
        action="set_link",
        status="retrieved",
        url=link,
        note=None,
    )


def mark_not_retrieved(
    session: Session, *, actor: Actor, review_id: int, record_id: int, note: str
) -> FullTextView:
    """The full text could not be obtained (PRISMA: reports not retrieved); ``note`` says why.

    A PDF or link already recorded is kept, so ``mark_retrieved`` restores it as it was.
    """
    require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    _check_eligible(session, actor=actor, review_id=review_id, record_id=record_id)
    reason = (note or "").strip()
    if not reason:
        raise ValidationError(
            f"record {record_id}: say why the full text was not retrieved "
            "(e.g. 'not held by the library; authors did not reply')"
        )
    fulltext = _find(session, record_id)
    return _save(
        session,
        actor,
        review_id,
        record_id,
        fulltext,
        action="not_retrieved",
        status="not_retrieved",
        note=reason,
    )


def mark_retrieved(
    session: Session, *, actor: Actor, review_id: int, record_id: int
) -> FullTextView:
    """Undo ``mark_not_retrieved``: the record returns to full-text screening (audited)."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    _check_eligible(session, actor=actor, review_id=review_id, record_id=record_id)
    fulltext = _find(session, record_id)
    if fulltext is None:
        raise ValidationError(
            f"record {record_id} was never marked 'not retrieved'; there is nothing to undo"
        )
    return _save(
        session,
        actor,
        review_id,
        record_id,
        fulltext,
        action="retrieved",
        status="retrieved",
        note=None,
    )


def get_fulltext(
    session: Session, *, actor: Actor, review_id: int, record_id: int
) -> FullTextView | None:
    """The record's full text, or None while nothing has been recorded for it."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    _record(session, review_id, record_id)
    fulltext = _find(session, record_id)
    return _view(session, fulltext) if fulltext else None


def read_pdf(
    session: Session, *, actor: Actor, review_id: int, record_id: int, files_dir: Path
) -> bytes:
    """The record's current PDF, checked against its SHA-256 (to download or view)."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    _record(session, review_id, record_id)
    fulltext = _find(session, record_id)
    if fulltext is None or fulltext.file_path is None:
        raise NotFoundError(f"record {record_id} has no PDF; upload one first")
    path = files_dir / fulltext.file_path
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotFoundError(
            f"record {record_id}: the PDF {fulltext.file_name} is missing from {path} "
            f"({exc.strerror}); check the files folder or upload it again"
        ) from exc
    if hashlib.sha256(data).hexdigest() != fulltext.sha256:
        raise ConflictError(
            f"record {record_id}: {path} does not match the checksum recorded for "
            f"{fulltext.file_name}; the file was changed on disk, upload it again"
        )
    return data


def list_fulltexts(session: Session, *, actor: Actor, review_id: int) -> list[FullTextView]:
    """Every full text recorded in the review (PDF, link or not retrieved), by record id."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    rows = session.exec(
        select(FullText, User.name)
        .join(Record, col(Record.id) == FullText.record_id)
        .join(User, col(User.id) == FullText.updated_by_id, isouter=True)
        .where(Record.review_id == review_id)
        .order_by(col(FullText.record_id))
    )
    return [_as_view(fulltext, name) for fulltext, name in rows]


# --- writing ------------------------------------------------------------------------------------


def _save(
    session: Session,
    actor: Actor,
    review_id: int,
    record_id: int,
    fulltext: FullText | None,
    *,
    action: str,
    **values: object,
) -> FullTextView:
    """Apply ``values`` to the record's full-text row (creating it) and audit the change.

    Nothing is written when nothing changes, so a double click leaves one event.
    """
    before = _state(fulltext) if fulltext else None
    if fulltext is not None and not _differs(fulltext, values):
        return _view(session, fulltext)
    fulltext = fulltext or FullText(record_id=record_id, status="retrieved")
    for name, value in values.items():
        setattr(fulltext, name, value)
    fulltext.updated_by_id, fulltext.updated_at = actor.user_id, utcnow()
    _flush_row(session, fulltext, is_new=before is None)
    record_event(
        session,
        review_id=review_id,
        user_id=actor.user_id,
        action=f"fulltext.{action}",
        entity="fulltext",
        entity_id=fulltext.id,
        before=before,
        after=_state(fulltext),
    )
    return _view(session, fulltext)


def _flush_row(session: Session, fulltext: FullText, *, is_new: bool) -> None:
    """Write the row; a second first-time row for the record (two people at once) is refused
    by the unique constraint, inside a savepoint so the rest of the unit of work survives."""
    if not is_new:
        session.add(fulltext)
        session.flush()
        return
    try:
        with session.begin_nested():
            session.add(fulltext)
    except IntegrityError as exc:
        raise ConflictError(
            f"record {fulltext.record_id}: someone else recorded its full text at the same "
            "moment; reload the page and try again"
        ) from exc


def _write_file(path: Path, data: bytes, *, file_name: str) -> bool:
    """Write ``data`` to ``path`` atomically; False when that exact file is already there."""
    if path.is_file():
        return False
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=".upload-", suffix=".part", delete=False
        ) as handle:
            temporary = handle.name
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise ConfigError(
            f"{file_name}: cannot store it under {path.parent} ({exc.strerror or exc}); "
            "the files folder (REVIEW_APP_FILES_DIR) must be a writable folder"
        ) from exc
    return True


def _relative_path(review_id: int, record_id: int, digest: str) -> str:
    return str(PurePosixPath(f"review-{review_id}", f"record-{record_id}", f"{digest}.pdf"))


# --- checks -------------------------------------------------------------------------------------


def _record(session: Session, review_id: int, record_id: int) -> Record:
    record = session.get(Record, record_id)
    if record is None or record.review_id != review_id:
        raise NotFoundError(f"no record {record_id} in review {review_id}")
    return record


def _check_eligible(session: Session, *, actor: Actor, review_id: int, record_id: int) -> None:
    """The record is in the review, is not a duplicate copy and passed title/abstract.

    While the review is blind a reviewer learns a record's title/abstract outcome only once a
    lead has released or resolved it, so until then the refusal says the same whatever the votes.
    """
    _record(session, review_id, record_id)
    query = unique_records_select(review_id).where(col(Record.id) == record_id)
    if session.exec(query).first() is None:
        raise ValidationError(
            f"record {record_id} is a duplicate; record the full text on its primary record"
        )
    role = role_of(session, actor=actor, review_id=review_id)
    if not can_see_all_votes(role) and get_review(session, review_id).is_blind:
        released = released_record_ids(session, review_id=review_id, stage=Stage.TITLE_ABSTRACT)
        if record_id not in released:
            raise ValidationError(
                f"record {record_id} has not been passed on to full text by a lead yet; "
                "full texts are recorded only for records a lead has sent on"
            )
    status = stage_statuses(
        session, review_id=review_id, stage=Stage.TITLE_ABSTRACT, record_ids=[record_id]
    )[record_id]
    if status is not StageStatus.INCLUDED:
        raise ValidationError(
            f"record {record_id} has not passed title/abstract screening (it is {status}); "
            "full texts are recorded only for records included at title/abstract"
        )


def _check_pdf(data: bytes, *, file_name: str, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise ValidationError(
            f"{file_name}: {_size(len(data))} is larger than the limit of {_size(max_bytes)}"
        )
    if not data.startswith(PDF_MAGIC):
        raise ValidationError(
            f"{file_name}: not a PDF (a PDF file starts with %PDF-); upload the article as a PDF"
        )


def _check_url(url: str, *, record_id: int) -> str:
    link = (url or "").strip()
    if not _is_web_link(link):
        raise ValidationError(
            f"record {record_id}: {link!r} is not a web link; allowed are http:// and https:// "
            "addresses such as https://doi.org/10.1000/xyz"
        )
    return link


def _is_web_link(link: str) -> bool:
    try:
        parts = urlsplit(link)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    has_space = any(ch.isspace() for ch in link)
    return parts.scheme.lower() in URL_SCHEMES and bool(host) and not has_space


def _display_name(file_name: str) -> str:
    """The uploaded file's own name, without any folder a browser or shell put in front."""
    name = PureWindowsPath(PurePosixPath(file_name.strip()).name).name.strip()
    return (name or "full-text.pdf")[-MAX_FILE_NAME:]


def _size(n_bytes: int) -> str:
    if n_bytes < 1024 * 1024:
        return f"{n_bytes:,} bytes"
    return f"{n_bytes / (1024 * 1024):.1f} MB ({n_bytes:,} bytes)"


# --- rows and views -----------------------------------------------------------------------------


def _find(session: Session, record_id: int) -> FullText | None:
    return session.exec(select(FullText).where(FullText.record_id == record_id)).first()


def _differs(fulltext: FullText, values: dict[str, object]) -> bool:
    return any(getattr(fulltext, name) != value for name, value in values.items())


# What an audit event records of a full text.
_AUDITED = ("record_id", "status", "file_path", "file_name", "sha256", "url", "note")


def _state(fulltext: FullText) -> dict[str, object]:
    return snapshot(fulltext, _AUDITED)


def _view(session: Session, fulltext: FullText) -> FullTextView:
    user = session.get(User, fulltext.updated_by_id) if fulltext.updated_by_id else None
    return _as_view(fulltext, user.name if user else None)


def _as_view(fulltext: FullText, updated_by: str | None) -> FullTextView:
    return FullTextView(
        record_id=fulltext.record_id,
        status=fulltext.status,
        file_name=fulltext.file_name,
        sha256=fulltext.sha256,
        url=fulltext.url,
        note=fulltext.note,
        updated_by=updated_by,
        updated_at=fulltext.updated_at,
    )
