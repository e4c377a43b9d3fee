"""The PRISMA 2020 flow diagram for new systematic reviews: counts, checks, drawing and CSV.

Page MJ, McKenzie JE, Bossuyt PM, et al. The PRISMA 2020 statement: an updated guideline for
reporting systematic reviews. BMJ 2021;372:n71 (fig. 1, version 1: new reviews which included
searches of databases, registers and other sources). Pure: dataclasses in, bytes or text out.
"""

from review_app.domain.prisma.counts import (
    CITATION_SEARCHING,
    ORGANISATIONS,
    OTHER_SOURCE_NAMES,
    WEBSITES,
    LabelledCount,
    OtherMethods,
    PrismaCounts,
)
from review_app.domain.prisma.drawing import render_pdf, render_png, render_svg
from review_app.domain.prisma.invariants import (
    PrismaInvariantError,
    Violation,
    check_invariants,
    validate,
)
from review_app.domain.prisma.r_csv import (
    PrismaCsvError,
    from_prisma2020_csv,
    to_prisma2020_csv,
)

__all__ = [
    "CITATION_SEARCHING",
    "ORGANISATIONS",
    "OTHER_SOURCE_NAMES",
    "WEBSITES",
    "LabelledCount",
    "OtherMethods",
    "PrismaCounts",
    "PrismaCsvError",
    "PrismaInvariantError",
    "Violation",
    "check_invariants",
    "from_prisma2020_csv",
    "render_pdf",
    "render_png",
    "render_svg",
    "to_prisma2020_csv",
    "validate",
]
