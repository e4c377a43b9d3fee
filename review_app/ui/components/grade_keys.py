"""Where the GRADE page keeps what is typed: one session-state key per widget, under a prefix per
copy and outcome (``gr:final:pain_intensity:rating:imprecision``), each seeded once from the
saved copy and then left to the widget, so that typing survives reruns and a refused save; a
successful save (or a lead's take) forgets the prefix, and the widgets are seeded again from what
was stored."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from review_app.ui.components.copy_editing import forget_keys

FINAL, OWN = "final", "own"  # the lead's final judgement of an outcome, or a judge's own copy


@dataclass(frozen=True, slots=True)
class Keys:
    """The widget keys of one copy (``FINAL`` or ``OWN``) of one outcome."""

    copy: str
    outcome_id: str

    @property
    def prefix(self) -> str:
        return f"gr:{self.copy}:{self.outcome_id}:"

    def seeded(self, path: str, initial: object) -> str:
        """The key of the widget at ``path``, holding ``initial`` until the widget changes it."""
        key = self.prefix + path
        if key not in st.session_state:
            st.session_state[key] = initial
        return key

    def value(self, path: str, default: object = None) -> object:
        """What the widget at ``path`` holds now (``default`` before it is drawn)."""
        return st.session_state.get(self.prefix + path, default)

    def forget(self) -> None:
        """Drop every widget value of this copy: the next run shows the stored copy."""
        forget_keys(self.prefix)
