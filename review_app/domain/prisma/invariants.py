"""Checks that every box of a PRISMA 2020 flow diagram adds up (pure; no database).

The flow of the template (Page et al. 2021, BMJ 372:n71, fig. 1, new reviews) read as sums:

- records screened = records identified (databases + registers) - duplicate records removed
  - records marked as ineligible by automation tools - records removed for other reasons
- reports sought for retrieval = records screened - records excluded (- records awaiting a
  screening decision, while screening goes on)
- reports assessed for eligibility = reports sought - reports not retrieved
- reports of included studies = (reports assessed - reports excluded, summed over the reasons
  - reports awaiting a full-text decision) of the databases/registers column + the same of the
  other-methods column
- studies included <= reports of included studies, and at least one study when there is a report
- other methods: reports sought <= records identified from the other sources - records awaiting
  a screening decision
- nothing is negative; database, register, source and reason labels are non-empty and unique.

A broken sum is reported against the box that should hold the result, with every number.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from review_app.domain.prisma.counts import LabelledCount, OtherMethods, PrismaCounts
from review_app.errors import ReviewAppError

AUTOMATION = "Records marked as ineligible by automation tools"
AWAITING_SCREENING = "Records awaiting a screening decision"
AWAITING_ASSESSMENT = "Reports awaiting a full-text decision"
OTHER = " (other methods)"  # the other-methods column repeats the left column's box names
OTHER_IDENTIFIED = "Records identified from" + OTHER


@dataclass(frozen=True, slots=True)
class Violation:
    """One box that does not add up: the template's box text, its CSV key and what is wrong."""

    box: str  # the box as worded in the template, e.g. "Records screened"
    key: str  # the PRISMA2020 R package's CSV key, e.g. "records_screened"
    message: str

    def __str__(self) -> str:
        return f"{self.box}: {self.message}"


class PrismaInvariantError(ReviewAppError, ValueError):
    """The counts would draw a wrong flow diagram; ``violations`` names each box."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        lines = "\n".join(f"- {violation}" for violation in violations)
        super().__init__(f"The PRISMA 2020 flow diagram does not add up:\n{lines}")


def check_invariants(counts: PrismaCounts) -> list[Violation]:
    """Every violated rule of the flow, in the diagram's reading order; empty when it adds up."""
    found = _check_database_column(counts)
    if counts.other_methods is not None:
        found += _check_other_column(counts.other_methods)
    found += _check_included(counts)
    return found


def validate(counts: PrismaCounts) -> PrismaCounts:
    """Return ``counts`` unchanged, or raise :class:`PrismaInvariantError` naming each box."""
    violations = check_invariants(counts)
    if violations:
        raise PrismaInvariantError(violations)
    return counts


def _check_database_column(c: PrismaCounts) -> list[Violation]:
    found = _labelled("Databases", "database_specific_results", c.databases, "database")
    found += _labelled("Registers", "register_specific_results", c.registers, "register")
    found += _non_negative(
        ("Duplicate records removed", "duplicates", c.duplicates_removed),
        (AUTOMATION, "excluded_automatic", c.automation_ineligible),
        ("Records removed for other reasons", "excluded_other", c.other_removed),
        ("Records screened", "records_screened", c.records_screened),
        ("Records excluded", "records_excluded", c.records_excluded),
        ("Reports sought for retrieval", "dbr_sought_reports", c.reports_sought),
        ("Reports not retrieved", "dbr_notretrieved_reports", c.reports_not_retrieved),
        ("Reports assessed for eligibility", "dbr_assessed", c.reports_assessed),
        (AWAITING_SCREENING, "records_awaiting_screening", c.records_awaiting_screening),
        (AWAITING_ASSESSMENT, "reports_awaiting_assessment", c.reports_awaiting_assessment),
    )
    found += _labelled("Reports excluded", "dbr_excluded", c.reports_excluded, "reason")
    screened = c.records_identified - c.records_removed
    if c.records_screened != screened:
        message = (
            f"n = {c.records_screened}, but records identified {c.records_identified} "
            f"(databases {c.databases_total} + registers {c.registers_total}) "
            f"- duplicate records removed {c.duplicates_removed} "
            f"- {AUTOMATION.lower()} {c.automation_ineligible} "
            f"- records removed for other reasons {c.other_removed} = {screened}"
        )
        found.append(Violation("Records screened", "records_screened", message))
    found += _difference(
        ("Reports sought for retrieval", "dbr_sought_reports", c.reports_sought),
        ("records screened", c.records_screened),
        ("records excluded", c.records_excluded),
        (AWAITING_SCREENING.lower(), c.records_awaiting_screening),
    )
    found += _difference(
        ("Reports assessed for eligibility", "dbr_assessed", c.reports_assessed),
        ("reports sought for retrieval", c.reports_sought),
        ("reports not retrieved", c.reports_not_retrieved),
    )
    return found


def _check_other_column(o: OtherMethods) -> list[Violation]:
    identified, sought = OTHER_IDENTIFIED, "Reports sought for retrieval" + OTHER
    found: list[Violation] = []
    if not o.sources:
        message = "no source is listed; pass other_methods=None when no other methods were used"
        found.append(Violation(identified, "website_results", message))
    found += _labelled(identified, "website_results", o.sources, "source")
    found += _non_negative(
        (sought, "other_sought_reports", o.reports_sought),
        ("Reports not retrieved" + OTHER, "other_notretrieved_reports", o.reports_not_retrieved),
        ("Reports assessed for eligibility" + OTHER, "other_assessed", o.reports_assessed),
        (
            AWAITING_SCREENING + OTHER,
            "other_records_awaiting_screening",
            o.records_awaiting_screening,
        ),
        (
            AWAITING_ASSESSMENT + OTHER,
            "other_reports_awaiting_assessment",
            o.reports_awaiting_assessment,
        ),
    )
    found += _labelled("Reports excluded" + OTHER, "other_excluded", o.reports_excluded, "reason")
    decided = o.records_identified - o.records_awaiting_screening
    if o.reports_sought > decided:
        message = f"n = {o.reports_sought} is more than the {o.records_identified} records "
        message += "identified from other sources"
        if o.records_awaiting_screening:
            message += f" - {o.records_awaiting_screening} awaiting a screening decision"
        found.append(Violation(sought, "other_sought_reports", message))
    found += _difference(
        ("Reports assessed for eligibility" + OTHER, "other_assessed", o.reports_assessed),
        ("reports sought for retrieval", o.reports_sought),
        ("reports not retrieved", o.reports_not_retrieved),
    )
    return found


def _check_included(c: PrismaCounts) -> list[Violation]:
    studies, reports = "Studies included in review", "Reports of included studies"
    found = _non_negative(
        (studies, "new_studies", c.new_studies), (reports, "new_reports", c.new_reports)
    )
    parts = [
        f"databases and registers: reports assessed {c.reports_assessed} - reports excluded "
        f"{c.reports_excluded_total}{_awaiting(c.reports_awaiting_assessment)} "
        f"= {c.reports_included}"
    ]
    included = c.reports_included
    if c.other_methods is not None:
        o = c.other_methods
        included += o.reports_included
        parts.append(
            f"other methods: reports assessed {o.reports_assessed} - reports excluded "
            f"{o.reports_excluded_total}{_awaiting(o.reports_awaiting_assessment)} "
            f"= {o.reports_included}"
        )
    if c.new_reports != included:
        message = f"n = {c.new_reports}, but {'; '.join(parts)}; in all {included}"
        found.append(Violation(reports, "new_reports", message))
    if c.new_studies > c.new_reports:
        message = (
            f"n = {c.new_studies} is more than the {c.new_reports} reports of included "
            "studies (each study has at least one report)"
        )
        found.append(Violation(studies, "new_studies", message))
    if c.new_studies == 0 < c.new_reports:
        message = (
            f"n = 0, but there are {c.new_reports} reports of included studies "
            "(each report belongs to a study)"
        )
        found.append(Violation(studies, "new_studies", message))
    return found


def _non_negative(*boxes: tuple[str, str, int]) -> list[Violation]:
    return [Violation(box, key, f"n = {n} is negative") for box, key, n in boxes if n < 0]


def _labelled(box: str, key: str, parts: tuple[LabelledCount, ...], kind: str) -> list[Violation]:
    found = [
        Violation(box, key, f"{kind} {label!r}: n = {n} is negative") for label, n in parts if n < 0
    ]
    if any(not label.strip() for label, _ in parts):
        found.append(Violation(box, key, f"a {kind} has an empty label"))
    repeated = sorted(
        label for label, times in Counter(name for name, _ in parts).items() if times > 1
    )
    if repeated:
        found.append(Violation(box, key, f"{kind} listed more than once: {', '.join(repeated)}"))
    return found


def _awaiting(n: int) -> str:
    return f" - reports awaiting a full-text decision {n}" if n else ""


def _difference(
    result: tuple[str, str, int], whole: tuple[str, int], *removed: tuple[str, int]
) -> list[Violation]:
    """``result`` = ``whole`` - each of ``removed``; a removed part that is 0 and not the first
    (an "awaiting" count once screening is done) is left out of the message."""
    box, key, n = result
    expected = whole[1] - sum(part for _, part in removed)
    if n == expected:
        return []
    shown = [f"{name} {part}" for i, (name, part) in enumerate(removed) if part or i == 0]
    message = f"n = {n}, but {whole[0]} {whole[1]} - {' - '.join(shown)} = {expected}"
    return [Violation(box, key, message)]
