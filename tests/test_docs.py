"""Documentation kept honest: the README's command table, the CLI and the settings agree."""

from __future__ import annotations

import re
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from review_app.cli import app
from tests.conftest import REPO_ROOT


def invoke(*args: str) -> str:
    """`review-app ARGS` in this process (wide, so that no help line wraps); its output."""
    result = CliRunner().invoke(app, list(args), prog_name="review-app", env={"COLUMNS": "200"})
    assert result.exit_code == 0, f"review-app {' '.join(args)}: {result.output}"
    return " ".join(result.output.split())


def readme() -> str:
    return (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def cli_commands() -> dict[str, Any]:
    """Every command a person can run, by its words after `review-app` ("export records")."""
    found: dict[str, Any] = {}

    def walk(group: Any, prefix: str) -> None:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):  # a group (typer's own click: no isinstance)
                walk(command, f"{prefix}{name} ")
            else:
                found[f"{prefix}{name}"] = command

    walk(get_command(app), "")
    return found


def command_table() -> list[str]:
    """Each `review-app ...` usage shown in the README's command table (one row may show two)."""
    section = readme().split("## Command line", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ")[0] for line in section.splitlines() if line.startswith("| `")]
    return [usage for row in rows for usage in re.findall(r"`(review-app [^`]+)`", row)]


def command_of(usage: str) -> str:
    """The command's words in a usage line: up to the first argument or option."""
    words = []
    for word in usage.split()[1:]:
        if not re.fullmatch(r"[a-z][a-z-]*", word):
            break
        words.append(word)
    return " ".join(words)


def test_the_readme_has_a_command_table() -> None:
    assert len(command_table()) >= 10, command_table()


@pytest.mark.parametrize("usage", command_table())
def test_every_command_in_the_readme_exists(usage: str) -> None:
    command = command_of(usage)
    assert f"Usage: review-app {command} " in invoke(*command.split(), "--help"), usage
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", usage))
    known = {opt for param in cli_commands()[command].params for opt in param.opts}
    assert options <= known, f"README shows options {sorted(options - known)} for `{command}`"


def test_every_command_is_in_the_readme() -> None:
    shown = {command_of(usage) for usage in command_table()}
    missing = sorted(set(cli_commands()) - shown)
    assert not missing, f"the README's command table lacks: {missing}"


def test_every_command_the_readme_mentions_exists() -> None:
    """Prose and examples too (`review-app init`, `review-app --db URL prisma`...)."""
    shown = re.findall(r"review-app (?:--\S+ \S+ )*([a-z][a-z-]*(?: [a-z][a-z-]*)?)", readme())
    known = set(cli_commands())
    missing = {usage for usage in shown if usage not in known and usage.split()[0] not in known}
    groups = {name.split()[0] for name in known}
    assert shown and missing <= groups, f"README shows commands that do not exist: {missing}"


def test_quick_start_is_two_commands() -> None:
    quick_start = readme().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^```(?:bash|sh)\n(.*?)\n```", quick_start, flags=re.S | re.M)
    assert len(commands) == 2 and all("\n" not in c for c in commands), commands


def test_readme_documents_every_setting() -> None:
    from review_app.config import SETTINGS, settings_table

    text = readme()
    assert settings_table() in text, "README's configuration table differs from config.SETTINGS"
    assert all(f"| `{s.name}` | `{s.default}` |" in text for s in SETTINGS)


def test_help_states_the_settings_defaults() -> None:
    """`--db`'s help names the setting and its default as config.SETTINGS declares them."""
    from review_app.config import setting

    database = setting("database_url")
    assert f"${database.name}, else {database.default}" in invoke("--help")
    assert f"`${database.name}`, else `{database.default}`" in readme()


def test_settings_defaults_are_declared_once() -> None:
    from review_app.config import DEFAULTS, SETTINGS, Settings

    assert Settings() == Settings.from_env({})
    assert {s.field: getattr(Settings(), s.field) for s in SETTINGS} == DEFAULTS
