from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from review_app.db import sqlite_file
from review_app.services.demo import DEMO_ACCOUNTS
from tests.database_templates import demo_sqlite

APP = Path(__file__).resolve().parents[2] / "review_app" / "ui" / "app.py"
LEAD = DEMO_ACCOUNTS[0]


@pytest.fixture
def demo_url(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A committed demo database the app under test reads through REVIEW_APP_DATABASE_URL (a
    copy of the process's seeded demo: seeding takes longer than the typical test)."""
    path = sqlite_file(sqlite_url)
    assert path is not None
    demo_sqlite(path)
    monkeypatch.setenv("REVIEW_APP_DATABASE_URL", sqlite_url)
    return sqlite_url


@pytest.fixture
def app(demo_url: str) -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=30).run()


def log_in(app: AppTest, name: str, password: str) -> AppTest:
    app.text_input(key="login_name").input(name)
    app.text_input(key="login_password").input(password)
    return app.button[0].click().run()
