"""A record with every field normalised once, ready for blocking and comparison."""

from __future__ import annotations

from dataclasses import dataclass

from review_app.domain.dedup.authors import AuthorName, normalise_authors
from review_app.domain.dedup.journals import Variant, journal_variants
from review_app.domain.dedup.kinds import is_meeting, notice_from_type, strip_notice
from review_app.domain.dedup.pages import PageRange, normalise_pages
from review_app.domain.dedup.records import DedupRecord
from review_app.domain.dedup.text import (
    leading_number,
    looks_non_english,
    normalise_doi,
    normalise_issns,
    normalise_pmid,
    normalise_year,
    parse_title,
    words,
)

_ABSTRACT_CHARS = 600  # comparison reads the first 500 normalised characters
_AUTHORS_KEPT = 12  # comparison looks at the first 12 authors


@dataclass(frozen=True, slots=True)
class PreparedRecord:
    """Normalised fields of one :class:`DedupRecord` (see the normalisers for each)."""

    id: int
    title: str  # normalised words, notice prefix ("Erratum:") removed
    title_key: str  # title without spaces: "co-transporter" = "cotransporter"
    translated: bool  # bracketed, a language note, or words of another language
    notice: str | None  # erratum | retraction | comment | reply | None (an article)
    notice_in_title: bool  # the title announces the notice ("Erratum: ..."), not only the type
    meeting: bool  # conference/meeting abstract or proceedings paper
    authors: tuple[AuthorName, ...]
    year: int | None
    journal: frozenset[Variant]
    issns: frozenset[str]
    volume: str | None
    issue: str | None
    pages: PageRange
    doi: str | None
    pmid: str | None
    abstract: str  # normalised words, first 600 characters
    is_existing: bool = False


def prepare(record: DedupRecord, *, is_existing: bool = False) -> PreparedRecord:
    """Normalise every field of ``record`` once."""
    parts = parse_title(record.title)
    notice, rest = strip_notice(record.title)
    title = parse_title(rest).text if notice else parts.text
    notice_in_title = notice is not None
    notice = notice or notice_from_type(record.publication_type, parts.notes)
    meeting = is_meeting(
        notes=parts.notes,
        journal=record.journal,
        volume=record.volume,
        issue=record.issue,
        pages=record.pages,
        publication_type=record.publication_type,
    )
    return PreparedRecord(
        id=record.id,
        title=title,
        title_key=title.replace(" ", ""),
        translated=parts.translated or looks_non_english(title),
        notice=notice,
        notice_in_title=notice_in_title,
        meeting=meeting,
        authors=tuple(normalise_authors(record.authors, limit=_AUTHORS_KEPT)),
        year=normalise_year(record.year),
        journal=journal_variants(record.journal),
        issns=normalise_issns(record.issn, record.isbn),
        volume=leading_number(record.volume),
        issue=leading_number(record.issue),
        pages=normalise_pages(record.pages),
        doi=normalise_doi(record.doi),
        pmid=normalise_pmid(record.pmid),
        abstract=words((record.abstract or "")[: _ABSTRACT_CHARS + 200])[:_ABSTRACT_CHARS],
        is_existing=is_existing,
    )
