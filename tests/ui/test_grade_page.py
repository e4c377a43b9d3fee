"""The GRADE page and the Summary-of-findings page on the dat.bcg review
(tests/services/grade_fixtures.py): a lead sees the outcomes critical first with their certainty,
the body of evidence, the studies and the eight domains with their suggestions; a rating without
the explanation it needs is refused by field and nothing is written; a lead saves, publishes, and
a reviewer then reads the published table; while extraction is blind a reviewer is told why in a
sentence."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, migrate, session_scope
from review_app.domain.grade.model import (
    EvidenceSource,
    GradeContent,
    GradeDomain,
    Judgement,
    Rating,
)
from review_app.models import GradeAssessment, User
from review_app.models import Review as ReviewRow
from review_app.services.analyses import delete_analysis, list_analyses
from review_app.services.grade import save_content
from review_app.services.permissions import Actor
from review_app.services.reviews import add_member
from review_app.services.users import create_user
from review_app.ui.components import grade_outcomes
from review_app.ui.components.grade_domains import explanation_key, rating_key
from review_app.ui.components.grade_keys import FINAL, OWN, Keys
from review_app.ui.views.grade import COMPARE_VIEW, FINAL_VIEW
from tests.services.grade_fixtures import (
    BCG_ANALYSIS,
    BCG_OUTCOME,
    INDIRECT_NOTE,
    INDIRECT_STUDY,
    bcg_review,
)
from tests.ui.conftest import APP, log_in
from tests.ui.study_pages import text_of
from tests.ui.test_login_page import deep_link


def grade_page() -> None:
    from review_app.ui.views import grade

    grade.render()


def sof_page() -> None:
    from review_app.ui.views import sof

    sof.render()


@dataclass(frozen=True)
class Bcg:
    url: str
    review_id: int
    users: dict[str, int]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Bcg]:
    """The dat.bcg review, built once; each test copies it."""
    path = tmp_path_factory.mktemp("grade") / "review.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate(engine)
    with session_scope(engine) as session:
        review = bcg_review(session)
        users = {u.name: u.id for u in session.exec(select(User)) if u.id is not None}
    engine.dispose()
    return path, Bcg(url, review.review_id, users)


@pytest.fixture
def bcg(built: tuple[Path, Bcg], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Bcg:
    source, template = built
    with sqlite3.connect(source) as origin, sqlite3.connect(tmp_path / "review.db") as copy:
        origin.backup(copy)
    url = f"sqlite:///{tmp_path / 'review.db'}"
    monkeypatch.setenv("REVIEW_APP_DATABASE_URL", url)
    return Bcg(url, template.review_id, template.users)


def page_as(page: Callable[[], None], bcg: Bcg, name: str, role: str, **state: object) -> AppTest:
    app = AppTest.from_function(page, default_timeout=90)
    app.session_state["user_id"], app.session_state["user_name"] = bcg.users[name], name
    app.session_state["review_id"], app.session_state["role"] = bcg.review_id, role
    for key, value in state.items():
        app.session_state[key] = value
    return app.run()


LEAD, REVIEWER = "bcg-lead", "bcg-reviewer1"
FINAL_KEYS = Keys(FINAL, BCG_OUTCOME)
# What the lead rates the tuberculosis outcome (with the explanation each needs).
RATINGS = {
    GradeDomain.RISK_OF_BIAS: (Rating.SERIOUS, "Most of the weight from trials at high risk."),
    GradeDomain.INCONSISTENCY: (Rating.SERIOUS, "I² 92 %; estimates on both sides."),
    GradeDomain.INDIRECTNESS: (Rating.NOT_SERIOUS, ""),
    GradeDomain.IMPRECISION: (Rating.NOT_SERIOUS, ""),
    GradeDomain.PUBLICATION_BIAS: (Rating.NOT_SERIOUS, ""),
}


def rate(app: AppTest, domain: GradeDomain, rating: Rating, explanation: str | None) -> AppTest:
    """Choose ``rating`` for ``domain`` in the final (and type ``explanation`` unless None)."""
    app.selectbox(key=FINAL_KEYS.prefix + rating_key(domain)).select(rating)
    if explanation is not None:
        app.text_area(key=FINAL_KEYS.prefix + explanation_key(domain)).input(explanation)
    return app


def finals(bcg: Bcg) -> list[GradeAssessment]:
    with session_scope(make_engine(bcg.url)) as session:
        rows = list(session.exec(select(GradeAssessment)))
        session.expunge_all()
        return rows


def frame(app: AppTest, column: str) -> list[str]:
    table = next(d.value for d in app.dataframe if column in d.value.columns)
    return [str(v) for v in table[column]]


def iframe_html(app: AppTest) -> str:
    (frame_element,) = app.get("iframe")
    return str(frame_element.proto.srcdoc)


def test_the_lead_sees_outcomes_critical_first_the_evidence_and_every_domain(bcg: Bcg) -> None:
    app = page_as(grade_page, bcg, LEAD, "lead")
    assert not app.exception and not app.error
    assert app.title[0].value == "GRADE"
    assert frame(app, "Outcome") == [
        "Tuberculosis",
        "Death from tuberculosis",
        "Health-related quality of life",
    ]
    assert frame(app, "Certainty") == ["pending", "no studies", "no studies"]
    assert app.selectbox(key=grade_outcomes.OUTCOME_KEY).value == BCG_OUTCOME
    assert app.radio(key=FINAL_KEYS.prefix + "source").value == "analysis"
    said = text_of(app)
    assert "**Inconsistency** · suggested: **Very serious**" in said  # I² 92 %
    assert "I² (95 % CI): 92.2 % (81.9 % to 97.7 %)" in said
    assert "Starting level: :green-badge[⊕⊕⊕⊕ High]" in said
    # nothing is chosen for the lead: the five boxes start empty; no upgrades for RCTs
    boxes = [b for b in app.selectbox if b.key and b.key.startswith(FINAL_KEYS.prefix + "rating")]
    assert [b.value for b in boxes] == [None] * 5
    assert "**Large effect**: None. Randomised evidence is not rated up" in said
    assert "still to rate: Risk of bias, Inconsistency, Indirectness" in said
    assert "Tuberculosis" in iframe_html(app)  # the table as the finals give it now


def test_a_rating_without_the_explanation_it_needs_is_refused_and_nothing_is_written(
    bcg: Bcg,
) -> None:
    app = page_as(grade_page, bcg, LEAD, "lead")
    rate(app, GradeDomain.RISK_OF_BIAS, Rating.SERIOUS, "").run()
    assert "changes the certainty: write why" in app.warning[0].value
    app = app.button(key="grade_save_0").click().run()
    assert not app.exception
    (error,) = app.error
    assert error.value.startswith("Nothing was saved; your choices are kept.")
    assert "Risk of bias" in error.value and "needs an explanation" in error.value
    assert "Traceback" not in error.value
    assert finals(bcg) == []
    # what was chosen is still there
    assert app.selectbox(key=FINAL_KEYS.prefix + rating_key(GradeDomain.RISK_OF_BIAS)).value == (
        Rating.SERIOUS
    )


def test_saved_ratings_give_the_certainty_and_published_the_reviewer_reads_the_table(
    bcg: Bcg,
) -> None:
    before = page_as(sof_page, bcg, REVIEWER, "reviewer")
    assert not before.exception
    assert before.info[0].value.startswith("No Summary-of-Findings table is published yet")
    app = page_as(grade_page, bcg, LEAD, "lead")
    for domain, (rating, explanation) in RATINGS.items():
        rate(app, domain, rating, explanation or None)
    app = app.button(key="grade_complete_0").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert "Saved and marked complete." in text_of(app)
    (row,) = finals(bcg)
    assert (row.outcome_id, row.slot, row.certainty, row.status) == (
        BCG_OUTCOME,
        0,
        "low",
        "complete",
    )
    assert frame(app, "Certainty")[0] == "⊕⊕◯◯ Low"
    app = app.button(key="gr_publish").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert "Published: every member reads this table" in text_of(app)
    assert "changes into a draft when a final changes" in text_of(app)
    assert "Published 20" in iframe_html(app) and "not published" not in iframe_html(app)

    reader = page_as(sof_page, bcg, REVIEWER, "reviewer")
    assert not reader.exception and not reader.error
    assert reader.title[0].value == "Summary of findings"
    html = iframe_html(reader)
    assert "Tuberculosis" in html and "Low" in html
    assert "No studies were found that measured this outcome" in html
    assert "Published 20" in html and "by bcg-lead" in html
    labels = [b.proto.label for b in reader.get("download_button")]
    assert labels == ["Word (DOCX)", "Web page (HTML)", "CSV", "JSON"]


def test_a_reviewer_is_told_in_a_sentence_while_extraction_is_blind(bcg: Bcg) -> None:
    app = page_as(grade_page, bcg, REVIEWER, "reviewer")
    assert not app.exception and not app.error
    assert app.info[0].value.startswith("GRADE judges the consensus extraction and risk of bias")
    assert not app.selectbox and not app.get("iframe")


def judged(rating: Rating, explanation: str) -> GradeContent:
    """A judge's copy of the tuberculosis outcome rating risk of bias only."""
    judgement = Judgement(GradeDomain.RISK_OF_BIAS, rating, explanation)
    return GradeContent(
        source=EvidenceSource.ANALYSIS,
        analysis=BCG_ANALYSIS,
        judgements={GradeDomain.RISK_OF_BIAS: judgement},
    )


def two_judges(bcg: Bcg) -> int:
    """The lead and a second lead each save a copy that differ on risk of bias; the second
    lead's id."""
    with session_scope(make_engine(bcg.url)) as session:
        second = create_user(session, name="bcg-lead2", password="bcg-lead2-password")
        assert second.id is not None
        add_member(
            session, actor=Actor.operator(), review_id=bcg.review_id, user_id=second.id,
            role="lead",
        )  # fmt: skip
        for user_id, content in (
            (bcg.users[LEAD], judged(Rating.SERIOUS, "Half the weight at high risk.")),
            (second.id, judged(Rating.VERY_SERIOUS, "Alternation in most trials.")),
        ):
            save_content(
                session, actor=Actor.user(user_id), review_id=bcg.review_id,
                outcome_id=BCG_OUTCOME, content=content,
            )  # fmt: skip
        return second.id


def test_the_lead_compares_two_judges_and_takes_one_rating_into_the_final(bcg: Bcg) -> None:
    second = two_judges(bcg)
    app = page_as(grade_page, bcg, LEAD, "lead", **{f"gr_view:{BCG_OUTCOME}": COMPARE_VIEW})
    assert not app.exception and not app.error
    assert frame(app, "Item")[0] == "Risk of bias: rating"  # the discrepancies first
    take = f"grade_take_{second}_rating|{GradeDomain.RISK_OF_BIAS}"
    app = app.button(key=take).click().run()
    assert not app.exception and not app.error
    final = next(row for row in finals(bcg) if row.slot == 0)
    assert final.content["judgements"]["risk_of_bias"] == {
        "rating": "very_serious",
        "explanation": "Alternation in most trials.",
    }
    app.session_state[f"gr_view:{BCG_OUTCOME}"] = FINAL_VIEW
    app = app.run()
    rating = app.selectbox(key=FINAL_KEYS.prefix + rating_key(GradeDomain.RISK_OF_BIAS))
    assert rating.value == Rating.VERY_SERIOUS  # the final's form shows what was taken


def test_the_router_opens_the_summary_of_findings_for_a_reviewer(bcg: Bcg) -> None:
    app = AppTest.from_file(str(APP), default_timeout=90).run()
    log_in(app, REVIEWER, f"{REVIEWER}-password")
    deep_link(app, "sof")
    assert not app.exception and not app.error
    assert app.title[0].value == "Summary of findings"
    assert app.info[0].value.startswith("No Summary-of-Findings table is published yet")


def test_an_override_asks_to_rewrite_the_draft_and_a_narrative_follows_swim(bcg: Bcg) -> None:
    app = page_as(grade_page, bcg, LEAD, "lead")
    app = rate(app, GradeDomain.INCONSISTENCY, Rating.SERIOUS, None).run()
    assert [w.value for w in app.warning] == [
        "The explanation is the draft for the suggested 'Very serious': rewrite it to say why "
        "'Serious'."
    ]
    app = app.radio(key=FINAL_KEYS.prefix + "source").set_value(EvidenceSource.NARRATIVE).run()
    assert not app.exception
    assert app.text_area(key=FINAL_KEYS.prefix + "narrative").value == ""
    said = text_of(app)
    assert "Following SWiM (Campbell et al., BMJ 2020)" in said
    assert "The suggestions below follow the body of evidence once it is saved." in said


def open_review(bcg: Bcg) -> None:
    """The review's extraction and risk of bias are no longer blind: every member judges."""
    with session_scope(make_engine(bcg.url)) as session:
        row = session.get(ReviewRow, bcg.review_id)
        assert row is not None
        opened = {
            name: {**row.protocol[name], "blind": False} for name in ("extraction", "appraisal")
        }
        row.protocol = {**row.protocol, **opened}


def test_once_not_blind_a_reviewer_judges_in_their_own_copy(bcg: Bcg) -> None:
    open_review(bcg)
    app = page_as(grade_page, bcg, REVIEWER, "reviewer")
    assert not app.exception and not app.error
    assert "**Your copy** · not started" in text_of(app)
    assert not app.get("iframe")  # the current table is the leads'
    own = Keys(OWN, BCG_OUTCOME)
    box = app.selectbox(key=own.prefix + rating_key(GradeDomain.PUBLICATION_BIAS))
    box.select(Rating.NOT_SERIOUS)
    app = app.button(key="grade_save_1").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    (row,) = finals(bcg)
    assert (row.slot, row.judge_id) == (1, bcg.users[REVIEWER])
    none = {"rating": "none", "explanation": ""}  # randomised evidence: not rated up
    assert row.content["judgements"] == {
        "publication_bias": {"rating": "not_serious", "explanation": ""},
        "large_effect": none,
        "dose_response": none,
        "confounding": none,
    }


def test_a_comparator_risk_with_its_source_is_saved_and_gives_a_row_of_the_table(
    bcg: Bcg,
) -> None:
    app = page_as(grade_page, bcg, LEAD, "lead")
    app.number_input(key=FINAL_KEYS.prefix + "baseline:Moderate").set_value(200.0)
    app.text_input(key=FINAL_KEYS.prefix + "baseline_source:Moderate").input("A cohort, 2019")
    app.text_area(key=FINAL_KEYS.prefix + "comments").input("Latitude explains much.")
    app = app.button(key="grade_save_0").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    (row,) = finals(bcg)
    assert row.content["baselines"] == [
        {"label": "Moderate", "per_1000": 200.0, "source": "A cohort, 2019"}
    ]
    assert row.content["comments"] == "Latitude explains much."
    html = iframe_html(app)
    assert "200 per 1,000" in html and "Latitude explains much." in html


def test_a_final_whose_analysis_was_deleted_says_so_and_shows_the_proposed_evidence(
    bcg: Bcg,
) -> None:
    lead = Actor.user(bcg.users[LEAD])
    with session_scope(make_engine(bcg.url)) as session:
        save_content(
            session, actor=lead, review_id=bcg.review_id, outcome_id=BCG_OUTCOME,
            content=judged(Rating.SERIOUS, "Half the weight at high risk."), final=True,
        )  # fmt: skip
        (saved,) = list_analyses(session, actor=lead, review_id=bcg.review_id)
        delete_analysis(session, actor=lead, review_id=bcg.review_id, analysis_id=saved.id)
    app = page_as(grade_page, bcg, LEAD, "lead")
    assert not app.exception
    (warning,) = [w.value for w in app.warning if "cannot be read" in w.value]
    assert f"no saved analysis named '{BCG_ANALYSIS}'" in warning.replace("\\", "")
    assert "choose the body of evidence and save" in warning
    # what the table cannot be built from is said in a sentence, not a traceback
    assert all("Traceback" not in e.value for e in app.error)


def test_a_narrative_synthesis_lists_every_study_with_the_extraction_s_indirect_note(
    bcg: Bcg,
) -> None:
    narrative = GradeContent(source=EvidenceSource.NARRATIVE, narrative="Most trials favour BCG.")
    with session_scope(make_engine(bcg.url)) as session:
        save_content(
            session, actor=Actor.user(bcg.users[LEAD]), review_id=bcg.review_id,
            outcome_id=BCG_OUTCOME, content=narrative, final=True,
        )  # fmt: skip
    app = page_as(grade_page, bcg, LEAD, "lead")
    assert not app.exception and not app.error
    studies = frame(app, "Study")
    assert INDIRECT_STUDY in studies and len(studies) == 14
    assert "Weight (%)" not in next(d.value for d in app.dataframe if "Study" in d.value.columns)
    assert f"Indirect evidence, {INDIRECT_STUDY}: {INDIRECT_NOTE}" in text_of(app)
    assert app.text_area(key=FINAL_KEYS.prefix + "narrative").value == "Most trials favour BCG."
