"""The meta-analysis exports: the review's saved analyses as tables, and one analysis's plots.

- ``analyses`` (``review-app export analyses -o PATH.csv|.xlsx``): every saved analysis computed
  again from the current consensus extraction (a saved analysis keeps its choices, never its
  numbers), as three tables whose rows name their analysis: **settings** (one row an analysis:
  its choices, whether it is stale, who saved it and when), **studies** (one row a study: the
  data pooled, yi and vi on the analysis scale, the weight, the effect and its CI on the
  measure's scale, what was converted or estimated; then the studies left out, with the reason)
  and **pooled** (the overall result, each subgroup's, and the test for subgroup differences,
  in the fields and names of ``review-app meta-analyse --json``, ratios back-transformed in the
  ``exp_*`` columns). A CSV is three files, ``PATH.csv`` and ``PATH-studies.csv`` and
  ``PATH-pooled.csv`` beside it (as the decisions export writes its agreement beside it); an
  XLSX a sheet each. Numbers are written whole (the shortest text that reads back as the same
  float; no rounding, no locale); what is not a number (NaN) is an empty cell.
- ``analysis-plot`` (``review-app export analysis-plot -o PATH.svg|.png|.pdf [--analysis NAME]
  [--plot forest|funnel]``): a saved analysis's forest plot in RevMan's layout, with the
  consensus risk-of-bias columns beside each study when the outcome is assessed, or its funnel
  plot (from 10 studies on), drawn as the Analyses page draws them (``services.analysis_report``).

Who may have them is ``services.analyses``'s rule (leads; every member once extraction is not
blind). An export runs each analysis with ``run_analysis`` on its saved choices rather than
``run_saved``: the numbers are the same (one computation), but an export writes nothing, so a
stale analysis is still flagged stale after it is exported (``run_saved`` marks it current).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING

from sqlmodel import Session

from review_app.domain.meta.model import Continuous, Dichotomous, EffectSize, Pooled
from review_app.errors import NotFoundError, PermissionDeniedError, ValidationError
from review_app.exporters import tabular
from review_app.services import analysis_report as report
from review_app.services.analyses import (
    AnalysisRun,
    SavedAnalysisView,
    list_analyses,
    run_analysis,
)
from review_app.services.analysis_data import StudyRow
from review_app.services.appraisal import rob_tables
from review_app.services.exports.extraction import workbook
from review_app.services.exports.registry import ANALYSIS_PLOTS, EXPORTS
from review_app.services.permissions import Actor

if TYPE_CHECKING:
    from review_app.domain.appraisal.plots import RobTable
    from review_app.domain.meta.further import SubgroupResult
    from review_app.domain.meta.model import Analysis
    from review_app.domain.plotting import PlotFormat

Cell = str | int | float | bool | None
Table = tuple[Sequence[str], list[list[Cell]]]

SHEETS = {"settings": "Analyses", "studies": "Studies", "pooled": "Pooled"}  # the XLSX's sheets
SETTINGS = (
    "analysis", "outcome_id", "outcome", "timepoint", "measure", "method", "test", "prediction",
    "subgroup", "excluded", "exclusion_rule", "stale", "k", "incomplete", "notes", "created_by",
    "created_at", "updated_at",
)  # fmt: skip
DATA = ("events_t", "mean_t", "sd_t", "n_t", "events_c", "mean_c", "sd_c", "n_c")
STUDIES = (
    "analysis", "study", "pooled", "reason", "subgroup", *DATA, "yi", "vi", "se", "weight",
    "estimate", "ci_low", "ci_high", "corrected", "converted", "estimated", "combined",
    "warnings", "complete",
)  # fmt: skip
# The result's fields as metafor's rma object names them (and `meta-analyse --json` writes them).
RESULT = (
    "estimate", "se", "ci_low", "ci_high", "statistic", "df", "pval", "tau2", "se_tau2",
    "tau2_ci_low", "tau2_ci_high", "i2", "h2", "q", "q_df", "q_p", "pi_low", "pi_high",
)  # fmt: skip
BACK_TRANSFORMED = ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")  # exp_* for ratios
POOLED = (
    "analysis", "part", "subgroup", "k", "measure", "method", "test", "prediction", "level",
    *RESULT, *(f"exp_{name}" for name in BACK_TRANSFORMED), "notes",
)  # fmt: skip
OVERALL, SUBGROUP, DIFFERENCE = "overall", "subgroup", "subgroup difference"  # pooled rows' part
SEPARATOR = "; "  # between the items of a list in one cell


# --- the tables ---------------------------------------------------------------------------------


def export_analyses(
    session: Session, *, actor: Actor, review_id: int, format: str
) -> dict[str, bytes]:
    """The saved analyses' settings, studies and pooled rows: three CSV files or one workbook."""
    EXPORTS["analyses"].check_format(format)
    tables = analysis_tables(session, actor=actor, review_id=review_id)
    if format == "csv":
        return {part: tabular.table_csv(*table, excel=True) for part, table in tables.items()}
    return {"workbook": workbook({SHEETS[part]: table for part, table in tables.items()})}


def analysis_tables(session: Session, *, actor: Actor, review_id: int) -> dict[str, Table]:
    """The three tables (settings, studies, pooled), each analysis run from the consensus."""
    settings: list[list[Cell]] = []
    studies: list[list[Cell]] = []
    pooled: list[list[Cell]] = []
    for view in list_analyses(session, actor=actor, review_id=review_id):
        run = run_analysis(session, actor=actor, review_id=review_id, spec=view.spec)
        settings.append(_settings_row(view, run))
        studies.extend(_study_rows(view.name, run))
        pooled.extend(_pooled_rows(view.name, run.analysis, run.subgroups))
    return {
        "settings": (SETTINGS, settings),
        "studies": (STUDIES, studies),
        "pooled": (POOLED, pooled),
    }


def _settings_row(view: SavedAnalysisView, run: AnalysisRun) -> list[Cell]:
    spec, analysis = view.spec, run.analysis
    notes = [*analysis.notes, *(run.subgroups.notes if run.subgroups else ())]
    return [
        view.name,
        spec.outcome_id,
        run.data.outcome_name,
        spec.timepoint,
        spec.measure.value,
        spec.method.value,
        spec.test.value,
        spec.prediction.value,
        spec.subgroup,
        SEPARATOR.join(spec.excluded),
        spec.exclusion_rule,
        view.stale,
        analysis.pooled.k if analysis.pooled else 0,
        SEPARATOR.join(run.data.incomplete),
        SEPARATOR.join(notes),
        view.created_by,
        view.created_at.isoformat(),
        view.updated_at.isoformat(),
    ]


def _study_rows(name: str, run: AnalysisRun) -> Iterator[list[Cell]]:
    """The studies pooled (or dropped by the engine, with its reason), then those left out."""
    analysis = run.analysis
    effects = {effect.study: effect for effect in analysis.effects}
    dropped = {drop.study: drop.reason for drop in analysis.dropped}
    weights = _weights(analysis)
    level = analysis.pooled.level if analysis.pooled else 0.95
    for row in run.data.rows:
        effect = effects.get(row.study)
        yield [
            name,
            row.study,
            effect is not None,
            dropped.get(row.study, ""),
            row.group,
            *_data_cells(row),
            *_effect_cells(effect, weights.get(row.study), level, analysis.measure.is_ratio),
            *_derivation_cells(row),
        ]
    blank = [None] * (len(STUDIES) - 4)
    for left in run.data.left_out:
        yield [name, left.study, False, left.reason, *blank]


def _weights(analysis: Analysis) -> dict[str, float]:
    from review_app.domain.meta.plots.rows import study_weights  # the forest plot's weights

    return study_weights(analysis)


def _data_cells(row: StudyRow) -> list[Cell]:
    """The arm data pooled (a generic estimate's yi and vi are the effect's own columns)."""
    data = row.data
    if isinstance(data, Dichotomous):
        return [data.events_t, None, None, data.n_t, data.events_c, None, None, data.n_c]
    if isinstance(data, Continuous):
        return [None, data.mean_t, data.sd_t, data.n_t, None, data.mean_c, data.sd_c, data.n_c]
    return [None] * len(DATA)


def _effect_cells(
    effect: EffectSize | None, weight: float | None, level: float, is_ratio: bool
) -> list[Cell]:
    """yi, vi, SE and weight (percent), the effect and its Wald CI on the measure's scale (exp
    for ratios), as RevMan shows a study's effect (Cochrane Handbook 6.3.1), and whether a
    continuity correction was added to its cells."""
    if effect is None:
        return [None] * 8
    half = NormalDist().inv_cdf(1 - (1 - level) / 2) * effect.se
    shown = [effect.yi, effect.yi - half, effect.yi + half]
    if is_ratio:
        shown = [_exp(value) for value in shown]
    return [_number(effect.yi), _number(effect.vi), _number(effect.se), _number(weight),
            *map(_number, shown), effect.corrected]  # fmt: skip


def _derivation_cells(row: StudyRow) -> list[Cell]:
    """What the extraction did: the conversions (where: formula (source)), whether a value is
    estimated, the arms combined, warnings, and whether the study's consensus is complete."""
    return [
        SEPARATOR.join(
            f"{where}: {step.formula} ({step.source})"
            for where, derived in row.derivations.items()
            for step in derived.steps
        ),
        row.estimated,
        SEPARATOR.join(row.combined),
        SEPARATOR.join(row.warnings),
        row.complete,
    ]


def _pooled_rows(
    name: str, analysis: Analysis, subgroups: SubgroupResult | None
) -> Iterator[list[Cell]]:
    """The overall result, each subgroup's, and the test for subgroup differences (its Q, df, p
    and I-squared in the q, q_df, q_p and i2 columns)."""
    yield [name, OVERALL, None, *_result_cells(analysis), SEPARATOR.join(analysis.notes)]
    if subgroups is None:
        return
    for part in subgroups.subgroups:
        notes = SEPARATOR.join(part.analysis.notes)
        yield [name, SUBGROUP, part.name, *_result_cells(part.analysis), notes]
    difference = subgroups.difference
    if difference is not None:
        cells: dict[str, Cell] = {
            "analysis": name,
            "part": DIFFERENCE,
            "q": difference.q,
            "q_df": difference.df,
            "q_p": _number(difference.p),
            "i2": _number(difference.i2),
            "notes": SEPARATOR.join(subgroups.notes),
        }
        yield [cells.get(column) for column in POOLED]


def _result_cells(analysis: Analysis) -> list[Cell]:
    """k, the choices and level, the result's fields, and the ratios' back-transformed ones."""
    pooled: Pooled | None = analysis.pooled
    head: list[Cell] = [
        pooled.k if pooled else 0,
        analysis.measure.value,
        analysis.method.value,
        analysis.test.value,
        pooled.prediction_rule.value if pooled else None,
        pooled.level if pooled else None,
    ]
    if pooled is None:
        return [*head, *([None] * (len(RESULT) + len(BACK_TRANSFORMED)))]
    values = [_number(getattr(pooled, field)) for field in RESULT]
    backs = [
        _number(_exp(value)) if analysis.measure.is_ratio and value is not None else None
        for value in (getattr(pooled, field) for field in BACK_TRANSFORMED)
    ]
    return [*head, *values, *backs]


def _exp(value: float) -> float:
    """exp, infinite (an empty cell) where it overflows a float."""
    try:
        return math.exp(value)
    except OverflowError:
        return math.inf


def _number(value: float | int | None) -> float | int | None:
    """``value`` as written: an empty cell for None and what is not a finite number."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


# --- the plots ----------------------------------------------------------------------------------


def export_analysis_plot(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    format: str,
    analysis: str = "",
    plot: str = "forest",
) -> bytes:
    """A saved analysis's forest or funnel plot (SVG, 300-dpi PNG or PDF); ``analysis`` is its
    name ("": the first by name), computed from the current consensus extraction."""
    EXPORTS["analysis-plot"].check_format(format)
    if plot not in ANALYSIS_PLOTS:
        raise ValidationError(f"plot {plot!r}: allowed are {', '.join(ANALYSIS_PLOTS)}")
    view = saved_analysis(session, actor=actor, review_id=review_id, name=analysis)
    run = run_analysis(session, actor=actor, review_id=review_id, spec=view.spec)
    fmt: PlotFormat = format  # type: ignore[assignment]  # checked by check_format
    if plot == "forest":
        rob = _risk_of_bias(session, actor, review_id, run)
        return report.forest(run, fmt, risk_of_bias=rob)
    if len(run.analysis.effects) < report.SMALL_STUDY_MIN:  # the page's rule, in its words
        raise ValidationError(f"analysis {view.name!r}: {report.small_study_effects(run).sentence}")
    return report.funnel(run, fmt)


def analysis_names(session: Session, *, actor: Actor, review_id: int) -> list[str]:
    """The saved analyses' names by name (the plot export's choices; the first its default)."""
    return [view.name for view in list_analyses(session, actor=actor, review_id=review_id)]


def saved_analysis(
    session: Session, *, actor: Actor, review_id: int, name: str
) -> SavedAnalysisView:
    """The saved analysis named ``name`` (case and spaces as a name is saved; "": the first by
    name); a sentence naming the saved ones when there is none of that name."""
    views = list_analyses(session, actor=actor, review_id=review_id)
    if not views:
        raise ValidationError(
            "the review has no saved analyses; save one on the Analyses page first"
        )
    if not name.strip():
        return views[0]
    wanted = " ".join(name.split()).casefold()
    for view in views:
        if view.name.casefold() == wanted:
            return view
    saved = ", ".join(repr(view.name) for view in views)
    raise NotFoundError(f"no saved analysis named {name!r}; the saved analyses are {saved}")


def _risk_of_bias(
    session: Session, actor: Actor, review_id: int, run: AnalysisRun
) -> RobTable | None:
    """The outcome's consensus risk of bias for the forest's columns: the tool's table that
    judges most of the studies pooled (RoB 2 first on a tie); None when none is judged, or when
    the actor may not see the consensus assessments (assessment still blind to them)."""
    try:
        tables = rob_tables(
            session, actor=actor, review_id=review_id, outcome_id=run.spec.outcome_id
        )
    except PermissionDeniedError:
        return None
    pooled = {effect.study for effect in run.analysis.effects}
    covered = [(sum(row.study in pooled for row in table.rows), table) for table in tables]
    best = max(covered, key=lambda pair: pair[0], default=(0, None))
    return best[1] if best[0] else None
