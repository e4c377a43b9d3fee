"""RoB 2 as data: every answer combination of every domain against the guidance's algorithms.

The expected judgements are written below as tables of answer patterns, transcribed from the
suggested algorithms (flowcharts) of the RoB 2 full guidance document of 22 August 2019
(riskofbias.info), one table per domain, independent of how ``rob2.py`` builds its trees. In a
pattern, a question that is not named must not be asked (answered NA or left empty); "any" is any
of Y/PY/PN/N/NI. Each test enumerates every combination of Y, PY, PN, N, NI and NA over the
domain's questions: a combination that matches a row must raise no problem and get that row's
judgement; one that matches no row (an answer to a question that is not asked, NA to one that
is, NI where the guidance does not offer it) must be refused by ``check_answers``; and another
tool's answer (ROBINS-I V2's SY) in place of any answer of an accepted combination is refused.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator, Mapping, Sequence

import pytest

from review_app.domain.appraisal import rob2
from review_app.domain.appraisal.tool import (
    Answer,
    Domain,
    Problem,
    asked,
    check_answers,
    overall,
    propose,
    with_official_text,
)

LOW, SC, HIGH = "Low", "Some concerns", "High"
Row = tuple[Mapping[str, str], str]


def _rob2_answers() -> tuple[tuple[Answer, ...], Answer]:
    """The answers RoB 2's questions allow with NA, in the guidance's order, and the first answer
    of another tool (ROBINS-I V2's strong yes)."""
    domains = [*rob2.ROB2.domains, *(d for v in rob2.ROB2.variants for d in v.domains.values())]
    allowed = {a for d in domains for q in d.questions for a in q.answers} | {Answer.NA}
    foreign = next(answer for answer in Answer if answer not in allowed)
    return tuple(answer for answer in Answer if answer in allowed), foreign


# Every answer outside RoB 2 is refused alike, so FOREIGN stands for them all: it replaces each
# answer of every combination that the guidance accepts, rather than being enumerated with the
# others (which would make 7^n combinations, most refused anyway, instead of 6^n).
ENUMERATED, FOREIGN = _rob2_answers()


def assert_foreign_refused(domain: Domain, answers: Mapping[str, Answer]) -> None:
    """``answers`` are accepted; the foreign answer in place of any one of them is one problem,
    at that question (whether it is asked or not)."""
    for number in answers:
        found = check_answers(domain, {**answers, number: FOREIGN})
        assert [problem.question for problem in found] == [number], (answers, number, found)


@functools.cache
def answers_of(pattern: str) -> frozenset[Answer]:
    """ "Y/PY/NI" -> {Y, PY, NI}; "any" -> Y/PY/PN/N/NI."""
    if pattern == "any":
        pattern = "Y/PY/PN/N/NI"
    return frozenset(Answer(part) for part in pattern.split("/"))


# Domain 1, randomisation process (guidance: Domain 1 algorithm). 1.2 concealment first; after
# Y/PY, 1.1 N/PN -> Some concerns; 1.1 Y/PY/NI then 1.3 decides; after NI, 1.3 decides between
# Some concerns and High; after N/PN -> High.
D1_ROWS: list[Row] = [
    ({"1.1": "Y/PY/NI", "1.2": "Y/PY", "1.3": "N/PN/NI"}, LOW),
    ({"1.1": "Y/PY/NI", "1.2": "Y/PY", "1.3": "Y/PY"}, SC),
    ({"1.1": "N/PN", "1.2": "Y/PY", "1.3": "any"}, SC),
    ({"1.1": "any", "1.2": "NI", "1.3": "N/PN/NI"}, SC),
    ({"1.1": "any", "1.2": "NI", "1.3": "Y/PY"}, HIGH),
    ({"1.1": "any", "1.2": "N/PN", "1.3": "any"}, HIGH),
]

# Domain 2, effect of assignment: the algorithm's part 1 (2.1-2.5) and part 2 (2.6-2.7).
# "Aware" (2.3 asked): Y/PY/NI to 2.1 or to 2.2, written as two disjoint patterns.
AWARE: list[dict[str, str]] = [{"2.1": "Y/PY/NI", "2.2": "any"}, {"2.1": "N/PN", "2.2": "Y/PY/NI"}]
NOT_AWARE = {"2.1": "N/PN", "2.2": "N/PN"}
D2_ASSIGNMENT_PART_1: list[Row] = [
    (NOT_AWARE, LOW),
    *(
        ({**aware, **rest}, judgement)
        for aware in AWARE
        for rest, judgement in [
            ({"2.3": "N/PN"}, LOW),
            ({"2.3": "NI"}, SC),
            ({"2.3": "Y/PY", "2.4": "N/PN"}, SC),
            ({"2.3": "Y/PY", "2.4": "Y/PY/NI", "2.5": "Y/PY"}, SC),
            ({"2.3": "Y/PY", "2.4": "Y/PY/NI", "2.5": "N/PN/NI"}, HIGH),
        ]
    ),
]
D2_ASSIGNMENT_PART_2: list[Row] = [
    ({"2.6": "Y/PY"}, LOW),
    ({"2.6": "N/PN/NI", "2.7": "N/PN"}, SC),
    ({"2.6": "N/PN/NI", "2.7": "Y/PY/NI"}, HIGH),
]
# "Low if Low for both parts; High if High for either part; otherwise Some concerns."
D2_ASSIGNMENT_COMBINED = {
    (LOW, LOW): LOW,
    (LOW, SC): SC,
    (SC, LOW): SC,
    (SC, SC): SC,
    (LOW, HIGH): HIGH,
    (SC, HIGH): HIGH,
    (HIGH, LOW): HIGH,
    (HIGH, SC): HIGH,
    (HIGH, HIGH): HIGH,
}

# Domain 2, effect of adhering. 2.3-2.5 are "[If applicable:]" items, so NA is an answer there.
# Not aware, or 2.3 Y/PY/NA: 2.4 and 2.5 both N/PN/NA -> Low, either Y/PY/NI -> 2.6;
# aware and 2.3 N/PN/NI -> 2.6. 2.6: Y/PY -> Some concerns, N/PN/NI -> High.
ANY_OR_NA = "Y/PY/PN/N/NI/NA"
FAILURES: list[Row] = [
    ({"2.4": "N/PN/NA", "2.5": "N/PN/NA"}, LOW),
    ({"2.4": "Y/PY/NI", "2.5": ANY_OR_NA, "2.6": "Y/PY"}, SC),
    ({"2.4": "Y/PY/NI", "2.5": ANY_OR_NA, "2.6": "N/PN/NI"}, HIGH),
    ({"2.4": "N/PN/NA", "2.5": "Y/PY/NI", "2.6": "Y/PY"}, SC),
    ({"2.4": "N/PN/NA", "2.5": "Y/PY/NI", "2.6": "N/PN/NI"}, HIGH),
]
D2_ADHERENCE_ROWS: list[Row] = [
    *(({**NOT_AWARE, **rest}, judgement) for rest, judgement in FAILURES),
    *(
        ({**aware, "2.3": "Y/PY/NA", **rest}, judgement)
        for aware in AWARE
        for rest, judgement in FAILURES
    ),
    *(
        ({**aware, "2.3": "N/PN/NI", "2.4": ANY_OR_NA, "2.5": ANY_OR_NA, "2.6": six}, judgement)
        for aware in AWARE
        for six, judgement in [("Y/PY", SC), ("N/PN/NI", HIGH)]
    ),
]

# Domain 3, missing outcome data. 3.2's response options have no NI.
D3_ROWS: list[Row] = [
    ({"3.1": "Y/PY"}, LOW),
    ({"3.1": "N/PN/NI", "3.2": "Y/PY"}, LOW),
    ({"3.1": "N/PN/NI", "3.2": "N/PN", "3.3": "N/PN"}, LOW),
    ({"3.1": "N/PN/NI", "3.2": "N/PN", "3.3": "Y/PY/NI", "3.4": "N/PN"}, SC),
    ({"3.1": "N/PN/NI", "3.2": "N/PN", "3.3": "Y/PY/NI", "3.4": "Y/PY/NI"}, HIGH),
]

# Domain 4, measurement of the outcome (Figure 5): 4.3 asked after N/PN/NI to both 4.1 and 4.2;
# after 4.2 NI the best judgement is Some concerns.
D4_ROWS: list[Row] = [
    ({"4.1": "Y/PY", "4.2": "any"}, HIGH),
    ({"4.1": "N/PN/NI", "4.2": "Y/PY"}, HIGH),
    ({"4.1": "N/PN/NI", "4.2": "N/PN", "4.3": "N/PN"}, LOW),
    ({"4.1": "N/PN/NI", "4.2": "N/PN", "4.3": "Y/PY/NI", "4.4": "N/PN"}, LOW),
    ({"4.1": "N/PN/NI", "4.2": "N/PN", "4.3": "Y/PY/NI", "4.4": "Y/PY/NI", "4.5": "N/PN"}, SC),
    ({"4.1": "N/PN/NI", "4.2": "N/PN", "4.3": "Y/PY/NI", "4.4": "Y/PY/NI", "4.5": "Y/PY/NI"}, HIGH),
    ({"4.1": "N/PN/NI", "4.2": "NI", "4.3": "N/PN"}, SC),
    ({"4.1": "N/PN/NI", "4.2": "NI", "4.3": "Y/PY/NI", "4.4": "N/PN"}, SC),
    ({"4.1": "N/PN/NI", "4.2": "NI", "4.3": "Y/PY/NI", "4.4": "Y/PY/NI", "4.5": "N/PN"}, SC),
    ({"4.1": "N/PN/NI", "4.2": "NI", "4.3": "Y/PY/NI", "4.4": "Y/PY/NI", "4.5": "Y/PY/NI"}, HIGH),
]

# Domain 5, selection of the reported result: 5.2 and 5.3 both N/PN -> 5.1 decides (Y/PY Low,
# N/PN/NI Some concerns); at least one NI and neither Y/PY -> Some concerns; either Y/PY -> High.
D5_ROWS: list[Row] = [
    ({"5.1": "Y/PY", "5.2": "N/PN", "5.3": "N/PN"}, LOW),
    ({"5.1": "N/PN/NI", "5.2": "N/PN", "5.3": "N/PN"}, SC),
    ({"5.1": "any", "5.2": "NI", "5.3": "N/PN/NI"}, SC),
    ({"5.1": "any", "5.2": "N/PN", "5.3": "NI"}, SC),
    ({"5.1": "any", "5.2": "Y/PY", "5.3": "any"}, HIGH),
    ({"5.1": "any", "5.2": "N/PN/NI", "5.3": "Y/PY"}, HIGH),
]


def combinations(numbers: Sequence[str]) -> Iterator[dict[str, Answer]]:
    for values in itertools.product(ENUMERATED, repeat=len(numbers)):
        yield dict(zip(numbers, values, strict=True))


def matches(pattern: Mapping[str, str], answers: Mapping[str, Answer]) -> bool:
    """Whether ``answers`` fits ``pattern`` (questions the pattern does not name must be NA)."""
    return all(
        answer in answers_of(pattern[number]) if number in pattern else answer is Answer.NA
        for number, answer in answers.items()
    )


def matching(rows: Sequence[Row], answers: Mapping[str, Answer]) -> list[str]:
    return [judgement for pattern, judgement in rows if matches(pattern, answers)]


def assert_domain_follows(domain: Domain, rows: Sequence[Row]) -> None:
    numbers = [q.number for q in domain.questions]
    reached = set()
    for answers in combinations(numbers):
        found = [(i, row) for i, row in enumerate(rows) if matches(row[0], answers)]
        assert len(found) <= 1, (answers, found)  # the table's rows do not overlap
        if not found:
            assert check_answers(domain, answers), answers
            continue
        index, (pattern, expected) = found[0]
        reached.add(index)
        assert check_answers(domain, answers) == [], answers
        assert propose(domain, answers) == expected, answers
        assert_foreign_refused(domain, answers)
        # questions that are not asked may as well be left empty
        empty = {number: answer for number, answer in answers.items() if number in pattern}
        assert check_answers(domain, empty) == [], answers
        assert propose(domain, empty) == expected, answers
    assert reached == set(range(len(rows))), "every row of the table is reached"


@pytest.mark.parametrize(
    ("domain", "rows"),
    [
        (rob2.D1, D1_ROWS),
        (rob2.D2_ADHERENCE, D2_ADHERENCE_ROWS),
        (rob2.D3, D3_ROWS),
        (rob2.D4, D4_ROWS),
        (rob2.D5, D5_ROWS),
    ],
    ids=["D1", "D2-adherence", "D3", "D4", "D5"],
)
def test_every_answer_combination_follows_the_guidance(domain: Domain, rows: list[Row]):
    assert_domain_follows(domain, rows)


def test_assignment_domain_follows_both_parts_and_their_combination():
    """Part 1's 6^5 combinations with each valid part 2, and part 2's 6^2 with each valid part 1
    (the parts ask disjoint questions, so this covers every path of the combined algorithm)."""
    domain = rob2.D2_ASSIGNMENT
    part_1 = list(combinations(["2.1", "2.2", "2.3", "2.4", "2.5"]))
    part_2 = list(combinations(["2.6", "2.7"]))
    valid_1 = [(a, matching(D2_ASSIGNMENT_PART_1, a)) for a in part_1]
    valid_2 = [(a, matching(D2_ASSIGNMENT_PART_2, a)) for a in part_2]
    good_1 = [(a, j[0]) for a, j in valid_1 if j]
    good_2 = [(a, j[0]) for a, j in valid_2 if j]
    assert {j for _, j in good_1} == {LOW, SC, HIGH} == {j for _, j in good_2}
    for answers_1, judgements_1 in valid_1:
        for answers_2, judgement_2 in good_2:
            answers = {**answers_1, **answers_2}
            if not judgements_1:
                assert check_answers(domain, answers), answers
                continue
            assert check_answers(domain, answers) == []
            expected = D2_ASSIGNMENT_COMBINED[(judgements_1[0], judgement_2)]
            assert propose(domain, answers) == expected, answers
            assert_foreign_refused(domain, answers)
    for answers_2, judgements_2 in valid_2:
        for answers_1, judgement_1 in good_1:
            answers = {**answers_1, **answers_2}
            if not judgements_2:
                assert check_answers(domain, answers), answers
            else:
                expected = D2_ASSIGNMENT_COMBINED[(judgement_1, judgements_2[0])]
                assert propose(domain, answers) == expected, answers


A = Answer


@pytest.mark.parametrize(
    ("domain", "answers", "shown"),
    [
        (rob2.D1, {}, ["1.1", "1.2", "1.3"]),
        (rob2.D2_ASSIGNMENT, {"2.1": A.N, "2.2": A.PN}, ["2.1", "2.2", "2.6"]),
        (rob2.D2_ASSIGNMENT, {"2.1": A.N, "2.2": A.NI}, ["2.1", "2.2", "2.3", "2.6"]),
        (rob2.D2_ASSIGNMENT, {"2.1": A.Y, "2.3": A.NI}, ["2.1", "2.2", "2.3", "2.6"]),
        (rob2.D2_ASSIGNMENT, {"2.1": A.Y, "2.3": A.PY}, ["2.1", "2.2", "2.3", "2.4", "2.6"]),
        (
            rob2.D2_ASSIGNMENT,
            {"2.1": A.Y, "2.3": A.PY, "2.4": A.NI, "2.6": A.PN},
            ["2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7"],
        ),
        (rob2.D2_ADHERENCE, {"2.1": A.N, "2.2": A.N}, ["2.1", "2.2", "2.4", "2.5"]),
        (
            rob2.D2_ADHERENCE,
            {"2.1": A.PY, "2.3": A.NA, "2.4": A.N, "2.5": A.NA},
            ["2.1", "2.2", "2.3", "2.4", "2.5"],
        ),
        (
            rob2.D2_ADHERENCE,
            {"2.1": A.N, "2.2": A.N, "2.4": A.N, "2.5": A.NI},
            ["2.1", "2.2", "2.4", "2.5", "2.6"],
        ),
        (rob2.D3, {"3.1": A.Y}, ["3.1"]),
        (rob2.D3, {"3.1": A.NI, "3.2": A.N, "3.3": A.NI}, ["3.1", "3.2", "3.3", "3.4"]),
        (rob2.D4, {"4.1": A.PY, "4.2": A.N}, ["4.1", "4.2"]),
        (rob2.D4, {"4.1": A.NI, "4.2": A.NI, "4.3": A.Y}, ["4.1", "4.2", "4.3", "4.4"]),
        (rob2.D5, {}, ["5.1", "5.2", "5.3"]),
    ],
)
def test_conditional_questions_appear_only_when_needed(domain, answers, shown):
    assert [q.number for q in asked(domain, answers)] == shown


def test_problems_name_the_question_and_what_is_wrong():
    assert check_answers(rob2.D3, {"3.1": A.N, "3.2": A.NI}) == [
        Problem("3.2", "D3 3.2: NI is not allowed (Y/PY/PN/N)")
    ]
    assert check_answers(rob2.D3, {"3.1": A.N, "3.2": A.N}) == [
        Problem("3.3", "D3 3.3: no answer (Y/PY/PN/N/NI needed)")
    ]
    assert check_answers(rob2.D1, {"1.1": A.Y, "1.2": A.Y}) == [
        Problem("1.3", "D1 1.3: no answer (Y/PY/PN/N/NI needed)")
    ]
    assert check_answers(rob2.D4, {"4.1": A.Y, "4.2": A.N, "4.3": A.Y}) == [
        Problem("4.3", "D4 4.3: answered Y but does not apply")
    ]
    assert (
        check_answers(rob2.D2_ASSIGNMENT, {"2.1": A.N, "2.2": A.N, "2.3": A.NA, "2.6": A.Y}) == []
    )
    assert propose(rob2.D1, {"1.1": A.Y, "1.2": A.Y}) is None


def test_overall_is_low_only_when_all_low_and_high_when_any_high():
    """Overall criteria: Low if Low in all domains; High if High in at least one domain; Some
    concerns otherwise. Some concerns in several domains is not raised to High by the proposal."""
    assert overall(rob2.ROB2, [LOW] * 5) == LOW
    assert overall(rob2.ROB2, [LOW, SC, LOW, LOW, LOW]) == SC
    assert overall(rob2.ROB2, [SC] * 5) == SC
    assert overall(rob2.ROB2, [LOW, LOW, LOW, LOW, HIGH]) == HIGH
    assert overall(rob2.ROB2, [SC, HIGH, SC, LOW, LOW]) == HIGH
    assert overall(rob2.ROB2, [LOW, LOW, None, LOW, LOW]) is None
    for judgements in itertools.product([LOW, SC, HIGH], repeat=5):
        expected = HIGH if HIGH in judgements else SC if SC in judgements else LOW
        assert overall(rob2.ROB2, judgements) == expected


def test_the_tool_is_rob2_with_its_scale_domains_and_variants():
    tool = rob2.ROB2
    assert tool.scale.ids == (LOW, SC, HIGH)
    assert [level.colour for level in tool.scale.levels] == ["#02C100", "#E2DF07", "#BF0000"]
    assert [d.id for d in tool.domains_for(None)] == ["D1", "D2", "D3", "D4", "D5"]
    assert tool.domains_for("assignment")[1] is rob2.D2_ASSIGNMENT
    assert tool.domains_for("adherence")[1] is rob2.D2_ADHERENCE
    assert [len(d.questions) for d in tool.domains_for("assignment")] == [3, 7, 4, 5, 3]
    assert [len(d.questions) for d in tool.domains_for("adherence")] == [3, 6, 4, 5, 3]


def test_a_team_loads_the_official_wording_per_variant():
    loaded = with_official_text(
        rob2.ROB2, {"1.1": "Official 1.1", "2.3": "Official 2.3", "adherence:2.3": "Adherence 2.3"}
    )
    assert loaded.domains_for(None)[0].question("1.1").text == "Official 1.1"
    assert loaded.domains_for(None)[0].question("1.2").text == rob2.D1.question("1.2").label
    assert loaded.domains_for("assignment")[1].question("2.3").text == "Official 2.3"
    assert loaded.domains_for("adherence")[1].question("2.3").text == "Adherence 2.3"
