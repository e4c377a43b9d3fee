"""Upgrading an SQLite database keeps every row: SQLite alters a table by copying it, and with
foreign keys on, dropping the old copy deleted the rows that referenced it (ON DELETE CASCADE).
Migration 0005 widens columns of ``importbatch`` and ``record``; before db.migrate turned the
checks off meanwhile, an upgrade from 0004 emptied the records and their votes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from review_app.db import migrate
from tests.migration_helpers import database_at, insert, old_review

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0004(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from database_at(request, tmp_path, "0004")


def test_an_upgrade_that_copies_tables_keeps_records_and_votes(at_0004: Engine) -> None:
    ids = old_review(at_0004, WHEN)
    batch = insert(
        at_0004, "importbatch", review_id=ids["review"], file_name="pubmed.ris", sha256="0" * 64,
        source_name="PubMed", source_kind="database", format="ris", imported_at=WHEN,
        record_count=1, skipped_count=0, warnings="[]", status="active",
    )  # fmt: skip
    record = insert(
        at_0004, "record", review_id=ids["review"], import_batch_id=batch, position=0,
        title="Kratom for pain", authors="[]", keywords="[]", raw="{}", created_at=WHEN,
        dedup_checked=False,
    )  # fmt: skip
    insert(
        at_0004, "decision", review_id=ids["review"], record_id=record, reviewer_id=ids["ana"],
        stage="title_abstract", vote="include", tags="[]", created_at=WHEN, updated_at=WHEN,
    )  # fmt: skip
    migrate(at_0004)
    with at_0004.connect() as connection:
        counts = [
            connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
            for table in ("importbatch", "record", "decision", "screeningslot")
        ]
        assert counts == [1, 1, 1, 1]  # and the vote got its slot
        if connection.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
