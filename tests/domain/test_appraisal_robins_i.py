"""ROBINS-I (2016): its seven domains, the questions asked given earlier answers, the one
published answer-to-judgement rule (1.1 = N/PN: low risk of bias due to confounding), assessor
judgement elsewhere, and the overall rule.

Every expected value below is written from the published tool, not from our code:
Sterne JAC, Hernán MA, Reeves BC, et al. ROBINS-I: a tool for assessing risk of bias in
non-randomised studies of interventions. BMJ 2016;355:i4919 (Tables 1 and 2, the tool template)
and the detailed guidance of 20 October 2016 (riskofbias.info): the "If ... to x.y" instructions
beside each signalling question give the conditions; the overall criteria are the paper's
"Interpretation of domain-level and overall risk of bias judgements".
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from review_app.domain.appraisal.robins_i import ROBINS_I, SCALE, guidance
from review_app.domain.appraisal.tool import (
    Answer,
    AnsweredIn,
    Condition,
    Domain,
    asked,
    check_answers,
    overall,
    propose,
    with_official_text,
)

# The seven domains of the 2016 tool, in its order, with their official numbers.
DOMAINS_2016 = [
    ("D1", "Bias due to confounding"),
    ("D2", "Bias in selection of participants into the study"),
    ("D3", "Bias in classification of interventions"),
    ("D4", "Bias due to deviations from intended interventions"),
    ("D5", "Bias due to missing data"),
    ("D6", "Bias in measurement of outcomes"),
    ("D7", "Bias in selection of the reported result"),
]
JUDGEMENTS_2016 = ["Low", "Moderate", "Serious", "Critical", "No information"]

# The official question numbers per domain (D4: effect of assignment, then effect of starting and
# adhering to the intervention, the two aims the guidance offers).
QUESTIONS_2016 = {
    "D1": ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8"],
    "D2": ["2.1", "2.2", "2.3", "2.4", "2.5"],
    "D3": ["3.1", "3.2", "3.3"],
    "D4 assignment": ["4.1", "4.2"],
    "D4 adherence": ["4.3", "4.4", "4.5", "4.6"],
    "D5": ["5.1", "5.2", "5.3", "5.4", "5.5"],
    "D6": ["6.1", "6.2", "6.3", "6.4"],
    "D7": ["7.1", "7.2", "7.3"],
}

# (domain, answers given, the questions the tool asks), from the guidance's conditions:
# 1.1 N/PN: low risk, no further questions. 1.2 if Y/PY to 1.1. 1.2 N/PN: baseline confounding
# (1.4-1.6); 1.2 Y/PY: 1.3. 1.3 N/PN: 1.4-1.6; 1.3 Y/PY: time-varying (1.7, 1.8). 1.5 if Y/PY to
# 1.4; 1.8 if Y/PY to 1.7. 2.1 N/PN: go to 2.4; 2.2 if Y/PY to 2.1; 2.3 if Y/PY to 2.2; 2.5 if
# Y/PY to 2.2 and 2.3, or N/PN to 2.4. 4.2 if Y/PY to 4.1; 4.6 if N/PN to 4.3, 4.4 or 4.5.
# 5.4 and 5.5 if PN/N to 5.1, or Y/PY to 5.2 or 5.3.
ASKED_2016 = [
    ("D1", {}, ["1.1"]),
    ("D1", {"1.1": "N"}, ["1.1"]),
    ("D1", {"1.1": "PN"}, ["1.1"]),
    ("D1", {"1.1": "Y"}, ["1.1", "1.2"]),
    ("D1", {"1.1": "Y", "1.2": "N"}, ["1.1", "1.2", "1.4", "1.6"]),
    ("D1", {"1.1": "PY", "1.2": "PN", "1.4": "PY"}, ["1.1", "1.2", "1.4", "1.5", "1.6"]),
    ("D1", {"1.1": "Y", "1.2": "N", "1.4": "NI"}, ["1.1", "1.2", "1.4", "1.6"]),
    ("D1", {"1.1": "Y", "1.2": "Y"}, ["1.1", "1.2", "1.3"]),
    (
        "D1",
        {"1.1": "Y", "1.2": "PY", "1.3": "N", "1.4": "Y"},
        ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6"],
    ),
    ("D1", {"1.1": "Y", "1.2": "Y", "1.3": "PY"}, ["1.1", "1.2", "1.3", "1.7"]),
    ("D1", {"1.1": "Y", "1.2": "Y", "1.3": "Y", "1.7": "PY"}, ["1.1", "1.2", "1.3", "1.7", "1.8"]),
    ("D1", {"1.1": "Y", "1.2": "Y", "1.3": "Y", "1.7": "N"}, ["1.1", "1.2", "1.3", "1.7"]),
    ("D1", {"1.1": "Y", "1.2": "NI"}, ["1.1", "1.2"]),
    ("D2", {}, ["2.1", "2.4"]),
    ("D2", {"2.1": "N", "2.4": "Y"}, ["2.1", "2.4"]),
    ("D2", {"2.1": "PN", "2.4": "N"}, ["2.1", "2.4", "2.5"]),
    ("D2", {"2.1": "NI", "2.4": "PY"}, ["2.1", "2.4"]),
    ("D2", {"2.1": "Y", "2.4": "Y"}, ["2.1", "2.2", "2.4"]),
    ("D2", {"2.1": "Y", "2.2": "N", "2.4": "Y"}, ["2.1", "2.2", "2.4"]),
    ("D2", {"2.1": "Y", "2.2": "PY", "2.4": "Y"}, ["2.1", "2.2", "2.3", "2.4"]),
    ("D2", {"2.1": "Y", "2.2": "Y", "2.3": "PN", "2.4": "PY"}, ["2.1", "2.2", "2.3", "2.4"]),
    ("D2", {"2.1": "Y", "2.2": "Y", "2.3": "Y", "2.4": "Y"}, ["2.1", "2.2", "2.3", "2.4", "2.5"]),
    ("D2", {"2.1": "PY", "2.2": "N", "2.4": "PN"}, ["2.1", "2.2", "2.4", "2.5"]),
    ("D3", {}, ["3.1", "3.2", "3.3"]),
    ("D4 assignment", {}, ["4.1"]),
    ("D4 assignment", {"4.1": "N"}, ["4.1"]),
    ("D4 assignment", {"4.1": "NI"}, ["4.1"]),
    ("D4 assignment", {"4.1": "PY"}, ["4.1", "4.2"]),
    ("D4 adherence", {}, ["4.3", "4.4", "4.5"]),
    ("D4 adherence", {"4.3": "Y", "4.4": "PY", "4.5": "Y"}, ["4.3", "4.4", "4.5"]),
    ("D4 adherence", {"4.3": "PN", "4.4": "Y", "4.5": "Y"}, ["4.3", "4.4", "4.5", "4.6"]),
    ("D4 adherence", {"4.3": "Y", "4.4": "N", "4.5": "Y"}, ["4.3", "4.4", "4.5", "4.6"]),
    ("D4 adherence", {"4.3": "Y", "4.4": "Y", "4.5": "PN"}, ["4.3", "4.4", "4.5", "4.6"]),
    ("D4 adherence", {"4.3": "NI", "4.4": "Y", "4.5": "Y"}, ["4.3", "4.4", "4.5"]),
    ("D5", {}, ["5.1", "5.2", "5.3"]),
    ("D5", {"5.1": "Y", "5.2": "N", "5.3": "PN"}, ["5.1", "5.2", "5.3"]),
    ("D5", {"5.1": "PN", "5.2": "N", "5.3": "N"}, ["5.1", "5.2", "5.3", "5.4", "5.5"]),
    ("D5", {"5.1": "Y", "5.2": "PY", "5.3": "N"}, ["5.1", "5.2", "5.3", "5.4", "5.5"]),
    ("D5", {"5.1": "Y", "5.2": "N", "5.3": "Y"}, ["5.1", "5.2", "5.3", "5.4", "5.5"]),
    ("D6", {}, ["6.1", "6.2", "6.3", "6.4"]),
    ("D7", {}, ["7.1", "7.2", "7.3"]),
]

# The one place where the 2016 guidance maps answers to a judgement: "If N/PN to 1.1: the study
# can be considered to be at low risk of bias due to confounding and no further signalling
# questions need be considered." Everywhere else the judgement is the assessor's (None).
PROPOSED_2016 = [
    ("D1", {"1.1": "N"}, "Low"),
    ("D1", {"1.1": "PN"}, "Low"),
    ("D1", {"1.1": "Y", "1.2": "N", "1.4": "Y", "1.5": "Y", "1.6": "N"}, None),
    ("D1", {"1.1": "PY", "1.2": "Y", "1.3": "Y", "1.7": "N"}, None),
    ("D2", {"2.1": "N", "2.4": "Y"}, None),
    ("D3", {"3.1": "Y", "3.2": "Y", "3.3": "N"}, None),
    ("D4 assignment", {"4.1": "N"}, None),
    ("D4 adherence", {"4.3": "Y", "4.4": "Y", "4.5": "Y"}, None),
    ("D5", {"5.1": "Y", "5.2": "N", "5.3": "N"}, None),
    ("D6", {"6.1": "N", "6.2": "N", "6.3": "Y", "6.4": "N"}, None),
    ("D7", {"7.1": "N", "7.2": "N", "7.3": "N"}, None),
]

# Overall (Sterne 2016): Low = low in all domains; Moderate = low or moderate in all domains;
# Serious = serious in at least one domain, critical in none; Critical = critical in at least one
# domain; No information = no clear indication of serious or critical risk, and information
# lacking in one or more key domains.
L, M, S, C, NI = JUDGEMENTS_2016
OVERALL_2016 = [
    ([L, L, L, L, L, L, L], L),
    ([L, M, L, L, L, L, L], M),
    ([M, M, M, M, M, M, M], M),
    ([L, M, S, L, L, L, L], S),
    ([S, S, M, L, L, L, L], S),
    ([L, L, L, L, L, L, C], C),
    ([C, S, M, L, L, L, L], C),
    ([S, NI, L, L, L, L, L], S),
    ([C, NI, NI, L, L, L, L], C),
    ([L, NI, L, L, L, L, L], NI),
    ([M, L, L, L, NI, L, M], NI),
    ([NI, NI, NI, NI, NI, NI, NI], NI),
]


def _domain(name: str) -> Domain:
    domain_id, _, variant = name.partition(" ")
    domains = {d.id: d for d in ROBINS_I.domains_for(variant or None)}
    return domains[domain_id]


def _answers(given: dict[str, str]) -> dict[str, Answer]:
    return {number: Answer(answer) for number, answer in given.items()}


def _complete_answer_sets(domain: Domain) -> Iterator[dict[str, Answer]]:
    """Every complete set of answers an assessor can give: each question shown gets each answer it
    allows, the next questions following from those answers."""

    def extend(given: dict[str, Answer]) -> Iterator[dict[str, Answer]]:
        pending = [q for q in asked(domain, given) if q.number not in given]
        if not pending:
            yield given
            return
        question = pending[0]
        for answer in sorted(question.answers):
            yield from extend({**given, question.number: answer})

    return extend({})


def test_the_seven_domains_in_the_published_order() -> None:
    assert [(d.id, d.label) for d in ROBINS_I.domains] == DOMAINS_2016
    assert list(SCALE.ids) == JUDGEMENTS_2016
    assert [v.id for v in ROBINS_I.variants] == ["assignment", "adherence"]


@pytest.mark.parametrize("name", QUESTIONS_2016)
def test_each_domain_has_the_official_items(name: str) -> None:
    assert [q.number for q in _domain(name).questions] == QUESTIONS_2016[name]


def test_the_default_variant_is_the_effect_of_assignment() -> None:
    assert ROBINS_I.domains_for(None) == ROBINS_I.domains_for("assignment")
    assert _domain("D4").variant is None
    assert _domain("D4 adherence").variant == "adherence"


@pytest.mark.parametrize(("name", "given", "expected"), ASKED_2016)
def test_questions_are_asked_as_the_guidance_says(
    name: str, given: dict[str, str], expected: list[str]
) -> None:
    assert [q.number for q in asked(_domain(name), _answers(given))] == expected


@pytest.mark.parametrize(("name", "given", "expected"), PROPOSED_2016)
def test_proposed_judgement(name: str, given: dict[str, str], expected: str | None) -> None:
    domain = _domain(name)
    assert check_answers(domain, _answers(given)) == []
    assert propose(domain, _answers(given)) == expected


@pytest.mark.parametrize("name", QUESTIONS_2016)
def test_every_path_proposes_what_the_guidance_publishes(name: str) -> None:
    """Only "N/PN to 1.1" maps to a judgement (Low); on every other path the assessor judges."""
    domain = _domain(name)
    paths = list(_complete_answer_sets(domain))
    assert len(paths) > 1
    for answers in paths:
        assert check_answers(domain, answers) == [], answers
        no_confounding = name == "D1" and answers["1.1"] in {Answer.N, Answer.PN}
        assert propose(domain, answers) == ("Low" if no_confounding else None), answers


def test_confounding_paths_cover_baseline_and_time_varying_questions() -> None:
    seen = {number for a in _complete_answer_sets(_domain("D1")) for number in a}
    assert seen == set(QUESTIONS_2016["D1"])


def test_potential_for_confounding_allows_no_no_information() -> None:
    # The 2016 template offers Y / PY / PN / N for 1.1, and NI for the questions after it.
    problems = check_answers(_domain("D1"), {"1.1": Answer.NI})
    assert [p.question for p in problems] == ["1.1"]
    assert check_answers(_domain("D1"), _answers({"1.1": "Y", "1.2": "NI"})) == []


def test_an_answer_to_a_question_that_does_not_apply_is_refused() -> None:
    # 1.5 only follows a Y/PY to 1.4; 4.6 only follows an N/PN to 4.3, 4.4 or 4.5.
    given = _answers({"1.1": "Y", "1.2": "N", "1.4": "N", "1.5": "Y", "1.6": "N"})
    assert [p.question for p in check_answers(_domain("D1"), given)] == ["1.5"]
    given = _answers({"4.3": "Y", "4.4": "Y", "4.5": "Y", "4.6": "N"})
    assert [p.question for p in check_answers(_domain("D4 adherence"), given)] == ["4.6"]
    given = _answers({"4.3": "Y", "4.4": "Y", "4.5": "Y", "4.6": "NA"})
    assert check_answers(_domain("D4 adherence"), given) == []


def test_a_missing_answer_to_a_question_shown_is_listed() -> None:
    given = _answers({"5.1": "N", "5.2": "N", "5.3": "N", "5.4": "Y"})
    assert [p.question for p in check_answers(_domain("D5"), given)] == ["5.5"]


@pytest.mark.parametrize(("domains", "expected"), OVERALL_2016)
def test_overall_is_the_most_severe_domain_or_no_information(
    domains: list[str], expected: str
) -> None:
    assert overall(ROBINS_I, domains) == expected


def test_overall_waits_for_every_domain() -> None:
    assert overall(ROBINS_I, [L, L, L, None, L, L, L]) is None


@pytest.mark.parametrize("name", QUESTIONS_2016)
def test_each_domain_has_guidance_for_each_judgement(name: str) -> None:
    texts = guidance(_domain(name))
    assert list(texts) == JUDGEMENTS_2016
    assert all(text.strip() for text in texts.values())


def test_the_adherence_questions_take_their_own_official_text() -> None:
    texts = {"1.1": "Official 1.1", "adherence:4.3": "Official 4.3"}
    tool = with_official_text(ROBINS_I, texts)
    assert tool.domains[0].question("1.1").text == "Official 1.1"
    adherence = {d.id: d for d in tool.domains_for("adherence")}["D4"]
    assert adherence.question("4.3").text == "Official 4.3"
    assert adherence.question("4.4").text == adherence.question("4.4").label


def test_labels_are_short_and_numbered_as_published() -> None:
    domains = [*ROBINS_I.domains, _domain("D4 adherence")]
    for domain in domains:
        for question in domain.questions:
            assert question.number.startswith(domain.id[1:] + ".")
            assert 0 < len(question.label) <= 90
            assert question.official_text is None


def _questions_named(condition: Condition | None) -> set[str]:
    if condition is None:
        return set()
    if isinstance(condition, AnsweredIn):
        return {condition.question}
    return {n for part in condition.conditions for n in _questions_named(part)}


@pytest.mark.parametrize("name", QUESTIONS_2016)
def test_conditions_name_only_earlier_questions_of_their_domain(name: str) -> None:
    earlier: list[str] = []
    for question in _domain(name).questions:
        assert _questions_named(question.condition) <= set(earlier), question.number
        earlier.append(question.number)
