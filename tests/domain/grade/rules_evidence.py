"""Bodies of evidence built in the tests of the GRADE suggestion rules: a study, a pooled result
and an outcome with only what a rule reads, and metafor's dat.bcg (13 BCG vaccine trials, the
2x2 tables as printed by ``dat.bcg`` in R metafor 3.8-1) with its REML + HKSJ risk-ratio
result as metafor gives it."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from review_app.domain.grade.model import (
    EvidenceDesign,
    EvidenceSource,
    OutcomeEvidence,
    PooledEvidence,
    RobLevel,
    StudyEvidence,
)
from review_app.domain.vocabulary import EffectMeasure

# author year, tpos, tneg, cpos, cneg (metafor's dat.bcg)
BCG = (
    ("Aronson 1948", 4, 119, 11, 128),
    ("Ferguson & Simes 1949", 6, 300, 29, 274),
    ("Rosenthal et al 1960", 3, 228, 11, 209),
    ("Hart & Sutherland 1977", 62, 13536, 248, 12619),
    ("Frimodt-Moller et al 1973", 33, 5036, 47, 5761),
    ("Stein & Aronson 1953", 180, 1361, 372, 1079),
    ("Vandiviere et al 1973", 8, 2537, 10, 619),
    ("TPT Madras 1980", 505, 87886, 499, 87892),
    ("Coetzee & Berjak 1968", 29, 7470, 45, 7232),
    ("Rosenthal et al 1961", 17, 1699, 65, 1600),
    ("Comstock et al 1974", 186, 50448, 141, 27197),
    ("Comstock & Webster 1969", 5, 2493, 3, 2338),
    ("Comstock et al 1976", 27, 16886, 29, 17825),
)

# metafor: rma(yi, vi, data = escalc("RR", ...dat.bcg), test = "knha") and confint(.)
BCG_POOLED = PooledEvidence(
    analysis="BCG",
    measure=EffectMeasure.RR,
    method="REML",
    hksj=True,
    k=13,
    estimate=-0.714532348365101,
    ci_low=-1.10844372300005,
    ci_high=-0.320620973730153,
    pi_low=-1.99601696702229,
    pi_high=0.566952270292088,
    tau2=0.313243325980895,
    tau2_ci_low=0.119695312816638,
    tau2_ci_high=1.11148626221544,
    i2=92.2213860749656,
)


def bcg_studies(**fields: Any) -> tuple[StudyEvidence, ...]:
    """dat.bcg's trials as randomised studies with log risk ratios (escalc "RR"), ``fields``
    set on every one."""
    studies = []
    for name, a, b, c, d in BCG:
        yi = math.log((a / (a + b)) / (c / (c + d)))
        vi = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
        studies.append(
            StudyEvidence(
                name,
                EvidenceDesign.RANDOMISED,
                participants=a + b + c + d,
                rob=RobLevel.LOW,
                rob_tool="RoB 2",
                control_events=c,
                control_total=c + d,
                yi=yi,
                vi=vi,
                **fields,
            )
        )
    return tuple(studies)


def study(name: str = "A", **fields: Any) -> StudyEvidence:
    fields.setdefault("design", EvidenceDesign.RANDOMISED)
    return StudyEvidence(name, **fields)


def pooled(
    measure: EffectMeasure = EffectMeasure.RR,
    estimate: float = 0.0,
    ci: tuple[float, float] = (-0.1, 0.1),
    *,
    natural_scale: bool = True,
    **fields: Any,
) -> PooledEvidence:
    """A pooled result; with ``natural_scale`` a ratio's estimate and CI are given as ratios
    (RR 0.5) and stored as logs."""
    if natural_scale and measure.is_ratio:
        estimate, ci = math.log(estimate), (math.log(ci[0]), math.log(ci[1]))
    fields.setdefault("k", 2)
    return PooledEvidence(
        analysis="main",
        measure=measure,
        method="REML",
        hksj=False,
        estimate=estimate,
        ci_low=ci[0],
        ci_high=ci[1],
        **fields,
    )


def outcome(
    studies: tuple[StudyEvidence, ...] = (),
    result: PooledEvidence | None = None,
    **fields: Any,
) -> OutcomeEvidence:
    fields.setdefault("type", "dichotomous")
    fields.setdefault("direction", "lower_is_better")
    source = EvidenceSource.ANALYSIS if result is not None else EvidenceSource.NARRATIVE
    return OutcomeEvidence(
        outcome_id="o",
        name="Outcome",
        importance="critical",
        source=source if studies else EvidenceSource.NONE,
        studies=studies,
        pooled=result,
        **fields,
    )


def weighted(key: str, *levels_and_weights: tuple[Any, float]) -> tuple[StudyEvidence, ...]:
    """Studies S1, S2... each with (value, weight), the value set as field ``key`` ("rob",
    "indirect")."""
    return tuple(
        study(f"S{i}", weight=weight, **{key: value})
        for i, (value, weight) in enumerate(levels_and_weights, start=1)
    )


def replace(evidence: OutcomeEvidence, **changes: Any) -> OutcomeEvidence:
    return dataclasses.replace(evidence, **changes)
