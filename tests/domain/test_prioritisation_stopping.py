"""The hypergeometric stopping criterion (Callaghan & Müller-Hansen 2020) on hand-made cases.

Common set-up: 100 records, 50 screened by ranking with 19 includes, so 50 are left. With
tau = 0.95, H0 "recall < 95 %" holds when the 50 hold K >= K_tar = floor(19 / 0.95 - 19) + 1 = 2
includes (when the sample holds none). For k = 0, P(X = 0 | K, n) = C(50 - K, n) / C(50, n).
"""

from __future__ import annotations

from math import comb

import pytest

from review_app.domain.prioritisation import draw_random_sample, stopping_estimate
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
