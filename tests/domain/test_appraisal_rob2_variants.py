"""RoB 2 for crossover trials as data: the changed Domain 5 against its decision table, Domain S
left to the assessor, the reused parallel-group domains, and the overall rule over six domains.

The Domain 5 table below is written from the two public transcriptions of the crossover tool's
Figure 7 (test version of 8 December 2020, revised 18 March 2021) that ``rob2_variants.py``
cites, not from that module: 5.2, 5.3 and 5.4 are the "selected from" questions; any of them
Y/PY -> High; none Y/PY and any NI -> Some concerns; all N/PN -> 5.1 Y/PY Low, N/PN/NI Some
concerns. As in ``test_appraisal_rob2.py``, every combination of Y, PY, PN, N, NI and NA over the
domain's questions is enumerated: one matching a row gets that row's judgement, one matching none
(NA where nothing is conditional) is refused by ``check_answers``.
"""

from __future__ import annotations

import itertools

import pytest

from review_app.domain.appraisal import rob2
from review_app.domain.appraisal.assessment import problems, proposals
from review_app.domain.appraisal.model import DomainAssessment, ResultAssessment
from review_app.domain.appraisal.rob2_variants import D5_CROSSOVER, DS, ROB2_CROSSOVER
from review_app.domain.appraisal.tool import (
    Answer,
    Problem,
    asked,
    check_answers,
    overall,
    propose,
    with_official_text,
)
from review_app.errors import ValidationError
from tests.domain.test_appraisal_rob2 import HIGH, LOW, SC, Row, assert_domain_follows

A = Answer
ANY = "any"
NOT_YES = "N/PN/NI"

D5_CROSSOVER_ROWS: list[Row] = [
    # one of the "selected from" questions Y/PY (the first such, so the rows do not overlap)
    ({"5.1": ANY, "5.2": "Y/PY", "5.3": ANY, "5.4": ANY}, HIGH),
    ({"5.1": ANY, "5.2": NOT_YES, "5.3": "Y/PY", "5.4": ANY}, HIGH),
    ({"5.1": ANY, "5.2": NOT_YES, "5.3": NOT_YES, "5.4": "Y/PY"}, HIGH),
    # none Y/PY, at least one NI (the first NI among them)
    ({"5.1": ANY, "5.2": "NI", "5.3": NOT_YES, "5.4": NOT_YES}, SC),
    ({"5.1": ANY, "5.2": "N/PN", "5.3": "NI", "5.4": NOT_YES}, SC),
    ({"5.1": ANY, "5.2": "N/PN", "5.3": "N/PN", "5.4": "NI"}, SC),
    # all N/PN: the analysis plan decides
    ({"5.1": "Y/PY", "5.2": "N/PN", "5.3": "N/PN", "5.4": "N/PN"}, LOW),
    ({"5.1": NOT_YES, "5.2": "N/PN", "5.3": "N/PN", "5.4": "N/PN"}, SC),
]


def test_domain_5_follows_the_crossover_table_for_every_answer_combination():
    assert_domain_follows(D5_CROSSOVER, D5_CROSSOVER_ROWS)


def test_domain_5_asks_all_four_questions_always():
    for answers in ({}, {"5.2": A.Y}, {"5.2": A.N, "5.3": A.N, "5.4": A.N}):
        assert [q.number for q in asked(D5_CROSSOVER, answers)] == ["5.1", "5.2", "5.3", "5.4"]
    assert check_answers(D5_CROSSOVER, {"5.1": A.Y, "5.2": A.N, "5.3": A.N}) == [
        Problem("5.4", "D5 5.4: no answer (Y/PY/PN/N/NI needed)")
    ]
    assert check_answers(D5_CROSSOVER, {"5.1": A.Y, "5.2": A.N, "5.3": A.N, "5.4": A.NA}) == [
        Problem("5.4", "D5 5.4: NA is not allowed (Y/PY/PN/N/NI)")
    ]
    assert propose(D5_CROSSOVER, {"5.1": A.Y, "5.2": A.N, "5.3": A.N}) is None


def test_domain_5_keeps_the_parallel_questions_and_adds_5_4():
    assert D5_CROSSOVER.questions[:3] == rob2.D5.questions
    assert D5_CROSSOVER.question("5.4").label
    assert D5_CROSSOVER.id == rob2.D5.id == "D5"


def test_domain_s_is_the_assessors_judgement():
    """No two transcriptions agree on Domain S's questions or algorithm: nothing is proposed."""
    assert DS.questions == ()
    assert DS.algorithm is None
    assert propose(DS, {}) is None
    assert check_answers(DS, {}) == []
    assert check_answers(DS, {"S.1": A.Y}) == [Problem("S.1", "DS: no question S.1")]


def test_the_tool_reuses_the_parallel_domains_with_domain_s_and_the_new_domain_5():
    tool = ROB2_CROSSOVER
    domains = tool.domains_for(None)
    assert [d.id for d in domains] == ["D1", "D2", "DS", "D3", "D4", "D5"]
    assert domains[0] is rob2.D1 and domains[3] is rob2.D3 and domains[4] is rob2.D4
    assert domains[1] is rob2.D2_ASSIGNMENT and domains[5] is D5_CROSSOVER
    assert tool.domains_for("assignment") == domains
    assert tool.scale == rob2.SCALE
    assert tool.name == "RoB 2 (crossover)" and tool.id == "rob2-crossover"


def test_only_the_effect_of_assignment_is_offered():
    with pytest.raises(ValidationError, match="variant 'adherence': allowed are assignment"):
        ROB2_CROSSOVER.domains_for("adherence")


def test_overall_is_the_worst_of_the_six_domains():
    """As for RoB 2: Low if all Low, High if any High, otherwise Some concerns."""
    for judgements in itertools.product([LOW, SC, HIGH], repeat=6):
        expected = HIGH if HIGH in judgements else SC if SC in judgements else LOW
        assert overall(ROB2_CROSSOVER, judgements) == expected
    assert overall(ROB2_CROSSOVER, [LOW, LOW, None, LOW, LOW, LOW]) is None


def _copy(*domains: DomainAssessment, overall_judgement: str | None = None) -> ResultAssessment:
    return ResultAssessment(
        study="Crossover 2021",
        outcome_id="pain",
        assessor="reviewer1",
        tool=ROB2_CROSSOVER.id,
        domains=domains,
        overall=overall_judgement,
    )


def test_an_assessment_proposes_nothing_for_domain_s_and_any_level_needs_no_note():
    answers_5 = {"5.1": A.Y, "5.2": A.N, "5.3": A.PN, "5.4": A.N}
    copy = _copy(
        DomainAssessment("DS", judgement=HIGH),
        DomainAssessment("D5", answers=answers_5, judgement=SC),
    )
    assert proposals(ROB2_CROSSOVER, copy)["DS"] is None
    assert proposals(ROB2_CROSSOVER, copy)["D5"] == LOW
    found = problems(ROB2_CROSSOVER, copy, complete=False)
    assert [(p.where, p.field) for p in found] == [("D5", "support")]  # D5 overrides, DS does not


def test_the_overall_may_not_be_milder_than_domain_s():
    copy = _copy(DomainAssessment("DS", judgement=HIGH), overall_judgement=SC)
    found = problems(ROB2_CROSSOVER, copy, complete=False)
    assert [(p.where, p.field) for p in found] == [("overall", "judgement")]
    assert "DS's High" in found[0].message


def test_a_team_loads_the_official_wording_of_5_4():
    loaded = with_official_text(ROB2_CROSSOVER, {"5.4": "Official 5.4", "1.1": "Official 1.1"})
    assert loaded.domains_for(None)[5].question("5.4").text == "Official 5.4"
    assert loaded.domains_for(None)[0].question("1.1").text == "Official 1.1"
    with pytest.raises(ValidationError, match=r"unknown items: S\.1"):
        with_official_text(ROB2_CROSSOVER, {"S.1": "not a question here"})
