"""The saved meta-analyses' exports on SQLite and PostgreSQL: the tables (three CSV files or three
sheets) hold each analysis's settings, studies and pooled rows with the numbers the service's run
gives, to the last bit; a stale analysis is flagged (and stays so: an export writes nothing); the
forest plot carries the consensus risk of bias; the funnel plot waits for 10 studies; who may
have them is the analyses' rule; the plot's analysis is a choice the review lists."""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from review_app.domain.appraisal.model import DomainAssessment, ResultAssessment
from review_app.domain.appraisal.tool import Answer
from review_app.domain.extraction.model import Result
from review_app.domain.meta.model import Method
from review_app.domain.meta.model import Test as PoolTest
from review_app.domain.meta.plots import forest_plot
from review_app.domain.meta.plots.rows import study_weights
from review_app.domain.vocabulary import EffectMeasure
from review_app.errors import NotFoundError, PermissionDeniedError, ValidationError
from review_app.services import appraisal
from review_app.services.analyses import (
    AnalysisRun,
    AnalysisSpec,
    list_analyses,
    run_saved,
    save_analysis,
)
from review_app.services.exports import EXPORTS
from review_app.services.exports.analyses import (
    POOLED,
    RESULT,
    SETTINGS,
    SHEETS,
    STUDIES,
    analysis_names,
    export_analyses,
    export_analysis_plot,
)
from review_app.services.extraction import replace_copies
from review_app.services.studies import create_study
from tests.services.screening_helpers import import_titles
from tests.services.test_analyses import (
    CONSENSUS,
    KRATOM_PLACEBO,
    LEAD,
    PAIN,
    WEEK4,
    copy,
    make_review,
    member,
    pain,
)

MD_NAME, SUBGROUPS_NAME = "Pain MD", "Pain: by country (DL)"
MD_SPEC = AnalysisSpec(PAIN, EffectMeasure.MD, timepoint=WEEK4)
SUBGROUPS_SPEC = AnalysisSpec(
    PAIN,
    EffectMeasure.MD,
    timepoint=WEEK4,
    method=Method.DL,
    test=PoolTest.Z,
    subgroup="country",
    excluded=("Baker 2020",),
    exclusion_rule="two doses combined",
)


def save_both(session: Session, review_id: int) -> None:
    for name, spec in ((SUBGROUPS_NAME, SUBGROUPS_SPEC), (MD_NAME, MD_SPEC)):
        save_analysis(session, actor=LEAD, review_id=review_id, name=name, spec=spec)


@pytest.fixture
def review_id(session: Session) -> int:
    """The kratom review with three studies pooled at 4 weeks (Adams, Baker, Chan) and others
    left out, and two saved analyses."""
    review_id = make_review(session)
    save_both(session, review_id)
    return review_id


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def runs(session: Session, review_id: int) -> dict[str, AnalysisRun]:
    return {
        view.name: run_saved(session, actor=LEAD, review_id=review_id, analysis_id=view.id)
        for view in list_analyses(session, actor=LEAD, review_id=review_id)
    }


def test_the_csv_is_three_files_with_each_analysis_s_settings_studies_and_pooled_rows(
    session: Session, review_id: int
) -> None:
    files = export_analyses(session, actor=LEAD, review_id=review_id, format="csv")
    assert list(files) == ["settings", "studies", "pooled"]
    tables = {part: read_csv(data) for part, data in files.items()}
    assert [list(tables[part][0]) for part in files] == [list(SETTINGS), list(STUDIES),
                                                        list(POOLED)]  # fmt: skip
    settings = {row["analysis"]: row for row in tables["settings"]}
    assert list(settings) == [MD_NAME, SUBGROUPS_NAME]  # by name
    grouped = settings[SUBGROUPS_NAME]
    assert (grouped["measure"], grouped["method"], grouped["test"], grouped["subgroup"]) == (
        "MD",
        "DL",
        "z",
        "country",
    )
    assert (grouped["excluded"], grouped["exclusion_rule"], grouped["stale"]) == (
        "Baker 2020",
        "two doses combined",
        "no",
    )
    assert (settings[MD_NAME]["test"], settings[MD_NAME]["k"]) == ("knha", "3")
    assert settings[MD_NAME]["incomplete"] == "Chan 2021"
    assert settings[MD_NAME]["created_by"] == "" and settings[MD_NAME]["timepoint"] == WEEK4

    run = runs(session, review_id)[MD_NAME]
    studies = [row for row in tables["studies"] if row["analysis"] == MD_NAME]
    pooled_studies = [row for row in studies if row["pooled"] == "yes"]
    assert [row["study"] for row in pooled_studies] == ["Adams 2019", "Baker 2020", "Chan 2021"]
    weights = study_weights(run.analysis)
    for row, effect in zip(pooled_studies, run.analysis.effects, strict=True):
        # Full precision: the text reads back as the very float the service computed.
        assert (float(row["yi"]), float(row["vi"])) == (effect.yi, effect.vi)
        assert float(row["weight"]) == weights[effect.study]
        half = 1.959963984540054 * math.sqrt(effect.vi)
        assert float(row["ci_low"]) == pytest.approx(effect.yi - half, rel=1e-15)
        assert float(row["estimate"]) == effect.yi  # MD: the measure's scale is yi's
    adams, baker, chan = pooled_studies
    assert (adams["mean_t"], adams["sd_t"], adams["n_t"], adams["n_c"]) == ("4.0", "2.0", "20",
                                                                            "25")  # fmt: skip
    assert adams["converted"] == (
        "comparator arm 'Placebo': SD = SE × √n (Cochrane Handbook 6.4, 6.5.2.2)"
    )
    assert baker["combined"] == "Low dose; High dose"
    assert chan["mean_t"] == "" and chan["complete"] == "no"  # a generic estimate: yi and vi
    left = {row["study"]: row["reason"] for row in studies if row["pooled"] == "no"}
    assert left["Diaz 2018"] == "intervention arm 'Kratom': SD not reported or not usable"
    assert set(left) == {"Diaz 2018", "Evans 2022", "Ford 2017", "Gray 2023"}

    [overall] = [row for row in tables["pooled"] if row["analysis"] == MD_NAME]
    pooled = run.analysis.pooled
    assert pooled is not None and overall["part"] == "overall"
    for field in RESULT:
        if field == "q_df":
            continue  # an integer, below
        assert float(overall[field]) == getattr(pooled, field), field
    assert (overall["k"], overall["q_df"], overall["exp_estimate"]) == ("3", "2", "")


def test_subgroups_and_the_test_for_differences_are_pooled_rows(
    session: Session, review_id: int
) -> None:
    files = export_analyses(session, actor=LEAD, review_id=review_id, format="csv")
    rows = [row for row in read_csv(files["pooled"]) if row["analysis"] == SUBGROUPS_NAME]
    run = runs(session, review_id)[SUBGROUPS_NAME]
    assert run.subgroups is not None and run.subgroups.difference is not None
    assert [(row["part"], row["subgroup"]) for row in rows] == [
        ("overall", ""),
        *(("subgroup", part.name) for part in run.subgroups.subgroups),
        ("subgroup difference", ""),
    ]
    for row, part in zip(rows[1:-1], run.subgroups.subgroups, strict=True):
        assert part.analysis.pooled is not None
        assert float(row["estimate"]) == part.analysis.pooled.estimate
    difference = run.subgroups.difference
    assert (float(rows[-1]["q"]), int(rows[-1]["q_df"]), float(rows[-1]["q_p"])) == (
        difference.q,
        difference.df,
        difference.p,
    )
    studies = read_csv(files["studies"])
    baker = next(
        r for r in studies if r["analysis"] == SUBGROUPS_NAME and r["study"] == "Baker 2020"
    )
    assert (baker["pooled"], baker["reason"]) == (
        "no",
        "left out by the analysis: two doses combined",
    )


def test_the_workbook_has_a_sheet_each_with_numbers_as_numbers(
    session: Session, review_id: int
) -> None:
    files = EXPORTS["analyses"].make(session, actor=LEAD, review_id=review_id, format="xlsx")
    assert [file.suffix for file in files] == [""]
    book = load_workbook(io.BytesIO(files[0].data), read_only=True)
    assert book.sheetnames == list(SHEETS.values()) == ["Analyses", "Studies", "Pooled"]
    pooled = [list(row) for row in book["Pooled"].iter_rows(values_only=True)]
    assert tuple(pooled[0]) == POOLED
    header = list(POOLED)
    overall = next(row for row in pooled if row[0] == MD_NAME)
    result = runs(session, review_id)[MD_NAME].analysis.pooled
    assert result is not None
    assert overall[header.index("estimate")] == result.estimate  # a number, every bit of it
    assert overall[header.index("tau2")] == result.tau2
    # The same tables as the CSV files.
    csv_files = export_analyses(session, actor=LEAD, review_id=review_id, format="csv")
    assert len(pooled) - 1 == len(read_csv(csv_files["pooled"]))


def test_a_ratio_is_back_transformed_beside_its_log(session: Session, review_id: int) -> None:
    """An analysis of log odds ratios (dichotomous data) gives exp_* columns."""
    from tests.services.test_analyses import AE

    records = import_titles(session, review_id, 2)
    copies = []
    for label, record, events in zip(("Hill 2020", "Ito 2021"), records, (5, 9), strict=True):
        create_study(session, actor=LEAD, review_id=review_id, label=label, record_ids=[record])
        copies.append(
            copy(
                label,
                KRATOM_PLACEBO,
                Result(AE, WEEK4, "Kratom", "events_total", {"events": events, "total": 30}),
                Result(AE, WEEK4, "Placebo", "events_total", {"events": 2, "total": 31}),
            )
        )
    replace_copies(session, actor=LEAD, review_id=review_id, copies=[*CONSENSUS, *copies])
    spec = AnalysisSpec(AE, EffectMeasure.OR, method=Method.MH, test=PoolTest.Z)
    save_analysis(session, actor=LEAD, review_id=review_id, name="AE", spec=spec)
    files = export_analyses(session, actor=LEAD, review_id=review_id, format="csv")
    [overall] = [row for row in read_csv(files["pooled"]) if row["analysis"] == "AE"]
    pooled = runs(session, review_id)["AE"].analysis.pooled
    assert pooled is not None
    assert float(overall["exp_estimate"]) == math.exp(pooled.estimate)
    assert float(overall["exp_ci_high"]) == math.exp(pooled.ci_high)
    assert overall["tau2"] == "" and overall["method"] == "MH"  # no tau-squared for MH
    studies = [row for row in read_csv(files["studies"]) if row["analysis"] == "AE"]
    hill = next(row for row in studies if row["study"] == "Hill 2020")
    assert (hill["events_t"], hill["n_t"], hill["events_c"], hill["n_c"]) == ("5", "30", "2",
                                                                              "31")  # fmt: skip
    assert float(hill["estimate"]) == math.exp(float(hill["yi"]))


def test_a_stale_analysis_is_flagged_and_stays_flagged_after_its_export(
    session: Session, tmp_path: Path
) -> None:
    review_id = make_review(session, blind=False, tmp_path=tmp_path)
    save_both(session, review_id)
    changed = dataclasses.replace(
        CONSENSUS[0], results=(*CONSENSUS[0].results[:1], CONSENSUS[1].results[2])
    )
    replace_copies(session, actor=LEAD, review_id=review_id, copies=[changed, *CONSENSUS[1:]])
    for _ in range(2):  # the export writes nothing: still stale the second time
        files = export_analyses(session, actor=LEAD, review_id=review_id, format="csv")
        assert {row["analysis"]: row["stale"] for row in read_csv(files["settings"])} == {
            MD_NAME: "yes",
            SUBGROUPS_NAME: "yes",
        }
    assert all(view.stale for view in list_analyses(session, actor=LEAD, review_id=review_id))


def test_a_reviewer_is_refused_while_extraction_is_blind_and_served_once_it_is_not(
    session: Session, review_id: int, tmp_path: Path
) -> None:
    rita = member(session, review_id, "rita", "reviewer")
    for name, format in (("analyses", "csv"), ("analyses", "xlsx"), ("analysis-plot", "svg")):
        with pytest.raises(PermissionDeniedError, match="for leads while extraction is blind"):
            EXPORTS[name].make(session, actor=rita, review_id=review_id, format=format)
    with pytest.raises(PermissionDeniedError):
        analysis_names(session, actor=rita, review_id=review_id)
    open_id = make_review(session, blind=False, tmp_path=tmp_path)
    save_both(session, open_id)
    raj = member(session, open_id, "raj", "reviewer")
    files = export_analyses(session, actor=raj, review_id=open_id, format="csv")
    assert len(read_csv(files["settings"])) == 2
    assert export_analysis_plot(session, actor=raj, review_id=open_id, format="svg")


def test_the_plot_is_the_named_analysis_s_forest_with_the_consensus_risk_of_bias(
    session: Session, review_id: int
) -> None:
    (option, plot) = EXPORTS["analysis-plot"].options
    assert option.is_dynamic and option.choices == () and option.default == ""
    assert option.review_choices(session, actor=LEAD, review_id=review_id) == (
        MD_NAME,
        SUBGROUPS_NAME,
    )
    assert plot.review_choices(session, actor=LEAD, review_id=review_id) == ("forest", "funnel")
    first = export_analysis_plot(session, actor=LEAD, review_id=review_id, format="svg")
    named = export_analysis_plot(
        session, actor=LEAD, review_id=review_id, format="svg", analysis="  pain   md "
    )
    assert first == named  # "" is the first by name; a name is matched as it is saved
    run = runs(session, review_id)[MD_NAME]
    assert first == forest_plot(run.analysis, fmt="svg", labels=run.labels)  # nothing assessed
    grouped = export_analysis_plot(
        session, actor=LEAD, review_id=review_id, format="svg", analysis=SUBGROUPS_NAME
    )
    assert grouped != first and b"Malaysia" in grouped

    # A consensus risk-of-bias assessment of two studies' pain results: the forest's columns.
    low = {"D1": {"1.1": "Y", "1.2": "Y", "1.3": "N"}, "D2": {"2.1": "N", "2.2": "N", "2.6": "Y"}}
    domains = tuple(
        DomainAssessment(domain, {k: Answer(v) for k, v in answers.items()}, "Low", "")
        for domain, answers in low.items()
    )
    copies = [
        ResultAssessment(study, PAIN, None, "rob2", domains=domains, overall="Low")
        for study in ("Adams 2019", "Baker 2020")
    ]
    appraisal.replace_copies(session, actor=LEAD, review_id=review_id, copies=copies)
    with_rob = export_analysis_plot(session, actor=LEAD, review_id=review_id, format="svg")
    rob = appraisal.rob_table(session, actor=LEAD, review_id=review_id, outcome_id=PAIN)
    assert with_rob != first
    assert with_rob == forest_plot(run.analysis, fmt="svg", labels=run.labels, risk_of_bias=rob)
    for format, start in (("png", b"\x89PNG"), ("pdf", b"%PDF")):
        made = export_analysis_plot(session, actor=LEAD, review_id=review_id, format=format)
        assert made.startswith(start)


def test_a_plot_of_no_analysis_an_unknown_name_or_too_few_studies_is_refused_in_words(
    session: Session, review_id: int, tmp_path: Path
) -> None:
    with pytest.raises(NotFoundError) as unknown:
        export_analysis_plot(session, actor=LEAD, review_id=review_id, format="svg", analysis="X")
    assert str(unknown.value) == (
        "no saved analysis named 'X'; the saved analyses are 'Pain MD', 'Pain: by country (DL)'"
    )
    with pytest.raises(ValidationError, match="'Pain MD': No funnel plot and no Egger's test"):
        export_analysis_plot(session, actor=LEAD, review_id=review_id, format="svg", plot="funnel")
    with pytest.raises(ValidationError, match="plot 'violin': allowed are forest, funnel"):
        export_analysis_plot(session, actor=LEAD, review_id=review_id, format="svg", plot="violin")
    with pytest.raises(ValidationError, match="format 'csv': allowed are svg, png, pdf"):
        export_analysis_plot(session, actor=LEAD, review_id=review_id, format="csv")
    empty = make_review(session, blind=False, tmp_path=tmp_path)
    with pytest.raises(ValidationError, match="the review has no saved analyses"):
        export_analysis_plot(session, actor=LEAD, review_id=empty, format="svg")
    # The tables of a review without saved analyses: the headers only.
    files = export_analyses(session, actor=LEAD, review_id=empty, format="csv")
    assert [read_csv(data) for data in files.values()] == [[], [], []]


def test_the_funnel_plot_of_ten_studies(session: Session) -> None:
    review_id = make_review(session)
    labels = [f"Study {number:02d}" for number in range(10)]
    records = import_titles(session, review_id, len(labels))
    copies = []
    for number, (label, record) in enumerate(zip(labels, records, strict=True)):
        create_study(session, actor=LEAD, review_id=review_id, label=label, record_ids=[record])
        copies.append(
            copy(
                label,
                KRATOM_PLACEBO,
                pain("Kratom", n=10 + 3 * number, mean=4.0 - number / 10, sd=1.5),
                pain("Placebo", n=12 + number, mean=5.0, sd=1.4),
            )
        )
    replace_copies(session, actor=LEAD, review_id=review_id, copies=[*CONSENSUS, *copies])
    save_analysis(session, actor=LEAD, review_id=review_id, name="Many", spec=MD_SPEC)
    funnel = export_analysis_plot(
        session, actor=LEAD, review_id=review_id, format="svg", plot="funnel"
    )
    assert funnel.startswith(b"<?xml") and b"<svg" in funnel
