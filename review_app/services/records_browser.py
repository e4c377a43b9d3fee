"""The records browser: every record of a review, a page at a time, searched, filtered, sorted.

A review may hold 100,000 records, so the database does the work: the filters are SQL
conditions on ``Record`` (a record's status at a stage is computed in SQL from its votes, with
the same rule as ``domain.consensus.stage_status``), the page is ``LIMIT``/``OFFSET`` with the
record id breaking ties, and the total is one ``COUNT`` over the same conditions. Only the rows
of the page are then read whole and their statuses worked out in Python.

Where a record stands: a duplicate copy has left screening; any other record is at title/abstract
until it passes it, then at full text; its status is the one at that stage.

Blinding: while a review is blind a reviewer learns an outcome only once a lead has released or
resolved it (``releases``). So for a reviewer the status, the stage it moves a record to, the
"reviewers disagreed" filter and the full-text filter read released outcomes only; votes and
tags are their own. Leads and admins (and everyone once the review is unblinded) see everything.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Text, and_, case, cast, false, func, not_, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from review_app.domain.consensus import stage_status
from review_app.domain.vocabulary import Role, Stage, StageStatus, Vote
from review_app.errors import ValidationError
from review_app.importers.normalize import normalize_doi
from review_app.models import (
    ClusterMember,
    Decision,
    DuplicateCluster,
    FullText,
    ImportBatch,
    Record,
    Resolution,
)
from review_app.protocol import Protocol
from review_app.services.permissions import Actor, can_see_all_votes, require_role
from review_app.services.releases import released_record_ids_select
from review_app.services.reviews import get_protocol, get_review

PAGE_SIZES = (25, 50, 100)
MAX_PAGE_SIZE = max(PAGE_SIZES)
NOT_VOTED = "not_voted"  # the "my vote" filter's value for records without my vote
RETRIEVED = "retrieved"  # FullText.status of a PDF or link
SEARCH_WORDS = 8  # at most this many words of a search are matched (each must match)


class RecordSort(StrEnum):
    """What the records can be sorted by; ties are broken by record id."""

    IMPORTED = "imported"  # import order (record id)
    TITLE = "title"
    YEAR = "year"
    AUTHOR = "author"  # first author
    JOURNAL = "journal"
    SOURCE = "source"  # the database the record was imported from

    @property
    def label(self) -> str:
        return _SORT_LABELS[self]


_SORT_LABELS = {
    RecordSort.IMPORTED: "Import order",
    RecordSort.TITLE: "Title",
    RecordSort.YEAR: "Year",
    RecordSort.AUTHOR: "First author",
    RecordSort.JOURNAL: "Journal",
    RecordSort.SOURCE: "Source",
}


@dataclass(frozen=True, slots=True)
class RecordFilters:
    """What the browser narrows the records to; None (or "") leaves a filter out."""

    text: str = ""  # words searched in title, abstract, authors, DOI and PMID (each must match)
    source: str | None = None  # the import's source database ("Embase")
    import_batch_id: int | None = None
    stage: Stage | None = None  # where the record stands (duplicate copies stand nowhere)
    status: StageStatus | None = None  # its status at the stage where it stands
    my_vote: str | None = None  # a Vote, or NOT_VOTED, at the stage where it stands
    conflict: bool | None = None  # the reviewers disagreed at some stage (resolved or not)
    duplicate: bool | None = None  # True: copies set aside as duplicates; False: the others
    tag: str | None = None  # a tag on a vote the actor may see
    has_full_text: bool | None = None  # a PDF or a link recorded


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One line of the records table."""

    id: int
    title: str
    authors: list[str]
    year: int | None
    journal: str | None
    doi: str | None
    pmid: str | None
    source: str  # the import's source database
    import_batch_id: int
    duplicate_of: int | None  # the primary record, for a copy set aside as a duplicate
    copies: int  # merged copies of this record (0 for a copy or a record without copies)
    stage: Stage | None  # None for a duplicate copy
    status: StageStatus | None  # None: a duplicate copy, or hidden while the review is blind
    my_vote: str | None  # the actor's vote at the record's stage
    has_full_text: bool


@dataclass(frozen=True, slots=True)
class RecordPage:
    rows: list[RecordRow]
    total: int  # records matching the filters, on every page
    page: int  # 1-based
    page_size: int
    sees_outcomes: bool  # False: a reviewer in a blind review (released outcomes only)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True, slots=True)
class BatchOption:
    id: int
    source: str
    file_name: str

    @property
    def label(self) -> str:
        return f"{self.source}: {self.file_name}"


@dataclass(frozen=True, slots=True)
class FilterOptions:
    """The values the filters offer this actor."""

    sources: list[str]
    batches: list[BatchOption]
    tags: list[str]
    statuses: list[StageStatus]  # a blind reviewer: only the outcomes a lead can release
    sees_outcomes: bool


def list_records(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    filters: RecordFilters | None = None,
    sort: RecordSort | str = RecordSort.IMPORTED,
    descending: bool = False,
    page: int = 1,
    page_size: int = 50,
) -> RecordPage:
    """One page of the review's records (in active imports) matching ``filters``, with the
    total. A page past the last one gives the last page."""
    scope = _scope(session, actor, review_id)
    if page_size not in range(1, MAX_PAGE_SIZE + 1):
        raise ValidationError(f"page size {page_size}: allowed are 1 to {MAX_PAGE_SIZE}")
    if page < 1:
        raise ValidationError(f"page {page}: pages are numbered from 1")
    chosen = filters or RecordFilters()
    conditions = _conditions(scope, chosen)
    query = _sorted(
        select(col(Record.id)).where(*conditions), _sort(sort), descending, scope.dialect
    )
    ids: list[int | None] = []
    total: int | None = None
    if _is_costly(chosen):
        ids, total = _page_and_total(session, query, page, page_size)
        if not ids and page == 1:
            total = 0  # nothing matches: no second look
    if (
        not ids and total != 0
    ):  # a plain count reads an index; or the page asked for is past the last one
        total = _count(session, conditions) if total is None else total
        page = min(page, max(1, -(-total // page_size)))
        ids = list(session.exec(query.limit(page_size).offset((page - 1) * page_size)))
    assert total is not None  # the window count came with the rows, or the count ran
    return RecordPage(
        rows=_rows(session, scope, [rid for rid in ids if rid is not None]),
        total=total,
        page=page,
        page_size=page_size,
        sees_outcomes=scope.sees_outcomes,
    )


def count_records(
    session: Session, *, actor: Actor, review_id: int, filters: RecordFilters | None = None
) -> int:
    """How many of the review's records match ``filters`` (one COUNT in the database)."""
    scope = _scope(session, actor, review_id)
    return _count(session, _conditions(scope, filters or RecordFilters()))


def list_filter_options(session: Session, *, actor: Actor, review_id: int) -> FilterOptions:
    """The sources, import batches and tags to offer in the filters (tags from the votes the
    actor may see), and the statuses that can match for them."""
    scope = _scope(session, actor, review_id)
    batches = [
        BatchOption(id=b.id, source=b.source_name, file_name=b.file_name)  # type: ignore[arg-type]
        for b in session.exec(
            select(ImportBatch)
            .where(ImportBatch.review_id == review_id, ImportBatch.status == "active")
            .order_by(col(ImportBatch.id))
        )
    ]
    tagged = select(Decision.tags).where(
        Decision.review_id == review_id, cast(Decision.tags, Text) != "[]"
    )
    if not scope.sees_outcomes:
        tagged = tagged.where(Decision.reviewer_id == actor.user_id)
    tags = sorted({tag for row in session.exec(tagged) for tag in row})
    statuses = list(StageStatus) if scope.sees_outcomes else _RELEASABLE
    return FilterOptions(
        sources=sorted({b.source for b in batches}),
        batches=batches,
        tags=tags,
        statuses=statuses,
        sees_outcomes=scope.sees_outcomes,
    )


# What a blind reviewer's status filter can match: outcomes a lead releases or resolves.
_RELEASABLE = [StageStatus.CONFLICT, StageStatus.INCLUDED, StageStatus.EXCLUDED]


# --- who is asking -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scope:
    """The review, the actor and what they may see, read once per call."""

    review_id: int
    user_id: int | None
    sees_outcomes: bool  # leads and admins, or everyone once the review is unblinded
    protocol: Protocol
    dialect: str  # "sqlite" or "postgresql": how text is matched and sorted without case


def _scope(session: Session, actor: Actor, review_id: int) -> Scope:
    role = require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    return Scope(
        review_id=review_id,
        user_id=actor.user_id,
        sees_outcomes=can_see_all_votes(role) or not get_review(session, review_id).is_blind,
        protocol=get_protocol(session, review_id),
        dialect=session.get_bind().dialect.name,
    )


# --- conditions --------------------------------------------------------------------------------


def _conditions(scope: Scope, filters: RecordFilters) -> list[ColumnElement[bool]]:
    """SQL conditions on ``Record`` for the filters, the review's active imports first."""
    review_id = scope.review_id
    active = select(ImportBatch.id).where(
        ImportBatch.review_id == review_id, ImportBatch.status == "active"
    )
    conditions: list[ColumnElement[bool]] = [
        col(Record.review_id) == review_id,
        col(Record.import_batch_id).in_(active),
    ]
    conditions += _search(filters.text, scope.dialect)
    if filters.source:
        by_source = active.where(ImportBatch.source_name == filters.source)
        conditions.append(col(Record.import_batch_id).in_(by_source))
    if filters.import_batch_id is not None:
        conditions.append(col(Record.import_batch_id) == filters.import_batch_id)
    if filters.duplicate is not None:
        copy = col(Record.id).in_(_secondary_ids())
        conditions.append(copy if filters.duplicate else not_(copy))
    conditions += _screening_conditions(scope, filters)
    if filters.tag:
        conditions.append(col(Record.id).in_(_tagged(scope, filters.tag)))
    if filters.has_full_text is not None:
        with_text = col(Record.id).in_(_with_full_text(scope))
        conditions.append(with_text if filters.has_full_text else not_(with_text))
    return conditions


def _screening_conditions(scope: Scope, filters: RecordFilters) -> list[ColumnElement[bool]]:
    """Stage, status, my vote and disagreement: all about screened (not duplicate) records."""
    if all(
        value is None
        for value in (filters.stage, filters.status, filters.my_vote, filters.conflict)
    ):
        return []
    conditions: list[ColumnElement[bool]] = [not_(col(Record.id).in_(_secondary_ids()))]
    passed = _passed_title_abstract(scope)
    if filters.stage is not None:
        conditions.append(passed if filters.stage == Stage.FULL_TEXT else not_(passed))
    if filters.status is not None:
        conditions.append(
            or_(
                and_(not_(passed), _has_status(scope, Stage.TITLE_ABSTRACT, filters.status)),
                and_(passed, _has_status(scope, Stage.FULL_TEXT, filters.status)),
            )
        )
    if filters.my_vote is not None:
        conditions.append(
            or_(
                and_(not_(passed), _my_vote_is(scope, Stage.TITLE_ABSTRACT, filters.my_vote)),
                and_(passed, _my_vote_is(scope, Stage.FULL_TEXT, filters.my_vote)),
            )
        )
    if filters.conflict is not None:
        disagreed = or_(*(_disagreed(scope, stage) for stage in Stage))
        conditions.append(disagreed if filters.conflict else not_(disagreed))
    return conditions


def _secondary_ids() -> SelectOfScalar[int]:
    """Records set aside as duplicate copies (secondary members of an active cluster)."""
    return (
        select(ClusterMember.record_id)
        .join(DuplicateCluster, col(DuplicateCluster.id) == ClusterMember.cluster_id)
        .where(DuplicateCluster.status == "active", col(ClusterMember.is_primary).is_(False))
    )


def _passed_title_abstract(scope: Scope) -> ColumnElement[bool]:
    """The record stands at full text: it passed title/abstract, as far as the actor may know."""
    return _has_status(scope, Stage.TITLE_ABSTRACT, StageStatus.INCLUDED)


def _has_status(scope: Scope, stage: Stage, status: StageStatus) -> ColumnElement[bool]:
    """The record's status at ``stage`` is ``status`` (``stage_status``'s rule, in SQL); for a
    blind reviewer only outcomes a lead released or resolved match."""
    condition = _status_condition(scope, stage, status)
    if scope.sees_outcomes:
        return condition
    return and_(condition, col(Record.id).in_(released_record_ids_select(scope.review_id, stage)))


def _status_condition(scope: Scope, stage: Stage, status: StageStatus) -> ColumnElement[bool]:
    settings = scope.protocol.screening
    needed = settings.reviewers_per_record
    resolved = select(Resolution.record_id).where(
        Resolution.review_id == scope.review_id, Resolution.stage == stage
    )
    votes, excludes, maybes = _tally()
    full = votes >= needed
    maybe_conflict = (maybes > 0) if settings.maybe_counts_as == "conflict" else false()
    if status is StageStatus.UNSCREENED:
        voted = select(Decision.record_id).where(
            Decision.review_id == scope.review_id, Decision.stage == stage
        )
        return and_(not_(col(Record.id).in_(resolved)), not_(col(Record.id).in_(voted)))
    having = {
        StageStatus.AWAITING: votes < needed,
        StageStatus.CONFLICT: and_(full, or_(maybe_conflict, and_(excludes > 0, excludes < votes))),
        StageStatus.INCLUDED: and_(full, excludes == 0, not_(maybe_conflict)),
        StageStatus.EXCLUDED: and_(full, excludes == votes),
    }[status]
    by_votes = and_(
        not_(col(Record.id).in_(resolved)),
        col(Record.id).in_(_voted(scope, stage).having(having)),
    )
    final = {StageStatus.INCLUDED: Vote.INCLUDE, StageStatus.EXCLUDED: Vote.EXCLUDE}.get(status)
    if final is None:
        return by_votes
    return or_(col(Record.id).in_(resolved.where(Resolution.vote == final)), by_votes)


def _tally() -> tuple[ColumnElement[int], ColumnElement[int], ColumnElement[int]]:
    """Votes, exclude votes and maybe votes of a record at a stage (inside ``_voted``)."""
    excludes = func.sum(case((col(Decision.vote) == Vote.EXCLUDE, 1), else_=0))
    maybes = func.sum(case((col(Decision.vote) == Vote.MAYBE, 1), else_=0))
    return func.count(), excludes, maybes


def _voted(scope: Scope, stage: Stage) -> SelectOfScalar[int]:
    return (
        select(Decision.record_id)
        .where(Decision.review_id == scope.review_id, Decision.stage == stage)
        .group_by(col(Decision.record_id))
    )


def _disagreed(scope: Scope, stage: Stage) -> ColumnElement[bool]:
    """The record's votes at ``stage`` disagree (a conflict, whether a lead resolved it or
    not); for a blind reviewer only on records whose outcome was released or resolved."""
    settings = scope.protocol.screening
    votes, excludes, maybes = _tally()
    maybe_conflict = (maybes > 0) if settings.maybe_counts_as == "conflict" else false()
    having = and_(
        votes >= settings.reviewers_per_record,
        or_(maybe_conflict, and_(excludes > 0, excludes < votes)),
    )
    condition = col(Record.id).in_(_voted(scope, stage).having(having))
    if scope.sees_outcomes:
        return condition
    return and_(condition, col(Record.id).in_(released_record_ids_select(scope.review_id, stage)))


def _my_vote_is(scope: Scope, stage: Stage, vote: str) -> ColumnElement[bool]:
    if vote != NOT_VOTED and vote not in tuple(Vote):
        allowed = ", ".join([*Vote, NOT_VOTED])
        raise ValidationError(f"my vote {vote!r}: allowed are {allowed}")
    mine = select(Decision.record_id).where(
        Decision.review_id == scope.review_id,
        Decision.stage == stage,
        Decision.reviewer_id == scope.user_id,
    )
    if vote == NOT_VOTED:
        return not_(col(Record.id).in_(mine))
    return col(Record.id).in_(mine.where(Decision.vote == vote))


def _tagged(scope: Scope, tag: str) -> SelectOfScalar[int]:
    """Records with ``tag`` on a vote the actor may see. Tags are stored as a JSON list
    (orjson: ``["a","b"]``), so the tag with its quotes is searched in the list's text, which
    works alike on SQLite and PostgreSQL."""
    pattern = f"%{_escape_like(orjson.dumps(tag.strip()).decode())}%"
    query = select(Decision.record_id).where(
        Decision.review_id == scope.review_id,
        cast(Decision.tags, Text).like(pattern, escape="\\"),
    )
    if not scope.sees_outcomes:
        query = query.where(Decision.reviewer_id == scope.user_id)
    return query


def _with_full_text(scope: Scope) -> SelectOfScalar[int]:
    """Records with a PDF or a link; for a blind reviewer only those a lead sent on to full
    text (a full text on another record would tell that it passed title/abstract)."""
    query = (
        select(FullText.record_id)
        .join(Record, col(Record.id) == FullText.record_id)
        .where(Record.review_id == scope.review_id, FullText.status == RETRIEVED)
    )
    if not scope.sees_outcomes:
        released = released_record_ids_select(scope.review_id, Stage.TITLE_ABSTRACT)
        query = query.where(col(FullText.record_id).in_(released))
    return query


def _search(text: str, dialect: str) -> list[ColumnElement[bool]]:
    """Each word of ``text`` in the title, abstract, authors or DOI, without case; a DOI (also
    as a link or with ``doi:``) or a PMID alone is looked up as that identifier (an index)."""
    text = (text or "").strip()
    if not text:
        return []
    if doi := normalize_doi(text):
        return [col(Record.doi) == doi]
    if text.isdigit():
        return [col(Record.pmid) == text]
    conditions = []
    for word in text.split()[:SEARCH_WORDS]:
        pattern = f"%{_escape_like(word)}%"
        conditions.append(
            or_(
                *(
                    _contains(column, pattern, dialect)
                    for column in (
                        col(Record.title),
                        col(Record.abstract),
                        cast(Record.authors, Text),
                        col(Record.doi),
                    )
                )
            )
        )
    return conditions


def _contains(column: Any, pattern: str, dialect: str) -> ColumnElement[bool]:
    """``column`` holds ``pattern`` without case. SQLite's LIKE already ignores the case of
    ASCII letters; its ILIKE would lower() every abstract of the review first, several times
    slower on a large review."""
    if dialect == "sqlite":
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- sorting and counting ----------------------------------------------------------------------


def _sort(sort: RecordSort | str) -> RecordSort:
    try:
        return RecordSort(sort)
    except ValueError:
        allowed = ", ".join(RecordSort)
        raise ValidationError(f"sort {sort!r}: allowed are {allowed}") from None


def _sorted(
    query: SelectOfScalar[int | None], sort: RecordSort, descending: bool, dialect: str
) -> SelectOfScalar[int | None]:
    """Ordered by ``sort`` (missing values last), then by record id."""
    if sort is RecordSort.IMPORTED:
        return query.order_by(col(Record.id).desc() if descending else col(Record.id))
    if sort is RecordSort.SOURCE:
        source = (
            select(ImportBatch.source_name)
            .where(col(ImportBatch.id) == Record.import_batch_id)
            .scalar_subquery()
        )
        key: Any = source
    else:
        key = {
            RecordSort.TITLE: _folded(col(Record.title), dialect),
            RecordSort.YEAR: col(Record.year),
            RecordSort.AUTHOR: _folded(cast(Record.authors, Text), dialect),
            RecordSort.JOURNAL: _folded(col(Record.journal), dialect),
        }[sort]
    missing = case((key.is_(None), 1), else_=0)
    ordered = key.desc() if descending else key.asc()
    record_id = col(Record.id).desc() if descending else col(Record.id)
    return query.order_by(missing, ordered, record_id)


def _folded(column: Any, dialect: str) -> Any:
    """``column`` to sort without case: SQLite's NOCASE collation (no lower() per row)."""
    return column.collate("NOCASE") if dialect == "sqlite" else func.lower(column)


def _is_costly(filters: RecordFilters) -> bool:
    """Whether the filters need the votes, tags, full texts or a text search: then the page
    and its total come from one statement, so the database works the conditions out once."""
    return bool(filters.text) or any(
        value is not None
        for value in (filters.stage, filters.status, filters.my_vote, filters.conflict,
                      filters.tag, filters.has_full_text)
    )  # fmt: skip


def _page_and_total(
    session: Session, query: SelectOfScalar[int | None], page: int, page_size: int
) -> tuple[list[int | None], int | None]:
    """The page's ids and the total (a window count over the same rows); no total when the
    page is empty (no row to carry it)."""
    counted = query.add_columns(func.count().over())
    rows = session.execute(counted.limit(page_size).offset((page - 1) * page_size)).all()
    return [row[0] for row in rows], (rows[0][1] if rows else None)


def _count(session: Session, conditions: list[ColumnElement[bool]]) -> int:
    return session.exec(select(func.count()).select_from(Record).where(*conditions)).one()


# --- the rows of one page ----------------------------------------------------------------------


def _rows(session: Session, scope: Scope, ids: list[int]) -> list[RecordRow]:
    if not ids:
        return []
    records = {
        record.id: (record, source)
        for record, source in session.exec(
            select(Record, col(ImportBatch.source_name))
            .join(ImportBatch, col(ImportBatch.id) == Record.import_batch_id)
            .where(col(Record.id).in_(ids))
        )
    }
    clusters = cluster_facts(session, ids)
    outcomes = _outcomes(session, scope, ids)
    with_text = set(session.exec(_with_full_text(scope).where(col(FullText.record_id).in_(ids))))
    rows = []
    for rid in ids:
        record, source = records[rid]
        primary, copies = clusters.get(rid, (None, 0))
        outcome = outcomes[rid] if primary is None else Outcome(None, None, None)
        rows.append(
            RecordRow(
                id=rid,
                title=record.title,
                authors=list(record.authors),
                year=record.year,
                journal=record.journal,
                doi=record.doi,
                pmid=record.pmid,
                source=source,
                import_batch_id=record.import_batch_id,
                duplicate_of=primary,
                copies=copies,
                stage=outcome.stage,
                status=outcome.status,
                my_vote=outcome.my_vote,
                has_full_text=rid in with_text,
            )
        )
    return rows


def cluster_facts(session: Session, ids: list[int]) -> dict[int, tuple[int | None, int]]:
    """For records in an active duplicate cluster: (their primary if they are a copy, else
    None; the number of copies merged into them if they are the primary, else 0)."""
    members = session.exec(
        select(
            ClusterMember.record_id, ClusterMember.cluster_id, DuplicateCluster.primary_record_id
        )
        .join(DuplicateCluster, col(DuplicateCluster.id) == ClusterMember.cluster_id)
        .where(DuplicateCluster.status == "active", col(ClusterMember.record_id).in_(ids))
    ).all()
    sizes = dict(
        session.exec(
            select(ClusterMember.cluster_id, func.count())
            .where(col(ClusterMember.cluster_id).in_({cluster for _, cluster, _ in members}))
            .group_by(col(ClusterMember.cluster_id))
        ).all()
    )
    return {
        rid: (None, sizes[cluster] - 1) if rid == primary else (primary, 0)
        for rid, cluster, primary in members
    }


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where a record stands for the actor: stage, status there (None when hidden) and the
    actor's own vote there."""

    stage: Stage | None
    status: StageStatus | None
    my_vote: str | None


def record_outcomes(
    session: Session, *, actor: Actor, review_id: int, record_ids: list[int]
) -> dict[int, Outcome]:
    """Each record's stage, status there and the actor's vote there, as the actor may know
    them (see the module's notes); duplicate copies are given as at title/abstract."""
    return _outcomes(session, _scope(session, actor, review_id), record_ids)


def _outcomes(session: Session, scope: Scope, ids: list[int]) -> dict[int, Outcome]:
    settings = scope.protocol.screening
    votes: dict[tuple[int, str], list[str]] = defaultdict(list)
    mine: dict[tuple[int, str], str] = {}
    for rid, stage, vote, reviewer in session.exec(
        select(Decision.record_id, Decision.stage, Decision.vote, Decision.reviewer_id).where(
            col(Decision.record_id).in_(ids)
        )
    ):
        votes[(rid, stage)].append(vote)
        if reviewer == scope.user_id:
            mine[(rid, stage)] = vote
    resolutions = {
        (rid, stage): vote
        for rid, stage, vote in session.exec(
            select(Resolution.record_id, Resolution.stage, Resolution.vote).where(
                col(Resolution.record_id).in_(ids)
            )
        )
    }
    known = _known_outcomes(session, scope, ids)

    def status(rid: int, stage: Stage) -> StageStatus | None:
        if (rid, stage) not in known:
            return None
        return stage_status(
            votes[(rid, stage)],
            reviewers_per_record=settings.reviewers_per_record,
            maybe_counts_as=settings.maybe_counts_as,
            resolution=resolutions.get((rid, stage)),
        )

    outcomes = {}
    for rid in ids:
        at_ta = status(rid, Stage.TITLE_ABSTRACT)
        stage = Stage.FULL_TEXT if at_ta is StageStatus.INCLUDED else Stage.TITLE_ABSTRACT
        shown = at_ta if stage is Stage.TITLE_ABSTRACT else status(rid, stage)
        outcomes[rid] = Outcome(stage, shown, mine.get((rid, stage)))
    return outcomes


def _known_outcomes(session: Session, scope: Scope, ids: list[int]) -> set[tuple[int, Stage]]:
    """The (record, stage) outcomes the actor may know: all of them for leads, released or
    resolved ones for a reviewer while the review is blind."""
    if scope.sees_outcomes:
        return {(rid, stage) for rid in ids for stage in Stage}
    known = set()
    for stage in Stage:
        released = released_record_ids_select(scope.review_id, stage)
        query = select(col(Record.id)).where(col(Record.id).in_(ids), col(Record.id).in_(released))
        known |= {(rid, stage) for rid in session.exec(query) if rid is not None}
    return known


__all__ = [
    "NOT_VOTED",
    "PAGE_SIZES",
    "BatchOption",
    "FilterOptions",
    "Outcome",
    "RecordFilters",
    "RecordPage",
    "RecordRow",
    "RecordSort",
    "cluster_facts",
    "count_records",
    "list_filter_options",
    "list_records",
    "record_outcomes",
]
