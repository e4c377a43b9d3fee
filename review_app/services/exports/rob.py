"""The risk-of-bias exports: the assessments as a file, and the robvis plots.

- ``rob`` (``review-app export rob -o PATH.csv|.xlsx``): every copy of every assessment (each
  assessor's and the consensus) in the full layout of :mod:`review_app.domain.appraisal.table`,
  as CSV, or as the XLSX workbook's first sheet followed by one sheet per protocol outcome (and
  tool, when an outcome is assessed with two) in robvis's layout from the consensus, which
  robvis (R) reads as it is. ``review-app import rob`` reads both back.
- ``rob-plot`` (``review-app rob plot -o PATH.svg|.png|.pdf --type traffic-light|summary``):
  the traffic-light or summary plot of one outcome's consensus (``domain/appraisal/plots.py``),
  the same bytes for the same assessments.

Who may have which is ``services.appraisal``'s rule (read_copies, rob_tables check the actor).
"""

from __future__ import annotations

from sqlmodel import Session

from review_app.domain.appraisal import plots, table
from review_app.domain.appraisal.plots import RobTable
from review_app.errors import ValidationError
from review_app.exporters import tabular
from review_app.services.appraisal import read_copies, rob_table, rob_tables
from review_app.services.exports.extraction import Sheet, _sheet_name, workbook
from review_app.services.exports.registry import EXPORTS, PLOT_TYPES
from review_app.services.permissions import Actor
from review_app.services.reviews import get_protocol

_RENDER = {"traffic-light": plots.render_traffic_light, "summary": plots.render_summary}


def export_rob(session: Session, *, actor: Actor, review_id: int, format: str) -> bytes:
    """Every assessment in the full layout (CSV), plus robvis sheets per outcome (XLSX)."""
    EXPORTS["rob"].check_format(format)
    copies = read_copies(session, actor=actor, review_id=review_id, values="all")
    tools = table.tools_of(copies)
    full = (table.full_header(tools), table.full_rows(copies, tools))
    if format == "csv":
        return tabular.table_csv(*full, excel=True)
    sheets: dict[str, Sheet] = {table.FULL_SHEET: full}
    for outcome in get_protocol(session, review_id).outcomes:
        outcome_tables = rob_tables(
            session, actor=actor, review_id=review_id, outcome_id=outcome.id
        )
        for rob in outcome_tables:
            wanted = table.ROBVIS_SHEET.format(outcome=outcome.id)
            if len(outcome_tables) > 1:
                wanted = f"{wanted} {rob.tool}"
            sheets[_sheet_name(wanted, taken=sheets)] = (
                table.robvis_header(rob),
                table.robvis_rows(rob),
            )
    return workbook(sheets)


def export_rob_plot(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    format: str,
    type: str = "traffic-light",
    outcome: str | None = None,
    tool: str | None = None,
) -> bytes:
    """One outcome's consensus as robvis's traffic-light or summary plot (SVG, 300-dpi PNG or
    PDF); ``outcome`` None: the protocol's first outcome; ``tool`` None: the one in use."""
    EXPORTS["rob-plot"].check_format(format)
    if type not in PLOT_TYPES:
        raise ValidationError(f"plot type {type!r}: allowed are {', '.join(PLOT_TYPES)}")
    rob = plotted_table(session, actor=actor, review_id=review_id, outcome=outcome, tool=tool)
    return _RENDER[type](rob, format)  # type: ignore[arg-type]  # checked by check_format


def plotted_table(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    outcome: str | None = None,
    tool: str | None = None,
) -> RobTable:
    """The table :func:`export_rob_plot` draws, checked as the plots check it but not drawn
    (a plot takes a second or two): a ValidationError says why there is nothing to plot, so the
    Exports page can say it before a file is asked for."""
    outcome_id = outcome or first_outcome(session, review_id)
    rob = rob_table(session, actor=actor, review_id=review_id, outcome_id=outcome_id, tool_id=tool)
    return plots.validate_table(rob)


def first_outcome(session: Session, review_id: int) -> str:
    """The protocol's first outcome: what a plot shows when no outcome is named."""
    outcomes = get_protocol(session, review_id).outcomes
    if not outcomes:
        raise ValidationError("the protocol has no outcomes; risk of bias is judged per outcome")
    return outcomes[0].id
