"""Exports (leads and admins): every export the command line has, from the one registry
(``services.exports.EXPORTS``), each format a download button; and the files a lead brings in
(``services.exports.IMPORTS``: extraction, risk of bias, another tool's decisions), each an
upload that imports the whole file or nothing.

An option whose choices are the review's own (the saved analysis to plot) lists them when the
page is drawn, the first (the command line's default) chosen to begin with; with none to choose,
the page says so and the export's buttons are off.

A file is made when its button is clicked (not on every visit), through the same export function
the command line calls, so the bytes are the command line's. The function checks the user's role
itself; this page is only offered to leads and admins.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping

import streamlit as st

from review_app.domain.vocabulary import is_lead
from review_app.errors import ReviewAppError
from review_app.services.exports import (
    EXPORTS,
    IMPORTS,
    MEDIA_TYPES,
    Export,
    FileImport,
    Option,
)
from review_app.services.exports.rob import plotted_table
from review_app.services.imports import import_limits
from review_app.services.reviews import get_protocol
from review_app.ui import deps, state
from review_app.ui.components.text import escape_markdown

FORMAT_LABELS = {"csv": "CSV", "xlsx": "XLSX", "ris": "RIS", "svg": "SVG", "png": "PNG"}
# The keyword of an export made for one of the protocol's outcomes (`review-app rob plot
# --outcome ID`): a function that takes it gets a choice of the outcomes, the first (what the
# command line makes when none is named) to begin with.
OUTCOME = "outcome"
# Per export made for one outcome: what refuses (a ReviewAppError), quickly and without making
# the file, an outcome the export would refuse (nothing assessed yet), so that the page says why
# instead of offering a button whose file fails. (The registry has no field for it yet.)
OUTCOME_CHECKS: dict[str, Callable[..., object]] = {"rob-plot": plotted_table}


def render() -> None:
    review_id, user = state.current_review_id(), state.current_user()
    if review_id is None or user is None:
        return
    st.title("Exports")
    if not is_lead(state.current_role()):
        st.info("Exports are for the review's leads and admins.")
        return
    st.caption(
        "Every export of the command line (`review-app export ...`, `review-app prisma`), "
        "with the same files. Spreadsheet cells that look like formulas are written as text."
    )
    with deps.unit_of_work(read_only=True) as session:
        outcomes = {o.id: o.name for o in get_protocol(session, review_id).outcomes}
    for export in EXPORTS.values():
        _show(export, review_id, user, outcomes)
    st.header("Bring files in")
    st.caption(
        "Each file is imported whole or not at all; every problem is listed with its row and "
        "column. Command line: `review-app import NAME PATH --as USER`."
    )
    for file_import in IMPORTS.values():
        _offer_import(file_import, review_id, user)


def _show(
    export: Export, review_id: int, user: state.CurrentUser, outcomes: Mapping[str, str]
) -> None:
    st.subheader(export.heading)
    st.caption(f"{export.description} Command line: `review-app {' '.join(export.words)}`.")
    options: dict[str, str] = {}
    refused = None
    for option in export.options:
        key = f"export_{export.name}_{option.name}"
        if not option.is_dynamic:
            index = option.choices.index(option.default)
            options[option.name] = st.selectbox(option.label, option.choices, index, key=key)
            continue
        chosen, reason = _review_choice(option, review_id, user, key)
        options[option.name] = option.default if chosen is None else chosen
        refused = refused or reason
    stem = export.name + "".join(
        f"-{value}" for option, value in zip(export.options, options.values(), strict=True)
        if value != option.default
    )  # fmt: skip
    if refused:
        st.caption(escape_markdown(refused))
    if outcomes and _is_per_outcome(export):
        options[OUTCOME] = _pick_outcome(export, outcomes)
        stem += f"-{options[OUTCOME]}"  # a file of one outcome says which
        refused = _refusal(export, review_id, user, options[OUTCOME])
        if refused:
            st.caption(escape_markdown(refused))
    buttons = [(format, suffix) for format in export.formats for suffix in export.suffixes(format)]
    for column, (format, suffix) in zip(st.columns(len(buttons)), buttons, strict=True):
        label = FORMAT_LABELS.get(format, format.upper())
        column.download_button(
            f"{label} ({suffix.lstrip('-')})" if suffix else label,
            # made when clicked, so the page does not build every file on each visit
            functools.partial(_file, export.name, review_id, user, format, suffix, options),
            file_name=f"{stem}{suffix}.{format}",
            mime=MEDIA_TYPES[format],
            key=f"export_{export.name}_{format}{suffix}",
            icon=":material/download:",
            # no rerun on click: a rerun would replace the button (and its deferred file) while
            # the browser is still fetching it
            on_click="ignore",
            disabled=refused is not None,
        )


def _review_choice(
    option: Option, review_id: int, user: state.CurrentUser, key: str
) -> tuple[str | None, str | None]:
    """A choice among the review's own (a saved analysis), the first (the command line's
    default) to begin with; or None and why there is nothing to choose."""
    try:
        with deps.unit_of_work(read_only=True) as session:
            choices = option.review_choices(session, actor=user.actor, review_id=review_id)
    except ReviewAppError as error:
        return None, str(error)
    if not choices:
        return None, f"There is no {option.label.lower()} to choose yet."
    chosen: str = st.selectbox(option.label, choices, key=key, help=option.help)
    return chosen, None


def _is_per_outcome(export: Export) -> bool:
    return OUTCOME in inspect.signature(export.load()).parameters


def _pick_outcome(export: Export, outcomes: Mapping[str, str]) -> str:
    chosen: str = st.selectbox(
        "Outcome",
        list(outcomes),
        format_func=lambda outcome_id: outcomes[outcome_id],
        key=f"export_{export.name}_{OUTCOME}",
        help="The protocol's outcomes; the command line makes the first unless `--outcome ID` "
        "names another.",
    )
    return chosen


def _refusal(export: Export, review_id: int, user: state.CurrentUser, outcome: str) -> str | None:
    """Why the export would refuse this outcome (None: it would make the file)."""
    check = OUTCOME_CHECKS.get(export.name)
    if check is None:
        return None
    try:
        with deps.unit_of_work(read_only=True) as session:
            check(session, actor=user.actor, review_id=review_id, outcome=outcome)
    except ReviewAppError as error:
        return str(error)
    return None


def _file(
    name: str,
    review_id: int,
    user: state.CurrentUser,
    format: str,
    suffix: str,
    options: dict[str, str],
) -> bytes:
    with deps.unit_of_work(read_only=True) as session:
        files = EXPORTS[name].make(
            session, actor=user.actor, review_id=review_id, format=format, **options
        )
    return next(file.data for file in files if file.suffix == suffix)


def _offer_import(file_import: FileImport, review_id: int, user: state.CurrentUser) -> None:
    st.subheader(f"Import {file_import.name}")
    st.caption(file_import.description)
    upload = st.file_uploader(
        f"{file_import.name.capitalize()} file",
        type=list(file_import.formats),
        key=f"import_{file_import.name}_file",
    )
    if upload is None or not st.button(
        f"Import {upload.name}", key=f"import_{file_import.name}_run", type="primary"
    ):
        return
    try:
        with deps.unit_of_work() as session:
            lines = file_import.run(
                session,
                actor=user.actor,
                review_id=review_id,
                data=upload.getvalue(),
                file_name=upload.name,
                limits=import_limits(deps.settings()),
            )
    except ReviewAppError as error:
        st.error(escape_markdown(str(error)).replace("\n", "  \n"))
        return
    st.success("  \n".join(escape_markdown(line) for line in lines))
