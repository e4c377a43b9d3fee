"""Showing text that came from a file or a person: as text, never as markup."""

from __future__ import annotations

MARKDOWN_SPECIALS = set("\\`*_{}[]()#+-.!<>|~$")


def escape_markdown(text: str) -> str:
    """Backslash-escape every Markdown and HTML character so ``st.markdown`` shows it verbatim."""
    return "".join("\\" + ch if ch in MARKDOWN_SPECIALS else ch for ch in text)
