"""The numbers of a PRISMA 2020 flow diagram for a new systematic review (pure; no database).

The boxes follow the PRISMA 2020 flow diagram for "new systematic reviews which included searches
of databases, registers and other sources" (Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA
2020 statement: an updated guideline for reporting systematic reviews. BMJ 2021;372:n71, fig. 1,
version 1). Box totals that are sums of listed parts (records identified from databases, reports
excluded) are properties, so they cannot disagree with their parts; every other box is stored and
checked by :func:`review_app.domain.prisma.invariants.check_invariants`.

A labelled count is a ``(label, n)`` tuple: a database and its records, an exclusion reason and its
reports, an other-methods source and its records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

LabelledCount = tuple[str, int]

# The other-methods sources named by the template ("Websites", "Organisations", "Citation
# searching", "etc."). The PRISMA2020 R package's CSV has one row for each of these three.
WEBSITES = "Websites"
ORGANISATIONS = "Organisations"
CITATION_SEARCHING = "Citation searching"
OTHER_SOURCE_NAMES = (WEBSITES, ORGANISATIONS, CITATION_SEARCHING)


def total(parts: Iterable[LabelledCount]) -> int:
    """The sum of the counts of ``(label, n)`` parts."""
    return sum(n for _, n in parts)


@dataclass(frozen=True, slots=True)
class OtherMethods:
    """The right-hand column: identification of studies via other methods.

    Records from these sources are not screened in the template: they go straight to "Reports
    sought for retrieval". Reports that pass assessment join the shared "Studies included in
    review" box.
    """

    sources: tuple[LabelledCount, ...]  # records identified per source, e.g. ("Websites", 4)
    reports_sought: int
    reports_not_retrieved: int
    reports_assessed: int
    reports_excluded: tuple[LabelledCount, ...]  # (reason, reports)
    # While screening goes on (not in the template; drawn only when non-zero, see PrismaCounts)
    records_awaiting_screening: int = 0
    reports_awaiting_assessment: int = 0

    @property
    def records_identified(self) -> int:
        return total(self.sources)

    @property
    def reports_excluded_total(self) -> int:
        return total(self.reports_excluded)

    @property
    def reports_included(self) -> int:
        """Reports of included studies found via other methods (assessed - excluded - awaiting)."""
        return (
            self.reports_assessed - self.reports_excluded_total - self.reports_awaiting_assessment
        )

    @property
    def is_provisional(self) -> bool:
        return self.records_awaiting_screening > 0 or self.reports_awaiting_assessment > 0


@dataclass(frozen=True, slots=True)
class PrismaCounts:
    """Every number of the PRISMA 2020 flow diagram for a new review (Page et al. 2021, fig. 1).

    ``new_studies`` and ``new_reports`` fill the shared "Studies included in review" box: they
    count the studies and reports included from both columns.

    While screening goes on, the two "awaiting" counts keep every box a sum of its parts without
    pretending the review is finished. They are not in the template: like "Records excluded" they
    leave the flow to the side, so ``reports_sought = records_screened - records_excluded -
    records_awaiting_screening`` and ``reports_included = reports_assessed - reports_excluded -
    reports_awaiting_assessment``; the drawing shows them as extra boxes with a "Provisional" note
    when they are non-zero, and the PRISMA2020 CSV (which has no row for them) notes them in the
    labels of the boxes they came from.
    """

    # Identification (databases and registers)
    databases: tuple[LabelledCount, ...]  # records identified per database, e.g. ("PubMed", 120)
    registers: tuple[LabelledCount, ...]  # records identified per register
    duplicates_removed: int
    automation_ineligible: int  # records marked as ineligible by automation tools
    other_removed: int  # records removed (before screening) for other reasons
    # Screening
    records_screened: int
    records_excluded: int
    reports_sought: int
    reports_not_retrieved: int
    reports_assessed: int
    reports_excluded: tuple[LabelledCount, ...]  # (reason, reports)
    # Included
    new_studies: int  # studies included in review
    new_reports: int  # reports of included studies
    # Identification via other methods; None when no other methods were used
    other_methods: OtherMethods | None = None
    # While screening goes on: records with no title/abstract decision yet (unscreened, awaiting
    # a vote, in conflict) and reports assessed with no full-text decision yet
    records_awaiting_screening: int = 0
    reports_awaiting_assessment: int = 0

    @property
    def databases_total(self) -> int:
        return total(self.databases)

    @property
    def registers_total(self) -> int:
        return total(self.registers)

    @property
    def records_identified(self) -> int:
        """Records identified from databases and registers."""
        return self.databases_total + self.registers_total

    @property
    def records_removed(self) -> int:
        """Records removed before screening (duplicates, automation tools, other reasons)."""
        return self.duplicates_removed + self.automation_ineligible + self.other_removed

    @property
    def reports_excluded_total(self) -> int:
        return total(self.reports_excluded)

    @property
    def reports_included(self) -> int:
        """Reports of included studies found via databases and registers (assessed - excluded
        - awaiting a full-text decision)."""
        return (
            self.reports_assessed - self.reports_excluded_total - self.reports_awaiting_assessment
        )

    @property
    def is_provisional(self) -> bool:
        """True while any record or report still awaits a decision, in either column."""
        awaiting = self.records_awaiting_screening > 0 or self.reports_awaiting_assessment > 0
        return awaiting or (self.other_methods is not None and self.other_methods.is_provisional)
