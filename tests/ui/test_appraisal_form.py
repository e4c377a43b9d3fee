"""The risk-of-bias form on its own: the draft that keeps answers as plain values, conditional
questions shown only when called for, the proposal following the answers, confirm and override
(an override asks for support), the overall proposal."""

from __future__ import annotations

import base64

from streamlit.testing.v1 import AppTest

from review_app.domain.appraisal.model import DomainAssessment, ResultAssessment
from review_app.domain.appraisal.rob2 import ROB2
from review_app.domain.appraisal.tool import Answer
from review_app.ui.components.appraisal_draft import (
    answer_path,
    from_assessment,
    to_assessment,
)
from review_app.ui.components.appraisal_form import override_note

D1 = ROB2.domains_for("assignment")[0]
D2_ADHERENCE = ROB2.domains_for("adherence")[1]
SAVED = ResultAssessment(
    study="Trial 2021",
    outcome_id="pain_intensity",
    assessor="reviewer1",
    tool="rob2",
    variant="adherence",
    domains=(
        DomainAssessment("D1", {"1.1": Answer.Y, "1.2": Answer.Y, "1.3": Answer.N}, "Low", "q"),
        DomainAssessment("D2", {"2.1": Answer.N, "2.2": Answer.N}, None, ""),
    ),
    overall=None,
)


def test_a_draft_gives_back_the_copy_it_shows() -> None:
    draft = from_assessment(SAVED, ROB2, version="v1")
    assert to_assessment(draft, ROB2, saved=SAVED) == SAVED
    assert all(isinstance(v, str | None) for v in draft.values.values())  # plain values


def test_answers_a_later_answer_hides_stay_in_the_draft_but_are_not_saved() -> None:
    draft = from_assessment(SAVED, ROB2, version="v1")
    draft.values[answer_path(D1, "1.2")] = "N"  # concealment: 1.1 still asked (all are)
    domains = ROB2.domains_for("assignment")
    d2 = domains[1]
    draft.values[answer_path(d2, "2.1")] = "N"
    draft.values[answer_path(d2, "2.2")] = "N"
    draft.values[answer_path(d2, "2.3")] = "Y"  # asked only when 2.1 or 2.2 is Y/PY/NI
    draft.values["variant"] = "assignment"
    copy = to_assessment(draft, ROB2, saved=SAVED)
    d2_saved = copy.domain("D2")
    assert d2_saved is not None and dict(d2_saved.answers) == {"2.1": Answer.N, "2.2": Answer.N}
    assert draft.values[answer_path(d2, "2.3")] == "Y"


def test_an_untouched_domain_is_left_out_of_the_copy() -> None:
    draft = from_assessment(SAVED, ROB2, version="v1")
    assert [d.domain for d in to_assessment(draft, ROB2, saved=SAVED).domains] == ["D1", "D2"]


def test_an_override_needs_support() -> None:
    assert override_note("High", "Low", "") == (
        "High overrides the proposed Low: write a sentence of support saying why."
    )
    assert override_note("High", "Low", "Baseline imbalance in age (Table 1).") is None
    assert override_note("Low", "Low", "") is None
    assert override_note(None, "Low", "") is None


def form_page() -> None:
    import streamlit as st

    from review_app.domain.appraisal.model import ResultAssessment
    from review_app.domain.appraisal.rob2 import ROB2
    from review_app.ui.components.appraisal_draft import from_assessment
    from review_app.ui.components.appraisal_form import AssessmentForm

    empty = ResultAssessment("Trial 2021", "pain_intensity", "reviewer1", "rob2")
    if "draft" not in st.session_state:
        st.session_state["draft"] = from_assessment(empty, ROB2, version="v1")
    form = AssessmentForm(7, st.session_state["draft"], ROB2, saved=empty)
    form.variant()
    form.domains()
    form.overall()


def answer(app: AppTest, path: str, value: str) -> AppTest:
    return app.segmented_control(key=f"rw:7:{path}").set_value(value).run()


def captions(app: AppTest) -> str:
    return "\n".join(str(c.value) for c in app.caption)


def shown(app: AppTest) -> set[str]:
    return {str(s.key) for s in app.segmented_control}


def test_the_form_proposes_confirms_and_asks_support_for_an_override() -> None:
    app = AppTest.from_function(form_page, default_timeout=30).run()
    assert not app.exception
    assert "Proposed when 1.1, 1.2, 1.3 are answered." in captions(app)
    for number, value in (("1.1", "Y"), ("1.2", "Y"), ("1.3", "N")):
        answer(app, f"a:D1:{number}", value)
    assert "Proposed: **Low**. Use it, or choose another and say why." in captions(app)
    app.button(key="rw:7:confirm:j:D1").click().run()
    assert app.segmented_control(key="rw:7:j:D1").value == "Low"
    assert "Proposed: **Low** · confirmed." in captions(app)
    answer(app, "j:D1", "High")
    assert ":red[High overrides the proposed Low: write a sentence of support" in captions(app)
    app.text_area(key="rw:7:s:D1").input("Baseline imbalance in age (Table 1).").run()
    assert "overrides" not in captions(app)
    assert app.session_state["draft"].values["j:D1"] == "High"


def test_conditional_questions_appear_only_when_called_for() -> None:
    app = AppTest.from_function(form_page, default_timeout=30).run()
    d2 = "a:D2@assignment"
    assert f"rw:7:{d2}:2.3" not in shown(app)
    answer(app, f"{d2}:2.1", "N")
    answer(app, f"{d2}:2.2", "N")
    assert f"rw:7:{d2}:2.3" not in shown(app)  # neither aware: no deviations asked about
    answer(app, f"{d2}:2.2", "PY")
    assert f"rw:7:{d2}:2.3" in shown(app)
    answer(app, f"{d2}:2.3", "N")
    answer(app, f"{d2}:2.2", "N")  # hidden again, its answer kept in the draft
    assert f"rw:7:{d2}:2.3" not in shown(app)
    assert app.session_state["draft"].values[f"{d2}:2.3"] == "N"
    answer(app, f"{d2}:2.2", "Y")
    assert app.segmented_control(key=f"rw:7:{d2}:2.3").value == "N"


def test_the_variant_swaps_domain_2_and_keeps_each_variants_answers() -> None:
    app = AppTest.from_function(form_page, default_timeout=30).run()
    answer(app, "a:D2@assignment:2.1", "Y")
    app.radio(key="rw:7:variant").set_value("adherence").run()
    assert not app.exception
    assert "rw:7:a:D2@adherence:2.1" in shown(app)
    assert "rw:7:a:D2@assignment:2.1" not in shown(app)
    app.radio(key="rw:7:variant").set_value("assignment").run()
    assert app.segmented_control(key="rw:7:a:D2@assignment:2.1").value == "Y"


def test_the_overall_proposal_follows_the_domain_judgements() -> None:
    app = AppTest.from_function(form_page, default_timeout=30).run()
    assert "Proposed once every domain is judged." in captions(app)
    for domain in ("D1", "D2@assignment", "D3", "D4", "D5"):
        answer(app, f"j:{domain}", "Low")
    answer(app, "j:D3", "Some concerns")
    assert app.button(key="rw:7:confirm:overall").label == "Use the proposal: Some concerns"


# --- the plots ----------------------------------------------------------------------------------


def plots_page() -> None:
    from review_app.domain.appraisal.plots import Judgement, RobDomain, RobRow, RobTable
    from review_app.ui.components import appraisal_plots

    table = RobTable(
        tool="RoB 2",
        domains=(RobDomain("D1", "Randomisation process"), RobDomain("D2", "Deviations")),
        scale=(
            Judgement("Low", "#02C100", "+"),
            Judgement("Some concerns", "#E2DF07", "-"),
            Judgement("High", "#BF0000", "X"),
        ),
        rows=(
            RobRow("Trial 2021", ("Low", "High"), "High"),
            RobRow("Other 2019", ("Low", None), None),
        ),
    )
    appraisal_plots.show(table, outcome_name="Pain intensity", key="pain")


def test_the_plots_show_the_table_they_are_drawn_from() -> None:
    app = AppTest.from_function(plots_page, default_timeout=60).run()
    assert not app.exception and not app.error
    frame = app.dataframe[0].value
    assert frame.to_dict("records") == [
        {"Study": "Trial 2021", "D1": "Low", "D2": "High", "Overall": "High"},
        {"Study": "Other 2019", "D1": "Low", "D2": "—", "Overall": "—"},
    ]
    traffic, summary = (svg_of(image) for image in app.get("image"))
    assert "Trial 2021" in traffic and "Other 2019" in traffic  # SVG text stays text
    assert "#bf0000" in traffic.lower()  # High, in robvis's red
    assert "Overall risk of bias" in summary


def svg_of(image: object) -> str:
    """The SVG markup of an st.image element (sent as a base64 data URL)."""
    url = image.proto.imgs[0].url  # type: ignore[attr-defined]
    head, _, data = url.partition(",")
    assert head == "data:image/svg+xml;base64"
    return base64.b64decode(data).decode("utf-8")


def robins_page() -> None:
    import streamlit as st

    from review_app.domain.appraisal.model import ResultAssessment
    from review_app.domain.appraisal.robins_i import ROBINS_I
    from review_app.ui.components.appraisal_draft import from_assessment
    from review_app.ui.components.appraisal_form import AssessmentForm

    empty = ResultAssessment("Cohort 2019", "pain_intensity", "reviewer1", "robins-i")
    if "draft" not in st.session_state:
        st.session_state["draft"] = from_assessment(empty, ROBINS_I, version="v1")
    form = AssessmentForm(8, st.session_state["draft"], ROBINS_I, saved=empty)
    form.domains()


def test_a_domain_the_guidance_leaves_to_the_assessor_says_so_from_the_start() -> None:
    app = AppTest.from_function(robins_page, default_timeout=30).run()
    assert not app.exception
    texts = captions(app)
    assert "Proposed when 1.1 is answered." in texts  # D1 has the published 1.1 mapping
    assert texts.count("the tool's guidance leaves this to your judgement") == 6  # D2-D7
    app.segmented_control(key="rw:8:a:D1:1.1").set_value("N").run()
    # N/PN to 1.1: Low, the one mapping the 2016 guidance publishes
    assert app.button(key="rw:8:confirm:j:D1").label == "Use the proposal: Low"


def shared_page() -> None:
    import streamlit as st

    from review_app.domain.appraisal.model import DomainAssessment, ResultAssessment
    from review_app.domain.appraisal.rob2 import ROB2
    from review_app.ui.components.appraisal_draft import from_assessment
    from review_app.ui.components.appraisal_form import AssessmentForm

    shared = ResultAssessment(
        "Trial 2021", "*", "reviewer1", "rob2", "assignment", (DomainAssessment("D1", {}, "High"),)
    )
    own = ResultAssessment("Trial 2021", "pain_intensity", "reviewer1", "rob2", "assignment")
    if "draft" not in st.session_state:
        st.session_state["draft"] = from_assessment(own, ROB2, version="v1")
    form = AssessmentForm(9, st.session_state["draft"], ROB2, saved=own, shared=shared)
    form.domains()
    form.overall()


def test_an_outcomes_copy_shows_and_uses_the_domains_of_the_all_outcomes_copy() -> None:
    app = AppTest.from_function(shared_page, default_timeout=30).run()
    assert not app.exception
    assert "All outcomes copy: **High**; it holds for this outcome" in captions(app)
    for domain in ("D2@assignment", "D3", "D4", "D5"):
        app.segmented_control(key=f"rw:9:j:{domain}").set_value("Low").run()
    # D1 from the copy for all outcomes: High, so the overall proposal is High
    assert app.button(key="rw:9:confirm:overall").label == "Use the proposal: High"
