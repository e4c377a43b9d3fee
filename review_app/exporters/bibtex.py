"""Records as BibTeX (UTF-8), written with bibtexparser.

Text is written as UTF-8 with only LaTeX's special characters escaped, which BibLaTeX/biber
and our reader take as is. The entry type is the BibTeX type our publication type maps to;
the publication type itself goes in ``type`` when it differs, so our reader gets it back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.model import Block, Entry, Field

from review_app.importers.record import RecordIn

_ENTRY_TYPES = {
    "JOUR": "article",
    "Journal Article": "article",
    "article": "article",
    "BOOK": "book",
    "Book": "book",
    "CHAP": "incollection",
    "Book Section": "incollection",
    "CONF": "inproceedings",
    "CPAPER": "inproceedings",
    "Conference Paper": "inproceedings",
    "THES": "phdthesis",
    "Thesis": "phdthesis",
    "RPRT": "techreport",
    "Report": "techreport",
}
# BibTeX's standard entry types (Patashnik 1988, "BibTeXing", section 4); any other publication
# type (Web of Science's "J", "Editorial") is written as @misc with its own words in ``type``.
BIBTEX_TYPES = frozenset(
    {
        "article",
        "book",
        "booklet",
        "conference",
        "inbook",
        "incollection",
        "inproceedings",
        "manual",
        "mastersthesis",
        "misc",
        "phdthesis",
        "proceedings",
        "techreport",
        "unpublished",
    }
)
_GENERIC = "misc"  # our reader takes the type from the ``type`` field of a @misc entry
_AND = re.compile(r"\band\b", re.IGNORECASE)
_KEY = re.compile(r'[^\s,{}()=#%"\'\\]+')
_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "~": r"{\textasciitilde}",
    **{char: f"\\{char}" for char in "&%$#_"},
}
# LaTeX joins -- into a dash, `` '' into quotes, ?` !` into inverted marks: keep them apart.
_LIGATURE = re.compile(r"(?<=[-`',<>?!])(?=[-`',<>])")


def dumps_bibtex(records: Iterable[RecordIn]) -> str:
    """The records as a BibTeX file; keys are source record ids where they are valid keys."""
    entries: list[Block] = [_entry(record, n) for n, record in enumerate(records, start=1)]
    return str(bibtexparser.write_string(Library(entries)))


def bibtex_entry_type(publication_type: str | None) -> str:
    """The standard BibTeX entry type a record's publication type is written as: RIS and
    EndNote names mapped, a BibTeX type kept, anything else ``misc``."""
    kind = _ENTRY_TYPES.get(publication_type or "", (publication_type or _GENERIC).lower())
    return kind if kind in BIBTEX_TYPES else _GENERIC


def _entry(record: RecordIn, number: int) -> Entry:
    kind = record.publication_type
    entry_type = bibtex_entry_type(kind)
    key = record.source_record_id
    text = {
        "title": record.title,
        "journal": record.journal,
        "volume": record.volume,
        "number": record.issue,
        "pmid": record.pmid,
        "issn": record.issn,
        "isbn": record.isbn,
        "keywords": "; ".join(record.keywords),
        "language": record.language,
        "type": kind if kind and (kind != entry_type or kind == _GENERIC) else None,
        "abstract": record.abstract,
    }
    written = {
        "author": " and ".join(_name(author) for author in record.authors),
        "year": str(record.year) if record.year is not None else None,
        "pages": record.pages.replace("-", "--", 1) if record.pages else None,
        **{name: _escape(value) for name, value in text.items() if value},
        "doi": record.doi,  # verbatim: our reader does not decode LaTeX in DOIs and URLs
        "url": record.url,
    }
    fields = [Field(name, value) for name, value in written.items() if value]
    if key is None or not _KEY.fullmatch(key):
        key = f"record{number}"
    return Entry(entry_type, key, fields)


def _name(author: str) -> str:
    """A "Family, Given" name as BibTeX reads it back; parts it would misread are braced.

    A name without a comma is a group ("World Health Organization"), and a part with the word
    "and" in it would be cut into two authors.
    """
    parts = [_escape(part.strip()) for part in author.split(",")]
    if len(parts) == 1 or any(_AND.search(part) for part in parts):
        parts = [f"{{{part}}}" if part else part for part in parts]
    return ", ".join(parts)


def _escape(text: str) -> str:
    escaped = "".join(_SPECIAL.get(char, char) for char in text)
    return _LIGATURE.sub("{}", escaped)
