"""What pages need from below: the cached engine and a unit of work per user action."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from review_app.config import Settings
from review_app.db import make_engine, migrate, session_scope


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    return engine


def engine() -> Engine:
    return _engine_for(Settings.from_env().database_url)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction for one user action: committed at the end, rolled back on error."""
    with session_scope(engine()) as session:
        yield session
