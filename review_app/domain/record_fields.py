"""A bibliographic record's fields, declared once.

Each field is declared on :class:`Bibliographic`, with its type and, through :func:`_declare`,
how the app treats it (a :class:`RecordField`). The importer's record
(``importers.record.RecordIn``), the deduplication engine's record (``domain.dedup.DedupRecord``)
and the screening view (``services.screening.RecordView``) subclass it; the export columns
(:data:`EXPORTED`), the fields deduplication merges (:data:`MERGED`) and shows side by side
(:data:`COMPARED`), a record's completeness (:data:`COMPLETENESS`) and the mappers between those
classes and the ``Record`` table (:func:`field_values`) are derived from it.

The ``Record`` table keeps explicit columns (Alembic reads them); ``tests/test_record_fields.py``
fails when the table and this declaration disagree. A new field is one line here, a column
there and a migration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

_FLAGS = "record_field"  # the key of a declared field's flags in its dataclass metadata


class Kind(StrEnum):
    """What a field holds."""

    TEXT = "text"  # free text
    LIST = "list"  # a list of strings (one author, one keyword per item)
    INT = "int"  # a whole number
    IDENTIFIER = "identifier"  # a code or a locator: DOI, PMID, ISSN, URL...


@dataclass(frozen=True, slots=True)
class RecordField:
    """One bibliographic field and how the app treats it."""

    name: str
    kind: Kind
    exported: bool  # a column of the records CSV/XLSX (in declaration order)
    merged: bool  # deduplication gives a cluster's primary the best value across its copies
    compared: bool  # shown side by side in the duplicate review queue
    completeness: int  # what having it adds to a record's completeness (choosing the primary)
    long: bool  # long text: listed after the short fields wherever fields sit side by side
    required: bool  # every stored record has one (the importer refuses a record without it)


def _declare(
    kind: Kind,
    *,
    exported: bool = True,
    merged: bool = False,
    compared: bool = False,
    completeness: int = 0,
    long: bool = False,
    required: bool = False,
) -> Any:
    """A ``dataclasses.field`` (a fresh list by default for a list, else None) carrying the
    flags; ruff cannot tell, hence the ``noqa: RUF009`` on the list fields."""
    flags = {
        "kind": kind,
        "exported": exported,
        "merged": merged,
        "compared": compared,
        "completeness": completeness,
        "long": long,
        "required": required,
    }
    if kind is Kind.LIST:
        return field(default_factory=list, metadata={_FLAGS: flags})
    return field(default=None, metadata={_FLAGS: flags})


# Completeness weights: identifiers and the abstract weigh most, they are what screening and
# full-text retrieval need.
@dataclass(slots=True, kw_only=True)
class Bibliographic:
    """The bibliographic fields of one record; every one may be missing until it is stored.

    The declaration order is the order of the export columns.
    """

    source_record_id: str | None = _declare(Kind.IDENTIFIER)  # the database's own id
    title: str | None = _declare(
        Kind.TEXT, merged=True, compared=True, completeness=3, required=True
    )
    abstract: str | None = _declare(
        Kind.TEXT, merged=True, compared=True, completeness=3, long=True
    )
    authors: list[str] = _declare(Kind.LIST, merged=True, compared=True, completeness=2)  # noqa: RUF009
    year: int | None = _declare(Kind.INT, merged=True, compared=True, completeness=1)
    journal: str | None = _declare(Kind.TEXT, merged=True, compared=True, completeness=1)
    volume: str | None = _declare(Kind.TEXT, merged=True, compared=True, completeness=1)
    issue: str | None = _declare(Kind.TEXT, merged=True, compared=True, completeness=1)
    pages: str | None = _declare(Kind.TEXT, merged=True, compared=True, completeness=1)
    doi: str | None = _declare(Kind.IDENTIFIER, merged=True, compared=True, completeness=2)
    pmid: str | None = _declare(Kind.IDENTIFIER, merged=True, compared=True, completeness=2)
    issn: str | None = _declare(Kind.IDENTIFIER, merged=True, completeness=1)
    isbn: str | None = _declare(Kind.IDENTIFIER, merged=True, completeness=1)
    keywords: list[str] = _declare(Kind.LIST)  # noqa: RUF009
    language: str | None = _declare(Kind.TEXT)
    publication_type: str | None = _declare(Kind.TEXT, merged=True, completeness=1)
    url: str | None = _declare(Kind.IDENTIFIER)


FIELDS: tuple[RecordField, ...] = tuple(
    RecordField(name=f.name, **f.metadata[_FLAGS]) for f in fields(Bibliographic)
)
BY_NAME: dict[str, RecordField] = {f.name: f for f in FIELDS}
NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)


def _side_by_side(chosen: Iterable[RecordField]) -> tuple[str, ...]:
    """Names in declaration order, long text last (it would push the short fields apart)."""
    return tuple(f.name for f in sorted(chosen, key=lambda f: f.long))


EXPORTED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.exported)
MERGED: tuple[str, ...] = _side_by_side(f for f in FIELDS if f.merged)
COMPARED: tuple[str, ...] = _side_by_side(f for f in FIELDS if f.compared)
COMPLETENESS: dict[str, int] = {f.name: f.completeness for f in FIELDS if f.completeness}
LIST_FIELDS: frozenset[str] = frozenset(f.name for f in FIELDS if f.kind is Kind.LIST)


def field_values(source: object, names: Iterable[str] = NAMES) -> dict[str, Any]:
    """The declared fields ``names`` of ``source`` (a ``Record`` row, a ``RecordIn``, any object
    that has them as attributes) by name, lists copied: the one mapper between the classes
    that carry a record's fields, e.g. ``RecordView(id=row.id, **field_values(row))``."""
    values = {}
    for name in names:
        value = getattr(source, name)
        values[name] = list(value) if name in LIST_FIELDS and value is not None else value
    return values
