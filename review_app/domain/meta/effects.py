"""Per-study effect sizes on the analysis scale, as R metafor 3.8-1 ``escalc`` computes them.

- RR, OR, RD from 2x2 tables (:class:`Dichotomous`); ratios on the log scale. Zero cells follow
  escalc's defaults ``add=1/2, to="only0"``: 1/2 is added to all four cells of a study with a zero
  cell, for RR, OR *and* RD (escalc treats the three alike). ``drop00`` (escalc's argument, on here
  by default, as RevMan does) leaves out, for RR and OR only, a study with no events in either arm
  or with every participant an event in both: its ratio is undefined (Cochrane Handbook 10.4.4.1).
  A risk difference stays defined there, so RD keeps such a study (escalc with ``drop00=FALSE``).
- MD and SMD from arm means and SDs (:class:`Continuous`). SMD is Hedges' g with the exact bias
  correction c(m) = Γ(m/2) / (√(m/2) Γ((m-1)/2)), m = n1 + n2 - 2 (Hedges 1981), and escalc's
  default large-sample variance (``vtype="LS"``): 1/n1 + 1/n2 + g²/(2(n1+n2)).
- Generic inverse variance (:class:`Generic`): ``yi`` and ``vi`` as given (any measure, HR and IRR
  only this way).

Bad input (events above the total, a negative count, an SD of zero...) raises :class:`MetaError`
naming the study and field; a study whose effect cannot be estimated is returned as
:class:`Dropped` with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from enum import StrEnum

from review_app.domain.meta.errors import MetaError
from review_app.domain.meta.model import (
    Continuous,
    Dichotomous,
    Dropped,
    EffectSize,
    Generic,
    StudyData,
)
from review_app.domain.vocabulary import EffectMeasure


class AddTo(StrEnum):
    """Which studies get the continuity correction (escalc's ``to=``)."""

    ALL = "all"  # every study
    ONLY0 = "only0"  # studies with a zero cell (metafor's and RevMan's default)
    IF0ALL = "if0all"  # every study, when any study has a zero cell
    NONE = "none"  # no correction


DICHOTOMOUS_MEASURES = frozenset({EffectMeasure.RR, EffectMeasure.OR, EffectMeasure.RD})
CONTINUOUS_MEASURES = frozenset({EffectMeasure.MD, EffectMeasure.SMD})
# Measures whose value is undefined when both arms have no events or only events.
_RATIO_2X2 = frozenset({EffectMeasure.RR, EffectMeasure.OR})

EffectsAndDropped = tuple[tuple[EffectSize, ...], tuple[Dropped, ...]]
# escalc's default continuity correction: added to every cell of a 2x2 table with a zero.
CONTINUITY_CORRECTION = 0.5


def effect_sizes(
    data: Sequence[StudyData],
    measure: EffectMeasure,
    *,
    add: float = CONTINUITY_CORRECTION,
    to: AddTo | str = AddTo.ONLY0,
    drop00: bool = True,
) -> EffectsAndDropped:
    """Each study's effect size and sampling variance (metafor ``escalc``), and the studies left
    out with the reason, both in the order given."""
    rule = _add_to(to)
    if not math.isfinite(add) or add < 0:
        raise MetaError(f"The continuity correction must be 0 or more; {add} was given.")
    if not data:
        return (), ()
    kind = _one_kind(data)
    if kind is Generic:
        return _generic(data), ()
    if kind is Dichotomous:
        _check_measure(measure, DICHOTOMOUS_MEASURES, "2x2 tables (events and totals)")
        tables = [_checked_table(d) for d in data if isinstance(d, Dichotomous)]
        return _dichotomous(tables, measure, add=add, rule=rule, drop00=drop00)
    _check_measure(measure, CONTINUOUS_MEASURES, "means, SDs and sizes")
    arms = [_checked_arms(d) for d in data if isinstance(d, Continuous)]
    return _continuous(arms, measure)


def _add_to(to: AddTo | str) -> AddTo:
    try:
        return AddTo(to)
    except ValueError:
        allowed = ", ".join(rule.value for rule in AddTo)
        raise MetaError(
            f"Continuity correction 'to' must be one of {allowed}; got {to!r}."
        ) from None


def _one_kind(data: Sequence[StudyData]) -> type:
    kinds = {type(d) for d in data}
    if len(kinds) > 1:
        names = ", ".join(sorted(k.__name__ for k in kinds))
        raise MetaError(
            f"All studies of one analysis must give the same kind of data; got {names}."
        )
    return kinds.pop()


def _check_measure(measure: EffectMeasure, allowed: frozenset[EffectMeasure], what: str) -> None:
    if measure not in allowed:
        names = ", ".join(sorted(m.value for m in allowed))
        raise MetaError(
            f"{measure.value} cannot be computed from {what}; allowed: {names} "
            "(other measures as generic yi and vi)."
        )


def _study(name: str) -> str:
    return f"Study {name!r}"


def _finite(study: str, field: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise MetaError(f"{_study(study)}: {field} must be a finite number; got {value!r}.")
    return number


# --- generic inverse variance -------------------------------------------------------------------


def _generic(data: Sequence[StudyData]) -> tuple[EffectSize, ...]:
    out = []
    for d in data:
        assert isinstance(d, Generic)
        yi = _finite(d.study, "yi", d.yi)
        vi = _finite(d.study, "vi", d.vi)
        if vi <= 0:
            raise MetaError(
                f"{_study(d.study)}: vi (the sampling variance) must be above 0; got {vi}."
            )
        out.append(EffectSize(d.study, yi, vi))
    return tuple(out)


# --- 2x2 tables ---------------------------------------------------------------------------------


def _checked_table(d: Dichotomous) -> Dichotomous:
    for arm in ("t", "c"):
        events = _finite(d.study, f"events_{arm}", getattr(d, f"events_{arm}"))
        n = _finite(d.study, f"n_{arm}", getattr(d, f"n_{arm}"))
        if n <= 0:
            raise MetaError(f"{_study(d.study)}: n_{arm} must be at least 1; got {n:g}.")
        if events < 0:
            raise MetaError(f"{_study(d.study)}: events_{arm} must be 0 or more; got {events:g}.")
        if events > n:
            raise MetaError(
                f"{_study(d.study)}: events_{arm} ({events:g}) is larger than n_{arm} ({n:g}); "
                "events must be between 0 and the arm's total."
            )
    return d


def _cells(d: Dichotomous) -> tuple[float, float, float, float]:
    """(a, b, c, d): events and non-events in the intervention arm, then the comparator arm."""
    return d.events_t, d.n_t - d.events_t, d.events_c, d.n_c - d.events_c


def _double_zero(cells: tuple[float, float, float, float]) -> str | None:
    a, b, c, d = cells
    if a == 0 and c == 0:
        return "no events in either arm"
    if b == 0 and d == 0:
        return "every participant had the event in both arms"
    return None


def _dichotomous(
    tables: Sequence[Dichotomous],
    measure: EffectMeasure,
    *,
    add: float,
    rule: AddTo,
    drop00: bool,
) -> EffectsAndDropped:
    dropped: list[Dropped] = []
    kept: list[tuple[str, tuple[float, float, float, float]]] = []
    for table in tables:
        cells = _cells(table)
        reason = _double_zero(cells) if drop00 and measure in _RATIO_2X2 else None
        if reason:
            dropped.append(
                Dropped(table.study, f"{reason}, so the {measure.label.lower()} is undefined")
            )
        else:
            kept.append((table.study, cells))
    any_zero = any(0 in cells for _, cells in kept)
    effects: list[EffectSize] = []
    for study, cells in kept:
        corrected = add > 0 and _is_corrected(rule, has_zero=0 in cells, any_zero=any_zero)
        shift = add if corrected else 0.0
        yi, vi = _TABLE_FORMULAS[measure](*(x + shift for x in cells))
        if not (math.isfinite(yi) and math.isfinite(vi) and vi > 0):
            dropped.append(Dropped(study, _undefined_reason(measure, vi)))
        else:
            effects.append(EffectSize(study, yi, vi, corrected=corrected))
    return tuple(effects), tuple(dropped)


def _is_corrected(rule: AddTo, *, has_zero: bool, any_zero: bool) -> bool:
    return {
        AddTo.ALL: True,
        AddTo.ONLY0: has_zero,
        AddTo.IF0ALL: any_zero,
        AddTo.NONE: False,
    }[rule]


def _undefined_reason(measure: EffectMeasure, vi: float) -> str:
    if math.isfinite(vi) and vi <= 0:
        return f"the {measure.label.lower()} has no sampling variance (both risks are 0 or 1)"
    return f"a zero cell and no continuity correction, so the {measure.label.lower()} is undefined"


def _log_risk_ratio(a: float, b: float, c: float, d: float) -> tuple[float, float]:
    # escalc measure="RR": log(p1/p2), var = 1/a - 1/n1 + 1/c - 1/n2 (Cochrane Handbook 6.4.1.2)
    n1, n2 = a + b, c + d
    yi = _log(a / n1) - _log(c / n2)
    return yi, _inv(a) - 1 / n1 + _inv(c) - 1 / n2


def _log_odds_ratio(a: float, b: float, c: float, d: float) -> tuple[float, float]:
    # escalc measure="OR": log(ad/bc), var = 1/a + 1/b + 1/c + 1/d (Woolf 1955)
    yi = _log(a) - _log(b) - _log(c) + _log(d)
    return yi, _inv(a) + _inv(b) + _inv(c) + _inv(d)


def _risk_difference(a: float, b: float, c: float, d: float) -> tuple[float, float]:
    # escalc measure="RD", vtype="LS": p1 - p2, var = p1(1-p1)/n1 + p2(1-p2)/n2
    n1, n2 = a + b, c + d
    p1, p2 = a / n1, c / n2
    return p1 - p2, p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2


def _log(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


def _inv(x: float) -> float:
    return 1 / x if x > 0 else math.inf


_TABLE_FORMULAS: dict[EffectMeasure, Callable[[float, float, float, float], tuple[float, float]]]
_TABLE_FORMULAS = {
    EffectMeasure.RR: _log_risk_ratio,
    EffectMeasure.OR: _log_odds_ratio,
    EffectMeasure.RD: _risk_difference,
}


# --- means and SDs ------------------------------------------------------------------------------


def _checked_arms(d: Continuous) -> Continuous:
    for arm in ("t", "c"):
        _finite(d.study, f"mean_{arm}", getattr(d, f"mean_{arm}"))
        sd = _finite(d.study, f"sd_{arm}", getattr(d, f"sd_{arm}"))
        n = _finite(d.study, f"n_{arm}", getattr(d, f"n_{arm}"))
        if sd <= 0:
            raise MetaError(f"{_study(d.study)}: sd_{arm} must be above 0; got {sd:g}.")
        if n < 1:
            raise MetaError(f"{_study(d.study)}: n_{arm} must be at least 1; got {n:g}.")
    return d


def _continuous(arms: Sequence[Continuous], measure: EffectMeasure) -> EffectsAndDropped:
    effects: list[EffectSize] = []
    dropped: list[Dropped] = []
    for d in arms:
        if measure is EffectMeasure.MD:
            # escalc measure="MD" (vtype "LS"): var = sd1²/n1 + sd2²/n2 (Cochrane Handbook 6.5.1.1)
            vi = d.sd_t**2 / d.n_t + d.sd_c**2 / d.n_c
            effects.append(EffectSize(d.study, d.mean_t - d.mean_c, vi))
        elif d.n_t + d.n_c - 2 <= 1:
            dropped.append(
                Dropped(
                    d.study,
                    "Hedges' g needs at least 4 participants in the two arms together "
                    f"(has {d.n_t + d.n_c:g})",
                )
            )
        else:
            effects.append(EffectSize(d.study, *_hedges_g(d)))
    return tuple(effects), tuple(dropped)


def hedges_correction(m: float) -> float:
    """Hedges' exact small-sample correction c(m) = Γ(m/2) / (√(m/2) Γ((m-1)/2)) (Hedges 1981;
    metafor's ``.cmicalc``), computed on the log scale so large m does not overflow."""
    return math.exp(math.lgamma(m / 2) - math.log(math.sqrt(m / 2)) - math.lgamma((m - 1) / 2))


def _hedges_g(d: Continuous) -> tuple[float, float]:
    # escalc measure="SMD", vtype="LS": g = c(m) (m1 - m2) / s_pooled, m = n1 + n2 - 2;
    # var = 1/n1 + 1/n2 + g² / (2 (n1 + n2))
    m = d.n_t + d.n_c - 2
    pooled_sd = math.sqrt(((d.n_t - 1) * d.sd_t**2 + (d.n_c - 1) * d.sd_c**2) / m)
    g = hedges_correction(m) * (d.mean_t - d.mean_c) / pooled_sd
    vi = 1 / d.n_t + 1 / d.n_c + g**2 / (2 * (d.n_t + d.n_c))
    return g, vi
