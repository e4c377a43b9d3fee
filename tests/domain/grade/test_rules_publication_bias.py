"""Publication bias: Egger's test with 10 or more studies (dat.bcg: p = 0.1887 as metafor's
``regtest(model = "lm")``), prompts with fewer."""

from __future__ import annotations

import math

import pytest

from review_app.domain.grade import rules
from review_app.domain.grade.model import Rating
from review_app.domain.grade.rules import suggest_publication_bias
from tests.domain.grade.rules_evidence import bcg_studies, outcome, study

BCG_EGGER_P = 0.188706995  # regtest(rma(yi, vi, data = dat), model = "lm")$pval, metafor 3.8-1


def test_bcg_is_not_asymmetric() -> None:
    suggestion = suggest_publication_bias(outcome(bcg_studies()))
    assert suggestion.rating is Rating.NOT_SERIOUS
    assert suggestion.facts[0].value == "p = 0.189 (13 studies)"


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [(BCG_EGGER_P + 1e-6, Rating.SERIOUS), (BCG_EGGER_P - 1e-6, Rating.NOT_SERIOUS)],
)
def test_the_p_threshold_decides(
    monkeypatch: pytest.MonkeyPatch, threshold: float, expected: Rating
) -> None:
    monkeypatch.setattr(rules, "EGGER_P", threshold)
    assert suggest_publication_bias(outcome(bcg_studies())).rating is expected


def test_small_studies_with_larger_effects_are_suspected() -> None:
    """Ten studies whose effect grows with the SE (yi = 0.1 + 2 sei, plus a little noise)."""
    noise = (0.01, -0.02, 0.015, -0.01, 0.0, 0.02, -0.015, 0.005, -0.005, 0.01)
    studies = tuple(
        study(f"S{i}", yi=0.1 + 2 * se + e, vi=se**2)
        for i, (se, e) in enumerate(zip([0.05 * (i + 1) for i in range(10)], noise, strict=True))
    )
    suggestion = suggest_publication_bias(outcome(studies))
    assert suggestion.rating is Rating.SERIOUS
    assert suggestion.footnote.startswith("Publication bias suspected: Egger's test")


def test_nine_studies_prompt_the_reviewer() -> None:
    studies = tuple(
        study(f"S{i}", yi=0.1 * i, vi=0.05, participants=20 + 10 * i, industry_funded=i < 2)
        for i in range(9)
    )
    suggestion = suggest_publication_bias(outcome(studies))
    assert suggestion.rating is None
    assert "9 studies" in suggestion.rule
    assert suggestion.prompts[0] == "Are the small studies mostly industry-funded (S0 and S1)?"
    assert any("registers" in p for p in suggestion.prompts)
    assert any("comprehensive" in p for p in suggestion.prompts)


def test_ten_equal_precision_studies_fall_back_to_prompts() -> None:
    studies = tuple(study(f"S{i}", yi=math.sin(i), vi=0.04) for i in range(10))
    suggestion = suggest_publication_bias(outcome(studies))
    assert suggestion.rating is None
    assert "unequal precision" in suggestion.rule


def test_a_narrative_synthesis_says_no_study_has_an_effect_size() -> None:
    suggestion = suggest_publication_bias(outcome(tuple(study(f"S{i}") for i in range(12))))
    assert suggestion.rating is None
    assert "no study has an effect size" in suggestion.rule
