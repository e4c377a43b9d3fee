"""Screening decisions made in another tool (Covidence, Rayyan, a spreadsheet), taken in mid-way.

A file (CSV or XLSX, one row per vote; ``COLUMNS``) names each record, the reviewer, the stage
and the vote; a lead's final decision is a row of ``kind`` resolution. Every row is checked
before anything is written, every problem is listed with its row and column, and then the rows
are cast through the screening and conflicts services as the named people themselves
(``record_vote``, ``resolve``), so slots, vote counts, blinding, releases and PRISMA behave as if
the votes had been cast here. The protocol's rules on a vote are those services' own
(``vote_problems``, ``resolution_problems``). The audit events those services write are marked
as imported (``vote.import``, ``resolution.import``, with the file and row), and the import
itself is an event of the lead who ran it. One unit of work: a problem found while writing
undoes it all.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple, TypeVar

from sqlmodel import Session, col, func, select

from review_app.domain.consensus import stage_status
from review_app.domain.vocabulary import Role, Stage, StageStatus, Vote, is_lead
from review_app.errors import ImportFileError, Problem, ReviewAppError
from review_app.importers.decoding import not_imported, refuse
from review_app.importers.normalize import normalize_doi, normalize_pmid
from review_app.importers.record import DEFAULT_LIMITS, Limits
from review_app.importers.tabular import Table, read_table
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
from review_app.services.conflicts import FINAL_VOTES, resolution_problems, resolve
from review_app.services.permissions import Actor, require_role
from review_app.services.prisma import included_report_ids
from review_app.services.progress import unique_record_ids
from review_app.services.releases import release_outcomes
from review_app.services.reviews import get_protocol, get_review
from review_app.services.screening import VoteProblem, record_vote, vote_problems
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

# The protocol's rules on each kind of row: those of the service that casts it.
_RULES: dict[RowKind, Callable[..., list[VoteProblem]]] = {
    RowKind.VOTE: vote_problems,
    RowKind.RESOLUTION: resolution_problems,
}


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
    rows = _checked_rows(session, review_id, table, file_name)
    first_event = session.exec(select(func.max(AuditEvent.id))).one() or 0
    released = _cast(session, actor=actor, review_id=review_id, rows=rows, file_name=file_name)
    studies = _make_studies(session, actor=actor, review_id=review_id, rows=rows)
    written = _written(session, review_id, rows, studies=studies, released=released)
    _mark_imported(session, review_id, written, after_event=first_event, file_name=file_name)
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
    return _summary(file_name, table, rows, released, tuple(studies.values()))


def _checked_rows(session: Session, review_id: int, table: Table, file_name: str) -> list[_Row]:
    """The file's rows in ids; ImportFileError listing every problem (row and column), of the
    rows themselves and against what the review holds, when there is any."""
    if not table.rows:
        refuse(file_name, "no rows below the header; one row per vote or resolution")
    protocol = get_protocol(session, review_id)
    reader = _Reader(session, review_id, protocol, file_name)
    rows = reader.read(table)
    here = _Here.load(session, review_id)
    for line, column, message in _against_the_review(here, protocol, rows):
        reader.problem(line, column, message)
    reader.raise_problems()
    return rows


# --- rows: the file's words to ids --------------------------------------------------------------


class _Person(NamedTuple):
    id: int
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    kind: RowKind
    record_id: int
    person: _Person
    stage: Stage
    vote: Vote
    reason: str | None
    note: str | None

    @property
    def key(self) -> tuple[object, ...]:
        return _key(self.kind, self.record_id, self.stage, self.person.id)


def _key(kind: RowKind, record_id: int, stage: str, person_id: int) -> tuple[object, ...]:
    """What one row may say once: a vote per person, record and stage; a resolution per
    record and stage."""
    return (kind, record_id, stage, person_id if kind is RowKind.VOTE else None)


_KINDS = {kind.value: kind for kind in RowKind}
_STAGES = {
    word.casefold(): stage for stage in Stage for word in (stage, stage.label, stage.in_prose)
}
_VOTES = {vote.value: vote for vote in Vote}
W = TypeVar("W")


class _Reader:
    """Turns the table's cells into rows of ids, collecting every problem (row and column)."""

    def __init__(self, session: Session, review_id: int, protocol: Protocol, source: str) -> None:
        self.protocol = protocol
        self.source = source
        self.records = _RecordIndex(session, review_id)
        self.people = _People(session, review_id)
        self.reason_ids = {  # an id or label, any case -> the id
            " ".join(key.split()).casefold(): reason.id
            for reason in protocol.exclusion_reasons
            for key in (reason.id, reason.label)
        }
        self.problems: list[Problem] = []

    def read(self, table: Table) -> list[_Row]:
        where = self._columns(table)
        rows = []
        for line, cells in table.rows:
            values = {name: _cell(cells, index) for name, index in where.items()}
            if (row := self._row(line, values)) is not None:
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
        allowed = ", ".join(c.name for c in COLUMNS)
        for name in REQUIRED:
            if name not in where:
                message = f"no {name!r} column; the columns are {allowed} (case does not matter)"
                self.problem(table.header_line, name, message)
        self.raise_problems()
        return where

    def _row(self, line: int, values: Mapping[str, str]) -> _Row | None:
        """The row in ids, or None (its problems noted) when a word, record or person is
        unknown; the protocol's rules are checked whenever the words are known."""
        kind = self._word(line, "kind", values.get("kind") or RowKind.VOTE, _KINDS, RowKind)
        stage = self._word(line, "stage", values["stage"], _STAGES, Stage)
        allowed = FINAL_VOTES if kind is RowKind.RESOLUTION else Vote
        vote = self._word(line, "vote", values["vote"], _VOTES, allowed)
        record_id = self._find(line, "record", self.records.find, values["record"])
        person = self._find(line, "reviewer", self.people.find, values["reviewer"])
        if person and kind is RowKind.RESOLUTION and not is_lead(person.role):
            message = f"{person.name!r} is a {person.role} in this review; a resolution is a lead's"
            self.problem(line, "reviewer", message)
        given = " ".join(values.get("reason", "").split())
        reason = self.reason_ids.get(given.casefold(), given) or None  # unknown: for the rules
        if kind and stage and vote:
            for problem in _RULES[kind](self.protocol, stage=stage, vote=vote, reason=reason):
                self.problem(line, problem.field, problem.message)
        if not (kind and stage and vote and person) or record_id is None:
            return None
        note = " ".join(values.get("note", "").split()) or None
        return _Row(line, kind, record_id, person, stage, vote, reason, note)

    def _word(
        self, line: int, column: str, text: str, words: Mapping[str, W], allowed: Iterable[str]
    ) -> W | None:
        found = words.get(" ".join(text.split()).casefold())
        if found is None:
            what = repr(text) if text.strip() else "empty"
            self.problem(line, column, f"{what}: allowed are {', '.join(allowed)}")
        return found

    def _find(self, line: int, column: str, find: Callable[[str], W], text: str) -> W | None:
        try:
            return find(text)
        except LookupError as why:
            self.problem(line, column, str(why))
            return None

    def _without_repeats(self, rows: list[_Row]) -> list[_Row]:
        """The rows, each repeat (a problem) left out."""
        first: dict[tuple[object, ...], int] = {}
        for row in rows:
            if row.key not in first:
                first[row.key] = row.line
                continue
            what = f"{row.person.name}'s vote" if row.kind is RowKind.VOTE else "the resolution"
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

    def find(self, text: str) -> int:
        """The record's id; LookupError saying why not (none, or several)."""
        given = text.strip()
        if not given:
            raise LookupError("empty: give the record's source record id, DOI or PMID")
        candidates = (given, normalize_doi(given), _pmid(given))
        for key, value in zip(self.KEYS, candidates, strict=True):
            found = self.index[key].get(value.casefold()) if value else None
            if found and len(found) > 1:
                raise LookupError(
                    f"{given!r} is the {key} of {len(found)} records "
                    f"({', '.join(str(i) for i in sorted(found))}); name the record by an "
                    "identifier only it has (its DOI or PMID)"
                )
            if found:
                return next(iter(found))
        raise LookupError(
            f"{given!r}: no record of this review has it as source record id, DOI or PMID"
        )


def _pmid(text: str) -> str | None:
    """A PMID only when the whole cell is one ("123", "PMID: 123")."""
    return normalize_pmid(text) if re.fullmatch(r"(?i)(?:pmid:?\s*)?\d{1,9}", text) else None


class _People:
    """The review's members by user name (exact, else the one whose name differs only in case)."""

    def __init__(self, session: Session, review_id: int) -> None:
        self.members = [
            _Person(user_id, name, role)
            for user_id, name, role in session.exec(
                select(User.id, User.name, Membership.role)
                .join(Membership, col(Membership.user_id) == User.id)
                .where(Membership.review_id == review_id)
                .order_by(col(User.name))
            )
            if user_id is not None
        ]

    def find(self, text: str) -> _Person:
        """The member; LookupError naming the members when there is none."""
        name = text.strip()
        exact = [m for m in self.members if m.name == name]
        folded = [m for m in self.members if m.name.casefold() == name.casefold()]
        if match := exact or (folded if len(folded) == 1 else []):
            return match[0]
        names = ", ".join(m.name for m in self.members) or "none yet"
        what = f"{name!r} is not a member of this review" if name else "empty"
        raise LookupError(f"{what}; the members are {names} (add one with review-app users add)")


# --- checks against what the review holds -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Here:
    """What the review holds already, read once for every row's checks."""

    votes: dict[tuple[int, str, int], str]  # (record, stage, reviewer) -> vote
    resolutions: dict[tuple[int, str], str]  # (record, stage) -> vote
    leases: set[tuple[int, str, int]]  # (record, stage, reviewer) with the record on screen now
    not_retrieved: set[int]  # records whose full text was not found

    @classmethod
    def load(cls, session: Session, review_id: int) -> _Here:
        votes = session.exec(
            select(Decision.record_id, Decision.stage, Decision.reviewer_id, Decision.vote).where(
                Decision.review_id == review_id
            )
        )
        resolutions = session.exec(
            select(Resolution.record_id, Resolution.stage, Resolution.vote).where(
                Resolution.review_id == review_id
            )
        )
        leases = session.exec(
            select(ScreeningSlot.record_id, ScreeningSlot.stage, ScreeningSlot.reviewer_id).where(
                ScreeningSlot.review_id == review_id, col(ScreeningSlot.leased_until) > utcnow()
            )
        )
        not_retrieved = session.exec(
            select(FullText.record_id)
            .join(Record, col(Record.id) == FullText.record_id)
            .where(Record.review_id == review_id, FullText.status == "not_retrieved")
        )
        return cls(
            votes={(record, stage, who): vote for record, stage, who, vote in votes},
            resolutions={(record, stage): vote for record, stage, vote in resolutions},
            leases=set(leases),
            not_retrieved=set(not_retrieved),
        )


Found = tuple[int, str, str]  # (line, column, message)


def _against_the_review(here: _Here, protocol: Protocol, rows: list[_Row]) -> list[Found]:
    """Votes and resolutions already here, more votes than the protocol's reviewers_per_record,
    and full-text decisions on records that have not passed title/abstract."""
    return [
        *_already_decided(here, rows),
        *_too_many_votes(here, protocol.screening.reviewers_per_record, rows),
        *_not_at_full_text(here, protocol, rows),
    ]


def _already_decided(here: _Here, rows: list[_Row]) -> Iterator[Found]:
    for row in rows:
        vote = here.votes.get((row.record_id, row.stage, row.person.id))
        if row.kind is RowKind.VOTE and vote:
            yield (
                row.line,
                "reviewer",
                f"{row.person.name} has already voted {vote} on record {row.record_id} at "
                f"{row.stage.in_prose} here; an import adds votes, it does not change them",
            )
        resolution = here.resolutions.get((row.record_id, row.stage))
        if row.kind is RowKind.RESOLUTION and resolution:
            yield (
                row.line,
                "record",
                f"record {row.record_id} already has a lead's resolution ({resolution}) at "
                f"{row.stage.in_prose}; change it on the Conflicts page",
            )


def _too_many_votes(here: _Here, needed: int, rows: list[_Row]) -> Iterator[Found]:
    """A record takes ``needed`` votes a stage: its slots are held by the votes cast here and
    by reviewers who have it on screen now; the file's votes need the rest."""
    holders: dict[tuple[int, str], set[int]] = defaultdict(set)
    for record_id, stage, reviewer_id in [*here.votes, *here.leases]:
        holders[record_id, stage].add(reviewer_id)
    in_file: dict[tuple[int, str], list[_Row]] = defaultdict(list)
    for row in rows:
        if row.kind is RowKind.VOTE:
            in_file[row.record_id, row.stage].append(row)
    for (record_id, stage), voting in in_file.items():
        held = holders[record_id, stage] - {row.person.id for row in voting}
        free = max(needed - len(held), 0)
        for row in voting[free:]:
            yield (
                row.line,
                "reviewer",
                f"record {record_id} would have {len(held) + len(voting)} votes at "
                f"{Stage(stage).in_prose} ({len(held)} here or being cast now, "
                f"{len(voting)} in the file); the protocol's reviewers_per_record is {needed}",
            )


def _not_at_full_text(here: _Here, protocol: Protocol, rows: list[_Row]) -> Iterator[Found]:
    """Full-text rows need the record to pass title/abstract with the file's decisions counted
    in, and a full text that is not marked "not retrieved"."""
    votes: dict[int, list[str]] = defaultdict(list)
    resolutions: dict[int, str] = {}
    for (record_id, stage, _), vote in here.votes.items():
        if stage == Stage.TITLE_ABSTRACT:
            votes[record_id].append(vote)
    for (record_id, stage), vote in here.resolutions.items():
        if stage == Stage.TITLE_ABSTRACT:
            resolutions[record_id] = vote
    for row in (r for r in rows if r.stage is Stage.TITLE_ABSTRACT):
        if row.kind is RowKind.VOTE:
            votes[row.record_id].append(row.vote)
        else:
            resolutions[row.record_id] = row.vote
    settings = protocol.screening
    for row in (r for r in rows if r.stage is Stage.FULL_TEXT):
        status = stage_status(
            votes[row.record_id],
            reviewers_per_record=settings.reviewers_per_record,
            maybe_counts_as=settings.maybe_counts_as,
            resolution=resolutions.get(row.record_id),
        )
        if status is not StageStatus.INCLUDED:
            why = f"has not passed title/abstract screening ({status}, counting this file's rows)"
        elif row.record_id in here.not_retrieved:
            why = "has its full text marked not retrieved"
        else:
            continue
        yield row.line, "stage", f"record {row.record_id} {why}; it cannot be decided at full text"


# --- writing ------------------------------------------------------------------------------------


def _cast(
    session: Session, *, actor: Actor, review_id: int, rows: list[_Row], file_name: str
) -> int:
    """Each row through the service a person would use, stage by stage: votes, then
    resolutions; while the review is blind a lead releases the title/abstract outcomes before
    full-text rows (as ``release_outcomes`` would be used here: the team of the other tool
    knew them). Returns how many outcomes were released."""
    released = 0
    blind = get_review(session, review_id).is_blind
    for stage in Stage:
        staged = [r for kind in RowKind for r in rows if r.stage is stage and r.kind is kind]
        if stage is Stage.FULL_TEXT and staged and blind:
            released = release_outcomes(
                session, actor=actor, review_id=review_id, stage=Stage.TITLE_ABSTRACT
            )
        for row in staged:
            _cast_row(session, review_id=review_id, row=row, file_name=file_name)
    return released


def _cast_row(session: Session, *, review_id: int, row: _Row, file_name: str) -> None:
    cast = record_vote if row.kind is RowKind.VOTE else resolve
    try:
        cast(
            session,
            actor=Actor.user(row.person.id),
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
    for record_id in (rid for rid in included if rid not in linked):
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


Written = dict[tuple[str, int | None], int | None]  # (entity, id) -> the file's row, if one
_IMPORTED_ACTIONS = {"vote.create": "vote.import", "resolution.create": "resolution.import"}


def _written(
    session: Session, review_id: int, rows: list[_Row], *, studies: Mapping[int, str], released: int
) -> Written:
    """What the import wrote: each decision and resolution with its row, the studies, and the
    review when title/abstract outcomes were released."""
    line_of = {row.key: row.line for row in rows}
    written: Written = {("study", study_id): None for study_id in studies}
    if released:
        written["review", review_id] = None
    decisions = select(Decision.id, Decision.record_id, Decision.stage, Decision.reviewer_id)
    resolutions = select(Resolution.id, Resolution.record_id, Resolution.stage, Resolution.lead_id)
    for entity, kind, query in (
        ("decision", RowKind.VOTE, decisions.where(Decision.review_id == review_id)),
        ("resolution", RowKind.RESOLUTION, resolutions.where(Resolution.review_id == review_id)),
    ):
        for entity_id, record_id, stage, person_id in session.exec(query):
            if (line := line_of.get(_key(kind, record_id, stage, person_id))) is not None:
                written[entity, entity_id] = line
    return written


def _mark_imported(
    session: Session, review_id: int, written: Written, *, after_event: int, file_name: str
) -> None:
    """The import's audit events (those after ``after_event`` on what it has ``written``) name
    the file and row; votes and resolutions become ``vote.import`` / ``resolution.import``. Keyed
    by entity, so an event another person's transaction wrote meanwhile is left as it is."""
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


def _summary(
    file_name: str, table: Table, rows: list[_Row], released: int, studies: tuple[str, ...]
) -> DecisionImportSummary:
    counts = Counter((row.kind, row.stage) for row in rows)
    return DecisionImportSummary(
        file_name=file_name,
        votes={stage: counts[RowKind.VOTE, stage] for stage in Stage},
        resolutions={stage: counts[RowKind.RESOLUTION, stage] for stage in Stage},
        people=tuple(sorted({row.person.name for row in rows})),
        released=released,
        studies=studies,
        ignored_columns=tuple(c for c in table.columns if c and c.casefold() not in _NAMES),
    )


__all__ = [
    "COLUMNS",
    "Column",
    "DecisionImportSummary",
    "RowKind",
    "import_decisions",
]
