from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, migrate, session_scope
from review_app.services.demo import DEMO_ACCOUNTS, seed_demo

APP = Path(__file__).resolve().parents[2] / "review_app" / "ui" / "app.py"
LEAD = DEMO_ACCOUNTS[0]


@pytest.fixture
def demo_url(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A committed demo database the app under test reads through REVIEW_APP_DATABASE_URL."""
    engine = make_engine(sqlite_url)
    migrate(engine)
    with session_scope(engine) as session:
        seed_demo(session)
    engine.dispose()
    monkeypatch.setenv("REVIEW_APP_DATABASE_URL", sqlite_url)
    return sqlite_url


@pytest.fixture
def app(demo_url: str) -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=30).run()


def log_in(app: AppTest, name: str, password: str) -> AppTest:
    app.text_input(key="login_name").input(name)
    app.text_input(key="login_password").input(password)
    return app.button[0].click().run()
