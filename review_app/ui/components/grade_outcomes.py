"""The protocol's outcomes on the GRADE page, critical first (the service's order): a table with
each one's importance, studies and certainty ("no studies", "pending" while a downgrading domain
waits for its rating), and the box that opens one."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from review_app.domain.grade.model import OutcomeGrade
from review_app.domain.grade.text import importance_text, participants_text
from review_app.services.grade import OutcomeView
from review_app.ui.components.copy_editing import status_label
from review_app.ui.components.grade_certainty import grade_words

OUTCOME_KEY = "gr_outcome"


def shown_grade(view: OutcomeView) -> OutcomeGrade:
    """The grade the list shows: the final's for those who read it (leads), else the person's
    own copy's (what the page proposes before they save one)."""
    return view.final_grade if view.final_grade is not None else view.grade


def show_table(views: Sequence[OutcomeView], *, lead: bool) -> None:
    rows = []
    for view in views:
        grade = shown_grade(view)
        row = {
            "Outcome": view.name,
            "Importance": importance_text(view.importance).lower(),
            "Participants (studies)": participants_text(grade.evidence),
            "Certainty": grade_words(grade),
        }
        if lead:
            row["Final"] = status_label(view.final_status)
            row["Judges"] = f"{view.taken} of {view.slots}"
        else:
            row["Your copy"] = status_label(view.own_status)
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def pick(views: Sequence[OutcomeView]) -> str:
    """The outcome chosen (its id); plain names, as the table beside says where each stands."""
    by_id = {view.outcome_id: view for view in views}
    if st.session_state.get(OUTCOME_KEY) not in by_id:
        st.session_state[OUTCOME_KEY] = next(iter(by_id))
    chosen: str = st.selectbox(
        "Outcome",
        list(by_id),
        format_func=lambda outcome_id: (
            f"{by_id[outcome_id].name} ({importance_text(by_id[outcome_id].importance).lower()})"
        ),
        key=OUTCOME_KEY,
    )
    return chosen
