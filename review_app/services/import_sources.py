"""Which source an imported file counts under: the choices offered (the protocol's search
sources, then the common databases and registers it lacks) and the one the file points to.

PRISMA counts records per source and splits databases from registers, so the choice matters;
the file's own words (``importers.source_detect``) suggest it, a person confirms it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from review_app.domain.sources import KNOWN_SOURCES, find_known_source, name_words
from review_app.errors import ImportFileError
from review_app.importers import DETECTION_LINES
from review_app.importers.decoding import decode
from review_app.importers.source_detect import SourceGuess, detect_source
from review_app.protocol import SearchSource

_ZIP = b"PK\x03\x04"  # an XLSX workbook


@dataclass(frozen=True, slots=True)
class SourceChoice:
    """A source a file may be imported under: the protocol's, then the common ones it lacks."""

    name: str
    kind: str
    in_protocol: bool
    date_searched: date | None = None


@dataclass(frozen=True, slots=True)
class SourceSuggestion:
    """The choice the file points to (None: the person chooses), and why, in words."""

    choice: SourceChoice | None
    named: str | None  # the name the file gives when no choice holds it ("PTSDpubs")
    reason: str | None


def guess_from_bytes(data: bytes, *, file_name: str, format: str) -> SourceGuess | None:
    """What the file's head says about its source (a workbook is not read for it)."""
    if data.startswith(_ZIP):
        return None
    try:
        head = decode(data, source=file_name).head(DETECTION_LINES)
    except ImportFileError:
        return None
    return detect_source(head, format=format)


def source_choices(protocol_sources: Sequence[SearchSource]) -> list[SourceChoice]:
    """The protocol's search sources (name, kind, date searched), then each common database
    and register (MEDLINE/PubMed, Embase, ... WHO ICTRP) that none of them names."""
    choices = [
        SourceChoice(s.name, s.kind, in_protocol=True, date_searched=s.date_searched)
        for s in protocol_sources
    ]
    covered = {find_known_source(choice.name) for choice in choices}
    return choices + [
        SourceChoice(known.name, str(known.kind), in_protocol=False)
        for known in KNOWN_SOURCES
        if known not in covered
    ]


def suggest_source(
    guess: SourceGuess | None, choices: Sequence[SourceChoice], *, file_name: str
) -> SourceSuggestion:
    """The choice the file's content names (a protocol source that names the same database
    first), else the one its file name names; nothing when neither says, or the file names
    several sources."""
    if guess is not None:
        reason = guess.describe() + "."
        if guess.name is None:
            return SourceSuggestion(None, None, reason)
        return SourceSuggestion(_choice_naming(guess.name, choices), guess.name, reason)
    by_file_name = guess_source(file_name, [choice.name for choice in choices])
    if by_file_name is None:
        return SourceSuggestion(None, None, None)
    chosen = next(choice for choice in choices if choice.name == by_file_name)
    return SourceSuggestion(chosen, None, f"The file name {file_name!r} names {chosen.name}.")


def _choice_naming(name: str, choices: Sequence[SourceChoice]) -> SourceChoice | None:
    known = find_known_source(name)
    for choice in choices:
        if name_words(choice.name) == name_words(name):
            return choice
        if known is not None and find_known_source(choice.name) == known:
            return choice
    return None


def guess_source(file_name: str, source_names: Sequence[str]) -> str | None:
    """The protocol source whose name appears in the file name ('pubmed_2025.nbib' -> PubMed)."""
    simplified = "".join(ch for ch in file_name.casefold() if ch.isalnum())
    for name in source_names:
        key = "".join(ch for ch in name.casefold() if ch.isalnum())
        if key and key in simplified:
            return name
    return None


# How each stored kind (models.records.SOURCE_KINDS) reads where a person chooses it: PRISMA 2020
# counts databases and registers in its left column and everything else under "other methods".
SOURCE_KIND_LABELS = {
    "database": "Database",
    "register": "Register",
    "website": "Other methods: website",
    "organisation": "Other methods: organisation",
    "citation": "Other methods: citation searching",
    "other": "Other methods (hand-search, contacts...)",
}
