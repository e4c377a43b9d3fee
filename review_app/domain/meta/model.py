"""The meta-analysis engine's plain data: what goes in (per-study data), what comes out (effect
sizes, a pooled result, a whole analysis), and the choices (method, test, prediction interval).

Every statistic is the one R metafor 3.8-1 gives (Viechtbauer W. Conducting meta-analyses in R
with the metafor package. J Stat Softw 2010;36(3)); the field names follow metafor's `rma` object
(``estimate`` = ``b``, ``ci_low`` = ``ci.lb``, ``q`` = ``QE``...), so a result can be checked
against it by name. Estimates of ratio measures are on the log scale (the analysis scale); the
``exp_*`` properties give them back on their own scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from review_app.domain.vocabulary import EffectMeasure, PredictionRule
from review_app.domain.vocabulary import PoolingMethod as Method  # the engine's short name

__all__ = ["Method", "PredictionRule"]  # re-exported: the vocabulary defines them


class Test(StrEnum):
    """How the pooled estimate is tested and its CI formed (metafor ``test=``)."""

    Z = "z"  # normal distribution
    KNHA = "knha"  # Hartung-Knapp-Sidik-Jonkman: t(k-1) with the adjusted SE


@dataclass(frozen=True, slots=True)
class Dichotomous:
    """One study's 2x2 table: events and totals in the intervention (t) and comparator (c) arm."""

    study: str
    events_t: float
    n_t: float
    events_c: float
    n_c: float


@dataclass(frozen=True, slots=True)
class Continuous:
    """One study's means, SDs and sizes in the intervention (t) and comparator (c) arm."""

    study: str
    mean_t: float
    sd_t: float
    n_t: float
    mean_c: float
    sd_c: float
    n_c: float


@dataclass(frozen=True, slots=True)
class Generic:
    """A study's effect already estimated (generic inverse variance): ``yi`` on the analysis
    scale (log for ratios) and its sampling variance ``vi``."""

    study: str
    yi: float
    vi: float


StudyData = Dichotomous | Continuous | Generic


@dataclass(frozen=True, slots=True)
class EffectSize:
    """One study's effect size on the analysis scale, as metafor's ``escalc`` gives it;
    ``corrected``: a continuity correction was added to its cells."""

    study: str
    yi: float
    vi: float
    corrected: bool = False

    @property
    def se(self) -> float:
        return math.sqrt(self.vi)


@dataclass(frozen=True, slots=True)
class Dropped:
    """A study left out of the pooling and the sentence saying why (e.g. no events in either arm
    for a ratio measure; a zero or missing variance)."""

    study: str
    reason: str


@dataclass(frozen=True, slots=True)
class Pooled:
    """One pooled result, field for field as metafor's ``rma`` object (None where metafor gives
    NA: no tau-squared for EE/MH/Peto, no prediction interval for them, no SE of tau-squared
    for estimators that have none).

    ``weights``: each study's share of the total weight in percent, in the order of the effect
    sizes pooled (metafor ``weights(fit)``); ``statistic``: z or t; ``df``: the t's degrees of
    freedom (None with z).
    """

    k: int
    measure: EffectMeasure
    method: Method
    test: Test
    estimate: float
    se: float
    statistic: float
    pval: float
    ci_low: float
    ci_high: float
    tau2: float | None
    se_tau2: float | None
    tau2_ci_low: float | None
    tau2_ci_high: float | None
    i2: float | None
    h2: float | None
    q: float
    q_df: int
    q_p: float
    pi_low: float | None
    pi_high: float | None
    weights: tuple[float, ...]
    df: float | None = None
    level: float = 0.95
    prediction_rule: PredictionRule = PredictionRule.METAFOR

    @property
    def exp_estimate(self) -> float:
        return math.exp(self.estimate)

    @property
    def exp_ci(self) -> tuple[float, float]:
        return math.exp(self.ci_low), math.exp(self.ci_high)


@dataclass(frozen=True, slots=True)
class Analysis:
    """A whole meta-analysis: the studies' data as entered, their effect sizes, who was left out
    and why, and the pooled result (None when fewer than one study remains)."""

    measure: EffectMeasure
    method: Method
    test: Test
    data: tuple[StudyData, ...]
    effects: tuple[EffectSize, ...]
    pooled: Pooled | None
    dropped: tuple[Dropped, ...] = ()
    notes: tuple[str, ...] = field(default=())
