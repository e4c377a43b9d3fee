"""Checking and grading one GRADE copy's content for ``services/grade.py``: the evidence it
chooses gathered, the suggestions and starting level, what it gives (``sof.grade_outcome``), and
every problem that keeps it from being saved, completed or published, by outcome and domain.

No function here checks the actor: ``services/grade.py`` does, then calls these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlmodel import Session

from review_app.domain.grade.content import baseline_problems, rating_problems
from review_app.domain.grade.model import (
    DOWNGRADE_DOMAINS,
    Certainty,
    EvidenceSource,
    GradeContent,
    GradeDomain,
    OutcomeEvidence,
    OutcomeGrade,
    Suggestion,
    needs_explanation,
)
from review_app.domain.grade.rules import starting_level, suggest
from review_app.domain.grade.sof import grade_outcome
from review_app.errors import FieldProblem, FormProblems, ValidationError
from review_app.models import GradeAssessment
from review_app.protocol import Protocol
from review_app.protocol.model import Outcome
from review_app.services.grade_copies import content_of
from review_app.services.grade_evidence import analyses_for, default_content, gather
from review_app.services.reviews import get_protocol

EVIDENCE = "body of evidence"  # the field of a problem with the evidence chosen
BASELINES = "comparator risks"
_SHORT_NAME = re.compile(r"[(.,;:]")  # where the protocol's intervention text stops naming it


class GradeProblems(FormProblems):
    """GRADE judgements that cannot be saved (or published) as they are; lists every problem
    by outcome and domain, nothing was written."""


def intervention_name(protocol: Protocol) -> str:
    """The intervention's name in a statement: the protocol's PICO intervention up to its first
    bracket or punctuation ("Kratom", "BCG vaccination")."""
    text = protocol.pico.intervention.strip()
    return _SHORT_NAME.split(text, maxsplit=1)[0].strip() or text


@dataclass(frozen=True, slots=True)
class Graded:
    """A content's evidence, suggestions, starting level and what it gives."""

    evidence: OutcomeEvidence
    suggestions: Mapping[GradeDomain, Suggestion]
    start: Certainty | None
    grade: OutcomeGrade

    @property
    def certainty(self) -> Certainty | None:
        return self.grade.certainty


def graded(
    session: Session, protocol: Protocol, review_id: int, outcome: Outcome, content: GradeContent
) -> Graded:
    """The evidence ``content`` chooses (ValidationError when its saved analysis is not the
    outcome's), its suggestions and starting level, and the outcome graded with it."""
    evidence = gather(session, review_id, outcome, content)
    suggestions = suggest(evidence)
    start = starting_level(evidence)
    grade = grade_outcome(
        evidence, content, suggestions, start, intervention=intervention_name(protocol)
    )
    return Graded(evidence, suggestions, start, grade)


def shown(
    session: Session, protocol: Protocol, review_id: int, outcome: Outcome, content: GradeContent
) -> tuple[Graded, str]:
    """What ``content`` gives for a page, and ""; when its evidence cannot be read (its saved
    analysis was renamed or deleted since), what the proposed evidence gives with its
    judgements, and why, so that a page still shows the outcome and its judge chooses again."""
    try:
        return graded(session, protocol, review_id, outcome, content), ""
    except ValidationError as error:
        proposal = replace(content, source=None, analysis=None)
        return graded(session, protocol, review_id, outcome, proposal), str(error)


def problems(
    session: Session, review_id: int, outcome: Outcome, content: GradeContent, *, complete: bool
) -> tuple[list[FieldProblem], Graded | None]:
    """Every problem of ``content`` for the outcome (``complete``: also every downgrading domain
    not rated), and what it gives when its evidence could be read."""
    where = outcome.name
    found = [
        FieldProblem(where, domain.label, message)
        for domain, judgement in content.judgements.items()
        for message in rating_problems(domain, judgement.rating)
    ]
    found.extend(
        FieldProblem(where, BASELINES, message)
        for baseline in content.baselines
        for message in baseline_problems(baseline)
    )
    analysis = _analysis_problem(session, review_id, outcome, content)
    if analysis is not None:
        return [*found, FieldProblem(where, EVIDENCE, analysis)], None
    protocol = get_protocol(session, review_id)
    try:
        result = graded(session, protocol, review_id, outcome, content)
    except ValidationError as error:
        return [*found, FieldProblem(where, EVIDENCE, str(error))], None
    found.extend(_explanation_problems(where, content, result.suggestions))
    if complete:
        found.extend(_completeness_problems(where, content, result.evidence))
    return found, result


def _analysis_problem(
    session: Session, review_id: int, outcome: Outcome, content: GradeContent
) -> str | None:
    if content.source is not EvidenceSource.ANALYSIS:
        return None
    names = analyses_for(session, review_id, outcome.id)
    listed = ", ".join(repr(n) for n in names) or "none yet (save one on the Analyses page)"
    if content.analysis is None:
        return f"choose the saved analysis the evidence comes from; the outcome's: {listed}"
    if content.analysis not in names:
        return (
            f"{content.analysis!r} is not a saved analysis of this outcome; its analyses: {listed}"
        )
    return None


def _explanation_problems(
    where: str, content: GradeContent, suggestions: Mapping[GradeDomain, Suggestion]
) -> list[FieldProblem]:
    """A rating that moves certainty or overrides the suggestion needs an explanation: it is
    the table's footnote saying why."""
    found = []
    for domain, judgement in content.judgements.items():
        suggested = suggestions[domain].rating if domain in suggestions else None
        if judgement.explanation or not needs_explanation(suggested, judgement.rating):
            continue
        assert judgement.rating is not None  # needs_explanation is False without a rating
        why = (
            "it moves certainty"
            if judgement.rating.change
            else f"it differs from the suggestion ({suggested.label if suggested else '-'})"
        )
        found.append(
            FieldProblem(
                where,
                domain.label,
                f"{judgement.rating.label} needs an explanation (the footnote): {why}",
            )
        )
    return found


def _completeness_problems(
    where: str, content: GradeContent, evidence: OutcomeEvidence
) -> list[FieldProblem]:
    if content.source is None:
        return [FieldProblem(where, EVIDENCE, "choose the body of evidence")]
    if not evidence.has_studies:
        return []
    return [
        FieldProblem(
            where,
            domain.label,
            "not rated yet; every domain that rates certainty down needs "
            "a rating before the judgements are complete or published",
        )
        for domain in DOWNGRADE_DOMAINS
        if (j := content.judgements.get(domain)) is None or j.rating is None
    ]


def checked(
    session: Session,
    review_id: int,
    outcome: Outcome,
    content: GradeContent,
    *,
    complete: bool,
    where: str,
) -> Graded:
    """What ``content`` gives, or GradeProblems listing every problem (nothing is written)."""
    found, graded = problems(session, review_id, outcome, content, complete=complete)
    if found or graded is None:
        state = "; it is complete, so it must stay complete" if complete else ""
        raise GradeProblems(
            found, summary=f"{where}: {len(found)} problem(s); nothing was saved{state}"
        )
    return graded


def final_or_default(
    session: Session, review_id: int, outcome: Outcome, row: GradeAssessment | None
) -> GradeContent:
    """The final's content, its body of evidence proposed when none is chosen yet; what the page
    proposes when there is no final."""
    content = content_of(row)
    if content.source is not None:
        return content
    proposed = default_content(session, review_id, outcome)
    return replace(content, source=proposed.source, analysis=proposed.analysis)
