"""Each conversion against a worked example from its source.

"printed": the number is printed in the source named beside it. "by hand": the source gives the
formula but no worked example at hand, so the expected value was worked out from the published
formula with a calculator (intermediate values in the comment), never by calling the code under
test. Where an independent check exists it is used as well: the exact pooled SD of raw samples
for table 6.5.a, control-chart constants (the expected range of normal samples) for Wan's ξ(n),
and large simulated normal samples for the median estimators.
"""

from __future__ import annotations

import math
import statistics
from random import Random

import pytest

from review_app.domain.extraction import conversions as cv


def close(expected: float, rel: float = 1e-4) -> object:
    return pytest.approx(expected, rel=rel)


# --- Cochrane Handbook 6.4, 6.5.2.2: SD of a group from its SE or CI ------------------------


def test_sd_from_se_by_hand() -> None:
    # Handbook 6.5.2.2: SD = SE x sqrt(N). By hand: 2 x sqrt(25) = 10.
    assert cv.sd_from_se(2, 25) == close(10.0)


def test_the_ci_divisor_for_25_participants_is_the_handbooks_4_128() -> None:
    # Printed, Handbook 6.5.2.2: for a sample size of 25, =tinv(1-0.95, 25-1) gives 2.0639, and the
    # divisor 3.92 is replaced by 2 x 2.0639 = 4.128.
    assert cv.t_quantile(95, 24) == close(2.0639)
    assert cv.ci_divisor(25, 95) == close(4.128)


@pytest.mark.parametrize(("level", "printed"), [(95, 3.92), (90, 3.29), (99, 5.15)])
def test_large_samples_use_the_handbooks_normal_divisors(level: float, printed: float) -> None:
    # Printed, Handbook 6.5.2.2 (and 6.3.1): divide by 3.92 for 95 %, 3.29 for 90 %, 5.15 for 99 %.
    assert cv.ci_divisor(100, level) == pytest.approx(printed, abs=0.005)


def test_the_t_divisor_applies_below_60_and_the_normal_one_from_60() -> None:
    # Handbook 6.5.2.2: "if the sample size is small (say fewer than 60 participants ...)".
    # By hand: 2 x t(0.975; 58) = 2 x 2.0017 = 4.0034; at 60, 2 x 1.95996 = 3.9199.
    assert cv.ci_divisor(59) == close(4.0034)
    assert cv.ci_divisor(60) == close(3.9199)


def test_sd_from_ci_by_hand() -> None:
    # Handbook 6.5.2.2 formula with the printed divisor for n = 25: by hand, 95 % CI 10 to 14,
    # n = 25: SD = sqrt(25) x (14 - 10) / 4.128 = 20 / 4.1278 = 4.8452.
    assert cv.sd_from_ci(10, 14, 25) == close(4.8452)
    # n = 100 (normal divisor 3.92): 10 x 4 / 3.9199 = 10.2043.
    assert cv.sd_from_ci(10, 14, 100) == close(10.2043)


# --- Handbook 6.5.2.3: from a P value to t, SE and SD (printed worked example) --------------


def test_the_handbooks_p_value_example() -> None:
    # Printed, Handbook 6.5.2.3: N_E = 25, N_C = 22, MD = 3.8, two-sided P = 0.008; with
    # 25 + 22 - 2 = 45 df, t = 2.78; SE = MD / t = 3.8 / 2.78 = 1.37; SD = 1.37 /
    # sqrt(1/25 + 1/22) = 4.69.
    t = cv.t_from_p(0.008, 45)
    assert t == pytest.approx(2.78, abs=0.005)
    assert cv.se_from_statistic(3.8, t) == pytest.approx(1.37, abs=0.005)
    assert cv.sd_from_se_of_difference(1.37, 25, 22) == pytest.approx(4.69, abs=0.005)


# --- Handbook 6.3.1 and 6.3.2: SE of an effect estimate --------------------------------------


def test_se_of_a_difference_from_its_ci_by_hand() -> None:
    # Handbook 6.3.1: SE = (upper - lower) / 3.92. By hand: (4 - (-2)) / 3.919928 = 1.53064.
    assert cv.se_from_ci(-2, 4) == close(1.53064)


def test_se_of_a_ratio_from_its_ci_uses_the_log_scale_by_hand() -> None:
    # Handbook 6.3.1: for ratios, SE of ln(ratio) = (ln(upper) - ln(lower)) / 3.92.
    # By hand: RR 95 % CI 0.70 to 0.80: (ln 0.8 - ln 0.7) / 3.919928 = 0.133531 / 3.919928
    # = 0.0340648.
    assert cv.se_from_ci(0.70, 0.80, log_scale=True) == close(0.0340648)


def test_se_from_a_p_value_by_hand() -> None:
    # Handbook 6.3.2: Z = Φ⁻¹(1 - P/2), SE = estimate / Z. By hand: P = 0.05 gives Z = 1.95996;
    # a log risk ratio of ln(0.75) = -0.287682 then has SE 0.287682 / 1.95996 = 0.146779.
    z = cv.z_from_p(0.05)
    assert z == close(1.95996)
    assert cv.se_from_statistic(math.log(0.75), z) == close(0.146779)


def test_ci_from_se_turns_se_from_ci_round() -> None:
    # Handbook 6.3.1 both ways: the interval rebuilt from its own SE is the interval.
    se = cv.se_from_ci(0.5, 2.0, log_scale=True)
    assert cv.ci_from_se(math.log(1.0), se, log_scale=True) == (close(0.5), close(2.0))


def test_log_hazard_ratio_from_o_minus_e_by_hand() -> None:
    # Tierney et al. 2007 (and Handbook 6.8.2): ln HR = (O - E) / V, SE = 1 / sqrt(V). By hand:
    # O - E = -10, V = 25: ln HR = -0.4 (HR 0.670), SE = 1 / 5 = 0.2.
    assert cv.log_hr_from_o_minus_e(-10, 25) == (close(-0.4), close(0.2))


# --- Handbook table 6.5.a and 23.3.4: combining groups ---------------------------------------


def test_combining_two_groups_equals_pooling_their_raw_values() -> None:
    # Table 6.5.a is exact: the combined group's n, mean and SD are those of the pooled sample.
    group_1 = [3.0, 5.0, 4.0, 8.0, 6.5]
    group_2 = [10.0, 12.5, 9.0, 11.0]
    summary_1 = (len(group_1), statistics.mean(group_1), statistics.stdev(group_1))
    summary_2 = (len(group_2), statistics.mean(group_2), statistics.stdev(group_2))
    pooled = group_1 + group_2
    assert cv.combine_continuous(summary_1, summary_2) == (
        len(pooled),
        close(statistics.mean(pooled)),
        close(statistics.stdev(pooled)),
    )


def test_combining_two_groups_by_hand() -> None:
    # Table 6.5.a by hand: (N, M, SD) = (10, 5, 2) and (20, 8, 3): N = 30; M = (50 + 160) / 30
    # = 7; SD = sqrt((9 x 4 + 19 x 9 + 200 / 30 x (25 + 64 - 80)) / 29) = sqrt((36 + 171 + 60)
    # / 29) = sqrt(9.2069) = 3.03429.
    assert cv.combine_continuous((10, 5, 2), (20, 8, 3)) == (30, close(7.0), close(3.03429))


def test_combining_dichotomous_groups_sums_events_and_totals() -> None:
    # Handbook 23.3.4: events and sample sizes are summed. By hand: 3/20 and 5/25 -> 8/45.
    assert cv.combine_dichotomous((3, 20), (5, 25)) == (8, 45)


# --- Handbook 6.5.2.8: SD of a change from baseline ------------------------------------------


def test_sd_of_change_from_the_correlation_by_hand() -> None:
    # Handbook 6.5.2.8: SD_change = sqrt(SD_b² + SD_f² - 2 r SD_b SD_f). By hand: SD_b = 6,
    # SD_f = 7, r = 0.5: sqrt(36 + 49 - 42) = sqrt(43) = 6.55744.
    assert cv.sd_change(6, 7, 0.5) == close(6.55744)


# --- Wan 2014, Luo 2018, Shi 2020, Shi 2023: medians -----------------------------------------


@pytest.mark.parametrize(("n", "d2"), [(10, 3.078), (25, 3.931)])
def test_wans_xi_approximates_the_expected_range_of_normal_samples(n: int, d2: float) -> None:
    # Wan 2014 eq. 7: ξ(n) approximates the expected range of n standard normal values, the d2
    # constant of control-chart tables (printed there: 3.078 for n = 10, 3.931 for n = 25).
    assert cv.wan_sd_from_range(0, d2, n) == pytest.approx(1.0, rel=0.01)


def test_wan_sd_from_range_by_hand() -> None:
    # Wan 2014 eq. 9 (S1): SD = (b - a) / ξ(n), ξ(n) = 2 Φ⁻¹((n - 0.375) / (n + 0.25)).
    # By hand, n = 26, a = 2, b = 30: 25.625 / 26.25 = 0.976190, Φ⁻¹ = 1.980752, ξ = 3.961505;
    # SD = 28 / 3.961505 = 7.06802.
    assert cv.wan_sd_from_range(2, 30, 26) == close(7.06802)


def test_wan_sd_from_iqr_by_hand() -> None:
    # Wan 2014 eq. 16 (S2): SD = (q3 - q1) / η(n), η(n) = 2 Φ⁻¹((0.75 n - 0.125) / (n + 0.25)).
    # By hand, n = 26, q1 = 8, q3 = 14: 19.375 / 26.25 = 0.738095, Φ⁻¹ = 0.637484,
    # η = 1.274968; SD = 6 / 1.274968 = 4.70600.
    assert cv.wan_sd_from_iqr(8, 14, 26) == close(4.70600)


def test_wan_sd_from_five_by_hand() -> None:
    # Wan 2014 eq. 13 (S3): the mean of the two: (7.06802 + 4.70600) / 2 = 5.88701.
    assert cv.wan_sd_from_five(2, 8, 14, 30, 26) == close(5.88701)


def test_shi_sd_from_five_by_hand() -> None:
    # Shi 2020 eq. 10: w = 1 / (1 + 0.07 x 26^0.6) = 1 / (1 + 0.07 x 7.062915) = 0.669163;
    # SD = 0.669163 x 7.06802 + 0.330837 x 4.70600 = 4.72966 + 1.55692 = 6.28658.
    assert cv.shi_sd_from_five(2, 8, 14, 30, 26) == close(6.28658)


def test_luo_means_by_hand() -> None:
    # Luo 2018 eq. 7 (S1): w = 4 / (4 + 26^0.75) = 4 / (4 + 11.514100) = 0.257830;
    # mean = 0.257830 x 16 + 0.742170 x 10 = 4.12528 + 7.42170 = 11.54698.
    assert cv.luo_mean_from_range(2, 10, 30, 26) == close(11.54698)
    # Eq. 11 (S2): w = 0.7 + 0.39 / 26 = 0.715; mean = 0.715 x 11 + 0.285 x 10 = 10.715.
    assert cv.luo_mean_from_iqr(8, 10, 14, 26) == close(10.715)
    # Eq. 15 (S3): w1 = 2.2 / (2.2 + 11.514100) = 0.160419; w2 = 0.7 - 0.72 / 26^0.55 =
    # 0.7 - 0.72 / 6.001162 = 0.580023; mean = 0.160419 x 16 + 0.580023 x 11 + 0.259558 x 10
    # = 2.56670 + 6.38026 + 2.59558 = 11.54254.
    assert cv.luo_mean_from_five(2, 8, 10, 14, 30, 26) == close(11.54254)


def test_median_estimators_recover_a_large_normal_sample() -> None:
    # Independent check: for normal data, mean and SD estimated from the five-number summary
    # are near the sample's own (the property Wan, Luo and Shi optimise).
    rng = Random(13)
    sample = sorted(rng.gauss(50, 10) for _ in range(2001))
    n = len(sample)
    q1, median, q3 = statistics.quantiles(sample, n=4)
    low, high = sample[0], sample[-1]
    mean, sd = statistics.mean(sample), statistics.stdev(sample)
    assert cv.luo_mean_from_five(low, q1, median, q3, high, n) == pytest.approx(mean, rel=0.01)
    assert cv.luo_mean_from_iqr(q1, median, q3, n) == pytest.approx(mean, rel=0.01)
    assert cv.shi_sd_from_five(low, q1, q3, high, n) == pytest.approx(sd, rel=0.05)
    assert cv.wan_sd_from_iqr(q1, q3, n) == pytest.approx(sd, rel=0.05)
    assert not cv.shi_skew_from_five(low, q1, median, q3, high, n).skewed


def test_shi_2023_skewness_tests_by_hand() -> None:
    # S1: T = |2 + 30 - 20| / 28 = 0.428571; critical 1 / ln(35) + 2.5 / 27 = 0.281266 +
    # 0.092593 = 0.373859: skewed.
    s1 = cv.shi_skew_from_range(2, 10, 30, 26)
    assert (s1.statistic, s1.critical, s1.skewed) == (close(0.428571), close(0.373859), True)
    # S2: T = |8 + 14 - 20| / 6 = 0.333333; critical 2.65 / sqrt(26) - 6 / 676 = 0.519708 -
    # 0.008876 = 0.510832: not skewed.
    s2 = cv.shi_skew_from_iqr(8, 10, 14, 26)
    assert (s2.statistic, s2.critical, s2.skewed) == (close(0.333333), close(0.510832), False)
    # S3: max(2.65 ln(15.6) / sqrt(26) x 0.428571, 0.333333) = 2.65 x 2.747271 / 5.099020
    # x 0.428571 = 0.611905; critical 3 / 5.099020 - 40 / 17576 = 0.588348 - 0.002276
    # = 0.586073: skewed.
    s3 = cv.shi_skew_from_five(2, 8, 10, 14, 30, 26)
    assert (s3.statistic, s3.critical, s3.skewed) == (close(0.611905), close(0.586073), True)


# --- Handbook 23.1.4: cluster trials ---------------------------------------------------------


def test_design_effect_and_effective_sizes_by_hand() -> None:
    # Handbook 23.1.4: design effect = 1 + (M - 1) ICC; sizes (events and totals alike) are
    # divided by it. By hand: M = 10, ICC = 0.05: 1 + 9 x 0.05 = 1.45; 100 / 1.45 = 68.9655,
    # 29 events / 1.45 = 20; an SE of 0.2 from an analysis ignoring clustering: 0.2 x
    # sqrt(1.45) = 0.240832.
    effect = cv.design_effect(10, 0.05)
    assert effect == close(1.45)
    assert cv.effective_size(100, effect) == close(68.9655)
    assert cv.effective_size(29, effect) == close(20.0)
    assert cv.se_for_clustering(0.2, effect) == close(0.240832)


# --- Handbook 23.2.7: crossover trials, paired analysis --------------------------------------


def test_paired_se_from_t_by_hand() -> None:
    # Handbook 23.2.7: SE(MD) = MD / t. By hand: MD = -3, t = -2.5 -> 1.2.
    assert cv.se_from_paired_t(-3, -2.5) == close(1.2)


def test_paired_se_from_p_by_hand() -> None:
    # Handbook 23.2.7: t from a two-sided P with N - 1 df. By hand: N = 20, P = 0.03:
    # t(0.985; 19) = 2.34565; SE = 2 / 2.34565 = 0.852643.
    assert cv.t_from_p(0.03, 19) == close(2.34565)
    assert cv.se_from_paired_p(2, 0.03, 20) == close(0.852643)


def test_paired_se_from_the_correlation_by_hand() -> None:
    # Handbook 23.2.7: SD_diff = sqrt(SD_E² + SD_C² - 2 r SD_E SD_C), SE = SD_diff / sqrt(N).
    # By hand: SD_E = 10, SD_C = 12, r = 0.6, N = 20: sqrt(100 + 144 - 144) = 10;
    # 10 / sqrt(20) = 2.23607.
    assert cv.se_paired_from_correlation(10, 12, 0.6, 20) == close(2.23607)


def test_the_correlation_a_crossover_implies_turns_the_paired_se_round() -> None:
    # Handbook 23.2.7: the correlation recovered from the paired SE is the one that made it.
    se = cv.se_paired_from_correlation(10, 12, 0.6, 20)
    assert cv.crossover_correlation(10, 12, se, 20) == close(0.6)


def test_every_conversion_used_in_steps_cites_a_source() -> None:
    cited = [cv.sd_from_se, cv.sd_from_ci, cv.se_from_ci, cv.z_from_p, cv.t_from_p,
             cv.design_effect, cv.se_paired_from_correlation, cv.luo_mean_from_five,
             cv.shi_sd_from_five, cv.shi_skew_from_five]  # fmt: skip
    for function in cited:
        citation = cv.citation(function)
        assert citation.formula and citation.source
