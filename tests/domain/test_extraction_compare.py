"""Two extractors' copies compared item by item, the consensus started from what they agree on,
and items taken one by one into the consensus."""

from __future__ import annotations

import dataclasses

import pytest

from review_app.domain.comparison import Item
from review_app.domain.extraction.compare import agreed, compare, take
from review_app.domain.extraction.model import Arm, Design, Result, StudyExtraction
from review_app.domain.vocabulary import ArmRole, EffectMeasure, StudyDesign
from review_app.errors import ValidationError
from review_app.protocol.model import ExtractionField

FIELDS = [
    ExtractionField(id="country", label="Country"),
    ExtractionField(id="setting", label="Setting"),
    ExtractionField(id="funding", label="Funding"),
]
OUTCOMES = {"pain": "Pain intensity"}
KRATOM = Arm("Kratom", ArmRole.INTERVENTION, "Kratom decoction", randomised=26)
PLACEBO = Arm("Placebo", ArmRole.COMPARATOR, "Placebo drink", randomised=26)
KRATOM_PAIN = Result("pain", "1 h", "Kratom", "mean_sd", {"n": 26, "mean": 4.5, "sd": 1.2})
PLACEBO_PAIN = Result("pain", "1 h", "Placebo", "mean_sd", {"n": 26, "mean": 6.0, "sd": 1.5})
CONTRAST = Result(
    "pain", "1 h", "Kratom", "paired_t", {"estimate": -1.5, "t": -3, "n": 26}, "Placebo",
    EffectMeasure.MD,
)  # fmt: skip

ANN = StudyExtraction(
    study="Vicknasingam 2020",
    extractor="ann",
    design=Design(kind=StudyDesign.CROSSOVER, note="two sessions"),
    characteristics={"country": "Malaysia", "setting": "Laboratory"},
    arms=(KRATOM, PLACEBO),
    results=(KRATOM_PAIN, PLACEBO_PAIN, CONTRAST),
)
# Bob differs in one number (the placebo mean), one field (the setting) and one arm (no placebo
# description); he wrote the kratom arm's label and the design note with other spaces and case.
BOB = dataclasses.replace(
    ANN,
    extractor="bob",
    design=Design(kind=StudyDesign.CROSSOVER, note="two   sessions "),
    characteristics={"country": " Malaysia", "setting": "Clinic"},
    arms=(
        dataclasses.replace(KRATOM, label="kratom "),
        dataclasses.replace(PLACEBO, description=""),
    ),
    results=(
        dataclasses.replace(KRATOM_PAIN, arm="KRATOM"),
        dataclasses.replace(PLACEBO_PAIN, values={"n": 26, "mean": 6.5, "sd": 1.5}),
        CONTRAST,
    ),
)


def by_label(copies: list[StudyExtraction]) -> dict[str, tuple[tuple[str | None, ...], bool]]:
    comparison = compare(copies, fields=FIELDS, outcomes=OUTCOMES)
    return {row.item.label: (row.values, row.same) for row in comparison.items}


def test_items_have_labels_for_people_and_show_each_copys_value() -> None:
    rows = by_label([ANN, BOB])
    assert list(rows) == [
        "Country",
        "Setting",
        "Design",
        "Design: note",
        "Arm 'Kratom'",
        "Arm 'Kratom': role",
        "Arm 'Kratom': description",
        "Arm 'Kratom': randomised",
        "Arm 'Placebo'",
        "Arm 'Placebo': role",
        "Arm 'Placebo': description",
        "Arm 'Placebo': randomised",
        "Pain intensity at 1 h, Kratom: n/mean/SD",
        "Pain intensity at 1 h, Placebo: n/mean/SD",
        "Pain intensity at 1 h, Kratom vs Placebo (MD): estimate/SE",
    ]
    assert rows["Setting"] == (("Laboratory", "Clinic"), False)
    assert rows["Design: note"] == (("two sessions", "two sessions"), True)
    assert rows["Arm 'Placebo': description"] == (("Placebo drink", None), False)
    assert rows["Pain intensity at 1 h, Placebo: n/mean/SD"] == (
        ("Mean and SD: n 26, Mean 6, SD 1.5", "Mean and SD: n 26, Mean 6.5, SD 1.5"),
        False,
    )


def test_the_three_differences_are_the_discrepancies_and_agreement_is_the_share_alike() -> None:
    comparison = compare([ANN, BOB], fields=FIELDS, outcomes=OUTCOMES)
    assert [row.item.label for row in comparison.discrepancies] == [
        "Setting",
        "Arm 'Placebo': description",
        "Pain intensity at 1 h, Placebo: n/mean/SD",
    ]
    assert comparison.agreement == pytest.approx(12 / 15)


def test_numbers_are_compared_after_conversion() -> None:
    # SE 1 with n 25 is SD 5 (Handbook 6.5.2.2): the same result entered two ways.
    as_se = dataclasses.replace(ANN, results=(Result("pain", "1 h", "Kratom", "mean_se",
                                                     {"n": 25, "mean": 4, "se": 1}),))  # fmt: skip
    as_sd = dataclasses.replace(ANN, results=(Result("pain", "1 h", "Kratom", "mean_sd",
                                                     {"n": 25, "mean": 4, "sd": 5}),))  # fmt: skip
    [row] = [row for row in compare([as_se, as_sd]).items if row.item.key[0] == "result"]
    assert row.same
    assert row.values == ("Mean and SE: n 25, Mean 4, SE 1", "Mean and SD: n 25, Mean 4, SD 5")


def test_results_that_cannot_be_derived_are_compared_as_reported() -> None:
    no_sd = Result("pain", "1 h", "Kratom", "mean_sd", {"n": 25, "mean": 4})
    one = dataclasses.replace(ANN, results=(no_sd,))
    other = dataclasses.replace(ANN, results=(dataclasses.replace(no_sd, values={"n": 25}),))
    rows = [row for row in compare([one, one, other]).items if row.item.key[0] == "result"]
    assert [row.same for row in rows] == [False]
    assert [row.same for row in compare([one, one]).items if row.item.key[0] == "result"] == [True]


def test_items_nobody_filled_in_are_not_items() -> None:
    empty = StudyExtraction(study="X", extractor="ann")
    assert compare([empty, dataclasses.replace(empty, extractor="bob")]).agreement is None
    assert compare([]).items == ()


def test_agreed_keeps_what_all_copies_agree_on() -> None:
    start = agreed([ANN, BOB], study="Vicknasingam 2020")
    assert start.extractor is None and start.study == "Vicknasingam 2020"
    assert dict(start.characteristics) == {"country": "Malaysia"}
    assert start.design == ANN.design
    assert start.arms == (KRATOM, dataclasses.replace(PLACEBO, description=""))
    assert start.results == (KRATOM_PAIN, CONTRAST)
    remaining = compare([start, ANN], fields=FIELDS, outcomes=OUTCOMES).discrepancies
    assert [row.item.label for row in remaining] == [
        "Setting",
        "Arm 'Placebo': description",
        "Pain intensity at 1 h, Placebo: n/mean/SD",
    ]


def test_an_arm_whose_role_is_disputed_is_left_for_the_lead() -> None:
    other = dataclasses.replace(
        BOB, arms=(KRATOM, dataclasses.replace(PLACEBO, role="intervention"))
    )
    start = agreed([ANN, other], study="Vicknasingam 2020")
    assert [arm.label for arm in start.arms] == ["Kratom"]
    assert start.results == (KRATOM_PAIN,)  # the placebo's results wait for its arm


def test_taking_items_settles_the_discrepancies() -> None:
    consensus = agreed([ANN, BOB], study="Vicknasingam 2020")
    for row in compare([consensus, ANN]).discrepancies:
        consensus = take(consensus, ANN, row.item.key)
    assert compare([consensus, ANN]).discrepancies == ()
    assert consensus.extractor is None


def test_taking_a_result_brings_the_arms_it_needs() -> None:
    empty = StudyExtraction(study="Vicknasingam 2020", extractor=None)
    key = next(row.item.key for row in compare([ANN]).items if "vs" in row.item.label)
    taken = take(empty, ANN, key)
    assert taken.results == (CONTRAST,)
    assert taken.arms == (KRATOM, PLACEBO)


def test_taking_what_the_source_lacks_removes_it() -> None:
    without_placebo = dataclasses.replace(BOB, arms=(KRATOM,), results=(KRATOM_PAIN,))
    consensus = take(ANN, without_placebo, ("arm", "placebo"))
    assert consensus.arms == (KRATOM,)
    assert consensus.results == (KRATOM_PAIN,)
    no_setting = take(
        ANN, dataclasses.replace(BOB, characteristics={}), ("characteristic", "setting")
    )
    assert "setting" not in no_setting.characteristics


def test_taking_an_arm_attribute_or_design_attribute() -> None:
    consensus = take(ANN, BOB, ("arm", "placebo", "description"))
    assert consensus.arm("Placebo") == dataclasses.replace(PLACEBO, description="")
    icc = dataclasses.replace(BOB, design=Design(kind=StudyDesign.CLUSTER, icc=0.05))
    assert take(ANN, icc, ("design", "icc")).design.icc == 0.05


@pytest.mark.parametrize(
    "key",
    [(), ("nothing",), ("design", "colour"), ("arm", "placebo", "colour"), ("arm", "x", "role")],
)
def test_unknown_items_are_refused(key: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError):
        take(ANN, BOB, key)


def test_item_keys_are_what_take_accepts() -> None:
    for row in compare([ANN, BOB]).items:
        assert isinstance(row.item, Item)
        take(ANN, BOB, row.item.key)
