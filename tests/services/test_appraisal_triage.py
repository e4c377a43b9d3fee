"""ROBINS-I V2's triage (section B) through the risk-of-bias services, on SQLite and PostgreSQL:
a copy whose triage ends the assessment is complete without domains, its judgement set from the
answers, compared with another assessor's, settled in the consensus and drawn as robvis does."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import Session

from review_app.domain.appraisal.model import DomainAssessment, ResultAssessment
from review_app.domain.appraisal.robins_i_v2 import CRITICAL, ROBINS_I_V2
from review_app.domain.appraisal.tool import PROCEED, Answer
from review_app.errors import AppraisalProblems
from review_app.protocol import load_protocol
from review_app.services import appraisal
from review_app.services.permissions import Actor
from review_app.services.users import UserPublic
from tests.conftest import KRATOM_PROTOCOL
from tests.services.copies_fixtures import actors, review_with

PAIN = "pain_intensity"
NRS = "non-randomised controlled study"
Y, N = Answer.Y, Answer.N
STOPPED_BY_CONFOUNDING = {"B1": N, "B2": Y, "B3": N}  # B2: too confounded to assess
STOPPED_BY_MEASUREMENT = {"B1": Y, "B3": Y}  # B3: the outcome measured unsuitably


@pytest.fixture
def v2_review(session: Session, team: dict[str, UserPublic]) -> tuple[int, int]:
    """A review whose protocol names ROBINS-I V2 for non-randomised studies, with one of them."""
    protocol = load_protocol(KRATOM_PROTOCOL)
    tools = {**protocol.risk_of_bias, NRS: "ROBINS-I V2"}
    changed = dataclasses.replace(protocol, risk_of_bias=tools)
    return review_with(session, team, changed, name="v2", label="Grundmann 2017", design=NRS)


def triage_copy(answers: dict[str, Answer], **changes: object) -> ResultAssessment:
    base = ResultAssessment(
        study="Grundmann 2017",
        outcome_id=PAIN,
        assessor=None,
        tool=ROBINS_I_V2.id,
        domains=(DomainAssessment("B", answers, None, "Self-reported pain, no adjustment."),),
        overall=CRITICAL,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def assess(
    session: Session, review_id: int, study_id: int, actor: Actor, data: ResultAssessment
) -> appraisal.AssessmentView:
    opened = appraisal.open_copy(
        session, actor=actor, review_id=review_id, study_id=study_id, outcome_id=PAIN
    )
    appraisal.save_copy(
        session, actor=actor, review_id=review_id, appraisal_id=opened.appraisal_id, data=data
    )
    return appraisal.set_complete(
        session, actor=actor, review_id=review_id, appraisal_id=opened.appraisal_id, complete=True
    )


def test_a_triage_that_ends_the_assessment_is_complete_compared_and_settled(
    session: Session, team: dict[str, UserPublic], v2_review: tuple[int, int]
) -> None:
    review_id, study_id = v2_review
    people = actors(team)
    rita = assess(session, review_id, study_id, people["rita"], triage_copy(STOPPED_BY_CONFOUNDING))
    assert rita.tool.id == ROBINS_I_V2.id and rita.status == "complete"
    assert rita.data.domain("B") == DomainAssessment(
        "B", STOPPED_BY_CONFOUNDING, CRITICAL, "Self-reported pain, no adjustment."
    )  # the judgement is the triage's, from the answers
    assert (rita.triage, rita.overall_proposal) == (CRITICAL, CRITICAL)
    raj = assess(session, review_id, study_id, people["raj"], triage_copy(STOPPED_BY_MEASUREMENT))
    lena = people["lena"]
    compared = appraisal.compare_result(
        session, actor=lena, review_id=review_id, study_id=study_id, outcome_id=PAIN
    )
    differing = [row.item.key for row in compared.comparison.items if not row.same]
    assert differing == [("answer", "B", "B1"), ("answer", "B", "B2"), ("answer", "B", "B3")]
    consensus = appraisal.start_consensus(
        session, actor=lena, review_id=review_id, study_id=study_id, outcome_id=PAIN
    )
    assert consensus.data.overall == CRITICAL  # agreed, though for different reasons
    assert consensus.triage is None  # the answers are the lead's to take
    for number in ("B1", "B2", "B3"):
        view = appraisal.take_item(
            session,
            actor=lena,
            review_id=review_id,
            study_id=study_id,
            outcome_id=PAIN,
            key=("answer", "B", number),
            from_appraisal_id=rita.appraisal_id,
        )
    assert view.data.domain("B") is not None and view.data.domain("B").judgement == CRITICAL  # type: ignore[union-attr]
    appraisal.set_complete(
        session, actor=lena, review_id=review_id, appraisal_id=view.appraisal_id, complete=True
    )
    table = appraisal.rob_table(
        session, actor=lena, review_id=review_id, outcome_id=PAIN, tool_id=ROBINS_I_V2.id
    )
    [row] = table.rows
    assert (row.judgements, row.overall) == ((None,) * len(ROBINS_I_V2.domains), CRITICAL)
    assert raj.appraisal_id != rita.appraisal_id


def test_a_triage_that_goes_on_needs_the_domains_and_a_lower_overall_is_refused(
    session: Session, team: dict[str, UserPublic], v2_review: tuple[int, int]
) -> None:
    review_id, study_id = v2_review
    rita = actors(team)["rita"]
    with pytest.raises(AppraisalProblems) as refused:
        assess(session, review_id, study_id, rita, triage_copy({"B1": Y, "B3": N}, overall=None))
    assert {p.where for p in refused.value.problems} >= {"D1", "D6", "overall"}
    view = appraisal.open_copy(
        session, actor=rita, review_id=review_id, study_id=study_id, outcome_id=PAIN
    )  # saved, still in progress
    assert (view.status, view.triage, view.data.domain("B").judgement) == (  # type: ignore[union-attr]
        "in_progress",
        PROCEED,
        None,
    )
    lower = triage_copy(STOPPED_BY_CONFOUNDING, overall="Serious", overall_support="I disagree")
    with pytest.raises(AppraisalProblems, match="1 problem") as refused:
        appraisal.save_copy(
            session, actor=rita, review_id=review_id, appraisal_id=view.appraisal_id, data=lower
        )
    [problem] = refused.value.problems
    assert "less severe than B's Critical" in problem.message
