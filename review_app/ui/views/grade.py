"""GRADE: per protocol outcome (critical first), the body of evidence, its studies and their
indirectness, the eight domains each with what the data suggest and the person's rating and
explanation, the certainty, the plain-language statement, comparator risks and comments; saved
in one transaction. Leads keep the final judgements, compare the judges' copies and take items
from them, see the Summary-of-Findings table as the finals give it, publish it and download it.

The services decide who judges (leads; every member once extraction and risk of bias are not
blind) and what a save needs; this page shows their refusals in a sentence and their problems
by field, and never a traceback.
"""

from __future__ import annotations

import re

import streamlit as st

from review_app.domain.vocabulary import ExtractionStatus, is_lead
from review_app.errors import PermissionDeniedError, ReviewAppError
from review_app.services.exports import EXPORTS
from review_app.services.grade import (
    OutcomeView,
    compare,
    list_outcomes,
    outcome_view,
    publish,
    save_content,
    set_complete,
    summary_of_findings,
)
from review_app.services.reviews import get_protocol
from review_app.ui import deps, state
from review_app.ui.components import copy_editing, grade_compare, grade_outcomes, grade_sof
from review_app.ui.components.grade_certainty import badge
from review_app.ui.components.grade_form import GradeForm, Outcome
from review_app.ui.components.grade_keys import FINAL, OWN, Keys
from review_app.ui.components.text import escape_markdown

FINAL_VIEW, OWN_VIEW, COMPARE_VIEW = "Final judgements", "My own copy", "Compare the judges"
SAVING = copy_editing.Saving(
    key="grade",
    kept="your choices",
    complete_help="Every domain that rates certainty down rated, each rating that needs it "
    "explained.",
)
PUBLISHED_FLASH = "grade_published"


def render() -> None:
    review_id, user = state.current_review_id(), state.current_user()
    if review_id is None or user is None:
        return
    st.title("GRADE")
    lead = is_lead(state.current_role())
    try:
        with deps.unit_of_work(read_only=True) as session:
            views = list_outcomes(session, actor=user.actor, review_id=review_id)
    except PermissionDeniedError as error:
        st.info(escape_markdown(sentence(str(error))))
        return
    if not views:
        st.info("The protocol names no outcome to grade.")
        return
    st.caption(
        "The certainty of the evidence per outcome (GRADE Handbook): the data suggest, you "
        "judge. A rating that moves certainty or differs from the suggestion needs an "
        "explanation, which becomes the table's footnote."
    )
    copy_editing.show_flash(SAVING)
    grade_outcomes.show_table(views, lead=lead)
    outcome_id = grade_outcomes.pick(views)
    chosen = next(view for view in views if view.outcome_id == outcome_id)
    view = _pick_view(chosen, lead=lead)
    if view == COMPARE_VIEW:
        _compare(review_id, outcome_id, user)
    else:
        _edit(review_id, outcome_id, user, final=view == FINAL_VIEW)
    if lead:
        st.divider()
        _table(review_id, user)


def sentence(message: str) -> str:
    """A service's refusal as a sentence of its own."""
    text = message.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _pick_view(view: OutcomeView, *, lead: bool) -> str:
    """Leads choose the final, their own copy or the comparison; judges have their own copy."""
    if not lead:
        return OWN_VIEW
    chosen: str = st.segmented_control(
        "Work on",
        [FINAL_VIEW, OWN_VIEW, COMPARE_VIEW],
        default=FINAL_VIEW,
        required=True,
        key=f"gr_view:{view.outcome_id}",
        help="The final judgements make the Summary-of-Findings table. With several judges, "
        "each judges in their own copy and a lead takes items from them into the final.",
    )
    return chosen


# --- one copy ------------------------------------------------------------------------------------


def _edit(review_id: int, outcome_id: str, user: state.CurrentUser, *, final: bool) -> None:
    with deps.unit_of_work(read_only=True) as session:
        view = outcome_view(
            session, actor=user.actor, review_id=review_id, outcome_id=outcome_id, final=final
        )
    status = view.final_status if final else view.own_status
    _heading(view, final=final, status=status)
    if not final and view.own is None and view.taken >= view.slots:
        st.info(
            f"{escape_markdown(view.name)} already has its {view.slots} judge(s) (the "
            "protocol's [grade] judges_per_outcome); a lead keeps the final judgements."
        )
        return
    keys = Keys(FINAL if final else OWN, outcome_id)
    actions = st.container()  # drawn above the form, run after it has read this run's values
    form = GradeForm(
        keys,
        Outcome(
            evidence=view.evidence,
            suggestions=dict(view.suggestions),
            start=view.start,
            saved=view.content,
            suggested_statement=view.grade.statement,
            analyses=view.analyses,
        ),
    )
    content = form.draw()
    with actions:
        clicked, complete = copy_editing.requested(
            SAVING, _copy_number(final), complete=status == ExtractionStatus.COMPLETE
        )
    if not clicked:
        return

    def work(session: deps.Session) -> OutcomeView:
        saved = save_content(
            session,
            actor=user.actor,
            review_id=review_id,
            outcome_id=outcome_id,
            content=content,
            final=final,
        )
        if complete is None:
            return saved
        return set_complete(
            session,
            actor=user.actor,
            review_id=review_id,
            outcome_id=outcome_id,
            complete=complete,
            final=final,
        )

    with actions:
        copy_editing.save(
            SAVING,
            work,
            complete=complete,
            problem_lines=problem_lines,
            saved=lambda _: keys.forget(),
        )


def _copy_number(final: bool) -> int:
    """The save buttons' key part: one pair for the final, one for the person's own copy."""
    return 0 if final else 1


def _heading(view: OutcomeView, *, final: bool, status: ExtractionStatus | None) -> None:
    owner = "Final judgements" if final else "Your copy"
    certainty = badge(view.grade.certainty, has_studies=view.evidence.has_studies)
    st.markdown(
        f"### {escape_markdown(view.name)}  \n**{owner}** · {copy_editing.status_label(status)}"
        f" · certainty {certainty}"
    )
    if view.evidence_problem:
        st.warning(
            "The saved body of evidence cannot be read: "
            f"{escape_markdown(view.evidence_problem)}. Shown below: the evidence the page "
            "proposes; choose the body of evidence and save."
        )
    if view.evidence.pooled is not None and view.evidence.pooled.stale:
        st.warning(
            "The consensus extraction changed since the analysis was saved: it is run again "
            "here on the current data; re-run it on the Analyses page to keep them the same."
        )


def problem_lines(error: ReviewAppError) -> list[str]:
    """Each problem of a refused save on a line of its own, naming its outcome and domain (or
    field), or the error's one sentence."""
    problems = getattr(error, "problems", None)
    if not problems:
        return [sentence(str(error))]
    return [sentence(str(problem)) for problem in problems]


# --- the judges compared -------------------------------------------------------------------------


def _compare(review_id: int, outcome_id: str, user: state.CurrentUser) -> None:
    try:
        with deps.unit_of_work(read_only=True) as session:
            comparison = compare(
                session, actor=user.actor, review_id=review_id, outcome_id=outcome_id
            )
    except ReviewAppError as error:
        st.error(escape_markdown(sentence(str(error))))
        return
    st.markdown(f"### {escape_markdown(comparison.name)}: the judges' copies")
    grade_compare.show(review_id, comparison, taken=Keys(FINAL, outcome_id).forget)


# --- the table ------------------------------------------------------------------------------------


def _table(review_id: int, user: state.CurrentUser) -> None:
    st.header("Summary of findings")
    flash = st.session_state.pop(PUBLISHED_FLASH, None)
    if flash:
        st.success(flash)
    try:
        with deps.unit_of_work(read_only=True) as session:
            table = summary_of_findings(session, actor=user.actor, review_id=review_id)
            title = get_protocol(session, review_id).title
    except ReviewAppError as error:
        st.error(f"The table cannot be built now: {escape_markdown(sentence(str(error)))}")
        return
    st.caption(
        "As the final judgements give it now: the table every member reads on the Summary of "
        "findings page (it changes into a draft when a final changes)."
        if table.published_at
        else "As the final judgements give it now; every member reads it on the Summary of "
        "findings page once you publish it."
    )
    profile = grade_sof.pick_layout("gr_layout")
    grade_sof.show(table, profile=profile)
    if st.button(
        "Publish",
        key="gr_publish",
        type="primary",
        help="Every member then reads "
        "this table on the Summary of findings page; publishing again replaces it.",
    ):
        _publish(review_id, user)
    grade_sof.downloads(
        lambda format, wanted: _file(review_id, user, format, wanted),
        profile=profile,
        stem=_stem(title),
        key="gr_download",
    )


def _publish(review_id: int, user: state.CurrentUser) -> None:
    try:
        deps.transaction(lambda session: publish(session, actor=user.actor, review_id=review_id))
    except ReviewAppError as error:
        lines = problem_lines(error)
        head = "Nothing was published. Fix this first:"
        st.error(head + "\n" + "\n".join(f"- {escape_markdown(line)}" for line in lines))
        return
    st.session_state[PUBLISHED_FLASH] = (
        "Published: every member reads this table on the Summary of findings page."
    )
    st.rerun()


def _file(review_id: int, user: state.CurrentUser, format: str, profile: bool) -> bytes:
    """The export's file, made as the command line makes it (``review-app sof``)."""
    with deps.unit_of_work(read_only=True) as session:
        files = EXPORTS["sof"].make(
            session, actor=user.actor, review_id=review_id, format=format, profile=profile
        )
    return files[0].data


def _stem(title: str) -> str:
    """A file name from the review's title (its first words)."""
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return words[:40].rstrip("-") or "review"
