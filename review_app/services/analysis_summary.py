"""An analysis's numbers as plain JSON: the one place for their field names.

``review-app meta-analyse --json`` prints this summary, and a saved analysis keeps its last run's
(``SavedAnalysis.result``, with ``ran_at``) so a list can show the numbers it last had. Fields, on
the analysis scale (log for ratios; ARCHITECTURE.md's contract): ``k, measure, method, test,
estimate, se, ci_low, ci_high, tau2, i2, q, q_df, q_p, pi_low, pi_high``, then ``statistic, pval,
df, h2, se_tau2, tau2_ci_low, tau2_ci_high, level, prediction``; for ratios ``exp_estimate,
exp_ci_low, exp_ci_high`` (and ``exp_pi_low, exp_pi_high`` with a prediction interval);
``left_out`` ({study, reason}: the review's studies not pooled, then those the engine dropped),
``notes``; ``incomplete`` when a consensus is not complete; ``studies`` per study (``study, yi, vi,
weight, corrected, estimated, indirect, converted``); ``subgroups`` and ``subgroup_difference``
with subgroups. NaN and infinities are null (JSON has neither).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from review_app.domain.extraction.formats import Derived
    from review_app.domain.meta.further import SubgroupResult
    from review_app.domain.meta.model import Analysis
    from review_app.services.analyses import AnalysisRun

POOLED_FIELDS = (
    "estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q", "q_df", "q_p", "pi_low", "pi_high",
    "statistic", "pval", "df", "h2", "se_tau2", "tau2_ci_low", "tau2_ci_high", "level",
)  # fmt: skip


class StudyInput(Protocol):
    """How a study's numbers were had, from a file (``importers.meta_csv.FileStudy``) or from the
    review (``services.analysis_data.StudyRow``)."""

    @property
    def derivations(self) -> Mapping[str, Derived]: ...

    @property
    def converted(self) -> bool: ...

    @property
    def estimated(self) -> bool: ...


def run_summary(run: AnalysisRun) -> dict[str, Any]:
    """The summary of a run of the review's data, every study's row included."""
    return summary(
        run.analysis,
        rows={row.study: row for row in run.data.rows},
        left_out=[(left.study, left.reason) for left in run.data.left_out],
        subgroups=run.subgroups,
        incomplete=run.data.incomplete,
        indirect=[row.study for row in run.data.rows if row.indirect],
    )


def summary(
    analysis: Analysis,
    *,
    rows: Mapping[str, StudyInput],
    left_out: Sequence[tuple[str, str]] = (),
    subgroups: SubgroupResult | None = None,
    incomplete: Sequence[str] = (),
    indirect: Collection[str] = (),
    per_study: bool = True,
) -> dict[str, Any]:
    """The analysis as JSON-ready values (the module's docstring lists the fields); ``left_out``:
    the studies not given to the engine, with the reason; ``indirect``: the studies pooled that
    are indirect evidence."""
    result: dict[str, Any] = {
        **pooled_summary(analysis),
        "left_out": [
            {"study": study, "reason": reason}
            for study, reason in [*left_out, *((d.study, d.reason) for d in analysis.dropped)]
        ],
        "notes": list(analysis.notes),
    }
    if incomplete:
        result["incomplete"] = list(incomplete)
    if per_study:
        result["studies"] = _studies(analysis, rows, set(indirect))
    if subgroups is not None:
        difference = subgroups.difference
        result["subgroups"] = [
            {"name": part.name, **pooled_summary(part.analysis)} for part in subgroups.subgroups
        ]
        result["subgroup_difference"] = (
            None
            if difference is None
            else {"q": difference.q, "df": difference.df, "p": difference.p, "i2": difference.i2}
        )
    return json_safe(result)


def pooled_summary(analysis: Analysis) -> dict[str, Any]:
    """The pooled result's fields (``k`` 0 and no numbers when nothing was pooled)."""
    pooled = analysis.pooled
    head = {
        "k": pooled.k if pooled else 0,
        "measure": analysis.measure.value,
        "method": analysis.method.value,
        "test": analysis.test.value,
    }
    if pooled is None:
        return head
    values = {name: getattr(pooled, name) for name in POOLED_FIELDS}
    values["prediction"] = pooled.prediction_rule.value
    if analysis.measure.is_ratio:
        values["exp_estimate"] = pooled.exp_estimate
        values["exp_ci_low"], values["exp_ci_high"] = pooled.exp_ci
        if pooled.pi_low is not None and pooled.pi_high is not None:
            values["exp_pi_low"], values["exp_pi_high"] = _exp(pooled.pi_low, pooled.pi_high)
    return json_safe({**head, **values})


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None, tuples as lists, all the way down."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def _exp(*values: float) -> tuple[float, ...]:
    """Back on the ratio's own scale; an overflow is infinity (shown as null)."""
    return tuple(math.exp(v) if v < 709.0 else math.inf for v in values)


def _studies(
    analysis: Analysis, rows: Mapping[str, StudyInput], indirect: Collection[str]
) -> list[dict[str, Any]]:
    from review_app.domain.meta.plots.rows import study_weights  # the forest plot's weights

    weights = study_weights(analysis)
    studies = []
    for effect in analysis.effects:
        row = rows.get(effect.study)
        derivations = row.derivations if row is not None else {}
        studies.append(
            {
                "study": effect.study,
                "yi": effect.yi,
                "vi": effect.vi,
                "weight": weights.get(effect.study),
                "corrected": effect.corrected,
                "estimated": row is not None and row.estimated,
                "indirect": effect.study in indirect,
                "converted": [
                    f"{where}: {step.formula} ({step.source})"
                    for where, derived in derivations.items()
                    for step in derived.steps
                ],
            }
        )
    return studies
