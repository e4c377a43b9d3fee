"""Subgroups, leave-one-out, Egger's test and sensitivity analyses against R metafor 3.8-1.

Every literal below was printed by R 4 with metafor 3.8-1 (``options(digits=17)``) for the call
named beside it, on ``dat <- escalc("RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg,
slab=paste(author, year))`` unless said otherwise. The data are read from ../shared/data (GPL
test data, not copied into the project), so these tests skip when that folder is absent.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review_app.domain.meta import model
from review_app.domain.meta.effects import effect_sizes
from review_app.domain.meta.errors import MetaError
from review_app.domain.meta.further import (
    AnalysisChoices,
    EggerResult,
    NotApplicable,
    egger,
    leave_one_out,
    sensitivity,
    subgroup_difference,
    subgroups,
)
from review_app.domain.meta.model import Dichotomous, EffectSize, Generic, Method, Pooled
from review_app.domain.meta.pooling import analyse
from review_app.domain.vocabulary import EffectMeasure
from tests.conftest import shared_data
from tests.domain.meta.test_mh import close, read_tables

ALLOC = ("alternate", "random", "systematic")


def bcg_allocation() -> dict[str, str]:
    """dat.bcg's study -> how treatment was allocated (the subgroups of metafor's examples)."""
    with shared_data("meta_analysis", "dat.bcg.csv").open(newline="") as handle:
        return {f"{row['author']} {row['year']}": row["alloc"] for row in csv.DictReader(handle)}


def bcg_effects(measure: EffectMeasure = EffectMeasure.RR) -> tuple[EffectSize, ...]:
    effects, dropped = effect_sizes(read_tables("dat.bcg"), measure)
    assert not dropped
    return effects


def assert_pooled(pooled: Pooled | None, expected: dict[str, float]) -> None:
    assert pooled is not None
    wrong = {
        name: (getattr(pooled, name), value)
        for name, value in expected.items()
        if not close(getattr(pooled, name), value)
    }
    assert not wrong, f"(ours, metafor): {wrong}"


# --- subgroups ----------------------------------------------------------------------------------

# rma(yi, vi, data=dat, subset=alloc==g, method=m): k, beta, se, ci.lb, ci.ub, tau2, QE, I2
SubgroupRow = tuple[int, float, float, float, float, float | None, float, float]
SUBGROUPS: dict[Method, dict[str, SubgroupRow]] = {
    Method.EE: {
        "alternate": (
            2,
            -0.71855536763460082,
            0.078006776616043078,
            -0.87144584035210648,
            -0.56566489491709515,
            None,
            5.5625135079838497,
            82.022515566664154,
        ),
        "random": (
            7,
            -0.29453666361477598,
            0.054617793813950093,
            -0.40158557240515269,
            -0.18748775482439928,
            None,
            110.21326117518791,
            94.556009017405998,
        ),
        "systematic": (
            4,
            -0.41332837960345098,
            0.095284610138871725,
            -0.60008278375657964,
            -0.22657397545032235,
            None,
            16.591863579535822,
            81.918848442677898,
        ),
    },
    Method.REML: {
        "alternate": (
            2,
            -0.54079296184934578,
            0.28160161310388798,
            -1.0927219815213487,
            0.011136057822657142,
            0.13257703987809277,
            5.5625135079838497,
            82.022515566664154,
        ),
        "random": (
            7,
            -0.97096447575837874,
            0.27595570150900306,
            -1.5118277120445103,
            -0.43010123947224732,
            0.39252654911840751,
            110.21326117518791,
            89.934282081686305,
        ),
        "systematic": (
            4,
            -0.42420734295439855,
            0.35974538736879819,
            -1.1292953458016535,
            0.28088065989285627,
            0.40034629681391692,
            16.591863579535822,
            86.42213180190042,
        ),
    },
}
# The test for subgroup differences, RevMan's way: b <- rma(est, se^2, method="EE") over the
# subgroups' estimates; b$QE, b$QEp, b$I2. For EE it equals QM of
# rma(yi, vi, mods=~factor(alloc), data=dat, method="EE"): QM 19.86536981966557, QMdf 2,
# QMp 4.8561238362814666e-05.
DIFFERENCES = {
    Method.EE: (19.865369819665638, 4.8561238362813026e-05, 89.932228706761308),
    Method.REML: (1.8614461412311942, 0.39426852329497952, 0.0),
}


@pytest.mark.parametrize("method", list(SUBGROUPS))
def test_subgroups_by_allocation_match_metafor(method: Method) -> None:
    result = subgroups(
        read_tables("dat.bcg"), bcg_allocation(), AnalysisChoices(EffectMeasure.RR, method=method)
    )
    parts = {part.name: part.analysis.pooled for part in result.subgroups}
    assert [part.name for part in result.subgroups] == ["random", "alternate", "systematic"]
    for name, (k, estimate, se, low, high, tau2, q, i2) in SUBGROUPS[method].items():
        pooled = parts[name]
        assert pooled is not None and pooled.k == k
        assert_pooled(pooled, {"estimate": estimate, "se": se, "ci_low": low, "ci_high": high})
        assert_pooled(pooled, {"q": q, "i2": i2})
        assert pooled.tau2 is None if tau2 is None else close(pooled.tau2, tau2)
    q, p, i2 = DIFFERENCES[method]
    assert result.difference is not None and result.difference.df == 2
    assert close(result.difference.q, q) and close(result.difference.p, p)
    assert close(result.difference.i2, i2)


def test_subgroups_with_mantel_haenszel_and_with_hksj() -> None:
    tables, groups = read_tables("dat.bcg"), bcg_allocation()
    # fits <- lapply(levels, function(g) rma.mh(ai=tpos, bi=tneg, ci=cpos, di=cneg,
    #   data=dat.bcg, subset=alloc==g, measure="RR")); rma(beta, se^2, method="EE")
    mh = subgroups(tables, groups, AnalysisChoices(EffectMeasure.RR, method=Method.MH))
    alternate = next(p.analysis.pooled for p in mh.subgroups if p.name == "alternate")
    assert_pooled(alternate, {"estimate": -0.710489628693012465, "se": 0.077709123904884936})
    assert_pooled(alternate, {"q": 5.573204639152670836})
    assert mh.difference is not None
    assert close(mh.difference.q, 14.779808626579570) and close(
        mh.difference.p, 6.1745503292378765e-04
    )
    # the same with rma(..., method="REML", test="knha") per subgroup: the HKSJ SEs are weighed
    knha = subgroups(tables, groups, AnalysisChoices(EffectMeasure.RR, test=model.Test.KNHA))
    random = next(p.analysis.pooled for p in knha.subgroups if p.name == "random")
    assert_pooled(random, {"se": 0.25312756479602866, "ci_low": -1.59034531390924738})
    assert knha.difference is not None
    assert close(knha.difference.q, 2.03834507049709490)
    assert close(knha.difference.i2, 1.88118641206042803)


def test_a_study_without_a_subgroup_is_named() -> None:
    tables = read_tables("dat.bcg")
    groups = {t.study: "all" for t in tables[1:]}
    with pytest.raises(MetaError, match="'Aronson 1948' has none"):
        subgroups(tables, groups, AnalysisChoices(EffectMeasure.RR))


def test_one_subgroup_has_no_test_for_differences_and_says_why() -> None:
    tables = read_tables("dat.bcg")
    result = subgroups(tables, {t.study: "all" for t in tables}, AnalysisChoices(EffectMeasure.RR))
    assert result.difference is None
    assert any("two or more subgroups" in note for note in result.notes)


def test_a_subgroup_that_cannot_be_pooled_is_kept_without_a_result() -> None:
    tables = [
        Dichotomous("a1", 2, 10, 3, 10),
        Dichotomous("a2", 4, 12, 5, 11),
        Dichotomous("b1", 0, 10, 3, 10),  # MH risk ratio undefined without intervention events
    ]
    groups = {"a1": "A", "a2": "A", "b1": "B"}
    result = subgroups(tables, groups, AnalysisChoices(EffectMeasure.RR, method=Method.MH))
    a, b = result.subgroups
    assert a.analysis.pooled is not None and a.analysis.pooled.k == 2
    assert b.analysis.pooled is None and len(b.analysis.effects) == 1
    assert b.analysis.notes[0].startswith("Not estimable: The Mantel-Haenszel risk ratio")
    assert result.difference is None
    assert result.notes[0] == "Subgroup 'B' has no pooled result."
    with pytest.raises(MetaError, match="risk ratio cannot be estimated"):
        subgroups(tables[2:], groups, AnalysisChoices(EffectMeasure.RR, method=Method.MH))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-3, 3),
            st.floats(0.01, 2),
            st.sampled_from("xyz"),
        ),
        min_size=4,
        max_size=30,
    )
)
def test_fixed_effect_q_between_is_the_q_the_subgroups_do_not_explain(
    rows: list[tuple[float, float, str]],
) -> None:
    """Q_total = Q_between + sum of Q_within for inverse-variance fixed effect (Borenstein et al.
    2009, ch. 19), so RevMan's test and metafor's QM agree."""
    data = [Generic(f"s{i}", yi, vi) for i, (yi, vi, _) in enumerate(rows)]
    groups = {f"s{i}": group for i, (*_, group) in enumerate(rows)}
    choices = AnalysisChoices(EffectMeasure.MD, method=Method.EE)
    result = subgroups(data, groups, choices)
    if result.difference is None:
        assert len({group for *_, group in rows}) == 1
        return
    total = analyse(data, EffectMeasure.MD, method=Method.EE).pooled
    assert total is not None
    within = sum(part.analysis.pooled.q for part in result.subgroups if part.analysis.pooled)
    assert math.isclose(result.difference.q + within, total.q, rel_tol=1e-9, abs_tol=1e-9)


def test_equal_subgroup_estimates_differ_by_nothing() -> None:
    choices = AnalysisChoices(EffectMeasure.RR, method=Method.EE)
    result = subgroups(read_tables("dat.bcg"), bcg_allocation(), choices)
    pooled = result.subgroups[0].analysis.pooled
    assert pooled is not None
    same = subgroup_difference([pooled, pooled, pooled])
    assert (same.q, same.df, same.p, same.i2) == (0.0, 2, 1.0, 0.0)


# --- leave-one-out ------------------------------------------------------------------------------

# as.data.frame(leave1out(rma(yi, vi, data=dat, method="REML"))): the study left out, estimate,
# se, zval, pval, ci.lb, ci.ub, Q, Qp, tau2, I2, H2
LEAVE1OUT = [
    (
        "Aronson 1948",
        -0.70708378803143690,
        0.18996102470271711,
        -3.7222571795345929,
        1.9744975902319655e-04,
        -1.07940055491508602,
        -0.33476702114778789,
        151.582572747108600,
        7.0778599767807972e-27,
        0.33615674530030565,
        93.225934911122309,
        14.7621846982529590,
    ),
    (
        "Ferguson & Simes 1949",
        -0.65403120039781426,
        0.18069538662381887,
        -3.6195235120164453,
        2.9514599390012374e-04,
        -1.00818765035303981,
        -0.29987475044258866,
        145.317607670208815,
        1.3458018282130895e-25,
        0.29258308555412349,
        92.253955505486132,
        12.9098148184954287,
    ),
    (
        "Rosenthal et al 1960",
        -0.68555441797283179,
        0.18570622711370866,
        -3.6916070539361296,
        2.2284156409408832e-04,
        -1.04953193482051632,
        -0.32157690112514720,
        150.197044457952614,
        1.3585193346892053e-26,
        0.32073805688721874,
        92.935414402330380,
        14.1551119478241780,
    ),
    (
        "Hart & Sutherland 1977",
        -0.62840940786250521,
        0.17661894594992472,
        -3.5579954601284554,
        3.7369577085264946e-04,
        -0.97457618091178411,
        -0.28224263481322637,
        96.562594971391491,
        8.5382095459992344e-16,
        0.26275835624150079,
        90.412470800287693,
        10.4302159520933291,
    ),
    (
        "Frimodt-Moller et al 1973",
        -0.76417009498722199,
        0.19178764431498513,
        -3.9844594667014968,
        6.7633899792588360e-05,
        -1.14006697052437089,
        -0.38827321945007315,
        151.320008931120782,
        8.0089404671996554e-27,
        0.32780325861839499,
        92.763435734804474,
        13.8187123523455639,
    ),
    (
        "Stein & Aronson 1953",
        -0.71087656485093531,
        0.20025407305452378,
        -3.5498731886336357,
        3.8541675978679118e-04,
        -1.10336733579525470,
        -0.31838579390661587,
        128.186664682906382,
        4.0504616569470614e-22,
        0.35955418115219112,
        90.911810088948030,
        11.0032911920548653,
    ),
    (
        "Vandiviere et al 1973",
        -0.65524759979198433,
        0.18047336924070290,
        -3.6307162799075381,
        2.8263574752664306e-04,
        -1.00896890367236081,
        -0.30152629591160790,
        145.829638145065161,
        1.0582090159355596e-25,
        0.29302586988829016,
        92.277717724493613,
        12.9495395832888640,
    ),
    (
        "TPT Madras 1980",
        -0.79476761094828696,
        0.17987771255124058,
        -4.4183773502339081,
        9.9444686633338425e-06,
        -1.14732144917016687,
        -0.44221377272640705,
        67.985811499084903,
        2.9447238549155972e-10,
        0.27318303411621081,
        87.031367066562026,
        7.7109129785116135,
    ),
    (
        "Coetzee & Berjak 1968",
        -0.74119729931384781,
        0.19667491774174964,
        -3.7686417150920124,
        1.6413828792731663e-04,
        -1.12667305475005475,
        -0.35572154387764088,
        152.205060685431107,
        5.2799608490696254e-27,
        0.34945200992289854,
        93.213262037789363,
        14.7346192761252901,
    ),
    (
        "Rosenthal et al 1961",
        -0.65303292576343086,
        0.18426751166366770,
        -3.5439395684431458,
        3.9419558854533591e-04,
        -1.01419061214503392,
        -0.29187523938182786,
        139.827073316801631,
        1.7662701205925185e-24,
        0.29872460091303460,
        92.232233251075129,
        12.8737130287596528,
    ),
    (
        "Comstock et al 1974",
        -0.75785862520424874,
        0.19578686099293799,
        -3.8708349547091654,
        1.0846321104823852e-04,
        -1.14159382139655707,
        -0.37412342901194034,
        151.465504507946974,
        7.4788302150902790e-27,
        0.34048826533464821,
        91.810951423300708,
        12.2114307985099728,
    ),
    (
        "Comstock & Webster 1969",
        -0.75981209733942146,
        0.18209097901271967,
        -4.1727058718617025,
        3.0100341088270841e-05,
        -1.11670385811399075,
        -0.40292033656485210,
        150.786834541142127,
        1.0293155910199045e-26,
        0.30816220271827904,
        92.678205698932786,
        13.6578543302458240,
    ),
    (
        "Comstock et al 1976",
        -0.77753618077462405,
        0.18553596762023358,
        -4.1907571386165561,
        2.7802512863494602e-05,
        -1.14117999514707158,
        -0.41389236640217664,
        149.788423825434336,
        1.6464399663921876e-26,
        0.30373332656113050,
        92.344399619602484,
        13.0623328061969097,
    ),
]
LEAVE1OUT_FIELDS = (
    "estimate",
    "se",
    "statistic",
    "pval",
    "ci_low",
    "ci_high",
    "q",
    "q_p",
    "tau2",
    "i2",
    "h2",
)


def test_leave_one_out_matches_metafor_leave1out() -> None:
    rows = leave_one_out(read_tables("dat.bcg"), AnalysisChoices(EffectMeasure.RR))
    assert [row.study for row in rows] == [expected[0] for expected in LEAVE1OUT]
    for row, (_, *values) in zip(rows, LEAVE1OUT, strict=True):
        assert row.pooled is not None and row.pooled.k == 12 and not row.note
        assert_pooled(row.pooled, dict(zip(LEAVE1OUT_FIELDS, values, strict=True)))


def test_leave_one_out_with_mantel_haenszel_matches_metafor() -> None:
    rows = leave_one_out(
        read_tables("dat.li2007"), AnalysisChoices(EffectMeasure.OR, method=Method.MH)
    )
    # as.data.frame(leave1out(rma.mh(ai=ai, n1i=n1i, ci=ci, n2i=n2i, data=dat.li2007,
    #   measure="OR", slab=study)))[c(1, 16, 20), c("estimate", "se", "Q", "Qp", "I2")]
    expected = {
        0: ("Morton", -0.012667888720369965, 0.027269623741322524, 57.331615490519283,
            1.8278906843038941e-05, 65.115233839333683),
        15: ("Urek", -0.013459239097500955, 0.027264695415108522, 57.322098058187208,
             1.8339904251862233e-05, 65.109441772877616),
        19: ("Santoro", -0.012721992018834467, 0.027264688947914981, 57.313792792027279,
             1.8393295802517353e-05, 65.104385828079188),
    }  # fmt: skip
    for index, (study, *values) in expected.items():
        assert rows[index].study == study
        fields = dict(zip(("estimate", "se", "q", "q_p", "i2"), values, strict=True))
        assert_pooled(rows[index].pooled, fields)


def test_leave_one_out_keeps_a_row_for_an_analysis_that_cannot_be_pooled() -> None:
    tables = [Dichotomous("a", 2, 10, 3, 10), Dichotomous("b", 0, 10, 2, 10)]
    without_a, without_b = leave_one_out(
        tables, AnalysisChoices(EffectMeasure.RR, method=Method.MH)
    )
    assert without_a.study == "a" and without_a.pooled is None
    assert without_a.note.startswith("Not estimable: The Mantel-Haenszel risk ratio")
    assert without_b.pooled is not None and close(without_b.pooled.estimate, math.log(2 / 3))


def test_leave_one_out_needs_two_studies() -> None:
    with pytest.raises(MetaError, match="at least two studies"):
        leave_one_out(read_tables("dat.bcg")[:1], AnalysisChoices(EffectMeasure.RR))


# --- Egger's test -------------------------------------------------------------------------------

# regtest(rma(yi, vi, data=dat, method="EE"), model="lm"): zval, pval, dfs, est, ci.lb, ci.ub;
# and summary(regtest(dat$yi, dat$vi, model="lm", ret.fit=TRUE)$fit)$coefficients["Xsei", 1:2]
EGGER_BCG = (
    -1.40128200228933264,
    0.18870699508197877,
    11,
    -0.19092864235982013,
    -0.67533235027608185,
    0.29347506555644165,
    -2.11204212089329557,
    1.50722132835700773,
)
# the same on li <- escalc("OR", ai=ai, n1i=n1i, ci=ci, n2i=n2i, data=dat.li2007) (k = 22)
EGGER_LI2007 = (
    -5.0220952591813184,
    6.5328154583146206e-05,
    20,
    0.078998422661572254,
    5.2580710225770821e-03,
    0.15273877430056743,
    -1.381803515592731069,
    0.275144823879343747,
)


def assert_egger(result: EggerResult | NotApplicable, expected: tuple[float, ...]) -> None:
    assert isinstance(result, EggerResult), result
    statistic, pval, df, limit, low, high, bias, bias_se = expected
    assert result.df == df
    ours = (
        result.statistic,
        result.pval,
        result.limit_estimate,
        result.limit_ci_low,
        result.limit_ci_high,
        result.bias,
        result.bias_se,
    )
    theirs = (statistic, pval, limit, low, high, bias, bias_se)
    assert all(close(a, b) for a, b in zip(ours, theirs, strict=True)), (ours, theirs)


def test_egger_matches_regtest_lm() -> None:
    assert_egger(egger(bcg_effects()), EGGER_BCG)
    li2007, _ = effect_sizes(read_tables("dat.li2007"), EffectMeasure.OR)
    assert_egger(egger(li2007), EGGER_LI2007)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(0.01, 4)), min_size=10, max_size=40))
def test_egger_is_the_intercept_of_the_standardised_regression(
    rows: list[tuple[float, float]],
) -> None:
    """Egger's own form (BMJ 1997): ordinary least squares of yi/sei on 1/sei; its intercept is
    the bias, its slope the limit estimate, and the intercept's t is the test."""
    effects = [EffectSize(f"s{i}", yi, vi) for i, (yi, vi) in enumerate(rows)]
    result = egger(effects)
    if isinstance(result, NotApplicable):
        assert "unequal precision" in result.reason or "no residual variance" in result.reason
        return
    sei = np.sqrt([vi for _, vi in rows])
    standardised = np.array([yi for yi, _ in rows]) / sei
    design = np.column_stack([np.ones(len(rows)), 1 / sei])
    coefficients, residual, *_ = np.linalg.lstsq(design, standardised, rcond=None)
    sigma2 = float(residual[0]) / (len(rows) - 2) if residual.size else 0.0
    se_intercept = math.sqrt(sigma2 * np.linalg.inv(design.T @ design)[0, 0])
    assert math.isclose(result.bias, coefficients[0], rel_tol=1e-7, abs_tol=1e-9)
    assert math.isclose(result.limit_estimate, coefficients[1], rel_tol=1e-7, abs_tol=1e-9)
    assert math.isclose(result.bias_se, se_intercept, rel_tol=1e-6, abs_tol=1e-9)


def test_egger_with_fewer_than_ten_studies_says_why_not() -> None:
    result = egger(bcg_effects()[:9])
    assert isinstance(result, NotApplicable)
    assert "9 studies" in result.reason and "at least 10" in result.reason
    # a reviewer may lower the bar knowingly; the statistic is then computed on those studies
    assert isinstance(egger(bcg_effects()[:9], min_studies=3), EggerResult)


def test_egger_needs_studies_of_unequal_precision() -> None:
    same = [EffectSize(f"s{i}", yi=0.1 * i, vi=0.04) for i in range(12)]
    result = egger(same)
    assert isinstance(result, NotApplicable) and "unequal precision" in result.reason
    equal = [EffectSize(f"s{i}", yi=0.3, vi=0.01 * (i + 1)) for i in range(12)]
    result = egger(equal)
    assert isinstance(result, NotApplicable) and "no residual variance" in result.reason


# --- sensitivity --------------------------------------------------------------------------------


def test_sensitivity_leaves_out_the_studies_and_says_which_and_why() -> None:
    tables = read_tables("dat.bcg")
    left_out = {"TPT Madras 1980", "Comstock et al 1974"}
    result = sensitivity(
        tables, AnalysisChoices(EffectMeasure.RR), exclude=left_out, rule="high risk of bias"
    )
    assert result.excluded == ("TPT Madras 1980", "Comstock et al 1974")
    assert result.sentence == (
        "Sensitivity analysis without 2 studies (high risk of bias): 'TPT Madras 1980' and "
        "'Comstock et al 1974'."
    )
    # rma(yi, vi, data=dat, subset=!(paste(author, year) %in% left_out), method="REML") and
    # predict() for the prediction interval
    pooled = result.analysis.pooled
    assert pooled is not None and pooled.k == 11
    assert_pooled(
        pooled,
        {
            "estimate": -0.85320988001844511,
            "se": 0.19381594397029128,
            "ci_low": -1.23308214982984898,
            "ci_high": -0.47333761020704118,
            "tau2": 0.28397507251467269,
            "q": 51.05981320937903689,
            "i2": 84.20748515532268641,
            "pi_low": -1.96459707111811355,
            "pi_high": 0.25817731108122333,
        },
    )


def test_sensitivity_refuses_unknown_studies_and_excluding_everything() -> None:
    tables = read_tables("dat.bcg")
    with pytest.raises(MetaError, match="'Nobody 2020'"):
        sensitivity(tables, AnalysisChoices(EffectMeasure.RR), exclude={"Nobody 2020"}, rule="x")
    with pytest.raises(MetaError, match="needs its rule"):
        sensitivity(tables, AnalysisChoices(EffectMeasure.RR), exclude=set(), rule=" ")
    with pytest.raises(MetaError, match="leaves no study"):
        everyone = {t.study for t in tables}
        sensitivity(tables, AnalysisChoices(EffectMeasure.RR), exclude=everyone, rule="any bias")


def test_sensitivity_that_excludes_nothing_says_so() -> None:
    tables = read_tables("dat.bcg")
    result = sensitivity(tables, AnalysisChoices(EffectMeasure.RR), exclude=set(), rule="high risk")
    assert result.excluded == () and "none was excluded" in result.sentence
    assert result.analysis.pooled is not None and result.analysis.pooled.k == 13
