"""What every importer produces: plain records, no database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from review_app.domain.record_fields import Bibliographic
from review_app.errors import Problem

MEGABYTE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one imported file may hold (the defaults are the settings' defaults).

    The CLI and the web app build it from Settings (``REVIEW_APP_MAX_UPLOAD_MB`` and the
    others); importers and services take it as a value.
    """

    max_bytes: int = 50 * MEGABYTE  # the file; for XLSX, its unpacked content
    max_records: int = 200_000  # records (valid or not) in one file
    max_field_chars: int = 100_000  # characters in one field of one record
    max_sheet_cells: int = 5_000_000  # cells read from one XLSX sheet

    @classmethod
    def of(
        cls,
        *,
        max_upload_mb: int,
        max_records_per_file: int,
        max_field_chars: int,
        max_sheet_cells: int,
    ) -> Limits:
        """From the settings' values (named as on Settings)."""
        return cls(
            max_bytes=max_upload_mb * MEGABYTE,
            max_records=max_records_per_file,
            max_field_chars=max_field_chars,
            max_sheet_cells=max_sheet_cells,
        )

    @property
    def max_megabytes(self) -> float:
        return self.max_bytes / MEGABYTE


DEFAULT_LIMITS = Limits()


@dataclass(slots=True)
class RecordIn(Bibliographic):
    """One bibliographic record as read from an export file, normalised.

    Its fields are the declared ones (``domain.record_fields``; ``doi`` lower-case, no resolver
    prefix), keyword-only. ``raw`` keeps every original field (tag or column -> value or list
    of values) so an export can give the record back as it came.
    """

    raw: dict[str, Any] = field(default_factory=dict)
    position: int = 0  # 1-based record number in the file
    line: int | None = None  # 1-based line where the record starts, when known
    # What normalisation left out, e.g. ("doi", "not a doi"): summed up as the file's warnings.
    dropped: list[tuple[str, str]] = field(default_factory=list, compare=False, repr=False)


RecordSink = Callable[["RecordIn"], None]


@dataclass(slots=True)
class ParseResult:
    """Records read from one file, with what was wrong and what was noticed.

    With a ``sink`` each valid record goes to it as soon as it is read and ``records`` stays
    empty: an import writes records as the parser goes, so a large file's records are never all
    in memory at once. ``record_count`` counts them either way.
    """

    format: str  # ris | medline | bibtex | endnote-xml | csv | wos
    source: str = ""  # the file name, for problems found after the parser
    records: list[RecordIn] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # records that cannot be imported
    warnings: list[str] = field(default_factory=list)  # e.g. "decoded as cp1252"
    encoding: str = "utf-8"
    record_count: int = 0
    sink: RecordSink | None = field(default=None, repr=False, compare=False)
    limits: Limits = field(default=DEFAULT_LIMITS, repr=False, compare=False)
    # field -> (count, first examples) of values normalisation left out (see RecordIn.dropped)
    dropped: dict[str, tuple[int, list[str]]] = field(default_factory=dict, repr=False)
    seen: int = 0  # records read so far, valid or not (checked against limits.max_records)

    def add(self, record: RecordIn) -> None:
        self.record_count += 1
        if self.sink is None:
            self.records.append(record)
        else:
            self.sink(record)
