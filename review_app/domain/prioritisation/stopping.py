"""When to stop screening: a hypergeometric test on a random sample of the unscreened records,
or on the last records screened in ranked order.

Callaghan MW, Müller-Hansen F (2020). Statistical stopping criteria for automated screening in
systematic reviews. Systematic Reviews 9:273. doi:10.1186/s13643-020-01521-4.

How it is used: the lead's live aid (``services.prioritisation.stopping_aid``) and ``simulate``
call ``ranked_stopping_estimate`` / ``first_ranked_stop``: the last records screened in ranked
order stand in for a random sample of those left (the app's screening queue follows the
ranking). ``stopping_estimate`` with ``draw_random_sample`` is the paper's original form, for a
team that screens a true random sample of the rest. Nothing is excluded automatically: the
estimate only says whether stopping would meet the recall target, and the team decides.

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

Without a separate random sample (screening by ranking only), the paper's way of applying the
same test, implemented as ``calculate_h0`` in the authors' buscar package: take the last n records
screened as if they were a random sample of the records left unscreened before them (N_pop =
records unscreened + n, r_AL = includes screened before that tail), try every n, and meet the
criterion when any n rejects H0. Records screened in ranked order are more likely to be included
than random ones, so a tail holds more includes than a random sample would: conservative.
``ranked_stopping_estimate`` is that test on the records screened so far (the live aid);
``first_ranked_stop`` finds where in a whole screening order it first met the criterion (the
simulation's stopping point).

Why few tails need testing: H0's K_tar is k + D with D = K_tar for k = 0, fixed by the includes
found. (1) Of the tails holding k includes, the longest one (starting right after an include, or
the whole order) has the smallest p: adding one excluded record to the tail and its population
never raises P(X <= k), since if it is drawn the rest is the same draw and if not, n + 1 draws from
the others dominate n draws. (2) Between two includes every tail's p only falls as excluded
records are screened (its population is fixed, its sample grows). So a stretch between includes
is tested at its end only, and searched (bisection) only when it rejects there: about R^2 / 2
tests for R includes, whatever the number of records.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from review_app.errors import ValidationError

RANDOM_SAMPLE_METHOD = "Callaghan & Müller-Hansen 2020 (Syst Rev 9:273), hypergeometric test"
RANKED_TAIL_METHOD = (
    "Callaghan & Müller-Hansen 2020 (Syst Rev 9:273), hypergeometric test on the last records "
    "screened in ranked order, taken as a random sample of those left (conservative)"
)


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
    method: str = RANDOM_SAMPLE_METHOD


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
    _check_levels(recall_target, confidence)
    return _with_explanation(
        _estimate(
            n_records,
            n_screened_by_ranking,
            includes_by_ranking,
            sample_size,
            includes_in_sample,
            recall_target,
            confidence,
        )
    )


def ranked_stopping_estimate(
    labels_in_order: Sequence[int] | np.ndarray,
    *,
    n_records: int,
    recall_target: float = 0.95,
    confidence: float = 0.95,
) -> StoppingEstimate:
    """The test on the records screened so far in ranked order, without a random sample.

    ``labels_in_order[i]`` is 1 when the (i+1)-th record screened was included, 0 when excluded.
    Every tail of that order is tried as the sample (module doc); the estimate describes the tail
    with the smallest p value: ``sample_size`` is its length, ``more_to_sample`` how many more
    records, screened next and all excluded, would meet the criterion through it.
    """
    y = _checked_order(labels_in_order, n_records)
    _check_levels(recall_target, confidence)
    screened, found = len(y), int(y.sum())
    cuts = _tail_starts(y)
    tails = screened - cuts
    in_tail = found - np.arange(len(cuts))
    p = _tail_p_values(screened, found, cuts, n_records, recall_target)
    candidates = np.flatnonzero(tails > 0) if screened else np.array([0])
    best = candidates[np.lexsort((in_tail[candidates], p[candidates]))[0]]
    n, k = int(tails[best]), int(in_tail[best])
    estimate = _estimate(
        n_records, screened - n, found - k, n, k, recall_target, confidence, RANKED_TAIL_METHOD
    )
    return _with_explanation(estimate)


def first_ranked_stop(
    labels_in_order: Sequence[int] | np.ndarray,
    *,
    n_records: int,
    recall_target: float = 0.95,
    confidence: float = 0.95,
) -> int | None:
    """How many records had been screened when ``ranked_stopping_estimate`` first met the
    criterion, replaying ``labels_in_order`` one record at a time; None if it never did.

    With every record in the order (``len(labels_in_order) == n_records``) it always returns a
    number: once too few records are left to hold the includes H0 needs, H0 is impossible.
    """
    y = _checked_order(labels_in_order, n_records)
    _check_levels(recall_target, confidence)
    alpha = 1 - confidence
    starts = _tail_starts(y)
    include_at = starts[1:]  # how many records had been screened when each include was
    for found in range(len(starts)):  # the stretch in which `found` includes had been screened
        first = max(int(starts[found]), 1)
        last = int(include_at[found]) - 1 if found < len(include_at) else len(y)
        cuts = starts[: found + 1]

        def rejects(screened: int, found: int = found, cuts: np.ndarray = cuts) -> bool:
            return _any_tail_rejects(screened, found, cuts, n_records, recall_target, alpha)

        if last < first or not rejects(last):
            continue
        while first < last:  # rejection is monotone within the stretch (module doc)
            middle = (first + last) // 2
            first, last = (first, middle) if rejects(middle) else (middle + 1, last)
        return first
    return None


def _estimate(
    n_records: int,
    n_screened_by_ranking: int,
    includes_by_ranking: int,
    sample_size: int,
    includes_in_sample: int,
    recall_target: float,
    confidence: float,
    method: str = RANDOM_SAMPLE_METHOD,
) -> StoppingEstimate:
    """The test's figures (see the module doc); ``explanation`` is left empty."""
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
    return StoppingEstimate(
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
        method=method,
    )


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


def _check_levels(recall_target: float, confidence: float) -> None:
    if not (0 < recall_target < 1 and 0 < confidence < 1):
        raise ValidationError("recall_target and confidence must lie strictly between 0 and 1")


def _checked_order(labels_in_order: Sequence[int] | np.ndarray, n_records: int) -> np.ndarray:
    y = np.asarray(labels_in_order, dtype=np.int64)
    if y.ndim != 1 or len(y) > n_records:
        raise ValidationError(
            f"{len(y)} screened records given for a review of {n_records}: at most one a record"
        )
    if not np.isin(y, (0, 1)).all():
        raise ValidationError("each screened record's label must be 1 (included) or 0 (excluded)")
    return y


def _tail_starts(y: np.ndarray) -> np.ndarray:
    """Where the candidate tails start: after 0 records, then right after each include."""
    return np.concatenate([[0], np.flatnonzero(y) + 1])


def _tail_p_values(
    screened: int, found: int, cuts: np.ndarray, n_records: int, target: float
) -> np.ndarray:
    """p of H0 for each tail after ``cuts[j]`` records, holding ``found - j`` includes."""
    tails = screened - cuts
    in_tail = found - np.arange(len(cuts))
    missed = _smallest_k_below_target(found, 0, target)  # K_tar - k, the same for every tail
    population = (n_records - screened) + tails
    return _p_values(in_tail, population, in_tail + missed, tails)


def _any_tail_rejects(
    screened: int, found: int, cuts: np.ndarray, n_records: int, target: float, alpha: float
) -> bool:
    """Whether any tail's p is below ``alpha``, computing p only where it might be.

    A tail whose include count k lies well above its mean under H0 cannot reject: by Hoeffding
    (1963, J Am Stat Assoc 58:13, theorem 4, which holds for sampling without replacement)
    P(X >= k + 1) <= exp(-2 d^2 / n) with d = k + 1 - E[X] > 0, so p = P(X <= k) is at least
    1 - exp(-2 d^2 / n). Long tails of a ranked order are such tails; skipping them keeps a
    20,000-record replay fast (their exact p would sum hundreds of terms each).
    """
    missed = _smallest_k_below_target(found, 0, target)
    if missed > n_records - screened:  # H0 impossible for every tail: p = 0
        return True
    tails = screened - cuts
    in_tail = found - np.arange(len(cuts))
    population = (n_records - screened) + tails
    gap = in_tail + 1 - tails * (in_tail + missed) / population
    with np.errstate(divide="ignore"):
        floor = np.where(gap > 0, -np.expm1(-2 * gap**2 / tails), 0.0)  # tails of 0: p = 1
    open_ = floor < alpha
    p = _p_values(in_tail[open_], population[open_], (in_tail + missed)[open_], tails[open_])
    return bool((p < alpha).any())


def _smallest_k_below_target(r_ranked: int, k_sample: int, target: float) -> int:
    """K_tar = floor((r_AL + k) / tau - r_AL) + 1, in exact arithmetic."""
    tau = Fraction(target).limit_denominator(10**6)
    return math.floor(Fraction(r_ranked + k_sample) / tau - r_ranked) + 1


def _p_value(k: int, population: int, k_target: int, n: int) -> float:
    one = np.ones(1, dtype=np.int64)
    return float(_p_values(k * one, population * one, k_target * one, n * one)[0])


def _p_values(
    k: np.ndarray, population: np.ndarray, k_target: np.ndarray, n: np.ndarray
) -> np.ndarray:
    """P(X <= k), X hypergeometric (population, K_tar successes, n draws), element-wise."""
    from scipy.stats import hypergeom  # here, not at start-up: scipy.stats is slow to import

    p = np.zeros(len(k))
    possible = k_target <= population - (n - k)  # else H0 is impossible: too few records left
    p[possible] = hypergeom.cdf(k[possible], population[possible], k_target[possible], n[possible])
    return p


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
    ranked_tail = e.method == RANKED_TAIL_METHOD
    text = (
        f"{e.n_includes_found} includes found in {e.n_screened} of {e.n_records} records screened"
    )
    if e.sample_size == 0:
        # the order before sampling may or may not have been a ranking: it does not matter here
        text += (
            ". Without a random sample of the unscreened records nothing can be said about them. "
        )
    else:
        text += _sample_text(e, ranked_tail)
    if e.criterion_met:
        text += f"Stopping now meets the {target} recall target with {conf} confidence. "
    elif ranked_tail:
        text += (
            f"The {target} recall target is not shown yet: if the next {e.more_to_sample} records "
            "screened are all excluded, it is. "
        )
    else:
        text += (
            f"The {target} recall target is not shown yet: screen {e.more_to_sample} more records "
            "drawn at random from the unscreened; if none of them is included, it is. "
        )
    text += "Nothing is excluded automatically: unscreened records stay unscreened."
    return replace(e, explanation=text)


def _sample_text(e: StoppingEstimate, ranked_tail: bool) -> str:
    target, conf = f"{e.recall_target:.0%}", f"{e.confidence:.0%}"
    if ranked_tail:
        text = (
            f". The last {e.sample_size} screened ({e.includes_in_sample} of them included) are "
            f"taken as a random sample of the {e.sample_size + e.n_unscreened} records left before "
            "them; ranked records are likelier includes than random ones, so this is cautious. "
        )
    else:
        text = (
            f" ({e.n_screened - e.sample_size} before the random sample, {e.sample_size} drawn "
            f"at random from the rest, {e.includes_in_sample} of them included). "
        )
    return text + (
        f"Best estimate: {e.estimated_remaining:.1f} includes among the {e.n_unscreened} "
        f"unscreened; with {conf} confidence at most {e.remaining_upper_bound}, so recall is "
        f"at least {e.recall_lower_bound:.1%} (p = {e.p_value:.3f} for 'recall < {target}'). "
    )
