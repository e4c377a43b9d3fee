"""The eight GRADE domains of one outcome, each a panel: what the data suggest (the rating, the
rule that fired in words, the facts it read, the prompts when the data cannot say), and the
person's rating and explanation.

The rating box starts empty unless the copy already holds a rating: a suggestion is shown beside
it, never chosen for the person (GRADE asks for a judgement, not an acceptance). The explanation
starts from the saved one, or from the suggestion's footnote draft; it is asked for when the
rating moves certainty or overrides the suggestion (``needs_explanation``), and the service
refuses a save without it. Upgrades are choosable only for non-randomised evidence (GRADE
Handbook 5.2.2); for randomised evidence the panel says so and the rating is "None".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from review_app.domain.grade.model import (
    EvidenceDesign,
    Fact,
    GradeDomain,
    Judgement,
    OutcomeEvidence,
    Rating,
    Suggestion,
    needs_explanation,
)
from review_app.ui.components.grade_keys import Keys
from review_app.ui.components.text import escape_markdown

CHOOSE = "Choose a rating"
NO_DATA = "the data cannot say: your judgement"


def rating_key(domain: GradeDomain) -> str:
    return f"rating:{domain}"


def explanation_key(domain: GradeDomain) -> str:
    return f"explanation:{domain}"


def may_rate_up(evidence: OutcomeEvidence) -> bool:
    """Upgrades are for non-randomised evidence (GRADE Handbook 5.2.2; Guyatt et al., GRADE
    guidance 9, J Clin Epidemiol 2011;64:1311-1316)."""
    return any(study.design == EvidenceDesign.NON_RANDOMISED for study in evidence.studies)


def show(
    keys: Keys,
    evidence: OutcomeEvidence,
    suggestions: Mapping[GradeDomain, Suggestion],
    saved: Mapping[GradeDomain, Judgement],
) -> dict[GradeDomain, Judgement]:
    """Every domain's panel; the judgements as the boxes hold them now (a domain without a
    rating and without an explanation is left out: not judged yet)."""
    upgrades = may_rate_up(evidence)
    studies = frozenset(study.study for study in evidence.studies)
    judged: dict[GradeDomain, Judgement] = {}
    for domain in GradeDomain:
        suggestion = suggestions.get(domain, Suggestion(domain=domain, rating=None))
        if domain.is_upgrade and not upgrades:
            judged[domain] = _not_rated_up(suggestion)
            continue
        judgement = _panel(keys, suggestion, saved.get(domain), studies)
        if judgement is not None:
            judged[domain] = judgement
    return judged


def _not_rated_up(suggestion: Suggestion) -> Judgement:
    """An upgrading domain of randomised evidence: said in a line, rated "None"."""
    reason = (suggestion.rule or "Randomised evidence is not rated up.").strip()
    st.caption(
        f"**{suggestion.domain.label}**: {Rating.NO_UPGRADE.label}. {escape_markdown(reason)}"
    )
    return Judgement(domain=suggestion.domain, rating=Rating.NO_UPGRADE)


def _panel(
    keys: Keys, suggestion: Suggestion, saved: Judgement | None, studies: frozenset[str]
) -> Judgement | None:
    domain = suggestion.domain
    with st.container(border=True):
        facts, choice = st.columns((3, 2))
        with facts:
            _suggestion(suggestion, studies)
        with choice:
            rating = st.selectbox(
                f"{domain.label}: your rating",
                domain.ratings,
                index=None,
                format_func=lambda r: r.label,
                placeholder=CHOOSE,
                key=keys.seeded(rating_key(domain), saved.rating if saved else None),
            )
            initial = saved.explanation if saved is not None else suggestion.footnote
            explanation = st.text_area(
                f"{domain.label}: explanation (footnote)",
                key=keys.seeded(explanation_key(domain), initial),
                height=100,
                help="Becomes the table's footnote. Needed when the rating moves certainty or "
                "is not the suggested one.",
            )
            note = missing_explanation(suggestion.rating, rating, explanation) or draft_kept(
                suggestion, rating, explanation
            )
            if note:
                st.warning(note)
    if rating is None and explanation.strip() in ("", initial.strip()):
        return None  # not judged yet (the footnote draft alone is not a judgement)
    return Judgement(domain=domain, rating=rating, explanation=explanation.strip())


def _suggestion(suggestion: Suggestion, studies: frozenset[str]) -> None:
    """The suggestion, its rule and facts; the facts of single studies (one line each) folded
    away under the others."""
    suggested = suggestion.rating.label if suggestion.rating is not None else NO_DATA
    st.markdown(f"**{suggestion.domain.label}** · suggested: **{escape_markdown(suggested)}**")
    if suggestion.rule:
        st.caption(f"Rule: {escape_markdown(suggestion.rule)}")
    general = [fact for fact in suggestion.facts if fact.label not in studies]
    per_study = [fact for fact in suggestion.facts if fact.label in studies]
    if general:
        st.markdown(_fact_lines(general))
    if per_study:
        with st.expander(f"Per study ({len(per_study)})"):
            st.markdown(_fact_lines(per_study))
    for prompt in suggestion.prompts:
        st.caption(f"Consider: {escape_markdown(prompt)}")


def _fact_lines(facts: Sequence[Fact]) -> str:
    return "\n".join(f"- {escape_markdown(f.label)}: {escape_markdown(f.value)}" for f in facts)


def draft_kept(suggestion: Suggestion, rating: Rating | None, text: str) -> str | None:
    """A warning when the explanation is still the footnote drafted for another rating than the
    one chosen (the footnote would say what was not decided)."""
    draft = suggestion.footnote.strip()
    if rating is None or suggestion.rating in (None, rating) or not draft:
        return None
    if text.strip() != draft:
        return None
    assert suggestion.rating is not None
    return (
        f"The explanation is the draft for the suggested '{suggestion.rating.label}': rewrite "
        f"it to say why '{rating.label}'."
    )


def missing_explanation(suggested: Rating | None, rating: Rating | None, text: str) -> str | None:
    """What a rating still needs before it can be saved (None: nothing)."""
    if not needs_explanation(suggested, rating) or text.strip():
        return None
    assert rating is not None  # needs_explanation is False without a rating
    if rating.change != 0:
        return f"'{rating.label}' changes the certainty: write why (it becomes the footnote)."
    assert suggested is not None
    return f"'{rating.label}' overrides the suggested '{suggested.label}': write why."
