"""Audit snapshots: the columns of a row that an audit event records, from ``model_dump``."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlmodel import SQLModel


def snapshot(row: SQLModel, fields: Collection[str]) -> dict[str, Any]:
    """``row.model_dump(include=fields)``, lists copied, every one of ``fields`` present.

    ``model_dump`` reads only the attributes the session has loaded: on a row it expired (a
    rolled-back savepoint, a commit) it would leave the others out without a word. Reading
    each field first loads them.
    """
    for name in fields:
        getattr(row, name)
    return row.model_dump(include=set(fields))
