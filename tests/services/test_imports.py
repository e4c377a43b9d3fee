"""Importing search results into a review: one transaction, nothing half-written."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import Session, func, select

from review_app.domain.record_fields import field_values
from review_app.errors import ConflictError, ImportFileError, PermissionDeniedError, ValidationError
from review_app.exporters.tabular import COLUMNS
from review_app.importers import Limits, read_bytes
from review_app.models import AuditEvent, Decision, ImportBatch, Record
from review_app.services.demo import DEMO_SEARCH_FILES, DEMO_SEARCHES, DemoSearch
from review_app.services.exports.records import export_records
from review_app.services.import_sources import (
    SourceChoice,
    guess_source,
    source_choices,
    suggest_source,
)
from review_app.services.imports import (
    ImportSummary,
    import_file,
    list_batches,
    preview_import,
    undo_import,
)
from review_app.services.permissions import Actor
from review_app.services.reviews import ReviewPublic
from review_app.services.users import UserPublic
from tests.conftest import REPO_ROOT, shared_data

FIXTURES = REPO_ROOT / "tests" / "data" / "imports"
OPERATOR = Actor.operator()


def demo_bytes(name: str) -> bytes:
    return (DEMO_SEARCHES / name).read_bytes()


def count_records(session: Session, review_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Record).where(Record.review_id == review_id)
    ).one()


@pytest.mark.parametrize("search", DEMO_SEARCH_FILES, ids=lambda s: s.file_name)
def test_each_demo_search_imports_with_its_source(
    session: Session, review: ReviewPublic, search: DemoSearch
) -> None:
    data = demo_bytes(search.file_name)
    summary = import_file(
        session,
        actor=OPERATOR,
        review_id=review.id,
        data=data,
        file_name=search.file_name,
        source_name=search.source_name,
        source_kind=search.source_kind,
    )
    expected = len(read_bytes(data, filename=search.file_name).records)
    assert summary.imported == expected == count_records(session, review.id)
    batch = session.get(ImportBatch, summary.batch_id)
    assert batch is not None
    assert (batch.source_name, batch.source_kind, batch.record_count) == (
        search.source_name,
        search.source_kind,
        expected,
    )
    assert batch.sha256 == hashlib.sha256(data).hexdigest()


def test_records_keep_normalised_and_raw_fields(session: Session, review: ReviewPublic) -> None:
    import_file(
        session,
        actor=OPERATOR,
        review_id=review.id,
        data=demo_bytes("pubmed.nbib"),
        file_name="pubmed.nbib",
        source_name="PubMed",
    )
    record = session.exec(select(Record).where(Record.pmid == "32607084")).one()
    assert record.title.startswith("Kratom and Pain Tolerance")
    assert record.year == 2020 and record.authors[0].startswith("Vicknasingam")
    assert record.source_record_id == "32607084"
    assert record.raw["PMID"] in ("32607084", ["32607084"])


def test_the_same_file_twice_is_refused_unless_forced(
    session: Session, review: ReviewPublic
) -> None:
    data = demo_bytes("embase.ris")
    import_file(
        session,
        actor=OPERATOR,
        review_id=review.id,
        data=data,
        file_name="embase.ris",
        source_name="Embase",
    )
    with pytest.raises(ConflictError, match="already imported"):
        import_file(
            session,
            actor=OPERATOR,
            review_id=review.id,
            data=data,
            file_name="copy.ris",
            source_name="Embase",
        )
    import_file(
        session,
        actor=OPERATOR,
        review_id=review.id,
        data=data,
        file_name="copy.ris",
        source_name="Embase",
        force=True,
    )
    assert len(list_batches(session, actor=OPERATOR, review_id=review.id)) == 2


def test_a_bad_file_writes_nothing(session: Session, review: ReviewPublic) -> None:
    data = (FIXTURES / "ris_missing_title.ris").read_bytes()
    with pytest.raises(ImportFileError) as caught:
        import_file(
            session,
            actor=OPERATOR,
            review_id=review.id,
            data=data,
            file_name="ris_missing_title.ris",
            source_name="Embase",
        )
    assert all(p.source == "ris_missing_title.ris" for p in caught.value.problems)
    assert "title" in str(caught.value)
    assert count_records(session, review.id) == 0
    assert session.exec(select(ImportBatch)).all() == []


def test_skip_invalid_imports_the_valid_records(session: Session, review: ReviewPublic) -> None:
    data = (FIXTURES / "ris_missing_title.ris").read_bytes()
    parsed = read_bytes(data, filename="x.ris", skip_invalid=True)
    summary = import_file(
        session,
        actor=OPERATOR,
        review_id=review.id,
        data=data,
        file_name="x.ris",
        source_name="Embase",
        skip_invalid=True,
    )
    assert summary.imported == len(parsed.records) > 0
    assert summary.skipped == len(parsed.problems) > 0


def test_binary_input_is_a_clear_error(session: Session, review: ReviewPublic) -> None:
    with pytest.raises(ImportFileError, match=r"photo\.png"):
        import_file(
            session,
            actor=OPERATOR,
            review_id=review.id,
            data=b"\x89PNG\r\n\x1a\n\x00\x00\x00",
            file_name="photo.png",
            source_name="PubMed",
        )


def test_source_is_required(session: Session, review: ReviewPublic) -> None:
    with pytest.raises(ValidationError, match="source"):
        import_file(
            session,
            actor=OPERATOR,
            review_id=review.id,
            data=demo_bytes("embase.ris"),
            file_name="embase.ris",
            source_name="  ",
        )
    with pytest.raises(ValidationError, match="allowed are database"):
        import_file(
            session,
            actor=OPERATOR,
            review_id=review.id,
            data=demo_bytes("embase.ris"),
            file_name="embase.ris",
            source_name="Embase",
            source_kind="shop",
        )


def test_reviewers_cannot_import(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    with pytest.raises(PermissionDeniedError):
        import_file(
            session,
            actor=Actor.user(team["rita"].id),
            review_id=review.id,
            data=demo_bytes("embase.ris"),
            file_name="embase.ris",
            source_name="Embase",
        )
    lead = Actor.user(team["lena"].id)
    summary = import_file(
        session,
        actor=lead,
        review_id=review.id,
        data=demo_bytes("embase.ris"),
        file_name="embase.ris",
        source_name="Embase",
    )
    [batch] = list_batches(session, actor=OPERATOR, review_id=review.id)
    assert batch.imported_by == "lena" and batch.id == summary.batch_id
    with pytest.raises(PermissionDeniedError):
        undo_import(
            session, actor=Actor.user(team["raj"].id), review_id=review.id, batch_id=batch.id
        )


def test_undo_removes_the_records_while_nobody_voted(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    first = import_file(
        session,
        actor=OPERATOR,
        review_id=review.id,
        data=demo_bytes("embase.ris"),
        file_name="embase.ris",
        source_name="Embase",
    )
    second = import_file(
        session,
        actor=OPERATOR,
        review_id=review.id,
        data=demo_bytes("scopus.csv"),
        file_name="scopus.csv",
        source_name="Scopus",
    )
    undone = undo_import(session, actor=OPERATOR, review_id=review.id, batch_id=first.batch_id)
    batches = list_batches(session, actor=OPERATOR, review_id=review.id)
    assert [b.status for b in batches] == ["undone", "active"]
    assert undone.message == (
        f"Undid import {first.batch_id} (Embase, embase.ris: {first.imported} records, "
        "0 merges undone)"
    )
    assert count_records(session, review.id) == second.imported
    with pytest.raises(ConflictError, match="already undone"):
        undo_import(session, actor=OPERATOR, review_id=review.id, batch_id=first.batch_id)
    # After an undo the same file may come in again without --force.
    import_file(
        session,
        actor=OPERATOR,
        review_id=review.id,
        data=demo_bytes("embase.ris"),
        file_name="embase.ris",
        source_name="Embase",
    )
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.entity == "importbatch")
    ).all()
    assert actions.count("import.create") == 3 and actions.count("import.undo") == 1


def test_undo_is_refused_once_a_record_has_a_vote(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    summary = import_file(
        session,
        actor=OPERATOR,
        review_id=review.id,
        data=demo_bytes("scopus.csv"),
        file_name="scopus.csv",
        source_name="Scopus",
    )
    record_id = session.exec(
        select(Record.id).where(Record.import_batch_id == summary.batch_id)
    ).first()
    session.add(
        Decision(
            review_id=review.id,
            record_id=record_id,
            reviewer_id=team["rita"].id,  # type: ignore[arg-type]
            stage="title_abstract",
            vote="include",
        )
    )
    session.flush()
    assert list_batches(session, actor=OPERATOR, review_id=review.id)[0].voted_records == 1
    with pytest.raises(ConflictError, match="1 of its records already have screening votes"):
        undo_import(session, actor=OPERATOR, review_id=review.id, batch_id=summary.batch_id)
    assert count_records(session, review.id) == summary.imported


def test_our_ris_export_reimports_to_identical_records(
    session: Session, review: ReviewPublic
) -> None:
    for search in DEMO_SEARCH_FILES:
        import_file(
            session,
            actor=OPERATOR,
            review_id=review.id,
            data=demo_bytes(search.file_name),
            file_name=search.file_name,
            source_name=search.source_name,
            source_kind=search.source_kind,
        )
    exported = export_records(session, actor=OPERATOR, review_id=review.id, format="ris")
    before = session.exec(select(Record).order_by(Record.id)).all()
    again = read_bytes(exported, filename="export.ris").records
    fields = [c for c in COLUMNS if c != "source_record_id"]  # every normalised field
    assert len(again) == len(before)
    for old, new in zip(before, again, strict=True):
        assert {f: getattr(old, f) for f in fields} == {f: getattr(new, f) for f in fields}


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_tabular_exports_hold_every_record(
    session: Session, review: ReviewPublic, format: str
) -> None:
    import_file(
        session,
        actor=OPERATOR,
        review_id=review.id,
        data=demo_bytes("embase.ris"),
        file_name="embase.ris",
        source_name="Embase",
    )
    data = export_records(session, actor=OPERATOR, review_id=review.id, format=format)
    assert len(read_bytes(data, filename=f"export.{format}").records) == count_records(
        session, review.id
    )


def test_export_refuses_unknown_format_and_stage(session: Session, review: ReviewPublic) -> None:
    with pytest.raises(ValidationError, match="allowed are csv, ris, xlsx"):
        export_records(session, actor=OPERATOR, review_id=review.id, format="docx")
    with pytest.raises(ValidationError, match="unique"):
        export_records(session, actor=OPERATOR, review_id=review.id, format="csv", stage="later")


def test_preview_reads_without_writing(session: Session, review: ReviewPublic) -> None:
    preview = preview_import(data=demo_bytes("pubmed.nbib"), file_name="pubmed.nbib")
    assert preview.format == "medline" and preview.record_count == 20
    assert len(preview.first_records) == 5
    assert count_records(session, review.id) == 0


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("pubmed_2025-03-01.nbib", "PubMed"),
        ("EMBASE export.ris", "Embase"),
        ("ctgov.csv", None),
        ("clinicaltrials_gov.csv", "ClinicalTrials.gov"),
    ],
)
def test_guess_source_from_file_name(file_name: str, expected: str | None) -> None:
    assert guess_source(file_name, ["PubMed", "Embase", "ClinicalTrials.gov"]) == expected


def test_a_bad_record_after_records_already_written_undoes_the_whole_file(
    session: Session, review: ReviewPublic
) -> None:
    """Records are written as they are read, INSERT_CHUNK at a time; a problem found after some
    were written still leaves nothing of the file, even for a caller that goes on and commits."""
    valid = "".join(f"TY  - JOUR\nTI  - Study {i}\nPY  - 2020\nER  - \n\n" for i in range(2_100))
    data = (valid + "TY  - JOUR\nPY  - 2020\nER  - \n").encode()  # the last record has no title

    def import_late(skip_invalid: bool) -> ImportSummary:
        return import_file(session, actor=OPERATOR, review_id=review.id, data=data,
                           file_name="late.ris", source_name="PubMed",
                           skip_invalid=skip_invalid)  # fmt: skip

    with pytest.raises(ImportFileError, match="record 2101"):
        import_late(skip_invalid=False)
    assert count_records(session, review.id) == 0
    assert session.exec(select(ImportBatch).where(ImportBatch.review_id == review.id)).all() == []
    summary = import_late(skip_invalid=True)
    assert (summary.imported, summary.skipped) == (2_100, 1)
    assert count_records(session, review.id) == 2_100


# --- bad input (issue 11): every text column fits, limits reach the import --------------------


def test_a_real_export_with_a_105_character_issue_imports_on_every_database(
    session: Session, review: ReviewPublic
) -> None:
    """Ovid via Zotero wrote a reference into IS (record 3): it crashed PostgreSQL's
    VARCHAR(100); the bibliographic columns are unbounded text since migration 0005."""
    path = shared_data("parsers", "asreview_demo_data", "ovid_zotero.ris")
    summary = import_file(
        session,
        actor=OPERATOR,
        review_id=review.id,
        data=path.read_bytes(),
        file_name=path.name,
        source_name="PsycINFO",
    )
    assert summary.imported == count_records(session, review.id) > 3
    third = session.exec(
        select(Record).where(Record.import_batch_id == summary.batch_id, Record.position == 3)
    ).one()
    assert third.issue is not None and len(third.issue) == 105
    assert third.issue.startswith("Achenbach, T. (1991). Child Behavior Checklist")


def test_an_unknown_format_is_refused_before_the_batch_is_written(
    session: Session, review: ReviewPublic
) -> None:
    """The batch row's format column holds 20 characters; a long name never reaches it."""
    with pytest.raises(ValidationError, match="allowed are auto, ris"):
        import_file(session, actor=OPERATOR, review_id=review.id, data=b"TY  - JOUR\n",
                    file_name="s.ris", source_name="PubMed", format="x" * 40)  # fmt: skip
    assert session.exec(select(ImportBatch)).all() == []


def test_the_limits_given_hold_and_a_refused_file_leaves_nothing(
    session: Session, review: ReviewPublic
) -> None:
    data = "".join(f"TY  - JOUR\nTI  - Study {i}\nPY  - 2020\nER  - \n\n" for i in range(30))

    def run(limits: Limits) -> ImportSummary:
        return import_file(session, actor=OPERATOR, review_id=review.id, data=data.encode(),
                           file_name="s.ris", source_name="PubMed", limits=limits)  # fmt: skip

    for limits, message in (
        (Limits(max_records=29), "more than 29 records"),
        (Limits(max_bytes=100), "at most 0 MB"),
        (Limits(max_field_chars=5), "record 1, TI: 7 characters; a field may hold at most 5"),
    ):
        with pytest.raises(ImportFileError, match=message):
            run(limits)
        assert count_records(session, review.id) == 0
        assert session.exec(select(ImportBatch)).all() == []
    assert run(Limits(max_records=30)).imported == 30
    with pytest.raises(ImportFileError, match="more than 1 records"):
        preview_import(data=data.encode(), file_name="s.ris", limits=Limits(max_records=1))


def test_a_wos_continuation_after_pt_imports_on_every_database(
    session: Session, review: ReviewPublic
) -> None:
    data = b"FN Clarivate\nVR 1.0\nPT J\n   Journal article\nTI Kratom and pain\nPY 2020\nER\nEF\n"
    summary = import_file(session, actor=OPERATOR, review_id=review.id, data=data,
                          file_name="savedrecs.txt", source_name="Web of Science")  # fmt: skip
    record = session.exec(select(Record).where(Record.import_batch_id == summary.batch_id)).one()
    assert record.raw["PT"] == "J Journal article" and "line 4" in summary.warnings[0]


def test_an_undo_says_how_many_merges_it_took_back(session: Session, review: ReviewPublic) -> None:
    """Issue 17: the page said nothing after an undo; it now says what went, merges included."""
    from review_app.models import ClusterMember
    from review_app.services.deduplication import run_automatic_pass

    first = import_file(
        session,
        actor=OPERATOR,
        review_id=review.id,
        data=demo_bytes("embase.ris"),
        file_name="embase.ris",
        source_name="Embase",
    )
    again = import_file(
        session,
        actor=OPERATOR,
        review_id=review.id,
        data=demo_bytes("embase.ris"),
        file_name="embase-again.ris",
        source_name="Embase",
        force=True,
    )
    merged = run_automatic_pass(session, actor=OPERATOR, review_id=review.id).merged_records
    copies = session.exec(
        select(func.count()).select_from(ClusterMember).where(ClusterMember.is_primary == False)  # noqa: E712
    ).one()
    assert merged == copies > 0
    undone = undo_import(session, actor=OPERATOR, review_id=review.id, batch_id=again.batch_id)
    assert undone.merges_undone == copies
    assert undone.message.endswith(f"{again.imported} records, {copies} merges undone)")
    assert count_records(session, review.id) == first.imported
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "import.undo")).one()
    assert event.after == {"status": "undone", "merges_undone": copies}


PSYCINFO_RIS = b"TY  - JOUR\nTI  - Self-criticism in IBD\nDB  - PsycINFO\nER  - \n"


def test_the_preview_says_which_source_the_file_names() -> None:
    """Issue 17: the page defaulted to PubMed although the file said PsycINFO."""
    preview = preview_import(data=PSYCINFO_RIS, file_name="export.ris")
    assert preview.source_guess is not None
    assert preview.source_guess.name == "PsycINFO"
    assert preview.source_guess.evidence == ("RIS DB line 3: PsycINFO",)
    assert preview_import(data=demo_bytes("embase.ris"), file_name="x.ris").source_guess


def test_source_choices_add_the_common_sources_the_protocol_lacks() -> None:
    """Issue 17: PsycINFO was not offered although the README names it."""
    from review_app.protocol import load_protocol
    from tests.conftest import KRATOM_PROTOCOL

    choices = source_choices(load_protocol(KRATOM_PROTOCOL).search_sources)
    names = [choice.name for choice in choices]
    assert names[:8] == [
        "PubMed",
        "Embase",
        "Scopus",
        "CENTRAL",
        "CINAHL",
        "ClinicalTrials.gov",
        "WHO ICTRP",
        "Reference lists and citation searching",
    ]
    assert names[8:] == ["PsycINFO", "Web of Science"]  # PubMed already is MEDLINE/PubMed
    kinds = {choice.name: (choice.kind, choice.in_protocol) for choice in choices}
    assert kinds["PsycINFO"] == ("database", False)
    assert kinds["WHO ICTRP"] == ("register", True)
    assert kinds["Reference lists and citation searching"] == ("other", True)


def kratom_choices() -> list[SourceChoice]:
    from review_app.protocol import load_protocol
    from tests.conftest import KRATOM_PROTOCOL

    return source_choices(load_protocol(KRATOM_PROTOCOL).search_sources)


@pytest.mark.parametrize(
    ("data", "file_name", "chosen", "named"),
    [
        (PSYCINFO_RIS, "export.ris", "PsycINFO", "PsycINFO"),  # a common source, not the protocol's
        (b"TY  - JOUR\nTI  - A\nDP  - NLM\nER  - \n", "x.ris", "PubMed", "MEDLINE/PubMed"),
        (b"TY  - JOUR\nTI  - A\nDB  - PTSDpubs\nER  - \n", "x.ris", None, "PTSDpubs"),
        (b"TY  - JOUR\nTI  - A\nER  - \n", "embase_update.ris", "Embase", None),  # file name
        (b"TY  - JOUR\nTI  - A\nER  - \n", "export.ris", None, None),  # nothing said: no default
        (
            b"TY  - JOUR\nTI  - A\nDB  - Embase\nER  - \nTY  - JOUR\nTI  - B\nDB  - Scopus\n"
            b"ER  - \n",
            "x.ris",
            None,
            None,
        ),  # two sources named
    ],
)
def test_the_suggested_source(
    data: bytes, file_name: str, chosen: str | None, named: str | None
) -> None:
    guess = preview_import(data=data, file_name=file_name).source_guess
    suggestion = suggest_source(guess, kratom_choices(), file_name=file_name)
    assert (suggestion.choice.name if suggestion.choice else None) == chosen
    assert suggestion.named == named
    assert (suggestion.reason is None) == (chosen is None and named is None and guess is None)


# --- per-file plausibility (issue 18): a "number" column of record numbers is not issues -------


def _numbered_csv(first_number: int) -> bytes:
    rows = [f'"Trial {n} of a drug",2020,"Smith, J.",12,{first_number + n}' for n in range(60)]
    return ("title,year,author,volume,number\n" + "\n".join(rows) + "\n").encode()


def test_record_numbers_in_a_number_column_are_kept_raw_and_not_used_as_issues(
    session: Session, review: ReviewPublic
) -> None:
    summary = import_file(
        session,
        actor=OPERATOR,
        review_id=review.id,
        data=_numbered_csv(1_100),
        file_name="numbered.csv",
        source_name="EndNote",
    )
    assert any(
        w.startswith("numbered.csv: number: 60 of 60 values distinct, largest 1,159: read as "
                     "record numbers") for w in summary.warnings
    )  # fmt: skip
    batch = session.get(ImportBatch, summary.batch_id)
    assert batch is not None and batch.warnings == summary.warnings
    session.expire_all()
    records = session.exec(select(Record).where(Record.review_id == review.id)).all()
    assert len(records) == 60 and all(r.issue is None for r in records)
    assert sorted(int(r.raw["number"]) for r in records)[0] == 1_100
    preview = preview_import(data=_numbered_csv(1_100), file_name="numbered.csv")
    assert any("read as record numbers" in w for w in preview.warnings)
    assert all(r.issue is None for r in preview.first_records)


def test_issues_that_repeat_are_imported_as_issues(session: Session, review: ReviewPublic) -> None:
    rows = [f'"Trial {n} of a drug",2020,"Smith, J.",12,{1 + n % 4}' for n in range(60)]
    data = ("title,year,author,volume,number\n" + "\n".join(rows) + "\n").encode()
    summary = import_file(
        session, actor=OPERATOR, review_id=review.id, data=data, file_name="issues.csv",
        source_name="Embase",
    )  # fmt: skip
    assert not any("record numbers" in w for w in summary.warnings)
    issues = session.exec(select(Record.issue).where(Record.review_id == review.id)).all()
    assert sorted(set(issues)) == ["1", "2", "3", "4"]


def test_answer_columns_of_a_labelled_set_stay_raw_and_reach_no_field(
    session: Session, review: ReviewPublic
) -> None:
    """ASySD's sets carry ``label`` (the duplicate group) and ``source`` (the database): the
    engine reads the declared fields only, so these must land in the raw fields alone."""
    data = (
        b"author,title,year,journal,label,source\n"
        b'"Adeli K.","Intestinal lipoprotein overproduction",2008,"Curr Opin Lipidol",'
        b"GROUP-17,EMBASE-7\n"
    )
    import_file(
        session, actor=OPERATOR, review_id=review.id, data=data, file_name="labelled.csv",
        source_name="ASySD",
    )  # fmt: skip
    record = session.exec(select(Record).where(Record.review_id == review.id)).one()
    assert record.raw["label"] == "GROUP-17" and record.raw["source"] == "EMBASE-7"
    fields = field_values(record)
    assert not any("GROUP-17" in str(v) or "EMBASE-7" in str(v) for v in fields.values())
