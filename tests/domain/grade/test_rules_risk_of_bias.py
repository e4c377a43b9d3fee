"""Risk of bias: shares of the evidence at high risk and with some concerns, at and beside each
threshold (25 % and 50 % high, 50 % some concerns or high, 50 % not assessed)."""

from __future__ import annotations

import pytest

from review_app.domain.grade.model import Rating, RobLevel
from review_app.domain.grade.rules import suggest_risk_of_bias
from tests.domain.grade.rules_evidence import outcome, study, weighted

HIGH, SOME, LOW, NONE = (
    RobLevel.HIGH,
    RobLevel.SOME_CONCERNS,
    RobLevel.LOW,
    RobLevel.NOT_ASSESSED,
)


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        (((HIGH, 50.0), (LOW, 50.0)), Rating.VERY_SERIOUS),
        (((HIGH, 49.9), (LOW, 50.1)), Rating.SERIOUS),
        (((HIGH, 25.0), (LOW, 75.0)), Rating.SERIOUS),
        (((HIGH, 24.9), (LOW, 75.1)), Rating.NOT_SERIOUS),
        (((SOME, 50.0), (LOW, 50.0)), Rating.SERIOUS),
        (((SOME, 49.9), (LOW, 50.1)), Rating.NOT_SERIOUS),
        (((HIGH, 20.0), (SOME, 30.0), (LOW, 50.0)), Rating.SERIOUS),
        (((HIGH, 20.0), (SOME, 29.9), (LOW, 50.1)), Rating.NOT_SERIOUS),
        (((NONE, 49.9), (LOW, 50.1)), Rating.NOT_SERIOUS),
        (((NONE, 50.0), (LOW, 50.0)), None),
    ],
)
def test_thresholds_on_the_weights(shares: tuple, expected: Rating | None) -> None:
    assert suggest_risk_of_bias(outcome(weighted("rob", *shares))).rating is expected


def test_not_assessed_prompts_the_reviewer() -> None:
    suggestion = suggest_risk_of_bias(outcome(weighted("rob", (NONE, 60.0), (HIGH, 40.0))))
    assert suggestion.rating is None
    assert suggestion.prompts
    assert "60 %" in suggestion.rule


def test_footnote_names_share_and_tool() -> None:
    studies = (
        study("A", weight=62.0, rob=HIGH, rob_tool="RoB 2"),
        study("B", weight=38.0, rob=LOW, rob_tool="RoB 2"),
    )
    suggestion = suggest_risk_of_bias(outcome(studies))
    assert suggestion.rating is Rating.VERY_SERIOUS
    assert suggestion.footnote == (
        "Downgraded two levels: 62 % of the analysis weight comes from results at high risk "
        "of bias (RoB 2)."
    )
    facts = {f.label: f.value for f in suggestion.facts}
    assert facts["Share of the analysis weight at high risk"] == "62 %"
    assert facts["A"] == "high (RoB 2)"


def test_participants_when_weights_are_missing() -> None:
    studies = (
        study("A", participants=30, rob=HIGH, weight=None),
        study("B", participants=70, rob=LOW),
    )
    suggestion = suggest_risk_of_bias(outcome(studies))
    assert suggestion.rating is Rating.SERIOUS
    assert "30 % of the participants are in results at high risk" in suggestion.footnote


def test_studies_when_neither_weights_nor_participants() -> None:
    studies = (study("A", rob=HIGH), study("B", rob=LOW), study("C", rob=LOW, participants=9))
    suggestion = suggest_risk_of_bias(outcome(studies))
    assert suggestion.rating is Rating.SERIOUS  # one of three studies: 33 %
    assert "make up 33.3 % of the studies" in suggestion.footnote


def test_the_consensus_judgement_in_the_tools_words() -> None:
    studies = (study("A", rob=HIGH, rob_tool="ROBINS-I", rob_judgement="Serious"),)
    facts = {f.label: f.value for f in suggest_risk_of_bias(outcome(studies)).facts}
    assert facts["A"] == "Serious (ROBINS-I)"
