"""Migration 0011 (discussion on a record, password resets) on SQLite and PostgreSQL: existing
users, records and votes are kept and nobody is asked for a new password by the upgrade; a
comment needs a known stage and goes with its record; the downgrade keeps the users."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from review_app.db import migrate
from tests.migration_helpers import database_at, downgrade, insert, old_review

WHEN = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0010(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from database_at(request, tmp_path, "0010")


def rows(engine: Engine, query: str) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(query)).mappings())


INDEX = "ix_auditevent_entity_entity_id"


def audit_indexes(engine: Engine) -> set[str]:
    return {str(index["name"]) for index in inspect(engine).get_indexes("auditevent")}


def old_record(engine: Engine, review_id: int, voter: int) -> int:
    batch = insert(
        engine, "importbatch", review_id=review_id, file_name="pubmed.ris", sha256="0" * 64,
        source_name="PubMed", source_kind="database", format="ris", imported_at=WHEN,
        record_count=1, skipped_count=0, warnings="[]", status="active",
    )  # fmt: skip
    record = insert(
        engine, "record", review_id=review_id, import_batch_id=batch, position=0,
        title="Kratom for pain", authors="[]", keywords="[]", raw="{}", created_at=WHEN,
        dedup_checked=False,
    )  # fmt: skip
    insert(
        engine, "decision", review_id=review_id, record_id=record, reviewer_id=voter,
        stage="title_abstract", vote="include", tags="[]", created_at=WHEN, updated_at=WHEN,
    )  # fmt: skip
    return record


def test_the_upgrade_keeps_users_and_votes_and_asks_nobody_for_a_new_password(
    at_0010: Engine,
) -> None:
    ids = old_review(at_0010, WHEN)
    old_record(at_0010, ids["review"], ids["ana"])
    migrate(at_0010, "0011")
    users = rows(at_0010, 'SELECT name, must_change_password FROM "user" ORDER BY name')
    assert [(user["name"], bool(user["must_change_password"])) for user in users] == [
        ("ana", False),
        ("ben", False),
    ]
    assert len(rows(at_0010, "SELECT id FROM decision")) == 1
    assert INDEX in audit_indexes(at_0010)  # a record's history looks its events up by it
    downgrade(at_0010, "0010")
    assert INDEX not in audit_indexes(at_0010)
    assert [user["name"] for user in rows(at_0010, 'SELECT name FROM "user"')] == ["ana", "ben"]
    assert len(rows(at_0010, "SELECT id FROM decision")) == 1
    tables = inspect(at_0010).get_table_names()
    assert "recordcomment" not in tables and "discussionflag" not in tables
    migrate(at_0010)  # and up again


def test_a_comment_needs_a_known_stage_and_goes_with_its_record(at_0010: Engine) -> None:
    ids = old_review(at_0010, WHEN)
    record = old_record(at_0010, ids["review"], ids["ana"])
    migrate(at_0010, "0011")
    comment = {
        "review_id": ids["review"], "record_id": record, "author_id": ids["ben"],
        "stage": "title_abstract", "body": "Is this neuropathic?", "created_at": WHEN,
    }  # fmt: skip
    insert(at_0010, "recordcomment", **comment)
    with pytest.raises(IntegrityError):
        insert(at_0010, "recordcomment", **(comment | {"stage": "abstract"}))
    flag = {"review_id": ids["review"], "record_id": record, "raised_by_id": ids["ben"]}
    insert(at_0010, "discussionflag", **flag, raised_at=WHEN)
    with pytest.raises(IntegrityError):  # one flag row per record
        insert(at_0010, "discussionflag", **flag, raised_at=WHEN)
    with at_0010.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
        connection.execute(text("DELETE FROM decision"))
        connection.execute(text("DELETE FROM record"))
    assert rows(at_0010, "SELECT id FROM recordcomment") == []
    assert rows(at_0010, "SELECT id FROM discussionflag") == []
