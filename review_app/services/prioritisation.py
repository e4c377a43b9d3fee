"""Active learning in a review: rank the unscreened records, likely includes first.

Whose ranking (``ranking_owner``). While a review is blind every reviewer has a ranking of their
own (``RecordRank.reviewer_id`` = them), trained on their own title/abstract votes only: the order
in which records reach a reviewer and the "ranked k of n" shown beside one are then functions of
that reviewer's votes, never of another's (a ranking trained on everyone's votes moves when the
other reviewer votes include, and the record it puts on top tells). Once unblinded the team shares
one ranking (``reviewer_id`` None).

Training labels. A reviewer's own ranking: each of their votes, include (or a maybe, when maybes
move records on) as 1 and exclude as 0. The shared ranking: a record's agreed label where there is
one (both reviewers agree, or a lead resolved it), otherwise the votes so far: every vote include
counts as an include, every vote exclude as an exclude, and a record whose votes disagree is left
out until it is resolved. Nothing is ever excluded by the model.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, delete, func, insert
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select, SelectOfScalar

from review_app.domain.consensus import StageStatus
from review_app.domain.prioritisation import (
    DEFAULT_MODEL,
    Ranker,
    StoppingEstimate,
    record_texts,
    stopping_estimate,
)
from review_app.domain.vocabulary import Role, Stage, Vote
from review_app.models import Decision, Membership, Record, RecordRank, utcnow
from review_app.services.permissions import Actor, require_role
from review_app.services.progress import (
    stage_statuses,
    unique_record_ids,
    unique_records_select,
)
from review_app.services.reviews import get_protocol, get_review

STAGE = Stage.TITLE_ABSTRACT  # the stage whose queue the model ranks
Query = TypeVar("Query", Select[Any], SelectOfScalar[Any])


@dataclass(frozen=True, slots=True)
class RankingSummary:
    ranked: int  # unscreened records given a score
    includes: int
    excludes: int
    method: str  # the model, or why there is none yet
    seconds: float
    reviewer_id: int | None = None  # whose ranking: None for the team's shared one


# --- whose ranking ------------------------------------------------------------------------------


def ranking_owner(session: Session, *, review_id: int, reviewer_id: int | None) -> int | None:
    """Which ``RecordRank.reviewer_id`` a reviewer's order and relevance come from: their own
    ranking while the review is blind, the team's shared one (None) once it is unblinded."""
    return reviewer_id if get_review(session, review_id).is_blind else None


def ranking_owners(session: Session, *, review_id: int) -> list[int | None]:
    """Whose rankings are trained now: while blind, every member with a title/abstract vote;
    once unblinded, the team's shared ranking only."""
    if not get_review(session, review_id).is_blind:
        return [None]
    voters = session.exec(
        select(Decision.reviewer_id)
        .join(Membership, col(Membership.user_id) == Decision.reviewer_id)
        .where(Decision.review_id == review_id, Decision.stage == STAGE)
        .where(Membership.review_id == review_id)
        .distinct()
        .order_by(col(Decision.reviewer_id))
    )
    return list(voters)


def _owned_by(owner: int | None) -> Any:
    return (
        col(RecordRank.reviewer_id).is_(None) if owner is None else RecordRank.reviewer_id == owner
    )


def rank_order_join(query: Query, *, review_id: int, reviewer_id_or_none: int | None) -> Query:
    """``query`` (over ``Record``) with the owner's ranking joined and its likeliest includes
    first, unranked records after; pass ``ranking_owner(...)`` as ``reviewer_id_or_none``."""
    on = and_(
        col(RecordRank.record_id) == Record.id,
        col(RecordRank.review_id) == review_id,
        _owned_by(reviewer_id_or_none),
    )
    return query.outerjoin(RecordRank, on).order_by(col(RecordRank.score).desc().nulls_last())


# --- training -----------------------------------------------------------------------------------


def training_labels(
    session: Session, *, review_id: int, reviewer_id: int | None = None
) -> dict[int, int]:
    """record id -> 1 (include) or 0 (exclude), by the rules in the module docstring: the given
    reviewer's own votes, or (None) the team's labels."""
    ids = unique_record_ids(session, review_id=review_id)
    settings = get_protocol(session, review_id).screening
    maybe_is_include = settings.maybe_counts_as == Vote.INCLUDE
    query = select(Decision.record_id, Decision.vote).where(
        Decision.review_id == review_id, Decision.stage == STAGE
    )
    if reviewer_id is not None:
        unique = set(ids)
        own = session.exec(query.where(Decision.reviewer_id == reviewer_id))
        return {
            record_id: int(vote != Vote.EXCLUDE)
            for record_id, vote in own
            if record_id in unique and (vote != Vote.MAYBE or maybe_is_include)
        }
    statuses = stage_statuses(session, review_id=review_id, stage=STAGE, record_ids=ids)
    votes: dict[int, set[str]] = defaultdict(set)
    for record_id, vote in session.exec(query):
        votes[record_id].add(Vote.INCLUDE if vote == Vote.MAYBE and maybe_is_include else vote)
    labels = {}
    for record_id, status in statuses.items():
        if status is StageStatus.INCLUDED:
            labels[record_id] = 1
        elif status is StageStatus.EXCLUDED:
            labels[record_id] = 0
        elif votes.get(record_id) in ({Vote.INCLUDE}, {Vote.EXCLUDE}):
            labels[record_id] = int(votes[record_id] == {Vote.INCLUDE})
    return labels


@dataclass(frozen=True, slots=True)
class RankingInputs:
    """What training needs, read in one short unit of work so the slow part holds no lock."""

    review_id: int
    labels: dict[int, int]
    record_ids: tuple[int, ...]  # the unique records, in the order of the texts
    needs: tuple[int, int]  # includes, excludes before ranking starts
    reviewer_id: int | None = None  # whose ranking (None: the team's)
    read_at: datetime = field(default_factory=utcnow)  # stored as the ranking's trained_at

    @property
    def is_ready(self) -> bool:
        includes = sum(self.labels.values())
        return includes >= self.needs[0] and len(self.labels) - includes >= self.needs[1]


@dataclass(frozen=True, slots=True)
class Ranking:
    scores: list[tuple[int, float]]  # (record id, score) for unlabelled records, best first
    includes: int
    excludes: int
    method: str
    labelled: int


def ranking_inputs(
    session: Session, *, review_id: int, reviewer_id: int | None = None
) -> RankingInputs:
    settings = get_protocol(session, review_id).screening
    return RankingInputs(
        review_id=review_id,
        labels=training_labels(session, review_id=review_id, reviewer_id=reviewer_id),
        record_ids=tuple(unique_record_ids(session, review_id=review_id)),
        needs=(settings.prioritise_after_includes, settings.prioritise_after_excludes),
        reviewer_id=reviewer_id,
    )


def all_ranking_inputs(
    session: Session, *, review_id: int, read_at: datetime | None = None
) -> list[RankingInputs]:
    """The inputs of every ranking to train now (``ranking_owners``), read in one unit of work.

    ``read_at``: a time taken before the unit of work began, so that every vote committed
    before it is in the inputs (a stored ranking's ``trained_at``; see ``ranking_worker``).
    """
    when = read_at or utcnow()
    return [
        replace(ranking_inputs(session, review_id=review_id, reviewer_id=owner), read_at=when)
        for owner in ranking_owners(session, review_id=review_id)
    ]


def ranker_for(session: Session, *, review_id: int, record_ids: tuple[int, ...]) -> Ranker:
    """The review's records vectorised (slow on a large review: keep it while they don't change)."""
    rows = {
        record_id: (title, abstract, keywords)
        for record_id, title, abstract, keywords in session.exec(
            select(Record.id, Record.title, Record.abstract, Record.keywords).where(
                col(Record.id).in_(unique_records_select(review_id))
            )
        )
    }
    ordered = [rows[record_id] for record_id in record_ids]
    texts = record_texts(
        [r[0] for r in ordered], [r[1] for r in ordered], ["; ".join(r[2] or []) for r in ordered]
    )
    return Ranker(texts, model=DEFAULT_MODEL)


def compute_ranking(inputs: RankingInputs, ranker: Ranker | None) -> Ranking:
    """Train and score (no database): the part that takes seconds on a large review."""
    includes = sum(inputs.labels.values())
    excludes = len(inputs.labels) - includes
    if not inputs.is_ready or ranker is None:
        method = f"waiting for {inputs.needs[0]} include(s) and {inputs.needs[1]} exclude(s)"
        return Ranking([], includes, excludes, method, len(inputs.labels))
    row_of = {record_id: row for row, record_id in enumerate(inputs.record_ids)}
    labels = {row_of[rid]: label for rid, label in inputs.labels.items() if rid in row_of}
    scores = [(inputs.record_ids[row], score) for row, score in ranker.rank(labels)]
    return Ranking(scores, includes, excludes, ranker.last_method, len(inputs.labels))


def store_ranking(
    session: Session,
    *,
    review_id: int,
    ranking: Ranking,
    reviewer_id: int | None = None,
    trained_at: datetime | None = None,
) -> None:
    """Replace one owner's scores (a short write); ``trained_at`` is when the inputs were read."""
    session.execute(
        delete(RecordRank).where(col(RecordRank.review_id) == review_id, _owned_by(reviewer_id))
    )
    when = trained_at or utcnow()
    values = [
        {
            "record_id": rid,
            "review_id": review_id,
            "reviewer_id": reviewer_id,
            "score": score,
            "model": ranking.method[:40],
            "labelled": ranking.labelled,
            "trained_at": when,
        }
        for rid, score in ranking.scores
    ]
    if values:
        session.execute(insert(RecordRank), values)
    session.flush()


def drop_rankings_except(session: Session, *, review_id: int, owners: list[int | None]) -> None:
    """Remove the rankings of owners no longer trained (the per-reviewer ones once unblinded,
    the shared one while blind, the rankings of members who left)."""
    keep = [owner for owner in owners if owner is not None]
    stale: ColumnElement[bool] = (
        col(RecordRank.reviewer_id).not_in(keep)
        if keep
        else col(RecordRank.reviewer_id).is_not(None)
    )
    if None not in owners:
        stale = stale | col(RecordRank.reviewer_id).is_(None)
    session.execute(delete(RecordRank).where(col(RecordRank.review_id) == review_id, stale))
    session.flush()


def latest_training(session: Session, *, review_id: int) -> datetime | None:
    """When the inputs of the newest stored ranking of the review were read (UTC), if any."""
    latest = session.exec(
        select(func.max(RecordRank.trained_at)).where(RecordRank.review_id == review_id)
    ).one()
    if latest is None:
        return None
    return latest if latest.tzinfo else latest.replace(tzinfo=UTC)


def store_rankings(
    session: Session,
    *,
    review_id: int,
    rankings: list[tuple[RankingInputs, Ranking]],
    owners: list[int | None] | None = None,
) -> bool:
    """Store a training run's rankings unless a newer run (another process) stored first, and
    remove the rankings of owners no longer trained (``owners``: every owner still trained,
    by default those in ``rankings``; an owner left out of ``rankings`` keeps its scores).

    Call in a write unit of work: on SQLite it begins IMMEDIATE, so the check and the write are
    one step; on PostgreSQL the trainer holds the review's advisory lock. Returns whether stored.
    """
    keep = [inputs.reviewer_id for inputs, _ in rankings] if owners is None else owners
    if rankings:
        read_at = min(inputs.read_at for inputs, _ in rankings)
        latest = latest_training(session, review_id=review_id)
        if latest is not None and latest > read_at:
            return False
    for inputs, ranking in rankings:
        store_ranking(
            session,
            review_id=review_id,
            ranking=ranking,
            reviewer_id=inputs.reviewer_id,
            trained_at=inputs.read_at,
        )
    drop_rankings_except(session, review_id=review_id, owners=keep)
    return True


def refresh_ranking(session: Session, *, review_id: int) -> list[RankingSummary]:
    """Retrain every ranking of the review now (``ranking_owners``) and store a score for every
    record its owner has not labelled (in the caller's unit of work; the UI uses the worker)."""
    start = time.perf_counter()
    all_inputs = all_ranking_inputs(session, review_id=review_id, read_at=utcnow())
    ready = [inputs for inputs in all_inputs if inputs.is_ready]
    ranker = (
        ranker_for(session, review_id=review_id, record_ids=ready[0].record_ids) if ready else None
    )
    rankings = [(inputs, compute_ranking(inputs, ranker)) for inputs in all_inputs]
    store_rankings(session, review_id=review_id, rankings=rankings)
    seconds = time.perf_counter() - start
    return [
        RankingSummary(len(r.scores), r.includes, r.excludes, r.method, seconds, inputs.reviewer_id)
        for inputs, r in rankings
    ]


def relevance_of(
    session: Session, *, actor: Actor, review_id: int, record_id: int
) -> tuple[int, int] | None:
    """(position, out of) of a record in the ranking the actor screens by (``ranking_owner``),
    or None when it has no score there."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    owner = ranking_owner(session, review_id=review_id, reviewer_id=actor.user_id)
    mine = (RecordRank.review_id == review_id, _owned_by(owner))
    score = session.exec(
        select(RecordRank.score).where(RecordRank.record_id == record_id, *mine)
    ).first()
    if score is None:
        return None
    ahead = session.exec(select(func.count()).where(RecordRank.score > score, *mine)).one()
    total = session.exec(select(func.count()).where(*mine)).one()
    return ahead + 1, total


def stopping_aid(
    session: Session, *, actor: Actor, review_id: int, recall_target: float = 0.95
) -> StoppingEstimate:
    """How many includes may remain unscreened (leads): Callaghan & Müller-Hansen (2020)'s
    hypergeometric stopping rule, from the records decided so far. Before a random sample of the
    remaining records has been screened it says how many such records, all excludes, would show
    the recall target is met; it never excludes anything."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    ids = unique_record_ids(session, review_id=review_id)
    statuses = stage_statuses(session, review_id=review_id, stage=STAGE, record_ids=ids)
    decided = [s for s in statuses.values() if s in (StageStatus.INCLUDED, StageStatus.EXCLUDED)]
    return stopping_estimate(
        n_records=len(ids),
        n_screened_by_ranking=len(decided),
        includes_by_ranking=sum(s is StageStatus.INCLUDED for s in decided),
        recall_target=recall_target,
    )
