"""The prisma export: the PRISMA 2020 flow diagram as SVG, PNG (300 dpi) or PDF, or in the
PRISMA2020 R package's CSV layout. Counted by ``services.prisma`` (its rules, including who may
see it while the review is blind)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace

from sqlmodel import Session

from review_app.domain.prisma import (
    LabelledCount,
    PrismaCounts,
    render_pdf,
    render_png,
    render_svg,
    to_prisma2020_csv,
)
from review_app.exporters.tabular import neutralise
from review_app.services.exports.registry import EXPORTS
from review_app.services.permissions import Actor
from review_app.services.prisma import prisma_counts
from review_app.services.reviews import get_review

PRISMA_FORMATS = EXPORTS["prisma"].formats
_CSV_SEPARATORS = re.compile(r"\s*[,;]\s*")


def export_prisma(session: Session, *, actor: Actor, review_id: int, format: str) -> bytes:
    """The diagram as SVG, PNG (300 dpi) or PDF, or the PRISMA2020 R package's CSV.

    In the CSV, commas and semicolons in labels become " / " (the package separates labels and
    counts with them); while screening goes on, what awaits a decision is noted in the labels of
    the CSV's "Records screened" and "Reports assessed" rows. The actor is checked by
    ``prisma_counts`` (leads and admins; reviewers too once the review is unblinded).
    """
    EXPORTS["prisma"].check_format(format)
    counts = prisma_counts(session, actor=actor, review_id=review_id)
    if format == "csv":
        return neutralised_csv(to_prisma2020_csv(csv_safe(counts))).encode("utf-8")
    title = get_review(session, review_id).title
    if format == "svg":
        return render_svg(counts, title=title)
    if format == "png":
        return render_png(counts, title=title)
    return render_pdf(counts, title=title)


def csv_safe(counts: PrismaCounts) -> PrismaCounts:
    """The counts with "," and ";" in labels replaced by " / " (labels that become equal merge)."""
    other = counts.other_methods
    return replace(
        counts,
        databases=_safe_labels(counts.databases),
        registers=_safe_labels(counts.registers),
        reports_excluded=_safe_labels(counts.reports_excluded),
        other_methods=(
            replace(other, reports_excluded=_safe_labels(other.reports_excluded))
            if other is not None
            else None
        ),
    )


def neutralised_csv(text: str) -> str:
    """Every cell of a CSV through ``exporters.tabular.neutralise``, as in the other exports: a
    source named ``=HYPERLINK(...)`` must reach a spreadsheet as text, never as a formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(text)):
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()


def _safe_labels(parts: tuple[LabelledCount, ...]) -> tuple[LabelledCount, ...]:
    merged: dict[str, int] = {}
    for label, n in parts:
        safe = _CSV_SEPARATORS.sub(" / ", label).strip(" /") or label
        merged[safe] = merged.get(safe, 0) + n
    return tuple(merged.items())
