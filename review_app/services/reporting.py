"""Reading records back as the importers' ``RecordIn`` (for the exports; the records export
itself is ``services.exports.records``)."""

from __future__ import annotations

from review_app.importers.record import RecordIn
from review_app.models import Record


def to_record_in(record: Record) -> RecordIn:
    return RecordIn(
        title=record.title,
        abstract=record.abstract,
        authors=list(record.authors),
        year=record.year,
        journal=record.journal,
        volume=record.volume,
        issue=record.issue,
        pages=record.pages,
        doi=record.doi,
        pmid=record.pmid,
        issn=record.issn,
        isbn=record.isbn,
        keywords=list(record.keywords),
        language=record.language,
        publication_type=record.publication_type,
        url=record.url,
        source_record_id=record.source_record_id,
        raw=dict(record.raw),
        position=record.position,
    )
