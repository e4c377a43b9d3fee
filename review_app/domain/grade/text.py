"""The words in the cells of the Summary-of-Findings table and the evidence profile, in one place.

Every writer (DOCX, HTML, CSV) and the pages show an outcome with these functions, so a number
reads the same wherever it appears. The wording follows GRADEpro GDT's tables (the GRADE
Handbook, Schünemann et al. 2013, section 5.2; Guyatt et al., GRADE guidelines 12 and 13,
J Clin Epidemiol 2013;66:158-172 and 173-183): "RR 0.49 (0.34 to 0.70)", "32 per 1,000 (22 to
46)", "33 fewer per 1,000 (43 fewer to 19 fewer)", "MD 1.2 points lower (2.0 lower to 0.4
lower)", "3,456 (13 RCTs)", "⊕⊕◯◯ Low".

Numbers are shown by magnitude (:func:`number_text`): ratios with two decimals, absolute risks
per 1,000 as whole numbers (GRADEpro rounds them so) unless below one, counts with a thousands
separator. Rounding is half away from zero, as people round, not Python's half to even.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from review_app.domain.grade.model import (
    UPGRADE_DOMAINS,
    AbsoluteEffect,
    Certainty,
    ContinuousEffect,
    DomainRow,
    EvidenceDesign,
    GradeDomain,
    OutcomeEvidence,
    OutcomeGrade,
    Rating,
    RelativeEffect,
)
from review_app.domain.vocabulary import EffectMeasure

NO_STUDIES = "No studies were found that measured this outcome"
NOT_YET_RATED = "Not yet rated"
NOT_REPORTED = "Not reported"
NOT_AVAILABLE = "—"  # a cell the outcome has nothing for (GRADEpro leaves a dash)
PER_1000 = "per 1,000"
INDIRECT_EVIDENCE = "indirect evidence"

# GRADEpro's explanation under the Summary-of-Findings table (GRADE Handbook 5.2.4).
RISK_EXPLANATION = (
    "*The risk in the intervention group (and its 95% confidence interval) is based on the "
    "assumed risk in the comparison group and the relative effect of the intervention (and its "
    "95% CI)."
)
# The GRADE Working Group grades of evidence, in GRADEpro's words (Balshem et al., GRADE
# guidelines 3, J Clin Epidemiol 2011;64:401-406, table 2).
GRADES_HEADING = "GRADE Working Group grades of evidence"
GRADE_DEFINITIONS: dict[Certainty, str] = {
    Certainty.HIGH: (
        "we are very confident that the true effect lies close to that of the estimate of the "
        "effect."
    ),
    Certainty.MODERATE: (
        "we are moderately confident in the effect estimate: the true effect is likely to be "
        "close to the estimate of the effect, but there is a possibility that it is "
        "substantially different."
    ),
    Certainty.LOW: (
        "our confidence in the effect estimate is limited: the true effect may be substantially "
        "different from the estimate of the effect."
    ),
    Certainty.VERY_LOW: (
        "we have very little confidence in the effect estimate: the true effect is likely to be "
        "substantially different from the estimate of effect."
    ),
}
# What GRADEpro's "Other considerations" column says for a rating of publication bias or of an
# upgrading domain (GRADEpro GDT evidence profile).
OTHER_CONSIDERATIONS: dict[tuple[GradeDomain, Rating], str] = {
    (GradeDomain.PUBLICATION_BIAS, Rating.SERIOUS): "publication bias strongly suspected",
    (GradeDomain.PUBLICATION_BIAS, Rating.VERY_SERIOUS): "publication bias very strongly suspected",
    (GradeDomain.LARGE_EFFECT, Rating.UPGRADE_ONE): "strong association",
    (GradeDomain.LARGE_EFFECT, Rating.UPGRADE_TWO): "very strong association",
    (GradeDomain.DOSE_RESPONSE, Rating.UPGRADE_ONE): "dose response gradient",
    (GradeDomain.DOSE_RESPONSE, Rating.UPGRADE_TWO): "dose response gradient",
    (GradeDomain.CONFOUNDING, Rating.UPGRADE_ONE): (
        "all plausible residual confounding would reduce the demonstrated effect"
    ),
    (GradeDomain.CONFOUNDING, Rating.UPGRADE_TWO): (
        "all plausible residual confounding would reduce the demonstrated effect"
    ),
}
NO_OTHER_CONSIDERATIONS = "none"
OTHER_DOMAINS = (GradeDomain.PUBLICATION_BIAS, *UPGRADE_DOMAINS)  # "Other considerations"
# Study designs counted in the participants cell, one and many.
_DESIGN_WORDS = {
    EvidenceDesign.RANDOMISED: ("RCT", "RCTs"),
    EvidenceDesign.NON_RANDOMISED: ("non-randomised study", "non-randomised studies"),
    None: ("study", "studies"),  # a mix of designs
}
_PROFILE_DESIGNS = {
    EvidenceDesign.RANDOMISED: "randomised trials",
    EvidenceDesign.NON_RANDOMISED: "non-randomised studies",
    None: "randomised trials and non-randomised studies",
}
_IMPORTANCE = {"critical": "CRITICAL", "important": "IMPORTANT", "not_important": "NOT IMPORTANT"}


# --- numbers ------------------------------------------------------------------------------------


def rounded(value: float, decimals: int) -> Decimal:
    """``value`` rounded half away from zero (2.5 -> 3, 0.125 -> 0.13), as tables round."""
    step = Decimal(1).scaleb(-decimals)
    return Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP)


def fixed(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals and a thousands separator ("1,234.5"); never "-0"."""
    number = rounded(value, decimals)
    if number == 0:
        number = abs(number)
    return f"{number:,.{decimals}f}"


def number_text(value: float) -> str:
    """A number by its magnitude: whole from 100 ("1,234"), one decimal from 10 ("12.3"), two
    below ("0.49"), and two significant digits below 0.01 ("0.0043")."""
    size = abs(value)
    if size >= 100:
        return fixed(value, 0)
    if size >= 10:
        return fixed(value, 1)
    if size >= 0.01 or size == 0:
        return fixed(value, 2)
    return f"{value:.2g}"


def count_text(value: int) -> str:
    return f"{value:,}"


def per_1000_number(value: float) -> str:
    """A risk per 1,000 as GRADEpro shows it: whole numbers ("65"), one significant digit
    below one ("0.4") so that a rare event does not read as none."""
    size = abs(value)
    if size >= 1 or size == 0:
        return fixed(size, 0)
    return f"{size:.1g}"


# --- effects ------------------------------------------------------------------------------------


def relative_text(effect: RelativeEffect) -> str:
    """``"RR 0.49 (0.34 to 0.70)"``: the measure, the estimate and its 95 % CI."""
    return (
        f"{effect.measure} {number_text(effect.estimate)} "
        f"({number_text(effect.ci_low)} to {number_text(effect.ci_high)})"
    )


def risk_text(per_1000: float) -> str:
    """``"65 per 1,000"``."""
    return f"{per_1000_number(per_1000)} {PER_1000}"


def _more_or_fewer(value: float) -> str:
    """``"33 fewer"`` / ``"19 more"``: a difference per 1,000 in words."""
    return f"{per_1000_number(value)} {'fewer' if value < 0 else 'more'}"


def difference_text(difference: float, low: float, high: float) -> str:
    """``"33 fewer per 1,000 (43 fewer to 19 fewer)"``."""
    return (
        f"{_more_or_fewer(difference)} {PER_1000} ({_more_or_fewer(low)} to {_more_or_fewer(high)})"
    )


def absolute_texts(effect: AbsoluteEffect) -> tuple[str, str, str]:
    """The three absolute-effect cells of one comparator risk: the risk with the comparator,
    with the intervention (95 % CI), and the difference (95 % CI), all per 1,000."""
    return (
        risk_text(effect.baseline.per_1000),
        f"{risk_text(effect.intervention_per_1000)} "
        f"({per_1000_number(effect.intervention_ci_low)} to "
        f"{per_1000_number(effect.intervention_ci_high)})",
        difference_text(
            effect.difference_per_1000, effect.difference_ci_low, effect.difference_ci_high
        ),
    )


def _decimals(values: Iterable[float]) -> int:
    """Decimals for a continuous effect and its CI, one for all three: two below 1, one below
    100, none from 100."""
    largest = max(abs(v) for v in values)
    return 2 if largest < 1 else 1 if largest < 100 else 0


def _lower_or_higher(value: float, decimals: int) -> str:
    shown = fixed(abs(value), decimals)
    if rounded(value, decimals) == 0:
        return shown
    return f"{shown} {'lower' if value < 0 else 'higher'}"


def continuous_text(effect: ContinuousEffect) -> str:
    """``"MD 1.2 points lower (2.0 lower to 0.4 lower)"``: the mean difference (intervention
    minus comparator) in the outcome's unit, or an SMD in standard deviations, with its CI."""
    values = (effect.difference, effect.ci_low, effect.ci_high)
    decimals = 2 if effect.measure is EffectMeasure.SMD else _decimals(values)
    unit = "SD" if effect.measure is EffectMeasure.SMD else effect.unit.strip()
    estimate = _lower_or_higher(effect.difference, decimals)
    if unit:
        number, _, direction = estimate.partition(" ")
        estimate = f"{number} {unit} {direction}".rstrip()
    low, high = (_lower_or_higher(v, decimals) for v in (effect.ci_low, effect.ci_high))
    return f"{effect.measure} {estimate} ({low} to {high})"


def comparator_mean_text(effect: ContinuousEffect, outcome: str) -> str:
    """``"The mean pain intensity was 5.2 points"`` (GRADEpro's comparator cell), or a dash when
    the comparator mean is not known (or the effect is an SMD, which has no natural scale)."""
    if effect.comparator_mean is None or effect.measure is EffectMeasure.SMD:
        return NOT_AVAILABLE
    mean = fixed(effect.comparator_mean, _decimals([effect.comparator_mean]))
    unit = f" {effect.unit.strip()}" if effect.unit.strip() else ""
    return f"The mean {outcome.lower()} was {mean}{unit}"


# --- participants, designs, certainty -----------------------------------------------------------


def evidence_design(evidence: OutcomeEvidence) -> EvidenceDesign | None:
    """The studies' one design, or None when they mix designs (or there are none)."""
    designs = {study.design for study in evidence.studies}
    return designs.pop() if len(designs) == 1 else None


def studies_text(evidence: OutcomeEvidence) -> str:
    """``"13 RCTs"``, ``"1 non-randomised study"``, ``"3 studies"`` (mixed designs)."""
    one, many = _DESIGN_WORDS[evidence_design(evidence)]
    n = len(evidence.studies)
    return f"{count_text(n)} {one if n == 1 else many}"


def participants_count_text(evidence: OutcomeEvidence) -> str:
    """``"3,456"``; "Not reported" when no study gives its number of participants; a dash
    for no studies."""
    if not evidence.has_studies:
        return NOT_AVAILABLE
    total = evidence.participants
    return count_text(total) if total is not None else NOT_REPORTED


def participants_text(evidence: OutcomeEvidence) -> str:
    """``"3,456 (13 RCTs)"``; a dash for no studies."""
    if not evidence.has_studies:
        return NOT_AVAILABLE
    return f"{participants_count_text(evidence)} ({studies_text(evidence)})"


def design_text(evidence: OutcomeEvidence) -> str:
    """The evidence profile's "Study design" cell: "randomised trials" ... ."""
    return _PROFILE_DESIGNS[evidence_design(evidence)] if evidence.has_studies else NOT_AVAILABLE


def certainty_text(grade: OutcomeGrade) -> str:
    """``"⊕⊕◯◯ Low"``; "Not yet rated" while a domain awaits its rating; a dash without
    studies. The footnote numbers that say why go beside it (:func:`marks_text`)."""
    if grade.certainty is not None:
        return f"{grade.certainty.symbols} {grade.certainty.label}"
    return NOT_YET_RATED if grade.pending else NOT_AVAILABLE


def marks_text(numbers: Sequence[int]) -> str:
    """Footnote numbers as written after a cell ("1,2"); "" for none."""
    return ",".join(str(n) for n in sorted(set(numbers)))


def importance_text(importance: str) -> str:
    """GRADEpro's capitals: "CRITICAL", "IMPORTANT", "NOT IMPORTANT"."""
    return _IMPORTANCE.get(importance, importance.replace("_", " ").upper())


def grade_definition(certainty: Certainty) -> str:
    """``"Low certainty: our confidence in the effect estimate is limited: ..."``."""
    return f"{certainty.label} certainty: {GRADE_DEFINITIONS[certainty]}"


# --- the outcome and its domains ----------------------------------------------------------------


def is_indirect_evidence(evidence: OutcomeEvidence) -> bool:
    """Every study is indirect evidence (flagged at extraction, or a PICO element judged
    indirect): the row is labelled so (the kratom demo's experimental-pain study)."""
    return evidence.has_studies and all(s.flagged_indirect or s.indirect for s in evidence.studies)


def outcome_lines(evidence: OutcomeEvidence) -> tuple[str, ...]:
    """The Outcomes cell: the name, then "follow-up: 8 weeks", "indirect evidence"."""
    lines = [evidence.name]
    if evidence.timepoint:
        lines.append(f"follow-up: {evidence.timepoint}")
    if is_indirect_evidence(evidence):
        lines.append(INDIRECT_EVIDENCE)
    return tuple(lines)


def rating_text(row: DomainRow) -> str:
    """A domain's cell in the evidence profile, lower case as GRADEpro writes it ("serious");
    "Not yet rated" when the final judgement is missing."""
    return row.rating.label.lower() if row.rating is not None else NOT_YET_RATED.lower()


def other_domains(grade: OutcomeGrade) -> tuple[DomainRow, ...]:
    """The domains GRADEpro puts under "Other considerations": publication bias and the three
    upgrades."""
    return tuple(row for row in grade.domains if row.domain in OTHER_DOMAINS)


def other_considerations_text(grade: OutcomeGrade) -> str:
    """``"publication bias strongly suspected; strong association"``, or "none"."""
    said = [
        OTHER_CONSIDERATIONS[(row.domain, row.rating)]
        for row in other_domains(grade)
        if row.rating is not None and (row.domain, row.rating) in OTHER_CONSIDERATIONS
    ]
    if not said and any(
        row.rating is None for row in other_domains(grade) if not row.domain.is_upgrade
    ):
        return NOT_YET_RATED.lower()
    return "; ".join(dict.fromkeys(said)) or NO_OTHER_CONSIDERATIONS


def abbreviations_text(measures: Iterable[EffectMeasure]) -> str:
    """``"CI: confidence interval; MD: mean difference; RR: risk ratio"`` for the measures the
    table uses."""
    used = sorted(set(measures))
    return "; ".join(["CI: confidence interval", *(f"{m}: {m.label.lower()}" for m in used)])
