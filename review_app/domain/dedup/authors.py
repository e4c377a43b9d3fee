"""Author names: family name and initials from "Family, Given", "Family GI", "Given Family"...

Databases write the same person as "Zheng, Qing-Feng", "Zheng Q. F.", "Zheng QF" or
"Qing-Feng Zheng"; all give family ``zheng`` and initials ``qf``. Comparison keys drop
particles ("van Schalkwyk" = "Schalkwyk", as some databases file the name) and non-letters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from review_app.domain.dedup.text import fold

_PARTICLES = frozenset(
    "van von der den de del della dei di da das do dos du la le les el al ten ter vander".split()
)
_SUFFIXES = frozenset("jr jnr sr snr ii iii iv 2nd 3rd md phd".split())
_INITIALS_RE = re.compile(r"(?:[A-Z]\.?-?){1,4}")
# "Kim S.Yang J.Jeong J." (a list exported without separators): split after a period when
# a word of two or more letters follows at once.
_GLUED_RE = re.compile(r"(?<=\.)(?=[A-Za-z][a-z])")
_LIST_SPLIT_RE = re.compile(r"\s*;\s*|\s+and\s+|\s*&\s*|\s*\n\s*|\s*\r\s*", re.IGNORECASE)
_FAMILY_INITIALS_RE = re.compile(r"([A-Z][a-z]+(?:-[A-Z][a-z]+)?),? ((?:[A-Z]\.? ?){1,3})")
_NAME_WITH_INITIALS_RE = re.compile(r"[^\W\d_][^\W\d_'\- ]+ (?:[A-Z]\.? ?){1,4}")
_LIST_HINT_RE = re.compile(r";|&|\n|\r|\band\b|\.[A-Za-z][a-z]", re.IGNORECASE)
_NOT_LETTER_RE = re.compile(r"[^a-z ]+")
_GIVEN_SPLIT_RE = re.compile(r"[\s.\-]+")
_NAME_JUNK_RE = re.compile(r"[^A-Za-z ,.'\-]")
_ET_AL_RE = re.compile(r"\bet\.?\s*al\b\.?,?|\betal\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class AuthorName:
    """One author: comparison key of the family name, and initials (lower-case letters)."""

    family: str
    initials: str = ""


def split_author_list(text: str | None) -> list[str]:
    """Split one string holding several authors ("A, B and C, D", "A; B", "Kim S.Lee J.")."""
    if not text:
        return []
    text = str(text)
    if not _LIST_HINT_RE.search(text) and not _is_comma_list(text):  # one name: the usual case
        return [text.strip()] if _ET_AL_RE.sub("", text).strip(" ,.") else []
    parts = [p for p in _LIST_SPLIT_RE.split(text) if p and p.strip(" ,.")]
    out: list[str] = []
    for part in parts:
        if "," not in part and _GLUED_RE.search(part):
            out.extend(p for p in _GLUED_RE.split(part) if p.strip())
        elif _is_comma_list(part):
            out.extend(c.strip() for c in part.split(",") if c.strip())
        else:
            out.append(part)
    return [p.strip() for p in out if _ET_AL_RE.sub("", p).strip(" ,.")]


def _is_comma_list(text: str) -> bool:
    """ "Smith J, Jones K" (every comma-separated chunk a whole name), not "Smith, John"."""
    chunks = [c.strip() for c in text.split(",") if c.strip()]
    return len(chunks) > 1 and all(_NAME_WITH_INITIALS_RE.fullmatch(c) for c in chunks)


def _family_key(family: str) -> str:
    """``family`` is ASCII letters, spaces and ,.'- already (see parse_author)."""
    tokens = _NOT_LETTER_RE.sub("", family.lower().replace("-", " ")).split()
    if len(tokens) > 1:
        tokens = [t for t in tokens if t not in _SUFFIXES] or tokens  # "Lynch Jr"
        while len(tokens) > 1 and tokens[0] in _PARTICLES:
            tokens = tokens[1:]
    return "".join(tokens)


def _initials(given: str) -> str:
    letters = [t[0] for t in _GIVEN_SPLIT_RE.split(given.lower()) if t and t[0].isalpha()]
    return "".join(letters)[:4]


@lru_cache(maxsize=1 << 16)
def parse_author(name: str | None) -> AuthorName | None:
    """Family key and initials of one name, or None when nothing name-like is left."""
    if not name:
        return None
    fast = _FAMILY_INITIALS_RE.fullmatch(name.strip())
    if fast:  # "Smith JA", "Smith, J. A.", "Smith-Jones J": most exported names
        family, initials = fast.groups()
        return AuthorName(
            family.lower().replace("-", ""), initials.replace(".", "").replace(" ", "").lower()
        )
    text = fold(name, lower=False)
    if "al" in text or "AL" in text:
        text = _ET_AL_RE.sub("", text)
    text = " ".join(_NAME_JUNK_RE.sub(" ", text).split()).strip(" ,;.")
    if not text:
        return None
    if "," in text:
        pieces = [p.strip() for p in text.split(",") if p.strip()]
        # "Lynch, Jr., J.": the first piece is the family name, even one that looks like a
        # suffix ("Iv, A."); later suffix pieces are dropped
        family, *rest = pieces
        given = " ".join(p for p in rest if p.lower().strip(".") not in _SUFFIXES)
    else:
        tokens = [t for t in text.split() if t.lower().strip(".") not in _SUFFIXES] or text.split()
        cut = len(tokens)
        while cut > 1 and _INITIALS_RE.fullmatch(tokens[cut - 1]):
            cut -= 1
        if cut < len(tokens):  # "Family GI" / "Family G. I."
            family, given = " ".join(tokens[:cut]), "".join(tokens[cut:])
            given = " ".join(c for c in given if c.isalpha())
        else:  # "Given Family", "G. Family", "Given van Family"
            start = len(tokens) - 1
            while start > 0 and tokens[start - 1].lower() in _PARTICLES:
                start -= 1
            family, given = " ".join(tokens[start:]), " ".join(tokens[:start])
    key = _family_key(family)
    if not key:
        return None
    return AuthorName(key, _initials(given))


def swapped(a: AuthorName, b: AuthorName) -> bool:
    """True when one name looks like the other with given and family names swapped (a
    database that reads "Andrea, C." for "Carignani, Andrea" keeps the given name as family
    and the family's initial) or with a particle taken for the family name ("Le, Q. M." for
    "Le Quintrec, M."). Only each side's first letters are left to compare, so callers
    use this for names in the same position of two lists whose titles already agree."""
    if not a.initials or not b.initials or a.family == b.family:
        return False
    for particle, other in ((a, b), (b, a)):  # "Le, Q. M." for "Le Quintrec, M."
        if (
            particle.family in _PARTICLES
            and particle.initials[0] == other.family[0]
            and other.initials[:1] in particle.initials[1:]  # "Do, K." is not "Kim, D."
        ):
            return True
    return a.initials[0] == b.family[0] and b.initials[0] == a.family[0]


def same_author_list(a: Sequence[AuthorName], b: Sequence[AuthorName]) -> bool:
    """The same names in the same order, each family name and first initial alike (two
    names at least): what two exports of one citation give, written in any style."""
    return (
        len(a) == len(b) >= 2
        and all(x.family == y.family for x, y in zip(a, b, strict=True))
        and all(x.initials[:1] == y.initials[:1] for x, y in zip(a, b, strict=True))
    )


def normalise_authors(
    authors: Iterable[str] | str | None, *, limit: int | None = None
) -> list[AuthorName]:
    """Parsed authors in order (the first ``limit``); an item holding a whole author list
    is split first."""
    if not authors:
        return []
    items: Sequence[str] = [authors] if isinstance(authors, str) else list(authors)
    names: list[AuthorName] = []
    for item in items:
        names.extend(_parse_item(item))
        if limit is not None and len(names) >= limit:
            return names[:limit]
    return names


@lru_cache(maxsize=1 << 16)
def _parse_item(item: str) -> tuple[AuthorName, ...]:
    parsed = (parse_author(piece) for piece in split_author_list(item))
    return tuple(p for p in parsed if p is not None)
