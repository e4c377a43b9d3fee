"""``review-app import rob``: risk-of-bias assessments from a file, the whole file or nothing.

The file (CSV, or an XLSX workbook's first sheet) is in one of the layouts of
:mod:`review_app.domain.appraisal.table`, told apart by its header:

- the full layout of ``review-app export rob`` (answers, judgements, support, assessor): the
  copies it names replace the stored ones (the round trip: export, edit, import);
- robvis's layout (``Study, D1..., Overall, Weight``), for teams moving from the RoB 2 Excel tool
  or Covidence: consensus copies of the outcome named by ``outcome`` with judgements only.

The file is read within the import limits with ``importers.tabular``. Every problem is listed
with its row (the header is row 1) and column, and nothing is written until there is none; then
:func:`services.appraisal.replace_copies` checks the copies against the review (studies,
members, outcomes, the tool's rules), writes and audits them; its problems are named by row too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

from sqlmodel import Session

from review_app.domain.appraisal import table
from review_app.domain.appraisal.model import ResultAssessment
from review_app.errors import AppraisalProblems, FieldProblem, ImportFileError, Problem
from review_app.importers import tabular
from review_app.importers.decoding import not_imported
from review_app.importers.record import DEFAULT_LIMITS, Limits
from review_app.services.appraisal import replace_copies
from review_app.services.permissions import Actor
from review_app.services.reviews import get_protocol


@dataclass(frozen=True, slots=True)
class RobImportSummary:
    """What an import wrote: the copies, of how many studies, and in which layout."""

    file_name: str
    layout: str  # "full" | "robvis"
    copies: int
    studies: int

    def describe(self) -> str:
        return (
            f"{self.file_name} ({self.layout} layout): imported {self.copies} risk-of-bias "
            f"cop{'y' if self.copies == 1 else 'ies'} of {self.studies} "
            f"stud{'y' if self.studies == 1 else 'ies'}"
        )


def import_rob(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    data: bytes,
    file_name: str,
    outcome: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> RobImportSummary:
    """Read ``data`` and replace the copies it names (``outcome``: the outcome of a file in
    robvis's layout); ImportFileError listing every problem, nothing written, when any is wrong."""
    file = tabular.read_table(data, source=file_name, limits=limits)
    robvis = table.is_robvis(file.columns)
    if robvis:
        outcome_id = _robvis_outcome(session, review_id, file_name, outcome)
        read = table.read_robvis(
            file.columns,
            file.rows,
            outcome_id=outcome_id,
            source=file_name,
            header_row=file.header_line,
        )
    else:
        read = table.read_full(
            file.columns, file.rows, source=file_name, header_row=file.header_line
        )
    if read.problems:
        _refuse(file_name, read.problems)
    copies = [read_copy.copy for read_copy in read.copies]
    try:
        replace_copies(session, actor=actor, review_id=review_id, copies=copies)
    except AppraisalProblems as error:
        rows = {_copy_name(read_copy.copy): read_copy.row for read_copy in read.copies}
        _refuse(file_name, [_at_row(file_name, problem, rows) for problem in error.problems])
    return RobImportSummary(
        file_name=file_name,
        layout="robvis" if robvis else "full",
        copies=len(copies),
        studies=len({copy.study.casefold() for copy in copies}),
    )


def _robvis_outcome(session: Session, review_id: int, file_name: str, outcome: str | None) -> str:
    if outcome:
        return outcome
    ids = ", ".join(o.id for o in get_protocol(session, review_id).outcomes) or "none"
    message = (
        "robvis's layout holds one outcome's judgements: name it with --outcome (the protocol's "
        f"outcomes: {ids}; * for all of a study's outcomes)"
    )
    _refuse(file_name, [Problem(file_name, message, line=1)])


def _copy_name(copy: ResultAssessment) -> str:
    """How ``replace_copies`` names a copy in its problems."""
    return f"{copy.study}, {copy.outcome_id} ({copy.assessor or 'consensus'})"


def _at_row(file_name: str, problem: FieldProblem, rows: dict[str, int]) -> Problem:
    return Problem(
        file_name,
        f"{problem.where}: {problem.message}",
        line=rows.get(problem.where),
        field=problem.field or None,
    )


def _refuse(file_name: str, problems: Sequence[Problem]) -> NoReturn:
    ordered = sorted(problems, key=lambda problem: problem.line or 0)
    raise ImportFileError(ordered, summary=not_imported(file_name, len(ordered)))
