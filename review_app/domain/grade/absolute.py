"""The effects a Summary-of-Findings row shows: the pooled relative effect on its natural scale,
the anticipated absolute effects per 1,000 for each comparator risk, and a continuous outcome's
mean difference beside the comparator mean.

GRADE presents a binary outcome's pooled relative effect applied to a comparator risk ("risk with
the comparator", "risk with the intervention") because relative effects are more consistent
across baseline risks than absolute ones (Guyatt et al., GRADE guidelines 12, J Clin Epidemiol
2013;66:158-172; Cochrane Handbook 5.1, 11.5.5). The comparator risk is the study population's
(the median control-group risk of the included studies) or risks entered with their source
(low / moderate / high, from observational data). The absolute effects always come from the
relative effect and its CI; a risk difference is used only when the analysis itself pooled the
risk difference (issue 16: "never from the risk difference analysis unless chosen").

Continuous outcomes show the comparator group's mean and the pooled mean difference in natural
units (Guyatt et al., GRADE guidelines 13, J Clin Epidemiol 2013;66:173-183).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from statistics import median

from review_app.domain.grade.model import (
    AbsoluteEffect,
    BaselineRisk,
    ContinuousEffect,
    OutcomeEvidence,
    PooledEvidence,
    RelativeEffect,
)
from review_app.domain.vocabulary import EffectMeasure
from review_app.errors import ValidationError

PER = 1000.0  # GRADEpro shows absolute effects per 1,000 people (GRADE guidelines 12)
STUDY_POPULATION = "Study population"  # GRADEpro's label for the studies' own comparator risk

# The measures whose comparator mean is meaningful in natural units: an SMD pools studies on
# different instruments, whose means cannot be averaged (GRADE guidelines 13, section 3).
_NATURAL_UNITS = (EffectMeasure.MD,)
_CONTINUOUS = (EffectMeasure.MD, EffectMeasure.SMD)


def study_population_risk(evidence: OutcomeEvidence) -> BaselineRisk | None:
    """The median control-group risk of the studies with comparator-arm events and totals,
    per 1,000 (the assumed risk of Cochrane Handbook 5.1, 11.5.6.3, when one risk is shown;
    GRADEpro's "Study population"), or None when no study gives them (continuous outcomes,
    narrative syntheses without arm counts)."""
    risks = [
        _control_risk(s.study, s.control_events, s.control_total)
        for s in evidence.studies
        if s.control_events is not None and s.control_total
    ]
    if not risks:
        return None
    studies = "1 study" if len(risks) == 1 else f"{len(risks)} studies"
    return BaselineRisk(
        label=STUDY_POPULATION,
        per_1000=median(risks) * PER,
        source=f"median control-group risk of {studies}",
    )


def _control_risk(study: str, events: float, total: float) -> float:
    if not 0 <= events <= total:
        raise ValidationError(
            f"study {study!r}: {events:g} events among {total:g} in the comparator arm;"
            " events are 0 up to the arm's total"
        )
    return events / total


def relative_effect(pooled: PooledEvidence | None) -> RelativeEffect | None:
    """The pooled ratio on its natural scale (the analysis pools log ratios, Cochrane Handbook
    6.3.1), or None for MD, SMD and RD, which have no relative effect to show."""
    if pooled is None or not pooled.measure.is_ratio:
        return None
    return RelativeEffect(
        measure=pooled.measure,
        estimate=math.exp(pooled.estimate),
        ci_low=math.exp(pooled.ci_low),
        ci_high=math.exp(pooled.ci_high),
    )


def risk_difference(pooled: PooledEvidence | None) -> RelativeEffect | None:
    """The pooled risk difference (a proportion, intervention minus comparator) when the
    analysis chose RD, for :func:`absolute_effects`; None for every other measure."""
    if pooled is None or pooled.measure is not EffectMeasure.RD:
        return None
    return RelativeEffect(EffectMeasure.RD, pooled.estimate, pooled.ci_low, pooled.ci_high)


def intervention_risk(measure: EffectMeasure, effect: float, comparator: float) -> float:
    """The risk with the intervention (a proportion) from the comparator risk (ACR) and one
    value of the effect, capped to 0..1.

    RR and IRR: ACR x RR (Cochrane Handbook 5.1, 12.5.4.2); OR: ACR x OR / (1 - ACR + ACR x OR)
    (12.5.4.3); HR: 1 - (1 - ACR)^HR, the event risk at the comparator's time point under
    proportional hazards (Skoetz et al., GRADE guidelines 27, J Clin Epidemiol 2020;118:124-131);
    RD: ACR + RD. A ratio applied to a high comparator risk can pass 1 (RR 2 on 600 per 1,000):
    no risk exceeds 1,000 per 1,000, so the result is capped.
    """
    risk = _RISK_WITH[measure](effect, comparator)
    return min(1.0, max(0.0, risk))


def _odds_ratio_risk(odds_ratio: float, acr: float) -> float:
    denominator = 1.0 - acr + acr * odds_ratio
    return acr * odds_ratio / denominator if denominator > 0 else 1.0


_RISK_WITH: dict[EffectMeasure, Callable[[float, float], float]] = {
    EffectMeasure.RR: lambda rr, acr: acr * rr,
    EffectMeasure.IRR: lambda rr, acr: acr * rr,
    EffectMeasure.OR: _odds_ratio_risk,
    EffectMeasure.HR: lambda hr, acr: 1.0 - (1.0 - acr) ** hr,
    EffectMeasure.RD: lambda rd, acr: acr + rd,
}


def absolute_effects(
    effect: RelativeEffect, baselines: Iterable[BaselineRisk]
) -> tuple[AbsoluteEffect, ...]:
    """The anticipated absolute effects per 1,000 for each comparator risk: the risk with the
    intervention from the effect's estimate, its 95 % CI from the effect's CI limits (each
    formula rises with the effect, so the limits keep their order), and the difference
    (intervention minus comparator) with its CI (GRADE guidelines 12; Cochrane Handbook 5.1,
    11.5.5). ``effect`` is a ratio on its natural scale, or the pooled RD when RD was chosen."""
    _check_effect(effect)
    return tuple(_absolute_effect(effect, _checked(baseline)) for baseline in baselines)


def _absolute_effect(effect: RelativeEffect, baseline: BaselineRisk) -> AbsoluteEffect:
    acr = baseline.per_1000 / PER
    point, low, high = (
        intervention_risk(effect.measure, value, acr) * PER
        for value in (effect.estimate, effect.ci_low, effect.ci_high)
    )
    low, high = min(low, high), max(low, high)
    return AbsoluteEffect(
        baseline=baseline,
        intervention_per_1000=point,
        intervention_ci_low=low,
        intervention_ci_high=high,
        difference_per_1000=point - baseline.per_1000,
        difference_ci_low=low - baseline.per_1000,
        difference_ci_high=high - baseline.per_1000,
    )


def _check_effect(effect: RelativeEffect) -> None:
    if effect.measure not in _RISK_WITH:
        allowed = ", ".join(_RISK_WITH)
        raise ValidationError(
            f"absolute effects per 1,000 come from {allowed}, not {effect.measure.value}"
        )
    values = (effect.estimate, effect.ci_low, effect.ci_high)
    if not all(math.isfinite(v) for v in values):
        raise ValidationError(f"the pooled {effect.measure.value} and its CI must be numbers")
    if effect.measure.is_ratio and min(values) < 0:
        raise ValidationError(f"a {effect.measure.label.lower()} cannot be below 0")


def _checked(baseline: BaselineRisk) -> BaselineRisk:
    if not (math.isfinite(baseline.per_1000) and 0 <= baseline.per_1000 <= PER):
        raise ValidationError(
            f"comparator risk {baseline.label!r}: {baseline.per_1000} per 1,000 is not allowed;"
            " a risk is 0 to 1,000 per 1,000"
        )
    return baseline


def continuous_effect(evidence: OutcomeEvidence) -> ContinuousEffect | None:
    """A continuous outcome's pooled mean difference (or SMD) with its CI, and, for an MD, the
    comparator mean as the median of the studies' comparator-arm means in the outcome's unit
    (GRADE guidelines 13: the SoF shows the control group's mean and the difference in natural
    units). None without a pooled MD or SMD."""
    pooled = evidence.pooled
    if pooled is None or pooled.measure not in _CONTINUOUS:
        return None
    natural = pooled.measure in _NATURAL_UNITS
    means = [s.control_mean for s in evidence.studies if s.control_mean is not None]
    return ContinuousEffect(
        measure=pooled.measure,
        difference=pooled.estimate,
        ci_low=pooled.ci_low,
        ci_high=pooled.ci_high,
        comparator_mean=median(means) if natural and means else None,
        unit=evidence.unit if natural else "",
    )
