"""The decisions export: every reviewer's votes, the resolutions, each record's status and its
discussion (the members' comments), with the agreement statistics per stage and reviewer pair
(a second sheet in XLSX, a second CSV). Beside each vote and resolution: notes, reason labels
and the resolving lead (``decision_details``)."""

from __future__ import annotations

from sqlmodel import Session

from review_app.domain.vocabulary import Role
from review_app.errors import ValidationError
from review_app.exporters.tabular import table_csv, table_xlsx
from review_app.services.decisions import PairAgreement, agreement_by_stage, decisions_rows
from review_app.services.discussion import comments_by_record
from review_app.services.exports.decision_details import with_notes_and_resolvers
from review_app.services.exports.registry import EXPORTS
from review_app.services.permissions import Actor, require_role

DECISION_FORMATS = EXPORTS["decisions"].formats
AGREEMENT_COLUMNS = (
    "stage",
    "reviewer_a",
    "reviewer_b",
    "n",
    "categories",
    "percent_agreement",
    "kappa",
    "kappa_ci_low",
    "kappa_ci_high",
    "pabak",
    "ac1",
    "ac1_ci_low",
    "ac1_ci_high",
    "notes",
)


def export_decisions(
    session: Session, *, actor: Actor, review_id: int, format: str
) -> dict[str, bytes]:
    """Files to write: CSV gives ``decisions`` and ``agreement`` tables; XLSX one workbook."""
    if format not in DECISION_FORMATS:
        raise ValidationError(f"format {format!r}: allowed are {', '.join(DECISION_FORMATS)}")
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    header, rows = _with_comments(
        session, actor, review_id, *decisions_rows(session, actor=actor, review_id=review_id)
    )
    header, rows = with_notes_and_resolvers(
        session, actor=actor, review_id=review_id, header=header, rows=rows
    )
    stats = [
        _agreement_row(p) for p in agreement_by_stage(session, actor=actor, review_id=review_id)
    ]
    if format == "csv":
        return {
            "decisions": table_csv(header, rows, excel=False),
            "agreement": table_csv(AGREEMENT_COLUMNS, stats, excel=False),
        }
    tables = {"decisions": (header, rows), "agreement": (AGREEMENT_COLUMNS, stats)}
    return {"workbook": table_xlsx(tables)}


def _with_comments(
    session: Session,
    actor: Actor,
    review_id: int,
    header: list[str],
    rows: list[list[object]],
) -> tuple[list[str], list[list[object]]]:
    """A last ``comments`` column: each record's discussion as "name: text" joined by " | "
    (the export is for leads, who read every comment, blind or not)."""
    comments = comments_by_record(session, actor=actor, review_id=review_id)
    at = header.index("record_id")
    return [*header, "comments"], [[*row, _cell(comments, row[at])] for row in rows]


def _cell(comments: dict[int, str], record_id: object) -> str:
    return comments.get(record_id, "") if isinstance(record_id, int) else ""


def _agreement_row(pair: PairAgreement) -> list[object]:
    a = pair.agreement
    kci, aci = a.kappa_ci or (None, None), a.ac1_ci or (None, None)
    return [
        pair.stage,
        pair.reviewer_a,
        pair.reviewer_b,
        a.n,
        "/".join(a.categories),
        _round(a.observed_agreement),
        _round(a.kappa),
        _round(kci[0]),
        _round(kci[1]),
        _round(a.pabak),
        _round(a.ac1),
        _round(aci[0]),
        _round(aci[1]),
        "; ".join(a.notes),
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
