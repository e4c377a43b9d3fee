"""The rules of one copy of a risk-of-bias assessment (pure): what the tool proposes for it, and
what may not be saved.

- :func:`proposals`: per domain, the judgement the domain's published algorithm proposes from
  the copy's answers (None while an answer it needs is missing or unusable, and always for a
  domain the guidance leaves to the assessor, as ROBINS-I 2016 mostly does);
- :func:`overall_proposal`: the overall judgement the tool's rule gives from the copy's domain
  judgements (None while a domain is not judged);
- :func:`problems`: every reason the copy cannot be saved as it is, or marked complete.

Overrides. A judgement other than the proposal is the assessor's override, and needs support text
saying why (RoB 2 guidance of 22 August 2019: the algorithm's result "can be overridden"
with justification; the issue: "an override needs a sentence of support"). So RoB 2's "Some
concerns in several domains" raised to an overall High is an override with support, allowed.
Where the algorithm proposes nothing, any level is the assessor's judgement and needs no note.

The overall judgement is never less severe than the most severe domain judgement: "Low" only when
every domain is Low (RoB 2 guidance, overall risk-of-bias criteria; ROBINS-I, Sterne et al.
BMJ 2016;355:i4919, Table 2). An overall at an unranked level (ROBINS-I's "No information") is
not ordered against the others, so only the support rule applies to it.

Triage. A tool with a triage (ROBINS-I V2 section B) holds its answers in a pseudo-domain whose
id is the triage's ("B"), before the domains: its judgement is the level the triage ends the
assessment with (Critical on Y/PY to B2 or B3), else None (:func:`triage_judgement`, which the
services store). A triage that ends the assessment needs no domain, and the overall proposal is
that level; while it goes on (:data:`~.tool.PROCEED`) the domains are assessed as usual.

A copy for one outcome may leave domains to the study's copy for all outcomes (``ALL_OUTCOMES``);
check :func:`effective_copy` of the two. The copy for all outcomes itself is complete when every
domain it holds is judged and answered: its overall judgement, if any, is not required.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from review_app.domain.appraisal.model import (
    ALL_OUTCOMES,
    DomainAssessment,
    ResultAssessment,
    effective_domains,
)
from review_app.domain.appraisal.tool import (
    PROCEED,
    Answer,
    Domain,
    Tool,
    asked,
    check_answers,
    overall,
    propose,
)
from review_app.errors import ValidationError

OVERALL = "overall"  # AssessmentProblem.where for the overall judgement
VARIANT = "variant"  # ... and for the copy's tool and variant
JUDGEMENT, SUPPORT, DOMAIN = "judgement", "support", "domain"  # AssessmentProblem.field values


@dataclass(frozen=True)
class AssessmentProblem:
    """Why a copy cannot be saved (or completed) as it is.

    ``where`` is a domain id ("D2"), :data:`OVERALL` or :data:`VARIANT`; ``field`` is a question
    number ("2.3"), :data:`JUDGEMENT`, :data:`SUPPORT` or :data:`DOMAIN` (or "tool", "variant");
    ``message`` is a sentence for people naming the domain and what is allowed."""

    where: str
    field: str
    message: str


def proposals(tool: Tool, copy: ResultAssessment) -> dict[str, str | None]:
    """Domain id -> the judgement its algorithm proposes from the copy's answers (None: none yet,
    or none ever where the guidance leaves it to the assessor), for every domain of the copy's
    variant. An unknown variant raises ValidationError (see :func:`problems`)."""
    return {
        domain.id: domain_proposal(domain, _answers(copy, domain.id))
        for domain in tool.domains_for(copy.variant)
    }


def domain_proposal(domain: Domain, answers: Mapping[str, Answer]) -> str | None:
    """What the algorithm proposes from the usable answers: those to questions asked, with an
    answer the question allows (a stray or unknown answer steers nothing)."""
    allowed = {q.number: q.answers for q in asked(domain, answers)}
    usable = {n: a for n, a in answers.items() if n in allowed and a in allowed[n]}
    return propose(domain, usable)


def triage_proposal(tool: Tool, copy: ResultAssessment) -> str | None:
    """What the tool's triage gives from the copy's triage answers: a level that ends the
    assessment, :data:`~.tool.PROCEED`, or None (no triage, or an answer it needs is missing)."""
    if tool.triage is None:
        return None
    return domain_proposal(tool.triage, _answers(copy, tool.triage.id))


def triage_judgement(tool: Tool, copy: ResultAssessment) -> str | None:
    """The level the triage ends the copy's assessment with (ROBINS-I V2: Critical), else None:
    the judgement stored on the triage's pseudo-domain."""
    proposal = triage_proposal(tool, copy)
    return None if proposal in (None, PROCEED) else proposal


def with_triage_judgement(tool: Tool, copy: ResultAssessment) -> ResultAssessment:
    """``copy`` with its triage pseudo-domain's judgement as its answers give it."""
    if tool.triage is None or copy.domain(tool.triage.id) is None:
        return copy
    judgement = triage_judgement(tool, copy)
    domains = tuple(
        dataclasses.replace(d, judgement=judgement) if d.domain == tool.triage.id else d
        for d in copy.domains
    )
    return dataclasses.replace(copy, domains=domains)


def overall_proposal(tool: Tool, copy: ResultAssessment) -> str | None:
    """The overall judgement the tool's rule gives from the copy's domain judgements (the
    triage's level where it ends the assessment); None while a domain of the variant is not
    judged or is judged off the scale."""
    ended = triage_judgement(tool, copy)
    if ended is not None:
        return ended
    judgements = [_judgement(copy, domain.id) for domain in tool.domains_for(copy.variant)]
    if any(j is None or j not in tool.scale.ids for j in judgements):
        return None
    return overall(tool, judgements)


def effective_copy(copy: ResultAssessment, shared: ResultAssessment | None) -> ResultAssessment:
    """``copy`` with the domains it does not hold from ``shared``, the same assessor's (or the
    consensus's) copy for all outcomes of the study: what the result's assessment is."""
    if shared is None or copy.outcome_id == ALL_OUTCOMES:
        return copy
    domains = effective_domains([shared, copy], copy.outcome_id)
    return dataclasses.replace(copy, domains=tuple(domains.values()))


def problems(tool: Tool, copy: ResultAssessment, *, complete: bool) -> list[AssessmentProblem]:
    """Every reason ``copy`` cannot be saved as it is (``complete``: or marked complete), in the
    order of the tool's domains, then the overall judgement. Empty: it may be saved."""
    found = _tool_problems(tool, copy)
    if found:
        return found
    domains = {d.id: d for d in tool.domains_for(copy.variant)}
    found.extend(_unknown_domains(tool, copy, domains))
    found.extend(_triage_problems(tool, copy, complete=complete))
    needed = complete and triage_judgement(tool, copy) is None  # an ended triage needs none
    for domain in domains.values():
        assessed = copy.domain(domain.id)
        if assessed is not None:
            found.extend(_domain_problems(tool, domain, assessed, complete=needed))
        elif needed and copy.outcome_id != ALL_OUTCOMES:
            found.append(_problem(domain, JUDGEMENT, "not judged; " + _levels(tool)))
    found.extend(_overall_problems(tool, copy, complete=complete))
    return found


def _tool_problems(tool: Tool, copy: ResultAssessment) -> list[AssessmentProblem]:
    if copy.tool != tool.id:
        message = f"the copy is for tool {copy.tool!r}, not {tool.name} ({tool.id!r})"
        return [AssessmentProblem(VARIANT, "tool", message)]
    try:
        tool.variant(copy.variant)
    except ValidationError as error:
        return [AssessmentProblem(VARIANT, VARIANT, str(error))]
    return []


def _unknown_domains(
    tool: Tool, copy: ResultAssessment, domains: Mapping[str, Domain]
) -> Iterator[AssessmentProblem]:
    known = [tool.triage.id] if tool.triage else []
    known.extend(domains)
    seen: set[str] = set()
    for assessed in copy.domains:
        if assessed.domain not in known:
            allowed = ", ".join(known)
            message = f"{assessed.domain}: not a domain of {tool.name}; allowed are {allowed}"
            yield AssessmentProblem(assessed.domain, DOMAIN, message)
        elif assessed.domain in seen:
            message = f"{assessed.domain}: assessed twice in one copy"
            yield AssessmentProblem(assessed.domain, DOMAIN, message)
        seen.add(assessed.domain)


def _triage_problems(
    tool: Tool, copy: ResultAssessment, *, complete: bool
) -> Iterator[AssessmentProblem]:
    """The triage's answers as a domain's, and its judgement as they give it. Completing an
    outcome's copy needs the triage answered (the copy for all outcomes may leave it)."""
    triage = tool.triage
    if triage is None:
        return
    assessed = copy.domain(triage.id)
    if assessed is None:
        if complete and copy.outcome_id != ALL_OUTCOMES:
            yield _problem(triage, triage.questions[0].number, "not answered")
        return
    answers = dict(assessed.answers)
    for problem in check_answers(triage, answers):
        if complete or problem.question in answers:
            yield AssessmentProblem(triage.id, problem.question, f"{problem.message}.")
    ended = triage_judgement(tool, copy)
    if assessed.judgement not in (None, ended):
        given = "" if ended is None else f" ({ended})"
        message = (
            f"{assessed.judgement!r} is not what the answers give{given}; the triage's judgement "
            "follows its answers"
        )
        yield _problem(triage, JUDGEMENT, message)


def _domain_problems(
    tool: Tool, domain: Domain, assessed: DomainAssessment, *, complete: bool
) -> Iterator[AssessmentProblem]:
    answers = dict(assessed.answers)
    for problem in check_answers(domain, answers):
        if complete or problem.question in answers:  # a missing answer only blocks completion
            yield AssessmentProblem(domain.id, problem.question, f"{problem.message}.")
    judgement = assessed.judgement
    if judgement is None:
        if complete:
            yield _problem(domain, JUDGEMENT, "not judged; " + _levels(tool))
        return
    if judgement not in tool.scale.ids:
        yield _problem(domain, JUDGEMENT, f"{judgement!r} is not a judgement; {_levels(tool)}")
        return
    proposal = domain_proposal(domain, answers)
    if proposal is not None and judgement != proposal and not assessed.support.strip():
        message = (
            f"{judgement} differs from the proposed {proposal}; an override needs support "
            "text saying why"
        )
        yield _problem(domain, SUPPORT, message)


def _overall_problems(
    tool: Tool, copy: ResultAssessment, *, complete: bool
) -> Iterator[AssessmentProblem]:
    judgement = copy.overall
    if judgement is None:
        if complete and copy.outcome_id != ALL_OUTCOMES:
            yield AssessmentProblem(OVERALL, JUDGEMENT, "Overall: not judged; " + _levels(tool))
        return
    if judgement not in tool.scale.ids:
        message = f"Overall: {judgement!r} is not a judgement; {_levels(tool)}"
        yield AssessmentProblem(OVERALL, JUDGEMENT, message)
        return
    below = _less_severe_than(tool, copy, judgement)
    if below is not None:
        domain_id, worst = below
        message = (
            f"Overall: {judgement} is less severe than {domain_id}'s {worst}; the overall "
            "judgement is at least as severe as the most severe domain judgement"
        )
        yield AssessmentProblem(OVERALL, JUDGEMENT, message)
        return
    proposal = overall_proposal(tool, copy)
    if proposal is not None and judgement != proposal and not copy.overall_support.strip():
        message = (
            f"Overall: {judgement} differs from the proposed {proposal}; an override needs "
            "support text saying why"
        )
        yield AssessmentProblem(OVERALL, SUPPORT, message)


def _less_severe_than(tool: Tool, copy: ResultAssessment, judgement: str) -> tuple[str, str] | None:
    """The first domain (id, judgement) more severe than the ranked overall ``judgement``, the
    triage's ending level included."""
    rank = tool.scale.rank(judgement)
    if rank is None:
        return None
    ended = triage_judgement(tool, copy)
    ended_rank = tool.scale.rank(ended) if ended is not None else None
    if tool.triage and ended is not None and ended_rank is not None and ended_rank > rank:
        return tool.triage.id, ended
    for domain in tool.domains_for(copy.variant):
        domain_judgement = _judgement(copy, domain.id)
        if domain_judgement is None or domain_judgement not in tool.scale.ids:
            continue
        domain_rank = tool.scale.rank(domain_judgement)
        if domain_rank is not None and domain_rank > rank:
            return domain.id, domain_judgement
    return None


def _answers(copy: ResultAssessment, domain_id: str) -> Mapping[str, Answer]:
    assessed = copy.domain(domain_id)
    return assessed.answers if assessed is not None else {}


def _judgement(copy: ResultAssessment, domain_id: str) -> str | None:
    assessed = copy.domain(domain_id)
    return assessed.judgement if assessed is not None else None


def _problem(domain: Domain, field: str, message: str) -> AssessmentProblem:
    return AssessmentProblem(domain.id, field, f"{domain.id} {domain.label}: {message}")


def _levels(tool: Tool) -> str:
    return "allowed are " + ", ".join(tool.scale.ids)
