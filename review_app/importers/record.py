"""What every importer produces: plain records, no database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from review_app.errors import Problem


@dataclass(slots=True)
class RecordIn:
    """One bibliographic record as read from an export file, normalised.

    ``raw`` keeps every original field (tag or column -> value or list of values) so an
    export can give the record back as it came.
    """

    title: str | None = None
    abstract: str | None = None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    journal: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    doi: str | None = None  # lower-case, no resolver prefix
    pmid: str | None = None
    issn: str | None = None
    isbn: str | None = None
    keywords: list[str] = field(default_factory=list)
    language: str | None = None
    publication_type: str | None = None
    url: str | None = None
    source_record_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    position: int = 0  # 1-based record number in the file
    line: int | None = None  # 1-based line where the record starts, when known


RecordSink = Callable[["RecordIn"], None]


@dataclass(slots=True)
class ParseResult:
    """Records read from one file, with what was wrong and what was noticed.

    With a ``sink`` each valid record goes to it as soon as it is read and ``records`` stays
    empty: an import writes records as the parser goes, so a large file's records are never all
    in memory at once. ``record_count`` counts them either way.
    """

    format: str  # ris | medline | bibtex | endnote-xml | csv | wos
    records: list[RecordIn] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # records that cannot be imported
    warnings: list[str] = field(default_factory=list)  # e.g. "decoded as cp1252"
    encoding: str = "utf-8"
    record_count: int = 0
    sink: RecordSink | None = field(default=None, repr=False, compare=False)

    def add(self, record: RecordIn) -> None:
        self.record_count += 1
        if self.sink is None:
            self.records.append(record)
        else:
            self.sink(record)
