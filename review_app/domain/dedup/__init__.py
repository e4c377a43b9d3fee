"""Deduplication engine: pure functions over plain dataclasses (no database, no UI).

Use::

    from review_app.domain.dedup import DedupRecord, find_duplicates, choose_primary, merge_fields

    result = find_duplicates(records)                     # a first import
    result = find_duplicates(new_records, existing=kept)  # a search update: new x new and
                                                          # new x existing, no existing x existing
    result.certain_pairs     # PairDecision(a, b, "certain", score, evidence): merge automatically
    result.uncertain_pairs   # the review queue, strongest first
    result.clusters          # sets of ids joined by certain pairs only
    primary = choose_primary([by_id[i] for i in cluster])
    fields = merge_fields([by_id[i] for i in cluster])    # best value per field

Every decision carries ``evidence``, a JSON-safe dict: per field the agreement level, the
similarity where one was measured and the weight it added, the fields that matched and that
conflicted, the rules that capped the decision, and, for a certain pair the cluster
safeguards refused, ``safeguard`` (why). Store it with the merge so a merge can be shown and
undone.

How it decides (modules in order):

1. ``prepared`` normalises every field once: titles (Unicode folding, case, punctuation, HTML,
   bracketed notes such as "[Article in German]" or "[Erratum appears in ...]", MEDLINE's
   [translated title] brackets), the notice a title announces ("Erratum:", "Comment on",
   "Reply", "Retraction"), authors (family name + initials from any style), journals (ISO 4
   abbreviations, alternative names, ISSNs), pages ("91-2" = "91-92", "e123", spreadsheet
   dates), DOI, PMID, year, volume, issue, and whether the record is a meeting abstract.
2. ``blocking`` proposes candidate pairs without comparing all pairs: exact DOI, PMID and title
   blocks, plus multi-pass sorted neighbourhood (title, reversed title, first author + year,
   pages + year + volume). Work grows as n log n.
3. ``compare`` rates each field of a pair (title via rapidfuzz Indel similarity, a contained
   or word-substituted title, author overlap, year gap, journal match, volume, issue, page
   range, where one article number such as "e43268" or "CD006273" counts as the whole range,
   abstract similarity, DOI, PMID).
4. ``scoring`` sums Fellegi–Sunter log2 likelihood ratios (documented m/u per level) and
   applies rules: an erratum, retraction, comment or reply is never the article; a meeting
   abstract is not its full article; a translation published in another journal is another
   record; conflicting DOIs or PMIDs or years apart cap the pair at ``uncertain``.
   ``certain`` needs 12.5 bits (an informative title plus agreeing authors, year and
   journal, or an identical citation); 5 bits puts a pair in the review queue. One citation
   exported twice with fields missing from one copy (same informative title, author list,
   year and journal, nothing disagreeing) is raised to ``certain`` (bib-dedupe's rule).
5. ``clustering`` joins certain pairs by union-find, strongest first, and refuses a join when
   any two members of the would-be cluster conflict (rule or fields), so weak chains cannot
   merge different records. A doubtful pair whose records are already in one cluster leaves
   the review queue.
6. ``merging`` picks the primary (most complete copy) and the best value of each field.
"""

from review_app.domain.dedup.authors import AuthorName, normalise_authors, split_author_list
from review_app.domain.dedup.engine import find_duplicates
from review_app.domain.dedup.journals import journal_variants, journals_match
from review_app.domain.dedup.merging import choose_primary, merge_fields
from review_app.domain.dedup.pages import PageRange, normalise_pages
from review_app.domain.dedup.records import Decision, DedupRecord, DedupResult, PairDecision
from review_app.domain.dedup.text import (
    normalise_doi,
    normalise_pmid,
    normalise_title,
    normalise_year,
)

__all__ = [
    "AuthorName",
    "Decision",
    "DedupRecord",
    "DedupResult",
    "PageRange",
    "PairDecision",
    "choose_primary",
    "find_duplicates",
    "journal_variants",
    "journals_match",
    "merge_fields",
    "normalise_authors",
    "normalise_doi",
    "normalise_pages",
    "normalise_pmid",
    "normalise_title",
    "normalise_year",
    "split_author_list",
]
