"""``review-app import extraction``: a file in the layout of ``review-app export extraction``
(:mod:`review_app.domain.extraction.table`) replaces the copies it names, the whole file or
nothing.

For teams moving from Covidence or a spreadsheet, and for the round trip (export, edit, import).
The file is read within the import limits (``REVIEW_APP_MAX_UPLOAD_MB`` and the others) with the
search importers' helpers (``importers.tabular``, ``importers.decoding``); a row names its study
by label or by a report (source record id, DOI or PMID of any report linked to the study on the
Studies page). Every problem is listed with its row (as a spreadsheet shows it: the header is
row 1) and column, and nothing is written until there is none; then
:func:`services.extraction.replace_copies` validates, writes and audits the copies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NoReturn

from sqlmodel import Session, col, select

from review_app.domain.extraction import table
from review_app.domain.extraction.fields import check_characteristic
from review_app.domain.extraction.model import StudyExtraction, same_label
from review_app.errors import ExtractionProblems, ImportFileError, Problem, ValidationError
from review_app.importers import tabular
from review_app.importers.decoding import not_imported
from review_app.importers.normalize import normalize_doi, normalize_pmid
from review_app.importers.record import DEFAULT_LIMITS, Limits
from review_app.models import Record, Study, StudyReport
from review_app.protocol.model import ExtractionField
from review_app.services.extraction import replace_copies
from review_app.services.permissions import Actor
from review_app.services.reviews import get_protocol
from review_app.services.studies import StudyView, list_studies


@dataclass(frozen=True, slots=True)
class ExtractionImportSummary:
    """What an import wrote: the copies replaced, of how many studies, with their results."""

    file_name: str
    copies: int
    studies: int
    arms: int
    results: int

    def describe(self) -> str:
        return (
            f"{self.file_name}: imported {self.copies} extraction cop"
            f"{'y' if self.copies == 1 else 'ies'} of {self.studies} stud"
            f"{'y' if self.studies == 1 else 'ies'} ({self.arms} arms, {self.results} results)"
        )


def import_extraction(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    data: bytes,
    file_name: str,
    limits: Limits = DEFAULT_LIMITS,
) -> ExtractionImportSummary:
    """Read ``data`` (CSV or XLSX) and replace the copies it names; ImportFileError listing
    every problem (nothing written) when any row is wrong."""
    studies = list_studies(session, actor=actor, review_id=review_id)
    protocol = get_protocol(session, review_id)
    fields = {field.id: field for field in protocol.extraction_fields}
    read = table.read_table(
        _rows(tabular.read_table(data, source=file_name, limits=limits, sheet=table.SHEET)),
        field_ids=list(fields),
        study_of_report=_ReportIndex(session, review_id, studies).study_of,
    )
    labels = {same_label(study.label): study.label for study in studies}
    problems = [
        *read.problems,
        *_unknown_studies(read.copies, labels),
        *table.check_copies(
            read.copies, outcome_types={o.id: str(o.type) for o in protocol.outcomes}
        ),
    ]
    copies = [_checked_copy(parsed, labels, fields, problems) for parsed in read.copies]
    if problems:
        _refuse(file_name, problems)
    try:
        replace_copies(session, actor=actor, review_id=review_id, copies=copies)
    except ExtractionProblems as error:
        raise ImportFileError(
            [Problem(source=file_name, message=str(problem)) for problem in error.problems],
            summary=not_imported(file_name, len(error.problems)),
        ) from None
    return ExtractionImportSummary(
        file_name=file_name,
        copies=len(copies),
        studies=len({same_label(copy.study) for copy in copies}),
        arms=sum(len(copy.arms) for copy in copies),
        results=sum(len(copy.results) for copy in copies),
    )


def _refuse(file_name: str, problems: Sequence[table.RowProblem]) -> NoReturn:
    ordered = sorted(problems, key=lambda problem: problem.row)
    raise ImportFileError(
        [Problem(source=file_name, message=str(problem)) for problem in ordered],
        summary=not_imported(file_name, len(ordered)),
    )


# --- studies and reports ----------------------------------------------------------------------


class _ReportIndex:
    """A report's source record id, DOI or PMID -> the labels of the studies it reports; read
    from the database when a row first names a report."""

    def __init__(self, session: Session, review_id: int, studies: Sequence[StudyView]) -> None:
        self.session, self.review_id = session, review_id
        self.label_of = {study.id: study.label for study in studies}
        self.labels: dict[str, set[str]] | None = None

    def study_of(self, report: str) -> str:
        labels = self._labels()
        found = set().union(*(labels.get(key, set()) for key in _cell_keys(report)))
        if not found:
            raise LookupError(
                f"{report!r} is not the source record id, DOI or PMID of a report of a study "
                "of this review (link the report to a study on the Studies page, or name the "
                "study in 'study')"
            )
        if len(found) > 1:
            raise LookupError(
                f"{report!r} names reports of several studies ({', '.join(sorted(found))}); "
                "name the study in 'study'"
            )
        return found.pop()

    def _labels(self) -> dict[str, set[str]]:
        if self.labels is None:
            self.labels = {}
            query = (
                select(Record, StudyReport.study_id)
                .join(StudyReport, col(StudyReport.record_id) == col(Record.id))
                .join(Study, col(Study.id) == col(StudyReport.study_id))
                .where(Study.review_id == self.review_id)
            )
            for record, study_id in self.session.exec(query):
                for key in _record_keys(record):
                    self.labels.setdefault(key, set()).add(self.label_of[study_id])
        return self.labels


def _record_keys(record: Record) -> list[str]:
    keys = [f"id:{record.source_record_id.strip().casefold()}"] if record.source_record_id else []
    if record.doi and (doi := normalize_doi(record.doi)):
        keys.append(f"doi:{doi}")
    if record.pmid and (pmid := normalize_pmid(record.pmid)):
        keys.append(f"pmid:{pmid}")
    return keys


def _cell_keys(text: str) -> list[str]:
    keys = [f"id:{text.strip().casefold()}"]
    if doi := normalize_doi(text):
        keys.append(f"doi:{doi}")
    if pmid := normalize_pmid(text):
        keys.append(f"pmid:{pmid}")
    return keys


def _unknown_studies(
    copies: Sequence[table.ParsedCopy], labels: Mapping[str, str]
) -> list[table.RowProblem]:
    known = ", ".join(labels.values()) or "none yet (add them on the Studies page)"
    return [
        table.RowProblem(
            parsed.first_row,
            "study",
            f"{parsed.copy.study!r} is not a study of this review; its studies: {known}",
        )
        for parsed in copies
        if same_label(parsed.copy.study) not in labels
    ]


def _checked_copy(
    parsed: table.ParsedCopy,
    labels: Mapping[str, str],
    fields: Mapping[str, ExtractionField],
    problems: list[table.RowProblem],
) -> StudyExtraction:
    """The copy under its study's own label, its characteristics in their normal form (as the
    page keeps them); a value its field refuses becomes a problem of the copy's first row."""
    copy = parsed.copy
    characteristics: dict[str, str] = {}
    for field_id, raw in copy.characteristics.items():
        try:
            value = check_characteristic(fields[field_id], raw)
        except ValidationError as error:
            problems.append(table.RowProblem(parsed.first_row, f"field:{field_id}", str(error)))
            continue
        if value is not None:
            characteristics[field_id] = value
    label = labels.get(same_label(copy.study), copy.study)
    return replace(copy, study=label, characteristics=characteristics)


def _rows(file: tabular.Table) -> list[tuple[int, list[str]]]:
    """The file's header, then its rows, each with its row number."""
    return [(file.header_line, file.columns), *file.rows]
