from __future__ import annotations

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, session_scope
from review_app.domain.prioritisation import ranked_stopping_estimate
from review_app.models import ImportBatch, Record, Review, User
from review_app.services.demo import DEMO_ACCOUNTS
from review_app.services.permissions import Actor
from review_app.services.prioritisation import stopping_aid
from review_app.ui.views.dashboard import _stopping_facts, _stopping_verdict
from tests.ui.conftest import LEAD, log_in


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def add_records(url: str, count: int) -> None:
    with session_scope(make_engine(url)) as session:
        review = session.exec(select(Review)).one()
        batch = ImportBatch(review_id=review.id, file_name="embase.ris", sha256="1" * 64,  # type: ignore[arg-type]
                            source_name="Embase", format="ris", record_count=count)  # fmt: skip
        session.add(batch)
        session.flush()
        session.add_all(Record(review_id=review.id, import_batch_id=batch.id, position=i,  # type: ignore[arg-type]
                               title=f"T{i}") for i in range(count))  # fmt: skip


def count_records(url: str) -> int:
    with session_scope(make_engine(url)) as session:
        return len(session.exec(select(Record.id)).all())


def test_dashboard_shows_counts_from_the_database(app: AppTest, demo_url: str) -> None:
    add_records(demo_url, 3)
    log_in(app, LEAD.name, LEAD.password)
    assert not app.exception
    assert "Kratom" in app.title[0].value
    shown = metrics(app)
    assert shown["Imported"] == str(count_records(demo_url))
    assert shown["Import batches"] == "5"  # the demo's four searches and ours
    team = app.dataframe[0].value
    assert sorted(team["Name"]) == sorted(a.name for a in DEMO_ACCOUNTS)


def test_reviewer_in_a_blind_review_sees_no_outcome_counts(app: AppTest) -> None:
    reviewer = DEMO_ACCOUNTS[1]
    log_in(app, reviewer.name, reviewer.password)
    assert "Conflicts" not in metrics(app) and "Fully voted" in metrics(app)
    assert any("shown to leads only" in c.value for c in app.caption)


def test_lead_can_unblind_a_reviewer_cannot(app: AppTest, demo_url: str) -> None:
    log_in(app, LEAD.name, LEAD.password)
    app.button(key="toggle_blind").click().run()
    assert any("Unblinded" in w.value for w in app.warning)
    reviewer = DEMO_ACCOUNTS[1]
    other = AppTest.from_file(app._script_path, default_timeout=30).run()
    log_in(other, reviewer.name, reviewer.password)
    assert not [b for b in other.button if b.key == "toggle_blind"]


def test_a_blind_reviewer_gets_a_sentence_instead_of_the_flow_diagram(app: AppTest) -> None:
    reviewer = DEMO_ACCOUNTS[1]
    log_in(app, reviewer.name, reviewer.password)
    assert not app.exception
    assert any("flow diagram adds up everyone's votes" in i.value for i in app.info)
    assert not [b for b in app.button if b.key and b.key.startswith("release_")]


def test_a_lead_sends_the_decided_records_on_to_full_text(app: AppTest) -> None:
    log_in(app, LEAD.name, LEAD.password)
    [send] = [b for b in app.button if b.key == "release_title_abstract"]
    assert send.label.startswith("Send ") and "decided records on to full text" in send.label
    send.click().run()
    assert not app.exception
    assert not [b for b in app.button if b.key == "release_title_abstract"]


def test_a_stage_counts_its_records_without_seeming_to_contradict_them(app: AppTest) -> None:
    """'To screen 86' beside 'Fully voted 60' read as a contradiction: the first counts every
    record at the stage, so it says so, and the bar says how many still need votes."""
    reviewer = DEMO_ACCOUNTS[1]
    log_in(app, reviewer.name, reviewer.password)
    shown = metrics(app)
    assert "To screen" not in shown and "Records at this stage" in shown
    at_stage, voted = int(shown["Records at this stage"]), int(shown["Fully voted"])
    assert int(shown["Still needing votes"]) == at_stage - voted


def test_screening_starts_from_the_dashboard(app: AppTest) -> None:
    log_in(app, LEAD.name, LEAD.password)
    [start] = [b for b in app.button if b.key == "start_screening_title_abstract"]
    start.click().run()
    assert not app.exception
    assert app.session_state["screen_stage"] == "title_abstract"
    assert not [b for b in app.button if b.key and b.key.startswith("start_screening_")]


def test_a_low_kappa_beside_high_agreement_is_explained(app: AppTest) -> None:
    log_in(app, LEAD.name, LEAD.password)
    table = app.dataframe[-1].value
    pairs = [
        (float(row["Agreement"].split()[0]) / 100, float(row["Cohen's kappa (95 % CI)"].split()[0]))
        for _, row in table.iterrows()
    ]
    skewed = [(po, kappa) for po, kappa in pairs if po >= 0.8 and po - kappa >= 0.3]
    notes = [i.value for i in app.info if "agreement but a kappa of" in i.value]
    assert len(notes) == len(skewed) and skewed, "the demo has a prevalence-skewed pair"
    assert all("would already agree on" in n and "Feinstein" in n for n in notes)


def test_the_stopping_aid_leads_with_its_verdict(app: AppTest, demo_url: str) -> None:
    log_in(app, LEAD.name, LEAD.password)
    with session_scope(make_engine(demo_url)) as session:
        lead = session.exec(select(User).where(User.name == LEAD.name)).one()
        review = session.exec(select(Review)).one()
        e = stopping_aid(session, actor=Actor.user(lead.id), review_id=review.id)  # type: ignore[arg-type]
    verdicts = [
        v.value
        for v in (*app.success, *app.warning, *app.info)
        if v.value.startswith(("You may stop", "Keep screening"))
    ]
    expected = (
        "You may stop: with 95 % confidence"
        if e.criterion_met
        else f"Keep screening: if the next {e.more_to_sample} records screened are all excluded"
    )
    assert len(verdicts) == 1 and verdicts[0].startswith(expected)
    facts = " ".join(m.value for m in app.markdown)
    assert e.sample_size > 0, "the demo has screened records"
    which = "All" if e.sample_size == e.n_screened else "The last"
    assert (
        f"{which} {e.sample_size} records screened, in ranked order, serve as the sample: "
        f"{e.includes_in_sample} of them were included." in facts
    )
    assert metrics(app)["Includes still missed, at most (95 % sure)"] == str(
        e.remaining_upper_bound
    )
    shown = [x.value for x in (*app.markdown, *app.caption, *app.success, *app.warning, *app.info)]
    assert not any("drawn at random" in text for text in shown)
    assert any("assumes the records were screened in the order of the ranking" in text
               for text in app.caption.values)  # fmt: skip


def test_the_stopping_verdict_reads_right_whatever_was_found() -> None:
    def shown(labels: list[int]) -> tuple[str, list[str]]:
        e = ranked_stopping_estimate(labels, n_records=30)
        return _stopping_verdict(e), _stopping_facts(e)

    verdict, facts = shown([1, 1, 1] + [0] * 26)
    assert verdict.startswith("You may stop: with 95 % confidence at least 95 % of the includes")
    assert facts[1].startswith("The last 26 records screened, in ranked order, serve as")
    verdict, facts = shown([0] * 29)  # nothing to find: no "95 % of no includes"
    assert verdict.endswith("none of the records not yet screened is an include.")
    assert facts[0] == "0 includes found in 29 of 30 records." and len(facts) == 3
    verdict, facts = shown([1, 0] + [0] * 10)
    more = ranked_stopping_estimate([1, 0] + [0] * 10, n_records=30).more_to_sample
    assert 1 < more < 18  # 18 records are left
    assert (
        verdict
        == f"Keep screening: if the next {more} records screened are all excluded, you may stop."
    )
    assert facts[1] == (
        "The last 11 records screened, in ranked order, serve as the sample: "
        "0 of them were included."
    )
    verdict, facts = shown([1])
    assert verdict.endswith("until all 29 records left are screened.")
    assert facts[:2] == [
        "1 include found in 1 of 30 records.",
        "The only record screened serves as the sample: it was included.",
    ]
