"""Documentation kept honest: every command the README shows exists."""

from __future__ import annotations

import re

from typer.main import get_command

from review_app.cli import app
from tests.conftest import REPO_ROOT


def cli_commands() -> set[str]:
    group = get_command(app)
    names = set()
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        names.add(name)
        names.update(f"{name} {sub}" for sub in getattr(command, "commands", {}))
    return names


def test_every_command_in_the_readme_exists() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"review-app (?:--\S+ \S+ )*([a-z-]+(?: [a-z]+)?)", readme)
    known = cli_commands()
    missing = {usage for usage in shown if usage not in known and usage.split()[0] not in known}
    assert shown and not missing, f"README shows commands that do not exist: {missing}"


def test_quick_start_is_two_commands() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^```(?:bash|sh)\n(.*?)\n```", quick_start, flags=re.S | re.M)
    assert len(commands) == 2 and all("\n" not in c for c in commands), commands


def test_readme_documents_every_setting() -> None:
    from review_app.config import settings_table

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert settings_table() in readme, "README's configuration table differs from config.SETTINGS"
