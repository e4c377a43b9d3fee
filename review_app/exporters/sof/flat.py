"""The Summary-of-Findings table and the evidence profile as CSV, plain columns for a script or
a spreadsheet: the table one row per outcome and comparator risk, numbers at full precision
(risks per 1,000, the relative effect on its natural scale, the mean difference); the profile
one row per outcome with each domain's rating and its explanation. Text cells are neutralised
and the file carries a BOM, as the other exports' CSV files (``exporters/tabular.py``)."""

from __future__ import annotations

from collections.abc import Iterator

from review_app.domain.grade.model import (
    AbsoluteEffect,
    GradeDomain,
    OutcomeGrade,
    SofRow,
    SofTable,
)
from review_app.domain.grade.text import (
    absolute_texts,
    certainty_text,
    continuous_text,
    design_text,
    marks_text,
    other_considerations_text,
    relative_text,
)
from review_app.exporters.sof.layout import certainty_marks
from review_app.exporters.tabular import table_csv

OUTCOME_COLUMNS = ("outcome_id", "outcome", "importance", "follow_up", "source")
SOF_COLUMNS = (
    *OUTCOME_COLUMNS,
    "baseline", "baseline_source", "comparator_risk_per_1000",
    "intervention_risk_per_1000", "intervention_risk_ci_low", "intervention_risk_ci_high",
    "risk_difference_per_1000", "risk_difference_ci_low", "risk_difference_ci_high",
    "relative_measure", "relative_estimate", "relative_ci_low", "relative_ci_high",
    "difference_measure", "mean_difference", "mean_difference_ci_low", "mean_difference_ci_high",
    "comparator_mean", "unit",
    "studies", "participants", "study_design", "certainty", "certainty_symbols", "pending",
    "footnotes", "statement", "comments", "narrative",
)  # fmt: skip
PROFILE_COLUMNS = (
    *OUTCOME_COLUMNS,
    "studies", "study_design",
    *(f"{domain}{part}" for domain in GradeDomain for part in ("", "_explanation")),
    "other_considerations", "participants", "relative_effect", "absolute_effect",
    "certainty", "pending",
)  # fmt: skip


def sof_csv(table: SofTable, *, profile: bool = False) -> bytes:
    if profile:
        return table_csv(PROFILE_COLUMNS, (_profile_row(row) for row in table.rows), excel=True)
    rows = (line for row in table.rows for line in _sof_rows(row))
    return table_csv(SOF_COLUMNS, rows, excel=True)


def _outcome(grade: OutcomeGrade) -> list[object]:
    evidence = grade.evidence
    return [
        evidence.outcome_id,
        evidence.name,
        evidence.importance,
        evidence.timepoint or "",
        evidence.source.value,
    ]


def _sof_rows(row: SofRow) -> Iterator[list[object]]:
    """One line per comparator risk (one line when the outcome has none)."""
    grade = row.grade
    effects: tuple[AbsoluteEffect | None, ...] = grade.absolute or (None,)
    for effect in effects:
        yield [
            *_outcome(grade),
            *_absolute(effect),
            *_relative(grade),
            *_continuous(grade),
            *_rest(row),
        ]


def _absolute(effect: AbsoluteEffect | None) -> list[object]:
    if effect is None:
        return [None] * 9
    return [
        effect.baseline.label,
        effect.baseline.source,
        effect.baseline.per_1000,
        effect.intervention_per_1000,
        effect.intervention_ci_low,
        effect.intervention_ci_high,
        effect.difference_per_1000,
        effect.difference_ci_low,
        effect.difference_ci_high,
    ]


def _relative(grade: OutcomeGrade) -> list[object]:
    effect = grade.relative
    if effect is None:
        return [None] * 4
    return [effect.measure.value, effect.estimate, effect.ci_low, effect.ci_high]


def _continuous(grade: OutcomeGrade) -> list[object]:
    effect = grade.continuous
    if effect is None:
        return [None] * 6
    return [
        effect.measure.value,
        effect.difference,
        effect.ci_low,
        effect.ci_high,
        effect.comparator_mean,
        effect.unit,
    ]


def _rest(row: SofRow) -> list[object]:
    grade = row.grade
    evidence = grade.evidence
    return [
        len(evidence.studies),
        evidence.participants,
        design_text(evidence) if evidence.has_studies else None,
        grade.certainty.value if grade.certainty is not None else None,
        grade.certainty.symbols if grade.certainty is not None else None,
        grade.pending,
        marks_text([*row.footnotes, *certainty_marks(row)]),
        grade.statement,
        grade.comments,
        evidence.narrative,
    ]


def _profile_row(row: SofRow) -> list[object]:
    grade = row.grade
    evidence = grade.evidence
    domains = {domain_row.domain: domain_row for domain_row in grade.domains}
    judged: list[object] = []
    for domain in GradeDomain:
        domain_row = domains.get(domain)
        rating = domain_row.rating if domain_row is not None else None
        judged += [
            rating.value if rating is not None else None,
            domain_row.footnote if domain_row is not None else "",
        ]
    absolute = "; ".join(
        f"{effect.baseline.label}: {absolute_texts(effect)[2]}" for effect in grade.absolute
    )
    return [
        *_outcome(grade),
        len(evidence.studies),
        design_text(evidence) if evidence.has_studies else None,
        *judged,
        other_considerations_text(grade) if evidence.has_studies else None,
        evidence.participants,
        relative_text(grade.relative) if grade.relative else None,
        continuous_text(grade.continuous) if grade.continuous else absolute or None,
        certainty_text(grade) if evidence.has_studies else None,
        grade.pending,
    ]
