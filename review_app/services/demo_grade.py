"""The demo review's GRADE assessment and Summary-of-Findings table, as the evidence stands.

No eligible study measured any of the kratom review's outcomes (``shared/data/kratom``). The
one randomised human pain study, Vicknasingam 2020 (26 healthy regular kratom users,
cold-pressor pain tolerance), is extracted as indirect evidence (``demo_extraction``): the lead
keeps it for pain intensity as a narrative, clearly labelled indirect-evidence row, judged
indirect in population and outcome, and accepts what the data suggest for each domain, which
rates it down to very low certainty. Every other outcome is a "no studies" row; the comments of
the harms outcomes say, with the record ids of ``shared/data/kratom/records.jsonl``, that harms
are reported in uncontrolled studies. The lead then publishes the table, so every member reads
it on the Summary-of-findings page. Nothing here claims an effect: the tests hold the demo's
table to no certainty above very low.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from sqlmodel import Session

from review_app.domain.grade.model import (
    EvidenceSource,
    GradeContent,
    GradeDomain,
    Judgement,
    PicoElement,
    Rating,
    Suggestion,
    needs_explanation,
)
from review_app.services.demo_extraction import OUTCOME, STUDY
from review_app.services.demo_screening import lead_actor
from review_app.services.grade import publish, save_content, set_complete
from review_app.services.reviews import get_protocol

NARRATIVE = (
    "No study in people with neuropathic pain was found. One randomised, placebo-controlled, "
    "double-blind crossover study in 26 healthy men who had used kratom daily for about six "
    "years (Vicknasingam 2020) measured experimental pain: cold-pressor pain tolerance rose from "
    "11.2 s to 24.9 s one hour after a kratom decoction and did not change after placebo (15.0 "
    "to 12.0 s). It reports no SDs, so no effect with a confidence interval can be computed. "
    "This is indirect evidence: not the review's population (healthy regular users, not people "
    "with neuropathic pain) nor its outcome (tolerance of experimental pain, not clinical pain "
    "intensity)."
)
INDIRECT_ROW = (
    "Indirect evidence only: experimental (cold-pressor) pain tolerance in 26 healthy regular "
    "kratom users, not pain intensity in people with neuropathic pain."
)
# The reviewer's judgement where the data cannot suggest one (publication bias with one study).
OWN_JUDGEMENTS = {
    GradeDomain.PUBLICATION_BIAS: Judgement(
        GradeDomain.PUBLICATION_BIAS,
        Rating.NOT_SERIOUS,
        "Not assessable with one study (fewer than 10 studies for a funnel plot or Egger's "
        "test); not rated down further, the certainty being very low already.",
    ),
}
# Harms reported outside controlled studies, with their records in shared/data/kratom.
COMMENTS: Mapping[str, str] = {
    "dependence_withdrawal": (
        "No controlled study. Dependence and withdrawal in regular users are reported in "
        "uncontrolled studies: community and online surveys and clinical interviews "
        "(kratom-013, kratom-014, kratom-010)."
    ),
    "serious_adverse_events": (
        "No controlled study. Liver injury (kratom-063), seizures (kratom-070) and deaths, "
        "mostly with other substances (kratom-060), are reported in case series and "
        "surveillance data, which cannot show how often they happen or whether kratom caused "
        "them."
    ),
}


def seed_demo_grade(session: Session, *, review_id: int) -> None:
    """The lead's final GRADE judgements for every protocol outcome, each marked complete, then
    publication."""
    lead = lead_actor(session, review_id)
    # The body of evidence first: the suggestions depend on it (indirectness on the elements).
    evidence = GradeContent(
        source=EvidenceSource.NARRATIVE,
        narrative=NARRATIVE,
        indirect={STUDY: frozenset({PicoElement.POPULATION, PicoElement.OUTCOME})},
        comments=INDIRECT_ROW,
    )
    view = save_content(
        session, actor=lead, review_id=review_id, outcome_id=OUTCOME, content=evidence, final=True
    )
    judged = replace(evidence, judgements=_judgements(view.suggestions))
    save_content(
        session, actor=lead, review_id=review_id, outcome_id=OUTCOME, content=judged, final=True
    )
    for outcome in get_protocol(session, review_id).outcomes:
        if outcome.id != OUTCOME:
            none = GradeContent(source=EvidenceSource.NONE, comments=COMMENTS.get(outcome.id, ""))
            save_content(
                session,
                actor=lead,
                review_id=review_id,
                outcome_id=outcome.id,
                content=none,
                final=True,
            )
        set_complete(session, actor=lead, review_id=review_id, outcome_id=outcome.id, final=True)
    publish(session, actor=lead, review_id=review_id)


def _judgements(suggestions: Mapping[GradeDomain, Suggestion]) -> dict[GradeDomain, Judgement]:
    """Each domain as suggested (the footnote draft as the explanation where one is needed),
    publication bias judged by the lead."""
    return {
        domain: OWN_JUDGEMENTS.get(domain) or _as_suggested(suggestion)
        for domain, suggestion in suggestions.items()
    }


def _as_suggested(suggestion: Suggestion) -> Judgement:
    rating = suggestion.rating
    if rating is None:
        raise ValueError(f"demo GRADE: no suggestion for {suggestion.domain.label}")
    explanation = suggestion.footnote if needs_explanation(rating, rating) else ""
    return Judgement(suggestion.domain, rating, explanation)
