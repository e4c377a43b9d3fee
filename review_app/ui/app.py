"""The web app's entry point (``streamlit run``): login first, then the pages the role allows."""

from __future__ import annotations

import streamlit as st

from review_app.errors import ReviewAppError
from review_app.ui import state
from review_app.ui.components import review_picker
from review_app.ui.views import (
    conflicts,
    dashboard,
    duplicates,
    imports,
    login,
    screening,
    studies,
)


def main() -> None:
    st.set_page_config(page_title="review-app", page_icon=":material/fact_check:", layout="wide")
    user = state.current_user()
    if user is None:
        st.navigation([st.Page(login.render, title="Log in", url_path="login")]).run()
        return
    chosen = review_picker.show(user)
    if chosen is None:
        st.navigation([st.Page(_no_review, title="No review", url_path="no-review")]).run()
        return
    _, role = chosen
    state.set_role(role)
    st.navigation(pages_for(role)).run()


def pages_for(role: str) -> list[st.Page]:
    """The pages a role may open. Services check permissions again on every call."""
    pages = [
        st.Page(dashboard.render, title="Dashboard", url_path="dashboard", default=True),
        st.Page(screening.render, title="Screen", url_path="screen"),
    ]
    if role in ("lead", "admin"):
        pages.append(st.Page(imports.render, title="Import", url_path="import"))
        pages.append(st.Page(duplicates.render, title="Duplicates", url_path="duplicates"))
        pages.append(st.Page(conflicts.render, title="Conflicts", url_path="conflicts"))
        pages.append(st.Page(studies.render, title="Studies", url_path="studies"))
    return pages


def _no_review() -> None:
    st.title("No review yet")
    st.write("You are not a member of any review. Ask a review's admin or lead to add you.")


try:
    main()
except ReviewAppError as error:
    st.error(str(error))
