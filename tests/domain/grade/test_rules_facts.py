"""How the suggestions write numbers, and what a share of the evidence is a share of."""

from __future__ import annotations

import pytest

from review_app.domain.grade.facts import basis, effect, interval, names, number, percent
from review_app.domain.vocabulary import EffectMeasure
from tests.domain.grade.rules_evidence import study


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (0.4896, "0.49"),
        (1.254, "1.25"),
        (12.34, "12.3"),
        (1806, "1,806"),
        (-0.0342, "-0.034"),
        (0.00123, "0.0012"),
    ],
)
def test_two_or_three_significant_digits(value: float, text: str) -> None:
    assert number(value) == text


@pytest.mark.parametrize(
    ("value", "text"), [(62.0, "62 %"), (49.96, "50 %"), (24.9, "24.9 %"), (33.333, "33.3 %")]
)
def test_percent(value: float, text: str) -> None:
    assert percent(value) == text


def test_ratios_on_their_natural_scale() -> None:
    assert interval(0.34, 0.7) == "0.34 to 0.70"
    assert effect(EffectMeasure.RR, -0.7145, -1.0669, -0.3622) == "RR 0.49 (95 % CI 0.34 to 0.70)"
    assert effect(EffectMeasure.MD, -1.2, -2.0, -0.4) == "MD -1.20 (95 % CI -2.00 to -0.40)"


def test_names() -> None:
    assert names([]) == ""
    assert names(["A"]) == "A"
    assert names(["A", "B", "C"]) == "A, B and C"


def test_basis_prefers_weights_then_participants_then_studies() -> None:
    weighted = (study("A", weight=30.0, participants=10), study("B", weight=70.0))
    assert basis(weighted).noun == "analysis weight"
    people = (study("A", weight=30.0, participants=10), study("B", participants=30))
    share = basis(people)
    assert share.noun == "participants"
    assert share.share(people, lambda s: s.study == "A") == pytest.approx(25.0)
    assert basis((study("A"), study("B", participants=3))).amounts == (1.0, 1.0)
