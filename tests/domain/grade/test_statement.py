"""Plain-language statements in GRADE guidance 26's words (Santesso et al. 2020, Table 1) for
each certainty and size of effect; the thresholds at their edges; never more than the certainty
allows."""

from __future__ import annotations

import pytest

from review_app.domain.grade.model import (
    AbsoluteEffect,
    BaselineRisk,
    Certainty,
    ContinuousEffect,
    EvidenceDesign,
    EvidenceSource,
    OutcomeEvidence,
    RelativeEffect,
    StudyEvidence,
)
from review_app.domain.grade.statement import (
    NO_STUDIES,
    EffectSize,
    effect_size,
    favours_intervention,
    mid_per_1000,
    plain_statement,
)
from review_app.domain.vocabulary import EffectMeasure

HIGH, MODERATE, LOW, VERY_LOW = Certainty
RR, MD, SMD, RD = EffectMeasure.RR, EffectMeasure.MD, EffectMeasure.SMD, EffectMeasure.RD
STUDY = StudyEvidence("Trial 2020", EvidenceDesign.RANDOMISED, participants=100)


def _evidence(kind: str = "dichotomous", *studies: StudyEvidence, **kw: object) -> OutcomeEvidence:
    values: dict[str, object] = {
        "outcome_id": "o",
        "name": "Pain intensity",
        "type": kind,
        "importance": "critical",
        "direction": "lower_is_better",
        "source": EvidenceSource.ANALYSIS,
        "studies": studies or (STUDY,),
    }
    values.update(kw)
    return OutcomeEvidence(**values)  # type: ignore[arg-type]


def _rr(estimate: float) -> RelativeEffect:
    return RelativeEffect(RR, estimate, estimate * 0.8, estimate * 1.2)


def _md(difference: float, measure: EffectMeasure = MD) -> ContinuousEffect:
    return ContinuousEffect(measure, difference, difference - 0.5, difference + 0.5)


def _say(
    certainty: Certainty | None,
    relative: RelativeEffect | None = None,
    continuous: ContinuousEffect | None = None,
    evidence: OutcomeEvidence | None = None,
) -> str:
    evidence = evidence or _evidence("continuous" if continuous else "dichotomous", mid=1.0)
    return plain_statement(evidence, certainty, relative, continuous, intervention="kratom")


# --- Table 1 of GRADE guidance 26, one certainty and one size at a time --------------------------

WORDING = {
    (HIGH, 0.4): "Kratom results in a large reduction in pain intensity.",
    (HIGH, 0.7): "Kratom results in a reduction in pain intensity.",
    (HIGH, 0.9): "Kratom results in little to no difference in pain intensity.",
    (HIGH, 1.3): "Kratom results in an increase in pain intensity.",
    (HIGH, 2.5): "Kratom results in a large increase in pain intensity.",
    (MODERATE, 0.4): "Kratom probably results in a large reduction in pain intensity.",
    (MODERATE, 0.7): "Kratom probably results in a reduction in pain intensity.",
    (MODERATE, 1.1): "Kratom probably results in little to no difference in pain intensity.",
    (MODERATE, 1.3): "Kratom probably results in an increase in pain intensity.",
    (LOW, 0.4): "Kratom may result in a large reduction in pain intensity.",
    (LOW, 0.7): "Kratom may result in a reduction in pain intensity.",
    (LOW, 0.9): "Kratom may result in little to no difference in pain intensity.",
    (LOW, 3.0): "Kratom may result in a large increase in pain intensity.",
}


@pytest.mark.parametrize(("certainty", "ratio"), list(WORDING))
def test_dichotomous_wording_by_certainty_and_size(certainty: Certainty, ratio: float) -> None:
    assert _say(certainty, _rr(ratio)) == WORDING[certainty, ratio]


@pytest.mark.parametrize("ratio", [0.1, 0.7, 1.0, 4.0])
def test_very_low_certainty_says_only_that_the_evidence_is_very_uncertain(ratio: float) -> None:
    assert (
        _say(VERY_LOW, _rr(ratio))
        == "The evidence is very uncertain about the effect of kratom on pain intensity."
    )


@pytest.mark.parametrize(
    ("difference", "expected"),
    [
        (-1.5, "Kratom may result in a reduction in pain intensity."),
        (-1.0, "Kratom may result in a reduction in pain intensity."),  # at the MID: important
        (-0.99, "Kratom may result in little to no difference in pain intensity."),
        (0.0, "Kratom may result in little to no difference in pain intensity."),
        (1.2, "Kratom may result in an increase in pain intensity."),
    ],
)
def test_a_mean_difference_is_judged_against_the_mid(difference: float, expected: str) -> None:
    assert _say(LOW, continuous=_md(difference)) == expected


def test_a_mean_difference_of_0_8_sd_or_more_is_large() -> None:
    sd = StudyEvidence("a", EvidenceDesign.RANDOMISED, control_sd=2.0)
    evidence = _evidence("continuous", sd, mid=1.0)
    assert _say(HIGH, continuous=_md(-1.6), evidence=evidence) == (
        "Kratom results in a large reduction in pain intensity."
    )
    assert (
        _say(HIGH, continuous=_md(-1.5), evidence=evidence)
        == "Kratom results in a reduction in pain intensity."
    )


def test_without_a_mid_the_sd_decides_with_cohens_thresholds() -> None:
    sd = StudyEvidence("a", EvidenceDesign.RANDOMISED, control_sd=10.0)
    evidence = _evidence("continuous", sd)
    assert effect_size(evidence, None, _md(-1.9)) is EffectSize.TRIVIAL
    assert effect_size(evidence, None, _md(-2.0)) is EffectSize.IMPORTANT
    assert effect_size(evidence, None, _md(-8.0)) is EffectSize.LARGE


@pytest.mark.parametrize(
    ("smd", "size"),
    [(0.1, EffectSize.TRIVIAL), (-0.2, EffectSize.IMPORTANT), (0.5, EffectSize.IMPORTANT),
     (-0.8, EffectSize.LARGE)],
)  # fmt: skip
def test_an_smd_is_judged_by_cohens_thresholds(smd: float, size: EffectSize) -> None:
    evidence = _evidence("continuous", mid=1.0, mid_unit="points")
    assert effect_size(evidence, None, _md(smd, SMD)) is size


def test_nothing_to_judge_importance_against_is_not_called_important() -> None:
    statement = _say(MODERATE, continuous=_md(-3.0), evidence=_evidence("continuous"))
    assert statement.startswith(
        "Kratom probably results in a reduction in pain intensity (whether the difference"
    )
    assert "no minimal important difference" in statement


@pytest.mark.parametrize(
    ("ratio", "size"),
    [(0.5, EffectSize.LARGE), (0.51, EffectSize.IMPORTANT), (0.75, EffectSize.IMPORTANT),
     (0.76, EffectSize.TRIVIAL), (1.24, EffectSize.TRIVIAL), (1.25, EffectSize.IMPORTANT),
     (1.99, EffectSize.IMPORTANT), (2.0, EffectSize.LARGE)],
)  # fmt: skip
def test_relative_thresholds_25_percent_and_2(ratio: float, size: EffectSize) -> None:
    assert effect_size(_evidence(), _rr(ratio), None) is size


def _absolute(comparator: float, intervention: float) -> AbsoluteEffect:
    difference = intervention - comparator
    return AbsoluteEffect(
        BaselineRisk("Study population", comparator),
        intervention,
        intervention,
        intervention,
        difference,
        difference,
        difference,
    )


def test_a_dichotomous_mid_per_1000_judges_the_absolute_difference() -> None:
    evidence = _evidence(mid=20.0, mid_unit="events per 1,000")
    # RR 0.9 is trivial on the relative threshold but 30 fewer per 1,000 passes the MID of 20
    assert effect_size(evidence, _rr(0.9), None, [_absolute(300, 270)]) is EffectSize.IMPORTANT
    # RR 0.7 passes 25 % but 6 fewer per 1,000 is below the MID
    assert effect_size(evidence, _rr(0.7), None, [_absolute(20, 14)]) is EffectSize.TRIVIAL


@pytest.mark.parametrize(
    ("mid", "unit", "per_1000"),
    [(20, "per 1000 people", 20), (2, "percentage points", 20), (5, "points", None)],
)
def test_mid_units_a_dichotomous_outcome_understands(
    mid: float, unit: str, per_1000: float | None
) -> None:
    assert mid_per_1000(_evidence(mid=mid, mid_unit=unit)) == per_1000
    assert mid_per_1000(_evidence()) is None


def test_a_risk_difference_analysis_is_judged_by_the_ratio_it_implies() -> None:
    statement = plain_statement(
        _evidence(), MODERATE, None, None, intervention="kratom", absolute=[_absolute(200, 100)]
    )
    assert statement == "Kratom probably results in a large reduction in pain intensity."


# --- no studies, pending, narrative ---------------------------------------------------------------


@pytest.mark.parametrize("certainty", [None, *Certainty])
def test_no_studies(certainty: Certainty | None) -> None:
    evidence = _evidence(studies=(), source=EvidenceSource.NONE)
    assert plain_statement(evidence, certainty, None, None, intervention="kratom") == NO_STUDIES
    assert NO_STUDIES == "No studies were found that measured this outcome."


def test_pending_certainty_says_nothing_yet() -> None:
    assert _say(None, _rr(0.4)) == ""


@pytest.mark.parametrize("certainty", [HIGH, MODERATE, LOW])
def test_a_narrative_synthesis_makes_no_claim_of_direction(certainty: Certainty) -> None:
    evidence = _evidence(source=EvidenceSource.NARRATIVE, narrative="Two studies ...")
    statement = plain_statement(evidence, certainty, None, None, intervention="kratom")
    assert statement.startswith(f"{certainty.label}-certainty evidence on the effect of kratom")
    assert not any(word in statement for word in ("reduc", "increase", "difference"))


def test_names_in_a_sentence() -> None:
    evidence = _evidence(name="HbA1c")
    statement = plain_statement(evidence, HIGH, _rr(0.7), None, intervention="metformin")
    assert statement == "Metformin results in a reduction in HbA1c."
    assert plain_statement(_evidence(), LOW, _rr(0.7), None, intervention=" ") == (
        "The intervention may result in a reduction in pain intensity."
    )


# --- never more than the certainty allows ---------------------------------------------------------


@pytest.mark.parametrize("ratio", [0.1, 0.6, 0.9, 1.0, 1.5, 5.0])
@pytest.mark.parametrize("certainty", list(Certainty))
def test_each_certainty_keeps_its_hedge(certainty: Certainty, ratio: float) -> None:
    statement = _say(certainty, _rr(ratio))
    hedges = {HIGH: "Kratom ", MODERATE: "Kratom probably ", LOW: "Kratom may "}
    if certainty is VERY_LOW:
        assert statement.startswith("The evidence is very uncertain")
        return
    assert statement.startswith(hedges[certainty])
    assert "uncertain" not in statement
    others = {"probably", "may"} - {hedges[certainty].split()[-1]}
    assert not others & set(statement.split())


def test_favours_intervention_follows_the_direction_of_benefit() -> None:
    lower = _evidence()
    higher = _evidence(direction="higher_is_better")
    assert favours_intervention(lower, _rr(0.5), None) is True
    assert favours_intervention(higher, _rr(0.5), None) is False
    assert favours_intervention(higher, None, _md(2.0)) is True
    assert favours_intervention(lower, _rr(1.0), None) is None
    assert favours_intervention(lower, None, None) is None


def test_the_protocols_capitalised_intervention_reads_lower_case_inside_a_sentence() -> None:
    """The protocol says "Kratom (Mitragyna speciosa) ..."; the sentence says "of kratom on",
    while a name starting with an acronym keeps it ("BCG vaccination")."""
    from review_app.domain.grade.statement import _in_sentence

    assert _in_sentence("Kratom") == "kratom"
    assert _in_sentence("BCG vaccination") == "BCG vaccination"
    assert _in_sentence("HbA1c") == "HbA1c"
