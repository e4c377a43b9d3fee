"""The plain-language statement of one outcome's finding, in GRADE's words.

Santesso et al., GRADE guidelines 26: informative statements to communicate the findings of
systematic reviews of interventions (J Clin Epidemiol 2020;119:126-135) combine the certainty of
the evidence with the size of the effect: high certainty "X results in a large reduction in O",
"X results in a reduction in O", "X results in little to no difference in O"; moderate "X
probably results in ..." (the guidance offers "likely" or "probably"; Cochrane's summaries use
"probably"); low "X may result in ...";
very low "The evidence is very uncertain about the effect of X on O." The wording never claims
more than the certainty allows: the verb carries the certainty, and an effect whose importance
cannot be judged (no minimal important difference) is not called important.

The size of the effect is judged on the point estimate:
- continuous outcomes: a mean difference against the protocol's MID (natural units), or a
  standardised one against Cohen's thresholds; large from the standardised size;
- dichotomous outcomes: the absolute difference per 1,000 against an MID given per 1,000 (or in
  percentage points), else the relative effect against GRADE's default thresholds (a relative
  risk reduction or increase of 25 %); large beyond a ratio of 2 or 0.5.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from enum import StrEnum
from statistics import median

from review_app.domain.grade.imprecision import RELATIVE_CHANGE, SMD_SMALL
from review_app.domain.grade.model import (
    AbsoluteEffect,
    Certainty,
    ContinuousEffect,
    OutcomeEvidence,
    RelativeEffect,
)
from review_app.domain.grade.rules import LARGE_EFFECT
from review_app.domain.vocabulary import EffectMeasure

NO_STUDIES = "No studies were found that measured this outcome."

# The thresholds are those the suggestions use, so a statement and a rating judge one size:
# a relative risk reduction (or increase) of 25 %, GRADE's default threshold of an appreciable
# effect (Guyatt et al., GRADE guidelines 6, J Clin Epidemiol 2011;64:1283-1293;
# ``imprecision.RELATIVE_CHANGE``); a ratio beyond 2 or 0.5 a large effect (Guyatt et al., GRADE
# guidelines 9, J Clin Epidemiol 2011;64:1311-1316; ``rules.LARGE_EFFECT``); standardised mean
# differences of 0.2 small (``imprecision.SMD_SMALL``) and 0.8 large (Cohen 1988, the rule of
# thumb of the Cochrane Handbook 6.5, 15.5.3.1); below 0.2 a difference is trivial.
SMD_LARGE = 0.8
PERCENTAGE_POINT_PER_1000 = 10.0  # one percentage point is 10 per 1,000

_PER_1000_UNIT = re.compile(r"per\s*1[, ]?000", re.IGNORECASE)
_PERCENTAGE_POINT_UNIT = re.compile(r"percentage[- ]point", re.IGNORECASE)


class EffectSize(StrEnum):
    """How large the point estimate is, in GRADE guidance 26's classes (the "small but
    important" class is not told apart: no threshold for it is set in the protocol)."""

    LARGE = "large"
    IMPORTANT = "important"
    TRIVIAL = "trivial"  # little to no difference
    UNKNOWN = "unknown"  # nothing to judge importance against


class Change(StrEnum):
    """Which way the intervention moves the outcome's value (not whether that is good)."""

    REDUCTION = "reduction"
    INCREASE = "increase"
    NONE = "none"


def plain_statement(
    evidence: OutcomeEvidence,
    certainty: Certainty | None,
    relative: RelativeEffect | None,
    continuous: ContinuousEffect | None,
    *,
    intervention: str,
    absolute: Sequence[AbsoluteEffect] = (),
) -> str:
    """The statement for one outcome: "No studies ..." without studies, "" while the certainty
    is pending, the very-uncertain sentence at very low certainty, else GRADE guidance 26's
    sentence for the certainty and the effect's size and direction (``absolute``: the
    absolute effects, the first being the study population's when there is one)."""
    if not evidence.has_studies:
        return NO_STUDIES
    if certainty is None:
        return ""
    # "Kratom" from the protocol reads "kratom" inside a sentence; "BCG vaccination" keeps it.
    intervention = _in_sentence(intervention.strip() or "the intervention")
    subject = _sentence_start(intervention)
    outcome = _in_sentence(evidence.name)
    if certainty is Certainty.VERY_LOW:
        return f"The evidence is very uncertain about the effect of {intervention} on {outcome}."
    change = effect_change(relative, continuous, absolute)
    if change is None:
        return (
            f"{certainty.label}-certainty evidence on the effect of {intervention} on {outcome}"
            " was synthesised without a pooled estimate: see the narrative synthesis."
        )
    size = effect_size(evidence, relative, continuous, absolute)
    return f"{subject} {_predicate(certainty, size, change, outcome)}."


def effect_change(
    relative: RelativeEffect | None,
    continuous: ContinuousEffect | None,
    absolute: Sequence[AbsoluteEffect] = (),
) -> Change | None:
    """The direction of the point estimate against no effect (ratio 1, difference 0); None
    when there is no estimate (a narrative synthesis)."""
    if relative is not None:
        return _sign(math.log(relative.estimate)) if relative.estimate > 0 else Change.REDUCTION
    if continuous is not None:
        return _sign(continuous.difference)
    if absolute:
        return _sign(absolute[0].difference_per_1000)
    return None


def favours_intervention(
    evidence: OutcomeEvidence,
    relative: RelativeEffect | None,
    continuous: ContinuousEffect | None,
    absolute: Sequence[AbsoluteEffect] = (),
) -> bool | None:
    """Whether the point estimate moves the outcome the way the protocol calls better
    (``direction``); None without an estimate or with no change."""
    change = effect_change(relative, continuous, absolute)
    if change is None or change is Change.NONE:
        return None
    return (change is Change.REDUCTION) == (evidence.direction == "lower_is_better")


def effect_size(
    evidence: OutcomeEvidence,
    relative: RelativeEffect | None,
    continuous: ContinuousEffect | None,
    absolute: Sequence[AbsoluteEffect] = (),
) -> EffectSize:
    """The size class of the point estimate (module docstring: the thresholds and sources)."""
    if continuous is not None:
        return _continuous_size(evidence, continuous)
    ratio = _ratio(relative, absolute)
    if ratio is None:
        return EffectSize.UNKNOWN
    if ratio <= 1 / LARGE_EFFECT or ratio >= LARGE_EFFECT:
        return EffectSize.LARGE
    mid = mid_per_1000(evidence)
    if mid is not None and absolute:
        important = abs(absolute[0].difference_per_1000) >= mid
    else:
        important = ratio <= 1 - RELATIVE_CHANGE or ratio >= 1 + RELATIVE_CHANGE
    return EffectSize.IMPORTANT if important else EffectSize.TRIVIAL


def mid_per_1000(evidence: OutcomeEvidence) -> float | None:
    """A dichotomous outcome's MID as a difference per 1,000, when the protocol gives it per
    1,000 or in percentage points; None otherwise (the relative threshold applies)."""
    if evidence.mid is None:
        return None
    if _PER_1000_UNIT.search(evidence.mid_unit):
        return evidence.mid
    if _PERCENTAGE_POINT_UNIT.search(evidence.mid_unit):
        return evidence.mid * PERCENTAGE_POINT_PER_1000
    return None


def _ratio(relative: RelativeEffect | None, absolute: Sequence[AbsoluteEffect]) -> float | None:
    """The relative effect, or for a risk-difference analysis the ratio it implies at the
    first comparator risk."""
    if relative is not None:
        return relative.estimate
    if absolute and absolute[0].baseline.per_1000 > 0:
        return absolute[0].intervention_per_1000 / absolute[0].baseline.per_1000
    return None


def _continuous_size(evidence: OutcomeEvidence, effect: ContinuousEffect) -> EffectSize:
    standardised = _standardised(evidence, effect)
    if standardised is not None and abs(standardised) >= SMD_LARGE:
        return EffectSize.LARGE
    if effect.measure is EffectMeasure.MD and evidence.mid is not None:
        important = abs(effect.difference) >= evidence.mid
    elif standardised is not None:
        important = abs(standardised) >= SMD_SMALL
    else:
        return EffectSize.UNKNOWN
    return EffectSize.IMPORTANT if important else EffectSize.TRIVIAL


def _standardised(evidence: OutcomeEvidence, effect: ContinuousEffect) -> float | None:
    """The SMD itself, or an MD over the median comparator-arm SD of the studies (Cochrane
    Handbook 6.5, 15.5.3.1: an MD re-expressed in SD units for interpretation)."""
    if effect.measure is EffectMeasure.SMD:
        return effect.difference
    sds = [s.control_sd for s in evidence.studies if s.control_sd is not None and s.control_sd > 0]
    return effect.difference / median(sds) if sds else None


def _sign(value: float) -> Change:
    if value < 0:
        return Change.REDUCTION
    return Change.INCREASE if value > 0 else Change.NONE


# Certainty -> (the hedge, the verb in its person): "results in", "probably results in", "may
# result in" (GRADE guidelines 26, Table 1, in the form "X results in a (large) reduction in O").
_HEDGES: dict[Certainty, str] = {
    Certainty.HIGH: "results in",
    Certainty.MODERATE: "probably results in",
    Certainty.LOW: "may result in",
}
_UNKNOWN_IMPORTANCE = (
    " (whether the difference is important was not judged: the protocol sets no minimal"
    " important difference for this outcome)"
)


def _predicate(certainty: Certainty, size: EffectSize, change: Change, outcome: str) -> str:
    verb = _HEDGES[certainty]
    if size is EffectSize.TRIVIAL or change is Change.NONE:
        return f"{verb} little to no difference in {outcome}"
    noun = f"large {change.value}" if size is EffectSize.LARGE else change.value
    article = "an" if noun[0] in "aeiou" else "a"
    tail = _UNKNOWN_IMPORTANCE if size is EffectSize.UNKNOWN else ""
    return f"{verb} {article} {noun} in {outcome}{tail}"


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def _in_sentence(name: str) -> str:
    """An outcome's or intervention's name inside a sentence: "Pain intensity" -> "pain
    intensity", "Kratom" -> "kratom", while acronyms ("HbA1c", "EQ-5D score") keep their
    capitals."""
    name = name.strip()
    first = name.split(maxsplit=1)[0] if name else ""
    if first[:1].isupper() and first[1:].isalpha() and first[1:].islower():
        return name[0].lower() + name[1:]
    return name
