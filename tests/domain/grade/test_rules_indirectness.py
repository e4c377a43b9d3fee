"""Indirectness: shares of the evidence from studies with PICO elements judged indirect, at and
beside 50 %, and a study flagged at extraction with no element chosen."""

from __future__ import annotations

import pytest

from review_app.domain.grade.model import PicoElement, Rating
from review_app.domain.grade.rules import suggest_indirectness
from tests.domain.grade.rules_evidence import outcome, study, weighted

POP = frozenset({PicoElement.POPULATION})
POP_OUT = frozenset({PicoElement.POPULATION, PicoElement.OUTCOME})
DIRECT: frozenset[PicoElement] = frozenset()


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        (((POP, 50.0), (DIRECT, 50.0)), Rating.SERIOUS),
        (((POP, 49.9), (DIRECT, 50.1)), Rating.NOT_SERIOUS),
        (((POP_OUT, 50.0), (DIRECT, 50.0)), Rating.VERY_SERIOUS),
        (((POP_OUT, 49.9), (DIRECT, 50.1)), Rating.NOT_SERIOUS),
        (((POP_OUT, 49.9), (POP, 0.2), (DIRECT, 49.9)), Rating.SERIOUS),
    ],
)
def test_thresholds(shares: tuple, expected: Rating) -> None:
    assert suggest_indirectness(outcome(weighted("indirect", *shares))).rating is expected


def test_flagged_without_an_element_asks_which() -> None:
    studies = (
        study("Vicknasingam 2020", flagged_indirect=True, indirect_note="experimental pain"),
        study("B", indirect=POP),
    )
    suggestion = suggest_indirectness(outcome(studies))
    assert suggestion.rating is None
    assert suggestion.prompts == ("Choose which PICO elements differ for Vicknasingam 2020.",)
    facts = {f.label: f.value for f in suggestion.facts}
    assert "experimental pain" in facts["Vicknasingam 2020"]


def test_footnote_names_the_elements_and_studies() -> None:
    studies = (
        study("A", participants=40, indirect=POP_OUT, flagged_indirect=True),
        study("B", participants=10),
    )
    suggestion = suggest_indirectness(outcome(studies))
    assert suggestion.rating is Rating.VERY_SERIOUS
    assert suggestion.footnote == (
        "Downgraded two levels: 80 % of the participants are in studies indirect in two or "
        "more PICO elements (population indirect in A; outcome indirect in A)."
    )
