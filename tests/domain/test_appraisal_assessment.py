"""The rules of one assessment copy: proposals from the answers, overrides that need support,
what a complete copy holds, and ROBINS-I's domains left to the assessor."""

from __future__ import annotations

import dataclasses

import pytest

from review_app.domain.appraisal.assessment import (
    OVERALL,
    SUPPORT,
    AssessmentProblem,
    effective_copy,
    overall_proposal,
    problems,
    proposals,
    triage_judgement,
    triage_proposal,
    with_triage_judgement,
)
from review_app.domain.appraisal.model import ALL_OUTCOMES, DomainAssessment, ResultAssessment
from review_app.domain.appraisal.rob2 import ROB2
from review_app.domain.appraisal.robins_i import ROBINS_I
from review_app.domain.appraisal.robins_i_v2 import ROBINS_I_V2
from review_app.domain.appraisal.tool import PROCEED, Answer

Y, PY, PN, N, NI, NA = Answer.Y, Answer.PY, Answer.PN, Answer.N, Answer.NI, Answer.NA

# RoB 2 (effect of assignment) answers read off the guidance's algorithms, each domain fully
# answered (every question asked is answered) with the judgement it leads to.
D1_LOW = {"1.1": Y, "1.2": Y, "1.3": N}  # concealed, random, no baseline problem
D1_SOME = {"1.1": Y, "1.2": NI, "1.3": N}  # concealment unknown, no baseline problem
D1_HIGH = {"1.1": Y, "1.2": N, "1.3": N}  # not concealed
D2_LOW = {"2.1": N, "2.2": N, "2.6": Y}  # nobody aware, appropriate analysis
D3_LOW = {"3.1": Y}
D4_LOW = {"4.1": N, "4.2": N, "4.3": N}
D5_LOW = {"5.1": Y, "5.2": N, "5.3": N}
D5_SOME = {"5.1": N, "5.2": N, "5.3": N}  # no plan finalised in advance


def domain(domain_id: str, answers: dict[str, Answer], judgement: str | None, support: str = ""):
    return DomainAssessment(domain_id, answers, judgement, support)


def rob2_copy(*domains: DomainAssessment, overall: str | None = None, support: str = ""):
    return ResultAssessment(
        study="Vicknasingam 2020",
        outcome_id="pain",
        assessor="ann",
        tool="rob2",
        variant="assignment",
        domains=domains,
        overall=overall,
        overall_support=support,
    )


ALL_LOW = (
    domain("D1", D1_LOW, "Low"),
    domain("D2", D2_LOW, "Low"),
    domain("D3", D3_LOW, "Low"),
    domain("D4", D4_LOW, "Low"),
    domain("D5", D5_LOW, "Low"),
)


def replaced(domains: tuple[DomainAssessment, ...], new: DomainAssessment):
    return tuple(new if d.domain == new.domain else d for d in domains)


@pytest.mark.parametrize(
    ("answers", "proposal"), [(D1_LOW, "Low"), (D1_SOME, "Some concerns"), (D1_HIGH, "High")]
)
def test_each_judgement_is_proposed_from_the_answers(answers, proposal):
    copy = rob2_copy(domain("D1", answers, None))
    assert proposals(ROB2, copy)["D1"] == proposal


def test_unanswered_domains_have_no_proposal_and_no_overall():
    copy = rob2_copy(domain("D1", D1_LOW, "Low"))
    assert proposals(ROB2, copy) == {
        "D1": "Low",
        "D2": None,
        "D3": None,
        "D4": None,
        "D5": None,
    }
    assert overall_proposal(ROB2, copy) is None


def test_an_answer_a_question_does_not_allow_steers_no_proposal():
    # 3.2 offers no NI: the proposal waits for an allowed answer.
    copy = rob2_copy(domain("D3", {"3.1": N, "3.2": NI}, None))
    assert proposals(ROB2, copy)["D3"] is None


def test_overall_proposal_is_the_worst_domain_judgement():
    assert overall_proposal(ROB2, rob2_copy(*ALL_LOW)) == "Low"
    some = replaced(ALL_LOW, domain("D5", D5_SOME, "Some concerns"))
    assert overall_proposal(ROB2, rob2_copy(*some)) == "Some concerns"
    high = replaced(some, domain("D1", D1_HIGH, "High"))
    assert overall_proposal(ROB2, rob2_copy(*high)) == "High"


def test_a_complete_copy_that_follows_the_algorithm_has_no_problems():
    assert problems(ROB2, rob2_copy(*ALL_LOW, overall="Low"), complete=True) == []


def test_a_domain_override_without_support_is_refused_naming_the_domain():
    copy = rob2_copy(*replaced(ALL_LOW, domain("D1", D1_LOW, "High")), overall="High")
    assert problems(ROB2, copy, complete=False) == [
        AssessmentProblem(
            "D1",
            SUPPORT,
            "D1 Randomisation process: High differs from the proposed Low; an override needs "
            "support text saying why",
        )
    ]


def test_a_domain_override_with_support_is_allowed():
    why = "Allocation by a list visible to recruiters: 'the list was pinned in the ward'."
    copy = rob2_copy(*replaced(ALL_LOW, domain("D1", D1_LOW, "High", why)), overall="High")
    assert problems(ROB2, copy, complete=True) == []


def test_blank_support_is_no_support():
    copy = rob2_copy(*replaced(ALL_LOW, domain("D1", D1_LOW, "High", "  \n")), overall="High")
    assert [p.where for p in problems(ROB2, copy, complete=False)] == ["D1"]


def test_some_concerns_in_several_domains_raised_to_high_needs_support():
    some = replaced(ALL_LOW, domain("D1", D1_SOME, "Some concerns"))
    some = replaced(some, domain("D5", D5_SOME, "Some concerns"))
    raised = rob2_copy(*some, overall="High")
    assert problems(ROB2, raised, complete=True) == [
        AssessmentProblem(
            OVERALL,
            SUPPORT,
            "Overall: High differs from the proposed Some concerns; an override needs support "
            "text saying why",
        )
    ]
    supported = dataclasses.replace(
        raised, overall_support="Concerns in D1 and D5 together substantially lower confidence."
    )
    assert problems(ROB2, supported, complete=True) == []


def test_an_overall_less_severe_than_a_domain_is_refused_even_with_support():
    high = replaced(ALL_LOW, domain("D1", D1_HIGH, "High"))
    copy = rob2_copy(*high, overall="Some concerns", support="The rest is fine.")
    [problem] = problems(ROB2, copy, complete=True)
    assert (problem.where, problem.field) == (OVERALL, "judgement")
    assert "Some concerns is less severe than D1's High" in problem.message


def test_an_incomplete_copy_may_be_saved_but_not_completed():
    copy = rob2_copy(domain("D1", {"1.2": N}, "High"), domain("D3", {}, None))
    assert problems(ROB2, copy, complete=False) == []
    found = problems(ROB2, copy, complete=True)
    assert [(p.where, p.field) for p in found] == [
        ("D1", "1.1"),
        ("D1", "1.3"),
        ("D2", "judgement"),
        ("D3", "3.1"),
        ("D3", "judgement"),
        ("D4", "judgement"),
        ("D5", "judgement"),
        (OVERALL, "judgement"),
    ]
    assert found[0].message == "D1 1.1: no answer (Y/PY/PN/N/NI needed)."
    assert found[2].message == (
        "D2 Deviations from intended interventions (effect of assignment): not judged; allowed "
        "are Low, Some concerns, High"
    )


def test_answers_the_algorithm_cannot_use_are_refused_even_in_a_draft():
    copy = rob2_copy(
        domain("D3", {"3.1": Y, "3.2": Y}, None),  # 3.2 is asked only after N/PN/NI to 3.1
        domain("D4", {"4.1": NA}, None),  # NA is not an answer 4.1 allows
    )
    assert [(p.where, p.field, p.message) for p in problems(ROB2, copy, complete=False)] == [
        ("D3", "3.2", "D3 3.2: answered Y but does not apply."),
        ("D4", "4.1", "D4 4.1: NA is not allowed (Y/PY/PN/N/NI)."),
    ]


def test_judgements_off_the_scale_unknown_domains_and_variants_are_refused():
    copy = rob2_copy(domain("D1", D1_LOW, "Moderate"), domain("D7", {}, None))
    found = problems(ROB2, copy, complete=False)
    assert [(p.where, p.field) for p in found] == [("D7", "domain"), ("D1", "judgement")]
    assert "allowed are D1, D2, D3, D4, D5" in found[0].message
    assert "allowed are Low, Some concerns, High" in found[1].message
    unknown_variant = dataclasses.replace(copy, variant="crossover")
    [problem] = problems(ROB2, unknown_variant, complete=False)
    assert problem.field == "variant"
    assert "allowed are assignment, adherence" in problem.message


def test_a_copy_of_another_tool_is_refused():
    copy = dataclasses.replace(rob2_copy(*ALL_LOW), tool="robins-i")
    [problem] = problems(ROB2, copy, complete=False)
    assert problem.field == "tool"


def test_the_adherence_variant_judges_domain_2_by_its_own_questions():
    # Effect of adhering: nobody aware, no implementation failures, adherence: Low.
    adherence = {"2.1": N, "2.2": N, "2.4": N, "2.5": N}
    copy = dataclasses.replace(
        rob2_copy(*replaced(ALL_LOW, domain("D2", adherence, "Low")), overall="Low"),
        variant="adherence",
    )
    assert proposals(ROB2, copy)["D2"] == "Low"
    assert problems(ROB2, copy, complete=True) == []
    # The same answers are incomplete for the effect of assignment (2.6 is asked there).
    assignment = dataclasses.replace(copy, variant="assignment")
    assert [(p.where, p.field) for p in problems(ROB2, assignment, complete=True)] == [
        ("D2", "2.4"),
        ("D2", "2.5"),
        ("D2", "2.6"),
    ]


# --- ROBINS-I: the 2016 guidance proposes only "Low" after N/PN to 1.1 -----------------------


def robins_copy(*domains: DomainAssessment, overall: str | None = None, support: str = ""):
    return ResultAssessment(
        study="Singh 2019",
        outcome_id="pain",
        assessor="bob",
        tool="robins-i",
        domains=domains,
        overall=overall,
        overall_support=support,
    )


ROBINS_ANSWERS = {
    "D2": {"2.1": N, "2.4": Y},
    "D3": {"3.1": Y, "3.2": Y, "3.3": N},
    "D4": {"4.1": N},
    "D5": {"5.1": Y, "5.2": N, "5.3": N},
    "D6": {"6.1": N, "6.2": N, "6.3": Y, "6.4": N},
    "D7": {"7.1": N, "7.2": N, "7.3": N},
}


def robins_domains(judgement: str) -> tuple[DomainAssessment, ...]:
    return tuple(domain(d, answers, judgement) for d, answers in ROBINS_ANSWERS.items())


@pytest.mark.parametrize("judgement", ["Low", "Moderate", "Serious", "Critical", "No information"])
def test_robins_i_domains_left_to_the_assessor_take_any_level_without_a_note(judgement):
    copy = robins_copy(domain("D1", {"1.1": N}, "Low"), *robins_domains(judgement))
    assert proposals(ROBINS_I, copy)["D2"] is None
    assert overall_proposal(ROBINS_I, copy) == judgement
    completed = dataclasses.replace(copy, overall=judgement)
    assert problems(ROBINS_I, completed, complete=True) == []


def test_robins_i_overriding_its_one_proposal_needs_support():
    copy = robins_copy(domain("D1", {"1.1": N}, "Moderate"))
    assert proposals(ROBINS_I, copy)["D1"] == "Low"
    [problem] = problems(ROBINS_I, copy, complete=False)
    assert (problem.where, problem.field) == ("D1", SUPPORT)


def test_robins_i_no_information_overall_may_be_overridden_with_support():
    domains = (domain("D1", {"1.1": N}, "Low"), *robins_domains("Moderate"))
    domains = replaced(domains, domain("D7", ROBINS_ANSWERS["D7"], "No information"))
    copy = robins_copy(*domains, overall="Moderate")
    assert overall_proposal(ROBINS_I, copy) == "No information"
    assert [p.field for p in problems(ROBINS_I, copy, complete=True)] == [SUPPORT]
    why = "D7 is not a key domain for this result."
    assert problems(ROBINS_I, dataclasses.replace(copy, overall_support=why), complete=True) == []


# --- the copy for all outcomes ---------------------------------------------------------------


def test_an_outcome_copy_is_checked_with_the_domains_of_the_copy_for_all_outcomes():
    shared = dataclasses.replace(rob2_copy(*ALL_LOW[:2]), outcome_id=ALL_OUTCOMES)
    own = rob2_copy(*ALL_LOW[2:], overall="Low")
    assert [p.where for p in problems(ROB2, own, complete=True)] == ["D1", "D2"]
    assert problems(ROB2, effective_copy(own, shared), complete=True) == []
    # The copy for all outcomes is complete with the domains it holds, without an overall.
    assert problems(ROB2, shared, complete=True) == []


def test_an_outcome_copy_overrides_the_shared_copy_domain_by_domain():
    shared = dataclasses.replace(rob2_copy(*ALL_LOW), outcome_id=ALL_OUTCOMES)
    own = rob2_copy(domain("D5", D5_SOME, "Some concerns"), overall="Some concerns")
    effective = effective_copy(own, shared)
    assert [d.domain for d in effective.domains] == ["D1", "D2", "D3", "D4", "D5"]
    assert effective.domain("D5") == own.domain("D5")
    assert overall_proposal(ROB2, effective) == "Some concerns"
    assert effective_copy(own, None) is own


# --- ROBINS-I V2's triage (section B) ---------------------------------------------------------

TRIAGE_CRITICAL = {"B1": N, "B2": Y, "B3": N}  # no control of confounding, and it is too likely
TRIAGE_ON = {"B1": Y, "B3": N}  # confounding controlled, outcome measured suitably: go on


def v2_copy(*domains: DomainAssessment, overall: str | None = None) -> ResultAssessment:
    return ResultAssessment(
        study="Grundmann 2017",
        outcome_id="pain",
        assessor="ann",
        tool=ROBINS_I_V2.id,
        domains=domains,
        overall=overall,
    )


def test_a_triage_that_ends_the_assessment_needs_no_domain_and_proposes_critical() -> None:
    ended = v2_copy(domain("B", TRIAGE_CRITICAL, "Critical"), overall="Critical")
    assert triage_proposal(ROBINS_I_V2, ended) == "Critical"
    assert overall_proposal(ROBINS_I_V2, ended) == "Critical"
    assert problems(ROBINS_I_V2, ended, complete=True) == []
    lower = dataclasses.replace(ended, overall="Serious", overall_support="only confounding")
    [problem] = problems(ROBINS_I_V2, lower, complete=True)
    assert problem.where == OVERALL
    assert "Serious is less severe than B's Critical" in problem.message


def test_a_triage_that_goes_on_needs_every_domain_and_leaves_the_overall_to_them() -> None:
    going_on = v2_copy(domain("B", TRIAGE_ON, None))
    assert triage_proposal(ROBINS_I_V2, going_on) == PROCEED
    assert overall_proposal(ROBINS_I_V2, going_on) is None
    found = problems(ROBINS_I_V2, going_on, complete=True)
    assert [p.where for p in found] == [d.id for d in ROBINS_I_V2.domains_for("")] + [OVERALL]


def test_the_triage_is_checked_as_a_domain_and_its_judgement_follows_its_answers() -> None:
    missing = v2_copy(domain("B", {"B1": N}, None))  # B2 is asked now, and B3 always
    assert [(p.where, p.field) for p in problems(ROBINS_I_V2, missing, complete=True)][:2] == [
        ("B", "B2"),
        ("B", "B3"),
    ]
    assert problems(ROBINS_I_V2, missing, complete=False) == []  # a draft may miss answers
    stray = v2_copy(domain("B", {"B1": Y, "B2": Y, "B3": N}, None))  # B2 is not asked after Y
    assert [p.field for p in problems(ROBINS_I_V2, stray, complete=False)] == ["B2"]
    wrong = v2_copy(domain("B", TRIAGE_ON, "Critical"))
    [problem] = problems(ROBINS_I_V2, wrong, complete=False)
    assert (problem.where, problem.field) == ("B", "judgement")
    unanswered = v2_copy()
    assert ("B", "B1") in [
        (p.where, p.field) for p in problems(ROBINS_I_V2, unanswered, complete=True)
    ]
    assert problems(ROBINS_I_V2, unanswered, complete=False) == []


def test_the_triage_judgement_is_set_from_the_answers() -> None:
    ended = with_triage_judgement(ROBINS_I_V2, v2_copy(domain("B", TRIAGE_CRITICAL, None)))
    assert ended.domain("B") == domain("B", TRIAGE_CRITICAL, "Critical")
    going_on = with_triage_judgement(ROBINS_I_V2, v2_copy(domain("B", TRIAGE_ON, "Critical")))
    assert going_on.domain("B") == domain("B", TRIAGE_ON, None)
    assert triage_judgement(ROB2, rob2_copy(*ALL_LOW)) is None  # RoB 2 has no triage
    assert [p.where for p in problems(ROB2, rob2_copy(domain("B", {}, None)), complete=False)] == [
        "B"
    ]  # nor a domain B
