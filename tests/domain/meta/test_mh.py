"""Mantel-Haenszel and Peto pooling against R metafor 3.8-1.

The shared reference file holds metafor's ``rma.mh()`` and ``rma.peto()`` results with their
defaults for dat.bcg (RR, OR, RD) and dat.li2007 (OR, with zero cells); the literals below were
printed by metafor 3.8-1 (``options(digits=17)``) for the calls named beside them.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from review_app.domain.meta import model
from review_app.domain.meta.errors import MetaError
from review_app.domain.meta.mh import mantel_haenszel, peto
from review_app.domain.meta.model import Dichotomous, Method, Pooled
from review_app.domain.vocabulary import EffectMeasure
from tests.conftest import shared_data

RELATIVE = 1e-6
ABSOLUTE = 1e-9  # near zero (the plan's tolerance)

# The small set with a table without events in either arm (study 1) and one with a zero cell
# (study 4): d <- data.frame(ai=c(0,3,5,0), n1i=c(10,20,30,15), ci=c(0,6,2,4), n2i=c(12,20,30,15))
ZEROS = [
    Dichotomous("one", 0, 10, 0, 12),
    Dichotomous("two", 3, 20, 6, 20),
    Dichotomous("three", 5, 30, 2, 30),
    Dichotomous("four", 0, 15, 4, 15),
]


def close(actual: float | None, expected: float) -> bool:
    return actual is not None and math.isclose(actual, expected, rel_tol=RELATIVE, abs_tol=ABSOLUTE)


def all_close(actual: tuple[float | None, ...], expected: tuple[float, ...]) -> bool:
    return all(close(a, e) for a, e in zip(actual, expected, strict=True))


def read_tables(name: str) -> list[Dichotomous]:
    with shared_data("meta_analysis", f"{name}.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if name == "dat.bcg":
        return [
            Dichotomous(
                f"{row['author']} {row['year']}",
                float(row["tpos"]),
                float(row["tpos"]) + float(row["tneg"]),
                float(row["cpos"]),
                float(row["cpos"]) + float(row["cneg"]),
            )
            for row in rows
        ]
    return [
        Dichotomous(
            row["study"], float(row["ai"]), float(row["n1i"]), float(row["ci"]), float(row["n2i"])
        )
        for row in rows
    ]


def reference_rows() -> list[dict[str, str]]:
    path = shared_data("meta_analysis", "metafor_3.8-1_pooled_results.csv")
    with Path(path).open(newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["method"] in {"MH", "PETO"}]


def assert_matches(pooled: Pooled, row: dict[str, str]) -> None:
    fields = {
        "estimate": pooled.estimate,
        "se": pooled.se,
        "zval": pooled.statistic,
        "pval": pooled.pval,
        "ci_lb": pooled.ci_low,
        "ci_ub": pooled.ci_high,
        "I2": pooled.i2,
        "H2": pooled.h2,
        "QE": pooled.q,
        "QEp": pooled.q_p,
    }
    wrong = {
        name: (value, row[name])
        for name, value in fields.items()
        if not close(value, float(row[name]))
    }
    assert not wrong, f"{row['analysis']} {row['method']}: (ours, metafor) {wrong}"
    assert pooled.k == int(row["k"])
    if row["QE_df"] != "NA":
        assert pooled.q_df == int(row["QE_df"])


def test_every_mh_and_peto_row_of_the_reference_file_is_matched() -> None:
    rows = reference_rows()
    assert len(rows) == 6
    for row in rows:
        tables = read_tables(row["dataset"])
        if row["method"] == "PETO":
            pooled = peto(tables)
        else:
            pooled = mantel_haenszel(tables, EffectMeasure(row["measure"]))
        assert (pooled.method, pooled.test) == (Method(row["method"]), model.Test.Z)
        assert pooled.tau2 is None and pooled.pi_low is None and pooled.pi_high is None
        assert_matches(pooled, row)


def test_li2007_weights_are_metafors() -> None:
    tables = read_tables("dat.li2007")
    # weights(rma.mh(ai=ai, n1i=n1i, ci=ci, n2i=n2i, data=dat.li2007, measure="OR")), rows 14-16
    mh = mantel_haenszel(tables, EffectMeasure.OR).weights
    expected = [71.675337883777174852, 0.105076915332501283, 0.0]
    assert all(close(w, e) for w, e in zip(mh[13:16], expected, strict=True)), mh[13:16]
    # weights(rma.peto(ai=ai, n1i=n1i, ci=ci, n2i=n2i, data=dat.li2007)), rows 14-16
    petos = peto(tables).weights
    expected = [74.357610598804441793, 0.104284445797131198, 0.018594966993831299]
    assert all(close(w, e) for w, e in zip(petos[13:16], expected, strict=True)), petos[13:16]
    assert math.isclose(sum(mh), 100) and math.isclose(sum(petos), 100)


# rma.mh(ai=ai, n1i=n1i, ci=ci, n2i=n2i, data=d, measure=m) on ZEROS; fields estimate, se, z, p,
# ci.lb, ci.ub, QE, QEp, I2, H2, then weights(fit).
ZEROS_MH = {
    EffectMeasure.RR: (
        (
            -0.40546510810816444,
            0.42736271349860283,
            -0.94876107648424979,
            0.34274214254514118,
            -1.24308063490073550,
            0.43215041868440657,
            4.49617198645951710,
            0.10560115257540083,
            55.51771582530392379,
            2.24808599322975855,
        ),
        (0.0, 50.0, 16.666666666666664, 33.333333333333329),
    ),
    EffectMeasure.OR: (
        (
            -0.46444634418086933,
            0.48685986274981358,
            -0.95396310050627020,
            0.34010232074882302,
            -1.41867414068861764,
            0.48978145232687903,
            4.89960115231580229,
            0.08631079721399508,
            59.18035085254444283,
            2.44980057615790114,
        ),
        (0.0, 47.368421052631582, 15.479876160990713, 37.151702786377712),
    ),
    EffectMeasure.RD: (
        (
            -0.052694610778443118,
            0.054746466954960320,
            -0.962520756303685276,
            0.335788081960617768,
            -0.159995714290977531,
            0.054606492734091294,
            6.719025134450689940,
            0.034752194175442300,
            70.233777073621425302,
            3.359512567225344970,
        ),
        (14.371257485029940, 26.347305389221560, 39.520958083832333, 19.760479041916167),
    ),
}
# rma.peto(ai=ai, n1i=n1i, ci=ci, n2i=n2i, data=d) on ZEROS, the same fields.
ZEROS_PETO = (
    (
        -0.469809218551159258,
        0.484669587735376328,
        -0.969339175470752545,
        0.332375989187828846,
        -1.419744154914372558,
        0.480125717812054098,
        6.211251386926361917,
        0.044796480923411555,
        67.800369435864993761,
        3.105625693463180959,
    ),
    (0.0, 42.011785889670975, 36.927800864932223, 21.060413245396795),
)


def as_fields(pooled: Pooled) -> tuple[float | None, ...]:
    return (
        pooled.estimate,
        pooled.se,
        pooled.statistic,
        pooled.pval,
        pooled.ci_low,
        pooled.ci_high,
        pooled.q,
        pooled.q_p,
        pooled.i2,
        pooled.h2,
    )


@pytest.mark.parametrize("measure", list(ZEROS_MH))
def test_a_table_without_events_stays_in_the_pooling_but_not_in_q(measure: EffectMeasure) -> None:
    pooled = mantel_haenszel(ZEROS, measure)
    expected, weights = ZEROS_MH[measure]
    assert all(close(a, e) for a, e in zip(as_fields(pooled), expected, strict=True)), as_fields(
        pooled
    )
    assert all(close(a, e) for a, e in zip(pooled.weights, weights, strict=True)), pooled.weights
    assert (pooled.k, pooled.q_df) == (4, 2)  # k.yi = 3: the empty table has no effect size


def test_peto_with_a_table_without_events() -> None:
    pooled = peto(ZEROS)
    expected, weights = ZEROS_PETO
    assert all(close(a, e) for a, e in zip(as_fields(pooled), expected, strict=True)), as_fields(
        pooled
    )
    assert all(close(a, e) for a, e in zip(pooled.weights, weights, strict=True)), pooled.weights
    assert (pooled.k, pooled.q_df, pooled.measure) == (4, 2, EffectMeasure.OR)


def test_one_study_has_no_heterogeneity_and_the_level_widens_the_interval() -> None:
    single = mantel_haenszel(ZEROS[1:2], EffectMeasure.OR)
    assert (single.q, single.q_df, single.q_p, single.i2, single.h2) == (0.0, 0, 1.0, 0.0, 1.0)
    # one table: the MH odds ratio is the table's own (3 * 14) / (17 * 6)
    assert close(single.estimate, math.log(3 * 14 / (17 * 6)))
    wide = mantel_haenszel(ZEROS, EffectMeasure.OR, level=0.99)
    narrow = mantel_haenszel(ZEROS, EffectMeasure.OR)
    assert wide.ci_low < narrow.ci_low and wide.ci_high > narrow.ci_high and wide.level == 0.99


REFUSED: list[tuple[Callable[[], Pooled], str]] = [
    (partial(mantel_haenszel, [], EffectMeasure.RR), "got none"),
    (partial(mantel_haenszel, ZEROS, EffectMeasure.MD), "not MD"),
    (partial(peto, []), "got none"),
    (
        partial(mantel_haenszel, [Dichotomous("x", 5, 4, 1, 10)], EffectMeasure.RR),
        "larger than n_t",
    ),
    (partial(mantel_haenszel, [Dichotomous("y", 1, 4, -1, 9)], EffectMeasure.RR), "'y': events_c"),
    (partial(mantel_haenszel, [Dichotomous("z", 0, 4, 1, 10)], EffectMeasure.RR), "intervention"),
    (partial(mantel_haenszel, [Dichotomous("z", 0, 4, 1, 10)], EffectMeasure.OR), "0 or infinite"),
    (partial(peto, [Dichotomous("w", 0, 4, 0, 10)]), "nobody or everybody"),
    (partial(peto, ZEROS, level=95), "between 0 and 1"),
    (partial(mantel_haenszel, [Dichotomous("v", 0, 9, 0, 8)], EffectMeasure.RD), "no variance"),
    (partial(mantel_haenszel, [Dichotomous("u", 3, 3, 4, 4)], EffectMeasure.RR), "everybody had"),
    (partial(mantel_haenszel, ZEROS, EffectMeasure.OR, level=0), "between 0 and 1"),
]


def test_identical_tables_have_no_heterogeneity() -> None:
    """rma.mh(ai=c(3,3), n1i=c(10,10), ci=c(5,5), n2i=c(10,10), measure="OR"): QE 2.8e-32,
    QEp 1, I2 0, H2 2.8e-32; rma.peto on the same tables: QE 0, QEp 1, I2 0, H2 0."""
    tables = [Dichotomous("a", 3, 10, 5, 10), Dichotomous("b", 3, 10, 5, 10)]
    for pooled in (mantel_haenszel(tables, EffectMeasure.OR), peto(tables)):
        assert pooled.q < 1e-20 and pooled.h2 is not None and pooled.h2 < 1e-20
        assert (pooled.q_df, pooled.q_p, pooled.i2) == (1, 1.0, 0.0)


@pytest.mark.parametrize(("call", "message"), REFUSED)
def test_what_cannot_be_pooled_is_refused_with_a_sentence(
    call: Callable[[], Pooled], message: str
) -> None:
    with pytest.raises(MetaError, match=message):
        call()


@st.composite
def two_by_two(draw: st.DrawFn) -> Dichotomous:
    n_t, n_c = draw(st.integers(1, 200)), draw(st.integers(1, 200))
    events_t, events_c = draw(st.integers(0, n_t)), draw(st.integers(0, n_c))
    return Dichotomous(f"s{draw(st.integers(0, 10**6))}", events_t, n_t, events_c, n_c)


@settings(max_examples=80, deadline=None)
@given(st.lists(two_by_two(), min_size=1, max_size=12), st.sampled_from([*ZEROS_MH, None]))
# Risk differences whose variance is exactly 0 (each arm all or nothing), once a division by 0
# and once a rounding error below 0: refused in words.
@example([Dichotomous("s0", 0, 1, 1, 1)], EffectMeasure.RD)
@example([Dichotomous("s0", 2, 2, 0, 7)], EffectMeasure.RD)
def test_swapping_the_arms_negates_the_estimate_and_keeps_the_rest(
    tables: list[Dichotomous], measure: EffectMeasure | None
) -> None:
    """Each formula is symmetric in the arms (on the log scale for ratios): swapping the
    intervention and comparator flips the sign and changes neither the SE, Q nor the weights."""
    swapped = [Dichotomous(t.study, t.events_c, t.n_c, t.events_t, t.n_t) for t in tables]
    try:
        one = peto(tables) if measure is None else mantel_haenszel(tables, measure)
    except MetaError:
        return  # not estimable (no events, or a zero MH total); the refusals are tested above
    other = peto(swapped) if measure is None else mantel_haenszel(swapped, measure)
    assert math.isclose(one.estimate, -other.estimate, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(one.se, other.se, rel_tol=1e-9)
    assert math.isclose(one.q, other.q, rel_tol=1e-9, abs_tol=1e-9)
    if measure is not EffectMeasure.OR and measure is not EffectMeasure.RR:
        # the RD and Peto weights are symmetric; the MH ratio weights belong to one direction
        pairs = zip(one.weights, other.weights, strict=True)
        assert all(math.isclose(a, b, abs_tol=1e-9) for a, b in pairs)
