"""Risk-of-bias files on SQLite and PostgreSQL: export, replace, import, export again gives the
same bytes (CSV and XLSX); robvis's layout read as consensus judgements; every problem by row and
column with nothing written; the plots' bytes the same for the same assessments, and their roles."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from sqlmodel import Session

from review_app.domain.appraisal import table
from review_app.domain.appraisal.model import ALL_OUTCOMES, DomainAssessment, ResultAssessment
from review_app.domain.appraisal.tool import Answer
from review_app.errors import (
    ImportFileError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from review_app.importers import tabular
from review_app.services.appraisal import read_copies, replace_copies
from review_app.services.appraisal_import import import_rob
from review_app.services.exports import EXPORTS
from review_app.services.exports.rob import export_rob, export_rob_plot
from review_app.services.permissions import Actor
from review_app.services.reviews import ReviewPublic
from review_app.services.studies import create_study
from review_app.services.users import UserPublic
from tests.services.screening_helpers import import_titles

PAIN, EVENTS = "pain_intensity", "adverse_events"
OPERATOR = Actor.operator()
# RoB 2 (effect of assignment) answers whose algorithms give Low (the guidance's diagrams).
LOW = {
    "D1": {"1.1": "Y", "1.2": "Y", "1.3": "N"},
    "D2": {"2.1": "N", "2.2": "N", "2.6": "Y"},
    "D3": {"3.1": "Y"},
    "D4": {"4.1": "N", "4.2": "N", "4.3": "N"},
    "D5": {"5.1": "Y", "5.2": "N", "5.3": "N"},
}


def low(domain_id: str, support: str = "") -> DomainAssessment:
    answers = {number: Answer(answer) for number, answer in LOW[domain_id].items()}
    return DomainAssessment(domain_id, answers, "Low", support)


def assessment(
    study: str, outcome: str, assessor: str | None, *domain_ids: str, overall: str | None = None
) -> ResultAssessment:
    return ResultAssessment(
        study=study,
        outcome_id=outcome,
        assessor=assessor,
        tool="rob2",
        domains=tuple(low(d, support=f"{study}: '=quoted' p. 3") for d in domain_ids),
        overall=overall,
    )


@pytest.fixture
def assessed(session: Session, review: ReviewPublic, team: dict[str, UserPublic]) -> int:
    """Two RCTs: Smith's D1 for all outcomes by rita and the consensus, the rest per outcome."""
    records = import_titles(session, review.id, 2)
    for label, record in zip(("Smith 2020", "Lee 2021"), records, strict=True):
        create_study(session, actor=OPERATOR, review_id=review.id, label=label,
                     record_ids=[record], design="randomised controlled trial")  # fmt: skip
    copies = [
        assessment("Smith 2020", ALL_OUTCOMES, "rita", "D1"),
        assessment("Smith 2020", PAIN, "rita", "D2", "D3", "D4", "D5", overall="Low"),
        assessment("Smith 2020", ALL_OUTCOMES, None, "D1"),
        assessment("Smith 2020", PAIN, None, "D2", "D3", "D4", "D5", overall="Low"),
        assessment("Lee 2021", PAIN, None, "D1", "D2", "D3", "D4", "D5", overall="Low"),
    ]
    replace_copies(session, actor=OPERATOR, review_id=review.id, copies=copies)
    return review.id


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_exported_replaced_imported_and_exported_again_is_the_same(
    session: Session, assessed: int, team: dict[str, UserPublic], format: str
) -> None:
    lena = Actor.user(team["lena"].id)
    before = read_copies(session, actor=OPERATOR, review_id=assessed, values="all")
    first = export_rob(session, actor=lena, review_id=assessed, format=format)
    summary = import_rob(
        session, actor=lena, review_id=assessed, data=first, file_name=f"rob.{format}"
    )
    assert (summary.layout, summary.copies, summary.studies) == ("full", 5, 2)
    assert read_copies(session, actor=OPERATOR, review_id=assessed, values="all") == before
    assert export_rob(session, actor=lena, review_id=assessed, format=format) == first


def test_the_csv_holds_every_copy_and_the_workbook_robvis_sheets(
    session: Session, assessed: int
) -> None:
    text = export_rob(session, actor=OPERATOR, review_id=assessed, format="csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["study"], r["outcome"], r["assessor"]) for r in rows] == [
        ("Lee 2021", PAIN, ""),
        ("Smith 2020", ALL_OUTCOMES, "rita"),
        ("Smith 2020", ALL_OUTCOMES, ""),
        ("Smith 2020", PAIN, "rita"),
        ("Smith 2020", PAIN, ""),
    ]
    assert rows[1]["D1 support"] == "Smith 2020: '=quoted' p. 3" and rows[1]["1.3"] == "N"
    workbook = export_rob(session, actor=OPERATOR, review_id=assessed, format="xlsx")
    robvis = tabular.read_table(workbook, source="rob.xlsx", sheet=f"robvis {PAIN}")
    assert robvis.columns == ["Study", "D1", "D2", "D3", "D4", "D5", "Overall", "Weight"]
    assert [cells[:7] for _, cells in robvis.rows] == [
        ["Lee 2021", *["Low"] * 6],
        ["Smith 2020", *["Low"] * 6],  # D1 from the copy for all outcomes
    ]
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        names = archive.read("xl/workbook.xml").decode()
    assert names.index(table.FULL_SHEET) < names.index(f"robvis {PAIN}")


def test_robvis_judgements_are_imported_as_the_outcome_s_consensus(
    session: Session, assessed: int, team: dict[str, UserPublic]
) -> None:
    data = b"Study,D1,D2,D3,D4,D5,Overall,Weight\nLee 2021,Low,High,Low,Low,Low,High,\n"
    lena = Actor.user(team["lena"].id)
    summary = import_rob(
        session, actor=lena, review_id=assessed, data=data, file_name="robvis.csv", outcome=EVENTS
    )
    assert (summary.layout, summary.copies) == ("robvis", 1)
    [lee] = [
        c
        for c in read_copies(session, actor=OPERATOR, review_id=assessed, values="consensus")
        if c.outcome_id == EVENTS
    ]
    assert [(d.domain, d.judgement, dict(d.answers)) for d in lee.domains][1] == ("D2", "High", {})
    assert lee.overall == "High" and lee.assessor is None
    with pytest.raises(ImportFileError, match="name it with --outcome"):
        import_rob(session, actor=lena, review_id=assessed, data=data, file_name="robvis.csv")


def test_problems_are_named_by_row_and_nothing_is_written(
    session: Session, assessed: int, team: dict[str, UserPublic]
) -> None:
    lena = Actor.user(team["lena"].id)
    before = read_copies(session, actor=OPERATOR, review_id=assessed, values="all")
    text = export_rob(session, actor=OPERATOR, review_id=assessed, format="csv").decode("utf-8-sig")
    lines = text.splitlines()
    lines[1] = lines[1].replace("Lee 2021", "Nobody 1999", 1)  # a study the review lacks
    lines[2] = lines[2].replace(",rita,", ",ruth,", 1)  # not a member
    lines[3] = lines[3].replace(",Low,", ",Fine,", 1)  # not a judgement
    data = "\n".join(lines).encode()
    with pytest.raises(ImportFileError) as raised:
        import_rob(session, actor=lena, review_id=assessed, data=data, file_name="rob.csv")
    assert [problem.line for problem in raised.value.problems] == [4]
    assert "'Fine' is not a RoB 2 judgement" in str(raised.value)
    lines[3] = lines[3].replace(",Fine,", ",Low,", 1)
    with pytest.raises(ImportFileError) as raised:
        import_rob(session, actor=lena, review_id=assessed, data="\n".join(lines).encode(),
                   file_name="rob.csv")  # fmt: skip
    assert [(p.line, p.field) for p in raised.value.problems] == [(2, "study"), (3, "assessor")]
    assert read_copies(session, actor=OPERATOR, review_id=assessed, values="all") == before


def test_the_import_is_for_leads(
    session: Session, assessed: int, team: dict[str, UserPublic]
) -> None:
    data = export_rob(session, actor=OPERATOR, review_id=assessed, format="csv")
    with pytest.raises(PermissionDeniedError):
        import_rob(session, actor=Actor.user(team["rita"].id), review_id=assessed, data=data,
                   file_name="rob.csv")  # fmt: skip


@pytest.mark.parametrize("format", ["svg", "png", "pdf"])
def test_plots_are_the_same_bytes_for_the_same_assessments(
    session: Session, assessed: int, format: str
) -> None:
    def plot(**options: str) -> bytes:
        return export_rob_plot(
            session, actor=OPERATOR, review_id=assessed, format=format, **options
        )

    traffic = plot()
    assert traffic == plot(type="traffic-light", outcome=PAIN)  # the first outcome by default
    assert plot(type="summary") != traffic
    assert {"svg": b"<?xml", "png": b"\x89PNG", "pdf": b"%PDF"}[format] in traffic[:16]
    if format == "svg":
        assert b"Smith 2020" in traffic and b"Lee 2021" in traffic


def test_the_plot_registry_entry_keeps_its_roles_and_checks_its_options(
    session: Session, assessed: int, team: dict[str, UserPublic]
) -> None:
    export, rita = EXPORTS["rob-plot"], Actor.user(team["rita"].id)
    lena = Actor.user(team["lena"].id)
    [made] = export.make(session, actor=lena, review_id=assessed, format="svg", type="summary")
    assert made.data.startswith(b"<?xml")
    with pytest.raises(PermissionDeniedError):
        export.make(session, actor=rita, review_id=assessed, format="svg")
    with pytest.raises(ValidationError, match="format 'docx': allowed are svg, png, pdf"):
        export.make(session, actor=lena, review_id=assessed, format="docx")
    with pytest.raises(ValidationError, match="plot type 'pie': allowed are traffic-light"):
        export.make(session, actor=lena, review_id=assessed, format="svg", type="pie")
    with pytest.raises(NotFoundError, match="'pain'"):
        export.make(session, actor=lena, review_id=assessed, format="svg", outcome="pain")


def test_a_review_with_both_tools_has_both_s_columns_and_a_robvis_sheet_per_tool(
    session: Session, assessed: int, team: dict[str, UserPublic]
) -> None:
    [record] = import_titles(session, assessed, 1)
    create_study(session, actor=OPERATOR, review_id=assessed, label="Ng 2022",
                 record_ids=[record], design="non-randomised controlled study")  # fmt: skip
    ng = ResultAssessment(
        study="Ng 2022",
        outcome_id=PAIN,
        assessor=None,
        tool="robins-i",
        domains=(DomainAssessment("D7", {"7.1": Answer.N}, "Moderate", "Protocol not found."),),
        overall="Moderate",
        overall_support="D7 only so far.",
    )
    replace_copies(session, actor=OPERATOR, review_id=assessed, copies=[ng])
    lena = Actor.user(team["lena"].id)
    workbook = export_rob(session, actor=lena, review_id=assessed, format="xlsx")
    full = tabular.read_table(workbook, source="rob.xlsx")
    assert {"5.3", "6.1", "7.3", "D7 support"} <= set(full.columns)
    robins = tabular.read_table(workbook, source="rob.xlsx", sheet=f"robvis {PAIN} ROBINS-I")
    assert robins.columns[:9] == ["Study", *(f"D{n}" for n in range(1, 8)), "Overall"]
    assert robins.rows[0][1][0] == "Ng 2022" and robins.rows[0][1][7:9] == ["Moderate"] * 2
    before = read_copies(session, actor=OPERATOR, review_id=assessed, values="all")
    import_rob(session, actor=lena, review_id=assessed, data=workbook, file_name="rob.xlsx")
    assert read_copies(session, actor=OPERATOR, review_id=assessed, values="all") == before
