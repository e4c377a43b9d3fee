"""When to stop screening: a hypergeometric test on a random sample of the unscreened records.

Callaghan MW, Müller-Hansen F (2020). Statistical stopping criteria for automated screening in
systematic reviews. Systematic Reviews 9:254. doi:10.1186/s13643-020-01521-4.

How it is used: screen by ranking as long as it pays; then draw records *at random* from those
not yet screened (``draw_random_sample``) and screen them too. After each sampled record, call
``stopping_estimate``. Nothing is excluded automatically: the estimate only says whether
stopping would meet the recall target, and the team decides.

The test (their section "A hypergeometric stopping criterion"): r_AL includes were found among
the records screened by ranking; N_pop records were left; a random sample of n of them held k
includes. Let K be the (unknown) number of includes among the N_pop. The recall reached is
(r_AL + k) / (r_AL + K), so the null hypothesis "recall < target tau" holds exactly when
K >= K_tar = floor((r_AL + k) / tau - r_AL) + 1. Under H0 with K = K_tar (the case hardest to
reject) the sample count X is hypergeometric (population N_pop, K_tar successes, n draws) and
p = P(X <= k). H0 is rejected, and the criterion met, when p < 1 - confidence.

Its uncertainty, in the same terms: the one-sided upper confidence bound on K is the largest K
that the same test does not reject, K_up = max{K : P(X <= k | N_pop, K, n) >= 1 - confidence}
(an exact, Clopper-Pearson-style bound for sampling without replacement). At most K_up - k
includes remain unscreened, so recall >= (r_AL + k) / (r_AL + K_up); the criterion is met
exactly when that bound reaches the target. The point estimate of the includes left is
k / n * (N_pop - n). The p value is recomputed after every sampled record, as in the paper;
that repeated look makes the test slightly optimistic, which the authors accept and discuss.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from review_app.errors import ValidationError


@dataclass(frozen=True)
class StoppingEstimate:
    """What ``stopping_estimate`` found; ``explanation`` says it in plain words."""

    recall_target: float
    confidence: float
    n_records: int
    n_screened: int  # by ranking plus the random sample
    n_includes_found: int
    n_unscreened: int
    sample_size: int
    includes_in_sample: int
    estimated_remaining: float | None  # includes left unscreened; None before any sample
    remaining_upper_bound: int  # at most this many left, with `confidence`
    recall_lower_bound: float  # recall is at least this, with `confidence`
    p_value: float  # of H0 "recall < recall_target"
    criterion_met: bool
    more_to_sample: int  # further random records, all excluded, that would meet the criterion
    explanation: str
    method: str = "Callaghan & Müller-Hansen 2020 (Syst Rev 9:254), hypergeometric test"


def stopping_estimate(
    *,
    n_records: int,
    n_screened_by_ranking: int,
    includes_by_ranking: int,
    sample_size: int = 0,
    includes_in_sample: int = 0,
    recall_target: float = 0.95,
    confidence: float = 0.95,
) -> StoppingEstimate:
    """Test whether the recall target is met, from a random sample of the unscreened records.

    ``n_screened_by_ranking`` records were screened in the model's order (or any order) and held
    ``includes_by_ranking`` includes; then ``sample_size`` records were drawn at random from the
    rest and held ``includes_in_sample`` includes.
    """
    _check(n_records, n_screened_by_ranking, includes_by_ranking, sample_size, includes_in_sample)
    if not (0 < recall_target < 1 and 0 < confidence < 1):
        raise ValidationError("recall_target and confidence must lie strictly between 0 and 1")
    alpha = 1 - confidence
    population = n_records - n_screened_by_ranking
    found = includes_by_ranking + includes_in_sample
    k_target = _smallest_k_below_target(includes_by_ranking, includes_in_sample, recall_target)
    p_value = _p_value(includes_in_sample, population, k_target, sample_size)
    upper = _upper_bound(includes_in_sample, population, sample_size, alpha)
    remaining_upper = upper - includes_in_sample
    left = population - sample_size
    estimate = includes_in_sample / sample_size * left if sample_size else None
    more = _more_to_sample(includes_in_sample, population, k_target, sample_size, alpha)
    result = StoppingEstimate(
        recall_target=recall_target,
        confidence=confidence,
        n_records=n_records,
        n_screened=n_screened_by_ranking + sample_size,
        n_includes_found=found,
        n_unscreened=left,
        sample_size=sample_size,
        includes_in_sample=includes_in_sample,
        estimated_remaining=estimate,
        remaining_upper_bound=remaining_upper,
        recall_lower_bound=found / (found + remaining_upper) if found + remaining_upper else 1.0,
        p_value=p_value,
        criterion_met=p_value < alpha,
        more_to_sample=more,
        explanation="",
    )
    return _with_explanation(result)


def draw_random_sample(unscreened: Sequence[int], size: int, *, seed: int) -> list[int]:
    """``size`` records drawn without replacement, in the order to screen them."""
    if size > len(unscreened):
        raise ValidationError(f"cannot sample {size} of {len(unscreened)} unscreened records")
    chosen = np.random.default_rng(seed).choice(len(unscreened), size=size, replace=False)
    return [unscreened[i] for i in chosen]


def _check(n_records: int, screened: int, includes: int, sample: int, in_sample: int) -> None:
    if not 0 <= screened <= n_records:
        raise ValidationError(f"screened by ranking ({screened}) must be 0..{n_records}")
    if not 0 <= includes <= screened:
        raise ValidationError(f"includes found ({includes}) must be 0..{screened} (screened)")
    if not 0 <= sample <= n_records - screened:
        raise ValidationError(f"sample size ({sample}) must be 0..{n_records - screened}")
    if not 0 <= in_sample <= sample:
        raise ValidationError(f"includes in the sample ({in_sample}) must be 0..{sample}")


def _smallest_k_below_target(r_ranked: int, k_sample: int, target: float) -> int:
    """K_tar = floor((r_AL + k) / tau - r_AL) + 1, in exact arithmetic."""
    tau = Fraction(target).limit_denominator(10**6)
    return math.floor(Fraction(r_ranked + k_sample) / tau - r_ranked) + 1


def _p_value(k: int, population: int, k_target: int, n: int) -> float:
    from scipy.stats import hypergeom  # here, not at start-up: scipy.stats is slow to import

    if k_target > population - (n - k):  # H0 impossible: too few records left to hold K_tar
        return 0.0
    return float(hypergeom.cdf(k, population, k_target, n))


def _upper_bound(k: int, population: int, n: int, alpha: float) -> int:
    """Largest K (includes among the sampled population) the test does not reject."""
    from scipy.stats import hypergeom

    low, high = k, population - (n - k)  # K = k is never rejected: P(X <= k | K = k) = 1
    while low < high:
        middle = (low + high + 1) // 2
        if hypergeom.cdf(k, population, middle, n) >= alpha:
            low = middle
        else:
            high = middle - 1
    return low


def _more_to_sample(k: int, population: int, k_target: int, n: int, alpha: float) -> int:
    """Smallest m such that m more sampled records, all excluded, would reject H0."""
    low, high = 0, population - n  # sampling everything always rejects (K_tar > k)
    while low < high:
        middle = (low + high) // 2
        if _p_value(k, population, k_target, n + middle) < alpha:
            high = middle
        else:
            low = middle + 1
    return low


def _with_explanation(e: StoppingEstimate) -> StoppingEstimate:
    target, conf = f"{e.recall_target:.0%}", f"{e.confidence:.0%}"
    ranked = e.n_screened - e.sample_size
    text = (
        f"{e.n_includes_found} includes found in {e.n_screened} of {e.n_records} records screened"
    )
    if e.sample_size == 0:
        # the order before sampling may or may not have been a ranking: it does not matter here
        text += (
            ". Without a random sample of the unscreened records nothing can be said about them. "
        )
    else:
        text += (
            f" ({ranked} before the random sample, {e.sample_size} drawn at random from the rest, "
            f"{e.includes_in_sample} of them included). "
        )
        text += (
            f"Best estimate: {e.estimated_remaining:.1f} includes among the {e.n_unscreened} "
            f"unscreened; with {conf} confidence at most {e.remaining_upper_bound}, so recall is "
            f"at least {e.recall_lower_bound:.1%} (p = {e.p_value:.3f} for 'recall < {target}'). "
        )
    if e.criterion_met:
        text += f"Stopping now meets the {target} recall target with {conf} confidence. "
    else:
        text += (
            f"The {target} recall target is not shown yet: screen {e.more_to_sample} more records "
            "drawn at random from the unscreened; if none of them is included, it is. "
        )
    text += "Nothing is excluded automatically: unscreened records stay unscreened."
    return replace(e, explanation=text)
