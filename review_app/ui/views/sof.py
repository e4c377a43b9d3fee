"""Summary of findings (every member): the GRADE Summary-of-Findings table a lead published last,
read-only, with its evidence profile and its files; a sentence while nothing is published.

What is shown and downloaded here is the published snapshot for everyone, leads included (the
GRADE page shows leads the table as the final judgements give it now).
"""

from __future__ import annotations

import streamlit as st

from review_app.services.exports.sof import write_table
from review_app.services.grade import published
from review_app.ui import deps, state
from review_app.ui.components import grade_sof

NOT_PUBLISHED = (
    "No Summary-of-Findings table is published yet. It appears here once a lead publishes it "
    "on the GRADE page."
)


def render() -> None:
    review_id, user = state.current_review_id(), state.current_user()
    if review_id is None or user is None:
        return
    st.title("Summary of findings")
    with deps.unit_of_work(read_only=True) as session:
        table = published(session, actor=user.actor, review_id=review_id)
    if table is None:
        st.info(NOT_PUBLISHED)
        return
    st.caption(
        "Read-only: the table as a lead last published it (the date and name are in its "
        "heading). Leads change the judgements on the GRADE page and publish again."
    )
    profile = grade_sof.pick_layout("sof_layout")
    grade_sof.show(table, profile=profile)
    grade_sof.downloads(
        lambda format, wanted: write_table(table, format, profile=wanted),
        profile=profile,
        stem="published",
        key="sof_download",
    )
