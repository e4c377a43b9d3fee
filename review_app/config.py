"""Settings from the environment. The only module that reads ``os.environ``.

Each setting is declared once, as data (as datasette does): its variable, its field on
``Settings``, its default, how its text is read and what it means. ``Settings.from_env``, the
child process's environment and the README's configuration table all come from ``SETTINGS``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from review_app.errors import ConfigError


def _text(name: str, text: str) -> str:
    return text


def _path(name: str, text: str) -> Path:
    return Path(text)


def _whole_number(minimum: int) -> Callable[[str, str], int]:
    def parse(name: str, text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise ConfigError(f"{name}={text!r}: a whole number >= {minimum}")
        return value

    return parse


def _number(minimum: float) -> Callable[[str, str], float]:
    def parse(name: str, text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = minimum - 1
        if not value >= minimum:
            raise ConfigError(f"{name}={text!r}: a number >= {minimum:g}")
        return value

    return parse


def _flag(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name}={text!r}: allowed are 1/true/yes/on or 0/false/no/off")


@dataclass(frozen=True, slots=True)
class Setting:
    """One environment variable the app understands."""

    name: str  # the environment variable
    field: str  # the attribute on Settings
    default: str
    help: str
    parse: Callable[[str, str], Any] = _text


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "REVIEW_APP_DATABASE_URL",
        "database_url",
        "sqlite:///review.db",
        "SQLAlchemy URL: `sqlite:///PATH` or `postgresql+psycopg://USER@HOST:PORT/DB`",
    ),
    Setting("REVIEW_APP_EXPORT_DIR", "export_dir", "exports", "default folder for exports", _path),
    Setting("REVIEW_APP_FILES_DIR", "files_dir", "files", "folder for uploaded full texts", _path),
    Setting(
        "REVIEW_APP_MAX_UPLOAD_MB",
        "max_upload_mb",
        "50",
        "largest upload accepted, in megabytes (for XLSX, of its unpacked content)",
        _whole_number(1),
    ),
    Setting(
        "REVIEW_APP_MAX_RECORDS_PER_FILE",
        "max_records_per_file",
        "200000",
        "most records one imported file may hold",
        _whole_number(1),
    ),
    Setting(
        "REVIEW_APP_MAX_FIELD_CHARS",
        "max_field_chars",
        "100000",
        "longest text one field of an imported record may hold, in characters",
        _whole_number(100),
    ),
    Setting(
        "REVIEW_APP_MAX_SHEET_CELLS",
        "max_sheet_cells",
        "5000000",
        "most cells read from one XLSX sheet",
        _whole_number(1),
    ),
    Setting(
        "REVIEW_APP_POOL_SIZE",
        "pool_size",
        "20",
        "database connections kept open per server process (one per concurrent user)",
        _whole_number(1),
    ),
    Setting(
        "REVIEW_APP_POOL_OVERFLOW",
        "pool_overflow",
        "10",
        "extra database connections a busy process may open beyond the pool",
        _whole_number(0),
    ),
    Setting(
        "REVIEW_APP_POOL_TIMEOUT_SECONDS",
        "pool_timeout_seconds",
        "10",
        "how long an action waits for a free connection before saying the server is busy",
        _number(0.1),
    ),
    Setting(
        "REVIEW_APP_SESSION_IDLE_HOURS",
        "session_idle_hours",
        "8",
        "a login ends after this many hours without an action",
        _number(0.01),
    ),
    Setting(
        "REVIEW_APP_LEASE_MINUTES",
        "lease_minutes",
        "10",
        "how long a record shown to a reviewer stays reserved for their vote",
        _number(0.01),
    ),
    Setting(
        "REVIEW_APP_DEVELOPMENT",
        "development",
        "0",
        "1 shows error details (tracebacks) in the web app; never on a shared server",
        _flag,
    ),
)


def setting(field: str) -> Setting:
    """The declaration of the setting held in ``Settings.<field>``."""
    for declared in SETTINGS:
        if declared.field == field:
            return declared
    raise KeyError(field)


# Each setting's default value (its declared text, read as the environment's would be), by field.
DEFAULTS: dict[str, Any] = {s.field: s.parse(s.name, s.default) for s in SETTINGS}


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings' values. Each default comes from its declaration in ``SETTINGS``."""

    database_url: str = DEFAULTS["database_url"]
    export_dir: Path = DEFAULTS["export_dir"]
    files_dir: Path = DEFAULTS["files_dir"]
    max_upload_mb: int = DEFAULTS["max_upload_mb"]
    max_records_per_file: int = DEFAULTS["max_records_per_file"]
    max_field_chars: int = DEFAULTS["max_field_chars"]
    max_sheet_cells: int = DEFAULTS["max_sheet_cells"]
    pool_size: int = DEFAULTS["pool_size"]
    pool_overflow: int = DEFAULTS["pool_overflow"]
    pool_timeout_seconds: float = DEFAULTS["pool_timeout_seconds"]
    session_idle_hours: float = DEFAULTS["session_idle_hours"]
    lease_minutes: float = DEFAULTS["lease_minutes"]
    development: bool = DEFAULTS["development"]

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from the environment; explicit overrides (CLI options) win."""
        env = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {
            s.field: s.parse(s.name, env.get(s.name) or s.default) for s in SETTINGS
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def child_environment(self) -> dict[str, str]:
        """This process's environment plus these settings, for a child (``streamlit run``)."""
        return {**os.environ, **self.as_environment()}

    def as_environment(self) -> dict[str, str]:
        """These settings as the environment variables that would produce them."""
        return {s.name: _as_text(getattr(self, s.field)) for s in SETTINGS}


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def settings_table() -> str:
    """The README's configuration table (a docs test checks that the README holds it)."""
    rows = [f"| `{s.name}` | `{s.default}` | {s.help} |" for s in SETTINGS]
    return "\n".join(["| variable | default | meaning |", "| --- | --- | --- |", *rows])


assert {s.field for s in SETTINGS} == {f.name for f in fields(Settings)}, "one setting per field"
