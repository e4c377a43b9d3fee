"""Field-by-field comparison of two prepared records: an agreement level per field.

Levels are discrete so that each can carry a Fellegi–Sunter weight (see ``scoring``);
similarities are rapidfuzz normalised Indel similarities in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from rapidfuzz.distance import Indel

from review_app.domain.dedup.authors import AuthorName, swapped
from review_app.domain.dedup.journals import journals_match, same_event
from review_app.domain.dedup.prepared import PreparedRecord

_AUTHORS_COMPARED = 12
_NAME_SIMILARITY = 0.8  # "ekmekciolu" ~ "ekmekcioglu" (a character lost on export)
_ABSTRACT_CHARS = 500
_ABSTRACT_LEVELS = (("exact", 0.98), ("high", 0.9), ("medium", 0.7))
_MIN_CONTAINED_TITLE_WORDS = 6
_NEAR_PAGES = 3
_WORD_VARIANT_SIMILARITY = 0.8  # "randomised"/"randomized", "tumour"/"tumor", one typo
_ROMAN = frozenset("i ii iii iv v vi vii viii ix x xi xii".split())


@dataclass(frozen=True, slots=True)
class FieldComparison:
    """How one field compared: a level name and, where measured, a similarity."""

    level: str  # exact, very_high, high, contained, medium, low, different, missing, ...
    similarity: float | None = None


def is_contained(a: str, b: str) -> bool:
    """One title is the other with words added before or after (a subtitle, a corporate
    author, the original-language title) and is long enough to mean something alone."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short.split()) < _MIN_CONTAINED_TITLE_WORDS:
        return False
    return long.startswith(short + " ") or long.endswith(" " + short)


def has_substitution(a: str, b: str) -> bool:
    """True when one title has a word where the other has a different word that is not a
    spelling variant of it: "type 1" / "type 2", "phase ii" / "phase iii", "mice" / "rats",
    "alpha" / "gamma". Such near-identical titles name different studies, often by one group.
    Numbers must match exactly; other words may differ by a typo, a British spelling or a
    truncation ("tumour", "randomised", "staphyloc")."""
    wa, wb = set(a.split()), set(b.split())
    only_a, only_b = wa - wb, wb - wa
    if not only_a or not only_b:
        return False
    for words, other in ((a.split(), only_b), (b.split(), only_a)):  # "co transporter"
        for first, second in pairwise(words):
            if first + second in other:
                only_a -= {first, second, first + second}
                only_b -= {first, second, first + second}
    if not only_a or not only_b:
        return False
    for word in only_a:
        if any(_spelling_variant(word, other) for other in only_b):
            continue
        return True
    return False


def _spelling_variant(a: str, b: str) -> bool:
    if a.isdigit() or b.isdigit() or a in _ROMAN or b in _ROMAN:
        return False
    if min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)):
        return True
    return Indel.normalized_similarity(a, b) >= _WORD_VARIANT_SIMILARITY


def title_level(
    similarity: float, *, same_key: bool, contained: bool = False, substituted: bool = False
) -> str:
    """Level of title agreement from the Indel similarity of the normalised titles; a title
    with a word substituted (see :func:`has_substitution`) rates ``medium`` at most."""
    if same_key:
        return "exact"
    if substituted:
        return "medium" if similarity >= 0.80 else "low" if similarity >= 0.70 else "different"
    if similarity >= 0.95:
        return "very_high"
    if similarity >= 0.90:
        return "high"
    if contained:
        return "contained"
    if similarity >= 0.80:
        return "medium"
    if similarity >= 0.70:
        return "low"
    return "different"


def _names_match(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) >= 4 and (a.endswith(b) or b.endswith(a)):  # "maasenriquez"
        return True
    return Indel.normalized_similarity(a, b) >= _NAME_SIMILARITY


def _swapped_in_place(
    a: tuple[AuthorName, ...], b: tuple[AuthorName, ...], shared: set[str]
) -> int:
    """Names at the same position with given and family names swapped ("Andrea, C." for
    "Carignani, Andrea"), neither matched already: a position keeps the pairing honest where
    two first letters alone would match many names."""
    return sum(
        1
        for x, y in zip(a, b, strict=False)
        if x.family not in shared
        and y.family not in shared
        and not _names_match(x.family, y.family)
        and swapped(x, y)
    )


def compare_authors(a: tuple[AuthorName, ...], b: tuple[AuthorName, ...]) -> FieldComparison:
    """Share of the shorter author list found in the other, and whether first authors agree."""
    if not a or not b:
        return FieldComparison("missing")
    fa = [n.family for n in a[:_AUTHORS_COMPARED]]
    fb = [n.family for n in b[:_AUTHORS_COMPARED]]
    shared = set(fa) & set(fb)
    matched = sum(1 for f in fa if f in shared)
    left_a = [f for f in fa if f not in shared]
    left_b = [f for f in fb if f not in shared]
    for family in left_a:  # spelling variants: "ekmekciolu" ~ "ekmekcioglu"
        hit = next((x for x in left_b if _names_match(family, x)), None)
        if hit is not None:
            left_b.remove(hit)
            matched += 1
    matched += _swapped_in_place(a[:_AUTHORS_COMPARED], b[:_AUTHORS_COMPARED], shared)
    overlap = min(1.0, matched / min(len(fa), len(fb)))
    first = _names_match(fa[0], fb[0]) or swapped(a[0], b[0])
    if first and overlap >= 0.8:
        level = "same"
    elif overlap >= 0.5:
        level = "partial"
    elif first:
        level = "first_only"
    else:
        level = "different"
    return FieldComparison(level, round(overlap, 3))


def compare_year(a: int | None, b: int | None) -> FieldComparison:
    """Same year, one apart (online vs print), or further apart."""
    if a is None or b is None:
        return FieldComparison("missing")
    gap = abs(a - b)
    return FieldComparison("exact" if gap == 0 else "one_apart" if gap == 1 else "different")


def compare_event_year(x: PreparedRecord, y: PreparedRecord) -> FieldComparison:
    """Years, where one year apart in two proceedings of the same event rates ``same_event``:
    one database gives the year the conference met, another the year its proceedings
    appeared."""
    year = compare_year(x.year, y.year)
    if year.level == "one_apart" and same_event(x.journal, y.journal):
        return FieldComparison("same_event")
    return year


def compare_equal(a: str | None, b: str | None) -> FieldComparison:
    """Equality of two normalised identifiers or numbers."""
    if not a or not b:
        return FieldComparison("missing")
    return FieldComparison("exact" if a == b else "different")


def compare_journal(x: PreparedRecord, y: PreparedRecord) -> FieldComparison:
    """Shared ISSN, or a journal name variant matching (abbreviations allowed)."""
    if x.issns and y.issns and x.issns & y.issns:
        return FieldComparison("exact")
    if not x.journal or not y.journal:
        return FieldComparison("missing")
    return FieldComparison("exact" if journals_match(x.journal, y.journal) else "different")


def compare_pages(x: PreparedRecord, y: PreparedRecord) -> FieldComparison:
    """``exact``: same first and last page, or the same article number ("e43268",
    "CD006273": it names one article, see ``PageRange.is_article_number``); ``start``: same
    first page ("S31" = "31" when
    only one side has the letter; any shared range when several are listed); ``near``: first
    pages at most 3 apart (a typo, or a range shifted by the publisher); else ``different``."""
    a, b = x.pages, y.pages
    if a.start is None or b.start is None or _online_first(x) or _online_first(y):
        return FieldComparison("missing")
    same_start = (
        a.start == b.start
        or (a.start_digits == b.start_digits and (a.start.isdigit() or b.start.isdigit()))
        or bool(a.starts & b.starts)  # several ranges listed in another order ("233-8, 230-5")
    )
    if same_start:
        both_ends = a.end is not None and b.end is not None and a.start == b.start
        if (both_ends and a.end == b.end) or (a.is_article_number and a.start == b.start):
            return FieldComparison("exact")
        return FieldComparison("start")
    da, db = a.start_digits, b.start_digits
    same_prefix = a.start.rstrip("0123456789") == b.start.rstrip("0123456789")
    if da and db and same_prefix and abs(int(da[:9]) - int(db[:9])) <= _NEAR_PAGES:
        return FieldComparison("near")
    return FieldComparison("different")


def _online_first(r: PreparedRecord) -> bool:
    """An ahead-of-print record: no volume, and pages counted from 1 within the article, so
    its pages cannot be compared with the printed ones."""
    return r.volume is None and r.pages.start == "1"


def compare_abstract(a: str, b: str) -> FieldComparison:
    """Similarity of the openings of two abstracts (copies differ only in headings, case)."""
    if len(a) < 50 or len(b) < 50:
        return FieldComparison("missing")
    sim = Indel.normalized_similarity(a[:_ABSTRACT_CHARS], b[:_ABSTRACT_CHARS])
    level = next((name for name, floor in _ABSTRACT_LEVELS if sim >= floor), "different")
    return FieldComparison(level, round(sim, 3))


def compare_records(
    x: PreparedRecord, y: PreparedRecord, title_similarity: float
) -> dict[str, FieldComparison]:
    """Every field comparison for one pair; ``title_similarity`` is computed in bulk upstream."""
    if not x.title or not y.title:
        title = FieldComparison("missing")
    else:
        title = FieldComparison(
            title_level(
                title_similarity,
                same_key=x.title_key == y.title_key != "",
                contained=is_contained(x.title, y.title),
                substituted=title_similarity >= 0.8 and has_substitution(x.title, y.title),
            ),
            round(title_similarity, 3),
        )
    return {
        "title": title,
        "doi": compare_equal(x.doi, y.doi),
        "pmid": compare_equal(x.pmid, y.pmid),
        "authors": compare_authors(x.authors, y.authors),
        "year": compare_event_year(x, y),
        "journal": compare_journal(x, y),
        "volume": compare_equal(x.volume, y.volume),
        "issue": compare_equal(x.issue, y.issue),
        "pages": compare_pages(x, y),
        "abstract": compare_abstract(x.abstract, y.abstract),
    }
