"""From field comparisons to a decision: Fellegi–Sunter weights plus a few stated rules.

Fellegi & Sunter, "A theory for record linkage", JASA 64 (1969): each field's agreement
level contributes log2(m / u), where m = P(level | same record) and u = P(level | different
records). The pairs compared are candidates that already look alike (blocking), so u is the
chance among look-alikes that are *not* the same record (a conference abstract and its full
article share title and authors; they differ in pages, year, abstract). The m and u below are
judgement from how bibliographic databases export records (reasons per field), checked
against the reference sets in ../shared/data but not fitted to them; no rule names a
record. Weights are summed as if fields were independent, as Fellegi–Sunter do; the rules
below cover the dependent cases the sum gets wrong (notices, meeting abstracts,
translations, conflicting identifiers).
"""

from __future__ import annotations

import math

from review_app.domain.dedup.authors import same_author_list
from review_app.domain.dedup.compare import FieldComparison
from review_app.domain.dedup.prepared import PreparedRecord
from review_app.domain.dedup.records import Decision


def _w(m: float, u: float) -> float:
    return round(math.log2(m / u), 2)


# (m, u) per field and level; "missing" always weighs 0.
WEIGHTS: dict[str, dict[str, float]] = {
    # Titles: copies differ by case, punctuation, a typo, a bracket; look-alikes rarely match.
    "title": {
        "exact": _w(0.80, 0.0016),  # informative title; scaled down for short titles
        "very_high": _w(0.15, 0.0016),
        "high": _w(0.03, 0.002),
        "contained": _w(0.03, 0.003),  # a subtitle or the original-language title added
        "medium": _w(0.012, 0.01),
        "low": _w(0.005, 0.04),
        "different": _w(0.003, 0.95),
    },
    # DOIs: shared DOIs of distinct records exist (a supplement DOI on every abstract).
    "doi": {"exact": _w(0.97, 0.004), "different": _w(0.03, 0.99)},
    "pmid": {"exact": _w(0.99, 0.0005), "different": _w(0.005, 0.99)},
    # Authors: look-alikes are mostly by the same group, so agreement says little.
    "authors": {
        "same": _w(0.92, 0.35),
        "partial": _w(0.05, 0.15),
        "first_only": _w(0.015, 0.1),
        "different": _w(0.015, 0.4),
    },
    # Years: online-first vs print gives one-year gaps between true copies.
    # Proceedings of one event (see compare_event_year): the meeting's year and the volume's
    # year differ in about a third of true copies; the same title at the event the next year
    # is rare among look-alikes.
    "year": {
        "exact": _w(0.95, 0.45),
        "one_apart": _w(0.045, 0.3),
        "same_event": _w(0.3, 0.1),
        "different": _w(0.005, 0.25),
    },
    "journal": {"exact": _w(0.85, 0.35), "different": _w(0.15, 0.65)},
    # Volumes and issues are mis-parsed now and then ("55 (Suppl 1)" split over two fields).
    "volume": {"exact": _w(0.93, 0.2), "different": _w(0.07, 0.8)},
    "issue": {"exact": _w(0.85, 0.3), "different": _w(0.15, 0.7)},
    # Pages: a whole range shared by two look-alikes that are not one record is rare (the
    # same page of the same volume); a first page alone is shared by meeting abstracts
    # printed on one page. e-locators vs page ranges and online-first pages account for m.
    # One article number ("e43268", "CD006273") agreeing rates "exact": like a whole range,
    # no other item of the journal carries it.
    "pages": {
        "exact": _w(0.70, 0.001),
        "start": _w(0.23, 0.03),
        "near": _w(0.02, 0.02),
        "different": _w(0.04, 0.96),
    },
    # Abstracts: copies carry the same text, bar headings and case; an encore abstract or an
    # article reusing its conference abstract is the look-alike that shares text.
    "abstract": {
        "exact": _w(0.55, 0.005),
        "high": _w(0.2, 0.015),
        "medium": _w(0.12, 0.08),
        "different": _w(0.13, 0.9),
    },
}

TRANSLATED_TITLE_FLOOR = _w(0.45, 0.95)

# Thresholds on the summed log2 likelihood ratio (bits). CERTAIN needs the evidence of an
# informative title plus independent agreement on the bibliographic details.
CERTAIN = 12.5
UNCERTAIN = 5.0
_INFORMATIVE_WORDS = 7  # a title with this many significant words gets the full title weight
_STOPWORDS = frozenset("a an the of in on and or for to with by at from is are as its".split())


def title_information(title: str) -> float:
    """1.0 for a long specific title, down to 0.4 for a one-word title ("Editorial")."""
    significant = sum(1 for w in title.split() if w not in _STOPWORDS and len(w) > 1)
    return min(1.0, 0.3 + 0.1 * significant) if significant < _INFORMATIVE_WORDS else 1.0


def weigh(
    comparisons: dict[str, FieldComparison], title: str, *, translated: bool = False
) -> dict[str, float]:
    """Weight (bits) contributed by each field.

    When either title is a translation (or carries the original-language title), unlike
    titles are common among true copies (one database gives the English title, another the
    original or its own translation): m(unlike | same record) rises to about 0.45, so the
    title's negative weight is floored at log2(0.45 / 0.95).
    """
    weights: dict[str, float] = {}
    for name, comparison in comparisons.items():
        weight = WEIGHTS[name].get(comparison.level, 0.0)
        if name == "title" and weight > 0:
            weight *= title_information(title)
        if name == "title" and translated:
            weight = max(weight, TRANSLATED_TITLE_FLOOR)
        weights[name] = round(weight, 2)
    return weights


def _strong(levels: dict[str, str]) -> bool:
    """Evidence strong enough to outweigh a conflicting identifier (a mistyped DOI)."""
    return (
        levels["title"] in ("exact", "very_high")
        and levels["authors"] == "same"
        and levels["year"] == "exact"
        and levels["pages"] in ("exact", "start")
        and "exact" in (levels["volume"], levels["journal"])
    )


def _same_report(article: PreparedRecord, levels: dict[str, str]) -> bool:
    """Positive evidence that a record flagged as a meeting abstract and one not flagged are
    the same report: shared pages or identifiers, the same abstract text, or the unflagged
    record has a volume but no pages (an abstract's record, not a paginated article) in the
    same journal, volume and year."""
    if "exact" in (levels["doi"], levels["pmid"]) or levels["pages"] in ("exact", "start"):
        return True
    if levels["abstract"] in ("exact", "high"):
        return True
    return (
        article.pages.start is None
        and levels["volume"] == levels["journal"] == levels["year"] == "exact"
    )


def apply_rules(
    x: PreparedRecord, y: PreparedRecord, levels: dict[str, str]
) -> tuple[str, list[str]]:
    """Cap the decision where a rule says so: returns (highest decision allowed, reasons)."""
    reasons: list[str] = []
    if x.notice != y.notice:  # an erratum, retraction, comment or reply is not the article
        mismatch = f"notice_mismatch:{x.notice or 'article'}/{y.notice or 'article'}"
        if x.notice_in_title or y.notice_in_title:
            return "different", [mismatch]
        # Only the databases' publication types disagree (one indexes a letter as "Comment",
        # another as an article): a person decides.
        return "uncertain", [f"{mismatch}:type_only"]
    conflicts = [f for f in ("doi", "pmid") if levels[f] == "different"]
    if conflicts and not _strong(levels):
        reasons.extend(f"{f}_conflict" for f in conflicts)
    if x.meeting != y.meeting:  # a conference abstract and the article are two reports
        clash = [levels[f] for f in ("pages", "volume", "abstract", "year")]
        if "different" in clash or "one_apart" in clash:
            return "different", [*reasons, "meeting_vs_article"]
        if not _same_report(x if y.meeting else y, levels):
            reasons.append("meeting_vs_article_unconfirmed")
    if x.translated != y.translated and levels["pages"] == levels["journal"] == "different":
        return "different", [*reasons, "translation_in_other_journal"]
    other_venue = levels["journal"] == "different" and "different" in (
        levels["volume"],
        levels["pages"],
    )
    if other_venue and "exact" not in (levels["doi"], levels["pmid"]):
        # Copies disagree on a journal's name often, on its volume or pages rarely: both at
        # once is the same text in two venues (an encore abstract, a duplicate publication).
        reasons.append("other_venue")
    if levels["year"] == "different":
        reasons.append("years_apart")
    return ("uncertain" if reasons else "certain"), reasons


# The citation fields that must agree in :func:`same_citation`, and those that, present on
# both sides, must not disagree.
_CITATION_AGREES = ("title", "year", "journal")
_CITATION_NOT_AGAINST = ("doi", "pmid", "volume", "issue", "pages", "abstract")
_MIN_CITATION_TITLE_INFORMATION = 0.6  # three significant words: not "Editorial", "Asthma"


def same_citation(x: PreparedRecord, y: PreparedRecord, levels: dict[str, str]) -> bool:
    """One citation exported twice, one copy missing some fields (pages, volume, abstract):
    the same informative title, the same author list name by name (two names at least, the
    family names and first initials in order), the same year and journal, and no field
    present on both sides disagreeing.

    The weights give such a pair no credit for the fields one copy lacks, so a short title
    ("Corticosteroids for tuberculous pleurisy", a Cochrane review indexed without its review
    number) stays below CERTAIN. The conjunction is much rarer among different records
    than its parts: bib-dedupe merges on it (match_conditions.py, the "missing fields" rule:
    author and title identical, year matching, volume, number, pages, DOI and abstract not
    contradicting). This rule asks more: the journal must match, and a one-name list or a
    title of one or two significant words does not count (editorials by one editor recur
    under one generic title). It raises a pair to ``certain`` only where no rule capped it.
    """
    return (
        all(levels[f] == "exact" for f in _CITATION_AGREES)
        and not any(levels[f] in ("different", "near") for f in _CITATION_NOT_AGAINST)
        and title_information(x.title) >= _MIN_CITATION_TITLE_INFORMATION
        and same_author_list(x.authors, y.authors)
    )


def decide(score: float, cap: str) -> Decision:
    """Decision from the score, no higher than the cap set by the rules."""
    decision: Decision = (
        "certain" if score >= CERTAIN else "uncertain" if score >= UNCERTAIN else "different"
    )
    order = {"different": 0, "uncertain": 1, "certain": 2}
    if order[decision] > order[cap]:
        decision = "uncertain" if cap == "uncertain" else "different"
    return decision
