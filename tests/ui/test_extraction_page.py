"""The Extraction page: the draft that keeps typed values, a reviewer's own copy (validation
naming the field, derived values as typed, nothing lost), and a lead's comparison and consensus."""

from __future__ import annotations

from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, session_scope
from review_app.domain.extraction.model import Arm, Design, Result, StudyExtraction
from review_app.domain.vocabulary import ArmRole, EffectMeasure, StudyDesign
from review_app.protocol import load_protocol
from review_app.services.demo import DEMO_PROTOCOL
from review_app.services.extraction import (
    compare_study,
    get_copy,
    list_progress,
    open_copy,
    save_copy,
    set_complete,
)
from review_app.ui.components.extraction_draft import from_extraction, read_number, to_extraction
from review_app.ui.components.extraction_form import labels_for
from tests.ui import study_pages
from tests.ui.study_pages import Review, add_study, report_of, review_with_study, text_of

LABELS = labels_for(load_protocol(DEMO_PROTOCOL))

SAVED = StudyExtraction(
    study="Trial 2021",
    extractor="reviewer1",
    design=Design(kind=StudyDesign.CROSSOVER, crossover_correlation=0.5, note="two periods"),
    characteristics={"country": "Malaysia", "n_randomised": "26"},
    arms=(
        Arm("Kratom", ArmRole.INTERVENTION, "decoction", 26),
        Arm("Placebo", ArmRole.COMPARATOR),
    ),
    results=(
        Result("pain_intensity", "1 hour", "Kratom", "mean_se", {"n": 26, "mean": 4.5, "se": 0.3}),
        Result(
            "pain_intensity",
            "1 hour",
            "Kratom",
            "estimate_ci",
            {"estimate": -1.2, "ci_lower": -2.0, "ci_upper": -0.4},
            comparator="Placebo",
            measure=EffectMeasure.MD,
            adjusted=True,
            note="paired",
        ),
    ),
    indirect_evidence="healthy volunteers",
)


def test_a_draft_gives_back_the_copy_it_shows() -> None:
    draft = from_extraction(SAVED, version="v1")
    data, unreadable = to_extraction(
        draft, study=SAVED.study, extractor=SAVED.extractor, complete=False, labels=LABELS
    )
    assert unreadable == []
    assert data == SAVED


def test_renaming_an_arm_keeps_its_results() -> None:
    draft = from_extraction(SAVED, version="v1")
    token = draft.arm_token("placebo")
    assert token is not None
    draft.values[f"arm:{token}:label"] = "Sham"
    data, _ = to_extraction(
        draft, study="Trial 2021", extractor=None, complete=False, labels=LABELS
    )
    assert [a.label for a in data.arms] == ["Kratom", "Sham"]
    assert data.results[1].comparator == "Sham"


def test_what_cannot_be_read_is_named_and_left_out() -> None:
    draft = from_extraction(SAVED, version="v1")
    first = draft.results[0]
    draft.values[f"res:{first}:v:n"] = "25.5"
    draft.values[f"res:{first}:v:se"] = "n/a"
    draft.values[f"arm:{draft.arms[1]}:randomised"] = "twelve"
    data, unreadable = to_extraction(
        draft, study="Trial 2021", extractor=None, complete=False, labels=LABELS
    )
    messages = [str(u) for u in unreadable]
    assert any(
        m.startswith("Arm 'Placebo', Randomised: 'twelve' is not a number") for m in messages
    )
    place = "Pain intensity, 1 hour, Kratom"
    assert any(m.startswith(f"{place}, ") and "25.5 is not a whole number" in m for m in messages)
    assert any(m.startswith(f"{place}, ") and "'n/a' is not a number" in m for m in messages)
    assert data.results[0].values == {"mean": 4.5}


@pytest.mark.parametrize(
    ("typed", "number"), [("", None), (" 3.5 ", 3.5), ("-2", -2.0), ("1e3", 1000.0)]
)
def test_typed_numbers(typed: str, number: float | None) -> None:
    assert read_number(typed) == number


@pytest.mark.parametrize(
    ("typed", "whole", "message"),
    [("abc", False, "'abc' is not a number"), ("inf", False, "not a finite number"),
     ("2,5", False, "'2,5' is not a number; write digits with a point before decimals"),
     ("2.5", True, "2.5 is not a whole number")],
)  # fmt: skip
def test_typed_numbers_refused(typed: str, whole: bool, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_number(typed, whole=whole)


# --- the page ------------------------------------------------------------------------------------

STUDY = "Trial 2021"


def extraction_page() -> None:
    from review_app.ui.views import extraction

    extraction.render()


@pytest.fixture
def review(demo_url: str) -> Review:
    """The demo review with one more study ("Trial 2021", one report)."""
    return review_with_study(demo_url, STUDY)


def page_as(review: Review, name: str, role: str, *, study_id: int | None = None) -> AppTest:
    state = {"extract_study": study_id or review.study_id}
    return study_pages.page_as(extraction_page, review, name, role, state)


def own_copy_id(review: Review, name: str) -> int:
    with session_scope(make_engine(review.url)) as session:
        view = open_copy(
            session, actor=review.actor(name), review_id=review.review_id, study_id=review.study_id
        )
    return view.extraction_id


def saved_copy(review: Review, name: str, copy_id: int) -> StudyExtraction:
    """The copy as stored (what was saved, not what is typed on the page)."""
    with session_scope(make_engine(review.url)) as session:
        return get_copy(
            session, actor=review.actor(name), review_id=review.review_id, extraction_id=copy_id
        ).data


def fill(app: AppTest, copy_id: int, path: str, value: str) -> AppTest:
    return app.text_input(key=f"xw:{copy_id}:{path}").input(value).run()


def add_arm(app: AppTest, copy_id: int, label: str, role: str) -> AppTest:
    app.text_input(key=f"xw:{copy_id}:add_arm:label").input(label)
    next(s for s in app.selectbox if s.label == "Its role").set_value(role)
    return app.button(key=f"FormSubmitter:xw:{copy_id}:add_arm-Add arm").click().run()


def add_arm_results(app: AppTest, copy_id: int, outcome: str, timepoint: str, fmt: str) -> AppTest:
    form = f"xw:{copy_id}:add_arm_results:{outcome}"
    app.text_input(key=f"{form}:time").input(timepoint)
    app.selectbox(key=f"{form}:format").set_value(fmt)
    return app.button(key=f"FormSubmitter:{form}-Add per-arm results").click().run()


def result_tokens(app: AppTest, copy_id: int) -> list[int]:
    draft = app.session_state[f"xd:{copy_id}"]
    return list(draft.results)


def test_a_reviewer_starts_a_copy_sees_derived_values_and_a_refused_save_keeps_the_typing(
    review: Review,
) -> None:
    app = page_as(review, "reviewer1", "reviewer")
    assert not app.exception
    assert "Compare and agree" not in text_of(app)
    app.button(key="extract_open").click().run()
    copy_id = own_copy_id(review, "reviewer1")
    assert not app.exception and f"xd:{copy_id}" in app.session_state
    fill(app, copy_id, "char:country", "Malaysia")
    add_arm(app, copy_id, "Kratom", "intervention")
    add_arm(app, copy_id, "Placebo", "comparator")
    add_arm_results(app, copy_id, "pain_intensity", "1 hour", "mean_se")
    kratom, placebo = result_tokens(app, copy_id)
    for path, value in (("n", "26"), ("mean", "4.5"), ("se", "0.3")):
        fill(app, copy_id, f"res:{kratom}:v:{path}", value)
    # SD = SE x sqrt(n) (Cochrane Handbook 6.5.2.2): 0.3 x sqrt(26) = 1.530
    assert "SD = 1.53 :blue-badge[converted]" in text_of(app)
    assert "SD = SE × √n (Cochrane Handbook 6.4, 6.5.2.2); from se = 0.3, n = 26" in text_of(app)
    fill(app, copy_id, f"res:{placebo}:v:n", "25.5")
    fill(app, copy_id, f"res:{placebo}:v:se", "-1")
    assert "whole number" in text_of(app)  # said as it is typed, before any save
    app.button(key=f"extract_save_{copy_id}").click().run()
    assert not app.exception
    [error] = app.error
    assert "Nothing was saved" in error.value
    lines = error.value.replace("\\", "").splitlines()
    assert "- Pain intensity, 1 hour, Placebo, n: 25.5 is not a whole number" in lines[1]
    assert lines[2] == "- Pain intensity, 1 hour, Placebo, SE must be above 0 (got -1)."
    # The typed values stay on the form, and in the draft, after the refused save.
    assert app.text_input(key=f"xw:{copy_id}:res:{placebo}:v:n").value == "25.5"
    assert app.text_input(key=f"xw:{copy_id}:char:country").value == "Malaysia"
    fill(app, copy_id, f"res:{placebo}:v:n", "25")
    app.button(key=f"extract_save_{copy_id}").click().run()
    [error] = app.error
    assert "SE" in error.value and "-1" in error.value  # the service's check, naming the field
    fill(app, copy_id, f"res:{placebo}:v:se", "0.4")
    app.button(key=f"extract_save_{copy_id}").click().run()
    assert not app.error and "Saved." in text_of(app)
    saved_draft = app.session_state[f"xd:{copy_id}"]
    fill(app, copy_id, "char:registration", "NCT0001")  # typed after the save, not saved
    assert app.session_state[f"xd:{copy_id}"] is saved_draft  # not made again from the database
    assert app.text_input(key=f"xw:{copy_id}:char:registration").value == "NCT0001"
    saved = saved_copy(review, "reviewer1", copy_id)
    assert saved.characteristics == {"country": "Malaysia"}
    assert [a.label for a in saved.arms] == ["Kratom", "Placebo"]
    assert {r.arm: dict(r.values) for r in saved.results} == {
        "Kratom": {"n": 26, "mean": 4.5, "se": 0.3},
        "Placebo": {"n": 25, "se": 0.4},
    }


def required_characteristics() -> dict[str, str]:
    """A value for each required field of the demo protocol, of the field's type."""
    values = {"choice": None, "integer": "26", "number": "1.5", "boolean": "yes", "text": "x"}
    return {
        f.id: values[f.type] or f.choices[0]
        for f in load_protocol(DEMO_PROTOCOL).extraction_fields
        if f.required
    }


def extract(review: Review, name: str, *, mean: float, registration: str = "") -> int:
    """``name``'s complete copy of the study (through the services): SAVED's arms, its first
    result with this ``mean``, the required characteristics and ``registration``."""
    characteristics = required_characteristics()
    if registration:
        characteristics["registration"] = registration
    first = replace(SAVED.results[0], values={"n": 26, "mean": mean, "se": 0.3})
    data = replace(
        SAVED, study=STUDY, extractor=name, characteristics=characteristics, results=(first,)
    )
    with session_scope(make_engine(review.url)) as session:
        actor = review.actor(name)
        copy = open_copy(session, actor=actor, review_id=review.review_id, study_id=review.study_id)
        ids = {"review_id": review.review_id, "extraction_id": copy.extraction_id}
        save_copy(session, actor=actor, data=data, **ids)
        set_complete(session, actor=actor, complete=True, **ids)
    return copy.extraction_id


def test_a_blind_reviewer_sees_only_their_own_copy(review: Review) -> None:
    extract(review, "reviewer2", mean=5.0, registration="SECRET-NCT-2")
    app = page_as(review, "reviewer1", "reviewer")
    assert not app.exception
    assert "SECRET" not in text_of(app) and "reviewer2" not in text_of(app)
    assert not app.segmented_control  # no comparison or consensus view
    app.button(key="extract_open").click().run()
    copy_id = own_copy_id(review, "reviewer1")
    assert app.text_input(key=f"xw:{copy_id}:char:registration").value == ""
    assert "SECRET" not in text_of(app)


def test_a_lead_compares_the_copies_and_settles_the_discrepancy(review: Review) -> None:
    extract(review, "reviewer1", mean=4.5)
    second = extract(review, "reviewer2", mean=5.0)
    app = page_as(review, "lead", "lead")
    # a lead who is not an extractor of the study lands on the comparison
    assert app.segmented_control(key="extract_view").value == "Compare and agree"
    app.segmented_control(key="extract_view").set_value("My extraction").run()
    assert "Trial 2021 already has its 2 extractor(s)" in text_of(app)  # no third copy offered
    assert not [b for b in app.button if b.key == "extract_open"]
    app.segmented_control(key="extract_view").set_value("Compare and agree").run()
    assert not app.exception
    [agreement, differing] = app.metric[:2]
    assert differing.value == "1"
    assert agreement.value.endswith("%") and agreement.value != "100%"
    table = app.dataframe[-1]  # after the progress table
    differing_rows = table.value[table.value["Extractors"] == "differ"]
    assert list(differing_rows["Item"]) == ["Pain intensity at 1 hour, Kratom: n/mean/SD"]
    assert list(differing_rows["reviewer2"]) == ["Mean and SE: n 26, Mean 5, SE 0.3"]
    app.button(key=f"extract_start_{review.study_id}").click().run()
    assert not app.exception
    keep = [b for b in app.button if b.label == "Keep reviewer2's"]
    assert len(keep) == 1
    keep[0].click().run()
    assert not app.exception
    with session_scope(make_engine(review.url)) as session:
        comparison = compare_study(
            session,
            actor=review.actor("lead"),
            review_id=review.review_id,
            study_id=review.study_id,
        )
        assert comparison.consensus is not None
        consensus = get_copy(
            session,
            actor=review.actor("lead"),
            review_id=review.review_id,
            extraction_id=comparison.consensus.extraction_id,
        ).data
    assert comparison.unresolved == 0
    assert consensus.results[0].values["mean"] == 5.0
    assert "Every item is settled" in text_of(app)
    # The consensus form is the lead's to edit and mark complete, like a copy.
    consensus_id = comparison.consensus.extraction_id
    assert consensus_id != second
    app.button(key=f"extract_complete_{consensus_id}").click().run()
    assert not app.exception and "Saved and marked complete." in text_of(app)


def test_typed_values_survive_leaving_the_study_and_coming_back(review: Review) -> None:
    other = add_study(review.url, "Other 2019")
    app = page_as(review, "reviewer1", "reviewer")
    app.button(key="extract_open").click().run()
    copy_id = own_copy_id(review, "reviewer1")
    fill(app, copy_id, "char:country", "Malaysia")
    app.selectbox(key=f"xw:{copy_id}:design:kind").set_value("crossover").run()
    fill(app, copy_id, "design:crossover_correlation", "1.5")
    assert "Correlation between periods: " in text_of(app)  # out of range, said as typed
    app.selectbox(key="extract_study").set_value(other).run()
    assert not app.exception
    assert not [w for w in app.text_input if str(w.key).startswith(f"xw:{copy_id}:")]
    app.selectbox(key="extract_study").set_value(review.study_id).run()
    assert app.text_input(key=f"xw:{copy_id}:char:country").value == "Malaysia"
    assert app.text_input(key=f"xw:{copy_id}:design:crossover_correlation").value == "1.5"
    saved = saved_copy(review, "reviewer1", copy_id)
    assert saved.characteristics == {}  # typed, not saved: kept on the page only


def test_a_between_arm_result_shows_the_se_its_ci_gives(review: Review) -> None:
    app = page_as(review, "reviewer1", "reviewer")
    app.button(key="extract_open").click().run()
    copy_id = own_copy_id(review, "reviewer1")
    add_arm(app, copy_id, "Kratom", "intervention")
    add_arm(app, copy_id, "Placebo", "comparator")
    form = f"xw:{copy_id}:add_contrast:pain_intensity"
    app.text_input(key=f"{form}:time").input("1 hour")
    app.selectbox(key=f"{form}:format").set_value("estimate_ci")
    app.button(key=f"FormSubmitter:{form}-Add between-arm result").click().run()
    assert [e.value for e in app.error] == [
        "Estimate and CI with no effect measure: choose one of Mean difference (MD), "
        "Standardised mean difference (SMD)."
    ]
    app.selectbox(key=f"{form}:measure").set_value("MD")
    app.button(key=f"FormSubmitter:{form}-Add between-arm result").click().run()
    [token] = result_tokens(app, copy_id)
    assert app.selectbox(key=f"xw:{copy_id}:res:{token}:measure").value == "MD"
    for name, value in (("estimate", "-1.2"), ("ci_lower", "-2.0"), ("ci_upper", "-0.4")):
        fill(app, copy_id, f"res:{token}:v:{name}", value)
    # SE = (upper - lower) / 3.92 for a 95 % CI (Cochrane Handbook 6.3.1): 1.6 / 3.92 = 0.408
    assert "SE = 0.4082" in text_of(app)
    assert "Pain intensity, 1 hour, Kratom vs Placebo" in text_of(app)
    fill(app, copy_id, f"res:{token}:v:ci_lower", "-0.1")  # lower limit above the upper
    assert ":red[Estimate (-1.2) cannot be below CI lower limit (-0.1).]" in text_of(app)


def test_results_are_listed_by_time_point_in_the_order_entered(review: Review) -> None:
    before, after = (
        Result("pain_intensity", timepoint, arm, "mean_sd", {"n": 26})
        for timepoint, arm in (("Before dose", "Kratom"), ("1 h after dose", "Kratom"))
    )
    placebo = Result("pain_intensity", "Before dose", "Placebo", "mean_sd", {"n": 26})
    with session_scope(make_engine(review.url)) as session:
        actor = review.actor("reviewer1")
        copy = open_copy(session, actor=actor, review_id=review.review_id, study_id=review.study_id)
        data = replace(SAVED, study=STUDY, extractor="reviewer1", results=(before, after, placebo))
        save_copy(
            session,
            actor=actor,
            review_id=review.review_id,
            extraction_id=copy.extraction_id,
            data=data,
        )
    app = page_as(review, "reviewer1", "reviewer")
    headers = [m.value.replace("\\", "") for m in app.markdown if m.value.startswith("**Pain")]
    assert headers == [
        "**Pain intensity, Before dose, Kratom**",
        "**Pain intensity, Before dose, Placebo**",
        "**Pain intensity, 1 h after dose, Kratom**",
    ]


def test_the_demo_study_says_it_is_indirect_evidence(review: Review) -> None:
    """The demo's one study is shown for what it is, never as evidence for the question."""
    with session_scope(make_engine(review.url)) as session:
        demo_study = next(
            p.study_id
            for p in list_progress(session, actor=review.actor("lead"), review_id=review.review_id)
            if p.label == "Vicknasingam 2020"
        )
    app = page_as(review, "reviewer1", "reviewer", study_id=demo_study)
    assert not app.exception
    (banner,) = [i.value for i in app.info if "Indirect evidence" in str(i.value)]
    assert "left out of the main analyses" in banner
    assert "healthy regular kratom users" in banner


def test_the_study_s_reports_are_beside_the_form(review: Review) -> None:
    title, abstract = report_of(review)
    app = page_as(review, "reviewer1", "reviewer")
    app.button(key="extract_open").click().run()
    assert not app.exception
    assert title in text_of(app) and abstract in [t.value for t in app.text]
    assert "No full text recorded" in text_of(app)  # none attached to this report
    assert app.tabs  # the form, beside them
