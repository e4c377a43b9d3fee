"""Records as RIS, written with rispy.

Every field goes to the tag our RIS reader takes it from first, so re-importing an export
gives the same normalised records. Two fields need a convention because RIS has no tag for
them: a publication type that is not a RIS code (``Journal Article``) is written as
``TY  - GEN`` plus ``M3`` (type of work), and a PubMed id as ``AN`` with ``DP  - NLM``, the
way EndNote exports PubMed records.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import rispy

from review_app.importers.record import RecordIn

_GENERIC_TYPE = "GEN"


class _Writer(rispy.RisWriter):
    """rispy's writer without the "1." line it puts before each record."""

    def set_header(self, count: int) -> str:
        return ""


def dumps_ris(records: Iterable[RecordIn]) -> str:
    """The records as RIS text (encode it as UTF-8 to write a file)."""
    return str(rispy.dumps([_reference(record) for record in records], implementation=_Writer))


def _reference(record: RecordIn) -> dict[str, Any]:
    """rispy's named keys (see rispy.TAG_KEY_MAPPING) for one record, empty ones left out."""
    kind = record.publication_type
    is_code = kind in rispy.TYPE_OF_REFERENCE_MAPPING and kind != _GENERIC_TYPE
    start, _, end = (record.pages or "").partition("-")
    reference: dict[str, Any] = {
        "type_of_reference": kind if is_code else _GENERIC_TYPE,
        "type_of_work": None if is_code else kind,
        "title": record.title,
        "authors": record.authors,
        "year": str(record.year) if record.year is not None else None,
        "secondary_title": record.journal,
        "volume": record.volume,
        "number": record.issue,
        "start_page": start,
        "end_page": end,
        "abstract": record.abstract,
        "doi": record.doi,
        "issn": "; ".join(code for code in (record.issn, record.isbn) if code),
        "keywords": record.keywords,
        "language": record.language,
        "urls": [record.url] if record.url else [],
        "id": record.source_record_id,
        "accession_number": record.pmid,
        "database_provider": "NLM" if record.pmid else None,
    }
    return {key: value for key, value in reference.items() if value}
