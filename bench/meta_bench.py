"""Meta-analysis engine speed (issue 15): effect sizes and pooling as `analyse` runs them.

    python bench/meta_bench.py [--repeats 20] [--seed 2026]

(a) One REML analysis (risk ratio) of 1,000 generated 2x2 tables: effect sizes, tau² by Fisher
    scoring, its Q-profile CI and the prediction interval. Target < 100 ms.
(b) The whole method grid on 136 studies: every inverse-variance method (EE, DL, REML, PM, ML, HE,
    SJ, EB, HS, GENQ, PMM) with z and Hartung-Knapp (EE with z only) for RR, OR, RD (2x2 tables)
    and MD, SMD (means and SDs), plus Mantel-Haenszel (RR, OR, RD) and Peto (OR). Target < 1 s.

The studies are generated with a fixed seed (heterogeneous true effects, arm sizes 20-500).
Each figure is the median of ``--repeats`` warm runs; the first (cold) run, which imports SciPy's
special functions, is printed beside it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from review_app.domain.meta.model import Continuous, Dichotomous, Method, StudyData, Test
from review_app.domain.meta.pooling import analyse
from review_app.domain.vocabulary import EffectMeasure

TABLE_MEASURES = (EffectMeasure.RR, EffectMeasure.OR, EffectMeasure.RD)
MEAN_MEASURES = (EffectMeasure.MD, EffectMeasure.SMD)


def _tables(k: int, rng: np.random.Generator) -> list[StudyData]:
    n_t, n_c = rng.integers(20, 501, size=k), rng.integers(20, 501, size=k)
    risk_c = rng.uniform(0.05, 0.4, size=k)
    risk_t = np.clip(risk_c * np.exp(rng.normal(-0.3, 0.3, size=k)), 0.001, 0.999)
    events_t, events_c = rng.binomial(n_t, risk_t), rng.binomial(n_c, risk_c)
    return [
        Dichotomous(f"study {i + 1}", float(et), float(nt), float(ec), float(nc))
        for i, (et, nt, ec, nc) in enumerate(zip(events_t, n_t, events_c, n_c, strict=True))
    ]


def _means(k: int, rng: np.random.Generator) -> list[StudyData]:
    n_t, n_c = rng.integers(20, 501, size=k), rng.integers(20, 501, size=k)
    sd_t, sd_c = rng.uniform(5, 15, size=k), rng.uniform(5, 15, size=k)
    mean_c = rng.normal(50, 5, size=k)
    mean_t = mean_c + rng.normal(-2, 1.5, size=k)
    rows = zip(mean_t, sd_t, n_t, mean_c, sd_c, n_c, strict=True)
    return [
        Continuous(
            f"study {i + 1}", float(mt), float(st), float(nt), float(mc), float(sc), float(nc)
        )
        for i, (mt, st, nt, mc, sc, nc) in enumerate(rows)
    ]


def _timed(work: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(cold seconds, median warm seconds)."""
    start = time.perf_counter()
    work()
    cold = time.perf_counter() - start
    warm = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        warm.append(time.perf_counter() - start)
    return cold, statistics.median(warm)


def _grid(tables: list[StudyData], means: list[StudyData]) -> int:
    fits = 0
    for measure in (*TABLE_MEASURES, *MEAN_MEASURES):
        data = tables if measure in TABLE_MEASURES else means
        for method in Method:
            if method.needs_tables and (
                measure not in TABLE_MEASURES
                or (method is Method.PETO and measure is not EffectMeasure.OR)
            ):
                continue
            tests = [Test.Z] if method in {Method.EE, Method.MH, Method.PETO} else list(Test)
            for test in tests:
                analysis = analyse(data, measure, method=method, test=test)
                assert analysis.pooled is not None
                fits += 1
    return fits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    big = _tables(1000, rng)
    cold, warm = _timed(lambda: analyse(big, EffectMeasure.RR, method=Method.REML), args.repeats)
    result = analyse(big, EffectMeasure.RR, method=Method.REML).pooled
    assert result is not None and result.tau2_ci_high is not None and result.pi_high is not None
    print(
        f"(a) REML, RR, k=1000 with Q-profile CI and prediction interval: "
        f"{warm * 1000:.1f} ms (cold {cold * 1000:.1f} ms; target < 100 ms); "
        f"tau2 {result.tau2:.4f} [{result.tau2_ci_low:.4f}, {result.tau2_ci_high:.4f}]"
    )

    tables, means = _tables(136, rng), _means(136, rng)
    fits = _grid(tables, means)
    cold, warm = _timed(lambda: _grid(tables, means), max(3, args.repeats // 4))
    print(
        f"(b) method grid, k=136: {fits} analyses in {warm * 1000:.0f} ms "
        f"(cold {cold * 1000:.0f} ms; target < 1 s)"
    )


if __name__ == "__main__":
    main()
