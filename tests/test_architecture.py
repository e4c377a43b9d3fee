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
