"""Inconsistency: how much the studies' results differ, and the suggestion for the domain.

Facts: I² with its 95 % CI, tau², the prediction interval against the null and the MID, and the
studies' point estimates on either side of the null (GRADE guidance 7, Guyatt et al., J Clin
Epidemiol 2011;64:1294-1302: variation in point estimates, overlap of CIs, I², and whether the
differences matter for a decision).

- I²'s CI from tau²'s Q-profile CI as metafor's ``confint.rma.uni`` computes it:
  I² = 100 tau² / (tau² + s²), s² the typical within-study variance (k - 1) Σw / ((Σw)² - Σw²),
  w = 1/v (Higgins & Thompson, Stat Med 2002;21:1539-1558, eq. 9).
- Rule: one study -> not serious (not applicable). SERIOUS when I² >= 50 % ("may represent
  substantial heterogeneity", Cochrane Handbook 10.10.2) and the point estimates lie on both
  sides of the null, or the prediction interval includes the null while the CI excludes it
  (some settings may see no effect). VERY SERIOUS when I² >= 75 % ("considerable", Cochrane
  Handbook 10.10.2), the estimates lie on both sides of the null and the prediction interval
  reaches both an appreciable benefit and an appreciable harm (the MID either way). Without a
  pooled result but with two or more study estimates: their sides of the null only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from review_app.domain.grade.facts import interval, names, natural, number, percent, suggestion
from review_app.domain.grade.imprecision import Thresholds, thresholds
from review_app.domain.grade.model import (
    Fact,
    GradeDomain,
    OutcomeEvidence,
    PooledEvidence,
    Rating,
    Suggestion,
)
from review_app.domain.meta.tau2 import q_statistic, typical_variance
from review_app.errors import ValidationError

I2_SUBSTANTIAL = 50.0  # Cochrane Handbook 10.10.2: 50-90 % may represent substantial
I2_CONSIDERABLE = 75.0  # Cochrane Handbook 10.10.2: 75-100 % considerable heterogeneity
_GUIDANCE = "GRADE guidance 7; Cochrane Handbook 10.10.2"


def i2_interval(
    tau2_low: float, tau2_high: float, variances: Sequence[float]
) -> tuple[float, float]:
    """I²'s CI (percent) from tau²'s CI and the studies' sampling variances (formula in the
    module docstring; metafor ``confint.rma.uni``)."""
    v = np.asarray(variances, dtype=float)
    if len(v) < 2 or not np.all(np.isfinite(v)) or np.any(v <= 0):
        raise ValidationError("I²'s CI needs two or more studies, each with a variance above 0.")
    s2 = typical_variance(v)
    return 100 * tau2_low / (tau2_low + s2), 100 * tau2_high / (tau2_high + s2)


@dataclass(frozen=True, slots=True)
class Sides:
    """How many study estimates lie below and above the null."""

    below: int
    above: int

    @property
    def both(self) -> bool:
        return self.below > 0 and self.above > 0

    def shown(self) -> str:
        return f"{self.below} below and {self.above} above the null"


def _estimates(evidence: OutcomeEvidence) -> list[float]:
    return [s.yi for s in evidence.studies if s.yi is not None]


def _sides(evidence: OutcomeEvidence, null: float = 0.0) -> Sides:
    ys = _estimates(evidence)
    return Sides(sum(y < null for y in ys), sum(y > null for y in ys))


def _i2(evidence: OutcomeEvidence, pooled: PooledEvidence) -> float | None:
    """The analysis's I², or Higgins & Thompson's (Q - df) / Q from the studies' estimates."""
    if pooled.i2 is not None:
        return pooled.i2
    pairs = [(s.yi, s.vi) for s in evidence.studies if s.yi is not None and s.vi]
    if len(pairs) < 2:
        return None
    q = q_statistic(np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]))
    df = len(pairs) - 1
    return max(0.0, 100 * (q - df) / q) if q > 0 else 0.0


def _i2_fact(evidence: OutcomeEvidence, pooled: PooledEvidence, i2: float) -> Fact:
    variances = [s.vi for s in evidence.studies if s.vi is not None and s.vi > 0]
    low, high = pooled.tau2_ci_low, pooled.tau2_ci_high
    if low is None or high is None or len(variances) < 2:
        return Fact("I²", percent(i2))
    i2_low, i2_high = i2_interval(low, high, variances)
    return Fact("I² (95 % CI)", f"{percent(i2)} ({percent(i2_low)} to {percent(i2_high)})")


def _pi_reaches_both(pooled: PooledEvidence, limits: Thresholds) -> bool:
    if pooled.pi_low is None or pooled.pi_high is None or not limits.known:
        return False
    ends = (pooled.pi_low, pooled.pi_high)
    return any(limits.beyond_benefit(v) for v in ends) and any(limits.beyond_harm(v) for v in ends)


def _pi_includes_null_ci_excludes(pooled: PooledEvidence, null: float) -> bool:
    if pooled.pi_low is None or pooled.pi_high is None:
        return False
    ci_excludes = not pooled.ci_low <= null <= pooled.ci_high
    return ci_excludes and pooled.pi_low <= null <= pooled.pi_high


def _pooled_facts(
    evidence: OutcomeEvidence, pooled: PooledEvidence, i2: float, limits: Thresholds
) -> list[Fact]:
    facts = [_i2_fact(evidence, pooled, i2)]
    if pooled.tau2 is not None:
        facts.append(Fact("tau²", number(pooled.tau2)))
    if pooled.pi_low is not None and pooled.pi_high is not None:
        low = natural(pooled.measure, pooled.pi_low)
        high = natural(pooled.measure, pooled.pi_high)
        facts.append(Fact("95 % prediction interval", f"{pooled.measure} {interval(low, high)}"))
        facts.append(
            Fact("Prediction interval against the null and MID", _pi_words(pooled, limits))
        )
    if _estimates(evidence):
        facts.append(Fact("Study estimates", _sides(evidence, limits.null).shown()))
    return facts


def _pi_words(pooled: PooledEvidence, limits: Thresholds) -> str:
    assert pooled.pi_low is not None and pooled.pi_high is not None
    ends = (pooled.pi_low, pooled.pi_high)
    said = ["includes the null" if ends[0] <= limits.null <= ends[1] else "excludes the null"]
    if limits.known:
        reaches = [
            what
            for what, hit in (
                ("an appreciable benefit", any(limits.beyond_benefit(v) for v in ends)),
                ("an appreciable harm", any(limits.beyond_harm(v) for v in ends)),
            )
            if hit
        ]
        said.append(f"reaches {names(reaches)}" if reaches else "reaches neither MID")
        said.append(f"({limits.shown()})")
    return " ".join([", ".join(said[:2]), *said[2:]])


def suggest_inconsistency(evidence: OutcomeEvidence) -> Suggestion:
    """The inconsistency domain's suggestion (rules in the module docstring)."""
    pooled = evidence.pooled
    k = pooled.k if pooled is not None else len(evidence.studies)
    if k < 2:
        return _suggestion(
            Rating.NOT_SERIOUS,
            [Fact("Studies", str(k))],
            "one study: inconsistency is not applicable",
            "",
        )
    if pooled is None:
        return _sides_only(evidence)
    limits = thresholds(evidence, pooled.measure)
    i2 = _i2(evidence, pooled)
    if i2 is None:
        return _sides_only(evidence)
    facts = _pooled_facts(evidence, pooled, i2, limits)
    return _rate_pooled(evidence, pooled, i2, limits, facts)


def _rate_pooled(
    evidence: OutcomeEvidence,
    pooled: PooledEvidence,
    i2: float,
    limits: Thresholds,
    facts: list[Fact],
) -> Suggestion:
    sides = _sides(evidence, limits.null)
    if i2 >= I2_CONSIDERABLE and sides.both and _pi_reaches_both(pooled, limits):
        return _suggestion(
            Rating.VERY_SERIOUS,
            facts,
            "I² ≥ 75 %, estimates on both sides of the null and a prediction interval reaching "
            "both an appreciable benefit and an appreciable harm",
            f"Downgraded two levels: I² {percent(i2)}, the studies' estimates lie on both sides "
            "of the null and the prediction interval includes both an appreciable benefit and "
            "an appreciable harm.",
        )
    if i2 >= I2_SUBSTANTIAL and sides.both:
        return _suggestion(
            Rating.SERIOUS,
            facts,
            "I² ≥ 50 % and estimates on both sides of the null",
            f"Downgraded one level: I² {percent(i2)} and the studies' estimates lie on both "
            f"sides of the null ({sides.shown()}).",
        )
    if i2 >= I2_SUBSTANTIAL and _pi_includes_null_ci_excludes(pooled, limits.null):
        return _suggestion(
            Rating.SERIOUS,
            facts,
            "I² ≥ 50 % and the prediction interval includes the null while the CI excludes it",
            f"Downgraded one level: I² {percent(i2)}; the prediction interval includes no effect "
            "although the pooled CI excludes it.",
        )
    reason = "I² < 50 %" if i2 < I2_SUBSTANTIAL else "I² ≥ 50 % but the studies agree in direction"
    return _suggestion(Rating.NOT_SERIOUS, facts, reason, "")


def _sides_only(evidence: OutcomeEvidence) -> Suggestion:
    """Without a pooled result: the sides of the null the study estimates lie on."""
    if len(_estimates(evidence)) < 2:
        return _suggestion(
            None,
            [Fact("Studies", str(len(evidence.studies)))],
            "no pooled result and fewer than two study estimates",
            "",
            (
                "Compare the studies' results in the narrative synthesis: do they point the same "
                "way, and do differences in population or intervention explain any variation?",
            ),
        )
    sides = _sides(evidence)
    facts = [Fact("Study estimates", sides.shown())]
    if sides.both:
        return _suggestion(
            Rating.SERIOUS,
            facts,
            "no pooled result; the study estimates lie on both sides of the null",
            f"Downgraded one level: the studies' estimates lie on both sides of the null "
            f"({sides.shown()}).",
            ("Judge whether the differences are large enough to matter.",),
        )
    return _suggestion(
        Rating.NOT_SERIOUS, facts, "no pooled result; the study estimates point the same way", ""
    )


def _suggestion(
    rating: Rating | None,
    facts: Sequence[Fact],
    rule: str,
    footnote: str,
    prompts: Sequence[str] = (),
) -> Suggestion:
    return suggestion(
        GradeDomain.INCONSISTENCY,
        rating,
        facts,
        rule=rule,
        source=_GUIDANCE,
        footnote=footnote,
        prompts=prompts,
    )
