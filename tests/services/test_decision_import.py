"""Decisions made in another tool (`review-app import decisions`): cast as if made here, or
refused whole with every problem named by row and column."""

from __future__ import annotations

import io

import pytest
from sqlmodel import Session, col, func, select

from review_app.domain.vocabulary import Stage, StageStatus
from review_app.errors import ImportFileError, PermissionDeniedError, ValidationError
from review_app.models import AuditEvent, Decision, Resolution, Review, ScreeningSlot, Study
from review_app.services.conflicts import list_conflicts, resolve
from review_app.services.decision_import import COLUMNS, import_decisions
from review_app.services.fulltext import mark_not_retrieved
from review_app.services.imports import import_file
from review_app.services.permissions import Actor
from review_app.services.prisma import prisma_counts
from review_app.services.progress import stage_statuses, unique_record_ids
from review_app.services.releases import release_outcomes
from review_app.services.reviews import ReviewPublic
from review_app.services.screening import next_record, record_vote
from review_app.services.studies import (
    create_study,
    list_included_reports,
    list_studies,
    suggest_label,
)
from review_app.services.users import UserPublic
from tests.services.screening_helpers import mark_duplicate

TA, FT = Stage.TITLE_ABSTRACT, Stage.FULL_TEXT
Team = dict[str, UserPublic]

# Eight records: source id, DOI, PMID, first author, year, title.
RECORDS = [
    (f"S{i}", f"10.1000/k{i}", str(1000 + i), f'"Author{i}, A"', 2010 + i, f"Kratom study {i}")
    for i in range(1, 9)
]


def records_csv(rows: list[tuple[str, str, str, str, int, str]]) -> bytes:
    lines = ["id,doi,pmid,authors,year,title"]
    lines += [",".join(str(v) for v in row) for row in rows]
    return "\n".join(lines).encode()


@pytest.fixture
def records(session: Session, review: ReviewPublic) -> dict[str, int]:
    """The eight records by source id ("S1".."S8"), and "S4copy": a duplicate of S4 with its
    own DOI, merged into S4."""
    import_file(
        session,
        actor=Actor.operator(),
        review_id=review.id,
        data=records_csv(RECORDS),
        file_name="pubmed.csv",
        source_name="PubMed",
    )
    import_file(
        session,
        actor=Actor.operator(),
        review_id=review.id,
        data=records_csv([("E4", "10.1000/copy4", "", '"Author4, A"', 2014, "Kratom study 4")]),
        file_name="embase.csv",
        source_name="Embase",
    )
    from review_app.models import Record

    ids = {
        r.source_record_id: r.id
        for r in session.exec(select(Record).where(Record.review_id == review.id))
    }
    mark_duplicate(session, review.id, primary=ids["S4"], secondary=ids["E4"])
    return {**{k: v for k, v in ids.items() if k != "E4"}, "S4copy": ids["E4"]}  # type: ignore[misc]


def decisions_file(
    rows: list[str], header: str = "record,reviewer,stage,vote,reason,note,kind"
) -> bytes:
    return "\n".join([header, *rows]).encode()


# A round of decisions: (record as the file names it, record key, person, stage, vote, reason,
# kind). Title/abstract: S1 agreed include, S2 a conflict the lead resolves (include), S3
# agreed exclude, S4 maybe + include (maybe counts as include), S5 an unresolved conflict, S6
# one vote of two. Full text: S1 and S4 included, S2 a conflict resolved as excluded.
ROUND = [
    ("S1", "S1", "rita", TA, "include", "", "vote"),
    ("S1", "S1", "raj", TA, "include", "", "vote"),
    ("https://doi.org/10.1000/K2", "S2", "rita", TA, "include", "", "vote"),
    ("10.1000/k2", "S2", "raj", TA, "exclude", "", "vote"),
    ("PMID: 1002", "S2", "lena", TA, "include", "", "resolution"),
    ("1003", "S3", "rita", TA, "exclude", "", "vote"),
    ("S3", "S3", "raj", TA, "exclude", "Animal or in-vitro study", "vote"),
    ("S4", "S4", "rita", TA, "maybe", "", "vote"),
    ("10.1000/copy4", "S4", "raj", TA, "include", "", "vote"),
    ("S5", "S5", "rita", TA, "include", "", "vote"),
    ("S5", "S5", "raj", TA, "exclude", "", "vote"),
    ("S6", "S6", "rita", TA, "include", "", "vote"),
    ("S1", "S1", "rita", FT, "include", "", "vote"),
    ("S1", "S1", "raj", FT, "include", "", "vote"),
    ("S2", "S2", "rita", FT, "exclude", "wrong_design", "vote"),
    ("S2", "S2", "raj", FT, "include", "", "vote"),
    ("S2", "S2", "lena", FT, "exclude", "wrong_outcomes", "resolution"),
    ("S4", "S4", "rita", FT, "include", "", "vote"),
    ("S4", "S4", "raj", FT, "include", "", "vote"),
]


def round_file() -> bytes:
    return decisions_file(
        [
            f"{name},{who},{stage},{vote},{reason},,{kind}"
            for name, _, who, stage, vote, reason, kind in ROUND
        ]
    )


def cast_round_here(session: Session, review_id: int, team: Team, records: dict[str, int]) -> None:
    """The same round cast through the services, as the people would here (blind review: the
    lead releases the title/abstract outcomes before full text), studies made as on the
    Studies page."""
    lead = Actor.user(team["lena"].id)
    for stage in Stage:
        if stage is FT:
            release_outcomes(session, actor=lead, review_id=review_id, stage=TA)
        for kind in ("vote", "resolution"):
            for _, key, who, row_stage, vote, reason, row_kind in ROUND:
                if row_stage is not stage or row_kind != kind:
                    continue
                reason_id = "animal_or_in_vitro" if reason.startswith("Animal") else reason
                cast = record_vote if kind == "vote" else resolve
                cast(
                    session,
                    actor=Actor.user(team[who].id),
                    review_id=review_id,
                    record_id=records[key],
                    stage=stage,
                    vote=vote,
                    reason=reason_id or None,
                )
    taken: list[str] = []
    for report, study in list_included_reports(session, actor=lead, review_id=review_id):
        if study is None:
            label = suggest_label([report], taken=taken)
            create_study(
                session, actor=lead, review_id=review_id, label=label, record_ids=[report.record_id]
            )
            taken.append(label)


def state_of(session: Session, review_id: int, team: Team) -> dict[str, object]:
    """What the decisions add up to, as the dashboard, conflicts page, PRISMA and studies see it."""
    lead = Actor.user(team["lena"].id)
    ids = unique_record_ids(session, review_id=review_id)
    slots = session.exec(
        select(
            ScreeningSlot.record_id,
            ScreeningSlot.stage,
            ScreeningSlot.reviewer_id,
            ScreeningSlot.leased_until,
        )
        .where(ScreeningSlot.review_id == review_id)
        .order_by(col(ScreeningSlot.record_id), col(ScreeningSlot.stage), col(ScreeningSlot.slot))
    ).all()
    counts = prisma_counts(session, actor=lead, review_id=review_id)
    return {
        "statuses": {
            s: stage_statuses(session, review_id=review_id, stage=s, record_ids=ids) for s in Stage
        },
        "conflicts": {
            s: [
                c.record.id
                for c in list_conflicts(session, actor=lead, review_id=review_id, stage=s)
            ]
            for s in Stage
        },
        "prisma": repr(counts),
        "slots": list(slots),
        "studies": [
            (s.label, s.record_ids) for s in list_studies(session, actor=lead, review_id=review_id)
        ],
        "votes": session.exec(
            select(
                Decision.record_id,
                Decision.reviewer_id,
                Decision.stage,
                Decision.vote,
                Decision.reason,
            ).order_by(col(Decision.record_id), col(Decision.stage), col(Decision.reviewer_id))
        ).all(),
        "resolutions": session.exec(
            select(
                Resolution.record_id,
                Resolution.stage,
                Resolution.lead_id,
                Resolution.vote,
                Resolution.reason,
            ).order_by(col(Resolution.record_id), col(Resolution.stage))
        ).all(),
    }


def test_an_imported_round_adds_up_as_if_cast_here(
    session: Session, review: ReviewPublic, team: Team, records: dict[str, int]
) -> None:
    here = session.begin_nested()
    cast_round_here(session, review.id, team, records)
    expected = state_of(session, review.id, team)
    here.rollback()

    summary = import_decisions(
        session,
        actor=Actor.operator(),
        review_id=review.id,
        data=round_file(),
        file_name="covidence.csv",
    )
    assert state_of(session, review.id, team) == expected
    statuses = expected["statuses"]
    assert isinstance(statuses, dict)
    assert statuses[FT][records["S1"]] is StageStatus.INCLUDED
    assert statuses[TA][records["S5"]] is StageStatus.CONFLICT
    assert summary.votes == {TA: 11, FT: 6} and summary.resolutions == {TA: 1, FT: 1}
    assert summary.people == ("lena", "raj", "rita")
    assert summary.studies == ("Author1 2011", "Author4 2014")
    assert summary.released > 0 and "Released" in " ".join(summary.describe())


def test_imported_votes_are_audited_as_imported_by_the_people_named(
    session: Session, review: ReviewPublic, team: Team, records: dict[str, int]
) -> None:
    lead = Actor.user(team["lena"].id)
    earlier = session.exec(select(func.max(AuditEvent.id))).one() or 0
    import_decisions(session, actor=lead, review_id=review.id, data=round_file(), file_name="x.csv")
    events = session.exec(select(AuditEvent).where(col(AuditEvent.id) > earlier)).all()
    votes = [e for e in events if e.entity == "decision"]
    assert len(votes) == 17 and {e.action for e in votes} == {"vote.import"}
    first = min(votes, key=lambda e: e.id or 0)
    assert first.user_id == team["rita"].id
    assert first.after and first.after["imported"] == {"file": "x.csv", "row": 2}
    resolutions = [e for e in events if e.entity == "resolution"]
    assert {e.action for e in resolutions} == {"resolution.import"}
    assert {e.user_id for e in resolutions} == {team["lena"].id}
    assert sorted(e.after["imported"]["row"] for e in resolutions if e.after) == [6, 18]
    [summary] = [e for e in events if e.action == "decisions.import"]
    assert summary.user_id == team["lena"].id and summary.after and summary.after["rows"] == 19
    assert all(
        e.after and e.after["imported"]["file"] == "x.csv" for e in events if e is not summary
    )


def test_a_reviewer_cannot_import(
    session: Session, review: ReviewPublic, team: Team, records: dict[str, int]
) -> None:
    with pytest.raises(PermissionDeniedError, match="lead role"):
        import_decisions(
            session,
            actor=Actor.user(team["rita"].id),
            review_id=review.id,
            data=round_file(),
            file_name="x.csv",
        )


def problems_of(
    session: Session, review_id: int, data: bytes
) -> list[tuple[int | None, str | None, str]]:
    """The problems an import lists (row, column, message), and proof nothing was written."""
    before = _written(session, review_id)
    with pytest.raises(ImportFileError) as caught:
        import_decisions(
            session, actor=Actor.operator(), review_id=review_id, data=data, file_name="d.csv"
        )
    assert _written(session, review_id) == before
    assert str(caught.value).startswith("d.csv: nothing was imported;")
    return [(p.line, p.field, p.message) for p in caught.value.problems]


def _written(session: Session, review_id: int) -> tuple[int, ...]:
    return tuple(
        session.exec(select(func.count()).select_from(table)).one()
        for table in (Decision, Resolution, ScreeningSlot, AuditEvent, Study)
    )


def test_every_problem_is_listed_with_row_and_column_and_nothing_is_written(
    session: Session, review: ReviewPublic, team: Team, records: dict[str, int]
) -> None:
    record_vote(
        session,
        actor=Actor.user(team["raj"].id),
        review_id=review.id,
        record_id=records["S7"],
        stage=TA,
        vote="include",
    )
    rows = [
        "S404,rita,title_abstract,include,,,",  # 2 unknown record
        "S1,nobody,title_abstract,include,,,",  # 3 unknown user
        "S1,rita,title_abstract,include,,,",  # 4
        "10.1000/k1,rita,title_abstract,exclude,,,",  # 5 repeats row 4 (same record by DOI)
        "S2,rita,full_text,include,,,",  # 6 full text before passing title/abstract
        "S3,rita,title_abstract,exclude,,,",  # 7
        "S3,raj,title_abstract,exclude,,,",  # 8
        "S3,lena,title_abstract,include,,,",  # 9 a third vote; two are allowed
        "S5,rita,title_abstract,include,not_a_reason,,",  # 10 reason with include
        "S6,rita,title_abstract,exclude,wrong_outcomes,,",  # 11 a full-text-only reason
        "S6,raj,Title and abstract,EXCLUDE,,,",  # 12 fine (words as people write them)
        "S6,rita,full_text,exclude,,,",  # 13 full text: no reason, and S6 did not pass
        "S5,raj,title_abstract,include,,,resolution",  # 14 a reviewer's resolution
        "S4,lena,title_abstract,maybe,,,resolution",  # 15 a resolution is include or exclude
        "S5,lena,screening,perhaps,,,opinion",  # 16 three bad words
        "S7,raj,title_abstract,exclude,,,",  # 17 raj voted on S7 here already
        ",,title_abstract,include,,,",  # 18 empty record and reviewer
    ]
    found = problems_of(session, review.id, decisions_file(rows))
    where = [(line, column) for line, column, _ in found]
    assert where == [
        (2, "record"),
        (3, "reviewer"),
        (5, "record"),
        (6, "stage"),
        (9, "reviewer"),
        (10, "reason"),
        (11, "reason"),
        (13, "reason"),
        (13, "stage"),
        (14, "reviewer"),
        (15, "vote"),
        (16, "kind"),
        (16, "stage"),
        (16, "vote"),
        (17, "reviewer"),
        (18, "record"),
        (18, "reviewer"),
    ], found
    messages = {(line, column): message for line, column, message in found}
    assert "no record of this review" in messages[2, "record"]
    assert (
        "'nobody' is not a member" in messages[3, "reviewer"] and "rita" in messages[3, "reviewer"]
    )
    assert "repeats row 4" in messages[5, "record"]
    assert "has not passed title/abstract" in messages[6, "stage"]
    assert (
        "would have 3 votes" in messages[9, "reviewer"]
        and "reviewers_per_record is 2" in messages[9, "reviewer"]
    )
    assert "only with an exclude vote" in messages[10, "reason"]
    assert "'wrong_outcomes' is not an exclusion reason at title/abstract" in messages[11, "reason"]
    assert "needs a reason" in messages[13, "reason"]
    assert "a resolution is a lead's" in messages[14, "reviewer"]
    assert "allowed are include, exclude" in messages[15, "vote"]
    assert "allowed are vote, resolution" in messages[16, "kind"]
    assert "already voted include" in messages[17, "reviewer"]


def test_maybe_is_refused_where_the_protocol_does_not_allow_it(
    session: Session, review: ReviewPublic, team: Team, records: dict[str, int]
) -> None:
    _set_screening(session, review.id, allow_maybe=False)
    [(line, column, message)] = problems_of(
        session, review.id, decisions_file(["S1,rita,title_abstract,maybe,,,"])
    )
    assert (line, column) == (2, "vote") and "allow_maybe is false" in message


def test_each_included_report_gets_a_study_of_its_own_even_past_anonymous_z(
    session: Session, review: ReviewPublic, team: Team
) -> None:
    """28 included reports without authors or year: "Anonymous", "Anonymousa".."Anonymousz",
    then the record id tells the 28th apart (one reviewer a record, to keep the file short)."""
    _set_screening(session, review.id, reviewers_per_record=1)
    rows = [(f"A{i}", "", "", "", "", f"Untitled report {i}") for i in range(28)]
    import_file(
        session,
        actor=Actor.operator(),
        review_id=review.id,
        data=records_csv(rows),  # type: ignore[arg-type]
        file_name="anonymous.csv",
        source_name="PubMed",
    )
    lines = [f"A{i},rita,{stage},include,,," for i in range(28) for stage in Stage]
    summary = import_decisions(
        session,
        actor=Actor.operator(),
        review_id=review.id,
        data=decisions_file(lines),
        file_name="d.csv",
    )
    assert len(set(summary.studies)) == 28
    assert summary.studies[:2] == ("Anonymous", "Anonymousa") and "(record " in summary.studies[-1]


def test_a_covidence_style_file_of_lead_decisions_only(
    session: Session, review: ReviewPublic, team: Team, records: dict[str, int]
) -> None:
    """Where each reference ended up (README: Covidence's lists) as the lead's resolutions:
    the statuses and PRISMA follow without any reviewer's vote."""
    lists = {"S1": ("include", "include"), "S2": ("include", "exclude"), "S3": ("exclude", None)}
    lines = []
    for name, (ta, ft) in lists.items():
        lines.append(f"{name},lena,title_abstract,{ta},,,resolution")
        if ft:
            reason = "wrong_comparator" if ft == "exclude" else ""
            lines.append(f"{name},lena,full_text,{ft},{reason},,resolution")
    import_decisions(
        session,
        actor=Actor.operator(),
        review_id=review.id,
        data=decisions_file(lines),
        file_name="c.csv",
    )
    ids = [records[name] for name in lists]
    lead = Actor.user(team["lena"].id)
    assert stage_statuses(session, review_id=review.id, stage=FT, record_ids=ids) == {
        records["S1"]: StageStatus.INCLUDED,
        records["S2"]: StageStatus.EXCLUDED,
        records["S3"]: StageStatus.UNSCREENED,
    }
    counts = prisma_counts(session, actor=lead, review_id=review.id)
    assert "wrong_comparator" in repr(counts) or "Wrong comparator" in repr(counts)
    assert [s.label for s in list_studies(session, actor=lead, review_id=review.id)] == [
        "Author1 2011"
    ]


def _set_screening(session: Session, review_id: int, **settings: object) -> None:
    """Change the review's screening settings as stored (a protocol of another review)."""
    row = session.get(Review, review_id)
    assert row is not None
    row.protocol = {**row.protocol, "screening": {**row.protocol["screening"], **settings}}
    session.add(row)
    session.flush()


def test_an_identifier_of_several_records_is_ambiguous(
    session: Session, review: ReviewPublic, team: Team, records: dict[str, int]
) -> None:
    import_file(
        session,
        actor=Actor.operator(),
        review_id=review.id,
        data=records_csv([("S1", "10.1000/other", "", '"Other, B"', 2001, "A different study")]),
        file_name="scopus.csv",
        source_name="Scopus",
    )
    [(line, column, message)] = problems_of(
        session, review.id, decisions_file(["S1,rita,title_abstract,include,,,"])
    )
    assert (line, column) == (2, "record") and "is the source record id of 2 records" in message


def test_a_missing_column_is_named(
    session: Session, review: ReviewPublic, team: Team, records: dict[str, int]
) -> None:
    [(line, column, message)] = problems_of(
        session, review.id, decisions_file(["S1,rita,include"], header="Record,Reviewer,Vote")
    )
    assert (line, column) == (1, "stage") and "no 'stage' column" in message


def test_a_full_text_marked_not_retrieved_takes_no_full_text_decision(
    session: Session, review: ReviewPublic, team: Team, records: dict[str, int]
) -> None:
    lead = Actor.user(team["lena"].id)
    ta = ["S1,rita,title_abstract,include,,,", "S1,raj,title_abstract,include,,,"]
    import_decisions(
        session, actor=lead, review_id=review.id, data=decisions_file(ta), file_name="ta.csv"
    )
    mark_not_retrieved(
        session, actor=lead, review_id=review.id, record_id=records["S1"], note="not held"
    )
    [(line, column, message)] = problems_of(
        session, review.id, decisions_file(["S1,rita,full_text,include,,,"])
    )
    assert (line, column) == (2, "stage") and "full text marked not retrieved" in message


def test_a_lease_is_no_obstacle_for_its_holder_and_counts_for_others(
    session: Session, review: ReviewPublic, team: Team, records: dict[str, int]
) -> None:
    """A record on a reviewer's screen holds a slot: their imported vote takes it, as their vote
    here would; another's live lease leaves one slot fewer."""
    lena = Actor.user(team["lena"].id)
    shown = next_record(session, actor=lena, review_id=review.id, stage=TA)
    assert shown is not None
    rid = shown.record.id
    name = next(k for k, v in records.items() if v == rid and k.startswith("S"))
    found = problems_of(
        session,
        review.id,
        decisions_file(
            [f"{name},rita,title_abstract,include,,,", f"{name},raj,title_abstract,include,,,"]
        ),
    )
    assert [(line, column) for line, column, _ in found] == [(3, "reviewer")]
    assert "being cast now" in found[0][2]
    import_decisions(
        session,
        actor=Actor.operator(),
        review_id=review.id,
        data=decisions_file(
            [f"{name},rita,title_abstract,include,,,", f"{name},lena,title_abstract,include,,,"]
        ),
        file_name="d.csv",
    )
    slots = session.exec(select(ScreeningSlot).where(ScreeningSlot.record_id == rid)).all()
    assert sorted(s.slot for s in slots) == [1, 2] and all(s.leased_until is None for s in slots)


def test_the_import_refuses_what_casting_and_resolving_refuse_in_their_words(
    session: Session, review: ReviewPublic, team: Team, records: dict[str, int]
) -> None:
    """Each row the protocol does not allow gets the sentence record_vote or resolve gives."""
    _set_screening(session, review.id, allow_maybe=False)
    cases = [  # the row, the column of its problem
        ("S1,rita,title_abstract,maybe,,,", "vote"),  # allow_maybe is false
        ("S2,rita,title_abstract,include,animal_or_in_vitro,,", "reason"),
        ("S3,rita,title_abstract,exclude,wrong_outcomes,,", "reason"),  # a full-text reason
        ("S4,lena,title_abstract,maybe,,,resolution", "vote"),
        ("S5,lena,title_abstract,exclude,no_such_reason,,resolution", "reason"),
    ]
    found = problems_of(session, review.id, decisions_file([row for row, _ in cases]))
    messages = {(line, column): message for line, column, message in found}
    assert len(found) == len(cases)
    for line, (row, column) in enumerate(cases, start=2):
        name, who, stage, vote, reason, _, kind = row.split(",")
        cast = resolve if kind == "resolution" else record_vote
        with pytest.raises(ValidationError) as refused:
            cast(
                session,
                actor=Actor.user(team[who].id),
                review_id=review.id,
                record_id=records[name],
                stage=stage,
                vote=vote,
                reason=reason or None,
            )
        assert messages[line, column] == str(refused.value)


# --- reading ------------------------------------------------------------------------------------


def test_excel_csv_quirks_are_read(
    session: Session, review: ReviewPublic, team: Team, records: dict[str, int]
) -> None:
    """Excel's semicolons, BOM and CRLF; columns in any case and order, others named."""
    text = "Vote;STAGE; Record ;Reviewer;Comments\r\ninclude;title_abstract;S1;rita;café\r\n"
    summary = import_decisions(
        session,
        actor=Actor.operator(),
        review_id=review.id,
        data=b"\xef\xbb\xbf" + text.encode("utf-8"),
        file_name="d.csv",
    )
    assert summary.votes[TA] == 1 and summary.ignored_columns == ("Comments",)


def test_a_workbook_is_read_with_its_row_numbers(
    session: Session, review: ReviewPublic, team: Team, records: dict[str, int]
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["record", "reviewer", "stage", "vote"])
    sheet.append([1001, "rita", "title_abstract", "include"])  # a PMID typed as a number
    sheet.append([])
    sheet.append(["S1", "rita", "full_text", "include"])
    buffer = io.BytesIO()
    book.save(buffer)
    found = problems_of(session, review.id, buffer.getvalue())
    assert [(line, column) for line, column, _ in found] == [(4, "stage")]


def test_a_file_without_rows_is_refused(session: Session, review: ReviewPublic, team: Team) -> None:
    [(line, column, message)] = problems_of(
        session, review.id, b"record,reviewer,stage,vote\n,,,\n"
    )
    assert (line, column) == (None, None) and "no rows below the header" in message


def test_the_readme_documents_each_column_once_as_declared() -> None:
    from tests.conftest import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Moving a review in mid-way", 1)[1].split("\n#", 1)[0]
    rows = [line.split(" | ")[:2] for line in section.splitlines() if line.startswith("| `")]
    shown = [(name.strip("| `"), required == "yes") for name, required in rows]
    assert shown == [(column.name, column.required) for column in COLUMNS]


# --- blinding and the queues after an import -----------------------------------------------------


def test_after_an_import_each_reviewer_is_given_what_they_have_not_voted_on(
    session: Session, review: ReviewPublic, team: Team, records: dict[str, int]
) -> None:
    """Rita's full-text vote is in the file, Raj's is not: the blind review gives Raj the record
    at full text (its title/abstract outcome released), and Rita nothing more there."""
    rows = [
        "S1,rita,title_abstract,include,,,",
        "S1,raj,title_abstract,include,,,",
        "S1,rita,full_text,include,,,",
    ]
    import_decisions(
        session,
        actor=Actor.operator(),
        review_id=review.id,
        data=decisions_file(rows),
        file_name="d.csv",
    )
    raj, rita = Actor.user(team["raj"].id), Actor.user(team["rita"].id)
    given = next_record(session, actor=raj, review_id=review.id, stage=FT)
    assert given is not None and given.record.id == records["S1"]
    assert given.my_vote is None and given.other_votes == []  # blind: not Rita's vote
    assert next_record(session, actor=rita, review_id=review.id, stage=FT) is None
    shown = next_record(session, actor=rita, review_id=review.id, stage=TA)
    assert shown is not None and shown.record.id != records["S1"]
