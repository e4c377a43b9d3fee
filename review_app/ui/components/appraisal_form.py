"""The risk-of-bias form of one copy: the variant, each domain's signalling questions in order,
the judgement the tool's algorithm proposes, the assessor's judgement and support, the overall.

Every widget is bound to a path of the copy's ``Draft`` (``components/appraisal_draft.py``): its
key is ``rw:<copy id>:<path>``, filled from the draft when first drawn, and what it shows is
written back to the draft on every run, so answers survive reruns, refused saves and leaving the
page. A conditional question appears only once the earlier answers call for it (``tool.asked``);
the proposal follows the answers as they are given (``assessment.domain_proposal``); "Use the
proposal" confirms it, and a judgement other than the proposal (an override) asks for support.

A tool with a triage (ROBINS-I V2 section B) shows it above the domains, its questions in order
as a domain's; when its answers end the assessment (Critical), the domains are hidden with a
sentence saying why and the overall judgement is the triage's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import streamlit as st

from review_app.domain.appraisal.assessment import (
    domain_proposal,
    effective_copy,
    overall_proposal,
    triage_judgement,
)
from review_app.domain.appraisal.model import ALL_OUTCOMES, ResultAssessment
from review_app.domain.appraisal.tool import (
    PROCEED,
    Answer,
    Domain,
    Node,
    Question,
    Tool,
    Worst,
    asked,
)
from review_app.ui.components.appraisal_draft import (
    OVERALL,
    OVERALL_SUPPORT,
    VARIANT,
    Draft,
    answer_path,
    answers_of,
    domains_of,
    judgement_path,
    support_path,
    to_assessment,
)
from review_app.ui.components.copy_editing import forget_keys
from review_app.ui.components.text import escape_markdown

# Every answer in the guidance's order (Y, PY, SY, WY, WN, SN, PN, N, NI, NA); a question offers
# those it allows, and its help lists only those.
ANSWER_ORDER = tuple(Answer)


def widget_key(copy_id: int, path: str) -> str:
    return f"rw:{copy_id}:{path}"


def forget_widgets(copy_id: int) -> None:
    """Drop the copy's widget values, so the next run draws them from a replaced draft."""
    forget_keys(widget_key(copy_id, ""))


def override_note(judgement: str | None, proposal: str | None, support: str) -> str | None:
    """What an override still needs: a sentence of support when the judgement is not the
    proposal (None when nothing is missing)."""
    if judgement is None or proposal is None or judgement == proposal:
        return None
    if support.strip():
        return None
    return f"{judgement} overrides the proposed {proposal}: write a sentence of support saying why."


def _waiting(domain: Domain, unanswered: list[str]) -> str:
    """Why no judgement is proposed yet: the answers still needed, or the guidance leaving it
    to the assessor."""
    if not unanswered or not _proposes(domain.algorithm):
        return "No proposal from the answers: the tool's guidance leaves this to your judgement."
    verb = "is" if len(unanswered) == 1 else "are"
    return f"Proposed when {', '.join(unanswered)} {verb} answered."


def _proposes(node: Node | None) -> bool:
    """Whether an algorithm proposes a judgement for some answers (none where the guidance
    leaves the judgement to the assessor: no algorithm, or a branch without routes)."""
    if node is None:
        return False
    if isinstance(node, str):
        return True
    if isinstance(node, Worst):
        return all(_proposes(part) for part in node.parts)
    return any(_proposes(then) for _answers, then in node.routes)


class AssessmentForm:
    """The form of one copy on this run: the draft it edits, the tool it follows, the copy as
    saved (study, outcome, assessor) and the same person's copy for all outcomes of the study,
    whose domains hold where this copy has none."""

    def __init__(
        self,
        copy_id: int,
        draft: Draft,
        tool: Tool,
        *,
        saved: ResultAssessment,
        shared: ResultAssessment | None = None,
    ) -> None:
        self.copy_id = copy_id
        self.draft = draft
        self.tool = tool
        self.saved = saved
        self.shared = shared if saved.outcome_id != ALL_OUTCOMES else None

    def current(self) -> ResultAssessment:
        """The copy as the form shows it on this run."""
        return to_assessment(self.draft, self.tool, saved=self.saved)

    # --- binding ------------------------------------------------------------------------------

    def bind(self, widget: Callable[..., Any], label: str, path: str, **options: Any) -> Any:
        """Draw ``widget`` with its value kept under ``path`` in the draft."""
        key = widget_key(self.copy_id, path)
        empty = options.pop("empty", "")
        if key not in st.session_state:
            stored = self.draft.values.get(path)
            st.session_state[key] = empty if stored is None else stored
        value = widget(label, key=key, **options)
        self.draft.values[path] = value
        return value

    def choose(self, label: str, path: str, choices: Sequence[str], **options: Any) -> str | None:
        """A segmented control bound to ``path``; a stored value not among ``choices`` shows
        none selected."""
        key = widget_key(self.copy_id, path)
        if st.session_state.get(key, self.draft.values.get(path)) not in choices:
            st.session_state[key] = None
        value: str | None = self.bind(
            st.segmented_control, label, path, options=list(choices), empty=None, **options
        )
        return value

    # --- the parts ----------------------------------------------------------------------------

    def variant(self) -> None:
        if not self.tool.variants:
            return
        labels = {variant.id: variant.label for variant in self.tool.variants}
        key = widget_key(self.copy_id, VARIANT)
        if st.session_state.get(key, self.draft.values.get(VARIANT)) not in labels:
            st.session_state[key] = self.tool.variants[0].id
        self.bind(
            st.radio,
            "Effect of interest",
            VARIANT,
            options=list(labels),
            format_func=labels.__getitem__,
            horizontal=True,
            help="Which effect the result estimates decides which version of the variant "
            "domain is answered (RoB 2 guidance, section 1.3).",
        )

    def domains(self) -> None:
        """The triage (if the tool has one), then the domains, unless the triage ended the
        assessment."""
        if self.tool.triage is not None:
            with st.container(border=True):
                self.triage(self.tool.triage)
        ended = self._ended()
        if ended is not None:
            st.info(
                f"The triage ends the assessment: the result is at **{ended}** risk of bias, "
                "and no domain is assessed (ROBINS-I V2, section B)."
            )
            return
        for domain in domains_of(self.draft, self.tool):
            with st.container(border=True):
                self.domain(domain)

    def triage(self, triage: Domain) -> None:
        st.markdown(f"**{triage.id} · {escape_markdown(triage.label)}**")
        self._answer_questions(triage)
        answers = answers_of(self.draft, triage)
        proposal = domain_proposal(triage, answers)
        if proposal == PROCEED:
            st.caption("The triage goes on to the domains.")
        elif proposal is None:
            unanswered = [q.number for q in asked(triage, answers) if q.number not in answers]
            verb = "is" if len(unanswered) == 1 else "are"
            st.caption(f"Whether to go on is decided when {', '.join(unanswered)} {verb} answered.")
        self.bind(
            st.text_area,
            f"{triage.id} support (quotes from the report, and why)",
            support_path(triage),
            height="content",
        )

    def _ended(self) -> str | None:
        """The level the triage ends the assessment with on this run, if it does."""
        return triage_judgement(self.tool, effective_copy(self.current(), self.shared))

    def domain(self, domain: Domain) -> None:
        st.markdown(f"**{domain.id} · {escape_markdown(domain.label)}**")
        self._answer_questions(domain)
        answers = answers_of(self.draft, domain)  # with this run's answers
        proposal = domain_proposal(domain, answers)
        self._shared_note(domain)
        unanswered = [q.number for q in asked(domain, answers) if q.number not in answers]
        self._judgement(
            f"{domain.id} judgement",
            judgement_path(domain),
            support_path(domain),
            proposal,
            waiting=_waiting(domain, unanswered),
            support_label=f"{domain.id} support (quotes from the report, and why)",
        )

    def _answer_questions(self, domain: Domain) -> None:
        for question in self._questions(domain):
            allowed = [a for a in ANSWER_ORDER if a in question.answers]
            self.choose(
                f"{question.number} {question.text}",
                answer_path(domain, question.number),
                [a.value for a in allowed],
                help=" · ".join(f"{a.value} = {a.label}" for a in allowed),
            )

    def _questions(self, domain: Domain) -> Iterator[Question]:
        """The questions to draw, each decided after the answers above it on this run (a
        question an answer just called for appears at once)."""
        drawn: set[str] = set()
        while True:
            shown = asked(domain, answers_of(self.draft, domain))
            following = next((q for q in shown if q.number not in drawn), None)
            if following is None:
                return
            drawn.add(following.number)
            yield following

    def _shared_note(self, domain: Domain) -> None:
        """For an outcome's copy: the domain's judgement in the copy for all outcomes, which
        holds while this copy leaves the domain empty."""
        shared = self.shared.domain(domain.id) if self.shared else None
        if shared is None or shared.judgement is None:
            return
        st.caption(
            f"All outcomes copy: **{shared.judgement}**; it holds for this outcome unless you "
            "assess the domain here."
        )

    def overall(self) -> None:
        if self.saved.outcome_id == ALL_OUTCOMES:
            st.caption(
                "The overall judgement is made per outcome, from this copy's domains and the "
                "outcome's own."
            )
            return
        st.markdown("**Overall**")
        ended = self._ended()
        if ended is not None:  # (the triage may be the copy for all outcomes')
            self.draft.values[OVERALL] = ended
            st.caption(f"Overall: **{ended}**, as the triage ends the assessment.")
            self.bind(st.text_area, "Overall support", OVERALL_SUPPORT, height="content")
            return
        proposal = overall_proposal(self.tool, effective_copy(self.current(), self.shared))
        self._judgement(
            "Overall judgement",
            OVERALL,
            OVERALL_SUPPORT,
            proposal,
            waiting="Proposed once every domain is judged.",
            support_label="Overall support",
        )

    def _judgement(
        self,
        label: str,
        path: str,
        support: str,
        proposal: str | None,
        *,
        waiting: str,
        support_label: str,
    ) -> None:
        row = st.container(horizontal=True, vertical_alignment="bottom")
        with row:
            judgement = self.choose(label, path, list(self.tool.scale.ids))
            if proposal is not None and judgement != proposal:
                st.button(
                    f"Use the proposal: {proposal}",
                    key=widget_key(self.copy_id, f"confirm:{path}"),
                    on_click=self._set,
                    args=(path, proposal),
                )
        if proposal is None:
            st.caption(waiting)
        elif judgement is None:
            st.caption(f"Proposed: **{proposal}**. Use it, or choose another and say why.")
        elif judgement == proposal:
            st.caption(f"Proposed: **{proposal}** · confirmed.")
        else:
            st.caption(f"Proposed: **{proposal}** · overridden with **{judgement}**.")
        typed = self.bind(st.text_area, support_label, support, height="content")
        note = override_note(judgement, proposal, typed)
        if note:
            st.caption(f":red[{escape_markdown(note)}]")

    def _set(self, path: str, value: str) -> None:
        st.session_state[widget_key(self.copy_id, path)] = value
        self.draft.values[path] = value
