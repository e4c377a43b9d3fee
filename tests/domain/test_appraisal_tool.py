"""The generic appraisal-tool rules, on a small made-up tool (RoB 2 itself: test_appraisal_rob2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from review_app.domain.appraisal.tool import (
    NO,
    YES,
    YES_NO_NI,
    AllOf,
    Answer,
    AnsweredIn,
    AnyOf,
    Branch,
    Domain,
    Level,
    Problem,
    Question,
    Scale,
    Tool,
    Variant,
    Worst,
    WorstRule,
    asked,
    check_answers,
    holds,
    load_official_text,
    overall,
    propose,
    with_official_text,
)
from review_app.errors import ValidationError

A = Answer
SCALE = Scale(
    levels=(Level("Good", "#00ff00"), Level("Fair", "#ffff00"), Level("Poor", "#ff0000")),
    unranked=(Level("Unknown", "#cccccc"),),
)
ORDER = ("Good", "Fair", "Poor")
# a.1 always; a.2 only when a.1 is yes; a.3 (NA allowed) when a.1 is no or a.2 is no.
DOMAIN_A = Domain(
    id="A",
    label="First",
    questions=(
        Question("a.1", "first"),
        Question("a.2", "second", condition=AnsweredIn("a.1", YES)),
        Question(
            "a.3",
            "third",
            answers=YES_NO_NI | {A.NA},
            condition=AnyOf((AnsweredIn("a.1", NO), AnsweredIn("a.2", NO))),
        ),
    ),
    algorithm=Branch(
        "a.1",
        (
            (
                YES,
                Branch(
                    "a.2",
                    ((YES, "Good"), (NO | {A.NI}, Branch("a.3", ((YES_NO_NI | {A.NA}, "Fair"),)))),
                ),
            ),
            (NO, Branch("a.3", ((YES, "Poor"), (NO | {A.NI, A.NA}, "Fair")))),
            (frozenset({A.NI}), "Unknown"),
        ),
    ),
)
DOMAIN_B = Domain(
    id="B",
    label="Second",
    questions=(Question("b.1", "one"), Question("b.2", "two")),
    algorithm=Worst(
        (
            Branch("b.1", ((YES, "Good"), (NO, "Poor"))),
            Branch("b.2", ((YES, "Good"), (NO, "Fair"))),
        ),
        ORDER,
    ),
)
DOMAIN_B_ALT = Domain(
    id="B",
    label="Second, other",
    questions=(Question("b.1", "alt one"),),
    algorithm="Fair",
    variant="alt",
)
TOOL = Tool(
    id="toy",
    name="Toy",
    version="1",
    guidance_url="https://example.org",
    citation="none",
    scale=SCALE,
    domains=(DOMAIN_A, DOMAIN_B),
    overall_rule=WorstRule(unranked_below="Poor"),
    variants=(Variant("main", "Main"), Variant("alt", "Alternative", {"B": DOMAIN_B_ALT})),
)


def test_conditions_combine():
    both = AllOf((AnsweredIn("x", YES), AnsweredIn("y", NO)))
    assert holds(both, {"x": A.Y, "y": A.PN})
    assert not holds(both, {"x": A.Y})
    assert holds(None, {})


def test_conditional_questions_appear_when_called_for():
    assert [q.number for q in asked(DOMAIN_A, {})] == ["a.1"]
    assert [q.number for q in asked(DOMAIN_A, {"a.1": A.PY})] == ["a.1", "a.2"]
    assert [q.number for q in asked(DOMAIN_A, {"a.1": A.Y, "a.2": A.N})] == ["a.1", "a.2", "a.3"]
    assert [q.number for q in asked(DOMAIN_A, {"a.1": A.N})] == ["a.1", "a.3"]
    assert [q.number for q in asked(DOMAIN_A, {"a.1": A.NI})] == ["a.1"]


def test_check_answers_lists_each_kind_of_problem():
    assert check_answers(DOMAIN_A, {"a.1": A.Y, "a.2": A.Y, "a.3": A.NA}) == []
    assert check_answers(DOMAIN_A, {"a.1": A.Y, "a.2": None}) == [
        Problem("a.2", "A a.2: no answer (Y/PY/PN/N/NI needed)")
    ]
    assert check_answers(DOMAIN_A, {"a.1": A.NI, "a.3": A.Y}) == [
        Problem("a.3", "A a.3: answered Y but does not apply")
    ]
    assert check_answers(DOMAIN_A, {"a.1": A.NA}) == [
        Problem("a.1", "A a.1: NA is not allowed (Y/PY/PN/N/NI)")
    ]
    assert check_answers(DOMAIN_A, {"a.1": A.N, "a.3": A.NA, "z.9": A.Y}) == [
        Problem("z.9", "A: no question z.9")
    ]


def test_propose_walks_the_tree_and_waits_for_missing_answers():
    assert propose(DOMAIN_A, {"a.1": A.Y, "a.2": A.Y}) == "Good"
    assert propose(DOMAIN_A, {"a.1": A.N, "a.3": A.PY}) == "Poor"
    assert propose(DOMAIN_A, {"a.1": A.N}) is None
    assert propose(DOMAIN_A, {}) is None
    assert propose(DOMAIN_B, {"b.1": A.Y, "b.2": A.N}) == "Fair"
    assert propose(DOMAIN_B, {"b.1": A.N, "b.2": A.N}) == "Poor"
    assert propose(DOMAIN_B, {"b.1": A.Y}) is None


def test_overall_is_the_worst_with_unranked_levels_below_the_limit():
    assert overall(TOOL, ["Good", "Good"]) == "Good"
    assert overall(TOOL, ["Good", "Fair"]) == "Fair"
    assert overall(TOOL, ["Fair", "Unknown"]) == "Unknown"
    assert overall(TOOL, ["Poor", "Unknown"]) == "Poor"
    assert overall(TOOL, ["Good", None]) is None
    with pytest.raises(ValidationError, match="allowed are Good, Fair, Poor, Unknown"):
        overall(TOOL, ["Great"])


def test_variants_swap_domains():
    assert TOOL.domains_for(None) == (DOMAIN_A, DOMAIN_B)
    assert TOOL.domains_for("alt") == (DOMAIN_A, DOMAIN_B_ALT)
    with pytest.raises(ValidationError, match="allowed are main, alt"):
        TOOL.domains_for("other")


def test_official_text_from_toml_and_csv(tmp_path: Path):
    toml = tmp_path / "official.toml"
    toml.write_text(
        '"a.1" = "Official first?"\n"b.1" = "Official b?"\n[alt]\n"b.1" = "Official alt b?"\n'
    )
    texts = load_official_text(toml)
    loaded = with_official_text(TOOL, texts)
    assert loaded.domains[0].question("a.1").text == "Official first?"
    assert loaded.domains[0].question("a.2").text == "second"
    assert loaded.domains_for("main")[1].question("b.1").text == "Official b?"
    assert loaded.domains_for("alt")[1].question("b.1").text == "Official alt b?"
    table = tmp_path / "official.csv"
    table.write_text("item,text\na.2,Official second?\n")
    assert (
        with_official_text(TOOL, load_official_text(table)).domains[0].question("a.2").text
        == "Official second?"
    )


def test_official_text_refuses_unknown_items_and_files(tmp_path: Path):
    with pytest.raises(ValidationError, match=r"unknown items: 9\.9"):
        with_official_text(TOOL, {"9.9": "?"})
    bad = tmp_path / "bad.csv"
    bad.write_text("number,wording\n1.1,x\n")
    with pytest.raises(ValidationError, match="columns item and text"):
        load_official_text(bad)
    with pytest.raises(ValidationError, match=r"\.toml or \.csv"):
        load_official_text(tmp_path / "x.txt")


def test_a_stray_or_wrong_answer_opens_nothing_and_is_one_problem():
    # a.2 is not asked after a.1 NI, so a stray N there does not open a.3 (asked after a.2 N)
    assert [q.number for q in asked(DOMAIN_A, {"a.1": A.NI, "a.2": A.N})] == ["a.1"]
    # a.1 NA is not allowed: whether a.2 and a.3 apply is unknown, so their answers are not
    # reported as not applying; an answer that is no answer to them still is
    assert check_answers(DOMAIN_A, {"a.1": A.NA, "a.2": A.Y, "a.3": A.NA}) == [
        Problem("a.1", "A a.1: NA is not allowed (Y/PY/PN/N/NI)")
    ]
    assert check_answers(DOMAIN_A, {"a.1": A.NA, "a.2": A.NA}) == [
        Problem("a.1", "A a.1: NA is not allowed (Y/PY/PN/N/NI)")
    ]


def test_a_domain_without_published_algorithm_proposes_nothing():
    assessor = Domain("C", "Left to the assessor", (Question("c.1", "one"),), None)
    assert check_answers(assessor, {"c.1": A.Y}) == []
    assert propose(assessor, {"c.1": A.Y}) is None
