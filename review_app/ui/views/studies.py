"""Studies (leads): group the included reports of one study; a study is what gets extracted."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review_app.errors import ReviewAppError
from review_app.services.studies import (
    StudyReportView,
    create_study,
    list_included_reports,
    list_studies,
    suggest_label,
)
from review_app.ui import deps, state


def render() -> None:
    review_id, user = state.current_review_id(), state.current_user()
    if review_id is None or user is None:
        return
    st.title("Studies")
    st.caption(
        "Reports included at full text are grouped into studies (one study may have "
        "several reports: a trial's main paper, its registration, a follow-up)."
    )
    with deps.unit_of_work() as session:
        reports = list_included_reports(session, actor=user.actor, review_id=review_id)
        studies = list_studies(session, actor=user.actor, review_id=review_id)
    unlinked = {r.record_id: r for r, study in reports if study is None}
    if not reports:
        st.info("No report has been included at full text yet.")
    if unlinked:
        _new_study(review_id, user, unlinked)
    if studies:
        st.subheader(f"{len(studies)} studies")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Study": s.label,
                        "Design": s.design or "",
                        "Reports": len(s.reports),
                        "Main report": s.reports[0].title if s.reports else "",
                    }
                    for s in studies
                ]
            ),
            hide_index=True,
            width="stretch",
        )


def _new_study(
    review_id: int, user: state.CurrentUser, unlinked: dict[int, StudyReportView]
) -> None:
    st.subheader("New study")
    chosen = st.multiselect(
        "Reports of one study (the first is its main report)",
        list(unlinked),
        format_func=lambda rid: f"{rid}: {unlinked[rid].title}",
        key="study_reports",
    )
    label = st.text_input(
        "Label",
        value=suggest_label([unlinked[r] for r in chosen]) if chosen else "",
        key=f"study_label_{'-'.join(map(str, chosen))}",
    )
    if st.button("Create study", key="study_create", disabled=not chosen or not label):
        try:
            with deps.unit_of_work() as session:
                create_study(
                    session, actor=user.actor, review_id=review_id, label=label, record_ids=chosen
                )
        except ReviewAppError as error:
            st.error(str(error))
            return
        st.rerun()
