"""Analyses beyond the main pooled result: subgroups with the test for subgroup differences,
leave-one-out, Egger's regression test for small-study effects, and a sensitivity analysis that
leaves studies out by a stated rule. Each re-runs the same analysis (``pooling.analyse``) on a
part of the studies, so every method (inverse variance, Mantel-Haenszel, Peto; HKSJ) carries over.

- Test for subgroup differences as RevMan (Deeks JJ, Higgins JPT, Altman DG. Cochrane Handbook
  10.11.3.1; Borenstein M et al. Introduction to meta-analysis, 2009, ch. 19): each subgroup is
  pooled on its own (random effects with its own tau-squared), then its estimate is treated as one
  study in a fixed-effect inverse-variance meta-analysis: Q_between = sum w_j (theta_j -
  theta_bar)^2, w_j = 1 / SE_j^2, df = subgroups - 1, I2 = max(0, (Q - df) / Q); with
  Hartung-Knapp the SE_j are the adjusted ones. With an inverse-variance fixed-effect model this Q
  equals metafor's QM of ``rma(yi, vi, mods = ~ factor(group), method = "EE")`` (Q_total minus
  the subgroups' Q); with random effects it is metafor's QE of ``rma(theta_j, SE_j^2,
  method = "EE")``, not a mixed-effects QM (which would share one tau-squared).
- Leave-one-out: metafor ``leave1out``, the analysis again without each study in turn.
- Egger's test: metafor ``regtest(model = "lm")`` (Egger M et al. BMJ 1997;315:629-634), the
  weighted least squares regression yi = b0 + b1 sei with weights 1/vi and a multiplicative
  dispersion; b1 (Egger's intercept of the standardised form) is tested with t on k - 2 df and
  b0 is the estimate at SE = 0 (the "limit estimate"). Only with at least 10 studies: with fewer
  the test is too weak to tell chance from asymmetry (Cochrane Handbook 13.3.5.4).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np

from review_app.domain.meta.effects import AddTo, effect_sizes
from review_app.domain.meta.errors import MetaError
from review_app.domain.meta.model import (
    Analysis,
    EffectSize,
    Method,
    Pooled,
    PredictionRule,
    StudyData,
    Test,
)
from review_app.domain.meta.pooling import analyse
from review_app.domain.vocabulary import EffectMeasure

EGGER_MIN_STUDIES = 10  # Cochrane Handbook 13.3.5.4


@dataclass(frozen=True, slots=True)
class AnalysisChoices:
    """How every part is analysed: the main analysis's choices, applied again."""

    measure: EffectMeasure
    method: Method = Method.REML
    test: Test = Test.Z
    level: float = 0.95
    prediction: PredictionRule = PredictionRule.METAFOR
    add: float = 0.5  # zero cells: escalc's add, to and drop00 (pooling.analyse's defaults)
    to: AddTo | str = AddTo.ONLY0
    drop00: bool = True


@dataclass(frozen=True, slots=True)
class Subgroup:
    """One subgroup's own analysis (its studies, effect sizes, who was left out, pooled result)."""

    name: str
    analysis: Analysis


@dataclass(frozen=True, slots=True)
class SubgroupDifference:
    """The test for subgroup differences: Q between the subgroups' estimates, its df and p, and
    the I-squared of that Q (RevMan's "Test for subgroup differences")."""

    q: float
    df: int
    p: float
    i2: float


@dataclass(frozen=True, slots=True)
class SubgroupResult:
    """Every subgroup in the order first met in the data; ``difference`` is None when fewer than
    two subgroups have a pooled result (``notes`` says so)."""

    subgroups: tuple[Subgroup, ...]
    difference: SubgroupDifference | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LeftOut:
    """The analysis without ``study`` (one row of metafor's ``leave1out``); ``pooled`` is None,
    and ``note`` says why, when the other studies cannot be pooled (metafor's NA row)."""

    study: str
    pooled: Pooled | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class EggerResult:
    """Egger's regression test, field for field as metafor ``regtest(model="lm")``: ``statistic``
    (its ``zval``, a t), ``df`` (``dfs``), ``pval``; ``bias`` and ``bias_se`` the coefficient of
    the SE and its SE; ``limit_estimate`` (``est``) with its CI (``ci.lb``, ``ci.ub``)."""

    k: int
    bias: float
    bias_se: float
    statistic: float
    df: int
    pval: float
    limit_estimate: float
    limit_ci_low: float
    limit_ci_high: float
    level: float = 0.95


@dataclass(frozen=True, slots=True)
class NotApplicable:
    """A statistic that was not computed, and the sentence saying why."""

    reason: str


@dataclass(frozen=True, slots=True)
class Sensitivity:
    """The analysis without the studies a rule excludes, and a sentence saying which and why."""

    rule: str
    excluded: tuple[str, ...]
    analysis: Analysis
    sentence: str


def subgroups(
    data: Sequence[StudyData], groups: Mapping[str, str], choices: AnalysisChoices
) -> SubgroupResult:
    """Each subgroup (``groups``: study name -> subgroup) analysed on its own, and the test for
    subgroup differences between their estimates. A subgroup that cannot be pooled (say MH risk
    ratio without an event in one arm) is kept without a result and a note, as RevMan's "Not
    estimable" subtotal; when no subgroup can be pooled the first error is raised."""
    missing = [d.study for d in data if d.study not in groups]
    if missing:
        verb = "has" if len(missing) == 1 else "have"
        raise MetaError(f"Every study needs a subgroup; {_names(missing)} {verb} none.")
    split: dict[str, list[StudyData]] = {}
    for d in data:
        split.setdefault(groups[d.study], []).append(d)
    outcomes = {name: _try_analyse(part, choices) for name, part in split.items()}
    errors = [outcome for outcome in outcomes.values() if isinstance(outcome, MetaError)]
    if len(errors) == len(outcomes):
        raise errors[0]
    parts = tuple(
        Subgroup(name, _not_estimable(split[name], outcome, choices))
        if isinstance(outcome, MetaError)
        else Subgroup(name, outcome)
        for name, outcome in outcomes.items()
    )
    pooled = [part.analysis.pooled for part in parts if part.analysis.pooled is not None]
    notes = tuple(
        f"Subgroup {part.name!r} has no pooled result."
        for part in parts
        if part.analysis.pooled is None
    )
    if len(pooled) < 2:
        note = "The test for subgroup differences needs two or more subgroups with a pooled result."
        return SubgroupResult(parts, None, (*notes, note))
    return SubgroupResult(parts, subgroup_difference(pooled), notes)


def _not_estimable(
    part: Sequence[StudyData], error: MetaError, choices: AnalysisChoices
) -> Analysis:
    """A subgroup's studies and effect sizes without a pooled result, the error as its note."""
    effects, dropped = effect_sizes(
        part, choices.measure, add=choices.add, to=choices.to, drop00=choices.drop00
    )
    return Analysis(
        measure=choices.measure,
        method=choices.method,
        test=choices.test,
        data=tuple(part),
        effects=effects,
        pooled=None,
        dropped=dropped,
        notes=(f"Not estimable: {error}",),
    )


def subgroup_difference(pooled: Sequence[Pooled]) -> SubgroupDifference:
    """Q between subgroup estimates: a fixed-effect inverse-variance Q of the estimates (RevMan)."""
    from scipy import stats

    estimates = np.array([p.estimate for p in pooled])
    weights = 1 / np.array([p.se for p in pooled]) ** 2
    mean = float((weights * estimates).sum() / weights.sum())
    q = float((weights * (estimates - mean) ** 2).sum())
    df = len(pooled) - 1
    i2 = max(0.0, 100 * (q - df) / q) if q > 0 else 0.0
    return SubgroupDifference(q=q, df=df, p=float(stats.chi2.sf(q, df)), i2=i2)


def leave_one_out(data: Sequence[StudyData], choices: AnalysisChoices) -> tuple[LeftOut, ...]:
    """The analysis again without each study in turn, one row per study in the order of
    ``data``."""
    if len(data) < 2:
        raise MetaError(f"Leave-one-out needs at least two studies; got {len(data)}.")
    rows = []
    for index, left in enumerate(data):
        outcome = _try_analyse([*data[:index], *data[index + 1 :]], choices)
        if isinstance(outcome, MetaError):
            rows.append(LeftOut(left.study, None, f"Not estimable: {outcome}"))
        else:
            rows.append(LeftOut(left.study, outcome.pooled, " ".join(outcome.notes)))
    return tuple(rows)


def egger(
    effects: Sequence[EffectSize], *, level: float = 0.95, min_studies: int = EGGER_MIN_STUDIES
) -> EggerResult | NotApplicable:
    """Egger's regression test for funnel-plot asymmetry (metafor ``regtest(model="lm")``), or
    why it was not run."""
    from scipy import stats

    k = len(effects)
    if k < max(min_studies, 3):
        return NotApplicable(
            f"Egger's test is not run with {k} {'study' if k == 1 else 'studies'}: it needs at "
            f"least {max(min_studies, 3)} to tell asymmetry from chance (Cochrane Handbook "
            "13.3.5.4)."
        )
    yi = np.array([e.yi for e in effects])
    sei = np.sqrt([e.vi for e in effects])
    if np.ptp(sei) == 0:
        return NotApplicable("Egger's test needs studies of unequal precision; all SEs are equal.")
    root_w = 1 / sei
    design = np.column_stack([np.ones(k), sei]) * root_w[:, None]
    response = yi * root_w
    coefficients, *_ = np.linalg.lstsq(design, response, rcond=None)
    residuals = response - design @ coefficients
    df = k - 2
    sigma2 = float(residuals @ residuals) / df
    # a fit exact to rounding (residuals ~1e-16 of the data) leaves t as noise over noise
    if float(residuals @ residuals) <= 1e-24 * float(response @ response):
        return NotApplicable(
            "Egger's test cannot be run: the effect sizes lie exactly on a line in their SEs "
            "(for example all equal), so the regression has no residual variance."
        )
    covariance = sigma2 * np.linalg.inv(design.T @ design)
    limit, bias = (float(c) for c in coefficients)
    limit_se, bias_se = (math.sqrt(float(v)) for v in np.diag(covariance))
    statistic = bias / bias_se
    t_crit = float(stats.t.ppf(0.5 + level / 2, df))
    return EggerResult(
        k=k,
        bias=bias,
        bias_se=bias_se,
        statistic=statistic,
        df=df,
        pval=float(2 * stats.t.sf(abs(statistic), df)),
        limit_estimate=limit,
        limit_ci_low=limit - t_crit * limit_se,
        limit_ci_high=limit + t_crit * limit_se,
        level=level,
    )


def sensitivity(
    data: Sequence[StudyData], choices: AnalysisChoices, *, exclude: AbstractSet[str], rule: str
) -> Sensitivity:
    """The analysis without the studies in ``exclude``, with a sentence naming them and ``rule``
    (e.g. "high risk of bias")."""
    if not rule.strip():
        raise MetaError("A sensitivity analysis needs its rule: say why the studies are excluded.")
    known = {d.study for d in data}
    unknown = sorted(exclude - known)
    if unknown:
        raise MetaError(f"Cannot exclude {_names(unknown)}: not among the analysis's studies.")
    kept = [d for d in data if d.study not in exclude]
    if not kept:
        raise MetaError(f"Excluding the studies by the rule ({rule}) leaves no study to pool.")
    excluded = tuple(d.study for d in data if d.study in exclude)
    count = f"{len(excluded)} {'study' if len(excluded) == 1 else 'studies'}"
    sentence = (
        f"Sensitivity analysis without {count} ({rule}): {_names(excluded)}."
        if excluded
        else f"Sensitivity analysis ({rule}): no study met the rule, so none was excluded."
    )
    return Sensitivity(rule, excluded, _analyse(kept, choices), sentence)


def _analyse(data: Sequence[StudyData], choices: AnalysisChoices) -> Analysis:
    return analyse(
        data,
        choices.measure,
        method=choices.method,
        test=choices.test,
        level=choices.level,
        prediction=choices.prediction,
        add=choices.add,
        to=choices.to,
        drop00=choices.drop00,
    )


def _try_analyse(data: Sequence[StudyData], choices: AnalysisChoices) -> Analysis | MetaError:
    try:
        return _analyse(data, choices)
    except MetaError as error:
        return error


def _names(studies: Sequence[str]) -> str:
    quoted = [repr(s) for s in studies]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
