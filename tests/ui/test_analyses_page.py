"""The Analyses page on a review with consensus extraction (tests/ui/analysis_pages.py): the
protocol's defaults, a run with its studies, forest plot and statistics, a study left out with the
reason, subgroups and a sensitivity analysis, a saved analysis marked stale after the extraction
changed and current again after a re-run, and a reviewer refused in a sentence while extraction
is blind."""

from __future__ import annotations

import base64
import dataclasses
import sqlite3
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, session_scope
from review_app.domain.vocabulary import EffectMeasure, PoolingMethod
from review_app.models import SavedAnalysis
from review_app.services.analyses import list_analyses
from review_app.services.demo import DEMO_ACCOUNTS
from review_app.ui.components import analysis_choices, analysis_saved, analysis_studies
from tests.database_templates import demo_sqlite, migrated_sqlite
from tests.services.test_analyses import WEEK4, make_review, member
from tests.ui import study_pages
from tests.ui.analysis_pages import (
    AE,
    PAIN,
    WEEK8,
    add_risk_of_bias,
    change_consensus,
    review_to_analyse,
)
from tests.ui.conftest import APP, log_in
from tests.ui.study_pages import Review, text_of
from tests.ui.test_login_page import deep_link

REVIEWER = DEMO_ACCOUNTS[1]


def analyses_page() -> None:
    from review_app.ui.views import analyses

    analyses.render()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Review]:
    """The review to analyse, built once (seeding the demo takes a while); each test copies it."""
    path = tmp_path_factory.mktemp("analyses") / "review.db"
    return path, review_to_analyse(demo_sqlite(path))


@pytest.fixture
def review(built: tuple[Path, Review], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Review:
    """A copy of the review to analyse, the database the page under test reads."""
    source, template = built
    with sqlite3.connect(source) as origin, sqlite3.connect(tmp_path / "review.db") as copy:
        origin.backup(copy)  # with what is still in the write-ahead log
    url = f"sqlite:///{tmp_path / 'review.db'}"
    monkeypatch.setenv("REVIEW_APP_DATABASE_URL", url)
    return dataclasses.replace(template, url=url)


def page_as(review: Review, name: str, role: str, **state: object) -> AppTest:
    return study_pages.page_as(analyses_page, review, name, role, state)


def at_week8(review: Review, outcome: str = PAIN, **state: object) -> AppTest:
    """The lead's page on ``outcome`` at 8 weeks."""
    return page_as(
        review,
        "lead",
        "lead",
        **{
            analysis_choices.OUTCOME_KEY: outcome,
            analysis_choices.key("timepoint", outcome): WEEK8,
            **state,
        },
    )


def frame(app: AppTest, column: str) -> list[str]:
    """A column of the first table on the page that has it."""
    table = next(d.value for d in app.dataframe if column in d.value.columns)
    return [str(v) for v in table[column]]


def columns(app: AppTest, key: str, value: str) -> dict[str, str]:
    """Two columns of the first table that has both, as a mapping."""
    table = next(d.value for d in app.dataframe if {key, value} <= set(d.value.columns))
    return {str(k): str(v) for k, v in zip(table[key], table[value], strict=True)}


def forest_svg(app: AppTest) -> str:
    """The forest plot's SVG (the first image of the page, a base64 data URL)."""
    image = app.get("image")[0].proto.imgs[0]
    head, _, data = image.url.partition(",")
    assert head == "data:image/svg+xml;base64"
    return base64.b64decode(data).decode("utf-8")


def test_the_page_starts_from_the_protocol_defaults_on_a_critical_outcome(review: Review) -> None:
    app = page_as(review, "lead", "lead")
    assert not app.exception
    assert app.title[0].value == "Analyses"
    outcome = app.selectbox(key=analysis_choices.OUTCOME_KEY)
    assert outcome.value == PAIN  # critical outcomes first, in the protocol's order
    assert outcome.options[0] == "Pain intensity (critical, continuous)"
    assert app.selectbox(key=analysis_choices.key("measure", PAIN)).value == EffectMeasure.MD
    assert app.selectbox(key=analysis_choices.key("method", PAIN)).value == PoolingMethod.REML
    assert app.checkbox(key=analysis_choices.key("hksj", PAIN)).value is True
    timepoint = app.selectbox(key=analysis_choices.key("timepoint", PAIN))
    assert timepoint.value == analysis_choices.EACH_ONLY
    assert WEEK8 in timepoint.options
    said = text_of(app)
    assert "role is intervention against the arms whose role is comparator" in said.replace("*", "")


def test_a_run_shows_the_studies_what_was_converted_the_forest_plot_and_the_statistics(
    review: Review,
) -> None:
    app = at_week8(review)
    assert not app.exception and not app.error
    assert frame(app, "Study")[:3] == ["Adams 2019", "Baker 2020", "Chan 2021"]
    converted = columns(app, "Study", "Converted")
    assert converted["Adams 2019"] == "SD = SE × √n"  # the placebo arm's SD from its SE
    assert converted["Chan 2021"] == ""
    assert columns(app, "Study", "Arms combined")["Baker 2020"] == "Low dose, High dose"
    assert columns(app, "Study", "")["Adams 2019"] == analysis_studies.FLAG
    assert columns(app, "Study", "Intervention")["Chan 2021"] == "3.50 (1.80), n = 30"
    svg = forest_svg(app)
    assert all(study in svg for study in ("Adams 2019", "Baker 2020", "Chan 2021"))
    assert "Favours intervention" in svg and "Diaz 2018" not in svg
    assert [b.proto.label for b in app.get("download_button")] == [
        "Download forest plot (SVG)",
        "Download forest plot (PNG)",
        "Download forest plot (PDF)",
    ]
    said = text_of(app)
    assert "The pooled result of 3 studies is MD -1.44 (95% CI -1.82 to -1.05)" in said
    assert "excludes no effect (MD = 0); it lies on the 'Favours intervention' side" in said
    statistics = columns(app, "", "Value")
    assert statistics["I²"] == "0%"
    assert statistics["Tau²"] == "0.0000 (95% CI 0.0000 to 0.8754)"
    assert statistics["Prediction interval"] == "-1.82 to -1.05"
    assert statistics["Test for overall effect"] == "t = 16.01, df = 2, P = 0.004"
    assert "need at least 10 studies" in said and "this analysis has 3" in said
    assert columns(app, "Study left out", "Pooled effect of the others")["Chan 2021"] == (
        "MD -1.46 (95% CI -3.38 to 0.47)"
    )


def test_a_study_without_usable_data_is_left_out_with_the_reason(review: Review) -> None:
    left = columns(at_week8(review), "Study", "Why")
    assert left["Diaz 2018"] == "intervention arm 'Kratom': SD not reported or not usable"
    assert left["Vicknasingam 2020"].startswith("indirect evidence")


def test_a_dichotomous_outcome_pools_risk_ratios_of_events_and_totals(review: Review) -> None:
    app = at_week8(review, AE)
    assert app.selectbox(key=analysis_choices.key("measure", AE)).value == EffectMeasure.RR
    assert columns(app, "Study", "Intervention")["Adams 2019"] == "6/20"
    assert columns(app, "Study", "Intervention")["Baker 2020"] == "8/22"  # two doses combined
    assert "The pooled result of 3 studies is RR 1.78" in text_of(app)
    assert "Favours comparator" in forest_svg(app)  # fewer adverse events is better


def test_one_study_left_by_a_rule_is_not_called_a_pooled_result_nor_an_effect(
    review: Review,
) -> None:
    app = at_week8(
        review,
        AE,
        **{
            analysis_choices.key("rule", AE): "overall high risk of bias",
            analysis_choices.key("excluded", AE): ["Adams 2019", "Baker 2020"],
        },
    )
    said = text_of(app)
    (reading,) = [m.value for m in app.markdown if m.value.startswith("Only one study")]
    assert reading.replace("\\", "").startswith(
        "Only one study (Chan 2021) gives usable data: its own result is RR 1.71 (95% CI 0.78 "
        "to 3.75); nothing is pooled. The confidence interval includes no effect (RR = 1)"
    )
    assert "favours" not in reading.lower()
    assert "2 studies left out by the rule 'overall high risk of bias'" in said
    assert "With every study: The pooled result of 3 studies is RR 1.78" in said
    assert columns(app, "Study", "Why")["Adams 2019"] == (
        "left out by the analysis: overall high risk of bias"
    )


def test_studies_left_out_without_a_rule_are_pooled_until_the_rule_is_written(
    review: Review,
) -> None:
    app = at_week8(review, AE, **{analysis_choices.key("excluded", AE): ["Adams 2019"]})
    assert app.warning[0].value.startswith("Write the rule")
    assert "The pooled result of 3 studies" in text_of(app)


def test_no_usable_data_is_said_and_claims_nothing(review: Review) -> None:
    outcome = "pain_relief_30"
    app = page_as(review, "lead", "lead", **{analysis_choices.OUTCOME_KEY: outcome})
    assert not app.exception and not app.get("image")
    said = text_of(app)
    assert "No study gives usable data for At least moderate pain relief" in said
    assert "says nothing about whether the intervention works" in said


def test_subgroups_by_a_study_characteristic_with_the_test_for_differences(review: Review) -> None:
    app = at_week8(review, **{analysis_choices.key("subgroup", PAIN): "country"})
    assert columns(app, "Study", "Subgroup") == {
        "Adams 2019": "Malaysia",
        "Baker 2020": "Thailand",
        "Chan 2021": "Thailand",
    }
    said = text_of(app)
    assert "Thailand (2 studies): MD -1.49" in said
    assert "Test for subgroup differences: Chi² = 0.18, df = 1 (P = 0.67), I² = 0%" in said
    assert "Malaysia" in forest_svg(app)


def save(app: AppTest, name: str) -> AppTest:
    app.text_input(key=analysis_saved.NAME_KEY).input(name)
    return app.button(key="FormSubmitter:an_save-Save analysis").click().run()


def saved_rows(review: Review) -> list[SavedAnalysis]:
    with session_scope(make_engine(review.url)) as session:
        rows = list(session.exec(select(SavedAnalysis)))
        session.expunge_all()
        return rows


def test_saved_stale_after_the_extraction_changed_and_current_after_a_re_run(
    review: Review,
) -> None:
    app = save(at_week8(review), "Pain at 8 weeks")
    assert not app.exception
    assert "Saved the analysis 'Pain at 8 weeks'." in text_of(app)
    (row,) = saved_rows(review)
    assert (row.outcome_id, row.timepoint, row.measure, row.test) == (PAIN, WEEK8, "MD", "knha")
    assert "up to date" in text_of(app)
    assert "last run: 3 studies, MD -1.44 (95% CI -1.82 to -1.05)" in text_of(app)

    change_consensus(review, "Chan 2021", placebo_mean=6.5)
    app = page_as(review, "lead", "lead")
    assert analysis_saved.STALE in text_of(app)
    app = app.button(key=f"an_rerun_{row.id}").click().run()
    said = text_of(app)
    assert "it is up to date" in said and analysis_saved.STALE not in said
    # the re-run opened it: its choices and the result on the changed data
    assert app.selectbox(key=analysis_choices.key("timepoint", PAIN)).value == WEEK8
    assert "The pooled result of 3 studies is MD -1.44" not in said
    with session_scope(make_engine(review.url)) as session:
        (view,) = list_analyses(session, actor=review.actor("lead"), review_id=review.review_id)
        assert not view.stale


def test_opening_a_saved_analysis_shows_its_choices_and_delete_removes_it(
    review: Review,
) -> None:
    app = save(at_week8(review, AE, **{analysis_choices.key("method", AE): PoolingMethod.MH}),
               "AE, Mantel-Haenszel")  # fmt: skip
    (row,) = saved_rows(review)
    assert (row.method, row.test) == ("MH", "z")  # no HKSJ with Mantel-Haenszel
    app = page_as(review, "lead", "lead").button(key=f"an_open_{row.id}").click().run()
    assert app.selectbox(key=analysis_choices.OUTCOME_KEY).value == AE
    assert app.selectbox(key=analysis_choices.key("method", AE)).value == PoolingMethod.MH
    assert app.text_input(key=analysis_saved.NAME_KEY).value == "AE, Mantel-Haenszel"
    app = app.button(key=f"an_delete_{row.id}").click().run()
    assert "Deleted the analysis 'AE, Mantel-Haenszel'." in text_of(app)
    assert saved_rows(review) == []


def test_a_reviewer_is_told_in_a_sentence_while_extraction_is_blind(review: Review) -> None:
    app = page_as(review, "reviewer1", "reviewer")
    assert not app.exception and not app.error
    assert app.info[0].value.startswith(
        "Analyses pool the consensus extraction, which is for leads"
    )
    assert not app.selectbox and not app.get("image")


def test_the_app_opens_analyses_for_a_reviewer_with_the_sentence_not_a_traceback(
    review: Review,
) -> None:
    """Through the router: reviewers have the page (they read analyses once extraction is not
    blind), and while it is blind it says why there is nothing to see."""
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    log_in(app, REVIEWER.name, REVIEWER.password)
    deep_link(app, "analyses")
    assert not app.exception and not app.error
    assert app.title[0].value == "Analyses"
    assert "which is for leads while extraction is blind" in text_of(app)


def test_the_forest_plot_has_risk_of_bias_columns_and_the_rule_can_use_them(
    review: Review,
) -> None:
    add_risk_of_bias(review)
    app = at_week8(review)
    svg = forest_svg(app)
    assert "Risk of bias (RoB 2)" in svg and "Risk of bias legend" in svg
    assert "No risk-of-bias columns" not in text_of(app)
    options = app.multiselect(key=analysis_choices.key("excluded", PAIN)).options
    assert options == [
        "Adams 2019 (overall risk of bias: High)",
        "Baker 2020 (overall risk of bias: Low)",
        "Chan 2021",
    ]


def test_without_assessments_of_its_studies_the_plot_has_no_risk_of_bias_columns(
    review: Review,
) -> None:
    add_risk_of_bias(review)
    app = at_week8(review, AE)  # the assessments are of pain intensity only
    assert "Risk of bias" not in forest_svg(app)
    assert "No risk-of-bias columns in the forest plot" in text_of(app)


def test_indirect_evidence_is_left_out_unless_included_and_then_flagged(review: Review) -> None:
    app = at_week8(review)
    assert columns(app, "Study", "Why")["Evans 2022"] == (
        "indirect evidence (healthy volunteers with experimental pain): left out of the main "
        "analyses"
    )
    app = app.checkbox(key=analysis_choices.key("indirect", PAIN)).check().run()
    assert not app.exception and not app.error
    assert columns(app, "Study", "Indirect evidence")["Evans 2022"] == "yes"
    assert columns(app, "Study", "")["Evans 2022"] == analysis_studies.FLAG
    assert "The pooled result of 4 studies" in text_of(app)


@pytest.fixture
def open_review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Review:
    """A review whose extraction is not blind (tests/services/test_analyses.py's), with a lead
    and a reviewer, the database the page under test reads."""
    url = migrated_sqlite(tmp_path / "open.db")
    engine = make_engine(url)
    with session_scope(engine) as session:
        review_id = make_review(session, blind=False, tmp_path=tmp_path)
        users: dict[str, int] = {}
        for name, role in (("lena", "lead"), ("rita", "reviewer")):
            user_id = member(session, review_id, name, role).user_id
            assert user_id is not None
            users[name] = user_id
    engine.dispose()
    monkeypatch.setenv("REVIEW_APP_DATABASE_URL", url)
    return Review(url, review_id, 0, users)


def test_once_extraction_is_not_blind_a_reviewer_analyses_and_changes_only_their_own(
    open_review: Review,
) -> None:
    week4 = {analysis_choices.OUTCOME_KEY: PAIN, analysis_choices.key("timepoint", PAIN): WEEK4}
    lead = save(page_as(open_review, "lena", "lead", **week4), "The lead's")
    assert "Saved the analysis 'The lead's'." in text_of(lead)
    app = page_as(open_review, "rita", "reviewer", **week4)
    assert not app.exception and not app.error
    assert "The pooled result of 3 studies" in text_of(app)
    app = save(app, "Rita's")
    assert "Saved the analysis 'Rita's'." in text_of(app)
    ids = {row.name: row.id for row in saved_rows(open_review)}
    theirs, mine = ids["The lead's"], ids["Rita's"]
    buttons = {b.key for b in app.button}
    assert f"an_open_{theirs}" in buttons
    assert {f"an_rerun_{theirs}", f"an_delete_{theirs}"}.isdisjoint(buttons)
    assert {f"an_rerun_{mine}", f"an_delete_{mine}"} <= buttons
