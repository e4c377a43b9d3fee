"""A small MEDLINE writer for round-trip tests: the fields PubMed's format can carry."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Iterator

from review_app.importers import RecordIn

_CONTINUATION = "      "


def dumps_medline(records: Iterable[RecordIn]) -> str:
    """PubMed "MEDLINE" text: tags padded to four, long values wrapped onto continuation lines."""
    return "\n".join("\n".join(_lines(record)) + "\n" for record in records)


def _lines(record: RecordIn) -> Iterator[str]:
    fields: list[tuple[str, str | None]] = [
        ("PMID", record.pmid),
        ("DP", str(record.year) if record.year is not None else None),
        ("TI", record.title),
        ("PG", record.pages),
        ("LID", f"{record.doi} [doi]" if record.doi else None),
        ("AB", record.abstract),
        *(("FAU", author) for author in record.authors),
        ("LA", record.language),
        *(("PT", kind) for kind in (record.publication_type or "").split("; ") if kind),
        ("JT", record.journal),
        *(("IS", issn) for issn in (record.issn or "").split("; ") if issn),
        *(("ISBN", isbn) for isbn in (record.isbn or "").split("; ") if isbn),
        ("VI", record.volume),
        ("IP", record.issue),
        *(("OT", keyword) for keyword in record.keywords),
    ]
    for tag, value in fields:
        if value:
            yield from _field(tag, value)


def _field(tag: str, value: str) -> Iterator[str]:
    wrapped = textwrap.wrap(value, width=72, break_long_words=False, break_on_hyphens=False)
    yield f"{tag:<4}- {wrapped[0]}"
    yield from (_CONTINUATION + line for line in wrapped[1:])
