"""The cells' words: GRADEpro's wording, numbers by magnitude, rounding half away from zero."""

from __future__ import annotations

from dataclasses import replace

import pytest

from review_app.domain.grade.model import (
    AbsoluteEffect,
    BaselineRisk,
    Certainty,
    ContinuousEffect,
    EvidenceDesign,
    EvidenceSource,
    GradeDomain,
    OutcomeEvidence,
    Rating,
    RelativeEffect,
    StudyEvidence,
)
from review_app.domain.grade.text import (
    NO_OTHER_CONSIDERATIONS,
    NOT_AVAILABLE,
    NOT_YET_RATED,
    abbreviations_text,
    absolute_texts,
    certainty_text,
    comparator_mean_text,
    continuous_text,
    design_text,
    difference_text,
    grade_definition,
    importance_text,
    marks_text,
    number_text,
    other_considerations_text,
    outcome_lines,
    participants_text,
    rating_text,
    relative_text,
    risk_text,
)
from review_app.domain.vocabulary import EffectMeasure
from tests.domain.grade.sof_examples import (
    domains,
    experimental_pain,
    pain,
    serious_adverse_events,
    tuberculosis,
    withdrawal,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.4896, "0.49"), (0.695, "0.70"), (0.125, "0.13"), (1.0, "1.00"), (12.345, "12.3"),
        (1234.5, "1,235"), (0.0043, "0.0043"), (-0.004, "-0.004"), (0.0, "0.00"),
    ],
)  # fmt: skip
def test_numbers_are_shown_by_their_magnitude(value: float, text: str) -> None:
    assert number_text(value) == text


def test_a_relative_effect_reads_as_gradepro_writes_it() -> None:
    assert relative_text(RelativeEffect(EffectMeasure.RR, 0.4896, 0.3449, 0.6950)) == (
        "RR 0.49 (0.34 to 0.70)"
    )
    assert relative_text(RelativeEffect(EffectMeasure.OR, 2.5, 1.05, 11.2)) == (
        "OR 2.50 (1.05 to 11.2)"
    )


def test_absolute_effects_per_1000_with_fewer_and_more() -> None:
    effect = AbsoluteEffect(
        BaselineRisk("Study population", 65), 31.8, 22.4, 45.2, -33.2, -42.6, -19.8
    )
    assert absolute_texts(effect) == (
        "65 per 1,000",
        "32 per 1,000 (22 to 45)",
        "33 fewer per 1,000 (43 fewer to 20 fewer)",
    )
    assert difference_text(-12.5, -30.0, 8.4) == "13 fewer per 1,000 (30 fewer to 8 more)"
    # a rare event keeps one significant digit instead of reading as none
    assert risk_text(0.42) == "0.4 per 1,000"
    assert risk_text(1234.4) == "1,234 per 1,000"


def test_a_mean_difference_in_natural_units_and_an_smd_in_sds() -> None:
    md = ContinuousEffect(EffectMeasure.MD, -1.2, -2.0, -0.4, 5.2, "points")
    assert continuous_text(md) == "MD 1.2 points lower (2.0 lower to 0.4 lower)"
    crossing = ContinuousEffect(EffectMeasure.MD, 0.35, -0.2, 0.9, None, "")
    assert continuous_text(crossing) == "MD 0.35 higher (0.20 lower to 0.90 higher)"
    smd = ContinuousEffect(EffectMeasure.SMD, -0.456, -0.7, -0.2)
    assert continuous_text(smd) == "SMD 0.46 SD lower (0.70 lower to 0.20 lower)"
    assert comparator_mean_text(md, "Pain intensity") == "The mean pain intensity was 5.2 points"
    assert comparator_mean_text(crossing, "Pain") == NOT_AVAILABLE
    assert comparator_mean_text(smd, "Pain") == NOT_AVAILABLE


def test_participants_count_the_designs() -> None:
    assert participants_text(tuberculosis().evidence) == "357,347 (6 RCTs)"
    assert participants_text(pain().evidence) == "480 (4 RCTs)"
    assert participants_text(serious_adverse_events().evidence) == NOT_AVAILABLE
    assert participants_text(withdrawal().evidence) == "Not reported (1 non-randomised study)"
    mixed = OutcomeEvidence(
        "x", "X", "dichotomous", "critical", "lower_is_better", EvidenceSource.ANALYSIS,
        (StudyEvidence("A", EvidenceDesign.RANDOMISED, 10),
         StudyEvidence("B", EvidenceDesign.NON_RANDOMISED, 1_000)),
    )  # fmt: skip
    assert participants_text(mixed) == "1,010 (2 studies)"
    assert design_text(mixed) == "randomised trials and non-randomised studies"
    assert design_text(tuberculosis().evidence) == "randomised trials"


def test_certainty_with_its_circles_pending_and_without_studies() -> None:
    assert certainty_text(tuberculosis()) == "⊕⊕◯◯ Low"
    assert certainty_text(experimental_pain()) == "⊕◯◯◯ Very low"
    assert certainty_text(withdrawal()) == NOT_YET_RATED
    assert certainty_text(serious_adverse_events()) == NOT_AVAILABLE
    assert marks_text([2, 1, 2]) == "1,2"
    assert grade_definition(Certainty.HIGH).startswith("High certainty: we are very confident")


def test_the_outcome_cell_names_follow_up_and_indirect_evidence() -> None:
    assert outcome_lines(tuberculosis().evidence) == ("Tuberculosis", "follow-up: mean 9 years")
    assert outcome_lines(experimental_pain().evidence) == ("Pain relief", "indirect evidence")


def test_domains_and_other_considerations_in_gradepro_words() -> None:
    relief = experimental_pain()
    by_domain = {row.domain: row for row in relief.domains}
    assert rating_text(by_domain[GradeDomain.INDIRECTNESS]) == "very serious"
    assert rating_text(by_domain[GradeDomain.RISK_OF_BIAS]) == "not serious"
    assert other_considerations_text(relief) == "publication bias strongly suspected"
    assert other_considerations_text(tuberculosis()) == NO_OTHER_CONSIDERATIONS
    upgrades = {
        GradeDomain.LARGE_EFFECT: Rating.UPGRADE_TWO,
        GradeDomain.DOSE_RESPONSE: Rating.UPGRADE_ONE,
    }
    upgraded = replace(tuberculosis(), domains=domains(upgrades))
    assert other_considerations_text(upgraded) == "very strong association; dose response gradient"
    waiting = withdrawal()
    assert rating_text(next(r for r in waiting.domains if r.rating is None)) == "not yet rated"
    unjudged = domains({GradeDomain.PUBLICATION_BIAS: None})
    assert other_considerations_text(replace(waiting, domains=unjudged)) == "not yet rated"


def test_importance_and_abbreviations() -> None:
    assert importance_text("not_important") == "NOT IMPORTANT"
    assert importance_text("critical") == "CRITICAL"
    assert abbreviations_text([EffectMeasure.RR, EffectMeasure.MD, EffectMeasure.RR]) == (
        "CI: confidence interval; MD: mean difference; RR: risk ratio"
    )
