"""A record's history for leads, as a table: when, who, what, and the state before and after.

Call ``render_history(review_id, record_id)`` from a record's detail view (the Records page). It
shows the table to leads and admins only (the history holds every member's votes); for anyone
else it says the history is for leads, and the service refuses them anyway.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import streamlit as st

from review_app.domain.vocabulary import STAGES, Stage, is_lead
from review_app.services.record_history import HistoryEntry, record_history
from review_app.ui import deps, state

NOTHING = "—"  # an empty value, never "None"
COLUMNS = ("When", "Who", "What", "Before", "After")


def render_history(review_id: int, record_id: int) -> None:
    """The record's history table, oldest first, in the page's width (long cells wrap)."""
    user = state.current_user()
    if user is None:
        return
    if not is_lead(state.current_role()):
        st.caption("A record's history shows every member's votes: it is for leads and admins.")
        return
    with deps.unit_of_work(read_only=True) as session:
        entries = record_history(
            session, actor=user.actor, review_id=review_id, record_id=record_id
        )
    if not entries:
        st.caption("Nothing has happened to this record since it was imported.")
        return
    # A static table: its cells wrap, so the before/after states are read whole at any width
    # (a data frame keeps each cell on one line and pushes "After" out of sight).
    st.table([history_row(entry) for entry in entries], hide_index=True)


def history_row(entry: HistoryEntry) -> dict[str, str]:
    """One table row: the entry's words, its time in UTC and its states as "name: value" text."""
    return dict(
        zip(
            COLUMNS,
            (
                when(entry.at),
                entry.who,
                entry.label,
                state_text(entry.before),
                state_text(entry.after),
            ),
            strict=True,
        )
    )


def when(moment: datetime) -> str:
    """A time as people read it, in UTC (stored times are UTC; SQLite gives them back naive)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def state_text(values: dict[str, Any] | None) -> str:
    """An audited state as "name: value; ..." with empty values as a dash, never "None" (the
    record's own id, which every row would repeat, left out)."""
    shown = {name: value for name, value in (values or {}).items() if name != "record_id"}
    if not shown:
        return NOTHING
    return "; ".join(
        f"{name.replace('_', ' ')}: {_value(value, name)}" for name, value in shown.items()
    )


def _value(value: Any, name: str = "") -> str:
    if value is None or value == "" or value == []:
        return NOTHING
    if name == "stage" and value in STAGES:
        return Stage(value).label  # the stage's name, not its stored code
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return state_text(value)
    return str(value)
