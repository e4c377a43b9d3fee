"""The databases and registers a review team commonly searches, each declared once with the
names export files write for it.

One registry serves three readers: source detection (a file's ``DB  - Ovid MEDLINE(R) ALL``
line names MEDLINE/PubMed), the import page's list of sources (every common source is offered
even when the protocol forgot one), and PRISMA's split between databases and registers (a
source's kind follows it, so a register is never counted as a database by default).

Names are matched word by word, case and punctuation aside, with Ovid's date ranges
(``<1946 to November 2019>``) dropped: "APA PsycInfo 1806 to present" names PsycINFO because
its words hold the alias "PsycInfo".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class SourceKind(StrEnum):
    """Where PRISMA 2020 counts a source's records: databases, registers, or other methods."""

    DATABASE = "database"
    REGISTER = "register"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class KnownSource:
    """A database or register: its name on pages, its kind, and the names files use for it."""

    name: str
    kind: SourceKind
    aliases: tuple[str, ...]  # found anywhere in a longer name ("APA PsycInfo 1806 to ...")
    codes: tuple[str, ...] = ()  # a platform's code as the whole name (EBSCO rzh, Ovid psyc)
    others: tuple[str, ...] = ()  # other databases whose names hold an alias ("PubMed Central")

    def is_named_by(self, text: str) -> bool:
        """Whether ``text`` (a protocol's source name, a file's DB line) names this source."""
        words = name_words(text)
        if words in {name_words(exact) for exact in (self.name, *self.codes)}:
            return True
        if any(_holds(words, name_words(other)) for other in self.others):
            return False
        return any(_holds(words, name_words(alias)) for alias in self.aliases)

    def has_code(self, code: str) -> bool:
        """Whether a platform's database code ("psyc16", "emez", "rzh") is this source's; Ovid
        appends a segment number to its codes, so trailing digits are dropped."""
        return code.casefold().rstrip("0123456789") in self.codes


KNOWN_SOURCES: tuple[KnownSource, ...] = (
    KnownSource(
        "MEDLINE/PubMed",
        SourceKind.DATABASE,
        ("MEDLINE", "PubMed", "Ovid MEDLINE(R)", "MEDLINE Complete"),
        # NLM: EndNote's DP for PubMed; EBSCO cmedm/mdc/mnh; Ovid medl/mesz/medall/prem/ppez.
        ("nlm", "cmedm", "mdc", "mnh", "medl", "mesz", "medall", "prem", "ppez"),
        ("PubMed Central", "Europe PMC"),  # full-text archives, not the MEDLINE/PubMed index
    ),
    KnownSource(
        "Embase",
        SourceKind.DATABASE,
        ("Embase", "Embase.com", "Embase Classic+Embase", "Excerpta Medica"),
        ("emed", "emez", "emex", "oemezd"),
    ),
    KnownSource(
        "CENTRAL",
        SourceKind.DATABASE,
        ("Cochrane Central Register of Controlled Trials", "Cochrane CENTRAL"),
        ("cctr",),  # "central" alone is only the whole name: PubMed Central is another thing
    ),
    KnownSource(
        "CINAHL",
        SourceKind.DATABASE,
        ("CINAHL", "EBSCOhost CINAHL", "CINAHL Complete", "CINAHL Plus"),
        ("rzh", "ccm", "cin20", "c8h"),
    ),
    KnownSource("PsycINFO", SourceKind.DATABASE, ("APA PsycInfo", "PsycInfo"), ("psyh", "psyc")),
    KnownSource(
        "Web of Science",
        SourceKind.DATABASE,
        ("Web of Science", "Web of Science Core Collection", "Web of Knowledge", "ISI Export"),
    ),
    KnownSource("Scopus", SourceKind.DATABASE, ("Scopus",)),
    KnownSource("ClinicalTrials.gov", SourceKind.REGISTER, ("ClinicalTrials.gov",)),
    KnownSource(
        "WHO ICTRP",
        SourceKind.REGISTER,
        ("ICTRP", "International Clinical Trials Registry Platform"),
    ),
)

_DATE_RANGE = re.compile(r"<[^>]*>")  # Ovid: "Embase <1974 to 2019 November 27>"
_WORD = re.compile(r"[a-z0-9]+")


def name_words(text: str) -> tuple[str, ...]:
    """A name's words, lower case, without Ovid's date range or the "(R)" mark."""
    cleaned = _DATE_RANGE.sub(" ", text.casefold()).replace("(r)", " ")
    return tuple(_WORD.findall(cleaned))


def find_known_source(text: str) -> KnownSource | None:
    """The one known source ``text`` names; None when it names none or more than one (an Ovid
    header "Embase, Ovid MEDLINE(R)" names two: a person must say which)."""
    named = [source for source in KNOWN_SOURCES if source.is_named_by(text)]
    return named[0] if len(named) == 1 else None


def known_sources_named(text: str) -> list[KnownSource]:
    """Every known source ``text`` names (a multi-database header names several)."""
    return [source for source in KNOWN_SOURCES if source.is_named_by(text)]


def _holds(words: tuple[str, ...], part: tuple[str, ...]) -> bool:
    """Whether ``part`` appears in ``words`` as consecutive whole words."""
    size = len(part)
    return bool(size) and any(words[i : i + size] == part for i in range(len(words) - size + 1))
