"""Reading records back as the importers' ``RecordIn`` (for the exports; the records export
itself is ``services.exports.records``)."""

from __future__ import annotations

from review_app.domain.record_fields import field_values
from review_app.importers.record import RecordIn
from review_app.models import Record


def to_record_in(record: Record) -> RecordIn:
    return RecordIn(**field_values(record), raw=dict(record.raw), position=record.position)
