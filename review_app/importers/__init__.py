"""Readers that turn search-result files into RecordIn lists (text in, records out).

``read_bytes`` is the one entry point: it decodes the file, tells its format from the
content (``format`` overrides), reads it with the module for that format and either returns
every record or raises ImportFileError listing every problem (file, line, record, field,
what is allowed). Nothing here touches the database.

    >>> result = read_bytes(b"TY  - JOUR\\nTI  - Kratom and pain\\nPY  - 2020\\nER  -\\n",
    ...                     filename="search.ris")
    >>> result.format, result.records[0].title, result.records[0].year
    ('ris', 'Kratom and pain', 2020)
"""

from __future__ import annotations

from collections.abc import Callable

from review_app.errors import ImportFileError
from review_app.importers import bibtex, endnote_xml, medline, normalize, ris, tabular, wos
from review_app.importers.decoding import decode, not_imported, refuse
from review_app.importers.detect import FORMATS, choose_format, detect_format
from review_app.importers.record import (
    DEFAULT_LIMITS,
    MEGABYTE,
    Limits,
    ParseResult,
    RecordIn,
    RecordSink,
)

__all__ = [
    "DEFAULT_LIMITS",
    "FORMATS",
    "Limits",
    "ParseResult",
    "RecordIn",
    "RecordSink",
    "detect_format",
    "read_bytes",
]

_PARSERS: dict[str, Callable[..., ParseResult]] = {
    "ris": ris.parse,
    "medline": medline.parse,
    "bibtex": bibtex.parse,
    "endnote-xml": endnote_xml.parse,
    "csv": tabular.parse,
    "wos": wos.parse,
}
_WHAT_A_RECORD_LOOKS_LIKE = {
    "ris": "a RIS record starts with 'TY  - JOUR' and ends with 'ER  -'",
    "medline": "MEDLINE records are blocks of 'TAG - value' lines (e.g. 'PMID- 123') "
    "separated by blank lines",
    "bibtex": "a BibTeX entry looks like @article{key, title = {...}}; @string and @comment "
    "blocks are not records",
    "endnote-xml": "EndNote XML holds <xml><records><record> elements",
    "csv": "a table has a header row, then one row per record",
    "wos": "a Web of Science record starts with 'PT J' and ends with 'ER'",
}
_ZIP = b"PK\x03\x04"
_LINE_FORMATS = frozenset({"ris", "medline", "wos"})
DETECTION_LINES = 5_000  # enough to see a whole first record, even a WoS one with its references


def read_bytes(
    data: bytes,
    *,
    filename: str,
    format: str = "auto",
    skip_invalid: bool = False,
    sink: RecordSink | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ParseResult:
    """Read one export file.

    Raises ImportFileError when the file cannot be read at all, holds no records, or (unless
    ``skip_invalid``) when any record is invalid (no title, impossible year, unreadable entry,
    a field longer than ``limits.max_field_chars``). With ``skip_invalid`` the valid records
    are returned and the others listed in ``problems``. With a ``sink`` the valid records go
    to it as they are read (see ParseResult), so the error can come after some of them: the
    caller writes them in a transaction it can undo. A file larger than ``limits.max_bytes``
    (an XLSX: unpacked) or holding more than ``limits.max_records`` records is refused whole.
    """
    if format != "auto" and format not in FORMATS:
        allowed = ", ".join(("auto", *FORMATS))
        refuse(filename, f"format {format!r} is not one we read; allowed: {allowed}")
    _refuse_too_large(filename, len(data), limits, what="the file")
    if _is_workbook(data):
        if format not in ("auto", "csv"):
            refuse(filename, f"this is an Excel workbook; read it as 'csv', not {format!r}")
        unpacked = tabular.workbook_size(data)
        if unpacked is not None:
            _refuse_too_large(filename, unpacked, limits, what="the workbook unpacked")
        result = tabular.parse_workbook(data, source=filename, sink=sink, limits=limits)
    else:
        decoded = decode(data, source=filename)
        warnings = list(decoded.warnings)
        if format == "auto":
            chosen, mismatch = choose_format(decoded.head(DETECTION_LINES), filename)
            warnings += [mismatch] if mismatch else []
        else:
            chosen = format
        # Tagged formats are read line by line, so a large file is never one huge string.
        content = decoded.lines() if chosen in _LINE_FORMATS else decoded.text
        result = _PARSERS[chosen](content, source=filename, sink=sink, limits=limits)
        result.encoding = decoded.encoding
        result.warnings[:0] = warnings
    result.warnings += normalize.dropped_warnings(result)
    return _checked(result, filename=filename, skip_invalid=skip_invalid)


def _refuse_too_large(filename: str, size: int, limits: Limits, *, what: str) -> None:
    if size > limits.max_bytes:
        refuse(
            filename,
            f"{what} is {size / MEGABYTE:,.1f} MB; at most {limits.max_megabytes:,.0f} MB is "
            "read (setting REVIEW_APP_MAX_UPLOAD_MB): split the search export into smaller files",
        )


def _is_workbook(data: bytes) -> bool:
    return data.startswith(_ZIP) and b"xl/" in data


def _checked(result: ParseResult, *, filename: str, skip_invalid: bool) -> ParseResult:
    if not result.record_count and not result.problems:
        hint = _WHAT_A_RECORD_LOOKS_LIKE[result.format]
        refuse(filename, f"no records found read as {result.format}; {hint}")
    if result.problems and not (skip_invalid and result.record_count):
        summary = not_imported(filename, len(result.problems))
        raise ImportFileError(result.problems, summary=summary)
    return result
