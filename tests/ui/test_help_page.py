"""The Help page, the shortcut registry it reads, and the ? overlay."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, session_scope
from review_app.models import Review, User
from review_app.services.demo import DEMO_ACCOUNTS
from review_app.ui import app as app_module
from review_app.ui.shortcuts import REGISTRY, keys
from tests.ui.conftest import APP, log_in
from tests.ui.test_duplicates_page import open_as_lead, queue_a_pair
from tests.ui.test_login_page import deep_link
from tests.ui.test_screening_page import open_as

REVIEWER = DEMO_ACCOUNTS[1]
UI = Path(__file__).resolve().parents[2] / "review_app" / "ui"


def help_page() -> None:
    from review_app.ui.views import help

    help.render()


def shortcuts_overlay() -> None:
    from review_app.ui.components import shortcuts_help

    shortcuts_help.show("duplicates")


def open_help(url: str, name: str, role: str) -> AppTest:
    with session_scope(make_engine(url)) as session:
        review_id = session.exec(select(Review.id)).one()
        user_id = session.exec(select(User.id).where(User.name == name)).one()
    app = AppTest.from_function(help_page, default_timeout=60)
    app.session_state["user_id"], app.session_state["user_name"] = user_id, name
    app.session_state["review_id"], app.session_state["role"] = review_id, role
    return app.run()


@pytest.mark.parametrize(("name", "role"), [("reviewer1", "reviewer"), ("lead", "lead")])
def test_help_explains_the_workflow_and_every_shortcut(demo_url: str, name: str, role: str) -> None:
    app = open_help(demo_url, name, role)
    assert not app.exception
    text = " ".join(m.value for m in app.markdown)
    steps = ["Import", "duplicates", "titles and abstracts", "full texts", "Extract"]
    steps += ["risk of bias", "Pool", "certainty", "Export"]  # the order a review follows
    headings = [m.value for m in app.markdown if m.value.startswith("**")]
    positions = [next(i for i, h in enumerate(headings) if step in h) for step in steps]
    assert "PRISMA 2020 flow diagram" in text
    assert positions == sorted(positions), positions
    for entry in REGISTRY:
        for shortcut in entry.shortcuts:
            assert f"| **{shortcut.key}** | {shortcut.action} |" in text


def test_help_names_every_page_of_the_app(demo_url: str) -> None:
    text = " ".join(m.value for m in open_help(demo_url, "lead", "lead").markdown)
    pages = [title for path, (title, _) in app_module.PAGES.items() if path != "help"]
    missing = [title for title in pages if title not in text]
    assert missing == [], missing


def test_a_reviewer_opens_help_at_its_address(demo_url: str) -> None:
    app = AppTest.from_file(str(APP), default_timeout=30).run()
    log_in(app, REVIEWER.name, REVIEWER.password)
    deep_link(app, "help")
    assert not app.exception
    assert [t.value for t in app.title] == ["Help"]
    assert "help" in app_module.REVIEWER_PAGES


def _shortcuts_in_code() -> list[tuple[str, ast.expr]]:
    found = []
    for path in UI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "shortcut":
                found.append((path.name, node.value))
    return found


def test_every_literal_shortcut_in_the_ui_is_in_the_registry() -> None:
    """A key bound with a literal must be listed (Help and the overlay read the registry)."""
    listed = {s.key.lower() for entry in REGISTRY for s in entry.shortcuts}
    literals = [
        (name, value.value)
        for name, value in _shortcuts_in_code()
        if isinstance(value, ast.Constant) and isinstance(value.value, str)
    ]
    unlisted = [(name, key) for name, key in literals if key.lower() not in listed]
    assert not unlisted, f"shortcuts bound but not in ui/shortcuts.py: {unlisted}"


def test_screening_binds_exactly_the_registry_keys(demo_url: str) -> None:
    app = open_as(demo_url, "reviewer1")
    bound = {b.proto.shortcut.lower() for b in app.button if b.proto.shortcut}
    assert bound == {s.key.lower() for s in keys("screen").shortcuts}


def test_duplicates_binds_only_registry_keys(demo_url: str) -> None:
    queue_a_pair(demo_url)
    app = open_as_lead(demo_url)
    bound = {b.proto.shortcut.lower() for b in app.button if b.proto.shortcut}
    assert bound and bound <= {s.key.lower() for s in keys("duplicates").shortcuts}


def test_the_overlay_lists_the_page_keys_in_a_dialog() -> None:
    app = AppTest.from_function(shortcuts_overlay, default_timeout=30).run()
    assert not app.exception
    app.button(key="shortcuts_help").click().run()
    text = " ".join(m.value for m in app.markdown)
    assert "| **D** | the two records are the same: merge them |" in text
    assert "| **?** | this list of keys |" in text


def test_an_unknown_page_or_key_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="pages with shortcuts are screen, duplicates"):
        keys("nowhere")
    with pytest.raises(KeyError, match="there are include, exclude"):
        keys("screen").key("skip")
