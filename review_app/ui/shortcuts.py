"""Every keyboard shortcut of the web app, declared once: the pages bind their buttons to these
keys and write their hints from them, and the Help page and the ``?`` overlay list them, so what
a page says and what it does cannot drift apart (``tests/ui/test_help_page.py`` checks that every
``shortcut=`` in ``ui/`` is one of these).

Keys are written as Streamlit's ``st.button(shortcut=...)`` takes them ("I", "Ctrl+S"). Streamlit
reserves C and R, and takes no punctuation, which is why ``?`` is bound by
``components/shortcuts_help`` itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from review_app.domain.vocabulary import Vote

HELP_KEY = "?"  # opens the overlay listing the page's shortcuts (components/shortcuts_help.py)


@dataclass(frozen=True, slots=True)
class Shortcut:
    name: str  # how the code asks for it: keys("screen").key("include")
    key: str  # as st.button(shortcut=...) takes it
    action: str  # what it does, in plain words


@dataclass(frozen=True, slots=True)
class PageKeys:
    """The shortcuts of one page, by its URL path in ``ui/app.py``'s PAGES."""

    page: str
    title: str
    shortcuts: tuple[Shortcut, ...]
    has_overlay: bool = False  # the page shows the "?" button and answers the ? key

    def key(self, name: str) -> str:
        """The key bound to the shortcut called ``name`` (a KeyError names the ones there are)."""
        for shortcut in self.shortcuts:
            if shortcut.name == name:
                return shortcut.key
        known = ", ".join(s.name for s in self.shortcuts)
        raise KeyError(f"no shortcut {name!r} on page {self.page!r}; there are {known}")

    def hint(self, names: tuple[str, ...] | None = None) -> str:
        """A one-line Markdown hint ("Keys: **I** include · ..."), ending with the ? key when
        the page has the overlay."""
        chosen = [s for s in self.shortcuts if names is None or s.name in names]
        parts = [f"**{s.key}** {s.action}" for s in chosen]
        if self.has_overlay:
            parts.append(f"**{HELP_KEY}** all keys")
        return "Keys: " + " · ".join(parts)


_SAVE_COPY = Shortcut("save", "Ctrl+S", "save your copy (Cmd+S on a Mac)")

REGISTRY: tuple[PageKeys, ...] = (
    PageKeys(
        "screen",
        "Screen",
        (
            Shortcut(Vote.INCLUDE, "I", "include the record"),
            Shortcut(Vote.EXCLUDE, "E", "exclude it (with the reason chosen above the buttons)"),
            Shortcut(Vote.MAYBE, "M", "maybe (when the protocol allows it)"),
            Shortcut("note", "N", "open the note box for this record"),
            Shortcut("undo", "U", "undo your last vote and show that record again"),
        ),
        has_overlay=True,
    ),
    PageKeys(
        "duplicates",
        "Duplicates",
        (
            Shortcut("duplicate", "D", "the two records are the same: merge them"),
            Shortcut("not_duplicate", "N", "not a duplicate: keep both"),
            Shortcut("skip", "S", "skip the pair for now"),
        ),
        has_overlay=True,
    ),
    PageKeys("extract", "Extraction", (_SAVE_COPY,)),
    PageKeys("rob", "Risk of bias", (_SAVE_COPY,)),
    PageKeys("grade", "GRADE", (_SAVE_COPY,)),
)


def keys(page: str) -> PageKeys:
    """The shortcuts of the page at URL path ``page``."""
    for entry in REGISTRY:
        if entry.page == page:
            return entry
    known = ", ".join(entry.page for entry in REGISTRY)
    raise KeyError(f"no shortcuts for page {page!r}; pages with shortcuts are {known}")
