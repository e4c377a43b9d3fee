"""What pages need from below: the cached engine and a unit of work per user action.

The one module of ``ui/`` that imports the database layer (``tests/test_architecture.py``):
pages reach the engine, the session type (``deps.Session`` in a signature) and the database's
raw errors through it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlmodel import Session

from review_app.config import Settings
from review_app.db import make_engine, migrate, run_in_transaction, session_scope

T = TypeVar("T")

__all__ = ["DATABASE_ERRORS", "Session", "engine", "settings", "transaction", "unit_of_work"]

# What the database raises when it is unreachable or out of connections, below our own errors.
DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, PoolTimeoutError)


@st.cache_resource(show_spinner=False)
def _engine_for(url: str, pool_size: int, max_overflow: int, pool_timeout: float) -> Engine:
    engine = make_engine(
        url, pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout
    )
    migrate(engine)
    return engine


def settings() -> Settings:
    """This server's settings, from its environment."""
    return Settings.from_env()


def engine() -> Engine:
    """The process's engine (one pool shared by every session of this server)."""
    configured = settings()
    return _engine_for(
        configured.database_url,
        configured.pool_size,
        configured.pool_overflow,
        configured.pool_timeout_seconds,
    )


@contextmanager
def unit_of_work(*, read_only: bool = False) -> Iterator[Session]:
    """One transaction for one user action: committed at the end, rolled back on error;
    ``read_only`` for a look that writes nothing (on SQLite it then takes no write lock).

    A busy database leaves as ``DatabaseBusyError`` (a ``ReviewAppError``: show it)."""
    with session_scope(engine(), read_only=read_only) as session:
        yield session


def transaction(work: Callable[[Session], T], *, read_only: bool = False) -> T:
    """Run ``work(session)`` as one user action, run again when the database refused it for
    concurrency midway (a lock, a PostgreSQL serialisation failure or deadlock). Prefer it to
    ``unit_of_work`` for saves: ``work`` must touch nothing but the session."""
    return run_in_transaction(engine(), work, read_only=read_only)
