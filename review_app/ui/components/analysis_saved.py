"""Saved analyses: save the current choices under a name (or save changes to the analysis that
was opened), and the list of the review's saved analyses, each marked stale when its data changed
since it last ran, with open for everyone, re-run and delete for its author or a lead. Actions
are callbacks, so that opening an analysis writes its choices into the widgets before they are
drawn; what happened is said once on the next run (``FLASH``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import streamlit as st

from review_app.errors import ReviewAppError
from review_app.services.analyses import (
    AnalysisSpec,
    SavedAnalysisView,
    delete_analysis,
    run_saved,
    save_analysis,
)
from review_app.services.analysis_report import HKSJ, last_result_text
from review_app.ui import deps, state
from review_app.ui.components import analysis_choices
from review_app.ui.components.text import escape_markdown

OPEN_KEY = "an_open"  # the id of the saved analysis whose choices the page shows
NAME_KEY = "an_name"
FLASH = "an_flash"  # (kind, sentence) said once: "success" or "error"
STALE = "data changed since: re-run"


def show_flash() -> None:
    flash = st.session_state.pop(FLASH, None)
    if flash is not None:
        kind, sentence = flash
        (st.success if kind == "success" else st.error)(escape_markdown(sentence))


def save_form(review_id: int, spec: AnalysisSpec, saved: Sequence[SavedAnalysisView]) -> None:
    """A name and Save: a new analysis, or the opened one's changes when the name is its own."""
    opened = next((s for s in saved if s.id == st.session_state.get(OPEN_KEY)), None)
    st.subheader("Save this analysis")
    with st.form("an_save", border=False, enter_to_submit=True):
        columns = st.columns((3, 1), vertical_alignment="bottom")
        name = columns[0].text_input(
            "Name of the analysis",
            key=NAME_KEY,
            max_chars=200,
            placeholder="e.g. Pain intensity at 8 weeks, REML + HKSJ",
        )
        submitted = columns[1].form_submit_button("Save analysis", type="primary")
    if opened is not None:
        st.caption(
            f"Saving under the name '{escape_markdown(opened.name)}' saves the changes to that "
            "analysis; another name saves a new one."
        )
    if submitted:
        same = opened is not None and " ".join(name.split()).lower() == opened.name.lower()
        _save(review_id, name, spec, opened.id if same and opened else None)


def _save(review_id: int, name: str, spec: AnalysisSpec, analysis_id: int | None) -> None:
    user = state.current_user()
    if user is None:
        return
    try:
        view = deps.transaction(
            lambda session: save_analysis(
                session,
                actor=user.actor,
                review_id=review_id,
                name=name,
                spec=spec,
                analysis_id=analysis_id,
            )
        )
    except ReviewAppError as error:
        st.error(str(error))
        return
    st.session_state[OPEN_KEY] = view.id
    st.session_state[FLASH] = ("success", f"Saved the analysis '{view.name}'.")
    st.rerun()


def show_list(
    review_id: int,
    saved: Sequence[SavedAnalysisView],
    outcomes: Mapping[str, str],
    *,
    may_change: Callable[[SavedAnalysisView], bool],
) -> None:
    st.subheader("Saved analyses")
    if not saved:
        st.caption("No saved analysis yet: choose, look at the result, and save it under a name.")
        return
    for view in saved:
        with st.container(border=True):
            text, buttons = st.columns((3, 2), vertical_alignment="center")
            text.markdown(_describe(view, outcomes))
            row = buttons.container(horizontal=True)
            row.button(
                "Open",
                key=f"an_open_{view.id}",
                on_click=_open,
                args=(view,),
                help="Show this analysis's choices and its result on the current data.",
            )
            if may_change(view):
                row.button(
                    "Re-run",
                    key=f"an_rerun_{view.id}",
                    on_click=_rerun,
                    args=(review_id, view),
                    type="primary" if view.stale else "secondary",
                    help="Run it again on the current consensus extraction and mark it current.",
                )
                confirm = row.popover("Delete")
                confirm.button(
                    f"Delete '{view.name}' for good",
                    key=f"an_delete_{view.id}",
                    on_click=_delete,
                    args=(review_id, view),
                )


def _describe(view: SavedAnalysisView, outcomes: Mapping[str, str]) -> str:
    spec = view.spec
    where = f", {spec.timepoint}" if spec.timepoint else ""
    model = f"{spec.measure}, {spec.method}" + (", HKSJ" if spec.test is HKSJ else "")
    if spec.include_indirect:
        model += ", indirect evidence included"
    status = f":orange[**{STALE}**]" if view.stale else ":green[up to date]"
    lines = [
        f"**{escape_markdown(view.name)}** · {status}",
        escape_markdown(f"{outcomes.get(spec.outcome_id, spec.outcome_id)}{where} · {model}"),
        escape_markdown(last_result_text(view.last_result, spec.measure)),
        escape_markdown(
            f"saved by {view.created_by or 'a former member'}, {view.updated_at:%Y-%m-%d %H:%M} UTC"
        ),
    ]
    if spec.excluded:
        lines.append(
            escape_markdown(f"leaves out {', '.join(spec.excluded)} ({spec.exclusion_rule})")
        )
    if view.incomplete:
        lines.append(escape_markdown(f"consensus not complete: {', '.join(view.incomplete)}"))
    return "  \n".join(lines)


def _open(view: SavedAnalysisView) -> None:
    analysis_choices.load(view.spec)
    st.session_state[OPEN_KEY] = view.id
    st.session_state[NAME_KEY] = view.name


def _done(action: Callable[..., object], review_id: int, view: SavedAnalysisView) -> bool:
    """Whether ``action`` (a service function of one saved analysis) ran for the current user in
    one transaction; its refusal becomes the page's message."""
    user = state.current_user()
    if user is None:
        return False
    try:
        deps.transaction(
            lambda session: action(
                session, actor=user.actor, review_id=review_id, analysis_id=view.id
            )
        )
    except ReviewAppError as error:
        st.session_state[FLASH] = ("error", str(error))
        return False
    return True


def _rerun(review_id: int, view: SavedAnalysisView) -> None:
    if not _done(run_saved, review_id, view):
        return
    _open(view)
    st.session_state[FLASH] = (
        "success",
        f"Ran '{view.name}' again on the current consensus extraction; it is up to date.",
    )


def _delete(review_id: int, view: SavedAnalysisView) -> None:
    if not _done(delete_analysis, review_id, view):
        return
    if st.session_state.get(OPEN_KEY) == view.id:
        st.session_state.pop(OPEN_KEY, None)
    st.session_state[FLASH] = ("success", f"Deleted the analysis '{view.name}'.")
