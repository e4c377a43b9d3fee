"""The one declaration of a record's bibliographic fields, and what is derived from it."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import pytest
from sqlalchemy import JSON, Integer, Text
from sqlmodel import Session, SQLModel, create_engine

from review_app.domain.dedup import DedupRecord, merge_fields
from review_app.domain.dedup.merging import _BEST, completeness
from review_app.domain.record_fields import (
    COMPARED,
    EXPORTED,
    FIELDS,
    MERGED,
    NAMES,
    Bibliographic,
    Kind,
    field_values,
)
from review_app.exporters.tabular import COLUMNS
from review_app.importers.record import RecordIn
from review_app.models import FullText, Record
from review_app.services.duplicates import COMPARED_FIELDS
from review_app.services.imports import record_row
from review_app.services.reporting import to_record_in
from review_app.services.screening import RecordView, record_view
from review_app.services.snapshots import snapshot

# Columns of the Record table that are not bibliographic fields: bookkeeping and the original.
RECORD_BOOKKEEPING = {
    "id",
    "review_id",
    "import_batch_id",
    "position",
    "raw",
    "dedup_checked",
    "created_at",
}
PYTHON_TYPE: dict[Kind, Any] = {
    Kind.TEXT: str,
    Kind.IDENTIFIER: str,
    Kind.INT: int,
    Kind.LIST: list[str],
}
SQL_TYPE = {Kind.TEXT: Text, Kind.IDENTIFIER: Text, Kind.INT: Integer, Kind.LIST: JSON}


def test_the_record_table_has_a_column_for_each_declared_field_and_no_other() -> None:
    columns = Record.__table__.columns  # type: ignore[attr-defined]
    assert set(columns.keys()) - RECORD_BOOKKEEPING == set(NAMES)
    for spec in FIELDS:
        column = columns[spec.name]
        assert isinstance(column.type, SQL_TYPE[spec.kind]), spec.name
        # a list is stored as [] when empty; a required field is never null
        assert column.nullable is not (spec.required or spec.kind is Kind.LIST), spec.name


def test_the_record_model_types_each_field_as_declared() -> None:
    for spec in FIELDS:
        base = PYTHON_TYPE[spec.kind]
        wanted = base if spec.required or spec.kind is Kind.LIST else base | None
        assert Record.model_fields[spec.name].annotation == wanted, spec.name


def test_the_declaration_types_each_field_by_its_kind() -> None:
    hints = typing.get_type_hints(Bibliographic)
    for spec in FIELDS:
        base = PYTHON_TYPE[spec.kind]
        assert hints[spec.name] == (base if spec.kind is Kind.LIST else base | None), spec.name


def test_the_export_columns_keep_their_names_and_order() -> None:
    assert (
        COLUMNS
        == EXPORTED
        == (
            "source_record_id",
            "title",
            "abstract",
            "authors",
            "year",
            "journal",
            "volume",
            "issue",
            "pages",
            "doi",
            "pmid",
            "issn",
            "isbn",
            "keywords",
            "language",
            "publication_type",
            "url",
        )
    )


def test_the_queue_compares_the_short_fields_then_the_abstract() -> None:
    assert (
        COMPARED_FIELDS
        == COMPARED
        == (
            "title",
            "authors",
            "year",
            "journal",
            "volume",
            "issue",
            "pages",
            "doi",
            "pmid",
            "abstract",
        )
    )


def test_deduplication_merges_the_identifying_fields_only() -> None:
    assert set(MERGED) == {
        "title",
        "authors",
        "year",
        "journal",
        "volume",
        "issue",
        "pages",
        "doi",
        "pmid",
        "issn",
        "isbn",
        "abstract",
        "publication_type",
    }
    assert set(_BEST) <= set(MERGED)  # a rule for a field that is not merged would never run


def test_merge_fields_gives_every_merged_field_and_completeness_weighs_them() -> None:
    sparse = DedupRecord(id=1, title="A trial", doi="10.1/x")
    full = DedupRecord(id=2, title="A trial", abstract="Long.", authors=["Kim S"], issn="1234-5678")
    merged = merge_fields([sparse, full])
    assert set(merged) == set(MERGED)
    assert merged["issn"] == "1234-5678" and merged["doi"] == "10.1/x"
    assert completeness(sparse) == 3 + 2 and completeness(full) == 3 + 3 + 2 + 1


@pytest.mark.parametrize("cls", [RecordIn, DedupRecord, RecordView])
def test_every_record_class_carries_the_declared_fields(cls: type) -> None:
    names = [f.name for f in dataclasses.fields(cls)]
    assert [n for n in names if n in NAMES] == list(NAMES)


def a_stored_record() -> Record:
    return Record(
        id=7,
        review_id=1,
        import_batch_id=2,
        position=3,
        source_record_id="WOS:1",
        title="Kratom and pain",
        abstract="An abstract.",
        authors=["Kim S", "Lee J"],
        year=2020,
        journal="Pain",
        volume="12",
        issue="3",
        pages="100-9",
        doi="10.1/kratom",
        pmid="123",
        issn="1234-5678",
        isbn="978-3-16-148410-0",
        keywords=["kratom", "pain"],
        language="eng",
        publication_type="Journal Article",
        url="https://example.org/kratom",
        raw={"TI": "Kratom and pain"},
    )


def test_the_mappers_copy_every_declared_field_and_no_list_is_shared() -> None:
    stored = a_stored_record()
    expected = {name: getattr(stored, name) for name in NAMES}
    assert all(value not in (None, []) for value in expected.values())  # each one is checked
    view = record_view(stored)
    imported = to_record_in(stored)
    for mapped in (view, imported, DedupRecord(id=7, **field_values(stored))):
        assert field_values(mapped) == expected
        assert mapped.authors is not stored.authors and mapped.keywords is not stored.keywords
    assert view.id == 7 and imported.position == 3 and imported.raw == stored.raw
    row = record_row(imported, review_id=1, batch_id=2)
    assert {name: row[name] for name in NAMES} == expected
    assert set(row) == set(Record.model_fields) - {"id", "dedup_checked"}


def test_a_record_without_a_title_is_stored_with_an_empty_one() -> None:
    assert record_row(RecordIn(doi="10.1/x"), review_id=1, batch_id=2)["title"] == ""


def test_an_audit_snapshot_of_an_expired_row_still_has_every_field() -> None:
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine, tables=[FullText.__table__])  # type: ignore[attr-defined]
    with Session(engine) as session:
        fulltext = FullText(record_id=1, status="retrieved", note="n")
        session.add(fulltext)
        session.commit()  # expires the row: model_dump alone would give {}
        state = snapshot(fulltext, ("record_id", "status", "note", "url"))
    assert state == {"record_id": 1, "status": "retrieved", "note": "n", "url": None}
