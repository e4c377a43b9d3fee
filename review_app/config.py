"""Settings from the environment. The only module that reads ``os.environ``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from review_app.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///review.db"


@dataclass(frozen=True, slots=True)
class Setting:
    """One environment variable the app understands (declared as data, as datasette does)."""

    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("REVIEW_APP_DATABASE_URL", DEFAULT_DATABASE_URL, "SQLAlchemy URL of the database."),
    Setting("REVIEW_APP_EXPORT_DIR", "exports", "Default folder for exports."),
    Setting("REVIEW_APP_FILES_DIR", "files", "Folder for uploaded full-text PDFs."),
    Setting("REVIEW_APP_MAX_UPLOAD_MB", "50", "Largest file accepted by an upload, in megabytes."),
)


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    export_dir: Path = field(default_factory=lambda: Path("exports"))
    files_dir: Path = field(default_factory=lambda: Path("files"))
    max_upload_mb: int = 50

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from the environment; explicit overrides (CLI options) win."""
        env = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {
            "database_url": env.get("REVIEW_APP_DATABASE_URL") or DEFAULT_DATABASE_URL,
            "export_dir": Path(env.get("REVIEW_APP_EXPORT_DIR") or "exports"),
            "files_dir": Path(env.get("REVIEW_APP_FILES_DIR") or "files"),
            "max_upload_mb": _positive_int(env.get("REVIEW_APP_MAX_UPLOAD_MB") or "50"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def child_environment(self) -> dict[str, str]:
        """This process's environment plus these settings, for a child (``streamlit run``)."""
        return {
            **os.environ,
            "REVIEW_APP_DATABASE_URL": self.database_url,
            "REVIEW_APP_EXPORT_DIR": str(self.export_dir),
            "REVIEW_APP_FILES_DIR": str(self.files_dir),
            "REVIEW_APP_MAX_UPLOAD_MB": str(self.max_upload_mb),
        }


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"REVIEW_APP_MAX_UPLOAD_MB={text!r}: a whole number of megabytes >= 1")
    return value
