"""The ``?`` overlay: a small "?" button that opens a dialog listing the page's keyboard shortcuts,
also opened by pressing ``?`` anywhere on the page outside a text box.

One line on a page that has shortcuts in ``ui/shortcuts.py``'s registry::

    from review_app.ui.components import shortcuts_help

    shortcuts_help.show("duplicates")   # the page's URL path, as in ui/app.py's PAGES

Streamlit binds no punctuation to a button (``st.button(shortcut=...)`` takes letters, digits and
named keys), so the ``?`` key is a few lines of script: a listener, installed once per browser
tab, that clicks whichever "?" button the page shows. The script holds no text from a person.
"""

from __future__ import annotations

import streamlit as st

from review_app.ui.shortcuts import HELP_KEY, PageKeys, keys

BUTTON_KEY = "shortcuts_help"  # Streamlit gives the button's container the class st-key-<key>

# Clicks the "?" button when ? is typed outside a text field (Shift+/ on most layouts).
_LISTENER = f"""<script data-review-app-shortcuts>
if (!window.reviewAppHelpKey) {{
  window.reviewAppHelpKey = true;
  document.addEventListener("keydown", (event) => {{
    if (event.key !== "?" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(target && target.tagName);
    if (typing || (target && target.isContentEditable)) return;
    const button = document.querySelector(".st-key-{BUTTON_KEY} button");
    if (button) {{ event.preventDefault(); button.click(); }}
  }});
}}
</script>"""
# The script's element is empty, but the layout's gap would still take room.
_HIDE_LISTENER = (
    "<style>[data-testid=stElementContainer]:has(script[data-review-app-shortcuts])"
    "{display: none}</style>"
)


def show(page: str) -> None:
    """The "?" button for page ``page`` (and the ? key); a click opens the shortcuts dialog."""
    entry = keys(page)
    if st.button(
        HELP_KEY,
        key=BUTTON_KEY,
        help="Keyboard shortcuts of this page (press ?)",
        type="tertiary",
    ):
        _dialog(entry)
    st.html(_LISTENER, unsafe_allow_javascript=True)
    st.html(_HIDE_LISTENER)


def table(entry: PageKeys) -> str:
    """The page's shortcuts as a Markdown table (the dialog's and the Help page's)."""
    rows = [f"| **{s.key}** | {s.action} |" for s in entry.shortcuts]
    if entry.has_overlay:
        rows.append(f"| **{HELP_KEY}** | this list of keys |")
    return "\n".join(["| Key | What it does |", "| --- | --- |", *rows])


@st.dialog("Keyboard shortcuts")
def _dialog(entry: PageKeys) -> None:
    st.markdown(f"**{entry.title}**")
    st.markdown(table(entry))
    st.caption(
        "Keys work when the cursor is not in a text box (click on the page first). "
        "The Help page lists every page's keys."
    )
