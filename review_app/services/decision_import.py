"""Screening decisions made in another tool (Covidence, Rayyan, a spreadsheet), taken in mid-way.

A file (CSV or XLSX, one row per vote; ``COLUMNS``) names each record, the reviewer, the stage
and the vote; a lead's final decision is a row of ``kind`` resolution. Every row is checked
before anything is written, every problem is listed with its row and column, and then the rows
are cast through the screening and conflicts services as the named people themselves
(``record_vote``, ``resolve``), so slots, vote counts, blinding, releases and PRISMA behave as if
the votes had been cast here. The audit events those services write are marked as imported
(``vote.import``, ``resolution.import``, with the file and row), and the import itself is an
event of the lead who ran it. One unit of work: a problem found while writing undoes it all.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import NoReturn

from sqlmodel import Session, col, func, select

from review_app.domain.consensus import stage_status
from review_app.domain.vocabulary import Role, Stage, StageStatus, Vote, is_lead
from review_app.errors import ImportFileError, Problem, ReviewAppError
from review_app.importers import tabular
from review_app.importers.decoding import decode, not_imported, refuse
from review_app.importers.normalize import normalize_doi, normalize_pmid
from review_app.importers.record import DEFAULT_LIMITS, MEGABYTE, Limits
from review_app.models import (
    AuditEvent,
    ClusterMember,
    Decision,
    DuplicateCluster,
    FullText,
    ImportBatch,
    Membership,
    Record,
    Resolution,
    ScreeningSlot,
    User,
    utcnow,
)
from review_app.protocol import Protocol
from review_app.services.audit import record_event
from review_app.services.conflicts import resolve
from review_app.services.permissions import Actor, require_role
from review_app.services.prisma import included_report_ids
from review_app.services.progress import unique_record_ids
from review_app.services.releases import release_outcomes
from review_app.services.reviews import get_protocol, get_review
from review_app.services.screening import record_vote
from review_app.services.studies import create_study, list_studies, suggest_label


class RowKind(StrEnum):
    """What a row of a decisions file is."""

    VOTE = "vote"  # a reviewer's vote
    RESOLUTION = "resolution"  # a lead's final decision on the record at the stage


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # matched case-insensitively, spaces around it ignored
    required: bool
    meaning: str  # for the README


COLUMNS: tuple[Column, ...] = (
    Column("record", True, "the record: its source record id (as in the search export), DOI "
                           "or PMID"),
    Column("reviewer", True, "the user name of the reviewer who voted (of the lead, for a "
                             "resolution)"),
    Column("stage", True, "title_abstract or full_text (also: title/abstract, full text)"),
    Column("vote", True, "include, exclude or maybe (maybe only where the protocol allows it; "
                         "a resolution is include or exclude)"),
    Column("reason", False, "the exclusion reason, by its id or label in the protocol; needed to "
                            "exclude at full text, only with exclude"),
    Column("note", False, "the reviewer's (or the lead's) note"),
    Column("kind", False, "vote (the default when empty) or resolution"),
)  # fmt: skip
REQUIRED = tuple(c.name for c in COLUMNS if c.required)
_NAMES = frozenset(c.name for c in COLUMNS)


@dataclass(frozen=True, slots=True)
class DecisionImportSummary:
    file_name: str
    votes: Mapping[Stage, int]
    resolutions: Mapping[Stage, int]
    people: tuple[str, ...]  # whose votes and resolutions, by name
    released: int  # title/abstract outcomes released so that full-text votes could be cast
    studies: tuple[str, ...]  # labels of the studies made from the included reports
    ignored_columns: tuple[str, ...]  # columns of the file that are not ours

    def describe(self) -> list[str]:
        """The summary in sentences, for the command line and pages."""
        votes = ", ".join(f"{n} at {s.in_prose}" for s, n in self.votes.items() if n) or "none"
        resolved = ", ".join(f"{n} at {s.in_prose}" for s, n in self.resolutions.items() if n)
        lines = [
            f"{self.file_name}: imported votes {votes}"
            + (f" and resolutions {resolved}" if resolved else "")
            + f", by {', '.join(self.people)}."
        ]
        if self.released:
            lines.append(
                f"Released {self.released} title/abstract outcomes to the reviewers (the file "
                "has full-text decisions, so the team knew them)."
            )
        if self.studies:
            studies = "study" if len(self.studies) == 1 else "studies"
            lines.append(f"Made {len(self.studies)} {studies}: {', '.join(self.studies)}.")
        if self.ignored_columns:
            lines.append(f"Columns not read: {', '.join(self.ignored_columns)}.")
        return lines


def import_decisions(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    data: bytes,
    file_name: str,
    limits: Limits = DEFAULT_LIMITS,
) -> DecisionImportSummary:
    """Cast the file's votes and resolutions as the people it names (leads; all rows or none).

    Raises ImportFileError listing every problem (row and column) before anything is written.
    """
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    table = read_table(data, source=file_name, limits=limits)
    protocol = get_protocol(session, review_id)
    reader = _Reader(session, review_id, protocol, file_name)
    rows = reader.read(table)
    for line, column, message in _against_the_review(session, review_id, protocol, rows):
        reader.problem(line, column, message)
    reader.raise_problems()
    first_event = _last_event_id(session)
    released = _cast(session, actor=actor, review_id=review_id, rows=rows, file_name=file_name)
    studies = _make_studies(session, actor=actor, review_id=review_id, rows=rows)
    written = _lines_of_written(session, review_id, rows)
    written.update({("study", study_id): None for study_id in studies})
    if released:
        written["review", review_id] = None  # the release of title/abstract outcomes
    _mark_imported(session, review_id, written, after_event=first_event, file_name=file_name)
    summary = _summary(file_name, table, rows, released, tuple(studies.values()))
    record_event(
        session,
        review_id=review_id,
        user_id=actor.user_id,
        action="decisions.import",
        entity="review",
        entity_id=review_id,
        after={
            "file": file_name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "rows": len(rows),
            "released": released,
            "studies": list(studies),
        },
    )
    return summary


# --- reading the file ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Table:
    """A spreadsheet's header and non-blank rows, each with the line (CSV) or row (XLSX) it
    starts on, as people see it."""

    header_line: int
    columns: list[str]
    rows: list[tabular.Row]


_EXCEL_SEPARATOR = re.compile(r"^sep=(.)\s*$")  # Excel's first line naming the delimiter


def read_table(data: bytes, *, source: str, limits: Limits = DEFAULT_LIMITS) -> Table:
    """A CSV (comma, semicolon, tab; any BOM or encoding the importers read) or the first
    sheet of an XLSX workbook, within the import limits; ImportFileError when it cannot be read.

    Read with the search importers' helpers (``importers.tabular``), so the same files, caps and
    messages apply.
    """
    if len(data) > limits.max_bytes:
        _refuse_size(source, len(data), limits)
    if data.startswith(b"PK\x03\x04") and b"xl/" in data:
        unpacked = tabular.workbook_size(data)
        if unpacked is not None and unpacked > limits.max_bytes:
            _refuse_size(source, unpacked, limits)
        rows: Iterable[tabular.Row] = _workbook_rows(data, source=source, limits=limits)
    else:
        rows = _text_rows(decode(data, source=source).text, source=source)
    filled = (row for row in rows if any(cell.strip() for cell in row[1]))
    header = next(filled, None)
    if header is None:
        refuse(source, "the file holds no rows; the first row names the columns")
    body: list[tabular.Row] = []
    for row in filled:
        if len(body) == limits.max_records:
            refuse(
                source,
                f"more than {limits.max_records:,} rows; at most {limits.max_records:,} are read "
                "from one file (setting REVIEW_APP_MAX_RECORDS_PER_FILE): split the file",
            )
        body.append(row)
    if not body:
        refuse(source, "no rows below the header; one row per vote or resolution")
    return Table(header[0], [name.strip() for name in header[1]], body)


def _refuse_size(source: str, size: int, limits: Limits) -> NoReturn:
    refuse(
        source,
        f"the file is {size / MEGABYTE:,.1f} MB; at most {limits.max_megabytes:,.0f} MB is read "
        "(setting REVIEW_APP_MAX_UPLOAD_MB): split the file",
    )


def _text_rows(text: str, *, source: str) -> Iterator[tabular.Row]:
    """Rows of delimited text with the line each starts on (a quoted cell may span lines)."""
    first, _, rest = text.partition("\n")
    skipped = 0
    if separator := _EXCEL_SEPARATOR.match(first):
        delimiter, text, skipped = separator.group(1), rest, 1
    else:
        delimiter = tabular._delimiter(text, source)
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))  # as tabular.parse does
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 1
    try:
        for cells in reader:
            yield line + skipped, cells
            line = reader.line_num + 1
    except csv.Error as error:
        message = f"{error}: a quote is not closed or the file is cut short"
        raise ImportFileError(
            [Problem(source=source, line=reader.line_num + skipped, message=message)],
            summary=not_imported(source, 1),
        ) from None


def _workbook_rows(data: bytes, *, source: str, limits: Limits) -> Iterator[tabular.Row]:
    """The first sheet's rows with their row numbers, read as ``tabular.parse_workbook`` does
    (streamed, the cells counted first against the limits)."""
    from openpyxl.reader.excel import ExcelReader  # here, not at start-up: it loads numpy

    try:
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_workbook()
        tabular._count_sheets(reader, source=source, limits=limits)
        reader.read()
    except ImportFileError:
        raise
    except Exception as error:  # zipfile/openpyxl raise many types for a damaged workbook
        raise ImportFileError(
            [tabular._unreadable(source, error)], summary=not_imported(source, 1)
        ) from None
    workbook = reader.wb
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # never trust <dimension ref="A1:XFD1048576"/>
        yield from tabular._sheet_rows(sheet, source=source, limits=limits)
    finally:
        workbook.close()


# --- rows: the file's words to ids --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    kind: RowKind
    record_id: int
    person_id: int
    person: str
    stage: Stage
    vote: Vote
    reason: str | None
    note: str | None

    @property
    def key(self) -> tuple[object, ...]:
        """What one row may say once: a vote per person, record and stage; a resolution per
        record and stage."""
        who = self.person_id if self.kind is RowKind.VOTE else None
        return (self.kind, self.record_id, self.stage, who)


_STAGE_WORDS = {
    word.casefold(): stage for stage in Stage for word in (stage, stage.label, stage.in_prose)
}


class _Reader:
    """Turns the table's cells into rows of ids, collecting every problem (row and column)."""

    def __init__(self, session: Session, review_id: int, protocol: Protocol, source: str) -> None:
        self.protocol = protocol
        self.source = source
        self.records = _RecordIndex(session, review_id)
        self.people = _People(session, review_id)
        self.problems: list[Problem] = []

    def read(self, table: Table) -> list[_Row]:
        where = self._columns(table)
        rows = []
        for line, cells in table.rows:
            values = {name: _cell(cells, index) for name, index in where.items()}
            row = self._row(line, values)
            if row is not None:
                rows.append(row)
        return self._without_repeats(rows)

    def problem(self, line: int, column: str | None, message: str) -> None:
        self.problems.append(Problem(source=self.source, line=line, field=column, message=message))

    def raise_problems(self) -> None:
        if self.problems:
            problems = sorted(self.problems, key=lambda p: (p.line or 0, p.field or ""))
            raise ImportFileError(problems, summary=not_imported(self.source, len(problems)))

    def _columns(self, table: Table) -> dict[str, int]:
        """Our column name -> its index; a missing required column is a problem of the header."""
        where: dict[str, int] = {}
        for index, name in enumerate(table.columns):
            key = name.casefold()
            if key in where:
                self.problem(table.header_line, name, f"the column {name!r} appears twice")
            elif key in _NAMES:
                where[key] = index
        for name in REQUIRED:
            if name not in where:
                allowed = ", ".join(c.name for c in COLUMNS)
                self.problem(
                    table.header_line,
                    name,
                    f"no {name!r} column; the columns are {allowed} (case does not matter)",
                )
        self.raise_problems()
        return where

    def _row(self, line: int, values: Mapping[str, str]) -> _Row | None:
        kind = self._kind(line, values.get("kind", ""))
        stage = self._stage(line, values["stage"])
        record_id = self._record(line, values["record"])
        person = self.people.find(values["reviewer"])
        if isinstance(person, str):
            self.problem(line, "reviewer", person)
        elif kind is RowKind.RESOLUTION and not is_lead(person[2]):
            self.problem(
                line,
                "reviewer",
                f"{person[1]!r} is a {person[2]} in this review; a resolution is a lead's",
            )
        vote = self._vote(line, values["vote"], kind)
        reason = self._reason_id(values.get("reason", ""))
        if kind and stage and vote:
            for column, message in vote_problems(self.protocol, kind, stage, vote, reason):
                self.problem(line, column, message)
        if isinstance(person, str) or not (kind and stage and vote and record_id is not None):
            return None  # a row whose record, person or words are unknown is left out
        note = " ".join(values.get("note", "").split()) or None
        return _Row(line, kind, record_id, person[0], person[1], stage, vote, reason, note)

    def _kind(self, line: int, text: str) -> RowKind | None:
        word = text.strip().casefold() or RowKind.VOTE
        if word not in tuple(RowKind):
            self.problem(line, "kind", f"{text!r}: allowed are {', '.join(RowKind)} (or empty)")
            return None
        return RowKind(word)

    def _stage(self, line: int, text: str) -> Stage | None:
        stage = _STAGE_WORDS.get(" ".join(text.split()).casefold())
        if stage is None:
            what = f"{text!r}" if text.strip() else "empty"
            self.problem(line, "stage", f"{what}: allowed are {', '.join(Stage)}")
        return stage

    def _vote(self, line: int, text: str, kind: RowKind | None) -> Vote | None:
        word = text.strip().casefold()
        if word not in tuple(Vote):
            allowed = [Vote.INCLUDE, Vote.EXCLUDE] if kind is RowKind.RESOLUTION else list(Vote)
            what = f"{text!r}" if text.strip() else "empty"
            self.problem(line, "vote", f"{what}: allowed are {', '.join(allowed)}")
            return None
        return Vote(word)

    def _record(self, line: int, text: str) -> int | None:
        if not text.strip():
            self.problem(line, "record", "empty: give the record's source record id, DOI or PMID")
            return None
        found = self.records.find(text)
        if isinstance(found, str):
            self.problem(line, "record", found)
            return None
        return found

    def _reason_id(self, text: str) -> str | None:
        """The protocol's reason id for an id or a label (case-insensitive); other text is kept
        as it is, for ``vote_problems`` to refuse."""
        given = " ".join(text.split())
        if not given:
            return None
        for reason in self.protocol.exclusion_reasons:
            if given.casefold() in (
                reason.id.casefold(),
                " ".join(reason.label.split()).casefold(),
            ):
                return reason.id
        return given

    def _without_repeats(self, rows: list[_Row]) -> list[_Row]:
        """The rows, each repeat (a problem) left out."""
        first: dict[tuple[object, ...], int] = {}
        for row in rows:
            if row.key not in first:
                first[row.key] = row.line
                continue
            what = f"{row.person}'s vote" if row.kind is RowKind.VOTE else "the resolution"
            self.problem(
                row.line,
                "record",
                f"repeats row {first[row.key]}: {what} on record {row.record_id} at "
                f"{row.stage.in_prose} is there already (a record may be named by its DOI "
                "in one row and its PMID in another, or by two copies of a duplicate)",
            )
        return [row for row in rows if first[row.key] == row.line]


def _cell(cells: Sequence[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""


def vote_problems(
    protocol: Protocol, kind: RowKind, stage: Stage, vote: Vote, reason: str | None
) -> list[tuple[str, str]]:
    """(column, message) for each rule of the protocol a row breaks: the rules screening's
    ``record_vote`` applies to a vote and conflicts' ``resolve`` to a resolution, with the
    column each one concerns (``tests/services/test_decision_import.py`` holds them together)."""
    problems = []
    if kind is RowKind.RESOLUTION:
        allowed = [Vote.INCLUDE, Vote.EXCLUDE]
    else:
        allowed = [v for v in Vote if v != Vote.MAYBE or protocol.screening.allow_maybe]
    if vote not in allowed:
        why = (
            " (the protocol's allow_maybe is false)"
            if kind is RowKind.VOTE and vote == Vote.MAYBE
            else " (a resolution is final)"
            if kind is RowKind.RESOLUTION
            else ""
        )
        problems.append(("vote", f"{vote!r}: allowed are {', '.join(allowed)}{why}"))
    reasons = [r.id for r in protocol.exclusion_reasons_for(stage)]
    shown = ", ".join(reasons) or "none"
    if reason and vote != Vote.EXCLUDE:
        problems.append(("reason", f"{reason!r}: an exclusion reason goes only with exclude"))
    elif reason and reason not in reasons:
        problems.append(
            (
                "reason",
                f"{reason!r} is not an exclusion reason at {stage.in_prose} in the protocol; "
                f"allowed are {shown} (their ids or labels)",
            )
        )
    if stage is Stage.FULL_TEXT and vote == Vote.EXCLUDE and not reason:
        problems.append(("reason", f"excluding at full text needs a reason; allowed are {shown}"))
    return problems


class _RecordIndex:
    """The review's screened records by source record id, DOI and PMID; an identifier held
    only by a duplicate copy leads to its cluster's primary, the record reviewers screen."""

    KEYS = ("source record id", "DOI", "PMID")

    def __init__(self, session: Session, review_id: int) -> None:
        screened = set(unique_record_ids(session, review_id=review_id))
        primary_of = dict(
            session.exec(
                select(ClusterMember.record_id, DuplicateCluster.primary_record_id)
                .join(DuplicateCluster, col(DuplicateCluster.id) == ClusterMember.cluster_id)
                .where(DuplicateCluster.review_id == review_id)
                .where(DuplicateCluster.status == "active")
            ).all()
        )
        self.index: dict[str, dict[str, set[int]]] = {key: defaultdict(set) for key in self.KEYS}
        rows = session.exec(
            select(Record.id, Record.source_record_id, Record.doi, Record.pmid)
            .join(ImportBatch, col(ImportBatch.id) == Record.import_batch_id)
            .where(Record.review_id == review_id, ImportBatch.status == "active")
        )
        for record_id, source_id, doi, pmid in rows:
            assert record_id is not None
            target = primary_of.get(record_id, record_id)
            if target not in screened:
                continue
            for key, value in zip(self.KEYS, (source_id, doi, pmid), strict=True):
                if value and value.strip():
                    self.index[key][value.strip().casefold()].add(target)

    def find(self, text: str) -> int | str:
        """The record's id, or the problem in words (none, or several)."""
        given = text.strip()
        candidates = (given, normalize_doi(given), _pmid(given))
        for key, value in zip(self.KEYS, candidates, strict=True):
            found = self.index[key].get(value.casefold()) if value else None
            if not found:
                continue
            if len(found) > 1:
                ids = ", ".join(str(i) for i in sorted(found))
                return (
                    f"{given!r} is the {key} of {len(found)} records ({ids}); name the record "
                    "by an identifier only it has (its DOI or PMID)"
                )
            return next(iter(found))
        return f"{given!r}: no record of this review has it as source record id, DOI or PMID"


def _pmid(text: str) -> str | None:
    """A PMID only when the whole cell is one ("123", "PMID: 123")."""
    return normalize_pmid(text) if re.fullmatch(r"(?i)(?:pmid:?\s*)?\d{1,9}", text) else None


class _People:
    """The review's members by user name (exact, else the one whose name differs only in case)."""

    def __init__(self, session: Session, review_id: int) -> None:
        self.members = list(
            session.exec(
                select(User.id, User.name, Membership.role)
                .join(Membership, col(Membership.user_id) == User.id)
                .where(Membership.review_id == review_id)
                .order_by(col(User.name))
            ).all()
        )

    def find(self, text: str) -> tuple[int, str, str] | str:
        """(user id, name, role), or the problem in words."""
        name = text.strip()
        exact = [m for m in self.members if m[1] == name]
        folded = [m for m in self.members if m[1].casefold() == name.casefold()]
        match = exact or (folded if len(folded) == 1 else [])
        if match:
            user_id, found, role = match[0]
            assert user_id is not None
            return user_id, found, role
        names = ", ".join(m[1] for m in self.members) or "none yet"
        what = f"{name!r} is not a member of this review" if name else "empty"
        return f"{what}; the members are {names} (add one with review-app users add)"


# --- checks against what the review holds -------------------------------------------------------


def _against_the_review(
    session: Session, review_id: int, protocol: Protocol, rows: list[_Row]
) -> list[Found]:
    """Votes and resolutions already here, more votes than the protocol's reviewers_per_record,
    and full-text decisions on records that have not passed title/abstract."""
    return [
        *_already_decided(session, review_id, rows),
        *_too_many_votes(session, review_id, protocol, rows),
        *_not_at_full_text(session, review_id, protocol, rows),
    ]


Found = tuple[int, str, str]  # (line, column, message)


def _already_decided(session: Session, review_id: int, rows: list[_Row]) -> Iterator[Found]:
    votes = {
        (record_id, stage, reviewer_id): vote
        for record_id, stage, reviewer_id, vote in session.exec(
            select(Decision.record_id, Decision.stage, Decision.reviewer_id, Decision.vote).where(
                Decision.review_id == review_id
            )
        )
    }
    resolutions = dict(
        ((record_id, stage), vote)
        for record_id, stage, vote in session.exec(
            select(Resolution.record_id, Resolution.stage, Resolution.vote).where(
                Resolution.review_id == review_id
            )
        )
    )
    for row in rows:
        vote = votes.get((row.record_id, row.stage, row.person_id))
        if row.kind is RowKind.VOTE and vote:
            yield (
                row.line,
                "reviewer",
                f"{row.person} has already voted {vote} on record {row.record_id} at "
                f"{row.stage.in_prose} here; an import adds votes, it does not change them",
            )
        resolution = resolutions.get((row.record_id, row.stage))
        if row.kind is RowKind.RESOLUTION and resolution:
            yield (
                row.line,
                "record",
                f"record {row.record_id} already has a lead's resolution ({resolution}) at "
                f"{row.stage.in_prose}; change it on the Conflicts page",
            )


def _too_many_votes(
    session: Session, review_id: int, protocol: Protocol, rows: list[_Row]
) -> Iterator[Found]:
    """A record takes ``reviewers_per_record`` votes a stage: its slots (ScreeningSlot) are held
    by the votes cast here and by reviewers who have it on screen now; the file's votes need
    the rest."""
    needed = protocol.screening.reviewers_per_record
    now = utcnow()
    holders: dict[tuple[int, str], set[int]] = defaultdict(set)
    for record_id, stage, reviewer_id, leased_until in session.exec(
        select(
            ScreeningSlot.record_id,
            ScreeningSlot.stage,
            ScreeningSlot.reviewer_id,
            ScreeningSlot.leased_until,
        ).where(ScreeningSlot.review_id == review_id)
    ):
        if leased_until is None or _aware(leased_until) > now:
            holders[record_id, stage].add(reviewer_id)
    for record_id, stage, reviewer_id in session.exec(
        select(Decision.record_id, Decision.stage, Decision.reviewer_id).where(
            Decision.review_id == review_id
        )
    ):
        holders[record_id, stage].add(reviewer_id)
    in_file: dict[tuple[int, str], list[_Row]] = defaultdict(list)
    for row in rows:
        if row.kind is RowKind.VOTE:
            in_file[row.record_id, row.stage].append(row)
    for (record_id, stage), voting in in_file.items():
        here = holders[record_id, stage] - {row.person_id for row in voting}
        free = max(needed - len(here), 0)
        for row in voting[free:]:
            yield (
                row.line,
                "reviewer",
                f"record {record_id} would have {len(here) + len(voting)} votes at "
                f"{Stage(stage).in_prose} ({len(here)} here or being cast now, "
                f"{len(voting)} in the file); the protocol's reviewers_per_record is {needed}",
            )


def _not_at_full_text(
    session: Session, review_id: int, protocol: Protocol, rows: list[_Row]
) -> Iterator[Found]:
    """Full-text rows need the record to pass title/abstract with the file's decisions counted
    in, and a full text that is not marked "not retrieved"."""
    wanted = {row.record_id for row in rows if row.stage is Stage.FULL_TEXT}
    if not wanted:
        return
    votes: dict[int, list[str]] = defaultdict(list)
    resolutions: dict[int, str] = {}
    for record_id, vote in session.exec(
        select(Decision.record_id, Decision.vote).where(
            Decision.review_id == review_id, Decision.stage == Stage.TITLE_ABSTRACT
        )
    ):
        votes[record_id].append(vote)
    resolutions.update(
        session.exec(
            select(Resolution.record_id, Resolution.vote).where(
                Resolution.review_id == review_id, Resolution.stage == Stage.TITLE_ABSTRACT
            )
        ).all()
    )
    for row in rows:
        if row.stage is Stage.TITLE_ABSTRACT and row.kind is RowKind.VOTE:
            votes[row.record_id].append(row.vote)
        elif row.stage is Stage.TITLE_ABSTRACT:
            resolutions[row.record_id] = row.vote
    not_retrieved = set(
        session.exec(
            select(FullText.record_id)
            .join(Record, col(Record.id) == FullText.record_id)
            .where(Record.review_id == review_id, FullText.status == "not_retrieved")
        )
    )
    settings = protocol.screening
    for row in rows:
        if row.stage is not Stage.FULL_TEXT:
            continue
        status = stage_status(
            votes[row.record_id],
            reviewers_per_record=settings.reviewers_per_record,
            maybe_counts_as=settings.maybe_counts_as,
            resolution=resolutions.get(row.record_id),
        )
        if status is not StageStatus.INCLUDED:
            yield (
                row.line,
                "stage",
                f"record {row.record_id} has not passed title/abstract screening ({status}, "
                "counting this file's rows); it cannot be decided at full text",
            )
        elif row.record_id in not_retrieved:
            yield (
                row.line,
                "stage",
                f"record {row.record_id}'s full text is marked not retrieved; it cannot be "
                "decided at full text",
            )


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes (stored as UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- writing ------------------------------------------------------------------------------------


def _cast(
    session: Session, *, actor: Actor, review_id: int, rows: list[_Row], file_name: str
) -> int:
    """Each row through the service a person would use, stage by stage: title/abstract votes,
    then resolutions; while the review is blind a lead releases the title/abstract outcomes
    before full-text votes (as ``release_outcomes`` would be used here: the team of the other
    tool knew them). Returns how many outcomes were released."""
    released = 0
    for stage in Stage:
        staged = [row for row in rows if row.stage is stage]
        if stage is Stage.FULL_TEXT and staged and get_review(session, review_id).is_blind:
            released = release_outcomes(
                session, actor=actor, review_id=review_id, stage=Stage.TITLE_ABSTRACT
            )
        for kind in RowKind:
            for row in (r for r in staged if r.kind is kind):
                _cast_row(session, review_id=review_id, row=row, file_name=file_name)
    return released


def _cast_row(session: Session, *, review_id: int, row: _Row, file_name: str) -> None:
    cast = record_vote if row.kind is RowKind.VOTE else resolve
    try:
        cast(
            session,
            actor=Actor.user(row.person_id),
            review_id=review_id,
            record_id=row.record_id,
            stage=row.stage,
            vote=row.vote,
            reason=row.reason,
            note=row.note,
        )
    except ReviewAppError as error:  # checked above; the services have the last word
        column = "reviewer" if row.kind is RowKind.VOTE else "record"
        problem = Problem(source=file_name, line=row.line, field=column, message=str(error))
        raise ImportFileError([problem], summary=not_imported(file_name, 1)) from None


def _make_studies(
    session: Session, *, actor: Actor, review_id: int, rows: list[_Row]
) -> dict[int, str]:
    """A study for each report of the file included at full text that belongs to none, labelled
    as the Studies page suggests ("Vicknasingam 2020", a letter added when taken). Returns
    their ids and labels."""
    decided = {row.record_id for row in rows if row.stage is Stage.FULL_TEXT}
    included = [rid for rid in included_report_ids(session, review_id=review_id) if rid in decided]
    studies = list_studies(session, actor=actor, review_id=review_id)
    linked = {record_id for study in studies for record_id in study.record_ids}
    labels = [study.label for study in studies]
    made = {}
    for record_id in included:
        if record_id in linked:
            continue
        record = session.get(Record, record_id)
        assert record is not None
        label = suggest_label([record], taken=labels)
        if label.casefold() in {taken.casefold() for taken in labels}:  # a to z all taken
            label = f"{label} (record {record_id})"
        study = create_study(
            session, actor=actor, review_id=review_id, label=label, record_ids=[record_id]
        )
        labels.append(label)
        made[study.id] = label
    return made


def _last_event_id(session: Session) -> int:
    return session.exec(select(func.max(AuditEvent.id))).one() or 0


_IMPORTED_ACTIONS = {"vote.create": "vote.import", "resolution.create": "resolution.import"}


def _mark_imported(
    session: Session,
    review_id: int,
    written: Mapping[tuple[str, int | None], int | None],
    *,
    after_event: int,
    file_name: str,
) -> None:
    """The import's audit events (those after ``after_event`` on what it ``written``: entity and
    id -> the file's row, if one) name the file and row; votes and resolutions become
    ``vote.import`` / ``resolution.import``. Keyed by entity, so an event another person's
    transaction wrote meanwhile is left as it is."""
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.review_id == review_id, col(AuditEvent.id) > after_event
        )
    )
    for event in events:
        key = (event.entity, event.entity_id)
        if key not in written:
            continue
        imported: dict[str, object] = {"file": file_name}
        if (line := written[key]) is not None:
            imported["row"] = line
        event.action = _IMPORTED_ACTIONS.get(event.action, event.action)
        event.after = {**(event.after or {}), "imported": imported}
        session.add(event)
    session.flush()


def _lines_of_written(
    session: Session, review_id: int, rows: list[_Row]
) -> dict[tuple[str, int | None], int | None]:
    """(entity, id) of each decision and resolution the rows wrote -> the row's line."""
    votes: dict[tuple[int, str, int], int] = {
        (r.record_id, r.stage, r.person_id): r.line for r in rows if r.kind is RowKind.VOTE
    }
    resolved: dict[tuple[int, str], int] = {
        (r.record_id, r.stage): r.line for r in rows if r.kind is RowKind.RESOLUTION
    }
    found: dict[tuple[str, int | None], int | None] = {}
    for decision_id, record_id, stage, reviewer_id in session.exec(
        select(Decision.id, Decision.record_id, Decision.stage, Decision.reviewer_id).where(
            Decision.review_id == review_id
        )
    ):
        if (line := votes.get((record_id, stage, reviewer_id))) is not None:
            found["decision", decision_id] = line
    for resolution_id, record_id, stage in session.exec(
        select(Resolution.id, Resolution.record_id, Resolution.stage).where(
            Resolution.review_id == review_id
        )
    ):
        if (line := resolved.get((record_id, stage))) is not None:
            found["resolution", resolution_id] = line
    return found


def _summary(
    file_name: str, table: Table, rows: list[_Row], released: int, studies: tuple[str, ...]
) -> DecisionImportSummary:
    counts = Counter((row.kind, row.stage) for row in rows)
    return DecisionImportSummary(
        file_name=file_name,
        votes={stage: counts[RowKind.VOTE, stage] for stage in Stage},
        resolutions={stage: counts[RowKind.RESOLUTION, stage] for stage in Stage},
        people=tuple(sorted({row.person for row in rows})),
        released=released,
        studies=studies,
        ignored_columns=tuple(c for c in table.columns if c and c.casefold() not in _NAMES),
    )


__all__ = [
    "COLUMNS",
    "Column",
    "DecisionImportSummary",
    "RowKind",
    "Table",
    "import_decisions",
    "read_table",
    "vote_problems",
]
