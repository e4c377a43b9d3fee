"""The Summary-of-Findings table and evidence profile: each outcome graded from its evidence and
the final judgements, the rows in GRADE's order, the footnotes numbered, and the table as JSON
(the export's numbers, and a published snapshot stored and read back).

The layout follows GRADEpro GDT and GRADE guidelines 12 and 13 (Guyatt et al., J Clin Epidemiol
2013;66:158-172 and 173-183): critical outcomes first, then important, then not important;
outcomes no study measured stay in the table; the certainty is the starting level moved by each
domain's final rating (GRADE Handbook 5), and stays pending until every domain that rates down
has one. The words of the cells live in ``text.py``; this module lays out numbers and structure.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from review_app.domain.grade import absolute as effects
from review_app.domain.grade.codec import from_data, to_data
from review_app.domain.grade.model import (
    DOWNGRADE_DOMAINS,
    UPGRADE_DOMAINS,
    AbsoluteEffect,
    BaselineRisk,
    Certainty,
    ContinuousEffect,
    DomainRow,
    EvidenceDesign,
    EvidenceSource,
    GradeContent,
    GradeDomain,
    OutcomeEvidence,
    OutcomeGrade,
    PicoElement,
    RelativeEffect,
    SofRow,
    SofTable,
    Suggestion,
    rated_certainty,
)
from review_app.domain.grade.statement import plain_statement
from review_app.errors import ValidationError
from review_app.protocol.model import Importance

IMPORTANCE_ORDER: tuple[str, ...] = typing.get_args(Importance)  # critical, important, ...
SNAPSHOT_VERSION = 1  # table_to_dict's layout; table_from_dict refuses others


class _HasImportance(Protocol):
    @property
    def importance(self) -> str: ...


Ranked = TypeVar("Ranked", bound=_HasImportance)


def importance_rank(importance: str) -> int:
    """0 for critical, 1 for important, 2 for not important (Guyatt et al., GRADE guidelines 2,
    J Clin Epidemiol 2011;64:395-400: outcomes are critical, important, or of limited
    importance, and the SoF lists them in that order)."""
    try:
        return IMPORTANCE_ORDER.index(importance)
    except ValueError:
        allowed = ", ".join(IMPORTANCE_ORDER)
        raise ValidationError(f"outcome importance {importance!r}: one of {allowed}") from None


def outcome_order(outcomes: Iterable[Ranked]) -> list[Ranked]:
    """The outcomes critical first, then important, then not important, each group in the
    order given (the protocol's)."""
    return sorted(outcomes, key=lambda o: importance_rank(o.importance))


# --- one outcome ----------------------------------------------------------------------------------


def grade_outcome(
    evidence: OutcomeEvidence,
    content: GradeContent,
    suggestions: Mapping[GradeDomain, Suggestion],
    start: Certainty | None,
    *,
    intervention: str,
) -> OutcomeGrade:
    """One outcome graded: every domain with its suggestion and final judgement, the certainty
    (None without studies, or while a domain that rates down has no final rating), the effects
    (comparator risks: the study population's, then those entered) and the statement (the
    one written in ``content``, else GRADE guidance 26's from the certainty and the effect)."""
    start = start if evidence.has_studies else None
    domains = tuple(
        DomainRow(d, suggestions.get(d) or Suggestion(d, None), content.judgements.get(d))
        for d in GradeDomain
    )
    certainty = _certainty(evidence, start, domains)
    relative, absolute, continuous = _effects(evidence, content.baselines)
    statement = content.statement.strip() or plain_statement(
        evidence, certainty, relative, continuous, intervention=intervention, absolute=absolute
    )
    return OutcomeGrade(
        evidence=evidence,
        start=start,
        domains=domains,
        certainty=certainty,
        statement=statement,
        comments=content.comments,
        relative=relative,
        absolute=absolute,
        continuous=continuous,
    )


def _certainty(
    evidence: OutcomeEvidence, start: Certainty | None, domains: Sequence[DomainRow]
) -> Certainty | None:
    """The starting level moved by the final ratings; rating up counts only when the body of
    evidence holds non-randomised studies (GRADE guidelines 9: randomised evidence is not
    rated up)."""
    ratings = {row.domain: row.rating for row in domains}
    if start is None or any(ratings[d] is None for d in DOWNGRADE_DOMAINS):
        return None
    counted = list(DOWNGRADE_DOMAINS)
    if any(s.design is EvidenceDesign.NON_RANDOMISED for s in evidence.studies):
        counted += UPGRADE_DOMAINS
    return rated_certainty(start, (ratings[d] for d in counted))


def _effects(
    evidence: OutcomeEvidence, entered: Sequence[BaselineRisk]
) -> tuple[RelativeEffect | None, tuple[AbsoluteEffect, ...], ContinuousEffect | None]:
    """The relative effect of a ratio analysis and its absolute effects per comparator risk;
    absolute effects from a risk difference only when the analysis pooled RD; the continuous
    effect of an MD or SMD analysis."""
    pooled = evidence.pooled if evidence.source is EvidenceSource.ANALYSIS else None
    relative = effects.relative_effect(pooled)
    applied = relative or effects.risk_difference(pooled)
    study_population = effects.study_population_risk(evidence)
    baselines = ([study_population] if study_population else []) + list(entered)
    usable = applied is not None and all(
        math.isfinite(v) for v in (applied.estimate, applied.ci_low, applied.ci_high)
    )  # an analysis without a CI (NaN) has no absolute effects to show, not an error
    absolute = effects.absolute_effects(applied, baselines) if applied and usable else ()
    return relative, absolute, effects.continuous_effect(evidence) if pooled else None


# --- the table ------------------------------------------------------------------------------------


class _Footnotes:
    """Footnote texts numbered from 1 in the order they are first cited; a text cited again
    keeps its number."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def number(self, text: str) -> int:
        if text not in self.texts:
            self.texts.append(text)
        return self.texts.index(text) + 1


def build_table(
    *,
    title: str,
    question: str,
    population: str,
    intervention: str,
    comparison: str,
    setting: str,
    grades: Sequence[OutcomeGrade],
) -> SofTable:
    """The table: rows in outcome order, footnotes numbered as a reader meets them in
    GRADEpro's columns: the outcome's (indirect evidence, the narrative synthesis), the
    comparator risks' sources, then each domain's explanation."""
    notes = _Footnotes()
    rows = []
    for grade in sorted(grades, key=lambda g: importance_rank(g.evidence.importance)):
        cited = tuple(notes.number(text) for text in row_footnotes(grade))
        by_domain = {
            row.domain: (notes.number(row.footnote),) for row in grade.domains if row.footnote
        }
        rows.append(SofRow(grade, footnotes=cited, domain_footnotes=by_domain))
    return SofTable(
        title=title,
        question=question,
        population=population,
        intervention=intervention,
        comparison=comparison,
        setting=setting,
        rows=tuple(rows),
        footnotes=tuple(notes.texts),
    )


def row_footnotes(grade: OutcomeGrade) -> tuple[str, ...]:
    """The footnotes of a row as a whole: which studies are indirect evidence and why, and the
    source of each comparator risk entered (the study population's is described in its own
    cell). A narrative synthesis is not one: both tables show it whole in the row's effect
    cells, so a footnote would repeat it."""
    evidence = grade.evidence
    texts = []
    indirect = indirect_footnote(evidence)
    if indirect:
        texts.append(indirect)
    for effect in grade.absolute:
        baseline = effect.baseline
        if baseline.label != effects.STUDY_POPULATION and baseline.source.strip():
            texts.append(f"{baseline.label} comparator risk: {baseline.source.strip()}")
    return tuple(texts)


def indirect_footnote(evidence: OutcomeEvidence) -> str:
    """ "Indirect evidence: Vicknasingam 2020 (population, outcome): experimental pain ..." for
    the studies judged or flagged indirect; "" when none is."""
    parts = []
    for study in evidence.studies:
        if not (study.indirect or study.flagged_indirect):
            continue
        elements = ", ".join(e.value for e in PicoElement if e in study.indirect)
        part = f"{study.study} ({elements or 'flagged at extraction'})"
        note = study.indirect_note.strip()
        parts.append(f"{part}: {note}" if note else part)
    return f"Indirect evidence: {'; '.join(parts)}" if parts else ""


# --- JSON -----------------------------------------------------------------------------------------


def sof_json(table: SofTable) -> list[dict[str, Any]]:
    """The export's JSON: one object per outcome in table order with its numbers (risks per
    1,000, ratios on their natural scale, NaN as null) and texts (issue 16's fields, plus the
    name, source, pending flag, every comparator risk's absolute effects, statement, comments
    and footnote texts)."""
    return [_row_json(row, table.footnotes) for row in table.rows]


def _row_json(row: SofRow, footnotes: Sequence[str]) -> dict[str, Any]:
    grade, evidence = row.grade, row.grade.evidence
    study_population = effects.study_population_risk(evidence)
    population_effect = next(
        (a for a in grade.absolute if a.baseline.label == effects.STUDY_POPULATION), None
    )
    cited = sorted({*row.footnotes, *(n for ns in row.domain_footnotes.values() for n in ns)})
    return {
        "outcome_id": evidence.outcome_id,
        "name": evidence.name,
        "importance": evidence.importance,
        "type": evidence.type,
        "source": evidence.source.value,
        "studies": len(evidence.studies),
        "participants": evidence.participants,
        "relative_effect": _relative_json(grade.relative),
        "comparator_risk_per_1000": _number(
            study_population.per_1000 if study_population else None
        ),
        **_population_json(population_effect),
        "absolute_effects": [_absolute_json(a) for a in grade.absolute],
        "mean_difference": _continuous_json(grade.continuous),
        "start": grade.start.value if grade.start else None,
        "certainty": grade.certainty.value if grade.certainty else None,
        "pending": grade.pending,
        "domains": {d.domain.value: _domain_json(d, row, footnotes) for d in grade.domains},
        "statement": grade.statement,
        "comments": grade.comments,
        "footnotes": [footnotes[n - 1] for n in cited],
    }


def _population_json(effect: AbsoluteEffect | None) -> dict[str, float | None]:
    keys = ("", "_ci_low", "_ci_high")
    values = (
        (effect.intervention_per_1000, effect.intervention_ci_low, effect.intervention_ci_high)
        if effect
        else (None, None, None)
    )
    return {f"intervention_risk_per_1000{k}": _number(v) for k, v in zip(keys, values, strict=True)}


def _relative_json(effect: RelativeEffect | None) -> dict[str, Any] | None:
    if effect is None:
        return None
    return {
        "measure": effect.measure.value,
        "estimate": _number(effect.estimate),
        "ci_low": _number(effect.ci_low),
        "ci_high": _number(effect.ci_high),
    }


def _absolute_json(effect: AbsoluteEffect) -> dict[str, Any]:
    return {
        "baseline": effect.baseline.label,
        "source": effect.baseline.source,
        "comparator_per_1000": _number(effect.baseline.per_1000),
        "intervention_per_1000": _number(effect.intervention_per_1000),
        "intervention_ci_low": _number(effect.intervention_ci_low),
        "intervention_ci_high": _number(effect.intervention_ci_high),
        "difference_per_1000": _number(effect.difference_per_1000),
        "difference_ci_low": _number(effect.difference_ci_low),
        "difference_ci_high": _number(effect.difference_ci_high),
    }


def _continuous_json(effect: ContinuousEffect | None) -> dict[str, Any] | None:
    if effect is None:
        return None
    return {
        "measure": effect.measure.value,
        "estimate": _number(effect.difference),
        "ci_low": _number(effect.ci_low),
        "ci_high": _number(effect.ci_high),
        "comparator_mean": _number(effect.comparator_mean),
        "unit": effect.unit,
    }


def _domain_json(domain: DomainRow, row: SofRow, footnotes: Sequence[str]) -> dict[str, Any]:
    suggested = domain.suggestion.rating
    numbers = row.domain_footnotes.get(domain.domain, ())
    return {
        "suggested": suggested.value if suggested else None,
        "final": domain.rating.value if domain.rating else None,
        "footnote": " ".join(footnotes[n - 1] for n in numbers) or domain.footnote,
        "rule": domain.suggestion.rule,
    }


def _number(value: float | None) -> float | None:
    """A number JSON can hold: NaN and infinities become null."""
    return value if value is not None and math.isfinite(value) else None


# --- snapshots ------------------------------------------------------------------------------------


def table_to_dict(table: SofTable) -> dict[str, Any]:
    """The whole table as JSON-safe data (``codec.to_data``), versioned, for a published
    snapshot; :func:`table_from_dict` reads it back equal."""
    return {"version": SNAPSHOT_VERSION, "table": to_data(table)}


def table_from_dict(data: Mapping[str, Any]) -> SofTable:
    """The table :func:`table_to_dict` wrote; ValidationError naming the place that does not
    fit (a snapshot from another version, a value of the wrong kind)."""
    version = data.get("version") if isinstance(data, Mapping) else None
    if version != SNAPSHOT_VERSION:
        raise ValidationError(
            f"SoF snapshot version {version!r}: this version of review-app reads version "
            f"{SNAPSHOT_VERSION}"
        )
    return from_data(SofTable, data.get("table"), "SofTable")
