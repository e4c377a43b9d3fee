"""GRADE judgements (services/grade.py) on the dat.bcg review of ``grade_fixtures``, on SQLite and
PostgreSQL: who judges and who reads what (blinding held by the service), the checks of a save,
the judges' slots, comparison and take, one judge's copy made the final, every change audited,
and the Summary-of-Findings table published and read back by every member."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from review_app.db import session_scope
from review_app.domain.grade.model import (
    DOWNGRADE_DOMAINS,
    Certainty,
    EvidenceSource,
    GradeContent,
    GradeDomain,
    Judgement,
    PicoElement,
    Rating,
)
from review_app.domain.meta import model as meta
from review_app.domain.vocabulary import EffectMeasure, ExtractionStatus
from review_app.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    ValidationError,
)
from review_app.models import GradeAssessment, Review, SavedAnalysis, SofPublication
from review_app.protocol import load_protocol, protocol_from_dict, protocol_to_dict
from review_app.protocol.model import GradeSettings
from review_app.services import grade
from review_app.services.analyses import AnalysisSpec, save_analysis
from review_app.services.grade import GradeProblems, OutcomeView
from review_app.services.grade_checks import intervention_name
from review_app.services.permissions import Actor
from tests.services.copies_fixtures import stage_events
from tests.services.grade_fixtures import BCG_OUTCOME, NO_STUDY_OUTCOMES, BcgReview, bcg_review
from tests.services.test_concurrency import at_once

ROOT = Path(__file__).resolve().parents[2]
ROB, INCONSISTENCY = GradeDomain.RISK_OF_BIAS, GradeDomain.INCONSISTENCY
IMPRECISION, LARGE = GradeDomain.IMPRECISION, GradeDomain.LARGE_EFFECT


@pytest.fixture
def bcg(session: Session) -> BcgReview:
    return bcg_review(session)


def settings(
    session: Session, review_id: int, *, open_consensus: bool = False, **grade_settings: Any
) -> None:
    """The review's protocol with extraction and risk of bias not blind (``open_consensus``)
    and these ``[grade]`` settings."""
    row = session.get(Review, review_id)
    assert row is not None
    stored = dict(row.protocol)
    if open_consensus:
        for section in ("extraction", "appraisal"):
            stored[section] = {**stored[section], "blind": False}
    stored["grade"] = {**stored.get("grade", {}), **grade_settings}
    row.protocol = stored
    session.add(row)
    session.flush()


def view(session: Session, bcg: BcgReview, actor: Actor, **kwargs: Any) -> OutcomeView:
    return grade.outcome_view(
        session, actor=actor, review_id=bcg.review_id, outcome_id=BCG_OUTCOME, **kwargs
    )


def as_suggested(shown: OutcomeView, **ratings: Rating) -> GradeContent:
    """The saved analysis, every domain rated as suggested (or as ``ratings`` say), each with
    the footnote draft as its explanation."""
    judgements = {
        domain: Judgement(
            domain,
            ratings.get(domain.value, suggestion.rating),
            suggestion.footnote or f"{domain.label}: as the data suggest.",
        )
        for domain, suggestion in shown.suggestions.items()
    }
    return GradeContent(
        source=EvidenceSource.ANALYSIS, analysis=shown.analyses[0], judgements=judgements
    )


def save(
    session: Session, bcg: BcgReview, actor: Actor, content: GradeContent, *, final: bool = False
) -> OutcomeView:
    return grade.save_content(
        session,
        actor=actor,
        review_id=bcg.review_id,
        outcome_id=BCG_OUTCOME,
        content=content,
        final=final,
    )


def copies_of(session: Session, review_id: int) -> list[GradeAssessment]:
    return list(
        session.exec(
            select(GradeAssessment)
            .where(GradeAssessment.review_id == review_id)
            .order_by(col(GradeAssessment.outcome_id), col(GradeAssessment.slot))
        )
    )


# --- who judges, who reads ----------------------------------------------------------------------


def test_a_reviewer_is_refused_while_the_consensus_is_blind(
    session: Session, bcg: BcgReview
) -> None:
    reviewer, review_id = bcg.reviewers[0], bcg.review_id
    content = GradeContent(source=EvidenceSource.NONE)
    calls: list[Callable[[], object]] = [
        lambda: grade.list_outcomes(session, actor=reviewer, review_id=review_id),
        lambda: view(session, bcg, reviewer),
        lambda: save(session, bcg, reviewer, content),
        lambda: grade.set_complete(
            session, actor=reviewer, review_id=review_id, outcome_id=BCG_OUTCOME
        ),
        lambda: grade.compare(session, actor=reviewer, review_id=review_id, outcome_id=BCG_OUTCOME),
        lambda: grade.summary_of_findings(session, actor=reviewer, review_id=review_id),
        lambda: grade.publish(session, actor=reviewer, review_id=review_id),
    ]
    for call in calls:
        with pytest.raises(PermissionDeniedError) as refused:
            call()
        assert "[extraction] blind and [appraisal] blind" in str(refused.value) or (
            "lead role" in str(refused.value)
        )
    assert grade.published(session, actor=reviewer, review_id=review_id) is None
    settings(session, review_id, open_consensus=True)
    listed = grade.list_outcomes(session, actor=reviewer, review_id=review_id)
    assert [v.outcome_id for v in listed] == [BCG_OUTCOME, *NO_STUDY_OUTCOMES]


def test_a_blind_judge_sees_only_their_own_copy(session: Session, bcg: BcgReview) -> None:
    settings(session, bcg.review_id, open_consensus=True)
    ana, ben = bcg.reviewers
    proposal = view(session, bcg, ana)
    assert proposal.own is None and proposal.final is None and proposal.final_grade is None
    assert proposal.content.source is EvidenceSource.ANALYSIS  # what the page proposes
    mine = save(session, bcg, ana, as_suggested(proposal))
    save(session, bcg, ben, as_suggested(proposal, risk_of_bias=Rating.VERY_SERIOUS))
    save(session, bcg, bcg.lead, dataclasses.replace(mine.content, comments="Lead's"), final=True)
    seen = view(session, bcg, ana)
    assert seen.own == mine.content and seen.own_slot == 1 and seen.content == mine.content
    assert (seen.final, seen.final_status, seen.final_grade, seen.judges) == (None, None, None, ())
    assert (seen.slots, seen.taken) == (2, 2)
    for call in (
        lambda: view(session, bcg, ana, final=True),
        lambda: grade.compare(session, actor=ana, review_id=bcg.review_id, outcome_id=BCG_OUTCOME),
    ):
        with pytest.raises(PermissionDeniedError, match=r"for leads while GRADE is blind"):
            call()
    lead = view(session, bcg, bcg.lead, final=True)
    assert [(j.slot, j.status) for j in lead.judges] == [(1, "in_progress"), (2, "in_progress")]
    assert lead.final is not None and lead.final.comments == "Lead's"


def test_judges_beyond_judges_per_outcome_are_told_every_slot_is_taken(
    session: Session, bcg: BcgReview
) -> None:
    settings(session, bcg.review_id, open_consensus=True)
    content = as_suggested(view(session, bcg, bcg.lead))
    for judge in bcg.reviewers:
        save(session, bcg, judge, content)
    with pytest.raises(ConflictError, match=r"already has its 2 judge\(s\)"):
        save(session, bcg, bcg.lead, content)
    settings(session, bcg.review_id, judges_per_outcome=3)
    assert save(session, bcg, bcg.lead, content).own_slot == 3


def test_not_blind_judges_read_the_other_copies_and_the_final(
    session: Session, bcg: BcgReview
) -> None:
    settings(session, bcg.review_id, open_consensus=True, blind=False)
    ana, ben = bcg.reviewers
    content = as_suggested(view(session, bcg, ana))
    with pytest.raises(PermissionDeniedError, match=r"open to its judges"):
        view(session, bcg, ana, final=True)  # not a judge of it yet
    save(session, bcg, ana, content)
    save(session, bcg, ben, dataclasses.replace(content, comments="Ben's"))
    seen = view(session, bcg, ana)
    assert [j.judge_id for j in seen.judges] == [ana.user_id, ben.user_id]
    assert seen.final is None and seen.final_grade is not None  # no final yet: the proposal
    compared = grade.compare(session, actor=ana, review_id=bcg.review_id, outcome_id=BCG_OUTCOME)
    assert [i.item.key for i in compared.comparison.discrepancies] == [("comments",)]


# --- saves --------------------------------------------------------------------------------------


def test_every_problem_is_listed_by_outcome_and_domain_and_nothing_is_written(
    session: Session, bcg: BcgReview
) -> None:
    shown = view(session, bcg, bcg.lead)
    assert shown.suggestions[IMPRECISION].rating is Rating.NOT_SERIOUS
    judgements = {
        ROB: Judgement(ROB, Rating.SERIOUS, ""),  # moves certainty, no explanation
        IMPRECISION: Judgement(IMPRECISION, Rating.SERIOUS, "  "),  # blank is none
        INCONSISTENCY: Judgement(INCONSISTENCY, Rating.NOT_SERIOUS),  # overrides very serious
        GradeDomain.INDIRECTNESS: Judgement(GradeDomain.INDIRECTNESS, Rating.NOT_SERIOUS),
    }
    content = GradeContent(EvidenceSource.ANALYSIS, bcg.analysis, judgements=judgements)
    with pytest.raises(GradeProblems) as refused:
        save(session, bcg, bcg.lead, content)
    assert [(p.where, p.field) for p in refused.value.problems] == [
        ("Tuberculosis", "Risk of bias"),
        ("Tuberculosis", "Inconsistency"),
        ("Tuberculosis", "Imprecision"),
    ]
    assert "it differs from the suggestion (Very serious)" in str(refused.value)
    assert "Serious needs an explanation (the footnote): it moves certainty" in str(refused.value)
    wrong = GradeContent(
        EvidenceSource.ANALYSIS,
        "Pain, REML",
        judgements={LARGE: Judgement(LARGE, Rating.SERIOUS, "why")},
    )
    with pytest.raises(GradeProblems) as refused:
        save(session, bcg, bcg.lead, wrong, final=True)
    assert [p.field for p in refused.value.problems] == ["Large effect", "body of evidence"]
    assert f"its analyses: {bcg.analysis!r}" in str(refused.value)
    assert copies_of(session, bcg.review_id) == []
    assert stage_events(session, bcg.review_id, "grade") == []


def test_each_changed_item_is_one_audit_event(session: Session, bcg: BcgReview) -> None:
    shown = view(session, bcg, bcg.lead)
    content = as_suggested(shown)
    saved = save(session, bcg, bcg.lead, content)
    events = stage_events(session, bcg.review_id, "grade")
    rated = [d for d in GradeDomain if content.judgements[d].rating is not None]
    assert sorted(e.action for e in events) == sorted(
        ["grade.source", "grade.analysis"] + ["grade.rating", "grade.explanation"] * len(rated)
    )
    study = next(iter(bcg.study_ids))
    again = dataclasses.replace(
        saved.content,
        comments="Harms not reported.",
        indirect={study: frozenset({PicoElement.POPULATION})},
    )
    save(session, bcg, bcg.lead, again)
    later = stage_events(session, bcg.review_id, "grade")[len(events) :]
    assert [(e.action, e.before, e.after) for e in later] == [
        (
            "grade.indirect",
            {"outcome_id": BCG_OUTCOME, "outcome": "Tuberculosis", "slot": 1, "study": study,
             "value": None},
            {"outcome_id": BCG_OUTCOME, "outcome": "Tuberculosis", "slot": 1, "study": study,
             "value": ["population"]},
        ),
        (
            "grade.comments",
            {"outcome_id": BCG_OUTCOME, "outcome": "Tuberculosis", "slot": 1, "value": None},
            {"outcome_id": BCG_OUTCOME, "outcome": "Tuberculosis", "slot": 1,
             "value": "Harms not reported."},
        ),
    ]  # fmt: skip
    save(session, bcg, bcg.lead, again)  # nothing changed: nothing audited
    assert len(stage_events(session, bcg.review_id, "grade")) == len(events) + 2


def test_a_copy_is_complete_only_with_every_downgrading_domain_rated(
    session: Session, bcg: BcgReview
) -> None:
    shown = view(session, bcg, bcg.lead)
    partial = as_suggested(shown)
    partial = dataclasses.replace(
        partial, judgements={d: j for d, j in partial.judgements.items() if d is not IMPRECISION}
    )
    save(session, bcg, bcg.lead, partial)
    with pytest.raises(GradeProblems, match=r"cannot be marked complete: 1 problem") as refused:
        grade.set_complete(session, actor=bcg.lead, review_id=bcg.review_id, outcome_id=BCG_OUTCOME)
    assert [p.field for p in refused.value.problems] == ["Imprecision"]
    done = save(session, bcg, bcg.lead, as_suggested(shown))
    assert done.grade.certainty is Certainty.VERY_LOW  # high, serious RoB, very serious I²
    completed = grade.set_complete(
        session, actor=bcg.lead, review_id=bcg.review_id, outcome_id=BCG_OUTCOME
    )
    assert completed.own_status is ExtractionStatus.COMPLETE
    with pytest.raises(GradeProblems, match=r"it is complete, so it must stay complete"):
        save(session, bcg, bcg.lead, partial)
    with pytest.raises(NotFoundError, match=r"has no final judgements yet"):
        grade.set_complete(
            session, actor=bcg.lead, review_id=bcg.review_id, outcome_id=BCG_OUTCOME, final=True
        )


# --- the final ----------------------------------------------------------------------------------


def test_a_lead_compares_the_judges_and_takes_items_into_the_final(
    session: Session, bcg: BcgReview
) -> None:
    settings(session, bcg.review_id, open_consensus=True)
    ana, ben = bcg.reviewers
    shown = view(session, bcg, ana)
    save(session, bcg, ana, as_suggested(shown))
    theirs = as_suggested(shown, risk_of_bias=Rating.VERY_SERIOUS)
    theirs = dataclasses.replace(
        theirs,
        judgements={
            **theirs.judgements,
            ROB: Judgement(ROB, Rating.VERY_SERIOUS, "Over half the weight at high risk."),
        },
    )
    save(session, bcg, ben, theirs)
    compared = grade.compare(
        session, actor=bcg.lead, review_id=bcg.review_id, outcome_id=BCG_OUTCOME
    )
    assert [i.item.key for i in compared.comparison.discrepancies] == [
        ("rating", "risk_of_bias"), ("explanation", "risk_of_bias"),
    ]  # fmt: skip
    assert compared.final is None and compared.unresolved == len(compared.items)
    rob = next(i for i in compared.items if i.item.key == ("rating", "risk_of_bias"))
    assert rob.values == ("Serious", "Very serious") and not rob.same
    with pytest.raises(PermissionDeniedError, match=r"lead role"):
        grade.take(
            session, actor=ana, review_id=bcg.review_id, outcome_id=BCG_OUTCOME,
            item=("rating", "risk_of_bias"), judge_id=ben.user_id or 0,
        )  # fmt: skip
    taken = grade.take(
        session, actor=bcg.lead, review_id=bcg.review_id, outcome_id=BCG_OUTCOME,
        item=("rating", "risk_of_bias"), judge_id=ben.user_id or 0,
    )  # fmt: skip
    assert taken.is_final and taken.final is not None
    assert taken.final.judgements == {ROB: theirs.judgements[ROB]}  # with its explanation
    events = stage_events(session, bcg.review_id, "grade", "grade.take")
    assert [(e.after or {}).get("changed") for e in events] == ["rating", "explanation"]
    assert (events[0].after or {})["from_slot"] == 2 and (events[0].after or {})["item"] == [
        "rating", "risk_of_bias",
    ]  # fmt: skip
    after = grade.compare(session, actor=bcg.lead, review_id=bcg.review_id, outcome_id=BCG_OUTCOME)
    resolved = {i.item.key: i.resolved for i in after.items}
    assert resolved[("rating", "risk_of_bias")] and not resolved[("source",)]
    with pytest.raises(ValidationError, match=r"the first part is one of"):
        grade.take(
            session, actor=bcg.lead, review_id=bcg.review_id, outcome_id=BCG_OUTCOME,
            item=("colour",), judge_id=ben.user_id or 0,
        )  # fmt: skip
    with pytest.raises(NotFoundError, match=r"take items from its judges' copies"):
        grade.take(
            session, actor=bcg.lead, review_id=bcg.review_id, outcome_id=BCG_OUTCOME,
            item=("comments",), judge_id=bcg.lead.user_id or 0,
        )  # fmt: skip


def test_with_one_judge_a_completed_copy_is_the_final(session: Session, bcg: BcgReview) -> None:
    settings(session, bcg.review_id, judges_per_outcome=1)
    content = as_suggested(view(session, bcg, bcg.lead))
    save(session, bcg, bcg.lead, content)
    assert [r.slot for r in copies_of(session, bcg.review_id)] == [1]
    done = grade.set_complete(
        session, actor=bcg.lead, review_id=bcg.review_id, outcome_id=BCG_OUTCOME
    )
    assert done.final == content and done.final_status is ExtractionStatus.COMPLETE
    final = copies_of(session, bcg.review_id)[0]
    assert (final.slot, final.certainty, final.status) == (0, "very_low", "complete")
    taken = stage_events(session, bcg.review_id, "grade", "grade.take")
    assert {(e.after or {})["from_slot"] for e in taken} == {1} and len(taken) > 2


# --- the table ----------------------------------------------------------------------------------


def test_publish_needs_every_outcome_with_studies_rated(session: Session, bcg: BcgReview) -> None:
    with pytest.raises(GradeProblems, match=r"cannot be published: 5 problem") as refused:
        grade.publish(session, actor=bcg.lead, review_id=bcg.review_id)
    assert [p.field for p in refused.value.problems] == [d.label for d in DOWNGRADE_DOMAINS]
    assert all(p.where == "Tuberculosis" for p in refused.value.problems)
    assert session.exec(select(SofPublication)).all() == []


def test_a_published_table_is_read_back_by_every_member(session: Session, bcg: BcgReview) -> None:
    reviewer = bcg.reviewers[0]
    assert grade.published(session, actor=reviewer, review_id=bcg.review_id) is None
    save(session, bcg, bcg.lead, as_suggested(view(session, bcg, bcg.lead)), final=True)
    current = grade.summary_of_findings(session, actor=bcg.lead, review_id=bcg.review_id)
    assert [r.grade.evidence.outcome_id for r in current.rows] == [BCG_OUTCOME, *NO_STUDY_OUTCOMES]
    assert [r.grade.certainty for r in current.rows] == [Certainty.VERY_LOW, None, None]
    assert current.rows[0].grade.statement == (
        "The evidence is very uncertain about the effect of BCG vaccination on tuberculosis."
    )
    table = grade.publish(session, actor=bcg.lead, review_id=bcg.review_id)
    assert table.published_by == "bcg-lead" and table.published_at is not None
    assert dataclasses.replace(table, published_at=None, published_by=None) == current
    assert grade.published(session, actor=reviewer, review_id=bcg.review_id) == table
    # Unchanged since, the leads' table is the published one and says when and by whom.
    assert grade.summary_of_findings(session, actor=bcg.lead, review_id=bcg.review_id) == table
    [event] = stage_events(session, bcg.review_id, "grade", "grade.publish")
    assert (event.after or {})["outcomes"][0] == {
        "outcome_id": BCG_OUTCOME,
        "certainty": "very_low",
    }
    # A final changed afterwards changes the leads' table, not the published one.
    save(session, bcg, bcg.lead, GradeContent(EvidenceSource.NONE, comments="x"), final=True)
    assert grade.published(session, actor=reviewer, review_id=bcg.review_id) == table
    changed = grade.summary_of_findings(session, actor=bcg.lead, review_id=bcg.review_id)
    assert changed.published_at is None and changed != current


# --- two judges at once -------------------------------------------------------------------------


def saving(
    engine: Engine, bcg: BcgReview, actor: Actor, content: GradeContent
) -> Callable[[], None]:
    def call() -> None:
        with session_scope(engine) as session:
            save(session, bcg, actor, content)

    return call


def test_two_judges_opening_an_outcome_of_one_slot_at_once(committed_engine: Engine) -> None:
    with session_scope(committed_engine) as session:
        bcg = bcg_review(session)
        settings(session, bcg.review_id, open_consensus=True, judges_per_outcome=1)
        content = GradeContent(source=EvidenceSource.ANALYSIS, analysis=bcg.analysis)
    ana, ben = bcg.reviewers
    errors = at_once(
        saving(committed_engine, bcg, ana, content), saving(committed_engine, bcg, ben, content)
    )
    assert len(errors) == 1 and isinstance(errors[0], ConflictError), errors
    assert "Tuberculosis already has its 1 judge(s)" in str(errors[0])
    with session_scope(committed_engine) as session:
        settings(session, bcg.review_id, judges_per_outcome=2)
    double_click = [saving(committed_engine, bcg, bcg.lead, content) for _ in range(2)]
    assert at_once(*double_click) == []
    with session_scope(committed_engine) as session:
        rows = copies_of(session, bcg.review_id)
    assert sorted(r.slot for r in rows) == [1, 2]  # the lead's one copy in the free slot
    assert [r.judge_id for r in rows if r.slot == 2] == [bcg.lead.user_id]


def test_a_final_whose_analysis_was_renamed_is_shown_and_refused_by_name(
    session: Session, bcg: BcgReview
) -> None:
    content = as_suggested(view(session, bcg, bcg.lead))
    save(session, bcg, bcg.lead, content, final=True)
    saved = session.exec(select(SavedAnalysis).where(SavedAnalysis.name == bcg.analysis)).one()
    spec = AnalysisSpec(BCG_OUTCOME, EffectMeasure.RR, method=meta.Method.REML, test=meta.Test.KNHA)
    save_analysis(
        session, actor=bcg.lead, review_id=bcg.review_id, name="BCG, renamed", spec=spec,
        analysis_id=saved.id,
    )  # fmt: skip
    shown = view(session, bcg, bcg.lead, final=True)
    assert shown.content.analysis == bcg.analysis and bcg.analysis in shown.evidence_problem
    assert shown.evidence.pooled is not None  # the proposed evidence: the renamed analysis
    assert shown.evidence.pooled.analysis == "BCG, renamed"
    with pytest.raises(GradeProblems) as refused:
        grade.publish(session, actor=bcg.lead, review_id=bcg.review_id)
    [problem] = refused.value.problems
    assert problem.field == "body of evidence"
    assert f"{bcg.analysis!r} is not a saved analysis of this outcome" in problem.message
    assert "'BCG, renamed'" in problem.message


# --- the protocol's [grade] ---------------------------------------------------------------------


def test_grade_settings_default_to_two_blind_judges_and_name_what_is_allowed() -> None:
    template = tomllib.loads((ROOT / "protocols" / "_template.toml").read_text(encoding="utf-8"))
    assert set(template["grade"]) == {f.name for f in dataclasses.fields(GradeSettings)}
    kratom = load_protocol(ROOT / "protocols" / "kratom-neuropathic-pain.toml")
    assert intervention_name(kratom) == "Kratom"  # "Kratom (Mitragyna speciosa) or its..."
    data = protocol_to_dict(kratom)
    del data["grade"]  # how a protocol stored before the key existed reads back
    assert protocol_from_dict(data).grade == GradeSettings(judges_per_outcome=2, blind=True)
    data["grade"] = {"judges_per_outcome": 1, "blind": False}
    assert protocol_from_dict(data).grade == GradeSettings(judges_per_outcome=1, blind=False)
    data["grade"] = {"judges_per_outcome": 0, "blnd": True}
    with pytest.raises(ProtocolError) as refused:
        protocol_from_dict(data)
    assert sorted(p.field or "" for p in refused.value.problems) == [
        "grade.blnd", "grade.judges_per_outcome",
    ]  # fmt: skip
    assert "did you mean 'blind'" in str(refused.value)
