"""Journal names: full titles, ISO 4 abbreviations and the decorations databases add.

"J Biol Med" and "Journal of Biological Medicine" match word by word: each abbreviated word
starts like the full word and its letters appear in it in order ("Natl" in "National"), the
ISO 4 way of abbreviating (ISO 4:1997, List of Title Word Abbreviations). A name is split
into variants at the separators databases use ("Ai zheng = Chinese journal of cancer",
"Circulation. Conference: American Heart Association", "JPEN. Journal of parenteral ...")
and any variant may match: each alternative name after "=", and each of them cut at a ":" or
" - " (the name before a subtitle). Shared ISSNs also count as the same journal.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from review_app.domain.dedup.text import fold

_STOPWORDS = frozenset(
    "the of and for in on an at to de la le les et der die das und fur del des du di da em il "
    "y e i d l".split()
)
_DECORATION_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
# ". " separates a name from what follows only before these words (Embase's
# "Stroke. Conference: ..." and MEDLINE's "JPEN. Journal of ..."); elsewhere "." abbreviates.
_DOT_SEPARATOR_RE = re.compile(
    r"\.\s+(?=(?:conference|congress|meeting|journal|supplement|abstracts|proceedings)\b)",
    re.IGNORECASE,
)
_SEPARATOR_RE = re.compile(r"\s*(?:[:|/]|\s-\s|\s–\s)\s*")
_MIN_CONTAINED_WORDS = 4
_MIN_BRACKETED_WORDS = 3  # "(Amsterdam, Netherlands)" is a place, not another name
# Words a conference adds around its acronym ("AMCIS 2017 Proceedings").
_EVENT_WORDS = frozenset(
    "proceedings conference abstracts meeting annual congress symposium".split()
)

# An event's acronym with its year, as proceedings titles carry it: "ECIS 2019",
# "(ICIS'19)", "HICSS-52" is not matched (a count, not a year).
_EVENT_TAG_RE = re.compile(r"\b([A-Z][A-Za-z]{0,3}[A-Z]{2,7})\s*['’]?\s*((?:19|20)\d{2}|\d{2})\b")
_EVENT_NAME_RE = re.compile(r"\b(?:proceedings|conference|symposium|workshop|congress)\b", re.I)
EVENT_MARK = "@event"  # first word of a variant that is an event acronym (no name starts so)

Variant = tuple[str, ...]


def _canonical_words(text: str, *, join_hyphens: bool = True) -> Variant:
    text = fold(text).replace("&", " and ")
    text = re.sub(r"\b[dl]['’](?=[a-z])", "", text)  # "d'anesthesie" = "anesthesie"
    text = re.sub(r"(?<=[a-z])'(?=[a-z])", "", text)  # "langenbeck's"
    # "Cardio-thoracic" is abbreviated "Cardiothorac" and "Pathologie-biologie" "Pathol Biol":
    # both spellings are kept as variants.
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", "" if join_hyphens else " ", text)
    tokens = re.sub(r"[^a-z0-9]+", " ", text).split()
    return tuple(t for t in tokens if t not in _STOPWORDS)


@lru_cache(maxsize=1 << 14)
def journal_variants(journal: str | None) -> frozenset[Variant]:
    """The names a journal field may stand for, each as a tuple of significant words."""
    if not journal:
        return frozenset()
    text = str(journal)
    variants: set[Variant] = set()
    for match in _DECORATION_RE.finditer(text):  # "Gan to Kagaku Ryoho [Japanese Journal of ...]"
        inner = _canonical_words(match.group(0)[1:-1])
        if sum(1 for t in inner if not t.isdigit()) >= _MIN_BRACKETED_WORDS:
            variants.add(inner)
    text = _DOT_SEPARATOR_RE.sub(" : ", _DECORATION_RE.sub(" ", text))
    for name in text.split("="):  # "Ai zheng = Aizheng = Chinese journal of cancer"
        pieces = [p for p in _SEPARATOR_RE.split(name) if p.strip()]
        for k in range(1, len(pieces) + 1):
            variants.add(_canonical_words(" ".join(pieces[:k])))
            variants.add(_canonical_words(" ".join(pieces[:k]), join_hyphens=False))
    variants.update(_event_variants(str(journal)))
    return frozenset(v for v in variants if v and len("".join(v)) >= 4)


def _event_variants(text: str) -> set[Variant]:
    """A proceedings title's event acronyms ("ECIS" from "... (ECIS 2019)" or "ECIS 2019
    Proceedings"): one database gives the conference's full name, another its acronym, and
    the acronym is what both keep. Only names of proceedings or conferences are read, so a
    journal's own capitals ("JAMA 2019") are not taken for an event."""
    if not _EVENT_NAME_RE.search(text):
        return set()
    return {(EVENT_MARK, m.group(1).lower()) for m in _EVENT_TAG_RE.finditer(text)}


def same_event(a: frozenset[Variant], b: frozenset[Variant]) -> bool:
    """True when two venue names share an event acronym (see :func:`_event_variants`)."""
    return any(v[0] == EVENT_MARK and v in b for v in a)


def _abbreviates(short: str, full: str) -> bool:
    """True when ``short`` is ``full`` or an abbreviation of it ("natl" ~ "national")."""
    if short == full:
        return True
    if not short or short[0] != full[0] or len(short) >= len(full):
        return False
    if short.isdigit() or full.isdigit():
        return False
    position = 0
    for char in short:
        position = full.find(char, position) + 1
        if position == 0:
            return False
    return True


def _segments_abbreviate(token: str, full: Variant) -> bool:
    """True when ``token`` is the words of ``full`` abbreviated and run together:
    "jthoraccardiovascsurg" (J Thorac Cardiovasc Surg), "amcis" (AMerican Conference on
    Information Systems)."""
    if len(full) < 2 or len(full) > 8 or len(token) < 3:
        return False

    @cache
    def fits(position: int, word: int) -> bool:
        if word == len(full):
            return position == len(token)
        return any(
            _abbreviates(token[position:end], full[word]) and fits(end, word + 1)
            for end in range(position + 1, len(token) + 1)
        )

    return fits(0, 0)


def _core(variant: Variant) -> Variant:
    return tuple(t for t in variant if not t.isdigit() and t not in _EVENT_WORDS)


def _variants_match(a: Variant, b: Variant) -> bool:
    if a == b or "".join(a) == "".join(b):  # "Ai zheng" = "Aizheng"
        return True
    core_a, core_b = _core(a), _core(b)
    if len(core_a) == 1 and _segments_abbreviate(core_a[0], b):
        return True
    if len(core_b) == 1 and _segments_abbreviate(core_b[0], a):
        return True
    if len(a) == len(b) > 1:  # a one-word title is never abbreviated (ISO 4)
        return all(_abbreviates(x, y) or _abbreviates(y, x) for x, y in zip(a, b, strict=True))
    short, long = (a, b) if len(a) < len(b) else (b, a)
    if len(short) >= _MIN_CONTAINED_WORDS:  # "Chung-Hua ... Chinese Journal of Tuberculosis"
        return long[: len(short)] == short or long[-len(short) :] == short
    return False


@lru_cache(maxsize=1 << 16)
def journals_match(a: frozenset[Variant], b: frozenset[Variant]) -> bool:
    """True when any variant of one journal name matches any variant of the other."""
    return any(_variants_match(x, y) for x in a for y in b)
