"""Risk-of-bias services on SQLite and PostgreSQL: the study's tool from its design, slots per
study, blinding, validation (every problem named, nothing written), audit per changed item,
completion with the copy for all outcomes, consensus, the copies read and replaced for files,
the robvis table, and the studies' delete guard."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import Session, select

from review_app.domain.appraisal.model import ALL_OUTCOMES, DomainAssessment, ResultAssessment
from review_app.domain.appraisal.tool import Answer
from review_app.domain.extraction.model import Design, StudyExtraction
from review_app.domain.vocabulary import ExtractionStatus, StudyDesign
from review_app.errors import (
    AppraisalProblems,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from review_app.models import Appraisal, AuditEvent
from review_app.protocol import load_protocol
from review_app.protocol.model import AppraisalSettings
from review_app.services import appraisal, extraction
from review_app.services.permissions import Actor
from review_app.services.reviews import ReviewPublic
from review_app.services.studies import delete_study
from review_app.services.users import UserPublic
from tests.conftest import KRATOM_PROTOCOL
from tests.services.copies_fixtures import RCT, actors, add_study, review_with, stage_events

PAIN = "pain_intensity"
NRS = "non-randomised controlled study"
# RoB 2 (effect of assignment) answers whose algorithms give Low in every domain: D1 Y/Y/N,
# D2 N/N then 2.6 Y, D3 3.1 Y, D4 N/N/N, D5 Y/N/N (the guidance's decision diagrams).
LOW_ANSWERS = {
    "D1": {"1.1": "Y", "1.2": "Y", "1.3": "N"},
    "D2": {"2.1": "N", "2.2": "N", "2.6": "Y"},
    "D3": {"3.1": "Y"},
    "D4": {"4.1": "N", "4.2": "N", "4.3": "N"},
    "D5": {"5.1": "Y", "5.2": "N", "5.3": "N"},
}


def domain(domain_id: str, judgement: str | None = "Low", support: str = "") -> DomainAssessment:
    answers = {q: Answer(a) for q, a in LOW_ANSWERS[domain_id].items()}
    return DomainAssessment(domain_id, answers, judgement, support)


def copy(
    *domain_ids: str, outcome_id: str = PAIN, overall: str | None = None, **changes: object
) -> ResultAssessment:
    base = ResultAssessment(
        study="Smith 2020",
        outcome_id=outcome_id,
        assessor=None,
        tool="rob2",
        domains=tuple(domain(d) for d in domain_ids),
        overall=overall,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


FULL = ("D1", "D2", "D3", "D4", "D5")


@pytest.fixture
def people(team: dict[str, UserPublic]) -> dict[str, Actor]:
    return actors(team)


@pytest.fixture
def study_id(session: Session, review: ReviewPublic) -> int:
    return add_study(session, review.id, "Smith 2020", design=RCT)


def other_review(
    session: Session, team: dict[str, UserPublic], *, per_study: int, blind: bool
) -> tuple[int, int]:
    """A review whose protocol sets assessment differently, with the team and one RCT."""
    protocol = dataclasses.replace(
        load_protocol(KRATOM_PROTOCOL),
        appraisal=AppraisalSettings(assessors_per_study=per_study, blind=blind),
    )
    name = f"a{per_study}{blind}"
    return review_with(session, team, protocol, name=name, label="Smith 2020", design=RCT)


def events(session: Session, review_id: int, action: str | None = None) -> list[AuditEvent]:
    return stage_events(session, review_id, "appraisal", action)


def opened(
    session: Session, review_id: int, study_id: int, actor: Actor, outcome_id: str = PAIN
) -> int:
    return appraisal.open_copy(
        session, actor=actor, review_id=review_id, study_id=study_id, outcome_id=outcome_id
    ).appraisal_id


def saved(
    session: Session, review_id: int, copy_id: int, actor: Actor, data: ResultAssessment
) -> appraisal.AssessmentView:
    return appraisal.save_copy(
        session, actor=actor, review_id=review_id, appraisal_id=copy_id, data=data
    )


def completed(session: Session, review_id: int, copy_id: int, actor: Actor) -> None:
    appraisal.set_complete(
        session, actor=actor, review_id=review_id, appraisal_id=copy_id, complete=True
    )


# --- the study's tool ---------------------------------------------------------------------------


def test_the_tool_follows_the_studys_design_and_says_what_to_set(
    session: Session, review: ReviewPublic, people: dict[str, Actor], study_id: int
) -> None:
    rita = people["rita"]
    tool = appraisal.tool_for_study(session, actor=rita, review_id=review.id, study_id=study_id)
    assert tool.id == "rob2"
    bare = add_study(session, review.id, "Jones 2021")
    with pytest.raises(ValidationError, match=r"Jones 2021: it has no design.*Studies page"):
        appraisal.tool_for_study(session, actor=rita, review_id=review.id, study_id=bare)
    with pytest.raises(ValidationError, match="set the study's design"):
        opened(session, review.id, bare, rita)
    assert session.exec(select(Appraisal)).all() == []  # no slot claimed, no copy made


def test_the_consensus_extractions_design_chooses_the_tool_when_the_protocol_names_it(
    session: Session, review: ReviewPublic, people: dict[str, Actor], study_id: int
) -> None:
    lena = people["lena"]

    def tool_with_extracted(design: str) -> str:
        extracted = StudyExtraction(
            study="Smith 2020", extractor=None, characteristics={"design": design}
        )
        extraction.replace_copies(session, actor=lena, review_id=review.id, copies=[extracted])
        return appraisal.tool_for_study(
            session, actor=lena, review_id=review.id, study_id=study_id
        ).id

    assert tool_with_extracted(NRS) == "robins-i"  # the consensus extraction's design
    assert tool_with_extracted("crossover RCT") == "rob2"  # no tool for it: the study's design


def test_a_study_extracted_as_crossover_gets_rob2_for_crossover_trials_on_its_first_copy(
    session: Session, review: ReviewPublic, people: dict[str, Actor], study_id: int
) -> None:
    lena, rita, raj = people["lena"], people["rita"], people["raj"]
    rita_pain = opened(session, review.id, study_id, rita)  # before the design is extracted
    crossover = StudyExtraction(
        study="Smith 2020", extractor=None, design=Design(kind=StudyDesign.CROSSOVER)
    )
    extraction.replace_copies(session, actor=lena, review_id=review.id, copies=[crossover])
    tool = appraisal.tool_for_study(session, actor=rita, review_id=review.id, study_id=study_id)
    assert tool.id == "rob2-crossover"
    assert "DS" in [d.id for d in tool.domains]  # Domain S: bias from period and carryover

    def tool_of(actor: Actor, outcome_id: str) -> str:
        copy_id = opened(session, review.id, study_id, actor, outcome_id)
        view = appraisal.get_copy(session, actor=actor, review_id=review.id, appraisal_id=copy_id)
        return view.tool.id

    assert tool_of(rita, PAIN) == "rob2"  # the copy keeps the tool it was made with
    assert tool_of(raj, PAIN) == "rob2"  # ... and the result's later copies take it
    assert tool_of(raj, ALL_OUTCOMES) == "rob2-crossover"  # a result's first copy: the design's
    assert tool_of(rita, ALL_OUTCOMES) == "rob2-crossover"
    assert rita_pain == opened(session, review.id, study_id, rita)


# --- slots and blinding -------------------------------------------------------------------------


def test_an_assessor_holds_one_slot_of_a_study_for_all_its_results(
    session: Session, review: ReviewPublic, people: dict[str, Actor], study_id: int
) -> None:
    rita_pain = appraisal.open_copy(
        session, actor=people["rita"], review_id=review.id, study_id=study_id, outcome_id=PAIN
    )
    raj_all = appraisal.open_copy(
        session,
        actor=people["raj"],
        review_id=review.id,
        study_id=study_id,
        outcome_id=ALL_OUTCOMES,
    )
    rita_all = appraisal.open_copy(
        session,
        actor=people["rita"],
        review_id=review.id,
        study_id=study_id,
        outcome_id=ALL_OUTCOMES,
    )
    assert (rita_pain.slot, raj_all.slot, rita_all.slot) == (1, 2, 1)
    assert rita_pain.tool.id == "rob2" and rita_pain.assessor_name == "rita"
    again = opened(session, review.id, study_id, people["rita"])
    assert again == rita_pain.appraisal_id
    with pytest.raises(ConflictError, match="every slot is taken by others"):
        opened(session, review.id, study_id, people["lena"])
    with pytest.raises(NotFoundError, match=r"'sleep' is not an outcome.*allowed: pain_intensity"):
        opened(session, review.id, study_id, people["rita"], outcome_id="sleep")
    claims = events(session, review.id, "appraisal.claim")
    assert [(e.user_id, e.after and e.after["slot"]) for e in claims] == [
        (people["rita"].user_id, 1),
        (people["raj"].user_id, 2),
    ]
    assert len(events(session, review.id, "appraisal.open")) == 3


def test_blind_assessors_see_only_their_own_copies(
    session: Session, review: ReviewPublic, people: dict[str, Actor], study_id: int
) -> None:
    rita_copy = opened(session, review.id, study_id, people["rita"])
    saved(session, review.id, rita_copy, people["rita"], copy("D1"))
    opened(session, review.id, study_id, people["raj"])
    with pytest.raises(PermissionDeniedError, match="while risk-of-bias assessment is blind"):
        appraisal.get_copy(
            session, actor=people["raj"], review_id=review.id, appraisal_id=rita_copy
        )
    with pytest.raises(PermissionDeniedError, match="another assessor's"):
        saved(session, review.id, rita_copy, people["raj"], copy("D1"))
    with pytest.raises(PermissionDeniedError, match="for leads while assessment is blind"):
        appraisal.compare_result(
            session, actor=people["raj"], review_id=review.id, study_id=study_id, outcome_id=PAIN
        )
    lead_view = appraisal.get_copy(
        session, actor=people["lena"], review_id=review.id, appraisal_id=rita_copy
    )
    assert lead_view.data.domains[0].judgement == "Low"
    [progress] = appraisal.list_progress(session, actor=people["raj"], review_id=review.id)
    pain = next(r for r in progress.results if r.outcome_id == PAIN)
    assert (progress.taken, progress.my_slot, pain.assessors, pain.consensus) == (2, 2, (), None)
    [lead_progress] = appraisal.list_progress(session, actor=people["lena"], review_id=review.id)
    pain = next(r for r in lead_progress.results if r.outcome_id == PAIN)
    assert [name for name, _status in pain.assessors] == ["rita", "raj"]


def test_when_not_blind_a_studys_assessors_read_each_others_copies(
    session: Session, team: dict[str, UserPublic], people: dict[str, Actor]
) -> None:
    review_id, study = other_review(session, team, per_study=2, blind=False)
    rita_copy = opened(session, review_id, study, people["rita"])
    with pytest.raises(PermissionDeniedError, match="open to its assessors"):
        appraisal.get_copy(
            session, actor=people["raj"], review_id=review_id, appraisal_id=rita_copy
        )
    opened(session, review_id, study, people["raj"])
    shown = appraisal.get_copy(
        session, actor=people["raj"], review_id=review_id, appraisal_id=rita_copy
    )
    assert shown.assessor_name == "rita"


# --- saves: validation and audit ----------------------------------------------------------------


def test_a_save_lists_every_problem_and_writes_nothing(
    session: Session, review: ReviewPublic, people: dict[str, Actor], study_id: int
) -> None:
    rita = people["rita"]
    copy_id = opened(session, review.id, study_id, rita)
    saved(session, review.id, copy_id, rita, copy("D1"))
    bad = copy(
        domains=(
            DomainAssessment("D1", {"1.1": "maybe"}, "Low"),  # type: ignore[dict-item]
            DomainAssessment("D3", {"3.1": Answer.Y}, "Medium"),
            DomainAssessment("D5", dict(domain("D5").answers), "High"),  # override, no support
        )
    )
    with pytest.raises(AppraisalProblems, match="nothing was saved") as caught:
        saved(session, review.id, copy_id, rita, bad)
    found = {(p.where, p.field) for p in caught.value.problems}
    assert found >= {("D1", "1.1"), ("D3", "judgement"), ("D5", "support")}
    # The answers allowed are the vocabulary's (ROBINS-I V2 added strong and weak ones).
    assert "'maybe' is not an answer; allowed: Y, PY, " in str(caught.value)
    assert ", N, NI, NA" in str(caught.value)
    kept = appraisal.get_copy(session, actor=rita, review_id=review.id, appraisal_id=copy_id)
    assert kept.data.domains == (domain("D1"),)


def test_each_changed_item_is_audited_with_its_value_before_and_after(
    session: Session, review: ReviewPublic, people: dict[str, Actor], study_id: int
) -> None:
    rita = people["rita"]
    copy_id = opened(session, review.id, study_id, rita)
    view = saved(session, review.id, copy_id, rita, copy("D1"))
    assert view.proposals["D1"] == "Low" and view.proposals["D2"] is None
    before = len(events(session, review.id))
    high = DomainAssessment(
        "D1",
        {"1.1": Answer.Y, "1.2": Answer.Y, "1.3": Answer.N},
        "High",
        support="  Allocation was by alternation (p. 3).  ",
    )
    view = saved(session, review.id, copy_id, rita, copy(domains=(high,)))
    assert view.data.domains[0].support == "Allocation was by alternation (p. 3)."
    changed = events(session, review.id)[before:]
    assert [
        (e.action, e.before and e.before["value"], e.after and e.after["value"]) for e in changed
    ] == [
        ("appraisal.judgement", "Low", "High"),
        ("appraisal.support", "", "Allocation was by alternation (p. 3)."),
    ]
    assert changed[0].entity == "appraisal" and changed[0].entity_id == copy_id
    assert changed[0].after and changed[0].after["domain"] == "D1"


def test_completion_needs_every_domain_judged_and_takes_domains_from_the_copy_for_all(
    session: Session, review: ReviewPublic, people: dict[str, Actor], study_id: int
) -> None:
    rita = people["rita"]
    pain_id = opened(session, review.id, study_id, rita)
    saved(session, review.id, pain_id, rita, copy("D5"))
    with pytest.raises(AppraisalProblems, match="cannot be marked complete") as caught:
        completed(session, review.id, pain_id, rita)
    assert {p.where for p in caught.value.problems} >= {"D1", "D2", "D3", "D4", "overall"}
    shared_id = opened(session, review.id, study_id, rita, ALL_OUTCOMES)
    saved(session, review.id, shared_id, rita, copy("D1", "D2", "D3", "D4", outcome_id="*"))
    completed(session, review.id, shared_id, rita)  # the copy for all needs no overall
    view = saved(session, review.id, pain_id, rita, copy("D5", overall="Low"))
    assert view.overall_proposal == "Low" and view.shared is not None
    completed(session, review.id, pain_id, rita)
    assert (
        appraisal.get_copy(session, actor=rita, review_id=review.id, appraisal_id=pain_id).status
        == ExtractionStatus.COMPLETE
    )


# --- consensus ----------------------------------------------------------------------------------


def test_the_lead_starts_the_consensus_from_what_the_assessors_agree_on_and_takes_the_rest(
    session: Session, review: ReviewPublic, people: dict[str, Actor], study_id: int
) -> None:
    rita, raj, lena = people["rita"], people["raj"], people["lena"]
    ids = {}
    for name, actor, d3 in (("rita", rita, "Low"), ("raj", raj, "High")):
        ids[name] = opened(session, review.id, study_id, actor)
        support = "" if d3 == "Low" else "Many dropped out (table 2)."
        domains = tuple(
            dataclasses.replace(domain(d), judgement=d3, support=support) if d == "D3"
            else domain(d)
            for d in FULL
        )  # fmt: skip
        data = copy(domains=domains, overall=d3, overall_support=support)
        saved(session, review.id, ids[name], actor, data)
        completed(session, review.id, ids[name], actor)
    [progress] = appraisal.list_progress(session, actor=lena, review_id=review.id)
    pain = next(r for r in progress.results if r.outcome_id == PAIN)
    assert pain.discrepancies == 2  # D3's judgement and the overall
    [blind] = appraisal.list_progress(session, actor=rita, review_id=review.id)
    assert next(r for r in blind.results if r.outcome_id == PAIN).discrepancies is None
    with pytest.raises(PermissionDeniedError):
        appraisal.start_consensus(
            session, actor=rita, review_id=review.id, study_id=study_id, outcome_id=PAIN
        )
    start = appraisal.start_consensus(
        session, actor=lena, review_id=review.id, study_id=study_id, outcome_id=PAIN
    )
    assert start.is_consensus and start.data.domain("D3") is not None
    assert start.data.domain("D3").judgement is None  # type: ignore[union-attr]
    assert start.data.overall is None
    compared = appraisal.compare_result(
        session, actor=lena, review_id=review.id, study_id=study_id, outcome_id=PAIN
    )
    unresolved = [item.item.key for item in compared.items if not item.resolved]
    assert unresolved == [("judgement", "D3"), ("overall",)]
    assert [c.assessor_name for c in compared.columns] == ["rita", "raj"]
    taken = appraisal.take_item(
        session,
        actor=lena,
        review_id=review.id,
        study_id=study_id,
        outcome_id=PAIN,
        key=("judgement", "D3"),
        from_appraisal_id=ids["raj"],
    )
    assert taken.data.domain("D3") == dataclasses.replace(
        domain("D3"), judgement="High", support="Many dropped out (table 2)."
    )
    after = appraisal.compare_result(
        session, actor=lena, review_id=review.id, study_id=study_id, outcome_id=PAIN
    )
    assert after.unresolved == 1
    takes = events(session, review.id, "appraisal.consensus_take")
    assert {e.after["changed"] for e in takes if e.after} == {"judgement", "support"}
    assert all(e.after and e.after["from_slot"] == 2 for e in takes)
    assert len(events(session, review.id, "appraisal.consensus_start")) == 1


def test_with_one_assessor_a_completed_copy_is_the_consensus(
    session: Session, team: dict[str, UserPublic], people: dict[str, Actor]
) -> None:
    review_id, study = other_review(session, team, per_study=1, blind=True)
    rita = people["rita"]
    copy_id = opened(session, review_id, study, rita)
    saved(session, review_id, copy_id, rita, copy(*FULL, overall="Low"))
    completed(session, review_id, copy_id, rita)
    [consensus] = appraisal.read_copies(
        session, actor=people["lena"], review_id=review_id, values="consensus"
    )
    assert consensus.assessor is None and consensus.complete and consensus.overall == "Low"
    assert len(consensus.domains) == 5
    with pytest.raises(ConflictError, match="every slot is taken"):
        opened(session, review_id, study, people["raj"])


# --- files, plots, studies ----------------------------------------------------------------------


def test_replace_copies_is_all_or_nothing_and_read_copies_gives_them_back(
    session: Session, review: ReviewPublic, people: dict[str, Actor], study_id: int
) -> None:
    lena = people["lena"]
    bad = [
        copy("D1", study="Nobody 1999"),
        copy("D1", assessor="stranger"),
        copy(domains=(dataclasses.replace(domain("D1"), judgement="Meh"),), assessor="rita"),
        copy("D1", tool="quadas-2"),
    ]
    with pytest.raises(AppraisalProblems, match=r"4 problem.*nothing was imported") as caught:
        appraisal.replace_copies(session, actor=lena, review_id=review.id, copies=bad)
    fields = [p.field for p in caught.value.problems]
    assert fields == ["study", "assessor", "judgement", "tool"]
    assert session.exec(select(Appraisal)).all() == []
    good = [
        copy("D1", "D2", "D3", "D4", outcome_id="*", assessor="raj", complete=True),
        copy("D5", overall="Low", assessor="raj", complete=True),
        copy(*FULL, overall="Low"),  # the consensus
    ]
    result = appraisal.replace_copies(session, actor=lena, review_id=review.id, copies=good)
    assert (result.created, result.replaced) == (3, 0)
    back = appraisal.read_copies(session, actor=lena, review_id=review.id, values="all")
    assert back == [good[0], good[1], dataclasses.replace(good[2], complete=False)]
    assert (
        appraisal.list_progress(session, actor=people["raj"], review_id=review.id)[0].my_slot == 1
    )
    again = appraisal.replace_copies(session, actor=lena, review_id=review.id, copies=good[2:])
    assert (again.created, again.replaced) == (0, 1)
    assert len(events(session, review.id, "appraisal.import")) == 4
    with pytest.raises(PermissionDeniedError):
        appraisal.read_copies(session, actor=people["raj"], review_id=review.id, values="all")


def test_rob_table_holds_the_consensus_domains_that_apply_to_the_outcome(
    session: Session, review: ReviewPublic, people: dict[str, Actor], study_id: int
) -> None:
    lena = people["lena"]
    high_d2 = dataclasses.replace(domain("D2"), judgement="High", support="open label")
    consensus = [
        copy("D1", "D2", "D3", "D4", outcome_id="*"),
        copy(domains=(high_d2, domain("D5")), overall="High"),  # D2 differs for pain
    ]
    appraisal.replace_copies(session, actor=lena, review_id=review.id, copies=consensus)
    table = appraisal.rob_table(session, actor=lena, review_id=review.id, outcome_id=PAIN)
    assert table.tool == "RoB 2"
    assert [d.short for d in table.domains] == ["D1", "D2", "D3", "D4", "D5"]
    assert [j.label for j in table.scale] == ["Low", "Some concerns", "High"]
    [row] = table.rows
    assert (row.study, row.judgements, row.overall, row.weight) == (
        "Smith 2020", ("Low", "High", "Low", "Low", "Low"), "High", None
    )  # fmt: skip
    other = appraisal.rob_table(
        session, actor=lena, review_id=review.id, outcome_id="adverse_events"
    )
    assert other.rows[0].judgements == ("Low", "Low", "Low", "Low", None)
    assert other.rows[0].overall is None
    assert table.domains[1].name == "Deviations from intended interventions (effect of assignment)"
    adhering = dataclasses.replace(consensus[0], variant="adherence", domains=(domain("D1"),))
    appraisal.replace_copies(session, actor=lena, review_id=review.id, copies=[adhering])
    mixed = appraisal.rob_table(session, actor=lena, review_id=review.id, outcome_id=PAIN)
    assert mixed.domains[1].name == (
        "Deviations from intended interventions (effect of assignment) or Deviations from "
        "intended interventions (effect of adhering)"
    )
    with pytest.raises(PermissionDeniedError, match="for leads while"):
        appraisal.rob_tables(session, actor=people["rita"], review_id=review.id, outcome_id=PAIN)


def test_a_study_with_an_assessment_is_not_deleted_one_only_opened_is(
    session: Session, review: ReviewPublic, people: dict[str, Actor], study_id: int
) -> None:
    rita, lena = people["rita"], people["lena"]
    copy_id = opened(session, review.id, study_id, rita)
    saved(session, review.id, copy_id, rita, copy("D1"))
    with pytest.raises(ConflictError, match="risk-of-bias ratings"):
        delete_study(session, actor=lena, review_id=review.id, study_id=study_id)
    saved(session, review.id, copy_id, rita, copy())  # emptied again: only opened
    delete_study(session, actor=lena, review_id=review.id, study_id=study_id)
    assert session.exec(select(Appraisal)).all() == []


def test_the_operator_holds_no_copy_and_only_the_reviews_studies_are_assessed(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic], study_id: int
) -> None:
    with pytest.raises(ValidationError, match=r"act as a user \(--as NAME\)"):
        opened(session, review.id, study_id, Actor.operator())
    other_id, other_study = other_review(session, team, per_study=2, blind=True)
    rita = Actor.user(team["rita"].id)
    with pytest.raises(NotFoundError, match=f"no study {other_study} in review {review.id}"):
        opened(session, review.id, other_study, rita)
    copy_id = opened(session, other_id, other_study, rita)
    with pytest.raises(NotFoundError, match=f"no risk-of-bias copy {copy_id} in review"):
        appraisal.get_copy(session, actor=rita, review_id=review.id, appraisal_id=copy_id)


def test_a_leads_edit_of_the_consensus_settles_the_items_it_changes(
    session: Session, review: ReviewPublic, people: dict[str, Actor], study_id: int
) -> None:
    rita, raj, lena = people["rita"], people["raj"], people["lena"]
    for actor, d1 in ((rita, "Low"), (raj, "Some concerns")):
        copy_id = opened(session, review.id, study_id, actor, ALL_OUTCOMES)
        judged = dataclasses.replace(domain("D1"), judgement=d1, support="why")
        saved(session, review.id, copy_id, actor, copy(domains=(judged,), outcome_id="*"))
        completed(session, review.id, copy_id, actor)
    start = appraisal.start_consensus(
        session, actor=lena, review_id=review.id, study_id=study_id, outcome_id=ALL_OUTCOMES
    )
    with pytest.raises(PermissionDeniedError, match="only leads edit the consensus"):
        saved(session, review.id, start.appraisal_id, rita, copy("D1", outcome_id="*"))
    settled = dataclasses.replace(domain("D1"), judgement="Some concerns", support="agreed")
    saved(session, review.id, start.appraisal_id, lena, copy(domains=(settled,), outcome_id="*"))
    compared = appraisal.compare_result(
        session, actor=lena, review_id=review.id, study_id=study_id, outcome_id=ALL_OUTCOMES
    )
    assert compared.unresolved == 0 and compared.agreement is not None
    [judgement] = [item for item in compared.items if item.item.key == ("judgement", "D1")]
    assert (judgement.values, judgement.consensus) == (("Low", "Some concerns"), "Some concerns")
