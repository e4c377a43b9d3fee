"""The extraction file through the services, on SQLite and PostgreSQL: exported, replaced,
imported and exported again gives the same bytes; rows name studies by label or report; every
problem is listed by row and column and nothing is written; leads only."""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from review_app.domain.extraction import table
from review_app.domain.extraction.model import Arm, Design, Result, StudyExtraction
from review_app.domain.vocabulary import ArmRole, EffectMeasure, StudyDesign
from review_app.errors import ImportFileError, PermissionDeniedError
from review_app.importers.record import Limits
from review_app.models import Record
from review_app.services.exports import EXPORTS
from review_app.services.exports.extraction import export_extraction, revman_sheets
from review_app.services.extraction import VALUES, read_copies, replace_copies
from review_app.services.extraction_import import import_extraction
from review_app.services.imports import import_file
from review_app.services.permissions import Actor
from review_app.services.reviews import ReviewPublic, get_protocol
from review_app.services.studies import create_study
from review_app.services.users import UserPublic

PAIN, RELIEF = "pain_intensity", "pain_relief_30"
RIS = "".join(
    "".join(f"{tag}  - {value}\n" for tag, value in record) + "ER  - \n\n"
    for record in (
        [("TY", "JOUR"), ("TI", "Kratom and cold pressor pain"), ("PY", "2020"),
         ("DO", "10.1000/Kratom.2020"), ("DB", "PubMed"), ("AN", "32000001")],
        [("TY", "JOUR"), ("TI", "Kratom in chronic pain"), ("PY", "2021"), ("ID", "cochrane-77")],
    )
).encode()  # fmt: skip
ARMS = (
    Arm("Kratom", ArmRole.INTERVENTION, "kratom decoction", 26),
    Arm("Placebo", ArmRole.COMPARATOR, "placebo drink", 26),
)


def pain(arm: str, values: dict[str, float], **fields: object) -> Result:
    base = Result(outcome_id=PAIN, timepoint="1 h", arm=arm, format="mean_sd", values=values)
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


def copies() -> list[StudyExtraction]:
    """Two studies: the first with both extractors' copies and the consensus."""
    vick = StudyExtraction(
        study="Vicknasingam 2020",
        extractor=None,
        design=Design(kind=StudyDesign.CROSSOVER, crossover_correlation=0.5, note="=2 periods"),
        characteristics={"country": "Malaysia", "n_randomised": "26"},
        arms=ARMS,
        results=(
            pain("Kratom", {"n": 26, "mean": 12.5, "sd": 4.25}),
            pain("Placebo", {"n": 26, "median": 10, "q1": 8, "q3": 13}, format="median_iqr"),
            pain(
                "Kratom",
                {"estimate": 2.5, "se": 0.8},
                format="estimate_se",
                comparator="Placebo",
                measure=EffectMeasure.MD,
                adjusted=True,
            ),
            Result(RELIEF, "1 h", "Kratom", "events_total", {"events": 9, "total": 26}),
        ),
        indirect_evidence="healthy volunteers, experimental pain",
    )
    rita = dataclasses.replace(vick, extractor="rita", characteristics={"country": "Malaysia"})
    raj = dataclasses.replace(vick, extractor="raj", results=vick.results[:1], complete=False)
    lee = StudyExtraction(study="Lee 2021", extractor=None, arms=ARMS[:1])
    return [rita, raj, vick, lee]


@pytest.fixture
def lead(team: dict[str, UserPublic]) -> Actor:
    return Actor.user(team["lena"].id)


@pytest.fixture
def studies(session: Session, review: ReviewPublic) -> list[str]:
    summary = import_file(
        session, actor=Actor.operator(), review_id=review.id, data=RIS, file_name="two.ris",
        source_name="PubMed",
    )  # fmt: skip
    assert summary.imported == 2
    ids = list(session.exec(select(Record.id).where(Record.review_id == review.id)
                            .order_by(col(Record.id))))  # fmt: skip
    labels = ["Vicknasingam 2020", "Lee 2021"]
    for label, record_id in zip(labels, ids, strict=True):
        create_study(session, actor=Actor.operator(), review_id=review.id, label=label,
                     record_ids=[record_id])  # fmt: skip
    return labels


@pytest.fixture
def filled(session: Session, review: ReviewPublic, lead: Actor, studies: list[str]) -> None:
    replace_copies(session, actor=lead, review_id=review.id, copies=copies())


def export(session: Session, review: ReviewPublic, lead: Actor, format: str, values: str) -> bytes:
    return export_extraction(
        session,
        actor=lead,
        review_id=review.id,
        format=format,
        values=values,  # type: ignore[arg-type]
    )


def rows_of(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.usefixtures("filled")
@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_exported_replaced_imported_and_exported_again_is_the_same_bytes(
    session: Session, review: ReviewPublic, lead: Actor, format: str
) -> None:
    before = read_copies(session, actor=lead, review_id=review.id, values="all")
    data = export(session, review, lead, format, "all")
    wiped = [StudyExtraction(study=c.study, extractor=c.extractor) for c in before]
    replace_copies(session, actor=lead, review_id=review.id, copies=wiped)
    assert read_copies(session, actor=lead, review_id=review.id, values="all") == wiped
    summary = import_extraction(
        session, actor=lead, review_id=review.id, data=data, file_name=f"x.{format}"
    )
    assert summary.describe() == (
        f"x.{format}: imported 4 extraction copies of 2 studies (7 arms, 9 results)"
    )
    assert read_copies(session, actor=lead, review_id=review.id, values="all") == before
    assert export(session, review, lead, format, "all") == data


@pytest.mark.usefixtures("filled")
def test_the_csv_is_the_long_layout_with_derived_values(
    session: Session, review: ReviewPublic, lead: Actor
) -> None:
    rows = rows_of(export(session, review, lead, "csv", "consensus"))
    assert {row["extractor"] for row in rows} == {""}
    vick = [row for row in rows if row["study"] == "Vicknasingam 2020"]
    assert [(r["arm"], r["outcome"], r["format"]) for r in vick] == [
        ("Kratom", "", ""),
        ("Placebo", "", ""),
        ("Kratom", PAIN, "mean_sd"),
        ("Placebo", PAIN, "median_iqr"),
        ("Kratom", PAIN, "estimate_se"),
        ("Kratom", RELIEF, "events_total"),
    ]
    assert {r["design_note"] for r in vick} == {"'=2 periods"}  # neutralised, read back as is
    median = vick[3]
    assert median["derived_estimated"] == "yes" and "Wan" in median["derived_formulas"]
    assert vick[4]["comparator"] == "Placebo" and vick[4]["adjusted"] == "yes"
    assert rows[0]["study"] == "Lee 2021" and rows[0]["arm"] == "Kratom"  # studies by label


@pytest.mark.usefixtures("filled")
def test_the_workbook_has_a_revman_sheet_per_outcome(
    session: Session, review: ReviewPublic, lead: Actor
) -> None:
    data = export(session, review, lead, "xlsx", "all")
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    outcome_sheets = [f"RevMan {o}"[:31] for o in (PAIN, RELIEF)]
    assert workbook.sheetnames[0] == "Extraction"
    assert set(outcome_sheets) <= set(workbook.sheetnames)
    pain_rows = list(workbook[outcome_sheets[0]].iter_rows(values_only=True))
    assert pain_rows[0] == tuple(table.revman_header("continuous"))
    (study,) = pain_rows[1:]  # the consensus copy of Vicknasingam 2020 only
    assert study[:6] == ("Vicknasingam 2020", "1 h", "Kratom", "Placebo", 12.5, 4.25)
    assert study[6] == 26 and study[9] == 26
    assert study[10].startswith("indirect evidence, left out of the main analyses")
    assert "Placebo: estimated by" in study[10]
    relief = list(workbook[outcome_sheets[1]].iter_rows(values_only=True))
    assert relief[1][4:8] == (9, 26, None, None)
    assert relief[1][8].endswith("Placebo: no result at this time point")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(2000, 1, 1, 0, 0, 0)}


def file_of(*rows: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


@pytest.mark.usefixtures("studies")
def test_rows_may_name_their_study_by_a_reports_doi_pmid_or_source_id(
    session: Session, review: ReviewPublic, lead: Actor
) -> None:
    data = file_of(
        ["report", "arm", "arm_role"],
        ["https://doi.org/10.1000/KRATOM.2020", "Kratom", "intervention"],
        ["PMID: 32000001", "Placebo", "comparator"],
        ["cochrane-77", "Usual care", "comparator"],
    )
    import_extraction(session, actor=lead, review_id=review.id, data=data, file_name="r.csv")
    got = read_copies(session, actor=lead, review_id=review.id, values="consensus")
    assert [(c.study, [a.label for a in c.arms]) for c in got] == [
        ("Lee 2021", ["Usual care"]),
        ("Vicknasingam 2020", ["Kratom", "Placebo"]),
    ]


@pytest.mark.usefixtures("filled")
def test_every_problem_is_listed_by_row_and_column_and_nothing_is_written(
    session: Session, review: ReviewPublic, lead: Actor
) -> None:
    before = read_copies(session, actor=lead, review_id=review.id, values="all")
    data = file_of(
        ["study", "extractor", "field:country", "field:n_randomised", "arm", "arm_role",
         "outcome", "timepoint", "format", "mean", "sd", "n"],
        ["Vicknasingam 2020", "", "Malaysia", "twenty", "Kratom", "intervention", "", "", "",
         "", "", ""],
        ["Vicknasingam 2020", "", "Malaysia", "twenty", "Kratom", "", PAIN, "1 h", "mean_sd",
         "3", "-1", "26"],
        ["Smith 1999", "", "", "", "A", "intervention", "", "", "", "", "", ""],
        ["Lee 2021", "", "", "", "A", "intervention", "mood", "", "mean_sd", "3", "1", "20"],
        ["Lee 2021", "", "", "", "A", "", PAIN, "", "mean_sd", "3", "1", "n/a"],
    )  # fmt: skip
    with pytest.raises(ImportFileError) as refused:
        import_extraction(session, actor=lead, review_id=review.id, data=data, file_name="b.csv")
    outcomes = ", ".join(_outcome_ids(session, review))
    assert str(refused.value).splitlines() == [
        "b.csv: nothing was imported; 5 problem(s):",
        "  - b.csv: row 2, column field:n_randomised: Participants randomised or allocated: "
        "'twenty' is not a number; write a whole number such as 12 (digits, a point before "
        "decimals).",
        "  - b.csv: row 3, column sd: SD must be above 0 (got -1).",
        "  - b.csv: row 4, column study: 'Smith 1999' is not a study of this review; its "
        "studies: Lee 2021, Vicknasingam 2020",
        f"  - b.csv: row 5, column outcome: 'mood' is not an outcome of the protocol; its "
        f"outcomes: {outcomes}",
        "  - b.csv: row 6, column n: 'n/a' is not a number; write e.g. 12.5 (a point as the "
        "decimal mark, no unit)",
    ]
    assert read_copies(session, actor=lead, review_id=review.id, values="all") == before


def _outcome_ids(session: Session, review: ReviewPublic) -> list[str]:
    return [outcome.id for outcome in get_protocol(session, review.id).outcomes]


@pytest.mark.usefixtures("filled")
def test_what_the_service_refuses_is_listed_and_nothing_is_written(
    session: Session, review: ReviewPublic, lead: Actor
) -> None:
    data = file_of(
        ["study", "extractor", "arm", "arm_role"],
        ["Lee 2021", "nobody", "A", "intervention"],
    )
    with pytest.raises(ImportFileError, match="'nobody' is not a member of this review"):
        import_extraction(session, actor=lead, review_id=review.id, data=data, file_name="n.csv")


@pytest.mark.usefixtures("filled")
def test_leads_only(session: Session, review: ReviewPublic, team: dict[str, UserPublic]) -> None:
    rita = Actor.user(team["rita"].id)
    with pytest.raises(PermissionDeniedError):
        export_extraction(session, actor=rita, review_id=review.id, format="csv")
    data = file_of(["study", "arm", "arm_role"], ["Lee 2021", "A", "intervention"])
    with pytest.raises(PermissionDeniedError):
        import_extraction(session, actor=rita, review_id=review.id, data=data, file_name="a.csv")


@pytest.mark.usefixtures("studies")
def test_files_beyond_the_limits_or_unreadable_are_refused(
    session: Session, review: ReviewPublic, lead: Actor
) -> None:
    rows = file_of(["study", "arm", "arm_role"], *[["Lee 2021", f"A{i}", "comparator"]
                                                   for i in range(3)])  # fmt: skip
    few = Limits(max_records=2)
    with pytest.raises(ImportFileError, match="more than 2 rows"):
        import_extraction(session, actor=lead, review_id=review.id, data=rows, file_name="l.csv",
                          limits=few)  # fmt: skip
    with pytest.raises(ImportFileError, match="a quote is not closed"):
        import_extraction(session, actor=lead, review_id=review.id,
                          data=b'study,arm\n"Lee 2021,A\n', file_name="q.csv")  # fmt: skip
    with pytest.raises(ImportFileError, match="not a readable Excel workbook"):
        import_extraction(session, actor=lead, review_id=review.id,
                          data=b"PK\x03\x04broken", file_name="w.xlsx")  # fmt: skip


def test_the_registry_entry_offers_the_services_values() -> None:
    export = EXPORTS["extraction"]
    (values,) = export.options
    assert values.choices == VALUES and values.default == "consensus"
    assert export.formats == ("csv", "xlsx") and export.function.startswith("extraction:")


def test_revman_sheet_names_fit_excel_and_stay_distinct() -> None:
    long_ids = {"a" * 40: "continuous", "a" * 41: "dichotomous", "b": "continuous"}
    names = list(revman_sheets([], long_ids))
    assert names == [f"RevMan {'a' * 24}", f"RevMan {'a' * 20} (2)", "RevMan b"]
    assert all(len(name) <= 31 for name in names)
