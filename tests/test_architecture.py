"""Imports point down only (ARCHITECTURE.md): parsed from the source, not from conventions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "review_app"
FORBIDDEN = {
    "services": ("streamlit", "review_app.ui", "review_app.cli"),
    "domain": ("streamlit", "sqlmodel", "sqlalchemy", "review_app.services", "review_app.models",
               "review_app.db", "review_app.ui", "review_app.cli"),
    "importers": ("streamlit", "sqlmodel", "sqlalchemy", "review_app.services", "review_app.models",
                  "review_app.db", "review_app.ui", "review_app.cli"),
    "exporters": ("streamlit", "sqlmodel", "sqlalchemy", "review_app.services", "review_app.models",
                  "review_app.db", "review_app.ui", "review_app.cli"),
    "models": ("streamlit", "review_app.services", "review_app.ui", "review_app.cli"),
}  # fmt: skip


# ui/ talks to people through services only: besides Streamlit (and pandas for its tables) it
# imports the services, its own modules, the errors, the vocabulary, the settings, and the
# protocol's model (the plain data `services.reviews.get_protocol` returns, read to render the
# criteria and the search sources), and the extraction's and appraisal's plain copies with their
# formats, conversions, tools and algorithms, and GRADE's plain content and cell texts (pure: the
# forms edit a copy and show what it derives or proposes as people type). The engine,
# the session type and the database layer are reached through ui/deps.py alone.
UI_ALLOWED = (
    "review_app.services",
    "review_app.ui",
    "review_app.errors",
    "review_app.domain.vocabulary",
    "review_app.domain.extraction",
    "review_app.domain.appraisal",
    "review_app.domain.grade",
    "review_app.config",
    "review_app.protocol",
)
UI_DATABASE = ("review_app.db", "sqlalchemy", "sqlmodel")
UI_DEPS = PACKAGE / "ui" / "deps.py"
CLI_FORBIDDEN = ("streamlit", "review_app.ui")  # fmt: skip


def _matches(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def layer_files() -> list[tuple[str, Path]]:
    return [
        (layer, path) for layer in FORBIDDEN for path in sorted((PACKAGE / layer).rglob("*.py"))
    ]


@pytest.mark.parametrize(
    ("layer", "path"), layer_files(), ids=lambda v: str(v).split("review_app/")[-1]
)
def test_imports_point_down(layer: str, path: Path) -> None:
    wrong = {
        name
        for name in imported_modules(path)
        for banned in FORBIDDEN[layer]
        if name == banned or name.startswith(banned + ".")
    }
    assert not wrong, f"{path.relative_to(PACKAGE)} ({layer}/) must not import {sorted(wrong)}"


def ui_wrong_imports(path: Path) -> set[str]:
    names = imported_modules(path)
    allowed = UI_ALLOWED + UI_DATABASE if path == UI_DEPS else UI_ALLOWED
    wrong = {n for n in names if n.startswith("review_app") and not _matches(n, allowed)}
    # the protocol's model, not its loading or validation machinery
    wrong |= {n for n in names if n.startswith("review_app.protocol.")}
    if path != UI_DEPS:
        wrong |= {n for n in names if _matches(n, UI_DATABASE)}
    return wrong


@pytest.mark.parametrize(
    "path", sorted((PACKAGE / "ui").rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_ui_reaches_the_database_through_services_and_deps(path: Path) -> None:
    wrong = ui_wrong_imports(path)
    assert not wrong, f"{path.relative_to(PACKAGE)} must not import {sorted(wrong)}"


def test_the_cli_imports_no_web_app() -> None:
    names = imported_modules(PACKAGE / "cli.py")
    assert not {n for n in names if _matches(n, CLI_FORBIDDEN)}


def test_only_config_reads_the_environment() -> None:
    readers = [
        path.relative_to(PACKAGE)
        for path in PACKAGE.rglob("*.py")
        if "os.environ" in path.read_text(encoding="utf-8") and path.name != "config.py"
    ]
    assert readers == []


def test_the_check_catches_a_wrong_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import streamlit as st\nfrom sqlmodel import Session\n")
    assert {"streamlit", "sqlmodel"} <= imported_modules(bad)
    page = tmp_path / "page.py"
    page.write_text(
        "from review_app.db import session_scope\nfrom review_app.models import Record\n"
        "from review_app.domain.vocabulary import Stage\nfrom review_app.services import reviews\n"
    )
    assert ui_wrong_imports(page) == {"review_app.db", "review_app.models"}
