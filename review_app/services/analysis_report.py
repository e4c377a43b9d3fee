"""What a page shows of an analysis run (:func:`analyses.run_analysis`): the statistics in words
and numbers, the forest and funnel plots, leave-one-out, Egger's test and the subgroups' test.

Pure functions over an :class:`~review_app.services.analyses.AnalysisRun` (no database, no
actor: the run was read with the actor's rights), so that the web app reaches the engine's
plots and further analyses through the services, as the layers want. The wording never claims
more than the data show: an interval that includes no effect is said to include it, one study
is not a pooled result, and no study is no result (Cochrane Handbook 15.3.1: "no evidence of an
effect" is not "evidence of no effect").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from review_app.domain.meta.model import Continuous, Dichotomous, StudyData, Test

# the plots' words and drawing: light to import (matplotlib is imported when a plot is drawn)
from review_app.domain.meta.plots import (
    forest_plot,
    format_p,
    funnel_plot,
    method_notes,
    subgroup_difference_text,
)
from review_app.domain.meta.plots.wording import back, number_text
from review_app.domain.vocabulary import EffectMeasure, PredictionRule

if TYPE_CHECKING:
    from review_app.domain.appraisal.plots import RobTable
    from review_app.domain.meta.model import Pooled
    from review_app.domain.plotting import PlotFormat
    from review_app.services.analyses import AnalysisRun

__all__ = ["HKSJ", "Test"]  # the pooled estimate's test, as AnalysisSpec takes it

HKSJ = Test.KNHA  # Hartung-Knapp-Sidik-Jonkman
SMALL_STUDY_MIN = 10  # funnel plot and Egger's test (Cochrane Handbook 13.3.5.4)


@dataclass(frozen=True, slots=True)
class Statistic:
    """One line of the statistics table: what, its value as text, and a note (scale, df...)."""

    name: str
    value: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Summary:
    """The run in a sentence and, when something was pooled, the statistics line by line."""

    k: int
    sentence: str
    statistics: tuple[Statistic, ...]
    notes: tuple[str, ...]  # the engine's notes and its method footnotes


@dataclass(frozen=True, slots=True)
class StudyLine:
    """One study of the analysis as the page lists it, with how its data were had: the
    conversions' formulas, whether a value is estimated, the arms combined, the warnings to
    read, and whether its consensus extraction is complete."""

    study: str
    intervention: str  # "6/20", "4.00 (2.00), n = 20", or the estimate and its SE
    comparator: str
    converted: tuple[str, ...]
    estimated: bool
    combined: tuple[str, ...]
    warnings: tuple[str, ...]
    complete: bool
    group: str | None
    indirect: bool = False  # indirect evidence, pooled because the analysis asked for it


@dataclass(frozen=True, slots=True)
class LeaveOneOutRow:
    study: str  # the study left out
    effect: str  # the pooled effect of the others with its CI, or why there is none
    tau2: str
    i2: str
    p: str


@dataclass(frozen=True, slots=True)
class SmallStudyEffects:
    """Egger's test as text, or the sentence saying why neither it nor the funnel plot is shown
    (``applies`` False)."""

    applies: bool
    sentence: str


# --- the studies --------------------------------------------------------------------------------


def study_lines(run: AnalysisRun) -> tuple[StudyLine, ...]:
    """The studies in the analysis with their arm data (or estimate) and what was converted."""
    return tuple(
        StudyLine(
            study=row.study,
            **_sides(row.data, run.spec.measure),
            converted=tuple(
                dict.fromkeys(s.formula for d in row.derivations.values() for s in d.steps)
            ),
            estimated=row.estimated,
            combined=row.combined,
            warnings=row.warnings,
            complete=row.complete,
            group=row.group,
            indirect=row.indirect,
        )
        for row in run.data.rows
    )


def _sides(data: StudyData, measure: EffectMeasure) -> dict[str, str]:
    if isinstance(data, Dichotomous):
        return {
            "intervention": f"{number_text(data.events_t)}/{number_text(data.n_t)}",
            "comparator": f"{number_text(data.events_c)}/{number_text(data.n_c)}",
        }
    if isinstance(data, Continuous):
        return {
            "intervention": _mean_sd(data.mean_t, data.sd_t, data.n_t),
            "comparator": _mean_sd(data.mean_c, data.sd_c, data.n_c),
        }
    scale = f"log {measure.value}" if measure.is_ratio else measure.value
    estimate = f"{scale} {data.yi:.3f} (SE {math.sqrt(data.vi):.3f}), between the arms"
    return {"intervention": estimate, "comparator": ""}


def _mean_sd(mean: float, sd: float, n: float) -> str:
    return f"{mean:.2f} ({sd:.2f}), n = {number_text(n)}"


def left_out_lines(run: AnalysisRun) -> tuple[tuple[str, str], ...]:
    """(study, why) for each study of the review not in the analysis: no usable consensus data,
    left out by the analysis's rule, or dropped by the engine (e.g. no events in either arm)."""
    return (
        *((left.study, left.reason) for left in run.data.left_out),
        *((dropped.study, dropped.reason) for dropped in run.analysis.dropped),
    )


def last_result_text(last: Mapping[str, Any] | None, measure: EffectMeasure) -> str:
    """A saved analysis's last result (``SavedAnalysisView.last_result``, the fields of
    ``services/analysis_summary.py``) in a few words, or that it has none."""
    if not last or last.get("estimate") is None:
        return "last run: nothing pooled" if last else "not run yet"
    k = last.get("k", 0)
    effect = effect_text(measure, last["estimate"], last["ci_low"], last["ci_high"])
    return f"last run: {k} {'study' if k == 1 else 'studies'}, {effect}"


# --- the statistics -----------------------------------------------------------------------------


def summarise(run: AnalysisRun) -> Summary:
    """The run's result in words and numbers, on the measure's own scale (ratios back from
    the log scale, tau-squared on the analysis scale, as metafor reports it)."""
    pooled = run.analysis.pooled
    notes = tuple(run.analysis.notes)
    if pooled is None:
        return Summary(0, _nothing_pooled(run), (), notes)
    return Summary(
        pooled.k,
        _reading(run, pooled),
        _statistics(run, pooled),
        (*notes, *method_notes(pooled)),
    )


def _nothing_pooled(run: AnalysisRun) -> str:
    where = f" at {run.spec.timepoint}" if run.spec.timepoint else ""
    return (
        f"No study gives usable data for {run.data.outcome_name}{where} as a "
        f"{run.spec.measure.label.lower()}, so there is no result: this says nothing about "
        "whether the intervention works (the studies left out are listed with the reason)."
    )


def effect_text(measure: EffectMeasure, estimate: float, low: float, high: float) -> str:
    """ "RR 0.62 (95% CI 0.41 to 0.95)" on the measure's own scale."""
    e, lo, hi = (back(v, measure.is_ratio) for v in (estimate, low, high))
    return f"{measure.value} {_number(e)} (95% CI {_number(lo)} to {_number(hi)})"


def _number(value: float) -> str:
    return f"{value:.2f}" if abs(value) >= 0.005 or value == 0 else f"{value:.2g}"


def _reading(run: AnalysisRun, pooled: Pooled) -> str:
    measure = run.spec.measure
    effect = effect_text(measure, pooled.estimate, pooled.ci_low, pooled.ci_high)
    null = "1" if measure.is_ratio else "0"
    if pooled.k == 1:
        only = run.analysis.effects[0].study if run.analysis.effects else "one study"
        start = (
            f"Only one study ({only}) gives usable data: its own result is {effect}; "
            "nothing is pooled."
        )
    else:
        start = f"The pooled result of {pooled.k} studies is {effect}."
    if pooled.ci_low <= 0 <= pooled.ci_high:
        return (
            f"{start} The confidence interval includes no effect ({measure.value} = {null}): "
            "the data are compatible with no difference between the arms as well as with a "
            "difference either way."
        )
    side = run.labels.favours_left if pooled.ci_high < 0 else run.labels.favours_right
    return (
        f"{start} The confidence interval excludes no effect ({measure.value} = {null}); it lies "
        f"on the '{side}' side. How certain this is depends on risk of bias and the "
        "other GRADE domains."
    )


def _statistics(run: AnalysisRun, pooled: Pooled) -> tuple[Statistic, ...]:
    measure = run.spec.measure
    log = " (log scale)" if measure.is_ratio else ""
    lines = [
        Statistic("Studies (k)", str(pooled.k)),
        Statistic(
            "Estimate (95% CI)",
            effect_text(measure, pooled.estimate, pooled.ci_low, pooled.ci_high),
            _ci_note(pooled),
        ),
        Statistic("Test for overall effect", _overall(pooled)),
    ]
    if pooled.k < 2:
        return tuple(lines)
    if pooled.tau2 is not None:
        ci = ""
        if pooled.tau2_ci_low is not None and pooled.tau2_ci_high is not None:
            ci = f" (95% CI {pooled.tau2_ci_low:.4f} to {pooled.tau2_ci_high:.4f})"
        lines.append(Statistic("Tau²", f"{pooled.tau2:.4f}{ci}", f"Q-profile CI{log}"))
    if pooled.i2 is not None:
        lines.append(Statistic("I²", f"{pooled.i2:.0f}%"))
    lines.append(
        Statistic(
            "Q (heterogeneity)", f"{pooled.q:.2f}, df = {pooled.q_df}, {format_p(pooled.q_p)}"
        )
    )
    if pooled.pi_low is not None and pooled.pi_high is not None:
        low, high = (back(v, measure.is_ratio) for v in (pooled.pi_low, pooled.pi_high))
        interval = f"{_number(low)} to {_number(high)}"
        lines.append(Statistic("Prediction interval", interval, _pi_note(pooled)))
    return tuple(lines)


def _overall(pooled: Pooled) -> str:
    if pooled.test is Test.KNHA and pooled.df is not None:
        return f"t = {abs(pooled.statistic):.2f}, df = {pooled.df:g}, {format_p(pooled.pval)}"
    return f"Z = {abs(pooled.statistic):.2f}, {format_p(pooled.pval)}"


def _ci_note(pooled: Pooled) -> str:
    model = "random effects" if pooled.method.random_effects else "fixed effect"
    hksj = ", Hartung-Knapp-Sidik-Jonkman" if pooled.test is Test.KNHA and pooled.k > 1 else ""
    return f"{pooled.method.value}, {model}{hksj}"


def _pi_note(pooled: Pooled) -> str:
    """Where a new study's effect is expected to lie (Higgins, Thompson, Spiegelhalter 2009)."""
    rule = (
        "t with k-2 df (RevMan)"
        if pooled.prediction_rule is PredictionRule.REVMAN
        else "metafor's rule"
    )
    crosses = (pooled.pi_low or 0) <= 0 <= (pooled.pi_high or 0)
    where = "includes no effect" if crosses else "excludes no effect"
    return f"{rule}; {where}"


# --- plots --------------------------------------------------------------------------------------


def forest(run: AnalysisRun, fmt: PlotFormat, *, risk_of_bias: RobTable | None = None) -> bytes:
    """The run's forest plot in RevMan's layout (subgroups as blocks when asked for), with the
    risk-of-bias columns of ``risk_of_bias`` (the outcome's consensus, one tool) when it judges
    a study of the analysis."""
    return forest_plot(
        run.analysis,
        fmt=fmt,
        labels=run.labels,
        subgroups=run.subgroups,
        risk_of_bias=risk_of_bias if judges_a_study(run, risk_of_bias) else None,
    )


def judges_a_study(run: AnalysisRun, risk_of_bias: RobTable | None) -> bool:
    """Whether the assessments judge a study of the analysis (else its columns would be blank)."""
    studies = {row.study for row in run.data.rows}
    return risk_of_bias is not None and any(row.study in studies for row in risk_of_bias.rows)


def small_study_effects(run: AnalysisRun) -> SmallStudyEffects:
    """Egger's regression test (metafor ``regtest``) with 10 studies or more; fewer: why not."""
    from review_app.domain.meta.further import EggerResult, egger

    k = len(run.analysis.effects)
    if k < SMALL_STUDY_MIN:
        return SmallStudyEffects(
            False,
            f"No funnel plot and no Egger's test: they need at least {SMALL_STUDY_MIN} studies to "
            f"tell small-study effects from chance, and this analysis has {k} (Cochrane Handbook "
            "13.3.5.4).",
        )
    result = egger(run.analysis.effects, min_studies=SMALL_STUDY_MIN)
    if not isinstance(result, EggerResult):
        return SmallStudyEffects(False, result.reason)
    asymmetry = "suggests" if result.pval < 0.1 else "does not suggest"
    return SmallStudyEffects(
        True,
        f"Egger's test: t = {result.statistic:.2f}, df = {result.df}, {format_p(result.pval)}; "
        f"it {asymmetry} funnel-plot asymmetry at the 10% level (Egger et al. BMJ 1997), which "
        "may have causes other than publication bias.",
    )


def funnel(run: AnalysisRun, fmt: PlotFormat) -> bytes:
    return funnel_plot(run.analysis, fmt=fmt)


# --- further analyses ---------------------------------------------------------------------------


def leave_one_out(run: AnalysisRun) -> tuple[LeaveOneOutRow, ...] | str:
    """The analysis again without each study in turn (metafor ``leave1out``), or why not."""
    from review_app.domain.meta.further import AnalysisChoices
    from review_app.domain.meta.further import leave_one_out as without_each

    data = run.analysis.data
    if len(data) < 2:
        return f"Leave-one-out needs two studies or more; this analysis has {len(data)}."
    spec = run.spec
    choices = AnalysisChoices(
        spec.measure, method=spec.method, test=spec.test, prediction=spec.prediction
    )
    rows = []
    for left in without_each(data, choices):
        pooled = left.pooled
        if pooled is None:
            rows.append(LeaveOneOutRow(left.study, left.note, "", "", ""))
            continue
        rows.append(
            LeaveOneOutRow(
                left.study,
                effect_text(spec.measure, pooled.estimate, pooled.ci_low, pooled.ci_high),
                "" if pooled.tau2 is None else f"{pooled.tau2:.4f}",
                "" if pooled.i2 is None else f"{pooled.i2:.0f}%",
                format_p(pooled.pval),
            )
        )
    return tuple(rows)


def subgroup_sentences(run: AnalysisRun) -> tuple[str, ...]:
    """The subgroups' results and the test for subgroup differences, or why there is none."""
    parts = run.subgroups
    if parts is None:
        return ()
    lines = []
    for part in parts.subgroups:
        pooled = part.analysis.pooled
        if pooled is None:
            lines.append(f"{part.name}: not estimable.")
            continue
        effect = effect_text(run.spec.measure, pooled.estimate, pooled.ci_low, pooled.ci_high)
        lines.append(
            f"{part.name} ({pooled.k} {'study' if pooled.k == 1 else 'studies'}): {effect}."
        )
    if parts.difference is not None:
        lines.append(subgroup_difference_text(parts.difference) + ".")
    return (*lines, *parts.notes)
