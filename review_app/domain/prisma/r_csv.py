"""PRISMA 2020 counts to and from the CSV layout of the PRISMA2020 R package and Shiny app.

The package's template (:mod:`review_app.domain.prisma.template`) has one row per ``data`` key with
columns ``data,node,box,description,boxtext,tooltips,url,n``. We write the template row for row
and fill ``n`` only, following how the package's ``PRISMA_data()`` reads it:

- a count is a whole number; ``NA`` means "not used": the package then leaves that line out, drops
  the other-methods column when the website, organisation and citation rows are all NA, and drops
  the previous-review column when both ``previous_*`` rows are NA (we write NA there: these are
  diagrams for new reviews, so ``total_studies``/``total_reports`` equal the new ones);
- a list (``database_specific_results``, ``register_specific_results``, ``dbr_excluded``,
  ``other_excluded``) is "Label, n; Label, n". The package cuts a label at its first comma, so a
  label holding "," or ";" cannot be written (:class:`PrismaCsvError` says which);
- other-methods sources must be the template's three: Websites, Organisations, Citation searching;
- the template has no row for records or reports still awaiting a decision, so while screening
  goes on their count goes into the ``boxtext`` of the box they came from (the package draws that
  text as the box's label): "Records screened (provisional: 29 awaiting a decision)". Every ``n``
  stays a plain number the package can read, and our reader takes the note back.

The text rows (headers, phase labels) keep the template's ``n`` of 0.
"""

from __future__ import annotations

import csv
import io
import re

from review_app.domain.prisma.counts import (
    CITATION_SEARCHING,
    ORGANISATIONS,
    WEBSITES,
    LabelledCount,
    OtherMethods,
    PrismaCounts,
    total,
)
from review_app.domain.prisma.invariants import (
    PrismaInvariantError,
    Violation,
    validate,
)
from review_app.domain.prisma.template import TEMPLATE_CSV
from review_app.domain.prisma.wording import assessed_label
from review_app.errors import ReviewAppError

NA = "NA"
BOXTEXT = 4  # column of the template: data,node,box,description,boxtext,tooltips,url,n
PROVISIONAL = "provisional:"
AWAITING = "awaiting a decision"
ASSESSED_KEYS = ("dbr_assessed", "other_assessed")  # labelled by wording.assessed_label
_AWAITING_NOTE = re.compile(rf"\({PROVISIONAL} ([\d,]+) {AWAITING}\)")
UNSTATED_REASON = "Reason not stated"  # label for a bare count of excluded reports
SOURCE_KEYS = {
    "website_results": WEBSITES,
    "organisation_results": ORGANISATIONS,
    "citations_results": CITATION_SEARCHING,
}
_SOURCE_ALIASES = {
    "website_results": {"website", "websites"},
    "organisation_results": {"organisation", "organisations", "organization", "organizations"},
    "citations_results": {"citation searching", "citation search", "citations"},
}
COUNT_KEYS = (
    "database_results",
    "register_results",
    "duplicates",
    "excluded_automatic",
    "excluded_other",
    "records_screened",
    "records_excluded",
    "dbr_sought_reports",
    "dbr_notretrieved_reports",
    "dbr_assessed",
    "dbr_excluded",
    "new_studies",
    "new_reports",
)
OTHER_KEYS = ("other_sought_reports", "other_notretrieved_reports", "other_assessed")


class PrismaCsvError(ReviewAppError, ValueError):
    """A PRISMA2020 CSV cannot be written or read; the message names the row and what is allowed."""


def to_prisma2020_csv(counts: PrismaCounts) -> str:
    """The counts in the PRISMA2020 R package's template (checked first); what still awaits a
    decision is noted in the label of the box it came from."""
    validate(counts)
    values = _values(counts)
    labels = _provisional_labels(counts)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(TEMPLATE_CSV)):
        key = row[0]
        if key in labels:
            label = assessed_label(labels[key]) if key in ASSESSED_KEYS else row[BOXTEXT]
            row[BOXTEXT] = f"{label} ({PROVISIONAL} {labels[key]:,} {AWAITING})"
        writer.writerow([*row[:-1], values.get(key, row[-1])])
    return out.getvalue()


def _provisional_labels(c: PrismaCounts) -> dict[str, int]:
    """Rows whose label carries an "awaiting a decision" count, and that count."""
    awaiting = {
        "records_screened": c.records_awaiting_screening,
        "dbr_assessed": c.reports_awaiting_assessment,
    }
    if c.other_methods is not None:
        # The other-methods column has no "records screened" box: its records go to retrieval.
        awaiting["other_sought_reports"] = c.other_methods.records_awaiting_screening
        awaiting["other_assessed"] = c.other_methods.reports_awaiting_assessment
    return {key: n for key, n in awaiting.items() if n}


def _values(c: PrismaCounts) -> dict[str, str]:
    values = {
        "previous_studies": NA,
        "previous_reports": NA,
        "database_results": str(c.databases_total),
        "database_specific_results": _joined("database_specific_results", c.databases),
        "register_results": str(c.registers_total),
        "register_specific_results": _joined("register_specific_results", c.registers),
        "duplicates": str(c.duplicates_removed),
        "excluded_automatic": str(c.automation_ineligible),
        "excluded_other": str(c.other_removed),
        "records_screened": str(c.records_screened),
        "records_excluded": str(c.records_excluded),
        "dbr_sought_reports": str(c.reports_sought),
        "dbr_notretrieved_reports": str(c.reports_not_retrieved),
        "dbr_assessed": str(c.reports_assessed),
        "dbr_excluded": _joined("dbr_excluded", c.reports_excluded) or "0",
        "new_studies": str(c.new_studies),
        "new_reports": str(c.new_reports),
        "total_studies": str(c.new_studies),
        "total_reports": str(c.new_reports),
    }
    values.update(dict.fromkeys([*SOURCE_KEYS, *OTHER_KEYS, "other_excluded"], NA))
    o = c.other_methods
    if o is not None:
        for label, n in o.sources:
            values[_source_key(label, values)] = str(n)
        values.update(
            zip(
                OTHER_KEYS,
                map(str, (o.reports_sought, o.reports_not_retrieved, o.reports_assessed)),
                strict=True,
            )
        )
        values["other_excluded"] = _joined("other_excluded", o.reports_excluded) or "0"
    return values


def _source_key(label: str, values: dict[str, str]) -> str:
    for key, aliases in _SOURCE_ALIASES.items():
        if label.strip().casefold() in aliases:
            if values[key] != NA:
                raise PrismaCsvError(f"{key}: two other-methods sources map to {SOURCE_KEYS[key]}")
            return key
    raise PrismaCsvError(
        f"other-methods source {label!r}: the PRISMA2020 template has rows for "
        f"{', '.join(SOURCE_KEYS.values())} only; name each source one of these"
    )


def _joined(key: str, parts: tuple[LabelledCount, ...]) -> str:
    for label, _ in parts:
        if "," in label or ";" in label:
            raise PrismaCsvError(
                f"{key}: label {label!r} holds a comma or semicolon, which the PRISMA2020 "
                "template uses to separate labels and counts; rename it"
            )
    return "; ".join(f"{label}, {n}" for label, n in parts)


def from_prisma2020_csv(text: str) -> PrismaCounts:
    """Counts from a filled-in PRISMA2020 template; raises if a row is missing or a box is off."""
    cells, awaiting = _cells(text)
    missing = [key for key in COUNT_KEYS if key not in cells]
    if missing:
        raise PrismaCsvError(f"PRISMA2020 CSV: no row for {', '.join(missing)}")
    for key in ("previous_studies", "previous_reports"):
        if _number(key, cells.get(key, NA)) not in (None, 0):
            raise PrismaCsvError(f"{key}: only new reviews are supported (leave it NA)")
    counts = PrismaCounts(
        databases=_identified("database", cells),
        registers=_identified("register", cells),
        duplicates_removed=_count("duplicates", cells),
        automation_ineligible=_count("excluded_automatic", cells),
        other_removed=_count("excluded_other", cells),
        records_screened=_count("records_screened", cells),
        records_excluded=_count("records_excluded", cells),
        reports_sought=_count("dbr_sought_reports", cells),
        reports_not_retrieved=_count("dbr_notretrieved_reports", cells),
        reports_assessed=_count("dbr_assessed", cells),
        reports_excluded=_listed("dbr_excluded", cells["dbr_excluded"]),
        new_studies=_count("new_studies", cells),
        new_reports=_count("new_reports", cells),
        other_methods=_other_methods(cells, awaiting),
        records_awaiting_screening=awaiting.get("records_screened", 0),
        reports_awaiting_assessment=awaiting.get("dbr_assessed", 0),
    )
    _check_totals(counts, cells)
    return validate(counts)


def _cells(text: str) -> tuple[dict[str, str], dict[str, int]]:
    """Each row's ``n`` by its ``data`` key, and the "awaiting" counts noted in the labels."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not {"data", "n"} <= set(reader.fieldnames or ()):
        raise PrismaCsvError("PRISMA2020 CSV: the header must have the columns 'data' and 'n'")
    cells: dict[str, str] = {}
    awaiting: dict[str, int] = {}
    for row in reader:
        key = (row["data"] or "").strip()
        if key in ("", NA):
            continue
        if key in cells:
            raise PrismaCsvError(f"PRISMA2020 CSV: the row {key} appears twice")
        cells[key] = (row["n"] or "").strip()
        if note := _AWAITING_NOTE.search(row.get("boxtext") or ""):
            awaiting[key] = int(note.group(1).replace(",", ""))
    return cells, awaiting


def _number(key: str, raw: str) -> int | None:
    if raw in ("", NA):
        return None
    digits = re.sub(r"[,\s]", "", raw)  # "1,234" as the package reads it
    if not digits.isdigit():
        raise PrismaCsvError(f"{key}: n = {raw!r} is not a whole number (or NA)")
    return int(digits)


def _count(key: str, cells: dict[str, str]) -> int:
    value = _number(key, cells[key])
    if value is None:
        raise PrismaCsvError(f"{key}: n is NA, but this box needs a number")
    return value


def _listed(key: str, raw: str, bare: str = UNSTATED_REASON) -> tuple[LabelledCount, ...]:
    """'Label, n; Label, n' as parts; a bare total becomes one part labelled ``bare``."""
    if raw in ("", NA) or re.fullmatch(r"[\d,\s]+", raw):
        n = _number(key, raw) or 0
        return ((bare, n),) if n else ()
    parts = []
    for item in filter(None, (piece.strip() for piece in raw.split(";"))):
        label, comma, number = item.partition(",")
        if not comma:
            raise PrismaCsvError(f"{key}: {item!r} should be 'Label, n'")
        parts.append((label.strip(), _number(key, number.strip()) or 0))
    return tuple(parts)


def _identified(kind: str, cells: dict[str, str]) -> tuple[LabelledCount, ...]:
    key = f"{kind}_results"
    stated = _number(key, cells[key])
    name = f"{kind.title()}s"
    parts = _listed(f"{kind}_specific_results", cells.get(f"{kind}_specific_results", ""), name)
    if not parts and stated:
        return ((name, stated),)
    if stated is not None and parts and total(parts) != stated:
        raise PrismaInvariantError(
            [
                Violation(
                    name,
                    key,
                    (f"n = {stated}, but {kind}_specific_results adds up to {total(parts)}"),
                )
            ]
        )
    return parts


def _other_methods(cells: dict[str, str], awaiting: dict[str, int]) -> OtherMethods | None:
    sources = tuple(
        (name, n)
        for key, name in SOURCE_KEYS.items()
        if (n := _number(key, cells.get(key, NA))) is not None
    )
    if not sources:
        if any(_number(key, cells.get(key, NA)) for key in OTHER_KEYS):
            raise PrismaCsvError(
                "other_sought_reports/other_assessed have numbers, but website_results, "
                "organisation_results and citations_results are all NA"
            )
        return None
    missing = [key for key in (*OTHER_KEYS, "other_excluded") if key not in cells]
    if missing:
        raise PrismaCsvError(f"PRISMA2020 CSV: no row for {', '.join(missing)}")
    sought, not_retrieved, assessed = (_count(key, cells) for key in OTHER_KEYS)
    excluded = _listed("other_excluded", cells["other_excluded"])
    return OtherMethods(
        sources,
        sought,
        not_retrieved,
        assessed,
        excluded,
        records_awaiting_screening=awaiting.get("other_sought_reports", 0),
        reports_awaiting_assessment=awaiting.get("other_assessed", 0),
    )


def _check_totals(counts: PrismaCounts, cells: dict[str, str]) -> None:
    for key, box, new in (
        ("total_studies", "Total studies included in review", counts.new_studies),
        ("total_reports", "Reports of total included studies", counts.new_reports),
    ):
        stated = _number(key, cells.get(key, NA))
        if stated is not None and stated != new:
            message = f"n = {stated}, but a new review has no previous studies: it must be {new}"
            raise PrismaInvariantError([Violation(box, key, message)])
