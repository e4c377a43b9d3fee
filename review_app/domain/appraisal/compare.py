"""Copies of a result's risk-of-bias assessment compared item by item, and the consensus built
from them (pure), as :mod:`review_app.domain.extraction.compare` does for extraction.

The items, in this order, each with a key (what :func:`take` is given) and a label for people
(the tool's own labels):

- the variant, ``("variant",)``, "Variant" (tools with variants only: RoB 2's effect of
  assignment or of adhering);
- a tool's triage (ROBINS-I V2 section B), as a domain whose id is the triage's: its judgement
  (the level it ends the assessment with, or none) and its answers ``("answer", "B", "B1")``;
  taking an answer sets the triage's judgement from the consensus's answers;
- per domain of the tool: its judgement, ``("judgement", "D1")``,
  "D1 Randomisation process: judgement", then each signalling answer,
  ``("answer", "D1", "1.2")``, "D1 1.2 Allocation concealed until assignment";
- the overall judgement, ``("overall",)``, "Overall: judgement".

Only items some copy filled in are items, and an answer counts only where the copy asks the
question (an NA to a question its other answers skip is no answer). Support texts are not
compared (wording would count as disagreement); they go with their judgement when it is taken.

A domain whose questions differ between variants (RoB 2's Domain 2) is only taken from a copy
assessed under the consensus's variant: "2.3" is another question under the other one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence

from review_app.domain.appraisal.assessment import with_triage_judgement
from review_app.domain.appraisal.model import DomainAssessment, ResultAssessment
from review_app.domain.appraisal.tool import Answer, Domain, Question, Tool, asked
from review_app.domain.appraisal.tools import tool_by_id
from review_app.domain.comparison import Comparison, Item, ItemValues
from review_app.errors import ValidationError

VARIANT, JUDGEMENT, ANSWER, OVERALL = "variant", "judgement", "answer", "overall"
ITEM_KEYS = "('variant',), ('judgement', domain), ('answer', domain, question), ('overall',)"

_Reader = Callable[[ResultAssessment], str | None]


def compare(copies: Sequence[ResultAssessment]) -> Comparison:
    """The copies (of one study and outcome, one tool) compared item by item; ``agreement`` is
    the share of items on which every copy has the same value (see the module's docstring)."""
    if not copies:
        return Comparison.of(())
    tool = _tool_of(copies)
    rows = []
    for item, read in _items(tool, copies):
        values = tuple(read(copy) for copy in copies)
        if any(value is not None for value in values):
            rows.append(ItemValues(item, values, len(set(values)) == 1))
    return Comparison.of(rows)


def agreed(
    copies: Sequence[ResultAssessment], *, study: str, outcome_id: str, tool: str, variant: str
) -> ResultAssessment:
    """The consensus copy to start from (``tool``: the tool's id; ``variant``: the consensus's):
    every item on which all copies agree, the overall included. A judgement comes with the
    support text of the first copy that has one. An agreed answer to a question the consensus
    does not ask yet (it hangs on an answer they disagree on) is left out, as is the rest: the
    lead's to take."""
    consensus = ResultAssessment(
        study=study, outcome_id=outcome_id, assessor=None, tool=tool, variant=variant
    )
    if not copies:
        return consensus
    tool_used = _tool_of([consensus, *copies])
    for row in compare(copies).items:
        key = row.item.key
        if row.same and key[0] != VARIANT and _same_questions(tool_used, consensus, copies, key):
            consensus = take(consensus, _with_support(copies, key), key)
    return consensus


def take(
    consensus: ResultAssessment, source: ResultAssessment, key: tuple[str, ...]
) -> ResultAssessment:
    """``consensus`` with the item ``key`` as ``source`` has it (absent there: cleared).

    A judgement comes with its support text; an answer drops the consensus's answers to questions
    it no longer asks. Taking the variant clears the domains whose questions differ under the new
    one. A key that is not an item, or a domain whose questions differ between the two copies'
    variants, raises ValidationError.
    """
    tool = _tool_of([consensus, source])
    if key == (VARIANT,):
        return _take_variant(tool, consensus, source)
    if key == (OVERALL,):
        return dataclasses.replace(
            consensus, overall=source.overall, overall_support=source.overall_support
        )
    taker = _DOMAIN_TAKERS.get((key[0], len(key))) if key else None
    if taker is not None:
        domain = _domain_to_take(tool, consensus, source, key[1])
        taken = _with_domain(tool, consensus, taker(domain, consensus, source, key))
        return with_triage_judgement(tool, taken) if domain is tool.triage else taken
    raise ValidationError(f"{key!r} is not an item of a risk-of-bias assessment: {ITEM_KEYS}.")


# --- the items -------------------------------------------------------------------------------


def _items(tool: Tool, copies: Sequence[ResultAssessment]) -> Iterator[tuple[Item, _Reader]]:
    if tool.variants:
        yield Item((VARIANT,), "Variant"), lambda copy: _variant_label(tool, copy)
    for base in _assessed(tool):
        definitions = _definitions(tool, copies, base.id)
        first = definitions[0]
        yield (
            Item((JUDGEMENT, base.id), f"{first.id} {first.label}: judgement"),
            _judgement_reader(base.id),
        )
        for question in _questions(definitions):
            label = f"{first.id} {question.number} {question.label}"
            yield (
                Item((ANSWER, base.id, question.number), label),
                _answer_reader(tool, base.id, question.number),
            )
    yield Item((OVERALL,), "Overall: judgement"), lambda copy: copy.overall


def _definitions(tool: Tool, copies: Sequence[ResultAssessment], domain_id: str) -> list[Domain]:
    """The domain as each copy's variant defines it, one of each, in the copies' order."""
    found: list[Domain] = []
    for copy in copies:
        definition = _definition(tool, copy.variant, domain_id)
        if all(definition is not seen for seen in found):
            found.append(definition)
    return found


def _questions(definitions: Sequence[Domain]) -> list[Question]:
    """The questions of the domain's definitions, one per number, in the order first seen."""
    by_number: dict[str, Question] = {}
    for definition in definitions:
        for question in definition.questions:
            by_number.setdefault(question.number, question)
    return list(by_number.values())


def _variant_label(tool: Tool, copy: ResultAssessment) -> str | None:
    variant = tool.variant(copy.variant)
    return variant.label if variant else None


def _judgement_reader(domain_id: str) -> _Reader:
    def read(copy: ResultAssessment) -> str | None:
        assessed = copy.domain(domain_id)
        return assessed.judgement if assessed else None

    return read


def _answer_reader(tool: Tool, domain_id: str, number: str) -> _Reader:
    """The copy's answer to the question, where its other answers ask it."""

    def read(copy: ResultAssessment) -> str | None:
        assessed = copy.domain(domain_id)
        if assessed is None or number not in assessed.answers:
            return None
        definition = _definition(tool, copy.variant, domain_id)
        if number not in {q.number for q in asked(definition, assessed.answers)}:
            return None
        return str(assessed.answers[number])

    return read


# --- the consensus ---------------------------------------------------------------------------


def _same_questions(
    tool: Tool,
    consensus: ResultAssessment,
    copies: Sequence[ResultAssessment],
    key: tuple[str, ...],
) -> bool:
    """Whether every copy asks the domain of ``key`` as the consensus's variant does."""
    if key[0] not in (JUDGEMENT, ANSWER):
        return True
    wanted = _definition(tool, consensus.variant, key[1])
    return all(_definition(tool, copy.variant, key[1]) is wanted for copy in copies)


def _with_support(copies: Sequence[ResultAssessment], key: tuple[str, ...]) -> ResultAssessment:
    """The copy to take an agreed item from: for a judgement, the first with support text."""
    for copy in copies:
        if key[0] == OVERALL and copy.overall_support.strip():
            return copy
        assessed = copy.domain(key[1]) if key[0] == JUDGEMENT else None
        if assessed is not None and assessed.support.strip():
            return copy
    return copies[0]


def _take_variant(
    tool: Tool, consensus: ResultAssessment, source: ResultAssessment
) -> ResultAssessment:
    kept = tuple(
        assessed
        for assessed in consensus.domains
        if _definition(tool, consensus.variant, assessed.domain)
        is _definition(tool, source.variant, assessed.domain)
    )
    return dataclasses.replace(consensus, variant=source.variant, domains=kept)


def _domain_to_take(
    tool: Tool, consensus: ResultAssessment, source: ResultAssessment, domain_id: str
) -> Domain:
    """The domain's definition, the same under both copies' variants."""
    definition = _definition(tool, consensus.variant, domain_id)
    if _definition(tool, source.variant, domain_id) is not definition:
        raise ValidationError(
            f"{domain_id} is asked differently under variant {source.variant!r} than under the "
            f"consensus's {consensus.variant!r}; take the variant first."
        )
    return definition


def _take_judgement(
    domain: Domain, consensus: ResultAssessment, source: ResultAssessment, key: tuple[str, ...]
) -> DomainAssessment:
    own = consensus.domain(domain.id) or DomainAssessment(domain.id)
    theirs = source.domain(domain.id) or DomainAssessment(domain.id)
    return dataclasses.replace(own, judgement=theirs.judgement, support=theirs.support)


def _take_answer(
    domain: Domain, consensus: ResultAssessment, source: ResultAssessment, key: tuple[str, ...]
) -> DomainAssessment:
    number = key[2]
    domain.question(number)  # an unknown question number raises ValidationError
    own = consensus.domain(domain.id) or DomainAssessment(domain.id)
    theirs = source.domain(domain.id)
    answers: dict[str, Answer] = dict(own.answers)
    answers.pop(number, None)
    if theirs is not None and number in theirs.answers:
        answers[number] = theirs.answers[number]
    still_asked = {q.number for q in asked(domain, answers)}
    kept = {n: a for n, a in answers.items() if n in still_asked}
    return dataclasses.replace(own, answers=kept)


_DomainTaker = Callable[
    [Domain, ResultAssessment, ResultAssessment, tuple[str, ...]], DomainAssessment
]
_DOMAIN_TAKERS: dict[tuple[str, int], _DomainTaker] = {
    (JUDGEMENT, 2): _take_judgement,
    (ANSWER, 3): _take_answer,
}


def _with_domain(
    tool: Tool, consensus: ResultAssessment, assessed: DomainAssessment
) -> ResultAssessment:
    """``consensus`` with ``assessed`` in place of its domain, domains in the tool's order."""
    by_id = {d.domain: d for d in consensus.domains}
    by_id[assessed.domain] = assessed
    order = {d.id: position for position, d in enumerate(_assessed(tool))}
    domains = sorted(by_id.values(), key=lambda d: order.get(d.domain, len(order)))
    return dataclasses.replace(consensus, domains=tuple(domains))


# --- lookups ---------------------------------------------------------------------------------


def _tool_of(copies: Sequence[ResultAssessment]) -> Tool:
    tool_ids = {copy.tool for copy in copies}
    if len(tool_ids) != 1:
        raise ValidationError(
            f"copies of one result use different tools ({', '.join(sorted(tool_ids))}); "
            "compare copies of one tool"
        )
    return tool_by_id(tool_ids.pop())


def _assessed(tool: Tool) -> tuple[Domain, ...]:
    """The tool's triage (if any) and its domains, in the order they are assessed."""
    return (tool.triage, *tool.domains) if tool.triage else tool.domains


def _definition(tool: Tool, variant: str, domain_id: str) -> Domain:
    if tool.triage is not None and domain_id == tool.triage.id:
        return tool.triage
    for domain in tool.domains_for(variant):
        if domain.id == domain_id:
            return domain
    allowed = ", ".join(d.id for d in _assessed(tool))
    raise ValidationError(f"{domain_id!r} is not a domain of {tool.name}: {allowed}.")
