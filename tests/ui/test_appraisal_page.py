"""The Risk of bias page: a reviewer's own copy of a result (questions in order, the proposal,
a refused save naming every domain and question, nothing typed lost), blinding, and a lead's
comparison, consensus and the consensus plots."""

from __future__ import annotations

import base64

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, session_scope
from review_app.domain.appraisal.assessment import problems
from review_app.domain.appraisal.model import DomainAssessment, ResultAssessment
from review_app.domain.appraisal.plots import render_traffic_light
from review_app.domain.appraisal.rob2 import ROB2
from review_app.domain.appraisal.tool import Answer
from review_app.models import Review as ReviewRow
from review_app.services.appraisal import (
    get_copy,
    open_copy,
    rob_tables,
    save_copy,
    set_complete,
    start_consensus,
)
from review_app.ui.views.appraisal import view_key
from tests.ui import study_pages
from tests.ui.study_pages import Review, add_study, report_of, review_with_study, text_of

STUDY = "Trial 2021"
OUTCOME = "pain_intensity"
A = Answer
LOW_ANSWERS = {
    "D1": {"1.1": A.Y, "1.2": A.Y, "1.3": A.N},
    "D2": {"2.1": A.N, "2.2": A.N, "2.6": A.Y},
    "D3": {"3.1": A.Y},
    "D4": {"4.1": A.N, "4.2": A.N, "4.3": A.N},
    "D5": {"5.1": A.Y, "5.2": A.N, "5.3": A.N},
}  # each domain's answers that RoB 2's algorithm takes to Low


def appraisal_page() -> None:
    from review_app.ui.views import appraisal

    appraisal.render()


@pytest.fixture
def review(demo_url: str) -> Review:
    """The demo review with one more study ("Trial 2021", a randomised trial: RoB 2)."""
    return review_with_study(demo_url, STUDY, design="randomised controlled trial")


def page_as(review: Review, name: str, role: str, *, outcome: str = OUTCOME) -> AppTest:
    state = {"rob_study": review.study_id, "rob_outcome": outcome}
    return study_pages.page_as(appraisal_page, review, name, role, state)


def own_copy(review: Review, name: str, outcome: str = OUTCOME) -> int:
    with session_scope(make_engine(review.url)) as session:
        view = open_copy(
            session,
            actor=review.actor(name),
            review_id=review.review_id,
            study_id=review.study_id,
            outcome_id=outcome,
        )
    return view.appraisal_id


def answer(app: AppTest, copy_id: int, path: str, value: str) -> AppTest:
    return app.segmented_control(key=f"rw:{copy_id}:{path}").set_value(value).run()


def test_a_reviewer_answers_sees_the_proposal_and_a_refused_completion_names_each_domain(
    review: Review,
) -> None:
    app = page_as(review, "reviewer1", "reviewer")
    assert not app.exception
    assert not any(key.startswith("rob_view") for key in _keys(app))  # no comparison view
    app.button(key="rob_open").click().run()
    copy_id = own_copy(review, "reviewer1")
    assert not app.exception and f"rd:{copy_id}" in app.session_state
    for number, value in (("1.1", "Y"), ("1.2", "NI"), ("1.3", "N")):
        answer(app, copy_id, f"a:D1:{number}", value)
    assert "Proposed: **Some concerns**. Use it, or choose another and say why." in text_of(app)
    answer(app, copy_id, "j:D1", "Low")  # an override without support
    app.button(key=f"rob_save_{copy_id}").click().run()
    assert not app.exception
    [error] = app.error
    assert error.value.startswith("Nothing was saved; your answers are kept.")
    assert "D1 Randomisation process: Low differs from the proposed Some concerns" in (
        error.value.replace("\\", "")
    )
    assert app.segmented_control(key=f"rw:{copy_id}:a:D1:1.2").value == "NI"  # kept
    app.text_area(key=f"rw:{copy_id}:s:D1").input("Sealed envelopes, opaque (p. 3).").run()
    app.button(key=f"rob_save_{copy_id}").click().run()
    assert not app.error and "Saved." in text_of(app)
    app.button(key=f"rob_complete_{copy_id}").click().run()
    [error] = app.error
    lines = error.value.replace("\\", "").splitlines()[1:]
    assert any(line.startswith("- D2 ") and "not judged" in line for line in lines)
    assert any("Overall: not judged" in line for line in lines)
    assert app.segmented_control(key=f"rw:{copy_id}:j:D1").value == "Low"
    with session_scope(make_engine(review.url)) as session:
        saved = get_copy(
            session, actor=review.actor("reviewer1"), review_id=review.review_id,
            appraisal_id=copy_id,
        ).data  # fmt: skip
    d1 = saved.domain("D1")
    assert d1 is not None and d1.judgement == "Low" and d1.answers["1.2"] == Answer.NI
    assert not saved.complete


def _keys(app: AppTest) -> set[str]:
    return {str(w.key) for w in app.segmented_control}


def complete_copy(review: Review, name: str, *, d1: dict[str, Answer], d1_judgement: str) -> int:
    """``name``'s complete copy of the result through the services: every domain Low as RoB 2
    proposes, except Domain 1 with these answers and judgement; overall as the rule gives."""
    domains = tuple(
        DomainAssessment(
            domain_id,
            d1 if domain_id == "D1" else answers,
            d1_judgement if domain_id == "D1" else "Low",
            f"{name}'s support for {domain_id}",
        )
        for domain_id, answers in LOW_ANSWERS.items()
    )
    data = ResultAssessment(
        STUDY, OUTCOME, name, "rob2", "assignment", domains, overall=d1_judgement
    )
    assert problems(ROB2, data, complete=True) == []
    with session_scope(make_engine(review.url)) as session:
        actor = review.actor(name)
        view = open_copy(
            session, actor=actor, review_id=review.review_id, study_id=review.study_id,
            outcome_id=OUTCOME,
        )  # fmt: skip
        ids = {"review_id": review.review_id, "appraisal_id": view.appraisal_id}
        save_copy(session, actor=actor, data=data, **ids)
        set_complete(session, actor=actor, complete=True, **ids)
    return view.appraisal_id


def test_a_blind_reviewer_sees_only_their_own_copy(review: Review) -> None:
    complete_copy(
        review, "reviewer2", d1={"1.1": A.Y, "1.2": A.NI, "1.3": A.N}, d1_judgement="Some concerns"
    )
    app = page_as(review, "reviewer1", "reviewer")
    assert not app.exception
    assert "reviewer2" not in text_of(app) and "Some concerns" not in text_of(app)
    assert not any(key.startswith("rob_view") for key in _keys(app))  # nor consensus
    assert not app.get("image")  # no consensus plots


def test_a_lead_compares_settles_the_discrepancy_and_the_plot_shows_the_consensus(
    review: Review,
) -> None:
    complete_copy(review, "reviewer1", d1=LOW_ANSWERS["D1"], d1_judgement="Low")
    complete_copy(
        review, "reviewer2", d1={"1.1": A.Y, "1.2": A.NI, "1.3": A.N}, d1_judgement="Some concerns"
    )
    app = page_as(review, "lead", "lead")
    assert not app.exception
    assert app.segmented_control(key=view_key(review.study_id, OUTCOME)).value == (
        "Compare and agree"
    )  # a lead who is not one of the result's assessors lands on the comparison
    table = frame_with(app, "Item")  # the comparison
    differing = table[table["Assessors"] == "differ"]
    assert set(differing["Item"]) == {
        "D1 Randomisation process: judgement",
        "D1 1.2 Allocation concealed until assignment",
        "Overall: judgement",
    }
    assert [m.value for m in app.metric[:2]][1] == "3"
    app.button(key=f"rob_start_{review.study_id}_{OUTCOME}").click().run()
    assert not app.exception
    for left in (3, 2, 1):  # the three discrepancies, each settled with reviewer2's item
        assert f"**Settle the discrepancies** ({left} left)" in text_of(app)
        next(b for b in app.button if b.label == "Keep reviewer2's").click().run()
        assert not app.exception and not app.error
    assert "Every item is settled" in text_of(app)
    assert report_of(review)[1] in [t.value for t in app.text]  # beside the consensus form
    with session_scope(make_engine(review.url)) as session:
        tables = rob_tables(
            session, actor=review.actor("lead"), review_id=review.review_id, outcome_id=OUTCOME
        )
    [table] = [t for t in tables if t.tool == ROB2.name]  # the demo's crossover study: its own
    [row] = [r for r in table.rows if r.study == STUDY]
    assert (row.judgements[0], row.overall) == ("Some concerns", "Some concerns")
    plotted = frame_with(app, "Overall", STUDY)  # the table the plots are drawn from
    assert [r for r in plotted.to_dict("records") if r["Study"] == STUDY] == [
        {"Study": STUDY, "D1": "Some concerns", "D2": "Low", "D3": "Low", "D4": "Low",
         "D5": "Low", "Overall": "Some concerns"}
    ]  # fmt: skip
    traffic = svg_of(app.get("image")[0])  # RoB 2's table comes first (then the crossover's)
    assert traffic == render_traffic_light(table, "svg").decode("utf-8")  # that table, drawn
    assert STUDY in traffic


def frame_with(app: AppTest, column: str, study: str | None = None) -> pd.DataFrame:
    """The one table on the page with this column (and a row of ``study``: the page shows a
    table per tool in use)."""
    [frame] = [
        f.value
        for f in app.dataframe
        if column in f.value.columns and (study is None or study in list(f.value["Study"]))
    ]
    return frame


def svg_of(image: object) -> str:
    url = image.proto.imgs[0].url  # type: ignore[attr-defined]
    head, _, data = url.partition(",")
    assert head == "data:image/svg+xml;base64"
    return base64.b64decode(data).decode("utf-8")


def test_a_study_without_a_design_says_what_to_set(review: Review) -> None:
    other = add_study(review.url, "Undesigned 2018")
    app = study_pages.page_as(appraisal_page, review, "reviewer1", "reviewer", {"rob_study": other})
    assert not app.exception
    [info] = [i.value.replace("\\", "") for i in app.info]
    assert info.startswith("Undesigned 2018: it has no design")
    assert "set the study's design to one of these (Studies page)" in info
    assert not [b for b in app.button if b.key == "rob_open"]


def test_the_study_s_report_is_beside_the_form_to_quote_from(review: Review) -> None:
    title, abstract = report_of(review)
    assert abstract  # the study's report is one with an abstract
    for name, role in (("reviewer1", "reviewer"), ("lead", "lead")):
        app = page_as(review, name, role)
        assert not app.exception
        shown = text_of(app)
        assert "Reports" in shown and title in shown
        assert abstract in [t.value for t in app.text]  # whole, as plain text
    app.button(key="rob_open").click().run()  # beside the form, once the copy is open
    assert not app.exception
    assert abstract in [t.value for t in app.text]
    assert any(key.startswith("rw:") for key in _keys(app))


def test_the_all_outcomes_copy_holds_domains_and_leaves_the_overall_to_each_outcome(
    review: Review,
) -> None:
    app = page_as(review, "reviewer1", "reviewer", outcome="*")
    app.button(key="rob_open").click().run()
    copy_id = own_copy(review, "reviewer1", "*")
    for number, value in (("1.1", "Y"), ("1.2", "Y"), ("1.3", "N")):
        answer(app, copy_id, f"a:D1:{number}", value)
    app.button(key=f"rw:{copy_id}:confirm:j:D1").click().run()
    assert "The overall judgement is made per outcome" in text_of(app)
    app.button(key=f"rob_save_{copy_id}").click().run()
    assert not app.error and "Saved." in text_of(app)
    app.selectbox(key="rob_outcome").set_value(OUTCOME).run()
    app.button(key="rob_open").click().run()
    outcome_copy = own_copy(review, "reviewer1")
    assert "All outcomes copy: **Low**; it holds for this outcome" in text_of(app)
    assert f"rw:{outcome_copy}:j:D1" in _keys(app)  # it may still be assessed here


def test_once_assessment_is_not_blind_a_reviewer_sees_the_consensus_plots(review: Review) -> None:
    with session_scope(make_engine(review.url)) as session:
        row = session.get(ReviewRow, review.review_id)
        assert row is not None
        row.protocol = {**row.protocol, "appraisal": {**row.protocol["appraisal"], "blind": False}}
    complete_copy(review, "reviewer2", d1=LOW_ANSWERS["D1"], d1_judgement="Low")
    with session_scope(make_engine(review.url)) as session:
        start_consensus(
            session, actor=review.actor("lead"), review_id=review.review_id,
            study_id=review.study_id, outcome_id=OUTCOME,
        )  # fmt: skip
    app = page_as(review, "reviewer1", "reviewer")
    assert not frame_with(app, "Overall", STUDY).empty
    assert "Consensus plots: Pain intensity" in [h.value for h in app.subheader]


def test_a_robins_i_v2_triage_that_ends_the_assessment_hides_the_domains(demo_url: str) -> None:
    design = "non-randomised controlled study"
    study_pages.name_tool(demo_url, design, "ROBINS-I V2")
    review = review_with_study(demo_url, "Cohort 2019", design=design)
    app = page_as(review, "reviewer1", "reviewer")
    app.button(key="rob_open").click().run()
    copy_id = own_copy(review, "reviewer1")
    b1 = app.segmented_control(key=f"rw:{copy_id}:a:B:B1")
    assert b1.options == ["Y", "PY", "PN", "N"]  # B1-B3 have no "No information"
    assert b1.help == "Y = Yes · PY = Probably yes · PN = Probably no · N = No"
    assert f"rw:{copy_id}:a:B:B2" not in _keys(app)  # asked only when B1 is N/PN
    answer(app, copy_id, "a:B:B1", "Y")
    answer(app, copy_id, "a:B:B3", "N")
    assert "The triage goes on to the domains." in text_of(app)
    assert f"rw:{copy_id}:a:D1:1.1" in _keys(app)
    answer(app, copy_id, "a:B:B1", "N")
    answer(app, copy_id, "a:B:B2", "Y")
    shown = text_of(app)
    assert "The triage ends the assessment: the result is at **Critical** risk" in shown
    assert "Overall: **Critical**, as the triage ends the assessment." in shown
    assert not any(":a:D" in key for key in _keys(app))  # the domains are hidden
    app.button(key=f"rob_save_{copy_id}").click().run()
    app.button(key=f"rob_complete_{copy_id}").click().run()
    assert not app.exception and not app.error
    with session_scope(make_engine(review.url)) as session:
        saved = get_copy(
            session, actor=review.actor("reviewer1"), review_id=review.review_id,
            appraisal_id=copy_id,
        ).data  # fmt: skip
    triage = DomainAssessment("B", {"B1": Answer.N, "B2": Answer.Y, "B3": Answer.N}, "Critical")
    assert (saved.tool, saved.domains, saved.overall, saved.complete) == (
        "robins-i-v2",
        (triage,),
        "Critical",
        True,
    )
