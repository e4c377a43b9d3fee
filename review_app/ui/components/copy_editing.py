"""What the pages that keep a study in copies (Extraction, Risk of bias) do alike around their
forms: pick the study, keep the draft of a copy while the stored copy is the one it was made from,
the heading and the Save / Save and mark complete buttons, the save in one transaction with every
problem listed and nothing typed lost, and the sentence that says it was saved.

Each page keeps what is its own (the form, the draft, the service calls, the words).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

import streamlit as st

from review_app.domain.vocabulary import ExtractionStatus
from review_app.errors import ReviewAppError
from review_app.ui import deps
from review_app.ui.components.text import escape_markdown

STATUS_LABELS = {ExtractionStatus.IN_PROGRESS: "in progress", ExtractionStatus.COMPLETE: "complete"}
SAVED = {None: "Saved.", True: "Saved and marked complete.", False: "Reopened."}


class Study(Protocol):
    @property
    def study_id(self) -> int: ...
    @property
    def label(self) -> str: ...


class Versioned(Protocol):
    @property
    def version(self) -> str: ...  # the stored copy's version it was made from


S = TypeVar("S", bound=Study)
D = TypeVar("D", bound=Versioned)
V = TypeVar("V")


def status_label(status: ExtractionStatus | str | None) -> str:
    return "not started" if status is None else STATUS_LABELS[ExtractionStatus(status)]


def holders_line(holders: Iterable[tuple[str, ExtractionStatus]]) -> str:
    """Who holds a study's copies and where each stands ("ann: complete; bob: in progress")."""
    return "; ".join(f"{name}: {status_label(status)}" for name, status in holders)


def pick_study(studies: Sequence[S], *, key: str, is_unfinished: Callable[[S], bool]) -> S:
    """The study chosen in the box (the first unfinished one to begin with)."""
    by_id = {s.study_id: s for s in studies}
    if st.session_state.get(key) not in by_id:
        unfinished = [s.study_id for s in studies if is_unfinished(s)]
        st.session_state[key] = (unfinished or list(by_id))[0]
    # Plain labels: the statuses are in the progress table and above the form (an option's
    # label that changes while it is selected stays as it was in the browser's box)
    chosen = st.selectbox("Study", list(by_id), format_func=lambda sid: by_id[sid].label, key=key)
    return by_id[chosen]


def forget_keys(prefix: str) -> None:
    """Drop the widget values whose keys start with ``prefix`` (one copy's form), so that the
    next run draws them from a replaced draft."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]


def copy_version(updated_at: datetime) -> str:
    """When the copy was last saved, the same whether the time came back from the database
    without its zone (SQLite) or straight from the save with it (both are UTC)."""
    if updated_at.tzinfo is None:
        updated_at = updated_at.replace(tzinfo=UTC)
    return updated_at.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class Drafts(Generic[D]):
    """Where a page keeps its copies' drafts (``kind``), and how it forgets the widgets that
    showed a copy's last draft (so that they show a new one)."""

    prefix: str  # session-state key of a copy's draft: prefix + copy id
    kind: type[D]
    forget_widgets: Callable[[int], None]

    def key(self, copy_id: int) -> str:
        return f"{self.prefix}{copy_id}"

    def current(self, copy_id: int, updated_at: datetime, make: Callable[[str], D]) -> D:
        """The copy's draft in this browser tab: kept while the copy in the database is the one
        it was made from, so nothing typed is lost; made again (``make(version)``) when the copy
        changed there."""
        version = copy_version(updated_at)
        draft = st.session_state.get(self.key(copy_id))
        if not isinstance(draft, self.kind) or draft.version != version:
            draft = make(version)
            self.keep(copy_id, draft)
        return draft

    def keep(self, copy_id: int, draft: D) -> None:
        st.session_state[self.key(copy_id)] = draft
        self.forget_widgets(copy_id)


@dataclass(frozen=True, slots=True)
class Saving:
    """A page's words and keys around a save."""

    key: str  # "extract", "rob": the prefix of the buttons' keys
    kept: str  # what stays on the form after a refused save: "your typed values"
    complete_help: str  # what marking complete asks

    @property
    def flash_key(self) -> str:
        return f"{self.key}_flash"


def heading(
    *, is_consensus: bool, study_label: str, status: ExtractionStatus, updated_at: datetime
) -> None:
    owner = "Consensus" if is_consensus else "Your copy"
    st.markdown(
        f"**{owner} of {escape_markdown(study_label)}** · {status_label(status)} · "
        f"last saved {updated_at:%Y-%m-%d %H:%M} UTC"
    )


def requested(saving: Saving, copy_id: int, *, complete: bool) -> tuple[bool, bool | None]:
    """The Save and Mark complete (or Reopen) buttons: whether one was clicked, and what it asks
    of the copy's status (None: leave it; True: mark complete; False: reopen)."""
    buttons = st.container(horizontal=True)
    save = buttons.button(
        "Save", key=f"{saving.key}_save_{copy_id}", type="primary", shortcut="ctrl+s"
    )
    toggle = buttons.button(
        "Reopen" if complete else "Save and mark complete",
        key=f"{saving.key}_complete_{copy_id}",
        help=None if complete else saving.complete_help,
    )
    return save or toggle, (not complete) if toggle else None


def save(
    saving: Saving,
    work: Callable[[deps.Session], V],
    *,
    complete: bool | None,
    problem_lines: Callable[[ReviewAppError], list[str]],
    saved: Callable[[V], None],
) -> None:
    """Run ``work`` (the save, and the status change) as one transaction, again if the database
    refused it for concurrency; a refusal lists every problem and leaves the form as typed, a
    success hands the saved copy to ``saved`` and says so after the rerun."""
    try:
        copy = deps.transaction(work)
    except ReviewAppError as error:
        show_problems(saving, problem_lines(error))
        return
    saved(copy)
    st.session_state[saving.flash_key] = SAVED[complete]
    st.rerun()


def show_problems(saving: Saving, lines: list[str]) -> None:
    head = f"Nothing was saved; {saving.kept} are kept. Fix this first:"
    if len(lines) == 1:
        st.error(f"{head} {escape_markdown(lines[0])}")
        return
    st.error(head + "\n" + "\n".join(f"- {escape_markdown(line)}" for line in lines))


def show_flash(saving: Saving) -> None:
    """What the last save did, once, after the rerun it asked for."""
    flash = st.session_state.pop(saving.flash_key, None)
    if flash:
        st.success(flash)
