"""Backup of one review into one file and restore into an empty database, across SQLite and
PostgreSQL: every table's rows come back equal (ids, aware datetimes, JSON, booleans, PDFs)."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, select, text
from sqlmodel import Session, SQLModel, col

from review_app.db import make_engine, session_scope
from review_app.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from review_app.models import (
    Appraisal,
    AppraisalDomain,
    AppraisalSlot,
    DuplicateCluster,
    Extraction,
    ExtractionArm,
    ExtractionResult,
    ExtractionValue,
    FullText,
    GradeAssessment,
    ImportBatch,
    Record,
    SavedAnalysis,
    SofPublication,
    Study,
    User,
)
from review_app.services import (
    conflicts,
    deduplication,
    fulltext,
    imports,
    releases,
    reviews,
    screening,
    studies,
)
from review_app.services.backup import backup_review, restore_review
from review_app.services.permissions import Actor
from review_app.services.users import create_user
from tests.conftest import KRATOM_PROTOCOL, shared_data
from tests.database_templates import migrated_postgres_schema, migrated_sqlite

OPERATOR = Actor.operator()
PDF_A = b"%PDF-1.7\n% first version\n%%EOF\n"
PDF_B = b"%PDF-1.7\n% corrected version\n%%EOF\n"
WHEN = datetime(2024, 5, 17, 8, 30, 12, 345678, tzinfo=UTC)
NotReviewData = ("loginthrottle", "loginsession")


@pytest.fixture
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], Engine]]:
    """Migrated empty databases of either kind, each its own (PostgreSQL: its own schema), copied
    from the process's migrated template (tests/database_templates.py)."""
    with ExitStack() as stack:

        def make(kind: str) -> Engine:
            if kind == "sqlite":
                engine = make_engine(migrated_sqlite(tmp_path / f"{uuid.uuid4().hex}.db"))
            else:
                server = make_engine(request.getfixturevalue("postgres_url"))
                schema = f"b_{uuid.uuid4().hex[:10]}"
                stack.callback(server.dispose)
                stack.callback(_drop_schema, server, schema)
                engine = make_engine(migrated_postgres_schema(server, schema))
            stack.callback(engine.dispose)
            return engine

        yield make


def _drop_schema(server: Engine, schema: str) -> None:
    with server.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def ris(papers: list[int], *, variant: bool = False) -> bytes:
    out = []
    for p in papers:
        title = f"Kratom trial number {p} in painful neuropathy, ünïcode"
        if variant:
            out.append(
                f"TY  - JOUR\nTI  - {title} (abstract)\nAU  - Smith, J\nPY  - 2020\nER  - \n"
            )
        else:
            out.append(
                f"TY  - JOUR\nTI  - {title}\nAU  - Smith, J\nPY  - 2020\nJO  - Pain\nVL  - {p}\n"
                f"SP  - {p}1\nEP  - {p}9\nDO  - 10.1000/b.{p}\nER  - \n"
            )
    return "\n".join(out).encode()


def populate(session: Session, files_dir: Path) -> int:
    """A review with something in every table, plus a second review that must stay behind."""
    review = reviews.create_review(session, protocol_path=KRATOM_PROTOCOL, name="kratom")
    other = reviews.create_review(session, protocol_path=KRATOM_PROTOCOL, name="other")
    people = {}
    for name, role in (("lena", "lead"), ("rita", "reviewer"), ("raj", "reviewer")):
        people[name] = create_user(session, name=name, password=f"{name}-password")
        reviews.add_member(
            session, actor=OPERATOR, review_id=review.id, user_id=people[name].id, role=role
        )
    olga = create_user(session, name="olga", password="olga-password")
    reviews.add_member(session, actor=OPERATOR, review_id=other.id, user_id=olga.id, role="lead")
    retired = session.get(User, people["raj"].id)
    assert retired is not None
    retired.is_active = False
    rid = review.id
    for source, papers, variant in (("PubMed", [0, 1, 2, 3], False), ("Embase", [0, 1], False)):
        imports.import_file(
            session,
            actor=OPERATOR,
            review_id=rid,
            data=ris(papers, variant=variant),
            file_name=f"{source}.ris",
            source_name=source,
            date_searched=date(2024, 5, 1),
        )
    imports.import_file(
        session,
        actor=OPERATOR,
        review_id=rid,
        data=ris([2], variant=True),
        file_name="abstracts.ris",
        source_name="Conference abstracts",
        source_kind="other",
    )
    imports.import_file(
        session,
        actor=OPERATOR,
        review_id=other.id,
        data=ris([5]),
        file_name="other.ris",
        source_name="PubMed",
    )
    deduplication.run_automatic_pass(session, actor=OPERATOR, review_id=rid)
    deduplication.run_automatic_pass(session, actor=OPERATOR, review_id=other.id)
    cluster = session.execute(
        select(col(DuplicateCluster.id)).where(col(DuplicateCluster.review_id) == rid)
    ).scalar()
    assert cluster is not None
    deduplication.undo_merge(session, actor=OPERATOR, review_id=rid, cluster_id=cluster)
    deduplication.run_automatic_pass(session, actor=OPERATOR, review_id=rid)
    ids = sorted(
        session.execute(select(col(Record.id)).where(col(Record.review_id) == rid)).scalars()
    )
    lena, rita, raj = (Actor.user(people[n].id) for n in ("lena", "rita", "raj"))
    ta, ft = "title_abstract", "full_text"
    for record_id in ids[:3]:
        for actor in (rita, raj):
            screening.record_vote(
                session, actor=actor, review_id=rid, record_id=record_id, stage=ta, vote="include"
            )
    screening.record_vote(
        session,
        actor=rita,
        review_id=rid,
        record_id=ids[3],
        stage=ta,
        vote="exclude",
        reason="wrong_design",
        note="=1+1 not a formula",
        tags=["rct?", "ünï"],
    )
    conflicts.resolve(
        session,
        actor=lena,
        review_id=rid,
        record_id=ids[3],
        stage=ta,
        vote="exclude",
        reason="wrong_design",
    )
    for data in (PDF_A, PDF_B):  # the first PDF stays on disk after the second replaces it
        fulltext.attach_pdf(
            session,
            actor=lena,
            review_id=rid,
            record_id=ids[0],
            data=data,
            file_name="Smith 2020.pdf",
            files_dir=files_dir,
            max_bytes=10_000,
        )
    fulltext.mark_not_retrieved(
        session, actor=lena, review_id=rid, record_id=ids[1], note="not held"
    )
    releases.release_outcomes(session, actor=lena, review_id=rid, stage=ta)  # on to full text
    for actor in (rita, raj):
        screening.record_vote(
            session, actor=actor, review_id=rid, record_id=ids[0], stage=ft, vote="include"
        )
    view = studies.create_study(
        session, actor=lena, review_id=rid, label="Smith 2020", record_ids=[ids[0]], design="RCT"
    )
    reviews.set_blind(session, actor=lena, review_id=rid, blind=False)
    copy = Extraction(
        study_id=view.id,
        slot=1,
        extractor_id=people["rita"].id,
        status="complete",
        design_kind="cluster",
        mean_cluster_size=12.5,
        icc=0.02,
        design_note="ünïcode",
        created_at=WHEN,
        updated_at=WHEN,
        updated_by_id=people["rita"].id,
    )
    session.add(copy)
    session.flush()
    assert copy.id is not None
    session.add_all(
        [
            ExtractionValue(extraction_id=copy.id, field_id="country", value="Malaysia"),
            ExtractionArm(
                extraction_id=copy.id,
                position=0,
                label="Kratom",
                role="intervention",
                randomised=40,
            ),
            ExtractionResult(
                extraction_id=copy.id,
                position=0,
                result_key="0" * 64,
                outcome_id="pain",
                timepoint="12 weeks",
                arm="Kratom",
                format="mean_sd",
                values={"n": 40, "mean": 0.1 + 0.2, "sd": 1e-300},
                note="ünïcode",
            ),
            AppraisalSlot(study_id=view.id, slot=1, assessor_id=people["raj"].id),
            SavedAnalysis(
                review_id=rid,
                name="Pain, ünïcode",
                outcome_id="pain",
                measure="SMD",
                method="REML",
                test="knha",
                prediction="metafor",
                excluded=["Smith 2021"],
                exclusion_rule="high risk of bias",
                include_indirect=True,
                result={"estimate": -0.123456789012345, "k": 3, "tau2": None, "ci": [0.1, 1e-300]},
                legacy={"analysis_id": 7},
                created_by_id=people["rita"].id,
            ),
            GradeAssessment(
                review_id=rid,
                outcome_id="pain",
                slot=0,
                status="complete",
                content={"source": "narrative", "narrative": "ünïcode", "comments": ""},
                certainty="low",
                decided=[["judgements", "imprecision", "rating"]],
            ),
            GradeAssessment(
                review_id=rid,
                outcome_id="pain",
                slot=1,
                judge_id=people["rita"].id,
                content={"source": "none"},
            ),
            SofPublication(
                review_id=rid,
                published_by_id=people["lena"].id,
                content={"version": 1, "rows": [], "footnotes": ["a note", 1e-300]},
            ),
        ]
    )
    appraisal = Appraisal(
        study_id=view.id,
        outcome_id="*",
        slot=1,
        assessor_id=people["raj"].id,
        tool="rob2",
        overall="Some concerns",
        overall_support="ünïcode",
        decided=[["D1", "judgement"]],
        created_at=WHEN,
        updated_at=WHEN,
    )
    session.add(appraisal)
    session.flush()
    assert appraisal.id is not None
    session.add(
        AppraisalDomain(
            appraisal_id=appraisal.id,
            position=0,
            domain="D1",
            answers={"1.1": "Y", "1.2": "PY"},
            judgement="Low",
            support="a quote",
        )
    )
    session.flush()
    return rid


def rows_of(session: Session, table: Table, where: Any = None) -> list[dict[str, Any]]:
    query = select(table).order_by(*table.primary_key.columns)
    if where is not None:
        query = query.where(where)
    return [dict(row._mapping) for row in session.execute(query)]


def expected(session: Session, table: Table, rid: int, user_ids: set[int]) -> list[dict[str, Any]]:
    """The source rows that belong to review ``rid``, by rules written out per table."""
    c = table.c
    if table.name == "review":
        return rows_of(session, table, c.id == rid)
    if table.name == "user":
        return rows_of(session, table, c.id.in_(user_ids))
    if "review_id" in c:
        return rows_of(session, table, c.review_id == rid)
    parents = {
        "clustermember": ("cluster_id", DuplicateCluster),
        "fulltext": ("record_id", Record),
        "studyreport": ("study_id", Study),
        "extraction": ("study_id", Study),
        "appraisal": ("study_id", Study),
        "appraisalslot": ("study_id", Study),
    }
    studies_of_review = select(Study.id).where(Study.review_id == rid)
    if table.name == "appraisaldomain":
        copies = select(Appraisal.id).where(col(Appraisal.study_id).in_(studies_of_review))
        return rows_of(session, table, c.appraisal_id.in_(copies))
    if table.name in ("extractionvalue", "extractionarm", "extractionresult"):
        copies = select(Extraction.id).where(col(Extraction.study_id).in_(studies_of_review))
        return rows_of(session, table, c.extraction_id.in_(copies))
    column, parent = parents[table.name]
    owned = select(parent.id).where(parent.review_id == rid)  # type: ignore[attr-defined]
    return rows_of(session, table, c[column].in_(owned))


@pytest.mark.parametrize(("source", "target"), [("sqlite", "postgresql"), ("postgresql", "sqlite")])
def test_a_backup_restores_every_table_unchanged_on_the_other_database(
    fresh: Callable[[str], Engine], tmp_path: Path, source: str, target: str
) -> None:
    origin, copy = fresh(source), fresh(target)
    files, restored_files = tmp_path / "files", tmp_path / "restored"
    with session_scope(origin) as session:
        rid = populate(session, files)
    with session_scope(origin) as session:
        data = backup_review(session, actor=OPERATOR, review_id=rid, files_dir=files)
    with session_scope(copy) as session:
        assert restore_review(session, data=data, files_dir=restored_files) == rid
    members = {"lena", "rita", "raj"}
    with Session(origin) as before, Session(copy) as after:
        users = {u.id for u in before.execute(select(User)).scalars() if u.name in members}
        compared = 0
        for table in SQLModel.metadata.sorted_tables:
            if table.name in NotReviewData:
                continue
            want, got = expected(before, table, rid, users), rows_of(after, table)
            assert got == want, table.name
            compared += bool(want)
        assert compared >= 21  # every table but recordrank holds rows of this review
        record = after.execute(select(FullText).where(FullText.file_path.is_not(None))).scalar_one()  # type: ignore[union-attr]
        moments = [r["created_at"] for r in rows_of(after, Record.__table__)]  # type: ignore[attr-defined]
        assert all(m.utcoffset() is not None and m.microsecond for m in moments)
    assert sorted(p.name for p in (restored_files / f"review-{rid}").rglob("*.pdf")) == sorted(
        p.name for p in (files / f"review-{rid}").rglob("*.pdf")
    )
    assert len(list(restored_files.rglob("*.pdf"))) == 2  # the replaced PDF came along
    with session_scope(copy) as session:
        lena = session.execute(select(User).where(col(User.name) == "lena")).scalar_one()
        assert (
            fulltext.read_pdf(
                session,
                actor=Actor.user(lena.id),
                review_id=rid,
                record_id=record.record_id,
                files_dir=restored_files,
            )
            == PDF_B
        )
        newcomer = create_user(session, name="nina", password="nina-password")
        assert newcomer.id > max(users)  # the id sequence moved past the restored ids
        imports.import_file(
            session,
            actor=OPERATOR,
            review_id=rid,
            data=ris([7]),
            file_name="late.ris",
            source_name="PubMed",
        )


def test_restore_refuses_a_database_that_is_not_empty(
    fresh: Callable[[str], Engine], tmp_path: Path
) -> None:
    engine = fresh("sqlite")
    with session_scope(engine) as session:
        rid = populate(session, tmp_path)
        data = backup_review(session, actor=OPERATOR, review_id=rid)
    with session_scope(engine) as session, pytest.raises(ConflictError, match="empty database"):
        restore_review(session, data=data)
    other = fresh("sqlite")
    with session_scope(other) as session:
        create_user(session, name="someone", password="someone-password")
    with session_scope(other) as session, pytest.raises(ConflictError, match="1 user"):
        restore_review(session, data=data)


def test_a_backup_without_files_dir_holds_no_pdf_and_one_with_pdfs_needs_a_folder(
    fresh: Callable[[str], Engine], tmp_path: Path
) -> None:
    engine, target = fresh("sqlite"), fresh("sqlite")
    with session_scope(engine) as session:
        rid = populate(session, tmp_path / "files")
        (tmp_path / "files" / f"review-{rid}" / "notes.txt").write_text("not a PDF of ours")
        bare = backup_review(session, actor=OPERATOR, review_id=rid)
        full = backup_review(session, actor=OPERATOR, review_id=rid, files_dir=tmp_path / "files")
    names = zipfile.ZipFile(io.BytesIO(bare)).namelist()
    assert names == ["review-backup.json"]
    document = json.loads(zipfile.ZipFile(io.BytesIO(full)).read("review-backup.json"))
    assert (document["format"], document["version"], document["review_id"]) == (
        "review-app-backup",
        1,
        rid,
    )
    assert len(document["files"]) == 2 and "olga" not in json.dumps(document["tables"]["user"])
    with session_scope(target) as session, pytest.raises(ValidationError, match="files folder"):
        restore_review(session, data=full)
    with session_scope(target) as session:
        assert restore_review(session, data=bare) == rid


def test_a_missing_pdf_stops_the_backup(fresh: Callable[[str], Engine], tmp_path: Path) -> None:
    engine = fresh("sqlite")
    with session_scope(engine) as session:
        rid = populate(session, tmp_path / "files")
    for pdf in (tmp_path / "files").rglob("*.pdf"):
        pdf.unlink()
    with session_scope(engine) as session, pytest.raises(NotFoundError, match="missing"):
        backup_review(session, actor=OPERATOR, review_id=rid, files_dir=tmp_path / "files")


def test_backups_are_for_admins_and_restore_checks_the_file(
    fresh: Callable[[str], Engine], tmp_path: Path
) -> None:
    engine, target = fresh("sqlite"), fresh("sqlite")
    with session_scope(engine) as session:
        rid = populate(session, tmp_path)
        lena = session.execute(select(User).where(col(User.name) == "lena")).scalar_one()
        with pytest.raises(PermissionDeniedError, match="admin"):
            backup_review(session, actor=Actor.user(lena.id), review_id=rid)
        data = backup_review(session, actor=OPERATOR, review_id=rid)
    document = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("review-backup.json"))
    newer = {**document, "version": 2}
    unknown = json.loads(json.dumps(document))
    unknown["tables"]["record"]["columns"][-1] = "colour"
    for bad, message in (
        (b"not a zip", "not a review-app backup"),
        (_zip(newer), "reads version 1"),
        (_zip(unknown), "colour"),
    ):
        with session_scope(target) as session, pytest.raises(ValidationError, match=message):
            restore_review(session, data=bad)
    with Session(target) as session:
        assert rows_of(session, User.__table__) == []  # type: ignore[attr-defined]


def _zip(document: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("review-backup.json", json.dumps(document))
    return out.getvalue()


def test_ids_are_kept_so_the_audit_trail_points_at_the_same_rows(
    fresh: Callable[[str], Engine], tmp_path: Path
) -> None:
    engine, target = fresh("sqlite"), fresh("sqlite")
    with session_scope(engine) as session:
        rid = populate(session, tmp_path)
        data = backup_review(session, actor=OPERATOR, review_id=rid)
    with session_scope(target) as session:
        restore_review(session, data=data)
        events = session.execute(text("SELECT entity, entity_id FROM auditevent")).all()
        for entity, entity_id in events:
            if entity in ("decision", "resolution", "study", "importbatch"):
                table = SQLModel.metadata.tables[entity]
                found = session.execute(select(table).where(table.c.id == entity_id)).first()
                assert found is not None, (entity, entity_id)


def test_restore_needs_a_database_with_the_current_schema(tmp_path: Path) -> None:
    bare = make_engine(f"sqlite:///{tmp_path / 'bare.db'}")
    source = make_engine(migrated_sqlite(tmp_path / "source.db"))
    with session_scope(source) as session:
        rid = populate(session, tmp_path)
        data = backup_review(session, actor=OPERATOR, review_id=rid)
    with session_scope(bare) as session, pytest.raises(ConflictError, match="no schema yet"):
        restore_review(session, data=data)
    bare.dispose()
    source.dispose()


def test_a_sqlite_backup_of_a_real_export_with_long_fields_restores_into_postgresql(
    fresh: Callable[[str], Engine],
) -> None:
    """Ovid via Zotero's record 3 has a 105-character issue and long file and source names;
    SQLite kept them, and PostgreSQL's VARCHAR(100) refused the restore (issue 11)."""
    path = shared_data("parsers", "asreview_demo_data", "ovid_zotero.ris")
    origin, copy = fresh("sqlite"), fresh("postgresql")
    long_name = "Ovid PsycINFO 1806 to November Week 3 2019, via Zotero, " * 3
    with session_scope(origin) as session:
        review = reviews.create_review(session, protocol_path=KRATOM_PROTOCOL, name="kratom")
        imports.import_file(
            session,
            actor=OPERATOR,
            review_id=review.id,
            data=path.read_bytes(),
            file_name=f"{long_name}.ris",
            source_name=long_name,
        )
        data = backup_review(session, actor=OPERATOR, review_id=review.id)
    with session_scope(copy) as session:
        assert restore_review(session, data=data) == review.id
    with Session(origin) as before, Session(copy) as after:
        for table in (Record.__table__, ImportBatch.__table__):  # type: ignore[attr-defined]
            assert rows_of(after, table) == rows_of(before, table)
        issues = after.execute(select(col(Record.issue))).scalars()
        assert max(len(issue or "") for issue in issues) == 105
