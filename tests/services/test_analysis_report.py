"""What the Analyses page shows of a run (services/analysis_report.py), on metafor's dat.bcg (13
trials of the BCG vaccine; Colditz et al. JAMA 1994): the statistics on the measure's own scale
with metafor 3.8-1's numbers (``rma(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg)``: RR
exp(-0.7145), CI exp(-1.0669, -0.3622), tau² 0.3132 [0.1197, 1.1115], I² 92.22%, Q 152.23;
``regtest(res, model="lm")``: t = -1.4013, df = 11, p = 0.1887), the funnel plot and Egger's test
only with 10 studies or more, and sentences that never claim an effect an interval including no
effect does not show."""

from __future__ import annotations

from review_app.domain.meta.model import Dichotomous, Method
from review_app.domain.meta.model import Test as PoolTest
from review_app.domain.meta.plots import ForestLabels
from review_app.domain.meta.pooling import analyse
from review_app.domain.vocabulary import EffectMeasure
from review_app.services import analysis_report as report
from review_app.services.analyses import AnalysisRun, AnalysisSpec
from review_app.services.analysis_data import OutcomeData, StudyRow

BCG = (  # study, vaccinated with TB, vaccinated, unvaccinated with TB, unvaccinated
    ("Aronson 1948", 4, 123, 11, 139),
    ("Ferguson & Simes 1949", 6, 306, 29, 303),
    ("Rosenthal et al 1960", 3, 231, 11, 220),
    ("Hart & Sutherland 1977", 62, 13598, 248, 12867),
    ("Frimodt-Moller et al 1973", 33, 5069, 47, 5808),
    ("Stein & Aronson 1953", 180, 1541, 372, 1451),
    ("Vandiviere et al 1973", 8, 2545, 10, 629),
    ("TPT Madras 1980", 505, 88391, 499, 88391),
    ("Coetzee & Berjak 1968", 29, 7499, 45, 7277),
    ("Rosenthal et al 1961", 17, 1716, 65, 1665),
    ("Comstock et al 1974", 186, 50634, 141, 27338),
    ("Comstock & Webster 1969", 5, 2498, 3, 2341),
    ("Comstock et al 1976", 27, 16913, 29, 17854),
)
LABELS = ForestLabels(favours_left="Favours vaccine", favours_right="Favours no vaccine")


def bcg_run(studies: int = len(BCG), *, test: PoolTest = PoolTest.Z) -> AnalysisRun:
    """The analysis of the first ``studies`` BCG trials, as the service's run holds it."""
    data = [Dichotomous(*row) for row in BCG[:studies]]
    spec = AnalysisSpec("tb", EffectMeasure.RR, method=Method.REML, test=test)
    rows = tuple(StudyRow(index, d.study, d) for index, d in enumerate(data, start=1))
    outcome = OutcomeData(
        "tb", "Tuberculosis", "dichotomous", None, spec.measure, (spec.measure,), rows, (), ()
    )
    analysis = analyse(data, spec.measure, method=spec.method, test=spec.test)
    return AnalysisRun(spec, outcome, analysis, {}, None, LABELS, digest=outcome.digest)


def test_the_statistics_are_metafor_s_on_the_measure_s_own_scale() -> None:
    summary = report.summarise(bcg_run())
    lines = {s.name: s.value for s in summary.statistics}
    assert lines["Studies (k)"] == "13"
    assert lines["Estimate (95% CI)"] == "RR 0.49 (95% CI 0.34 to 0.70)"
    assert lines["Tau²"] == "0.3132 (95% CI 0.1197 to 1.1115)"
    assert lines["I²"] == "92%"
    assert lines["Q (heterogeneity)"] == "152.23, df = 12, P < 0.00001"
    assert lines["Test for overall effect"] == "Z = 3.97, P < 0.0001"
    assert lines["Prediction interval"] == "0.15 to 1.55"
    assert {s.name: s.note for s in summary.statistics}["Tau²"] == "Q-profile CI (log scale)"
    assert summary.sentence.startswith(
        "The pooled result of 13 studies is RR 0.49 (95% CI 0.34 to 0.70). The confidence "
        "interval excludes no effect (RR = 1); it lies on the 'Favours vaccine' side."
    )


def test_with_ten_studies_or_more_egger_s_test_and_the_funnel_plot() -> None:
    run = bcg_run()
    found = report.small_study_effects(run)
    assert found.applies
    assert found.sentence.startswith("Egger's test: t = -1.40, df = 11, P = 0.19; it does not")
    assert report.funnel(run, "svg").startswith(b"<?xml")


def test_with_fewer_than_ten_studies_neither_and_the_sentence_says_why() -> None:
    found = report.small_study_effects(bcg_run(9))
    assert not found.applies
    assert "need at least 10 studies" in found.sentence and "has 9" in found.sentence


def test_an_interval_including_no_effect_is_said_to_include_it() -> None:
    run = bcg_run(2, test=PoolTest.KNHA)  # two trials, HKSJ: a wide t interval
    sentence = report.summarise(run).sentence
    assert "includes no effect (RR = 1)" in sentence
    assert "compatible with no difference between the arms" in sentence
    assert "Favours" not in sentence


def test_one_study_is_its_own_result_not_a_pooled_one() -> None:
    summary = report.summarise(bcg_run(1))
    assert summary.sentence.startswith(
        "Only one study (Aronson 1948) gives usable data: its own result is RR 0.41"
    )
    assert [s.name for s in summary.statistics] == [
        "Studies (k)",
        "Estimate (95% CI)",
        "Test for overall effect",
    ]  # no heterogeneity nor prediction interval from one study


def test_no_study_is_no_result() -> None:
    run = bcg_run(0)
    summary = report.summarise(run)
    assert summary.k == 0 and summary.statistics == ()
    assert "there is no result: this says nothing about whether the intervention works" in (
        summary.sentence
    )
    assert report.leave_one_out(run) == (
        "Leave-one-out needs two studies or more; this analysis has 0."
    )


def test_leave_one_out_has_a_row_per_study() -> None:
    rows = report.leave_one_out(bcg_run())
    assert not isinstance(rows, str)
    assert [r.study for r in rows] == [row[0] for row in BCG]
    assert all(r.effect.startswith("RR ") for r in rows)


def test_the_forest_plot_and_the_last_result_of_a_saved_analysis() -> None:
    run = bcg_run()
    assert b"Favours vaccine" in report.forest(run, "svg")
    assert report.forest(run, "pdf").startswith(b"%PDF")
    pooled = run.analysis.pooled
    assert pooled is not None
    last = {
        "k": 13,
        "estimate": pooled.estimate,
        "ci_low": pooled.ci_low,
        "ci_high": pooled.ci_high,
    }
    assert report.last_result_text(last, EffectMeasure.RR) == (
        "last run: 13 studies, RR 0.49 (95% CI 0.34 to 0.70)"
    )
    assert report.last_result_text(None, EffectMeasure.RR) == "not run yet"
