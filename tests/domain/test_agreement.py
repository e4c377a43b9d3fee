"""Inter-rater agreement against published worked examples, edge cases, and properties.

Where a number below was printed in a source it is marked "printed"; everything else is marked
"by hand" (worked from the table in the comment). Every table was also run once through two
independent implementations, sklearn 1.9.1 ``cohen_kappa_score`` and statsmodels 0.15.0
``stats.inter_rater.cohens_kappa`` (kappa, ``std_kappa``, ``std_kappa0``), installed in a
throwaway folder because the project does not depend on them; they agreed with this module to
every digit asserted here. In the suite itself, ``delta_method_se`` re-derives both standard
errors independently of the closed forms (the multinomial delta method with numerical
derivatives) and a hypothesis test holds the closed forms to it on random tables.

Table convention throughout: rows are reviewer 1, columns reviewer 2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from random import Random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from review_app.domain.agreement import (
    INCLUDE_EXCLUDE,
    MAYBE_AS_INCLUDE,
    SCREENING_CATEGORIES,
    Agreement,
    agreement,
    agreement_by_pair,
    collapse,
)
from review_app.errors import ValidationError


def pairs_from_table(table: list[list[int]], categories: tuple[str, ...]) -> list[tuple[str, str]]:
    """Paired ratings that tabulate to ``table`` (rows reviewer 1, columns reviewer 2)."""
    return [
        (categories[i], categories[j])
        for i, row in enumerate(table)
        for j, count in enumerate(row)
        for _ in range(count)
    ]


def cats(k: int) -> tuple[str, ...]:
    return tuple(f"c{i}" for i in range(k))


def of_table(table: list[list[int]]) -> Agreement:
    k = len(table)
    return agreement(pairs_from_table(table, cats(k)), categories=cats(k))


def defined(value: float | None) -> float:
    assert value is not None
    return value


# --- published worked examples ------------------------------------------------------------------


def test_cohen_1960_table_1() -> None:
    # Cohen J. A coefficient of agreement for nominal scales. Educ Psychol Meas 1960;20:37-46,
    # Table 1: proportions for N = 200 items in three categories (also the example data of R's
    # psych::cohen.kappa, whose comment records "cohen reports .492"):
    #   .44 .07 .09 | .60
    #   .05 .20 .05 | .30
    #   .01 .03 .06 | .10
    #   .50 .30 .20
    # po = .44 + .20 + .06 = .70; pc = .60*.50 + .30*.30 + .10*.20 = .41; kappa = .29/.59.
    result = of_table([[88, 14, 18], [10, 40, 10], [2, 6, 12]])
    assert result.n == 200
    assert defined(result.observed_agreement) == pytest.approx(0.70)  # printed
    assert defined(result.chance_agreement) == pytest.approx(0.41)  # printed
    assert round(defined(result.kappa), 3) == 0.492  # printed
    # Cohen's own approximate SE, by hand: sqrt(.70 * .30 / 200) / (1 - .41) = 0.05492
    assert defined(result.kappa_se_cohen1960) == pytest.approx(0.054922, abs=1e-6)
    # Fleiss-Cohen-Everitt SE and the null SE: statsmodels std_kappa / std_kappa0.
    assert defined(result.kappa_se) == pytest.approx(0.051002, abs=1e-6)
    assert defined(result.kappa_se_null) == pytest.approx(0.051979, abs=1e-6)
    # PABAK by hand (Byrt, Bishop & Carlin 1993, k = 3): (3 * .70 - 1) / 2 = .55
    assert defined(result.pabak) == pytest.approx(0.55)


def test_sim_wright_2005_table_1_lateral_shift() -> None:
    # Sim J, Wright CC. The kappa statistic in reliability studies. Phys Ther 2005;85:257-268,
    # Table 1 (relevance of lateral shift, 2 clinicians, 39 patients):
    #                 clin. 2 relevant   not relevant
    #   relevant             22               2        | 24
    #   not relevant          4              11        | 15
    #                        26              13
    # po = 33/39 = .846 (printed as 85 %); pe = (24*26 + 15*13)/39^2 = 819/1521 = .538;
    # kappa = (.846 - .538)/(1 - .538) = 2/3, printed as .67.
    table = [[22, 2], [4, 11]]
    result = agreement(pairs_from_table(table, ("relevant", "not relevant")))
    assert result.categories == ("not relevant", "relevant")  # sorted when not given
    assert result.table == ((11, 4), (2, 22))
    assert round(defined(result.observed_agreement), 2) == 0.85  # printed
    assert defined(result.chance_agreement) == pytest.approx(819 / 1521)
    assert round(defined(result.kappa), 2) == 0.67  # printed
    assert defined(result.kappa) == pytest.approx(2 / 3)
    # PABAK, by hand with Byrt, Bishop & Carlin's (1993) 2 po - 1: 2 * 33/39 - 1 = 27/39 = .692
    assert defined(result.pabak) == pytest.approx(27 / 39)
    # SE (FCE 1969), matching statsmodels std_kappa: 0.123836; CI by hand 2/3 -/+ 1.96 * SE.
    se = defined(result.kappa_se)
    assert se == pytest.approx(0.123836, abs=1e-6)
    assert result.kappa_ci == pytest.approx((2 / 3 - 1.959964 * se, 2 / 3 + 1.959964 * se))
    assert result.kappa_ci == pytest.approx((0.4240, 0.9094), abs=1e-4)


@pytest.mark.parametrize(
    ("table", "printed_kappa", "po"),
    [
        # Sim & Wright (2005) Table 2: pain on a 4-point scale, 100 patients, unweighted kappa .55.
        # po = 66/100; pe = (20*24 + 27*28 + 29*24 + 24*24)/100^2 = .2508; kappa = .5462.
        ([[15, 3, 1, 1], [4, 18, 3, 2], [4, 5, 16, 4], [1, 2, 4, 17]], 0.55, 0.66),
        # Sim & Wright (2005) Table 3: 3 syndromes, 102 patients, kappa .46.
        # po = 66/102; pe = (34*30 + 44*42 + 24*30)/102^2 = .3449; kappa = .4613.
        ([[22, 10, 2], [6, 27, 11], [2, 5, 17]], 0.46, 66 / 102),
    ],
    ids=["table2_4x4", "table3_3x3"],
)
def test_sim_wright_2005_multicategory(
    table: list[list[int]], printed_kappa: float, po: float
) -> None:
    # Cell counts as transcribed in the test suite of E. Gonulates' R kappa_coef(), which checks
    # the same printed kappas.
    result = of_table(table)
    assert defined(result.observed_agreement) == pytest.approx(po)
    assert round(defined(result.kappa), 2) == printed_kappa  # printed


def test_fleiss_levin_paik_2003_table_18_1() -> None:
    # Fleiss JL, Levin B, Paik MC. Statistical Methods for Rates and Proportions, 3rd ed. 2003,
    # Table 18.1: two raters' diagnoses of 100 subjects (psychotic, neurotic, organic), as
    # proportions. The cells are quoted from memory of that table and were not re-checked against
    # the book here; they reproduce the printed po = .89, pe = .66, kappa = .68.
    #   .75 .01 .04 | .80
    #   .05 .04 .01 | .10
    #   .00 .00 .10 | .10
    #   .80 .05 .15
    result = of_table([[75, 1, 4], [5, 4, 1], [0, 0, 10]])
    assert defined(result.observed_agreement) == pytest.approx(0.89)
    assert defined(result.chance_agreement) == pytest.approx(0.66)
    assert round(defined(result.kappa), 2) == 0.68
    # By hand from FCE (1969), matching statsmodels: SE 0.0877, null SE 0.0762 (z = 8.9).
    assert defined(result.kappa_se) == pytest.approx(0.087703, abs=1e-6)
    assert defined(result.kappa_se_null) == pytest.approx(0.076187, abs=1e-6)


def test_gwet_2014_abstractors_against_irrcac() -> None:
    # Gwet KL. Handbook of Inter-Rater Reliability, 4th ed. 2014: 100 pregnant women classified by
    # 2 abstractors as ectopic / abnormal intrauterine / normal intrauterine pregnancy; Gwet's
    # irrCAC package ships it as cont3x3abstractors:
    #   13  0  0
    #    0 20  7
    #    0  4 56
    # irrCAC (Python port, its docstring output) prints for gwet(): AC1 0.84933, se 0.04322,
    # pa 0.89, pe 0.26992, CI (0.76358, 0.93508); for cohen(): kappa 0.796, CI (0.68, 0.913);
    # for bp() (Brennan-Prediger = PABAK): 0.835. irrCAC's CIs use t(0.975, n - 1 = 99).
    result = of_table([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    assert defined(result.observed_agreement) == pytest.approx(0.89)
    assert round(defined(result.ac1), 5) == 0.84933
    assert round(defined(result.ac1_se), 5) == 0.04322
    assert round(defined(result.ac1_chance_agreement), 5) == 0.26992
    assert round(defined(result.kappa), 3) == 0.796
    assert round(defined(result.pabak), 3) == 0.835
    t99 = stats.t.ppf(0.975, 99)
    kappa, kappa_se = defined(result.kappa), defined(result.kappa_se)
    assert (round(kappa - t99 * kappa_se, 2), round(kappa + t99 * kappa_se, 3)) == (0.68, 0.913)
    ac1, ac1_se = defined(result.ac1), defined(result.ac1_se)
    assert (round(ac1 - t99 * ac1_se, 5), round(ac1 + t99 * ac1_se, 5)) == (0.76358, 0.93508)
    # Our own CI uses 1.96, so it is a little narrower than irrCAC's.
    assert result.ac1_ci == pytest.approx((ac1 - 1.959964 * ac1_se, ac1 + 1.959964 * ac1_se))


def test_gwet_2008_table_3_kappa_paradox() -> None:
    # Gwet (2008) Br J Math Stat Psychol 61:29-48, Table 3 (as the example "table3" of the R AC1()
    # function reviewed by Gwet): 125 subjects, high agreement on a rare trait.
    #            B: +   B: -
    #   A: +     118      5   | 123
    #   A: -       2      0   |   2
    #            120      5
    # By hand: po = 118/125 = .944; pe(kappa) = (123*120 + 2*5)/125^2 = 14770/15625 = .94528;
    # kappa = (.944 - .94528)/(1 - .94528) = -.0234 although 94 % of ratings agree.
    # AC1: pi+ = (123 + 120)/250 = .972, pi- = .028; pe(AC1) = 2 * .972 * .028 / (2 - 1) =
    # .054432; AC1 = (.944 - .054432)/(1 - .054432) = .9408.
    result = of_table([[118, 5], [2, 0]])
    assert defined(result.observed_agreement) == pytest.approx(0.944)
    assert defined(result.chance_agreement) == pytest.approx(14770 / 15625)
    assert defined(result.kappa) == pytest.approx(-0.023392, abs=1e-6)
    assert defined(result.ac1_chance_agreement) == pytest.approx(0.054432)
    assert defined(result.ac1) == pytest.approx((0.944 - 0.054432) / (1 - 0.054432))
    assert defined(result.pabak) == pytest.approx(0.888)  # 2 * .944 - 1
    assert defined(result.kappa_se) == pytest.approx(0.012287, abs=1e-6)  # statsmodels
    assert defined(result.ac1_se) == pytest.approx(delta_method_se(ac1_of, [[118, 5], [2, 0]]))


# --- screening helpers --------------------------------------------------------------------------


def test_collapse_counts_maybe_as_include() -> None:
    pairs = [("include", "maybe"), ("maybe", "exclude"), ("exclude", "exclude")]
    assert collapse(pairs, MAYBE_AS_INCLUDE) == [
        ("include", "include"),
        ("include", "exclude"),
        ("exclude", "exclude"),
    ]


def test_collapse_names_an_unknown_rating() -> None:
    with pytest.raises(ValidationError, match=r"item 2: rating 'yes'.*allowed: exclude, include"):
        collapse([("include", "include"), ("yes", "exclude")], MAYBE_AS_INCLUDE)


def test_screening_three_categories_versus_collapsed() -> None:
    pairs = [("include", "maybe")] * 3 + [("exclude", "exclude")] * 5 + [("include", "include")]
    three = agreement(pairs, categories=SCREENING_CATEGORIES)
    two = agreement(collapse(pairs, MAYBE_AS_INCLUDE), categories=INCLUDE_EXCLUDE)
    assert three.table == ((1, 0, 3), (0, 5, 0), (0, 0, 0))
    assert three.observed_agreement == pytest.approx(6 / 9)
    assert two.table == ((4, 0), (0, 5))
    assert two.kappa == 1.0 and two.observed_agreement == 1.0


# --- edge cases ---------------------------------------------------------------------------------


def test_no_items_gives_none_with_a_reason() -> None:
    result = agreement([], categories=INCLUDE_EXCLUDE)
    assert result.n == 0
    assert result.table == ((0, 0), (0, 0))
    assert result.observed_agreement is None and result.kappa is None and result.ac1 is None
    assert result.pabak is None and result.kappa_ci is None and result.ac1_ci is None
    assert any("no items" in note for note in result.notes)
    assert agreement([]).categories == ()


def test_everything_in_one_category_kappa_undefined_ac1_defined() -> None:
    result = agreement([("exclude", "exclude")] * 40, categories=INCLUDE_EXCLUDE)
    assert result.observed_agreement == 1.0
    assert result.chance_agreement == 1.0
    assert result.kappa is None and result.kappa_se is None and result.kappa_ci is None
    assert any("kappa undefined" in note and "pe = 1" in note for note in result.notes)
    # pi = (0, 1): pe(AC1) = 0, AC1 = 1, variance 0.
    assert result.ac1 == 1.0 and result.ac1_chance_agreement == 0.0
    assert result.ac1_se == 0.0 and result.ac1_ci == (1.0, 1.0)
    assert result.pabak == 1.0


def test_one_category_seen_and_not_declared() -> None:
    result = agreement([("exclude", "exclude")] * 3)
    assert result.categories == ("exclude",)
    assert result.kappa is None and result.ac1 is None and result.pabak is None
    assert any("categories=" in note for note in result.notes)


def test_single_item() -> None:
    agree = agreement([("include", "include")], categories=INCLUDE_EXCLUDE)
    assert agree.n == 1 and agree.kappa is None and agree.ac1 == 1.0
    assert agree.ac1_se is None and agree.ac1_ci is None
    assert any("single item" in note for note in agree.notes)
    # One disagreement: po = 0, pe = 1*0 + 0*1 = 0, kappa = 0; pi = (.5, .5), AC1 = -1.
    differ = agreement([("include", "exclude")], categories=INCLUDE_EXCLUDE)
    assert differ.kappa == 0.0 and differ.ac1 == -1.0 and differ.pabak == -1.0
    assert differ.kappa_se is None


def test_confidence_interval_is_clipped_to_one() -> None:
    # 20 items, one disagreement: kappa = 0.9, SE 0.097, 0.9 + 1.96 SE > 1.
    result = agreement([("a", "a")] * 9 + [("a", "b")] + [("b", "b")] * 10)
    assert defined(result.kappa) == pytest.approx(0.9)
    assert result.kappa_ci is not None and result.kappa_ci[1] == 1.0
    assert result.ac1_ci is not None and result.ac1_ci[1] == 1.0


def test_rating_outside_categories_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"item 2: rating 'yes' is not one of"):
        agreement([("include", "include"), ("include", "yes")], categories=INCLUDE_EXCLUDE)
    with pytest.raises(ValidationError, match="distinct"):
        agreement([], categories=("include", "include"))


def test_unused_category_changes_ac1_and_pabak_but_not_kappa() -> None:
    pairs = pairs_from_table([[22, 2], [4, 11]], ("include", "exclude"))
    two = agreement(pairs, categories=INCLUDE_EXCLUDE)
    three = agreement(pairs, categories=SCREENING_CATEGORIES)
    assert three.kappa == pytest.approx(defined(two.kappa))
    assert three.kappa_se == pytest.approx(defined(two.kappa_se))
    assert three.pabak != pytest.approx(defined(two.pabak))
    assert three.ac1 != pytest.approx(defined(two.ac1))


# --- agreement_by_pair --------------------------------------------------------------------------


def test_agreement_by_pair() -> None:
    votes = {
        "r1": {"ann": "include", "bob": "include", "cy": "exclude"},
        "r2": {"ann": "exclude", "bob": "exclude"},
        "r3": {"bob": "maybe", "cy": "maybe"},
        "r4": {"ann": "include", "bob": "exclude"},
        "r5": {"dee": "include"},  # dee shares no item with anyone
    }
    result = agreement_by_pair(votes)
    assert list(result) == [("ann", "bob"), ("ann", "cy"), ("bob", "cy")]
    assert result[("ann", "bob")] == agreement(
        [("include", "include"), ("exclude", "exclude"), ("include", "exclude")],
        categories=("exclude", "include", "maybe"),
    )
    assert result[("ann", "cy")].n == 1
    assert result[("bob", "cy")].table == ((0, 0, 0), (1, 0, 0), (0, 0, 1))
    assert all(a.categories == ("exclude", "include", "maybe") for a in result.values())


def test_agreement_by_pair_with_user_ids_and_categories() -> None:
    votes = {101: {7: "include", 3: "maybe"}, 102: {3: "exclude", 7: "exclude"}}
    result = agreement_by_pair(votes, categories=SCREENING_CATEGORIES)
    assert list(result) == [(3, 7)]
    assert result[(3, 7)].table == ((0, 0, 0), (0, 1, 0), (1, 0, 0))
    assert agreement_by_pair({}) == {}


# --- an independent implementation and properties -----------------------------------------------


def kappa_of(p: np.ndarray) -> float:
    p = p / p.sum()
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    pe = float(rows @ cols)
    return (float(np.trace(p)) - pe) / (1 - pe)


def ac1_of(p: np.ndarray) -> float:
    p = p / p.sum()
    pi = (p.sum(axis=1) + p.sum(axis=0)) / 2
    pe = float(pi @ (1 - pi)) / (len(pi) - 1)
    return (float(np.trace(p)) - pe) / (1 - pe)


def delta_method_se(statistic: Callable[[np.ndarray], float], table: list[list[int]]) -> float:
    """SE of a statistic of the cell proportions by the multinomial delta method:
    var = (sum p g^2 - (sum p g)^2) / n, g the gradient by central differences."""
    counts = np.asarray(table, dtype=float)
    n = counts.sum()
    p = counts / n
    gradient = np.zeros_like(p)
    h = 1e-6
    for index in np.ndindex(p.shape):
        step = np.zeros_like(p)
        step[index] = h
        gradient[index] = (statistic(p + step) - statistic(p - step)) / (2 * h)
    mean = float((p * gradient).sum())
    return math.sqrt(max(float((p * (gradient - mean) ** 2).sum()), 0.0) / n)


rating = st.sampled_from(SCREENING_CATEGORIES)
ratings = st.lists(st.tuples(rating, rating), max_size=60)


@settings(max_examples=200, deadline=None)
@given(ratings)
def test_coefficients_stay_in_range(pairs: list[tuple[str, str]]) -> None:
    result = agreement(pairs, categories=SCREENING_CATEGORIES)
    for estimate, ci in ((result.kappa, result.kappa_ci), (result.ac1, result.ac1_ci)):
        if estimate is not None:
            assert -1 - 1e-12 <= estimate <= 1 + 1e-12
        if ci is not None:
            assert estimate is not None
            assert -1 <= ci[0] <= estimate + 1e-12 and estimate - 1e-12 <= ci[1] <= 1
    if result.pabak is not None:
        po = defined(result.observed_agreement)
        assert result.pabak == pytest.approx((3 * po - 1) / 2)  # Byrt, Bishop & Carlin, k = 3
        assert -0.5 - 1e-12 <= result.pabak <= 1 + 1e-12


@settings(max_examples=200, deadline=None)
@given(st.lists(rating, min_size=1, max_size=60))
def test_perfect_agreement(choices: list[str]) -> None:
    result = agreement([(c, c) for c in choices], categories=SCREENING_CATEGORIES)
    assert result.observed_agreement == 1.0 and result.ac1 == 1.0 and result.pabak == 1.0
    if len(set(choices)) == 1:
        assert result.kappa is None  # pe = 1
    else:
        assert result.kappa == 1.0


@settings(max_examples=200, deadline=None)
@given(ratings)
def test_swapping_reviewers_changes_nothing_but_the_table_orientation(
    pairs: list[tuple[str, str]],
) -> None:
    forward = agreement(pairs, categories=SCREENING_CATEGORIES)
    backward = agreement([(b, a) for a, b in pairs], categories=SCREENING_CATEGORIES)
    assert backward.table == tuple(zip(*forward.table, strict=True))
    for name in (
        "observed_agreement",
        "chance_agreement",
        "kappa",
        "kappa_se",
        "kappa_se_null",
        "kappa_se_cohen1960",
        "pabak",
        "ac1",
        "ac1_chance_agreement",
        "ac1_se",
    ):
        a, b = getattr(forward, name), getattr(backward, name)
        assert (a is None) == (b is None), name
        if a is not None:
            assert b == pytest.approx(a, abs=1e-12), name


@settings(max_examples=150, deadline=None)
@given(ratings.filter(lambda pairs: len(pairs) >= 2))
def test_closed_form_standard_errors_equal_the_delta_method(pairs: list[tuple[str, str]]) -> None:
    result = agreement(pairs, categories=SCREENING_CATEGORIES)
    table = [list(row) for row in result.table]
    assert defined(result.ac1_se) == pytest.approx(delta_method_se(ac1_of, table), abs=1e-6)
    if result.kappa is not None:
        assert defined(result.kappa_se) == pytest.approx(delta_method_se(kappa_of, table), abs=1e-6)
        assert defined(result.kappa) == pytest.approx(kappa_of(np.asarray(table, dtype=float)))


@settings(max_examples=100, deadline=None)
@given(ratings, st.randoms(use_true_random=False))
def test_item_order_does_not_matter(pairs: list[tuple[str, str]], random: Random) -> None:
    shuffled = list(pairs)
    random.shuffle(shuffled)
    assert agreement(shuffled, categories=SCREENING_CATEGORIES).table == (
        agreement(pairs, categories=SCREENING_CATEGORIES).table
    )
