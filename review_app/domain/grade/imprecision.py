"""Imprecision: the thresholds an effect is judged against, the optimal information size, and
the suggestion for the imprecision domain.

The thresholds approach (GRADE guidance 6, Guyatt et al., J Clin Epidemiol 2011;64:1283-1293;
updated by GRADE guidance 34, Zeng L et al., "Update on rating imprecision using a minimally
contextualized approach", J Clin Epidemiol 2022;150:216-224): the 95 % CI of the pooled effect
is set against the null and against the thresholds of an appreciable benefit and harm.

- Thresholds: the protocol's minimal important difference (MID) in natural units for a mean
  difference; for a standardised mean difference the MID divided by the studies' median SD, or
  0.2 SD without one (a small effect, Cohen 1988; Cochrane Handbook 15.5.3.1); for ratio
  measures a relative change of 25 % (RR 0.75 and 1.25, GRADE guidance 6's "rough guide"),
  or the protocol's MID when its unit is a percentage (a relative change); for a risk
  difference 25 % of the median control-group risk.
- Rule, first that applies: no estimate with a CI -> very serious; the CI includes both an
  appreciable benefit and an appreciable harm -> very serious (guidance 34: a CI that crosses
  both thresholds warrants two levels); the CI crosses the null or one threshold -> serious;
  fewer participants than the optimal information size (OIS) -> serious (guidance 34 asks to
  consider two levels when far fewer: left to the reviewer, prompted); else not serious.
- OIS (GRADE guidance 6, section 5.2; the sample size of one adequately powered trial), alpha
  0.05 two-sided, power 80 %. Dichotomous: control risk p_c (median control-group risk of the
  studies) and p_t = p_c (1 - RRR), per group (z_{1-alpha/2} + z_{1-beta})² [p_c (1 - p_c) +
  p_t (1 - p_t)] / (p_c - p_t)² (Fleiss, Statistical methods for rates and proportions, 2003,
  eq. 4.14 without continuity correction). Continuous: per group 2 (z_{1-alpha/2} + z_{1-beta})²
  sigma² / Delta² (Cohen 1988 ch. 2; normal approximation), Delta the MID and sigma the median of
  the studies' comparator and intervention SDs; for SMD sigma = 1 and Delta the SMD threshold.
  Each group is rounded up, the total is twice that.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from review_app.domain.grade.facts import effect, names, number, percent, studies_count, suggestion
from review_app.domain.grade.model import (
    Fact,
    GradeDomain,
    OutcomeEvidence,
    PooledEvidence,
    Rating,
    StudyEvidence,
    Suggestion,
)
from review_app.domain.vocabulary import EffectMeasure
from review_app.errors import ValidationError

ALPHA = 0.05  # two-sided type I error of the OIS (GRADE guidance 6)
POWER = 0.80  # 1 - beta, beta = 0.2 (GRADE guidance 6)
RELATIVE_CHANGE = 0.25  # RRR/RRI of 25 %: RR 0.75 and 1.25 (GRADE guidance 6, section 6)
SMD_SMALL = 0.2  # a small standardised effect (Cohen 1988; Cochrane Handbook 15.5.3.1)

_GUIDANCE = "GRADE guidance 6 and 34"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The null and the thresholds of an appreciable benefit and harm on the analysis scale (log
    for ratios); ``benefit``/``harm`` None when nothing sets them; ``source`` says where they
    come from; ``relative_change`` the RRR the dichotomous OIS is computed for."""

    measure: EffectMeasure
    null: float
    benefit: float | None
    harm: float | None
    source: str
    relative_change: float | None = None

    @property
    def known(self) -> bool:
        return self.benefit is not None and self.harm is not None

    def beyond_benefit(self, value: float) -> bool:
        """Whether ``value`` (analysis scale) is an appreciable benefit."""
        if self.benefit is None:
            return False
        return value < self.benefit if self.benefit < self.null else value > self.benefit

    def beyond_harm(self, value: float) -> bool:
        if self.harm is None:
            return False
        return value < self.harm if self.harm < self.null else value > self.harm

    def shown(self) -> str:
        """ "RR 0.75 (benefit) and 1.25 (harm)"."""
        if self.benefit is None or self.harm is None:
            return "not set"
        low = self._natural(self.benefit)
        high = self._natural(self.harm)
        return f"{self.measure} {number(low)} (benefit) and {number(high)} (harm)"

    def _natural(self, value: float) -> float:
        return math.exp(value) if self.measure.is_ratio else value


# --- the optimal information size -----------------------------------------------------------


def _z_sum(alpha: float, power: float) -> float:
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValidationError(
            f"alpha {alpha} and power {power}: both must lie strictly between 0 and 1"
        )
    normal = NormalDist()
    return normal.inv_cdf(1 - alpha / 2) + normal.inv_cdf(power)


def optimal_information_size(
    *,
    control_risk: float | None = None,
    relative_change: float = RELATIVE_CHANGE,
    sd: float | None = None,
    mid: float | None = None,
    alpha: float = ALPHA,
    power: float = POWER,
) -> int:
    """The total participants (both groups) of one trial powered to detect the effect: give
    ``control_risk`` (dichotomous; the risk falls by ``relative_change``) or ``sd`` and ``mid``
    (continuous). Formulas in the module docstring."""
    z2 = _z_sum(alpha, power) ** 2
    if control_risk is not None:
        if not 0 < control_risk < 1:
            raise ValidationError(f"control risk {control_risk}: must lie between 0 and 1")
        if not 0 < relative_change < 1:
            raise ValidationError(
                f"relative change {relative_change}: must lie between 0 and 1 (0.25 is 25 %)"
            )
        treated = control_risk * (1 - relative_change)
        variance = control_risk * (1 - control_risk) + treated * (1 - treated)
        per_group = z2 * variance / (control_risk - treated) ** 2
    elif sd is not None and mid is not None:
        if sd <= 0 or mid == 0 or not (math.isfinite(sd) and math.isfinite(mid)):
            raise ValidationError(f"SD {sd} and MID {mid}: the SD must be > 0 and the MID not 0")
        per_group = 2 * z2 * sd**2 / mid**2
    else:
        raise ValidationError("The OIS needs a control risk, or an SD and an MID.")
    return 2 * math.ceil(per_group - 1e-9)


def control_risk(studies: Sequence[StudyEvidence]) -> float | None:
    """The median control-group risk of the studies that report their comparator arm."""
    risks = [
        s.control_events / s.control_total
        for s in studies
        if s.control_events is not None and s.control_total
    ]
    return statistics.median(risks) if risks else None


def median_sd(studies: Sequence[StudyEvidence]) -> float | None:
    """The median of the studies' comparator and intervention SDs (None when none is known)."""
    sds = [sd for s in studies for sd in (s.control_sd, s.intervention_sd) if sd and sd > 0]
    return statistics.median(sds) if sds else None


@dataclass(frozen=True, slots=True)
class InformationSize:
    """An OIS and the words saying what it was computed from."""

    total: int
    basis: str


def information_size(evidence: OutcomeEvidence, limits: Thresholds) -> InformationSize | str:
    """The OIS for this outcome, or the sentence saying what is missing to compute it."""
    measure = limits.measure
    if measure is EffectMeasure.SMD:
        delta = abs((limits.benefit or 0.0) - limits.null)
        return InformationSize(
            optimal_information_size(sd=1.0, mid=delta),
            f"an SMD of {number(delta)}, alpha 0.05, power 80 %",
        )
    if measure is EffectMeasure.MD:
        sd = median_sd(evidence.studies)
        if sd is None or evidence.mid is None:
            return "the OIS needs the studies' SDs and the protocol's MID"
        return InformationSize(
            optimal_information_size(sd=sd, mid=evidence.mid),
            f"MID {number(evidence.mid)}, SD {number(sd)} (median of the studies' arm SDs), "
            "alpha 0.05, power 80 %",
        )
    risk = control_risk(evidence.studies)
    change = limits.relative_change or RELATIVE_CHANGE
    if risk is None or not 0 < risk < 1:
        return "the OIS needs the control-group risk (events and totals of the comparator arms)"
    return InformationSize(
        optimal_information_size(control_risk=risk, relative_change=change),
        f"control risk {percent(100 * risk)} (median of the studies), relative risk reduction "
        f"{percent(100 * change)}, alpha 0.05, power 80 %",
    )


# --- thresholds -----------------------------------------------------------------------------


def relative_mid(evidence: OutcomeEvidence) -> float | None:
    """The protocol's MID as a relative change when its unit is a percentage (20 with unit
    "% relative risk reduction" -> 0.20), else None."""
    if evidence.mid is None or "%" not in evidence.mid_unit:
        return None
    change = evidence.mid / 100
    return change if 0 < change < 1 else None


def thresholds(evidence: OutcomeEvidence, measure: EffectMeasure) -> Thresholds:
    """The null and the thresholds of appreciable benefit and harm for ``measure`` (rules in the
    module docstring); benefit lies below the null when lower is better."""
    lower = evidence.direction == "lower_is_better"
    if measure.is_ratio:
        change = relative_mid(evidence) or RELATIVE_CHANGE
        down, up = math.log(1 - change), math.log(1 + change)
        return _oriented(measure, 0.0, down, up, lower, _ratio_source(evidence, change), change)
    delta, source = _absolute_delta(evidence, measure)
    if delta is None:
        return Thresholds(measure, 0.0, None, None, source)
    return _oriented(measure, 0.0, -delta, delta, lower, source, None)


def _ratio_source(evidence: OutcomeEvidence, change: float) -> str:
    if relative_mid(evidence) is not None:
        return f"the protocol's MID ({percent(100 * change)} relative change)"
    source = f"a relative change of {percent(100 * change)} (GRADE guidance 6)"
    if evidence.mid is not None:
        unit = f" {evidence.mid_unit}" if evidence.mid_unit else ""
        source += f"; the protocol's MID ({number(evidence.mid)}{unit}) is not a relative change"
    return source


def _oriented(
    measure: EffectMeasure,
    null: float,
    below: float,
    above: float,
    lower_is_better: bool,
    source: str,
    change: float | None,
) -> Thresholds:
    benefit, harm = (below, above) if lower_is_better else (above, below)
    return Thresholds(measure, null, benefit, harm, source, change)


def _absolute_delta(evidence: OutcomeEvidence, measure: EffectMeasure) -> tuple[float | None, str]:
    """The threshold's distance from the null for MD, SMD and RD, and where it comes from."""
    if measure is EffectMeasure.MD:
        if evidence.mid is None:
            return None, "the protocol sets no MID for this outcome"
        unit = f" {evidence.mid_unit}" if evidence.mid_unit else ""
        return evidence.mid, f"the protocol's MID ({number(evidence.mid)}{unit})"
    if measure is EffectMeasure.SMD:
        sd = median_sd(evidence.studies)
        if evidence.mid is not None and sd is not None and relative_mid(evidence) is None:
            return evidence.mid / sd, (
                f"the protocol's MID ({number(evidence.mid)}) divided by the studies' median SD "
                f"({number(sd)})"
            )
        return SMD_SMALL, f"a small effect, SMD {SMD_SMALL} (Cohen 1988)"
    risk = control_risk(evidence.studies)
    if risk is None or risk <= 0:
        return None, "a risk difference needs a control-group risk above 0 to set thresholds"
    change = relative_mid(evidence) or RELATIVE_CHANGE
    return change * risk, (
        f"{percent(100 * change)} of the median control-group risk ({percent(100 * risk)})"
    )


# --- the suggestion -------------------------------------------------------------------------


def _crosses(pooled: PooledEvidence, value: float | None) -> bool:
    return value is not None and pooled.ci_low < value < pooled.ci_high


def _ci_position(pooled: PooledEvidence, limits: Thresholds) -> list[str]:
    """What the CI crosses, in words."""
    crossed = []
    if _crosses(pooled, limits.null):
        crossed.append("the null")
    if _crosses(pooled, limits.benefit):
        crossed.append("the threshold of appreciable benefit")
    if _crosses(pooled, limits.harm):
        crossed.append("the threshold of appreciable harm")
    return crossed


def _both_appreciable(pooled: PooledEvidence, limits: Thresholds) -> bool:
    ends = (pooled.ci_low, pooled.ci_high)
    return any(limits.beyond_benefit(v) for v in ends) and any(limits.beyond_harm(v) for v in ends)


def _participants_text(evidence: OutcomeEvidence) -> str:
    n = evidence.participants
    people = "participants not known" if n is None else f"{n:,} participants"
    return f"{people} in {studies_count(len(evidence.studies))}"


def suggest_imprecision(evidence: OutcomeEvidence) -> Suggestion:
    """The imprecision domain's suggestion (rules in the module docstring)."""
    pooled = evidence.pooled
    if pooled is None:
        return _no_estimate(evidence)
    limits = thresholds(evidence, pooled.measure)
    facts = [
        Fact(
            "Effect (95 % CI)",
            effect(pooled.measure, pooled.estimate, pooled.ci_low, pooled.ci_high),
        ),
        Fact("Thresholds", f"{limits.shown()}: {limits.source}"),
    ]
    crossed = _ci_position(pooled, limits)
    facts.append(Fact("The CI crosses", names_or_nothing(crossed)))
    if limits.known and _both_appreciable(pooled, limits):
        return _suggestion(
            Rating.VERY_SERIOUS,
            facts,
            "the 95 % CI includes both an appreciable benefit and an appreciable harm",
            "Downgraded two levels: the 95 % CI includes both an appreciable benefit and an "
            f"appreciable harm ({limits.shown()}).",
        )
    if crossed:
        return _serious_crossing(evidence, facts, crossed, limits)
    if not limits.known:
        return _suggestion(
            None,
            facts,
            f"the CI excludes the null, but {limits.source}",
            "",
            (
                "Set the outcome's MID in the protocol, or judge whether the CI includes effects "
                "too small to matter.",
            ),
        )
    return _against_ois(evidence, facts, limits)


def names_or_nothing(items: Sequence[str]) -> str:
    return names(items) if items else "neither the null nor a threshold"


def _serious_crossing(
    evidence: OutcomeEvidence, facts: list[Fact], crossed: list[str], limits: Thresholds
) -> Suggestion:
    prompts = (
        ()
        if limits.known
        else (
            f"No thresholds ({limits.source}): if the CI also includes an appreciable "
            "benefit and an appreciable harm, rate down two levels.",
        )
    )
    return _suggestion(
        Rating.SERIOUS,
        facts,
        f"the 95 % CI crosses {names(crossed)}",
        f"Downgraded one level: the 95 % CI crosses {names(crossed)} "
        f"({_participants_text(evidence)}).",
        prompts,
    )


def _against_ois(evidence: OutcomeEvidence, facts: list[Fact], limits: Thresholds) -> Suggestion:
    size = information_size(evidence, limits)
    participants = evidence.participants
    if isinstance(size, str) or participants is None:
        missing = size if isinstance(size, str) else "the number of participants is not known"
        return _suggestion(
            None,
            facts,
            f"the CI crosses no threshold; the OIS cannot be checked: {missing}",
            "",
            ("Judge whether the studies hold enough participants and events.",),
        )
    facts.append(Fact("Participants vs OIS", f"{participants:,} vs {size.total:,} ({size.basis})"))
    if participants < size.total:
        return _suggestion(
            Rating.SERIOUS,
            facts,
            "the CI crosses no threshold, but the participants are fewer than the OIS",
            f"Downgraded one level: {participants:,} participants, fewer than the optimal "
            f"information size of {size.total:,} ({size.basis}).",
            (
                "When the participants are far fewer than the OIS, consider rating down two levels "
                "(GRADE guidance 34).",
            ),
        )
    return _suggestion(
        Rating.NOT_SERIOUS,
        facts,
        "the CI crosses neither the null nor a threshold, and the participants reach the OIS",
        "",
    )


def _no_estimate(evidence: OutcomeEvidence) -> Suggestion:
    return _suggestion(
        Rating.VERY_SERIOUS,
        [Fact("Participants", _participants_text(evidence))],
        "no estimate with a confidence interval",
        "Downgraded two levels: no estimate with a confidence interval "
        f"({_participants_text(evidence)}).",
    )


def _suggestion(
    rating: Rating | None,
    facts: Sequence[Fact],
    rule: str,
    footnote: str,
    prompts: Sequence[str] = (),
) -> Suggestion:
    return suggestion(
        GradeDomain.IMPRECISION,
        rating,
        facts,
        rule=rule,
        source=_GUIDANCE,
        footnote=footnote,
        prompts=prompts,
    )
