"""Forest and funnel plots of a meta-analysis: RevMan's wording, the figure's content (with the
risk-of-bias columns and the continuity-correction footnote), and deterministic SVG/PNG/PDF.

The examples are R metadat's ``dat.bcg`` (BCG vaccine and tuberculosis, 13 trials; RR) and
``dat.normand1999`` (length of hospital stay, 9 studies; MD), with the effect sizes and pooled
results metafor 3.8-1 gives for them (``../shared/data/meta_analysis``), typed in as literals.
"""

from __future__ import annotations

import dataclasses
import io
import math
import re
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from review_app.domain.appraisal.plots import RobRow, RobTable
from review_app.domain.meta.errors import MetaError
from review_app.domain.meta.further import (
    Subgroup,
    SubgroupDifference,
    SubgroupResult,
    subgroup_difference,
)
from review_app.domain.meta.model import (
    Analysis,
    Continuous,
    Dichotomous,
    Dropped,
    EffectSize,
    Generic,
    Method,
    Pooled,
    PredictionRule,
)
from review_app.domain.meta.model import (
    Test as MetaTest,
)
from review_app.domain.meta.plots import (
    NOT_ESTIMABLE,
    ForestLabels,
    forest_plot,
    format_p,
    funnel_plot,
    heterogeneity_text,
    interval_text,
    method_label,
    method_notes,
    overall_effect_text,
    subgroup_difference_text,
)
from review_app.domain.meta.pooling import analyse
from review_app.domain.plotting import measure
from review_app.domain.vocabulary import EffectMeasure
from review_app.errors import ValidationError
from tests.domain.test_appraisal_plots import (
    ROB2_DOMAINS,
    ROB2_SCALE,
    ROBINS_I,
    H,
    L,
    N,
    S,
)

SVG = "{http://www.w3.org/2000/svg}"

# dat.bcg: (study, tpos, tneg, cpos, cneg) and metafor's escalc(measure="RR") yi, vi.
BCG = (
    ("Aronson 1948", 4, 119, 11, 128, -0.889311333920205, 0.325584765003961),
    ("Ferguson & Simes 1949", 6, 300, 29, 274, -1.58538865720143, 0.194581121398144),
    ("Rosenthal et al 1960", 3, 228, 11, 209, -1.34807314829969, 0.415367965367965),
    ("Hart & Sutherland 1977", 62, 13536, 248, 12619, -1.44155119002131, 0.0200100319022476),
    ("Frimodt-Moller et al 1973", 33, 5036, 47, 5761, -0.217547322211296, 0.0512101721696309),
    ("Stein & Aronson 1953", 180, 1361, 372, 1079, -0.786115585818864, 0.00690561845590876),
    ("Vandiviere et al 1973", 8, 2537, 10, 619, -1.62089822359839, 0.223017247572315),
    ("TPT Madras 1980", 505, 87886, 499, 87892, 0.0119523335238405, 0.00396157929781773),
    ("Coetzee & Berjak 1968", 29, 7470, 45, 7232, -0.469417648738149, 0.056434210463249),
    ("Rosenthal et al 1961", 17, 1699, 65, 1600, -1.37134480347278, 0.0730247936130289),
    ("Comstock et al 1974", 186, 50448, 141, 27197, -0.339358828338391, 0.0124122139715597),
    ("Comstock & Webster 1969", 5, 2493, 3, 2338, 0.445913400571379, 0.532505845200153),
    ("Comstock et al 1976", 27, 16886, 29, 17825, -0.0173139482168798, 0.0714046596839863),
)
# dat.normand1999: (study, n1, m1, sd1, n2, m2, sd2) and escalc(measure="MD") vi.
NORMAND = (
    ("Edinburgh", 155, 55, 47, 156, 75, 64, 40.5080231596361),
    ("Orpington-Mild", 31, 27, 7, 32, 29, 4, 2.08064516129032),
    ("Orpington-Moderate", 75, 64, 17, 71, 119, 29, 15.6984037558685),
    ("Orpington-Severe", 18, 66, 20, 18, 137, 48, 150.222222222222),
    ("Montreal-Home", 8, 14, 8, 13, 18, 11, 17.3076923076923),
    ("Montreal-Transfer", 57, 19, 7, 52, 18, 4, 1.16734143049933),
    ("Newcastle", 34, 52, 45, 33, 41, 34, 94.5891265597148),
    ("Umea", 110, 21, 16, 183, 31, 27, 6.31087928464978),
    ("Uppsala", 60, 30, 27, 52, 23, 20, 19.8423076923077),
)


def _weights(effects: tuple[EffectSize, ...], tau2: float) -> tuple[float, ...]:
    """Random-effects weights in percent, 1 / (vi + tau²) (metafor ``weights(fit)``)."""
    inverse = [1 / (e.vi + tau2) for e in effects]
    return tuple(100 * w / sum(inverse) for w in inverse)


def _bcg(test: MetaTest = MetaTest.KNHA) -> Analysis:
    """dat.bcg, RR, REML; with HKSJ (knha) or z (metafor 3.8-1)."""
    data = tuple(Dichotomous(s, a, a + b, c, c + d) for s, a, b, c, d, _, _ in BCG)
    effects = tuple(EffectSize(s, yi, vi) for s, *_, yi, vi in BCG)
    tau2 = 0.313243325980895
    if test is MetaTest.KNHA:
        result = (-0.714532348365101, 0.1807917455191, -3.95223988967799, 0.00192001508513394)
        ci, pi, df = (-1.10844372300005, -0.320620973730153), (-1.99601696702229, 0.5669522702), 12
    else:
        result = (-0.714532348365101, 0.179781531780361, -3.97444799412458, 7.05426734852055e-05)
        ci, pi, df = (
            (-1.06689767574005, -0.36216702099015),
            (-1.86669234660707, 0.43762764988),
            None,
        )
    pooled = Pooled(
        k=13,
        measure=EffectMeasure.RR,
        method=Method.REML,
        test=test,
        estimate=result[0],
        se=result[1],
        statistic=result[2],
        pval=result[3],
        ci_low=ci[0],
        ci_high=ci[1],
        tau2=tau2,
        se_tau2=0.166425783098725,
        tau2_ci_low=0.119695312816638,
        tau2_ci_high=1.11148626221544,
        i2=92.2213860749656,
        h2=12.8557608031121,
        q=152.233008082373,
        q_df=12,
        q_p=1.99676459084597e-26,
        pi_low=pi[0],
        pi_high=pi[1],
        weights=_weights(effects, tau2),
        df=df,
    )
    return Analysis(EffectMeasure.RR, Method.REML, test, data, effects, pooled)


def _normand() -> Analysis:
    """dat.normand1999, MD, REML with z (metafor 3.8-1)."""
    data = tuple(
        Continuous(s, m1, sd1, n1, m2, sd2, n2) for s, n1, m1, sd1, n2, m2, sd2, _ in NORMAND
    )
    effects = tuple(EffectSize(s, m1 - m2, vi) for s, _, m1, _, _, m2, _, vi in NORMAND)
    tau2 = 684.646152881847
    pooled = Pooled(
        k=9,
        measure=EffectMeasure.MD,
        method=Method.REML,
        test=MetaTest.Z,
        estimate=-15.1060274743905,
        se=8.94655284568962,
        statistic=-1.68847462647789,
        pval=0.0913201556859915,
        ci_low=-32.6409488377265,
        ci_high=2.42889388894549,
        tau2=tau2,
        se_tau2=359.754148490168,
        tau2_ci_low=292.918121653344,
        tau2_ci_high=2889.45134912159,
        i2=98.9712743488066,
        h2=97.2076470378569,
        q=238.91581086201,
        q_df=8,
        q_p=3.84180928540033e-47,
        pi_low=-69.3048602133033,
        pi_high=39.0928052645223,
        weights=_weights(effects, tau2),
    )
    return Analysis(EffectMeasure.MD, Method.REML, MetaTest.Z, data, effects, pooled)


def _texts(svg: bytes) -> list[str]:
    """Every text of an SVG drawn with text kept as text (svg.fonttype none)."""
    return ["".join(node.itertext()) for node in ET.fromstring(svg).iter(f"{SVG}text")]


def _placed(svg: bytes) -> list[tuple[str, float, str]]:
    """Each text with its anchor x and alignment (start, middle, end)."""
    placed = []
    for node in ET.fromstring(svg).iter(f"{SVG}text"):
        anchor = re.search(r"text-anchor: (\w+)", node.attrib.get("style", ""))
        placed.append(
            ("".join(node.itertext()), float(node.attrib["x"]), anchor[1] if anchor else "start")
        )
    return placed


def _size(svg: bytes) -> tuple[float, float]:
    root = ET.fromstring(svg)
    return tuple(float(re.sub("pt$", "", root.attrib[key])) for key in ("width", "height"))  # type: ignore[return-value]


# RevMan's wording ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (1.99e-26, "P < 0.00001"),
        (7.05e-05, "P < 0.0001"),
        (0.00059, "P = 0.0006"),
        (0.00192, "P = 0.002"),
        (0.0412, "P = 0.04"),
        (0.5, "P = 0.50"),
    ],
)
def test_p_values_are_written_with_revmans_thresholds(p: float, text: str) -> None:
    assert format_p(p) == text


def test_the_heterogeneity_and_overall_effect_lines_read_as_in_revman() -> None:
    pooled = _bcg(MetaTest.Z).pooled
    assert pooled is not None
    assert heterogeneity_text(pooled) == (
        "Heterogeneity: Tau² = 0.31; Chi² = 152.23, df = 12 (P < 0.00001); I² = 92%"
    )
    assert overall_effect_text(pooled) == "Test for overall effect: Z = 3.97 (P < 0.0001)"
    knha = _bcg(MetaTest.KNHA).pooled
    assert knha is not None
    assert overall_effect_text(knha) == "Test for overall effect: t = 3.95, df = 12 (P = 0.002)"


def test_a_fixed_effect_model_has_no_tau2_and_one_study_no_heterogeneity() -> None:
    pooled = _bcg(MetaTest.Z).pooled
    assert pooled is not None
    fixed = dataclasses.replace(pooled, method=Method.EE, tau2=None)
    assert heterogeneity_text(fixed).startswith("Heterogeneity: Chi² = 152.23, df = 12")
    single = dataclasses.replace(pooled, k=1, q=0.0, q_df=0, q_p=1.0, i2=0.0)
    assert heterogeneity_text(single) == "Heterogeneity: Not applicable"


def test_ratios_are_shown_on_their_own_scale_and_the_method_is_named() -> None:
    assert interval_text(math.log(0.41), math.log(0.13), math.log(1.26), is_ratio=True) == (
        "0.41 [0.13, 1.26]"
    )
    assert interval_text(-20, -32.47, -7.53, is_ratio=False) == "-20.00 [-32.47, -7.53]"
    assert method_label(_bcg()) == "IV, Random, 95% CI"
    assert method_label(dataclasses.replace(_bcg(), method=Method.MH)) == "M-H, Fixed, 95% CI"
    assert method_label(dataclasses.replace(_bcg(), method=Method.PETO)) == "Peto, Fixed, 95% CI"


def test_the_footnotes_name_the_estimator_the_ci_and_the_prediction_interval() -> None:
    pooled = _bcg(MetaTest.KNHA).pooled
    assert pooled is not None
    assert method_notes(pooled) == [
        "Tau² calculated by Restricted Maximum-Likelihood method.",
        "CI calculated by Hartung-Knapp-Sidik-Jonkman method.",
        "Prediction interval calculated by t-distribution with k-1 df (metafor).",
    ]
    revman = dataclasses.replace(pooled, prediction_rule=PredictionRule.REVMAN)
    assert method_notes(revman)[-1].endswith("t-distribution with k-2 df (RevMan).")
    assert method_notes(dataclasses.replace(pooled, method=Method.EE)) == []


def test_the_subgroup_difference_line_reads_as_in_revman() -> None:
    difference = SubgroupDifference(q=6.0, df=2, p=0.0498, i2=66.67)
    assert subgroup_difference_text(difference) == (
        "Test for subgroup differences: Chi² = 6.00, df = 2 (P = 0.05), I² = 67%"
    )


# The forest plot ----------------------------------------------------------------------------------


def test_the_bcg_forest_plot_holds_the_revman_columns() -> None:
    analysis = _bcg()
    texts = _texts(forest_plot(analysis, fmt="svg"))
    for study, a, b, c, d, _, _ in BCG:
        assert study in texts
        assert str(a + b) in texts and str(c + d) in texts
    headers = [t for t in texts if t in {"Study or Subgroup", "Events", "Total", "Weight"}]
    assert headers == ["Study or Subgroup", "Events", "Total", "Events", "Total", "Weight"]
    assert texts.count("Risk ratio") == 2 and texts.count("IV, Random, 95% CI") == 2
    assert "Intervention" in texts and "Comparator" in texts
    pooled = analysis.pooled
    assert pooled is not None
    for weight in pooled.weights:
        assert f"{weight:.1f}%" in texts
    assert "100.0%" in texts and "Total (95% CI)" in texts and "Total events" in texts
    assert "0.49 [0.33, 0.73]" in texts  # exp of metafor's estimate and HKSJ CI
    assert "[0.14, 1.76]" in texts  # the prediction interval, exp(-1.996), exp(0.567)
    assert "0.41 [0.13, 1.26]" in texts  # Aronson: exp(-0.889 -+ 1.96 * sqrt(0.3256))
    assert heterogeneity_text(pooled) in texts
    assert overall_effect_text(pooled) in texts
    assert {"Favours intervention", "Favours comparator"} <= set(texts)
    events = (str(sum(row[1] for row in BCG)), str(sum(row[3] for row in BCG)))
    assert set(events) <= set(texts)


def test_the_ratio_axis_is_symmetric_on_the_log_scale_around_1() -> None:
    texts = _texts(forest_plot(_bcg(), fmt="svg"))
    # the study CIs reach RR 0.07 (Rosenthal 1960): RevMan's 0.05-20 scale holds them
    assert {"0.05", "0.2", "1", "5", "20"} <= set(texts)
    assert "0.01" not in texts and "100" not in texts


def test_continuous_data_show_mean_sd_total_and_a_zero_centred_axis() -> None:
    analysis = _normand()
    texts = _texts(forest_plot(analysis, fmt="svg"))
    assert [t for t in texts if t in {"Mean", "SD", "Total"}] == ["Mean", "SD", "Total"] * 2
    assert "Mean difference" in texts
    assert "-20.00 [-32.47, -7.53]" in texts  # Edinburgh: 55 - 75 -+ 1.96 * sqrt(40.508)
    assert "-15.11 [-32.64, 2.43]" in texts
    assert str(sum(row[1] for row in NORMAND)) in texts  # intervention participants
    assert {"-100", "-50", "0", "50", "100"} <= set(texts)


def test_columns_are_aligned_study_labels_left_numbers_right() -> None:
    placed = _placed(forest_plot(_bcg(), fmt="svg"))
    studies = {x for text, x, _ in placed if text in {row[0] for row in BCG}}
    weights = {(x, anchor) for text, x, anchor in placed if re.fullmatch(r"\d+\.\d%", text)}
    effects = {x for text, x, _ in placed if re.fullmatch(r"\d\.\d\d \[.*\]", text)}
    assert len(studies) == 1 and len(weights) == 1 and len(effects) == 1
    assert next(iter(weights))[1] == "end"


def test_a_long_arm_name_widens_its_columns_rather_than_overlap() -> None:
    long = "BCG vaccine (Pasteur strain, intradermal)"
    labels = ForestLabels(intervention=long, comparator="No vaccine")
    placed = {text: x for text, x, _ in _placed(forest_plot(_bcg(), fmt="svg", labels=labels))}
    half = measure(long, 8, True) / 2, measure("No vaccine", 8, True) / 2
    assert placed[long] + half[0] < placed["No vaccine"] - half[1]
    assert placed[long] - half[0] > 10 + measure("Study or Subgroup", 8, True)


def test_labels_can_name_the_arms_and_the_sides() -> None:
    labels = ForestLabels(
        intervention="Kratom",
        comparator="Placebo",
        favours_left="Favours placebo",
        favours_right="Favours kratom",
        title="Pain at 4 weeks",
    )
    texts = _texts(forest_plot(_normand(), fmt="svg", labels=labels))
    assert {"Kratom", "Placebo", "Favours placebo", "Favours kratom", "Pain at 4 weeks"} <= set(
        texts
    )
    assert "Favours intervention" not in texts


def test_a_dropped_study_is_listed_as_not_estimable_and_counts_in_the_totals() -> None:
    analysis = _bcg()
    zero = Dichotomous("No events 2001", 0, 50, 0, 50)
    with_zero = dataclasses.replace(
        analysis,
        data=(*analysis.data, zero),
        dropped=(Dropped("No events 2001", "No events in either arm."),),
    )
    texts = _texts(forest_plot(with_zero, fmt="svg"))
    assert "No events 2001" in texts and NOT_ESTIMABLE in texts
    total_t = sum(row[1] + row[2] for row in BCG) + 50
    assert str(total_t) in texts


def test_a_ci_beyond_the_axis_ends_in_an_arrow() -> None:
    analysis = _bcg()
    wide = EffectSize("Tiny 1999", 3.0, 4.0)  # RR 20 [0.4, 1012]: beyond the axis's 20
    pooled = analysis.pooled
    assert pooled is not None
    effects = (*analysis.effects, wide)
    widened = dataclasses.replace(
        analysis,
        data=(*analysis.data, Dichotomous("Tiny 1999", 2, 3, 0, 3)),
        effects=effects,
        pooled=dataclasses.replace(pooled, weights=_weights(effects, pooled.tau2 or 0)),
    )
    plain, arrowed = (_arrowheads(forest_plot(a, fmt="svg")) for a in (analysis, widened))
    assert arrowed == plain + 1
    assert "20.09 [0.40, 1012.25]" in _texts(forest_plot(widened, fmt="svg"))


def _arrowheads(svg: bytes) -> int:
    """Triangles drawn as patches: three points, closed (an arrowhead)."""
    paths = [node.attrib.get("d", "") for node in ET.fromstring(svg).iter(f"{SVG}path")]
    return sum(1 for d in paths if d.count("L") == 2 and d.rstrip().endswith("z"))


def test_generic_inverse_variance_shows_the_estimate_and_se() -> None:
    data = tuple(Generic(s, yi, vi) for s, *_, yi, vi in BCG[:4])
    effects = tuple(EffectSize(g.study, g.yi, g.vi) for g in data)
    analysis = Analysis(EffectMeasure.RR, Method.EE, MetaTest.Z, data, effects, None)
    texts = _texts(forest_plot(analysis, fmt="svg"))
    assert "log[Risk ratio]" in texts and "SE" in texts
    assert "-0.8893" in texts and f"{math.sqrt(BCG[0][6]):.4f}" in texts
    assert "Events" not in texts


def test_no_pooled_result_draws_the_studies_and_says_so() -> None:
    analysis = dataclasses.replace(_normand(), pooled=None)
    texts = _texts(forest_plot(analysis, fmt="svg"))
    assert "Edinburgh" in texts and "Total (95% CI)" in texts and NOT_ESTIMABLE in texts
    assert not any(t.startswith("Heterogeneity") for t in texts)


def test_one_study_is_a_plot_too() -> None:
    analysis = _bcg(MetaTest.Z)
    pooled = analysis.pooled
    assert pooled is not None
    one = dataclasses.replace(
        pooled,
        k=1,
        estimate=BCG[0][5],
        ci_low=BCG[0][5] - 1.96 * math.sqrt(BCG[0][6]),
        ci_high=BCG[0][5] + 1.96 * math.sqrt(BCG[0][6]),
        q=0.0,
        q_df=0,
        q_p=1.0,
        i2=0.0,
        tau2=0.0,
        pi_low=None,
        pi_high=None,
        weights=(100.0,),
    )
    single = dataclasses.replace(
        analysis, data=analysis.data[:1], effects=analysis.effects[:1], pooled=one
    )
    texts = _texts(forest_plot(single, fmt="svg"))
    assert "Aronson 1948" in texts and "Heterogeneity: Not applicable" in texts
    assert texts.count("100.0%") == 2  # the study and the total


def test_the_figure_grows_with_the_studies_and_60_fit() -> None:
    analysis = _normand()
    pooled = analysis.pooled
    assert pooled is not None
    many = [
        (
            Continuous(f"Study {i}", 10 + i % 7, 5, 40, 12, 5, 40),
            EffectSize(f"Study {i}", -2 + i % 7 / 3, 1.25),
        )
        for i in range(60)
    ]
    effects = tuple(e for _, e in many)
    big = dataclasses.replace(
        analysis,
        data=tuple(d for d, _ in many),
        effects=effects,
        pooled=dataclasses.replace(pooled, k=60, weights=_weights(effects, 0.0)),
    )
    (_, h9), (w60, h60) = (_size(forest_plot(a, fmt="svg")) for a in (analysis, big))
    assert h60 - h9 == pytest.approx((60 - 9) * 13.0, abs=1)  # one 13 pt row per study
    assert w60 <= 650  # about A4 width: readable when printed
    assert "Study 59" in _texts(forest_plot(big, fmt="svg"))


# metafor 3.8-1, rma(yi, vi, method="REML") on the dat.bcg trials of each allocation, as R printed
# them: estimate, se, z, p, ci.lb, ci.ub, tau2, se.tau2, I2, H2, QE, QEp, pi.lb, pi.ub.
# fmt: off
ALLOCATION = (
    ("Random allocation", (0, 1, 2, 3, 6, 7, 8), (
        -0.970964475758379, 0.275955701509003, -3.51855196485839, 0.000433908827041654,
        -1.51182771204451, -0.430101239472247, 0.392526549118408, 0.302946170172344,
        89.9342820816863, 9.9347111464408, 110.213261175188, 1.83920754465706e-21,
        -2.31275716273854, 0.370828211221782,
    )),
    ("Other allocation", (4, 5, 9, 10, 11, 12), (
        -0.481270577586633, 0.216988573797142, -2.2179535501098, 0.0265579996940741,
        -0.906560367285743, -0.0559807878875228, 0.211573115258124, 0.174284417709601,
        87.897258594507, 8.26259081720227, 28.298019840136, 3.18271854992695e-05,
        -1.47807588207311, 0.51553472689984,
    )),
)
# fmt: on


def _allocation_subgroups() -> SubgroupResult:
    overall = _bcg(MetaTest.Z)
    parts = []
    for name, rows, values in ALLOCATION:
        effects = tuple(overall.effects[i] for i in rows)
        est, se, z, p, lo, hi, tau2, se_tau2, i2, h2, q, q_p, pi_lo, pi_hi = values
        pooled = Pooled(
            len(rows), EffectMeasure.RR, Method.REML, MetaTest.Z, est, se, z, p, lo, hi, tau2,
            se_tau2, None, None, i2, h2, q, len(rows) - 1, q_p, pi_lo, pi_hi,
            _weights(effects, tau2),
        )  # fmt: skip
        data = tuple(overall.data[i] for i in rows)
        analysis = Analysis(EffectMeasure.RR, Method.REML, MetaTest.Z, data, effects, pooled)
        parts.append(Subgroup(name, analysis))
    difference = subgroup_difference([part.analysis.pooled for part in parts])  # type: ignore[misc]
    return SubgroupResult(tuple(parts), difference)


def test_subgroups_have_subtotals_their_own_lines_and_the_difference_test() -> None:
    overall = _bcg(MetaTest.Z)
    result = _allocation_subgroups()
    texts = _texts(forest_plot(overall, fmt="svg", subgroups=result))
    assert {"Random allocation", "Other allocation", "Total (95% CI)"} <= set(texts)
    assert texts.count("Subtotal (95% CI)") == 2
    assert all(study in texts for study, *_ in BCG)
    # Q between the two estimates: 1/0.276² (-0.971 + 0.668)² + 1/0.217² (-0.481 + 0.668)²
    assert "Test for subgroup differences: Chi² = 1.95, df = 1 (P = 0.16), I² = 49%" in texts
    assert "Heterogeneity: Tau² = 0.39; Chi² = 110.21, df = 6 (P < 0.00001); I² = 90%" in texts
    assert "Test for overall effect: Z = 2.22 (P = 0.03)" in texts
    assert "0.38 [0.22, 0.65]" in texts  # the random-allocation subtotal, exp(-0.971)
    assert overall.pooled is not None
    weights = overall.pooled.weights  # a subgroup's share of the overall weight
    assert f"{sum(weights[i] for i in ALLOCATION[0][1]):.1f}%" in texts
    assert f"{weights[0]:.1f}%" in texts


@pytest.mark.parametrize(
    ("method", "header"),
    [(Method.REML, "IV, Random, 95% CI"), (Method.MH, "M-H, Fixed, 95% CI")],
)
def test_the_engines_analysis_is_drawn_with_its_weights_and_who_was_left_out(
    method: Method, header: str
) -> None:
    """``pooling.analyse`` end to end: inverse-variance weights follow the effect sizes,
    Mantel-Haenszel weights the tables (the double-zero one included, with weight 0)."""
    data = (*_bcg().data, Dichotomous("No events 2001", 0, 50, 0, 50))
    analysis = analyse(data, EffectMeasure.RR, method=method)
    assert analysis.pooled is not None and analysis.dropped
    texts = _texts(forest_plot(analysis, fmt="svg"))
    assert header in texts and NOT_ESTIMABLE in texts
    shown = [t for t in texts if re.fullmatch(r"\d+\.\d%", t)]
    assert len(shown) == len(BCG) + 1  # every estimable study and the total
    assert any(t.startswith("No events 2001 left out") for t in texts)
    if method is Method.REML:
        expected = _weights(_bcg().effects, 0.313243325980895)
        assert shown[:-1] == [f"{w:.1f}%" for w in expected]


def test_nothing_to_plot_and_an_unknown_format_are_refused() -> None:
    empty = Analysis(EffectMeasure.RR, Method.REML, MetaTest.Z, (), (), None)
    with pytest.raises(MetaError, match="no studies"):
        forest_plot(empty, fmt="svg")
    with pytest.raises(MetaError, match="no study"):
        funnel_plot(empty, fmt="svg")
    with pytest.raises(ValidationError, match="jpeg"):
        forest_plot(_bcg(), fmt="jpeg")  # type: ignore[arg-type]


# Formats and determinism -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["svg", "pdf", "png"])
@pytest.mark.parametrize("plot", [forest_plot, funnel_plot])
def test_the_same_analysis_gives_the_same_bytes(plot: object, fmt: str) -> None:
    assert callable(plot)
    assert plot(_bcg(), fmt=fmt) == plot(_bcg(), fmt=fmt)


@pytest.mark.parametrize("plot", [forest_plot, funnel_plot])
def test_png_is_300_dpi_and_pdf_is_a_pdf(plot: object) -> None:
    assert callable(plot)
    image = Image.open(io.BytesIO(plot(_bcg(), fmt="png")))
    assert image.format == "PNG"
    assert all(round(value) == 300 for value in image.info["dpi"])
    assert plot(_bcg(), fmt="pdf").startswith(b"%PDF")


# The funnel plot ----------------------------------------------------------------------------------


def test_the_funnel_plot_has_log_ratio_ticks_the_se_axis_and_every_study() -> None:
    svg = funnel_plot(_bcg(), fmt="svg")
    texts = _texts(svg)
    assert "Risk ratio (log scale)" in texts and "Standard error" in texts
    assert "1" in texts and "0" in texts
    circles = [
        n for n in ET.fromstring(svg).iter(f"{SVG}path") if n.attrib.get("d", "").count("C") >= 4
    ]
    assert len(circles) >= len(BCG)


def test_the_funnel_plot_of_a_difference_and_without_a_pooled_result() -> None:
    texts = _texts(funnel_plot(_normand(), fmt="svg"))
    assert "Mean difference" in texts
    assert "Standard error" in _texts(
        funnel_plot(dataclasses.replace(_normand(), pooled=None), fmt="svg")
    )


# Risk-of-bias columns ----------------------------------------------------------------------------

ROB2_ROWS = (  # judgements for a few dat.bcg trials (illustrative, not published assessments)
    RobRow("Aronson 1948", (L, S, L, L, L), S),
    RobRow("Ferguson & Simes 1949", (H, L, L, S, L), H),
    RobRow("Stein & Aronson 1953", (S, N, L, None, L), S),  # D4 not judged: a blank cell
    RobRow("Comstock et al 1976", (L, L, H, L, L), H),
)
ROB2 = RobTable("RoB 2", ROB2_DOMAINS, ROB2_SCALE, ROB2_ROWS)


def _lights(svg: bytes) -> list[tuple[float, float]]:
    """The centres of the circles drawn (risk-of-bias lights: the forest draws no other)."""
    centres = []
    for node in ET.fromstring(svg).iter(f"{SVG}path"):
        d = node.attrib.get("d", "")
        if d.count("C") >= 4:
            numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
            xs, ys = numbers[0::2], numbers[1::2]
            centres.append(((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2))
    return centres


def _baselines(svg: bytes) -> dict[str, tuple[float, float]]:
    """Each text's anchor (x, baseline y); the last one where a text repeats."""
    return {
        "".join(node.itertext()): (float(node.attrib["x"]), float(node.attrib["y"]))
        for node in ET.fromstring(svg).iter(f"{SVG}text")
    }


def _row_lights(svg: bytes, study: str) -> list[float]:
    """The x of the lights on ``study``'s row (a text's baseline is 2-3 pt under its centre)."""
    _, baseline = _baselines(svg)[study]
    return sorted(x for x, y in _lights(svg) if abs(y - (baseline - 2.9)) < 3)


def test_each_assessed_study_has_a_light_under_each_judged_domain() -> None:
    svg = forest_plot(_bcg(), fmt="svg", risk_of_bias=ROB2)
    texts, placed = _texts(svg), _baselines(svg)
    assert "Risk of bias (RoB 2)" in texts
    headers = ["D1", "D2", "D3", "D4", "D5", "Overall"]
    assert [t for t in texts if t in headers] == headers
    column_x = [placed[h][0] for h in headers]
    for row in ROB2_ROWS:
        cells = [*row.judgements, row.overall]
        expected = [x for x, cell in zip(column_x, cells, strict=True) if cell is not None]
        assert _row_lights(svg, row.study) == pytest.approx(expected, abs=0.01)
    assert _row_lights(svg, "Rosenthal et al 1960") == []  # not assessed: blank cells
    judged = sum(cell is not None for row in ROB2_ROWS for cell in (*row.judgements, row.overall))
    assert len(_lights(svg)) == judged + len(ROB2_SCALE)  # and the legend's key


def test_the_legend_names_each_domain_and_each_judgement() -> None:
    texts = _texts(forest_plot(_bcg(), fmt="svg", risk_of_bias=ROB2))
    assert "Risk of bias legend" in texts
    for domain in ROB2_DOMAINS:
        assert f"{domain.short}: {domain.name}" in texts
    assert "Overall: Overall risk of bias" in texts
    assert {L, S, H, N} <= set(texts)


def test_the_columns_stand_right_of_the_axis_and_the_legend_under_the_footer() -> None:
    svg = forest_plot(_bcg(), fmt="svg", risk_of_bias=ROB2)
    placed = _baselines(svg)
    last_tick = placed["20"][0] + measure("20", 8, False) / 2
    lights = _lights(svg)
    radius = 13 * 0.38
    columns = [x for x, y in lights if y < placed["Risk of bias legend"][1] - 8]
    assert min(columns) - radius > last_tick + 4
    width, _ = _size(svg)
    assert max(columns) + radius <= width - 10
    pooled = _bcg().pooled
    assert pooled is not None
    assert placed["Risk of bias legend"][1] > placed[method_notes(pooled)[-1]][1] + 8


def test_robins_i_has_seven_domain_columns() -> None:
    rows = tuple(
        dataclasses.replace(row, study=study)
        for row, (study, *_) in zip(ROBINS_I.rows, BCG, strict=False)
    )
    svg = forest_plot(_bcg(), fmt="svg", risk_of_bias=dataclasses.replace(ROBINS_I, rows=rows))
    texts = _texts(svg)
    assert "Risk of bias (ROBINS-I)" in texts
    headers = [f"D{i}" for i in range(1, 8)] + ["Overall"]
    assert [t for t in texts if t in headers] == headers
    assert "D7: Bias in selection of the reported result" in texts
    assert {"Moderate", "Serious", "Critical"} <= set(texts)
    for row in rows:
        assert len(_row_lights(svg, row.study)) == 8  # every domain and the overall judged


def test_one_study_with_its_assessment() -> None:
    analysis = analyse(_bcg().data[:1], EffectMeasure.RR, method=Method.REML)
    svg = forest_plot(analysis, fmt="svg", risk_of_bias=ROB2)
    assert "Aronson 1948" in _texts(svg) and "Heterogeneity: Not applicable" in _texts(svg)
    assert len(_row_lights(svg, "Aronson 1948")) == 6


def test_no_assessment_draws_no_columns_and_a_bad_table_is_refused() -> None:
    plain = _texts(forest_plot(_bcg(), fmt="svg"))
    empty = dataclasses.replace(ROB2, rows=())
    assert _texts(forest_plot(_bcg(), fmt="svg", risk_of_bias=empty)) == plain
    assert not any(t.startswith("Risk of bias") for t in plain)
    twice = dataclasses.replace(ROB2, rows=(*ROB2_ROWS, ROB2_ROWS[0]))
    with pytest.raises(ValidationError, match=r"Aronson 1948.*two rows"):
        forest_plot(_bcg(), fmt="svg", risk_of_bias=twice)
    wrong = dataclasses.replace(ROB2, rows=(RobRow("Aronson 1948", (L, L, L, L, "Serious"), L),))
    with pytest.raises(ValidationError, match="'Serious' is not a RoB 2 judgement"):
        forest_plot(_bcg(), fmt="svg", risk_of_bias=wrong)


@pytest.mark.parametrize("fmt", ["svg", "pdf", "png"])
def test_the_plot_with_assessments_gives_the_same_bytes(fmt: str) -> None:
    def draw() -> bytes:
        return forest_plot(_bcg(), fmt=fmt, risk_of_bias=ROB2)  # type: ignore[arg-type]

    assert draw() == draw()


# Continuity correction ---------------------------------------------------------------------------


def _with_zero_cell(add: float = 0.5) -> Analysis:
    data = (*_bcg().data, Dichotomous("Zero events 2001", 0, 40, 3, 41))
    return analyse(data, EffectMeasure.RR, method=Method.REML, test=MetaTest.KNHA, add=add)


def test_a_corrected_study_is_marked_and_the_footnote_says_what_was_added() -> None:
    svg = forest_plot(_with_zero_cell(), fmt="svg")
    texts, placed = _texts(svg), _baselines(svg)
    assert texts.count("†") == 1
    note = (
        "† Continuity correction: 0.5 added to each cell of the study's 2×2 table to estimate "
        "its effect."
    )
    assert note in texts
    label_x, label_y = placed["Zero events 2001"]
    marker_x, marker_y = placed["†"]
    assert marker_x >= label_x + measure("Zero events 2001", 8, False)
    assert marker_y < label_y  # raised
    quarter = _texts(forest_plot(_with_zero_cell(0.25), fmt="svg", continuity_correction=0.25))
    assert any(t.startswith("† Continuity correction: 0.25 added") for t in quarter)


def test_no_correction_no_marker() -> None:
    texts = _texts(forest_plot(_bcg(), fmt="svg"))
    assert "†" not in texts and not any("Continuity correction" in t for t in texts)
