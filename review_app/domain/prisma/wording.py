"""The text of each box of the PRISMA 2020 flow diagram for new reviews, with the numbers filled in.

Wording from the template (Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement: an
updated guideline for reporting systematic reviews. BMJ 2021;372:n71, fig. 1, version 1: "new
systematic reviews which included searches of databases, registers and other sources"). Each
database, register, source and exclusion reason gets its own indented line, as the template's
first footnote asks ("reporting the number of records identified from each database or register
searched").
"""

from __future__ import annotations

from dataclasses import dataclass

from review_app.domain.prisma.counts import LabelledCount, OtherMethods, PrismaCounts

DATABASES_HEADER = "Identification of studies via databases and registers"
OTHER_HEADER = "Identification of studies via other methods"
PHASES = ("Identification", "Screening", "Included")
AWAITING_SCREENING = "Records awaiting a screening decision"
AWAITING_ASSESSMENT = "Reports awaiting a full-text decision"
FOOTNOTES = (
    "*Consider, if feasible to do so, reporting the number of records identified from each "
    "database or register searched (rather than the total number across all "
    "databases/registers).",
    "**If automation tools were used, indicate how many records were excluded by a human and how "
    "many were excluded by automation tools.",
    "From: Page MJ, McKenzie JE, Bossuyt PM, Boutron I, Hoffmann TC, Mulrow CD, et al. The "
    "PRISMA 2020 statement: an updated guideline for reporting systematic reviews. BMJ "
    "2021;372:n71. doi: 10.1136/bmj.n71",
)


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a box before wrapping; ``indent`` 1 lists a part under its heading."""

    text: str
    indent: int = 0


BoxLines = tuple[Line, ...]


def n(value: int) -> str:
    """The template's "(n = )" with thousands separated, as the PRISMA2020 R package prints them."""
    return f"(n = {value:,})"


ASSESSED = "Reports assessed for eligibility"
RETRIEVED = "Reports retrieved for assessment"


def assessed_label(awaiting: int) -> str:
    """The label of the "Reports assessed for eligibility" box.

    PRISMA 2020 counts there the reports whose full text was assessed against the eligibility
    criteria (Page MJ, Moher D, Bossuyt PM, et al. PRISMA 2020 explanation and elaboration.
    BMJ 2021;372:n160, item 16a; the PRISMA2020 R package's ``dbr_assessed`` and
    ``other_assessed`` boxes). Our count is reports sought - not retrieved, which holds the
    reports still awaiting a full-text decision too; while any do, the box says what it holds
    (retrieved) rather than claim they were assessed, and the count stays a sum of its parts.
    """
    return RETRIEVED if awaiting else ASSESSED


def _listed(heading: str, parts: tuple[LabelledCount, ...]) -> list[Line]:
    return [Line(heading)] + [Line(f"{label} {n(count)}", 1) for label, count in parts]


@dataclass(frozen=True, slots=True)
class ColumnText:
    """The boxes of one column, top to bottom, each with its box to the right (if any)."""

    identified: BoxLines
    removed: BoxLines | None  # databases column only: "Records removed before screening:"
    screened: BoxLines | None
    records_excluded: BoxLines | None
    sought: BoxLines
    not_retrieved: BoxLines
    assessed: BoxLines
    reports_excluded: BoxLines
    # Extra boxes while screening goes on (None when nothing awaits a decision)
    awaiting_screening: BoxLines | None = None
    awaiting_assessment: BoxLines | None = None


def _identified(c: PrismaCounts) -> BoxLines:
    lines = [Line("Records identified from*:"), Line(f"Databases {n(c.databases_total)}")]
    lines += [Line(f"{label} {n(count)}", 1) for label, count in c.databases]
    lines.append(Line(f"Registers {n(c.registers_total)}"))
    lines += [Line(f"{label} {n(count)}", 1) for label, count in c.registers]
    return tuple(lines)


def _reports_excluded(reasons: tuple[LabelledCount, ...]) -> BoxLines:
    if not reasons:
        return (Line(f"Reports excluded {n(0)}"),)
    return tuple(_listed("Reports excluded:", reasons))


def _awaiting(text: str, count: int) -> BoxLines | None:
    return (Line(f"{text} {n(count)}"),) if count else None


def provisional_note(c: PrismaCounts) -> str | None:
    """The note above a diagram drawn while screening goes on; None once everything is decided."""
    if not c.is_provisional:
        return None
    columns = [c] + ([c.other_methods] if c.other_methods is not None else [])
    records = sum(column.records_awaiting_screening for column in columns)
    reports = sum(column.reports_awaiting_assessment for column in columns)
    parts = ((records, "records", "screening"), (reports, "reports", "full-text"))
    awaiting = [f"{k:,} {what} awaiting a {stage} decision" for k, what, stage in parts if k]
    return f"Provisional: screening in progress ({', '.join(awaiting)})"


def database_column(c: PrismaCounts) -> ColumnText:
    """The left-hand column: identification of studies via databases and registers."""
    return ColumnText(
        identified=_identified(c),
        removed=(
            Line("Records removed before screening:"),
            Line(f"Duplicate records removed {n(c.duplicates_removed)}", 1),
            Line(
                f"Records marked as ineligible by automation tools {n(c.automation_ineligible)}", 1
            ),
            Line(f"Records removed for other reasons {n(c.other_removed)}", 1),
        ),
        screened=(Line(f"Records screened {n(c.records_screened)}"),),
        records_excluded=(Line(f"Records excluded** {n(c.records_excluded)}"),),
        sought=(Line(f"Reports sought for retrieval {n(c.reports_sought)}"),),
        not_retrieved=(Line(f"Reports not retrieved {n(c.reports_not_retrieved)}"),),
        assessed=(
            Line(f"{assessed_label(c.reports_awaiting_assessment)} {n(c.reports_assessed)}"),
        ),
        reports_excluded=_reports_excluded(c.reports_excluded),
        awaiting_screening=_awaiting(AWAITING_SCREENING, c.records_awaiting_screening),
        awaiting_assessment=_awaiting(AWAITING_ASSESSMENT, c.reports_awaiting_assessment),
    )


def other_column(o: OtherMethods) -> ColumnText:
    """The right-hand column: identification of studies via other methods (not screened)."""
    return ColumnText(
        identified=tuple(_listed("Records identified from:", o.sources)),
        removed=None,
        screened=None,
        records_excluded=None,
        sought=(Line(f"Reports sought for retrieval {n(o.reports_sought)}"),),
        not_retrieved=(Line(f"Reports not retrieved {n(o.reports_not_retrieved)}"),),
        assessed=(
            Line(f"{assessed_label(o.reports_awaiting_assessment)} {n(o.reports_assessed)}"),
        ),
        reports_excluded=_reports_excluded(o.reports_excluded),
        awaiting_screening=_awaiting(AWAITING_SCREENING, o.records_awaiting_screening),
        awaiting_assessment=_awaiting(AWAITING_ASSESSMENT, o.reports_awaiting_assessment),
    )


def included(c: PrismaCounts) -> BoxLines:
    """The shared "Included" box that both columns feed."""
    return (
        Line(f"Studies included in review {n(c.new_studies)}"),
        Line(f"Reports of included studies {n(c.new_reports)}"),
    )
