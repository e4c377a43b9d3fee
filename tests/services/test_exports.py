"""Exports for leads: included studies (RIS/CSV/XLSX), every record with its votes and status
(CSV/XLSX), the audit log (CSV); formulas in cells are neutralised."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from datetime import datetime
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from review_app.domain.vocabulary import Role, Stage
from review_app.errors import NotFoundError, PermissionDeniedError, ValidationError
from review_app.importers import read_bytes
from review_app.models import Record
from review_app.services import (
    conflicts,
    deduplication,
    imports,
    releases,
    screening,
    studies,
)
from review_app.services.audit import record_event
from review_app.services.exports import EXPORTS, get_export
from review_app.services.exports.decisions import export_decisions
from review_app.services.exports.tables import (
    COMMAND_LINE,
    export_audit,
    export_included,
    export_statuses,
)
from review_app.services.permissions import Actor
from review_app.services.reviews import ReviewPublic, set_blind
from review_app.services.users import UserPublic

OPERATOR = Actor.operator()
FORMULA = '=HYPERLINK("http://evil.example","click")'
TITLES = [
    f"{FORMULA} kratom for neuropathy",
    "Mitragynine for sciatica: a randomised trial",
    "Kratom and diabetic neuropathy: one-year follow-up",
    "Kratom use in Malaysia: a survey",
]


def ris(titles: list[str]) -> bytes:
    return "".join(
        f"TY  - JOUR\nTI  - {t}\nAU  - Smith, J\nPY  - 2020\nDO  - 10.1000/k.{i}\nER  - \n\n"
        for i, t in enumerate(titles)
    ).encode()


@pytest.fixture
def screened(session: Session, review: ReviewPublic, team: dict[str, UserPublic]) -> list[int]:
    """Four records in PubMed, the first again in Embase (a duplicate); records 0-2 included at
    full text (0 and 2 as "Smith 2020", 1 unlinked), record 3 excluded at title/abstract."""
    for source, titles in (("PubMed", TITLES), ("Embase", TITLES[:1])):
        imports.import_file(
            session,
            actor=OPERATOR,
            review_id=review.id,
            data=ris(titles),
            file_name=f"{source}.ris",
            source_name=source,
        )
    deduplication.run_automatic_pass(session, actor=OPERATOR, review_id=review.id)
    ids = [
        session.exec(select(Record.id).where(Record.title == t).order_by(Record.id)).first()  # type: ignore[arg-type]
        for t in TITLES
    ]
    assert all(ids)
    record_ids: list[int] = [i for i in ids if i is not None]
    for i, rid in enumerate(record_ids):
        for who in ("rita", "raj"):
            vote = "exclude" if i == 3 else "include"
            _vote(session, review, team[who], rid, "title_abstract", vote)
    releases.release_outcomes(
        session, actor=Actor.user(team["lena"].id), review_id=review.id, stage="title_abstract"
    )
    for rid in record_ids[:3]:
        for who in ("rita", "raj"):
            _vote(session, review, team[who], rid, "full_text", "include")
    studies.create_study(
        session,
        actor=OPERATOR,
        review_id=review.id,
        label="Smith 2020",
        record_ids=[record_ids[2], record_ids[0]],
    )
    return record_ids


def _vote(
    session: Session, review: ReviewPublic, who: UserPublic, rid: int, stage: str, vote: str
) -> None:
    screening.record_vote(
        session,
        actor=Actor.user(who.id),
        review_id=review.id,
        record_id=rid,
        stage=stage,
        vote=vote,
        reason="wrong_design" if vote == "exclude" else None,
    )


def rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def sheet(data: bytes) -> list[list[object]]:
    workbook = load_workbook(io.BytesIO(data))
    (only,) = workbook.worksheets
    for row in only.iter_rows():
        assert all(cell.data_type != "f" for cell in row)  # no formula anywhere
    return [[cell.value for cell in row] for row in only.iter_rows()]


def test_included_studies_as_ris_with_the_study_label(
    session: Session, review: ReviewPublic, screened: list[int]
) -> None:
    text = export_included(session, actor=OPERATOR, review_id=review.id, format="ris").decode()
    back = read_bytes(text.encode(), filename="included.ris").records
    assert [r.title for r in back] == [TITLES[2], TITLES[0], TITLES[1]]  # main report first
    assert [r.raw.get("LB") for r in back] == ["Smith 2020", "Smith 2020", None]


def test_included_studies_as_csv_and_xlsx(
    session: Session, review: ReviewPublic, screened: list[int]
) -> None:
    table = rows(export_included(session, actor=OPERATOR, review_id=review.id, format="csv"))
    header, *body = table
    assert header[:6] == [
        "study",
        "study_id",
        "is_main_report",
        "record_id",
        "source_record_id",
        "title",
    ]
    assert [(r[0], r[2], int(r[3])) for r in body] == [
        ("Smith 2020", "yes", screened[2]),
        ("Smith 2020", "", screened[0]),
        ("", "", screened[1]),
    ]
    assert body[1][5] == "'" + TITLES[0]  # shown as text, never run
    reread = read_bytes(
        export_included(session, actor=OPERATOR, review_id=review.id, format="csv"),
        filename="included.csv",
    ).records
    assert [r.doi for r in reread] == ["10.1000/k.2", "10.1000/k.0", "10.1000/k.1"]
    cells = sheet(export_included(session, actor=OPERATOR, review_id=review.id, format="xlsx"))
    assert cells[0] == header and cells[2][5] == "'" + TITLES[0]
    assert cells[1][3] == screened[2]  # a number stays a number


def test_every_record_with_its_votes_stage_and_final_status(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic], screened: list[int]
) -> None:
    header, *body = rows(
        export_statuses(session, actor=OPERATOR, review_id=review.id, format="csv")
    )
    assert header[:12] == [
        "record_id",
        "source",
        "source_kind",
        "import_batch_id",
        "source_record_id",
        "title",
        "year",
        "doi",
        "pmid",
        "duplicate_of",
        "stage",
        "full_text",
    ]
    assert "title_abstract:rita" in header and "full_text:raj:reason" in header
    assert header[-1] == "final_status"
    by_id = {int(r[0]): dict(zip(header, r, strict=True)) for r in body}
    assert len(by_id) == 5  # the Embase copy too
    (copy,) = [r for r in by_id.values() if r["source"] == "Embase"]
    assert copy["stage"] == "duplicate" and copy["duplicate_of"] == str(screened[0])
    assert copy["final_status"] == f"duplicate of record {screened[0]}"
    first, excluded = by_id[screened[0]], by_id[screened[3]]
    assert first["title"] == "'" + TITLES[0]
    assert (first["stage"], first["final_status"], first["full_text:rita"]) == (
        "included",
        "included",
        "include",
    )
    assert (excluded["stage"], excluded["title_abstract:raj:reason"]) == (
        "title_abstract",
        "wrong_design",
    )
    assert excluded["final_status"] == "excluded at title/abstract"
    cells = sheet(export_statuses(session, actor=OPERATOR, review_id=review.id, format="xlsx"))
    assert cells[0] == header and len(cells) == 6
    assert "'" + TITLES[0] in cells[1]


def test_the_audit_log_as_csv_with_json_before_and_after(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic], screened: list[int]
) -> None:
    lena = Actor.user(team["lena"].id)
    conflicts.resolve(
        session,
        actor=lena,
        review_id=review.id,
        record_id=screened[3],
        stage="title_abstract",
        vote="exclude",
        note="+1 agreed",
    )
    record_event(
        session,
        review_id=review.id,
        user_id=None,
        action="@import.note",
        entity="review",
        entity_id=review.id,
        after={"note": "-2 é"},
    )
    header, *body = rows(export_audit(session, actor=lena, review_id=review.id))
    assert header == ["at", "user", "action", "entity", "entity_id", "before", "after"]
    times = [datetime.fromisoformat(r[0]) for r in body]
    assert times == sorted(times) and all(t.utcoffset() is not None for t in times)
    assert body[0][1:3] == [COMMAND_LINE, "review.create"]
    votes = [r for r in body if r[2] == "vote.create"]
    assert {r[1] for r in votes} == {"rita", "raj"}
    resolution = next(r for r in body if r[2] == "resolution.create")
    assert resolution[1] == "lena" and json.loads(resolution[6])["note"] == "+1 agreed"
    assert body[-1][2] == "'@import.note" and json.loads(body[-1][6]) == {"note": "-2 é"}


def test_exports_are_for_leads_and_check_the_format(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    rita = Actor.user(team["rita"].id)
    for export in (
        lambda: export_included(session, actor=rita, review_id=review.id, format="ris"),
        lambda: export_statuses(session, actor=rita, review_id=review.id, format="csv"),
        lambda: export_audit(session, actor=rita, review_id=review.id),
    ):
        with pytest.raises(PermissionDeniedError, match="lead"):
            export()
    with pytest.raises(ValidationError, match="allowed are ris, csv, xlsx"):
        export_included(session, actor=OPERATOR, review_id=review.id, format="bib")
    with pytest.raises(ValidationError, match="allowed are csv, xlsx"):
        export_statuses(session, actor=OPERATOR, review_id=review.id, format="ris")
    assert (
        rows(export_included(session, actor=OPERATOR, review_id=review.id, format="csv"))[1:] == []
    )


# --- the registry -------------------------------------------------------------------------------


# A plot needs assessed studies or a saved analysis (without them it is refused in words): their
# roles and formats are tested with data in tests/services/test_appraisal_files.py and
# tests/services/test_exports_analyses.py. The Summary-of-Findings table is every member's once a
# lead publishes it (its own rule, not the blinding's): tests/services/test_exports_sof.py.
NEEDS_DATA = ("rob-plot", "analysis-plot", "sof")


@pytest.mark.parametrize("name", [name for name in EXPORTS if name not in NEEDS_DATA])
def test_every_export_of_the_registry_keeps_its_role_and_formats(
    session: Session,
    review: ReviewPublic,
    team: dict[str, UserPublic],
    screened: list[int],
    name: str,
) -> None:
    """A lead gets every format (the files the registry names); a reviewer is refused while the
    review is blind, and after unblinding only where the registry says so (the PRISMA diagram);
    the function checks the format itself."""
    export = EXPORTS[name]
    lead, rita = Actor.user(team["lena"].id), Actor.user(team["rita"].id)
    assert review.is_blind and export.role is Role.LEAD
    for format in export.formats:
        files = export.make(session, actor=lead, review_id=review.id, format=format)
        assert [file.suffix for file in files] == list(export.suffixes(format))
        assert all(file.data for file in files)
        with pytest.raises(PermissionDeniedError):
            export.make(session, actor=rita, review_id=review.id, format=format)
    with pytest.raises(ValidationError, match="format 'docx': allowed are"):
        export.make(session, actor=lead, review_id=review.id, format="docx")
    set_blind(session, actor=lead, review_id=review.id, blind=False)
    format = export.formats[0]
    if export.role_unblinded is Role.REVIEWER:
        assert export.make(session, actor=rita, review_id=review.id, format=format)
    else:
        assert export.role_unblinded is None
        with pytest.raises(PermissionDeniedError):
            export.make(session, actor=rita, review_id=review.id, format=format)


def test_the_records_export_takes_its_stage_option(
    session: Session, review: ReviewPublic, screened: list[int]
) -> None:
    export = EXPORTS["records"]
    (stage,) = export.options
    assert stage.name == "stage" and stage.default == "all" and Stage.FULL_TEXT in stage.choices
    included = export.make(
        session, actor=OPERATOR, review_id=review.id, format="ris", stage="included"
    )
    everything = export.make(session, actor=OPERATOR, review_id=review.id, format="ris")
    assert included[0].data.count(b"ER  - ") == 3 and everything[0].data.count(b"ER  - ") == 5


def test_a_workbook_is_the_same_bytes_whenever_it_is_made(
    session: Session, review: ReviewPublic, screened: list[int]
) -> None:
    """No clock in an XLSX (docProps dates, zip entry times): the web app's download and the
    command line's file of the same data are equal."""
    made = [
        EXPORTS["decisions"].make(session, actor=OPERATOR, review_id=review.id, format="xlsx")
        for _ in range(2)
    ]
    time.sleep(2.1)  # a zip entry's time has a resolution of two seconds
    made.append(
        EXPORTS["decisions"].make(session, actor=OPERATOR, review_id=review.id, format="xlsx")
    )
    assert made[0] == made[1] == made[2]
    with zipfile.ZipFile(io.BytesIO(made[0][0].data)) as archive:
        core = ElementTree.fromstring(archive.read("docProps/core.xml"))
        assert {entry.date_time for entry in archive.infolist()} == {(2000, 1, 1, 0, 0, 0)}
    # Parsed, not matched as text: openpyxl writes the XML with lxml when it is installed
    # (python-docx brings it), which orders the namespace declarations differently.
    modified = core.find("{http://purl.org/dc/terms/}modified")
    assert modified is not None and modified.text == "2000-01-01T00:00:00Z"


def test_an_unknown_export_is_named_with_the_ones_there_are() -> None:
    with pytest.raises(
        NotFoundError, match="export 'appraisal': there is none; the exports are records"
    ):
        get_export("appraisal")


def test_the_decisions_export_has_notes_resolvers_and_reason_labels(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic], screened: list[int]
) -> None:
    """Beside each vote its note and reason in words (the code keeps its column), and beside
    each resolution its reason, note and the lead who resolved it."""
    record = screened[1]
    screening.record_vote(
        session, actor=Actor.user(team["rita"].id), review_id=review.id, record_id=record,
        stage="full_text", vote="include", note="methods checked twice",
    )  # fmt: skip
    conflicts.resolve(
        session, actor=Actor.user(team["lena"].id), review_id=review.id, record_id=record,
        stage="full_text", vote="exclude", reason="wrong_population", note="no neuropathic data",
    )  # fmt: skip
    files = export_decisions(session, actor=OPERATOR, review_id=review.id, format="csv")
    header, *body = csv.reader(io.StringIO(files["decisions"].decode()))
    by_id = {int(r[0]): dict(zip(header, r, strict=True)) for r in body}
    at = header.index("title_abstract:raj:reason")
    assert header[at : at + 3] == [
        "title_abstract:raj:reason",
        "title_abstract:raj:reason_label",
        "title_abstract:raj:note",
    ]
    excluded = by_id[screened[3]]
    assert excluded["title_abstract:raj:reason"] == "wrong_design"
    assert excluded["title_abstract:raj:reason_label"].startswith("Wrong study design")
    resolved = by_id[record]
    assert resolved["full_text:rita:note"] == "methods checked twice"
    assert resolved["full_text:resolution"].startswith("exclude")
    assert resolved["full_text:resolved_by"] == "lena"
    assert resolved["full_text:resolution_reason"] == "wrong_population"
    assert resolved["full_text:resolution_reason_label"].startswith("Wrong population")
    assert resolved["full_text:resolution_note"] == "no neuropathic data"
    assert header[-2:] == ["final_status", "comments"]
