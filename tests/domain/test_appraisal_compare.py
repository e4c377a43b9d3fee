"""Two assessors' copies of a result's RoB 2 assessment compared item by item, the consensus
started from what they agree on, and items taken one by one into it."""

from __future__ import annotations

import dataclasses

import pytest

from review_app.domain.appraisal.assessment import problems
from review_app.domain.appraisal.compare import agreed, compare, take
from review_app.domain.appraisal.model import DomainAssessment, ResultAssessment
from review_app.domain.appraisal.rob2 import ROB2
from review_app.domain.appraisal.robins_i_v2 import ROBINS_I_V2
from review_app.domain.appraisal.tool import Answer
from review_app.domain.comparison import Item
from review_app.errors import ValidationError

Y, PY, PN, N, NI, NA = Answer.Y, Answer.PY, Answer.PN, Answer.N, Answer.NI, Answer.NA
STUDY, OUTCOME = "Vicknasingam 2020", "pain"

ANN = ResultAssessment(
    study=STUDY,
    outcome_id=OUTCOME,
    assessor="ann",
    tool="rob2",
    variant="assignment",
    domains=(
        DomainAssessment("D1", {"1.1": Y, "1.2": Y, "1.3": N}, "Low", "'computer-generated list'"),
        DomainAssessment("D2", {"2.1": N, "2.2": N, "2.6": Y}, "Low"),
        DomainAssessment("D3", {"3.1": Y}, "Low", "all 52 analysed"),
        DomainAssessment("D4", {"4.1": N, "4.2": N, "4.3": N}, "Low"),
        DomainAssessment("D5", {"5.1": Y, "5.2": N, "5.3": N}, "Low"),
    ),
    overall="Low",
)
# Bob differs in one answer (1.2: NI, concealment not reported) and so in D1's judgement; his
# support texts differ too, which is no discrepancy.
BOB = dataclasses.replace(
    ANN,
    assessor="bob",
    domains=(
        DomainAssessment(
            "D1", {"1.1": Y, "1.2": NI, "1.3": N}, "Some concerns", "concealment not described"
        ),
        *ANN.domains[1:3],
        DomainAssessment("D4", {"4.1": N, "4.2": N, "4.3": N}, "Low", "objective measure"),
        ANN.domains[4],
    ),
    overall="Some concerns",
)


def test_items_are_the_variant_each_domain_judgement_and_answer_and_the_overall():
    comparison = compare([ANN, BOB])
    keys = [row.item.key for row in comparison.items]
    assert keys[:5] == [
        ("variant",),
        ("judgement", "D1"),
        ("answer", "D1", "1.1"),
        ("answer", "D1", "1.2"),
        ("answer", "D1", "1.3"),
    ]
    assert keys[-1] == ("overall",)
    assert len(keys) == 1 + 5 + 3 + 3 + 1 + 3 + 3 + 1  # variant, judgements, answers, overall
    labels = {row.item.key: row.item.label for row in comparison.items}
    assert labels[("judgement", "D1")] == "D1 Randomisation process: judgement"
    assert labels[("answer", "D1", "1.2")] == "D1 1.2 Allocation concealed until assignment"
    assert labels[("overall",)] == "Overall: judgement"


def test_discrepancies_are_the_differing_judgement_answer_and_overall():
    comparison = compare([ANN, BOB])
    assert [(row.item.label, row.values) for row in comparison.discrepancies] == [
        ("D1 Randomisation process: judgement", ("Low", "Some concerns")),
        ("D1 1.2 Allocation concealed until assignment", ("Y", "NI")),
        ("Overall: judgement", ("Low", "Some concerns")),
    ]
    assert comparison.agreement == pytest.approx(17 / 20)


def test_items_no_copy_filled_in_are_not_items_and_a_missing_value_disagrees():
    bare = dataclasses.replace(BOB, domains=BOB.domains[:1], overall=None)
    comparison = compare([ANN, bare])
    d3 = [row for row in comparison.items if row.item.key == ("answer", "D3", "3.1")]
    assert [(row.values, row.same) for row in d3] == [(("Y", None), False)]
    nobody = compare([bare, bare])
    assert all(row.item.key[:2] != ("judgement", "D3") for row in nobody.items)
    assert compare([]).agreement is None


def test_an_answer_to_a_question_the_copy_does_not_ask_is_no_answer():
    # An NA to 3.2, which is asked only after N/PN/NI to 3.1, agrees with leaving it blank.
    with_na = dataclasses.replace(
        BOB, domains=(*BOB.domains[:2], DomainAssessment("D3", {"3.1": Y, "3.2": NA}, "Low"))
    )
    assert all(row.item.key != ("answer", "D3", "3.2") for row in compare([ANN, with_na]).items)


def test_agreed_holds_every_agreed_item_with_its_support_and_leaves_the_rest():
    consensus = agreed([ANN, BOB], study=STUDY, outcome_id=OUTCOME, tool="rob2", variant="")
    assert (consensus.assessor, consensus.tool, consensus.variant) == (None, "rob2", "")
    assert consensus.overall is None
    d1 = consensus.domain("D1")
    assert d1 == DomainAssessment("D1", {"1.1": Y, "1.3": N}, None, "")
    # Agreed judgements come with the first support text there is.
    assert consensus.domain("D3") == ANN.domain("D3")
    assert consensus.domain("D4") == BOB.domain("D4")
    assert [d.domain for d in consensus.domains] == ["D1", "D2", "D3", "D4", "D5"]
    assert problems(ROB2, consensus, complete=False) == []


def test_agreed_includes_the_overall_when_it_is_agreed():
    same_overall = dataclasses.replace(BOB, overall="Low", overall_support="all domains Low")
    consensus = agreed(
        [ANN, same_overall], study=STUDY, outcome_id=OUTCOME, tool="rob2", variant="assignment"
    )
    assert (consensus.overall, consensus.overall_support) == ("Low", "all domains Low")


def test_take_copies_one_answer_a_judgement_with_its_support_or_the_overall():
    consensus = agreed([ANN, BOB], study=STUDY, outcome_id=OUTCOME, tool="rob2", variant="")
    consensus = take(consensus, BOB, ("answer", "D1", "1.2"))
    assert consensus.domain("D1").answers == {"1.1": Y, "1.2": NI, "1.3": N}
    consensus = take(consensus, BOB, ("judgement", "D1"))
    assert consensus.domain("D1") == BOB.domain("D1")
    consensus = take(consensus, BOB, ("overall",))
    assert consensus.overall == "Some concerns"
    assert compare([consensus, BOB]).discrepancies == ()
    assert problems(ROB2, consensus, complete=True) == []


def test_taking_an_answer_drops_answers_to_questions_no_longer_asked():
    partial = dataclasses.replace(
        ANN, domains=(DomainAssessment("D3", {"3.1": N, "3.2": N, "3.3": N}, "Low"),)
    )
    consensus = take(partial, BOB, ("answer", "D3", "3.1"))
    assert consensus.domain("D3").answers == {"3.1": Y}


def test_taking_an_item_the_source_lacks_clears_it():
    blank = dataclasses.replace(BOB, domains=(), overall=None)
    consensus = take(ANN, blank, ("answer", "D1", "1.2"))
    assert "1.2" not in consensus.domain("D1").answers
    consensus = take(consensus, blank, ("judgement", "D1"))
    assert (consensus.domain("D1").judgement, consensus.domain("D1").support) == (None, "")
    assert take(consensus, blank, ("overall",)).overall is None


@pytest.mark.parametrize(
    "key", [(), ("judgement",), ("answer", "D1"), ("overall", "D1"), ("D1",), ("support", "D1")]
)
def test_a_key_that_is_not_an_item_is_refused(key):
    with pytest.raises(ValidationError, match="is not an item of a risk-of-bias assessment"):
        take(ANN, BOB, key)


def test_an_unknown_domain_or_question_is_refused():
    with pytest.raises(ValidationError, match="'D9' is not a domain of RoB 2"):
        take(ANN, BOB, ("judgement", "D9"))
    with pytest.raises(ValidationError, match=r"no question '1\.9'"):
        take(ANN, BOB, ("answer", "D1", "1.9"))


# --- variants: Domain 2 is another set of questions under the effect of adhering ------------

ADHERING = dataclasses.replace(
    BOB,
    variant="adherence",
    domains=(
        *BOB.domains[:1],
        DomainAssessment("D2", {"2.1": N, "2.2": N, "2.4": N, "2.5": N}, "Low"),
        *BOB.domains[2:],
    ),
)


def test_a_variant_discrepancy_is_shown_and_domain_2_is_not_agreed_across_variants():
    comparison = compare([ANN, ADHERING])
    variant = comparison.items[0]
    assert variant.item == Item(("variant",), "Variant")
    assert variant.values == (
        "Effect of assignment to intervention",
        "Effect of adhering to intervention",
    )
    consensus = agreed(
        [ANN, ADHERING], study=STUDY, outcome_id=OUTCOME, tool="rob2", variant="assignment"
    )
    assert consensus.domain("D2") is None  # 2.1 and 2.2 agree, but D2 is asked differently
    assert consensus.domain("D3") == ANN.domain("D3")


def test_domain_2_is_taken_only_after_the_variant():
    consensus = agreed([ANN], study=STUDY, outcome_id=OUTCOME, tool="rob2", variant="assignment")
    with pytest.raises(ValidationError, match="take the variant first"):
        take(consensus, ADHERING, ("judgement", "D2"))
    consensus = take(consensus, ADHERING, ("variant",))
    assert consensus.variant == "adherence"
    assert consensus.domain("D2") is None  # the effect-of-assignment answers no longer apply
    assert consensus.domain("D1") == ANN.domain("D1")
    consensus = take(consensus, ADHERING, ("judgement", "D2"))
    assert consensus.domain("D2").judgement == "Low"


def test_copies_of_different_tools_are_not_compared():
    other = dataclasses.replace(BOB, tool="robins-i", variant="")
    with pytest.raises(ValidationError, match="different tools"):
        compare([ANN, other])
    with pytest.raises(ValidationError, match="different tools"):
        agreed([ANN], study=STUDY, outcome_id=OUTCOME, tool="robins-i", variant="")


def test_an_agreed_answer_that_hangs_on_a_disagreed_one_waits_for_it():
    # Both are aware of the assignment (Y and NI to 2.1) and agree deviations arose (2.3 Y);
    # 2.3 is asked only once 2.1 (or 2.2) is in the consensus.
    ann = dataclasses.replace(
        ANN, domains=(DomainAssessment("D2", {"2.1": Y, "2.2": N, "2.3": N}),)
    )
    bob = dataclasses.replace(
        BOB, domains=(DomainAssessment("D2", {"2.1": NI, "2.2": N, "2.3": N}),)
    )
    consensus = agreed([ann, bob], study=STUDY, outcome_id=OUTCOME, tool="rob2", variant="")
    assert consensus.domain("D2").answers == {"2.2": N}
    consensus = take(take(consensus, ann, ("answer", "D2", "2.1")), ann, ("answer", "D2", "2.3"))
    assert consensus.domain("D2").answers == {"2.1": Y, "2.2": N, "2.3": N}


# --- ROBINS-I V2's triage ---------------------------------------------------------------------


def v2(assessor: str, triage: dict[str, Answer], judgement: str | None) -> ResultAssessment:
    return ResultAssessment(
        study=STUDY,
        outcome_id=OUTCOME,
        assessor=assessor,
        tool=ROBINS_I_V2.id,
        domains=(DomainAssessment("B", triage, judgement),),
        overall=judgement,
    )


def test_the_triage_answers_are_compared_and_taken_with_the_judgement_they_give() -> None:
    ann = v2("ann", {"B1": N, "B2": Y, "B3": N}, "Critical")  # confounding too likely: stop
    bob = v2("bob", {"B1": Y, "B3": N}, None)  # confounding controlled: go on
    rows = {row.item.key: row for row in compare([ann, bob]).items}
    assert [key for key in rows if key[:2] == ("answer", "B")] == [
        ("answer", "B", "B1"),
        ("answer", "B", "B2"),
        ("answer", "B", "B3"),
    ]
    assert rows[("answer", "B", "B1")].values == ("N", "Y")
    assert rows[("answer", "B", "B1")].item.label.startswith("B B1 ")
    assert rows[("answer", "B", "B3")].same
    assert rows[("judgement", "B")].values == ("Critical", None)
    consensus = agreed([ann, bob], study=STUDY, outcome_id=OUTCOME, tool=ROBINS_I_V2.id, variant="")
    assert consensus.domain("B") == DomainAssessment("B", {"B3": N})  # only B3 agreed
    for number in ("B1", "B2"):
        consensus = take(consensus, ann, ("answer", "B", number))
    assert consensus.domain("B") == DomainAssessment("B", {"B1": N, "B2": Y, "B3": N}, "Critical")
    consensus = take(consensus, ann, ("overall",))
    assert problems(ROBINS_I_V2, consensus, complete=True) == []
    back = take(consensus, bob, ("answer", "B", "B1"))  # B2 is no longer asked, nor Critical
    assert back.domain("B") == DomainAssessment("B", {"B1": Y, "B3": N}, None)
