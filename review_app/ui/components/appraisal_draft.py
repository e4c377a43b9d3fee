"""The risk-of-bias page's draft of one copy: plain values by path, kept in ``st.session_state``.

A draft holds what the form shows (answers, judgements, support, overall, the variant) as plain
strings under paths such as ``a:D1:1.2``; it is made from a saved
:class:`~review_app.domain.appraisal.model.ResultAssessment` and read back into one for a save.
Answers to questions a later answer hides stay in the draft (switching back shows them again) but
are left out of the copy saved, as are the answers of the variant not chosen; a domain with
nothing entered is left out too, so an outcome's copy holds only the domains assessed for it
(the others come from the "All outcomes" copy, see ``model.effective_domains``). A tool's triage
(ROBINS-I V2's B) is drafted as a domain; when its answers end the assessment, the copy read
back holds the triage only, with its level as the judgement and the overall (the domains the
form then hides stay in the draft, as hidden answers do).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from review_app.domain.appraisal.assessment import triage_judgement, with_triage_judgement
from review_app.domain.appraisal.model import DomainAssessment, ResultAssessment
from review_app.domain.appraisal.tool import Answer, Domain, Tool, asked

VARIANT = "variant"
OVERALL = "overall"
OVERALL_SUPPORT = "overall_support"


@dataclass
class Draft:
    """The values of one copy's form in this browser tab; ``version`` is when the copy it was
    made from was saved (a newer save in the database replaces the draft)."""

    version: str
    values: dict[str, str | None] = field(default_factory=dict)

    def text(self, path: str) -> str:
        return str(self.values.get(path) or "")

    def choice(self, path: str) -> str | None:
        value = self.values.get(path)
        return value if value else None


def domain_key(domain: Domain) -> str:
    """A domain's place in the draft: its id, with its variant when it has one ("D2@adherence"),
    so the two Domain 2 variants keep their answers apart."""
    return f"{domain.id}@{domain.variant}" if domain.variant else domain.id


def answer_path(domain: Domain, number: str) -> str:
    return f"a:{domain_key(domain)}:{number}"


def judgement_path(domain: Domain) -> str:
    return f"j:{domain_key(domain)}"


def support_path(domain: Domain) -> str:
    return f"s:{domain_key(domain)}"


def from_assessment(copy: ResultAssessment, tool: Tool, *, version: str) -> Draft:
    """The draft showing ``copy`` (its domains placed under the variant it was saved with)."""
    draft = Draft(version=version, values={VARIANT: copy.variant or _default_variant(tool)})
    domains = {domain.id: domain for domain in _drafted(tool, copy.variant or None)}
    for saved in copy.domains:
        domain = domains.get(saved.domain)
        if domain is None:  # a domain the tool does not have: nothing on the form can show it
            continue
        for number, answer in saved.answers.items():
            draft.values[answer_path(domain, number)] = Answer(answer).value
        draft.values[judgement_path(domain)] = saved.judgement
        draft.values[support_path(domain)] = saved.support
    draft.values[OVERALL] = copy.overall
    draft.values[OVERALL_SUPPORT] = copy.overall_support
    return draft


def _default_variant(tool: Tool) -> str:
    return tool.variants[0].id if tool.variants else ""


def variant_of(draft: Draft, tool: Tool) -> str:
    """The variant chosen on the form, or the tool's default one."""
    chosen = draft.choice(VARIANT)
    known = {variant.id for variant in tool.variants}
    return chosen if chosen in known else _default_variant(tool)


def domains_of(draft: Draft, tool: Tool) -> tuple[Domain, ...]:
    return tool.domains_for(variant_of(draft, tool) or None)


def _drafted(tool: Tool, variant: str | None) -> tuple[Domain, ...]:
    """The triage (if the tool has one), then the variant's domains."""
    return (*((tool.triage,) if tool.triage else ()), *tool.domains_for(variant))


def answers_of(draft: Draft, domain: Domain) -> dict[str, Answer]:
    """The domain's answers to the questions shown, in order (hidden ones left out)."""
    given = {
        question.number: Answer(value)
        for question in domain.questions
        if (value := draft.choice(answer_path(domain, question.number))) in set(Answer)
    }
    return {q.number: given[q.number] for q in asked(domain, given) if q.number in given}


def domain_of(draft: Draft, domain: Domain) -> DomainAssessment | None:
    """The domain as entered, or None when nothing is (no answer, judgement nor support)."""
    answers = answers_of(draft, domain)
    judgement = draft.choice(judgement_path(domain))
    support = draft.text(support_path(domain)).strip()
    if not (answers or judgement or support):
        return None
    return DomainAssessment(domain=domain.id, answers=answers, judgement=judgement, support=support)


def to_assessment(draft: Draft, tool: Tool, *, saved: ResultAssessment) -> ResultAssessment:
    """The copy the draft shows: ``saved`` (study, outcome, assessor, completeness) with the
    form's variant, triage, domains and overall judgement; a triage that ends the assessment
    leaves the domains out and sets the overall to its level."""
    variant = variant_of(draft, tool)
    domains = tuple(
        entered
        for domain in _drafted(tool, variant or None)
        if (entered := domain_of(draft, domain))
    )
    copy = replace(
        saved,
        tool=tool.id,
        variant=variant,
        domains=domains,
        overall=draft.choice(OVERALL),
        overall_support=draft.text(OVERALL_SUPPORT).strip(),
    )
    ended = triage_judgement(tool, copy)
    if tool.triage is not None and ended is not None:
        triage = tuple(d for d in domains if d.domain == tool.triage.id)
        copy = replace(copy, domains=triage, overall=ended)
    return with_triage_judgement(tool, copy)
