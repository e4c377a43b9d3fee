"""Inter-rater agreement between two reviewers who rated the same items (pure; no database).

``agreement(pairs)`` takes one ``(rating_of_reviewer_1, rating_of_reviewer_2)`` tuple per item and
returns an :class:`Agreement`: the k x k contingency table, percent agreement, Cohen's kappa with
its standard error and 95 % CI, PABAK, and Gwet's AC1 with its standard error and 95 % CI.
``agreement_by_pair(votes)`` does the same for every pair of reviewers who share an item.

Screening votes are "include", "exclude" and "maybe". Agreement on the decision that matters (does
the record go on?) is usually reported on two categories, with "maybe" counted as "include", as
Covidence and ``consensus.stage_status`` do: ``collapse(pairs, MAYBE_AS_INCLUDE)`` does that.

Which categories count matters. Kappa does not change when a category nobody used is added, but
PABAK and AC1 do (both divide by the number of categories k), so pass ``categories`` to state the
categories reviewers could choose from; without it, the categories seen in the ratings are used.

Formulas (p_ij = proportion of items rated i by reviewer 1 and j by reviewer 2, p_i. and p_.j the
row and column margins, n items, k categories):

- po = sum_i p_ii; pe = sum_i p_i. p_.i; kappa = (po - pe) / (1 - pe)  (Cohen 1960, Educ Psychol
  Meas 20:37-46).
- SE(kappa): the large-sample (non-null) standard error of Fleiss, Cohen & Everitt (1969),
  Psychol Bull 72:323-327, as given in Fleiss, Levin & Paik (2003) section 18.1; the same
  variance as R's ``psych::cohen.kappa``, SAS PROC FREQ's ASE and Gwet's ``irrCAC::kappa2.table``.
  Stata's ``kap`` (its Std. err.) and R's ``irr::kappa2`` (its z) use the SE under H0: kappa = 0
  (also FCE 1969), given here as ``kappa_se_null`` for a z test, never for the CI. Cohen's (1960)
  own approximation sqrt(po (1 - po) / (n (1 - pe)^2)) is ``kappa_se_cohen1960``, kept for
  comparison with papers that used it.
- PABAK = (k po - 1) / (k - 1); for k = 2, 2 po - 1 (Byrt, Bishop & Carlin 1993, J Clin Epidemiol
  46:423-429). It is Bennett, Alpert & Goldstein's (1954) S with k categories.
- AC1: pi_k = (p_k. + p_.k) / 2; pe_AC1 = sum_k pi_k (1 - pi_k) / (k - 1); AC1 = (po - pe_AC1) /
  (1 - pe_AC1); its variance is Gwet's (2008, Br J Math Stat Psychol 61:29-48) estimator for two
  raters, with no finite-population correction (f = 0).
- 95 % CIs: estimate +/- 1.96 SE, clipped to [-1, 1]. (Gwet's irrCAC uses a t quantile with n - 1
  degrees of freedom instead; at n = 100 its intervals are about 1 % wider.)
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from statistics import NormalDist
from typing import TypeVar

from review_app.domain.vocabulary import Vote
from review_app.errors import ValidationError

# Plain strings (the votes' values), so a note that quotes a category reads 'include'.
INCLUDE, EXCLUDE, MAYBE = Vote.INCLUDE.value, Vote.EXCLUDE.value, Vote.MAYBE.value
SCREENING_CATEGORIES: tuple[str, ...] = (INCLUDE, EXCLUDE, MAYBE)
# "Does the record move on?": a maybe moves it on, as in Covidence and consensus.stage_status.
MAYBE_AS_INCLUDE: Mapping[str, str] = {INCLUDE: INCLUDE, MAYBE: INCLUDE, EXCLUDE: EXCLUDE}
# The include/exclude categories that ``collapse(pairs, MAYBE_AS_INCLUDE)`` leaves.
INCLUDE_EXCLUDE: tuple[str, ...] = (INCLUDE, EXCLUDE)

Z_95 = NormalDist().inv_cdf(0.975)  # 1.959963...

ItemT = TypeVar("ItemT", bound=Hashable)
RaterT = TypeVar("RaterT", int, str)

Table = tuple[tuple[int, ...], ...]


@dataclass(frozen=True, slots=True)
class Agreement:
    """Agreement between two reviewers on the n items both rated.

    ``table[i][j]`` counts the items reviewer 1 put in ``categories[i]`` and reviewer 2 in
    ``categories[j]``. A statistic that cannot be computed is None, and ``notes`` says why.
    CIs are (low, high) tuples.
    """

    n: int
    categories: tuple[str, ...]
    table: Table
    observed_agreement: float | None  # po, the proportion of items with the same rating
    chance_agreement: float | None  # pe of Cohen's kappa
    kappa: float | None
    kappa_se: float | None  # Fleiss, Cohen & Everitt (1969), large-sample (non-null)
    kappa_ci: tuple[float, float] | None
    kappa_se_null: float | None  # FCE (1969) under H0: kappa = 0, for a z test only
    kappa_se_cohen1960: float | None  # Cohen's (1960) approximation, for comparison only
    pabak: float | None
    ac1: float | None
    ac1_chance_agreement: float | None  # pe of Gwet's AC1
    ac1_se: float | None  # Gwet (2008)
    ac1_ci: tuple[float, float] | None
    notes: tuple[str, ...] = ()


def collapse(pairs: Iterable[tuple[str, str]], mapping: Mapping[str, str]) -> list[tuple[str, str]]:
    """Each rating replaced by ``mapping[rating]``, e.g. ``collapse(pairs, MAYBE_AS_INCLUDE)``.

    Analyse the result with ``categories=INCLUDE_EXCLUDE`` so that both categories count even
    when one of them was never used. A rating the mapping does not name is a ValidationError.
    """
    collapsed = []
    for number, pair in enumerate(pairs, start=1):
        try:
            collapsed.append((mapping[pair[0]], mapping[pair[1]]))
        except KeyError as error:
            raise ValidationError(
                f"item {number}: rating {error.args[0]!r} cannot be collapsed; "
                f"allowed: {', '.join(sorted(mapping))}"
            ) from None
    return collapsed


def agreement(
    pairs: Sequence[tuple[str, str]], *, categories: Sequence[str] | None = None
) -> Agreement:
    """Agreement statistics for paired ratings (reviewer 1, reviewer 2), one pair per item.

    ``categories``: the categories reviewers could choose from, in table order. Default: the
    sorted set of ratings seen. A rating outside ``categories`` is a ValidationError.
    """
    cats = _categories(pairs, categories)
    table = _table(pairs, cats)
    n = len(pairs)
    k = len(cats)
    notes: list[str] = []
    if n == 0:
        notes.append("no items rated by both reviewers: nothing to compute")
        return _empty(cats, table, notes)

    p = [[count / n for count in row] for row in table]
    rows = [sum(row) for row in p]
    cols = [sum(p[i][j] for i in range(k)) for j in range(k)]
    po = sum(table[i][i] for i in range(k)) / n
    pe = sum(rows[i] * cols[i] for i in range(k))

    if n == 1:
        notes.append("a single item: no standard errors or confidence intervals")

    kappa = kappa_se = kappa_se_null = kappa_se_cohen = None
    kappa_ci = None
    only = [cats[i] for i in range(k) if table[i][i] == n]
    if only:
        pe = 1.0  # exactly, not 1 - epsilon from the sum
        notes.append(
            f"kappa undefined: both reviewers put every item in {only[0]!r}, so chance "
            "agreement pe = 1 and kappa = (po - pe) / (1 - pe) = 0/0"
        )
    else:
        kappa = (po - pe) / (1 - pe)  # Cohen (1960)
        if n > 1:
            kappa_se = math.sqrt(_kappa_variance(p, rows, cols, kappa, pe, n))
            kappa_ci = _ci(kappa, kappa_se)
            kappa_se_null = math.sqrt(_kappa_variance_null(rows, cols, pe, n))
            # Cohen (1960): sigma_kappa = sqrt(po (1 - po) / (n (1 - pe)^2))
            kappa_se_cohen = math.sqrt(po * (1 - po) / n) / (1 - pe)

    pabak = ac1 = ac1_pe = ac1_se = None
    ac1_ci = None
    if k < 2:
        notes.append(
            "PABAK and AC1 undefined with one category: pass categories= with every "
            "category the reviewers could choose (e.g. ('include', 'exclude'))"
        )
    else:
        pabak = (k * po - 1) / (k - 1)  # Byrt, Bishop & Carlin (1993)
        pi = [(rows[i] + cols[i]) / 2 for i in range(k)]
        ac1_pe = sum(x * (1 - x) for x in pi) / (k - 1)  # Gwet (2008): pe(gamma)
        ac1 = (po - ac1_pe) / (1 - ac1_pe)  # 1 - ac1_pe >= 1/2, never 0
        if n > 1:
            ac1_se = math.sqrt(_ac1_variance(p, pi, po, ac1_pe, ac1, n))
            ac1_ci = _ci(ac1, ac1_se)

    return Agreement(
        n=n,
        categories=cats,
        table=table,
        observed_agreement=po,
        chance_agreement=pe,
        kappa=kappa,
        kappa_se=kappa_se,
        kappa_ci=kappa_ci,
        kappa_se_null=kappa_se_null,
        kappa_se_cohen1960=kappa_se_cohen,
        pabak=pabak,
        ac1=ac1,
        ac1_chance_agreement=ac1_pe,
        ac1_se=ac1_se,
        ac1_ci=ac1_ci,
        notes=tuple(notes),
    )


def agreement_by_pair(
    votes: Mapping[ItemT, Mapping[RaterT, str]], *, categories: Sequence[str] | None = None
) -> dict[tuple[RaterT, RaterT], Agreement]:
    """Agreement for every pair of reviewers who rated at least one item in common.

    ``votes[item][reviewer]`` is that reviewer's rating of the item. Keys are (a, b) with a < b;
    a is reviewer 1 (the table's rows). Without ``categories``, every pair is analysed on the
    categories seen across all votes, so that PABAK and AC1 are comparable between pairs.
    """
    if categories is None:
        categories = sorted({rating for ratings in votes.values() for rating in ratings.values()})
    shared: dict[tuple[RaterT, RaterT], list[tuple[str, str]]] = {}
    for ratings in votes.values():
        for a, b in combinations(sorted(ratings), 2):
            shared.setdefault((a, b), []).append((ratings[a], ratings[b]))
    return {pair: agreement(pairs, categories=categories) for pair, pairs in sorted(shared.items())}


def _categories(
    pairs: Sequence[tuple[str, str]], categories: Sequence[str] | None
) -> tuple[str, ...]:
    if categories is None:
        return tuple(sorted({rating for pair in pairs for rating in pair}))
    cats = tuple(categories)
    if len(set(cats)) != len(cats):
        raise ValidationError(f"categories must be distinct, got {list(cats)}")
    return cats


def _table(pairs: Sequence[tuple[str, str]], cats: tuple[str, ...]) -> Table:
    index = {category: i for i, category in enumerate(cats)}
    counts = [[0] * len(cats) for _ in cats]
    for number, (first, second) in enumerate(pairs, start=1):
        for rating in (first, second):
            if rating not in index:
                raise ValidationError(
                    f"item {number}: rating {rating!r} is not one of the categories "
                    f"{', '.join(map(repr, cats))}"
                )
        counts[index[first]][index[second]] += 1
    return tuple(tuple(row) for row in counts)


def _empty(cats: tuple[str, ...], table: Table, notes: list[str]) -> Agreement:
    return Agreement(
        n=0,
        categories=cats,
        table=table,
        observed_agreement=None,
        chance_agreement=None,
        kappa=None,
        kappa_se=None,
        kappa_ci=None,
        kappa_se_null=None,
        kappa_se_cohen1960=None,
        pabak=None,
        ac1=None,
        ac1_chance_agreement=None,
        ac1_se=None,
        ac1_ci=None,
        notes=tuple(notes),
    )


def _kappa_variance(
    p: list[list[float]], rows: list[float], cols: list[float], kappa: float, pe: float, n: int
) -> float:
    """Fleiss, Cohen & Everitt (1969); Fleiss, Levin & Paik (2003) section 18.1:

    var = [sum_i p_ii (1 - (p_i. + p_.i)(1 - kappa))^2
           + (1 - kappa)^2 sum_{i != j} p_ij (p_.i + p_j.)^2
           - (kappa - pe (1 - kappa))^2] / (n (1 - pe)^2)
    """
    k = len(rows)
    diagonal = sum(p[i][i] * (1 - (rows[i] + cols[i]) * (1 - kappa)) ** 2 for i in range(k))
    off = sum(p[i][j] * (cols[i] + rows[j]) ** 2 for i in range(k) for j in range(k) if i != j)
    numerator = diagonal + (1 - kappa) ** 2 * off - (kappa - pe * (1 - kappa)) ** 2
    return max(numerator, 0.0) / (n * (1 - pe) ** 2)  # max: rounding can give -1e-17


def _kappa_variance_null(rows: list[float], cols: list[float], pe: float, n: int) -> float:
    """Fleiss, Cohen & Everitt (1969), under H0 kappa = 0 (Stata ``kap``, ``irr::kappa2``):

    var0 = [pe + pe^2 - sum_i p_i. p_.i (p_i. + p_.i)] / (n (1 - pe)^2)
    """
    numerator = pe + pe**2 - sum(r * c * (r + c) for r, c in zip(rows, cols, strict=True))
    return max(numerator, 0.0) / (n * (1 - pe) ** 2)


def _ac1_variance(
    p: list[list[float]], pi: list[float], po: float, pe: float, ac1: float, n: int
) -> float:
    """Gwet (2008), variance of AC1 for two raters, with f = n/N = 0:

    var = 1 / (n (1 - pe)^2) * { po (1 - po)
          - 4 (1 - AC1) [ 1/(k-1) sum_k p_kk (1 - pi_k) - po pe ]
          + 4 (1 - AC1)^2 [ 1/(k-1)^2 sum_k sum_l p_kl (1 - (pi_k + pi_l)/2)^2 - pe^2 ] }
    """
    k = len(pi)
    diagonal = sum(p[i][i] * (1 - pi[i]) for i in range(k)) / (k - 1)
    cells = (
        sum(p[i][j] * (1 - (pi[i] + pi[j]) / 2) ** 2 for i in range(k) for j in range(k))
        / (k - 1) ** 2
    )
    numerator = (
        po * (1 - po) - 4 * (1 - ac1) * (diagonal - po * pe) + 4 * (1 - ac1) ** 2 * (cells - pe**2)
    )
    return max(numerator, 0.0) / (n * (1 - pe) ** 2)


def _ci(estimate: float, se: float) -> tuple[float, float]:
    return (max(-1.0, estimate - Z_95 * se), min(1.0, estimate + Z_95 * se))
