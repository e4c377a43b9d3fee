"""The hypergeometric stopping criterion (Callaghan & Müller-Hansen 2020) on hand-made cases,
on a random sample and on the last records screened in ranked order.

Common set-up: 100 records, 50 screened by ranking with 19 includes, so 50 are left. With
tau = 0.95, H0 "recall < 95 %" holds when the 50 hold K >= K_tar = floor(19 / 0.95 - 19) + 1 = 2
includes (when the sample holds none). For k = 0, P(X = 0 | K, n) = C(50 - K, n) / C(50, n).
"""

from __future__ import annotations

import math
from fractions import Fraction
from math import comb

import numpy as np
import pytest
from scipy.stats import hypergeom

from review_app.domain.prioritisation import (
    draw_random_sample,
    first_ranked_stop,
    ranked_stopping_estimate,
    stopping_estimate,
)
from review_app.errors import ValidationError

BASE = {"n_records": 100, "n_screened_by_ranking": 50, "includes_by_ranking": 19}


def test_sample_too_small_to_stop() -> None:
    # n = 30, k = 0: p = C(48, 30) / C(50, 30) = 20 * 19 / (50 * 49) = 0.155 -> not met.
    e = stopping_estimate(**BASE, sample_size=30, includes_in_sample=0)
    assert e.p_value == pytest.approx(20 * 19 / (50 * 49))
    assert not e.criterion_met
    # Upper bound: P(X = 0 | K = 3) = 20*19*18 / (50*49*48) = 0.058 >= 0.05, K = 4: 0.021.
    assert e.remaining_upper_bound == 3
    assert e.recall_lower_bound == pytest.approx(19 / 22)
    assert e.estimated_remaining == 0.0
    assert e.n_unscreened == 20
    # m more with no include: (50 - n)(49 - n) / 2450 < 0.05 first at n = 39 -> 9 more.
    assert e.more_to_sample == 9
    assert "screen 9 more records" in e.explanation
    assert "Nothing is excluded automatically" in e.explanation


def test_large_enough_sample_meets_the_target() -> None:
    # n = 40, k = 0: p = 10 * 9 / (50 * 49) = 0.037 < 0.05 -> met; K_up = 1 (P = 10/50 = 0.2).
    e = stopping_estimate(**BASE, sample_size=40, includes_in_sample=0)
    assert e.p_value == pytest.approx(90 / 2450)
    assert e.criterion_met
    assert e.remaining_upper_bound == 1
    assert e.recall_lower_bound == pytest.approx(0.95)
    assert e.more_to_sample == 0
    assert "meets the 95% recall target" in e.explanation


def test_an_include_in_the_sample_raises_the_bar() -> None:
    # k = 1: found 20, K_tar = floor(20 / 0.95 - 19) + 1 = 3. P0 = C(47,30)/C(50,30) and
    # P1 = 3 C(47,29)/C(50,30) = 5 P0, so p = 6 P0 = 6 * 20*19*18 / (50*49*48) = 0.349.
    e = stopping_estimate(**BASE, sample_size=30, includes_in_sample=1)
    p0 = comb(47, 30) / comb(50, 30)
    assert e.p_value == pytest.approx(6 * p0)
    assert not e.criterion_met
    assert e.n_includes_found == 20
    # Point estimate: 1/30 of the 20 still unscreened.
    assert e.estimated_remaining == pytest.approx(20 / 30)


def test_no_sample_says_nothing_about_the_rest() -> None:
    e = stopping_estimate(**BASE)
    assert e.estimated_remaining is None
    assert e.remaining_upper_bound == 50
    assert e.p_value == 1.0
    assert not e.criterion_met
    assert e.more_to_sample == 39  # the same n = 39 as above, all still to draw


def test_everything_screened_meets_any_target() -> None:
    e = stopping_estimate(n_records=50, n_screened_by_ranking=50, includes_by_ranking=10)
    assert e.criterion_met
    assert e.p_value == 0.0
    assert e.remaining_upper_bound == 0
    assert e.recall_lower_bound == 1.0


def test_a_lower_target_needs_a_smaller_sample() -> None:
    strict = stopping_estimate(**BASE, recall_target=0.95)
    lenient = stopping_estimate(**BASE, recall_target=0.80)
    assert lenient.more_to_sample < strict.more_to_sample


@pytest.mark.parametrize(
    "bad",
    [
        {"n_screened_by_ranking": 101},
        {"includes_by_ranking": 51},
        {"sample_size": 51},
        {"sample_size": 5, "includes_in_sample": 6},
        {"recall_target": 1.0},
    ],
)
def test_impossible_counts_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        stopping_estimate(**{**BASE, **bad})  # type: ignore[arg-type]


def test_random_sample_is_reproducible_and_without_replacement() -> None:
    unscreened = list(range(100, 200))
    first = draw_random_sample(unscreened, 30, seed=7)
    assert first == draw_random_sample(unscreened, 30, seed=7)
    assert len(set(first)) == 30
    assert set(first) <= set(unscreened)
    with pytest.raises(ValidationError):
        draw_random_sample(unscreened, 101, seed=7)


# The same test without a random sample: the last records screened in ranked order are taken as
# the sample. Set-up: 100 records; 20 includes screened first, then excludes. With r = 20,
# tau = 0.95, H0 needs D = floor(20 / 0.95 - 20) + 1 = 2 includes missed beyond those in the tail.
# The tail of n excludes after the last include is a "sample" of the 80 records left before it:
# p = P(X = 0 | 80, 2, n) = (80 - n)(79 - n) / (80 * 79); the tails with includes do worse.
RANKED_FIRST = [1] * 20 + [0] * 80


def test_ranked_tail_estimate_by_hand() -> None:
    e = ranked_stopping_estimate(RANKED_FIRST[:50], n_records=100)
    assert e.sample_size == 30 and e.includes_in_sample == 0
    assert e.p_value == pytest.approx(50 * 49 / (80 * 79))
    assert not e.criterion_met
    # (80 - n)(79 - n) < 0.05 * 6320 = 316 first at n = 62 (18 * 17 = 306; 19 * 18 = 342)
    assert e.more_to_sample == 32
    assert "the next 32 records screened are all excluded" in e.explanation
    assert "last 30 screened" in e.explanation
    assert e.n_unscreened == 50 and e.n_includes_found == 20


def test_ranked_tail_first_stop_by_hand() -> None:
    assert first_ranked_stop(RANKED_FIRST, n_records=100) == 82
    assert not ranked_stopping_estimate(RANKED_FIRST[:81], n_records=100).criterion_met
    met = ranked_stopping_estimate(RANKED_FIRST[:82], n_records=100)
    assert met.criterion_met and met.p_value == pytest.approx(18 * 17 / (80 * 79))
    assert met.more_to_sample == 0
    # a looser target needs fewer: D = floor(20 / 0.8 - 20) + 1 = 6 -> stops earlier
    assert first_ranked_stop(RANKED_FIRST, n_records=100, recall_target=0.8) < 82


def test_ranked_tail_is_the_minimum_over_every_tail() -> None:
    """The shortcuts (longest tail per include count, stretches tested at their ends, Hoeffding
    pruning) give exactly the minimum p over every tail n = 1..t, computed here directly."""
    rng = np.random.default_rng(5)
    for _ in range(12):
        n_records = int(rng.integers(30, 160))
        n_included = int(rng.integers(1, n_records // 4 + 2))
        weights = np.where(np.arange(n_records) < n_included, 6.0, 1.0)  # includes tend first
        order = rng.choice(n_records, n_records, replace=False, p=weights / weights.sum())
        labels = (order < n_included).astype(int)
        for target in (0.95, 0.8):
            p_by_t = [_every_tail_min_p(labels[:t], n_records, target) for t in range(1, n_records)]
            expected = next((t for t, p in enumerate(p_by_t, 1) if p < 1 - 0.95), n_records)
            assert first_ranked_stop(labels, n_records=n_records, recall_target=target) == expected
            t = int(rng.integers(1, n_records))
            estimate = ranked_stopping_estimate(
                labels[:t], n_records=n_records, recall_target=target
            )
            assert estimate.p_value == pytest.approx(p_by_t[t - 1], abs=1e-12)


def _every_tail_min_p(screened: np.ndarray, n_records: int, target: float) -> float:
    """min over n of P(X <= k_n), X ~ Hypergeom(n_records - t + n, k_n + D, n), by definition."""
    found, t = int(screened.sum()), len(screened)
    missed = math.floor(Fraction(found) / Fraction(target).limit_denominator() - found) + 1
    if missed > n_records - t:  # too few records left to hold what H0 needs
        return 0.0
    n = np.arange(1, t + 1)
    k = np.cumsum(screened[::-1])  # includes among the last n screened
    return float(hypergeom.cdf(k, n_records - t + n, k + missed, n).min())


def test_ranked_tail_edges() -> None:
    assert first_ranked_stop([1, 0, 0], n_records=1000) is None  # not within what was screened
    everything = ranked_stopping_estimate([0, 1, 0, 1], n_records=4)
    assert everything.criterion_met and everything.p_value == 0.0
    nothing = ranked_stopping_estimate([], n_records=10)
    assert nothing.sample_size == 0 and not nothing.criterion_met
    with pytest.raises(ValidationError, match="1 \\(included\\) or 0"):
        ranked_stopping_estimate([1, 2], n_records=10)
    with pytest.raises(ValidationError, match="3 screened records given for a review of 2"):
        first_ranked_stop([1, 0, 0], n_records=2)
