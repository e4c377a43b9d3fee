"""Full texts: PDFs on disk (written whole or not at all), links, "not retrieved", audited."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from review_app.db import session_scope
from review_app.errors import (
    ConfigError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from review_app.models import AuditEvent, FullText
from review_app.services.conflicts import resolve
from review_app.services.fulltext import (
    FullTextView,
    attach_pdf,
    get_fulltext,
    list_fulltexts,
    mark_not_retrieved,
    mark_retrieved,
    read_pdf,
    set_link,
)
from review_app.services.permissions import Actor
from review_app.services.progress import review_progress
from review_app.services.reviews import ReviewPublic, add_member, create_review
from review_app.services.screening import record_vote
from review_app.services.users import UserPublic, create_user
from tests.conftest import KRATOM_PROTOCOL
from tests.services.screening_helpers import import_titles, mark_duplicate
from tests.services.test_concurrency import at_once

TA, FT = "title_abstract", "full_text"
MAX_BYTES = 10_000
PDF_A = b"%PDF-1.7\n% first version\n%%EOF\n"
PDF_B = b"%PDF-1.7\n% corrected version\n%%EOF\n"


@pytest.fixture
def actors(team: dict[str, UserPublic]) -> dict[str, Actor]:
    return {name: Actor.user(user.id) for name, user in team.items()}


@pytest.fixture
def records(session: Session, review: ReviewPublic, actors: dict[str, Actor]) -> list[int]:
    """Five records: 0 and 1 passed title/abstract, 2 unscreened, 3 excluded, 4 a duplicate of 0."""
    ids = import_titles(session, review.id, 5)
    for record_id, vote in ((ids[0], "include"), (ids[1], "include"), (ids[3], "exclude")):
        resolve(
            session,
            actor=actors["lena"],
            review_id=review.id,
            record_id=record_id,
            stage=TA,
            vote=vote,
        )
    mark_duplicate(session, review.id, primary=ids[0], secondary=ids[4])
    return ids


def attach(
    session: Session,
    review: ReviewPublic,
    actor: Actor,
    record_id: int,
    files_dir: Path,
    data: bytes = PDF_A,
    file_name: str = "vicknasingam-2020.pdf",
) -> FullTextView:
    return attach_pdf(
        session,
        actor=actor,
        review_id=review.id,
        record_id=record_id,
        data=data,
        file_name=file_name,
        files_dir=files_dir,
        max_bytes=MAX_BYTES,
    )


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def events(session: Session, review_id: int, prefix: str = "fulltext.") -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.review_id == review_id, col(AuditEvent.action).startswith(prefix))
            .order_by(col(AuditEvent.id))
        )
    )


def row(session: Session, record_id: int) -> FullText | None:
    return session.exec(select(FullText).where(FullText.record_id == record_id)).first()


def test_a_pdf_is_stored_on_disk_and_the_row_keeps_its_path(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    tmp_path: Path,
) -> None:
    view = attach(session, review, actors["rita"], records[0], tmp_path)
    digest = hashlib.sha256(PDF_A).hexdigest()
    relative = f"review-{review.id}/record-{records[0]}/{digest}.pdf"
    assert files_under(tmp_path) == [tmp_path / relative]  # no temporary file left behind
    stored = row(session, records[0])
    assert stored is not None
    assert (stored.file_path, stored.file_name, stored.sha256) == (
        relative,
        "vicknasingam-2020.pdf",
        digest,
    )
    assert view == get_fulltext(
        session, actor=actors["raj"], review_id=review.id, record_id=records[0]
    )
    assert view.status == "retrieved" and view.has_pdf and view.updated_by == "rita"
    data = read_pdf(
        session, actor=actors["raj"], review_id=review.id, record_id=records[0], files_dir=tmp_path
    )
    assert data == PDF_A
    [event] = events(session, review.id)
    assert (event.action, event.entity_id, event.before) == ("fulltext.attach_pdf", stored.id, None)
    assert event.after is not None and event.after["sha256"] == digest


def test_a_replaced_pdf_stays_on_disk_and_the_row_points_at_the_new_one(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    tmp_path: Path,
) -> None:
    attach(session, review, actors["rita"], records[0], tmp_path, PDF_A)
    attach(session, review, actors["raj"], records[0], tmp_path, PDF_B, "corrected.pdf")
    old, new = (hashlib.sha256(d).hexdigest() for d in (PDF_A, PDF_B))
    assert {p.name for p in files_under(tmp_path)} == {f"{old}.pdf", f"{new}.pdf"}
    read = read_pdf(
        session, actor=actors["lena"], review_id=review.id, record_id=records[0], files_dir=tmp_path
    )
    assert read == PDF_B
    replaced = events(session, review.id)[-1]
    assert replaced.before is not None and replaced.after is not None
    assert (replaced.before["sha256"], replaced.after["sha256"]) == (old, new)
    assert (replaced.before["file_name"], replaced.after["file_name"]) == (
        "vicknasingam-2020.pdf",
        "corrected.pdf",
    )


def test_the_same_pdf_twice_is_one_file_and_one_event(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    tmp_path: Path,
) -> None:
    for _ in range(2):
        attach(session, review, actors["rita"], records[0], tmp_path)
    assert len(files_under(tmp_path)) == 1
    assert len(events(session, review.id)) == 1


def test_uploaded_names_lose_their_folders(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    tmp_path: Path,
) -> None:
    for name in ("C:\\Users\\rita\\Downloads\\paper.pdf", "../../paper.pdf", " paper.pdf "):
        view = attach(session, review, actors["rita"], records[0], tmp_path, file_name=name)
        assert view.file_name == "paper.pdf"
    assert files_under(tmp_path)[0].is_relative_to(tmp_path / f"review-{review.id}")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"PK\x03\x04 a word file", "paper.docx", r"paper\.docx: not a PDF .*%PDF-"),
        (b"", "empty.pdf", r"empty\.pdf: not a PDF"),
        (
            b"%PDF-" + b"x" * MAX_BYTES,
            "huge.pdf",
            r"huge\.pdf: 10,005 bytes is larger than the limit of 10,000 bytes",
        ),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    tmp_path: Path,
    data: bytes,
    name: str,
    message: str,
) -> None:
    with pytest.raises(ValidationError, match=message):
        attach(session, review, actors["rita"], records[0], tmp_path, data, name)
    assert files_under(tmp_path) == []
    assert row(session, records[0]) is None and events(session, review.id) == []


def test_a_pdf_of_exactly_the_limit_is_accepted_and_megabytes_are_named(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    tmp_path: Path,
) -> None:
    exact = b"%PDF-" + b"x" * (MAX_BYTES - 5)
    assert attach(session, review, actors["rita"], records[0], tmp_path, exact) is not None
    with pytest.raises(ValidationError, match=r"big\.pdf: 3\.0 MB .* limit of 2\.0 MB"):
        attach_pdf(
            session,
            actor=actors["rita"],
            review_id=review.id,
            record_id=records[1],
            data=b"%PDF-" + b"x" * (3 * 1024 * 1024 - 5),
            file_name="big.pdf",
            files_dir=tmp_path,
            max_bytes=2 * 1024 * 1024,
        )


def test_a_failed_write_leaves_no_file_and_no_row(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attach(session, review, actors["rita"], records[0], tmp_path, PDF_A)
    before = files_under(tmp_path)

    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(ConfigError, match=r"corrected\.pdf: cannot store it .*No space left"):
        attach(session, review, actors["rita"], records[0], tmp_path, PDF_B, "corrected.pdf")
    assert files_under(tmp_path) == before  # the temporary file is gone too
    stored = row(session, records[0])
    assert stored is not None and stored.sha256 == hashlib.sha256(PDF_A).hexdigest()
    assert len(events(session, review.id)) == 1


def test_a_files_folder_that_is_a_file_is_a_clear_error(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    tmp_path: Path,
) -> None:
    not_a_folder = tmp_path / "files"
    not_a_folder.write_text("oops")
    with pytest.raises(ConfigError, match="REVIEW_APP_FILES_DIR"):
        attach(session, review, actors["rita"], records[0], not_a_folder)
    assert row(session, records[0]) is None and events(session, review.id) == []


def test_only_records_past_title_abstract_get_a_full_text(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    tmp_path: Path,
) -> None:
    rita = actors["rita"]
    cases = {
        # blind: a reviewer learns no outcome until a lead passes the record on
        records[2]: "has not been passed on to full text by a lead yet",
        records[3]: "has not passed title/abstract screening \\(it is excluded\\)",
        records[4]: "is a duplicate",
    }
    for record_id, message in cases.items():
        calls = (
            lambda rid=record_id: attach(session, review, rita, rid, tmp_path),
            lambda rid=record_id: set_link(
                session, actor=rita, review_id=review.id, record_id=rid, url="https://doi.org/x"
            ),
            lambda rid=record_id: mark_not_retrieved(
                session, actor=rita, review_id=review.id, record_id=rid, note="no access"
            ),
        )
        for call in calls:
            with pytest.raises(ValidationError, match=f"record {record_id} {message}"):
                call()
    assert files_under(tmp_path) == [] and events(session, review.id) == []


def test_records_of_another_review_are_not_found(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    tmp_path: Path,
) -> None:
    other = create_review(session, protocol_path=KRATOM_PROTOCOL, name="other")
    [foreign] = import_titles(session, other.id, 1, prefix="Other")
    lena = actors["lena"]
    calls = (
        lambda: attach(session, review, lena, foreign, tmp_path),
        lambda: set_link(
            session, actor=lena, review_id=review.id, record_id=foreign, url="https://a.org"
        ),
        lambda: mark_not_retrieved(
            session, actor=lena, review_id=review.id, record_id=foreign, note="n/a"
        ),
        lambda: mark_retrieved(session, actor=lena, review_id=review.id, record_id=foreign),
        lambda: get_fulltext(session, actor=lena, review_id=review.id, record_id=foreign),
        lambda: read_pdf(
            session, actor=lena, review_id=review.id, record_id=foreign, files_dir=tmp_path
        ),
    )
    for call in calls:
        with pytest.raises(NotFoundError, match=f"no record {foreign} in review {review.id}"):
            call()


def test_strangers_cannot_touch_full_texts(
    session: Session, review: ReviewPublic, records: list[int], tmp_path: Path
) -> None:
    stranger = Actor.user(create_user(session, name="eve", password="long password").id)
    calls = (
        lambda: attach(session, review, stranger, records[0], tmp_path),
        lambda: get_fulltext(session, actor=stranger, review_id=review.id, record_id=records[0]),
        lambda: list_fulltexts(session, actor=stranger, review_id=review.id),
    )
    for call in calls:
        with pytest.raises(PermissionDeniedError):
            call()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/paper.pdf",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "doi.org/10.1000/xyz",
        "https://",
        "https://exa mple.org/paper",
        "http://[::1",
        "",
    ],
)
def test_links_must_be_http_or_https(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor], url: str
) -> None:
    with pytest.raises(ValidationError, match="allowed are http:// and https://"):
        set_link(session, actor=actors["rita"], review_id=review.id, record_id=records[0], url=url)
    assert row(session, records[0]) is None


def test_a_link_is_recorded_and_audited(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    url = "  https://doi.org/10.1016/j.jsat.2020.01.001 "
    view = set_link(
        session, actor=actors["rita"], review_id=review.id, record_id=records[0], url=url
    )
    assert (view.url, view.status, view.has_pdf) == (url.strip(), "retrieved", False)
    set_link(
        session, actor=actors["raj"], review_id=review.id, record_id=records[0], url="HTTP://a.org"
    )
    first, second = events(session, review.id)
    assert first.action == second.action == "fulltext.set_link"
    assert second.before is not None and second.before["url"] == url.strip()
    assert second.after is not None and second.after["url"] == "HTTP://a.org"


def test_not_retrieved_is_counted_leaves_screening_and_can_be_undone(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    tmp_path: Path,
) -> None:
    rita, lena = actors["rita"], actors["lena"]
    attach(session, review, rita, records[0], tmp_path)
    view = mark_not_retrieved(
        session, actor=rita, review_id=review.id, record_id=records[0], note=" wrong paper "
    )
    assert (view.status, view.note, view.is_retrieved, view.has_pdf) == (
        "not_retrieved",
        "wrong paper",
        False,
        True,  # the PDF stays recorded, so undoing restores it
    )
    assert review_progress(session, actor=lena, review_id=review.id).full_texts_not_retrieved == 1
    with pytest.raises(ValidationError, match="full text was not retrieved"):
        record_vote(
            session, actor=rita, review_id=review.id, record_id=records[0], stage=FT, vote="include"
        )
    restored = mark_retrieved(session, actor=rita, review_id=review.id, record_id=records[0])
    assert (restored.status, restored.note, restored.has_pdf) == ("retrieved", None, True)
    record_vote(
        session, actor=rita, review_id=review.id, record_id=records[0], stage=FT, vote="include"
    )
    actions = [e.action for e in events(session, review.id)]
    assert actions == ["fulltext.attach_pdf", "fulltext.not_retrieved", "fulltext.retrieved"]
    undo = events(session, review.id)[-1]
    assert undo.before is not None and undo.after is not None
    assert (undo.before["status"], undo.after["status"]) == ("not_retrieved", "retrieved")


def test_not_retrieved_needs_a_reason_and_undo_needs_something_to_undo(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    rita = actors["rita"]
    with pytest.raises(ValidationError, match="say why"):
        mark_not_retrieved(session, actor=rita, review_id=review.id, record_id=records[1], note=" ")
    with pytest.raises(ValidationError, match="nothing to undo"):
        mark_retrieved(session, actor=rita, review_id=review.id, record_id=records[1])
    assert row(session, records[1]) is None and events(session, review.id) == []


def test_reading_a_pdf_that_is_absent_missing_or_altered(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    actors: dict[str, Actor],
    tmp_path: Path,
) -> None:
    rita = actors["rita"]

    def read() -> bytes:
        return read_pdf(
            session, actor=rita, review_id=review.id, record_id=records[0], files_dir=tmp_path
        )

    with pytest.raises(NotFoundError, match="has no PDF"):
        read()
    attach(session, review, rita, records[0], tmp_path)
    [path] = files_under(tmp_path)
    path.write_bytes(PDF_B)
    with pytest.raises(ConflictError, match="does not match the checksum"):
        read()
    path.unlink()
    with pytest.raises(NotFoundError, match=r"vicknasingam-2020\.pdf is missing"):
        read()
    # Uploading it again puts the file back even though the row already points at it.
    attach(session, review, rita, records[0], tmp_path)
    assert read() == PDF_A


def test_list_shows_this_reviews_full_texts_to_any_member(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    team: dict[str, UserPublic],
    actors: dict[str, Actor],
    tmp_path: Path,
) -> None:
    other = create_review(session, protocol_path=KRATOM_PROTOCOL, name="other")
    [foreign] = import_titles(session, other.id, 1, prefix="Other")
    lena, team_lead = actors["lena"], team["lena"]
    add_member(
        session, actor=Actor.operator(), review_id=other.id, user_id=team_lead.id, role="lead"
    )
    resolve(session, actor=lena, review_id=other.id, record_id=foreign, stage=TA, vote="include")
    set_link(session, actor=lena, review_id=other.id, record_id=foreign, url="https://a.org")
    attach(session, review, actors["rita"], records[1], tmp_path)
    mark_not_retrieved(
        session, actor=actors["raj"], review_id=review.id, record_id=records[0], note="paywall"
    )
    listed = list_fulltexts(session, actor=actors["raj"], review_id=review.id)
    assert [(v.record_id, v.status, v.updated_by) for v in listed] == [
        (records[0], "not_retrieved", "raj"),
        (records[1], "retrieved", "rita"),
    ]
    [elsewhere] = list_fulltexts(session, actor=lena, review_id=other.id)
    assert elsewhere.record_id == foreign


def test_two_uploads_at_once_leave_one_row_and_no_stray_file(
    committed_engine: Engine, tmp_path: Path
) -> None:
    """SQLite queues the writers (the second replaces the first); PostgreSQL may refuse the
    second first-time row with a ConflictError, and then its file is removed again."""
    review_id, people, records = _committed_review(committed_engine)
    for record_id in records:
        outcomes: dict[str, ConflictError | None] = {}
        uploads = [
            _upload(committed_engine, review_id, record_id, people[name], name, tmp_path, outcomes)
            for name in people
        ]
        assert at_once(*uploads) == []
        assert list(outcomes.values()).count(None) >= 1
        folder = tmp_path / f"review-{review_id}" / f"record-{record_id}"
        on_disk = {p.name for p in folder.iterdir()}
        for name, error in outcomes.items():
            assert (f"{_sha(_pdf_from(name))}.pdf" in on_disk) is (error is None)
        with session_scope(committed_engine) as session:
            stored = session.exec(select(FullText).where(FullText.record_id == record_id)).one()
            assert stored.file_path is not None and (tmp_path / stored.file_path).is_file()


def _pdf_from(name: str) -> bytes:
    return b"%PDF-1.7\n% uploaded by " + name.encode()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _upload(
    engine: Engine,
    review_id: int,
    record_id: int,
    user_id: int,
    name: str,
    files_dir: Path,
    outcomes: dict[str, ConflictError | None],
) -> Callable[[], None]:
    """One person's upload in its own unit of work; its outcome lands in ``outcomes``."""

    def call() -> None:
        try:
            with session_scope(engine) as session:
                attach_pdf(
                    session,
                    actor=Actor.user(user_id),
                    review_id=review_id,
                    record_id=record_id,
                    data=_pdf_from(name),
                    file_name=f"{name}.pdf",
                    files_dir=files_dir,
                    max_bytes=MAX_BYTES,
                )
            outcomes[name] = None
        except ConflictError as error:
            outcomes[name] = error

    return call


def _committed_review(engine: Engine) -> tuple[int, dict[str, int], list[int]]:
    """A committed review with two reviewers (returned) and records a lead passed at TA."""
    with session_scope(engine) as session:
        review = create_review(session, protocol_path=KRATOM_PROTOCOL, name="uploads")
        people = {}
        for name, role in (("lena", "lead"), ("ana", "reviewer"), ("ben", "reviewer")):
            user = create_user(session, name=name, password="long password")
            add_member(
                session, actor=Actor.operator(), review_id=review.id, user_id=user.id, role=role
            )
            people[name] = user.id
        lead = Actor.user(people.pop("lena"))
        records = import_titles(session, review.id, 5)
        for record_id in records:
            resolve(
                session,
                actor=lead,
                review_id=review.id,
                record_id=record_id,
                stage=TA,
                vote="include",
            )
    return review.id, people, records
