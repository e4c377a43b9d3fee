"""Active learning in a review: rank the unscreened records, likely includes first.

Whose ranking (``ranking_owner``). While a review is blind every member has a ranking of their
own (``RecordRank.reviewer_id`` = them), trained on their own title/abstract votes only: the order
in which records reach a reviewer and the "ranked k of n" shown beside one are then functions of
that reviewer's votes, never of another's (a ranking trained on everyone's votes moves when the
other reviewer votes include, and the record it puts on top tells). Once unblinded the team shares
one ranking (``reviewer_id`` None).

Prior knowledge. Every ranking also learns from the review's protocol (``prior_from_protocol``:
the question, PICO and title/abstract criteria as include texts, what is not eligible as exclude
texts), the same for every member, so a ranking starts before the first vote: a member who has
not voted yet screens by the protocol alone. The protocol's ``prioritise_after_includes`` and
``prioritise_after_excludes`` matter only when it gives no text to learn from.

Training labels. A reviewer's own ranking: each of their votes, include (or a maybe, when maybes
move records on) as 1 and exclude as 0, each weighing 1. The shared ranking: every record with a
vote, as ``vote_labels.team_label`` says: an agreed or resolved label weighs 1, the votes so far
on a record not yet fully voted k / N, an unresolved conflict is an include weighing 1/2. Nothing
is ever excluded by the model.
"""

from __future__ import annotations

import time
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
    ranked_stopping_estimate,
    record_texts,
)
from review_app.domain.prioritisation.protocol_prior import prior_from_protocol
from review_app.domain.prioritisation.vote_labels import team_label
from review_app.domain.vocabulary import Role, Stage, Vote
from review_app.models import Decision, Membership, Record, RecordRank, Resolution, utcnow
from review_app.services.permissions import Actor, require_role
from review_app.services.progress import (
    stage_statuses,
    unique_record_ids,
    unique_records_select,
    votes_and_resolutions,
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
    """Whose rankings are trained now: while blind, every member (one who has not voted yet
    screens by the protocol's prior); once unblinded, the team's shared ranking only."""
    if not get_review(session, review_id).is_blind:
        return [None]
    members: list[int] = list(
        session.exec(
            select(Membership.user_id)
            .where(Membership.review_id == review_id)
            .order_by(col(Membership.user_id))
        )
    )
    return [*members]


def _has_prior(session: Session, review_id: int) -> bool:
    return not prior_from_protocol(get_protocol(session, review_id)).is_empty


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
    reviewer's own votes, or (None) the team's labels (``weighted_labels`` gives their weights)."""
    return weighted_labels(session, review_id=review_id, reviewer_id=reviewer_id)[0]


def weighted_labels(
    session: Session, *, review_id: int, reviewer_id: int | None = None
) -> tuple[dict[int, int], dict[int, float]]:
    """(record id -> label, record id -> weight where it is not 1): the given reviewer's own
    votes, each weighing 1, or (None) the team's labels by ``vote_labels.team_label``."""
    ids = unique_record_ids(session, review_id=review_id)
    unique = set(ids)
    settings = get_protocol(session, review_id).screening
    if reviewer_id is not None:
        maybe_is_include = settings.maybe_counts_as == Vote.INCLUDE
        own = session.exec(
            select(Decision.record_id, Decision.vote).where(
                Decision.review_id == review_id,
                Decision.stage == STAGE,
                Decision.reviewer_id == reviewer_id,
            )
        )
        labels = {
            record_id: int(vote != Vote.EXCLUDE)
            for record_id, vote in own
            if record_id in unique and (vote != Vote.MAYBE or maybe_is_include)
        }
        return labels, {}
    votes, resolutions = votes_and_resolutions(session, review_id=review_id, stage=STAGE)
    labels, weights = {}, {}
    for record_id in sorted(unique & (votes.keys() | resolutions.keys())):
        labelled = team_label(
            votes.get(record_id, []),
            reviewers_per_record=settings.reviewers_per_record,
            maybe_counts_as=settings.maybe_counts_as,
            resolution=resolutions.get(record_id),
        )
        if labelled is not None:
            labels[record_id] = labelled[0]
            if labelled[1] != 1.0:
                weights[record_id] = labelled[1]
    return labels, weights


@dataclass(frozen=True, slots=True)
class RankingInputs:
    """What training needs, read in one short unit of work so the slow part holds no lock."""

    review_id: int
    labels: dict[int, int]
    record_ids: tuple[int, ...]  # the unique records, in the order of the texts
    needs: tuple[int, int]  # includes, excludes before ranking starts (without a prior)
    reviewer_id: int | None = None  # whose ranking (None: the team's)
    read_at: datetime = field(default_factory=utcnow)  # stored as the ranking's trained_at
    weights: dict[int, float] = field(default_factory=dict)  # record id -> weight, when not 1
    has_prior: bool = False  # the protocol gives text to rank by before any vote

    @property
    def is_ready(self) -> bool:
        """Whether a ranking can be trained: at once with a prior, else after ``needs``."""
        if not self.record_ids:
            return False
        if self.has_prior:
            return True
        includes = sum(self.labels.values())
        return includes >= self.needs[0] and len(self.labels) - includes >= self.needs[1]

    @property
    def fingerprint(self) -> int:
        """Equal for inputs that train the same ranking (whatever ``read_at``)."""
        return hash(
            (
                self.record_ids,
                self.needs,
                self.has_prior,
                tuple(sorted(self.labels.items())),
                tuple(sorted(self.weights.items())),
            )
        )


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
    labels, weights = weighted_labels(session, review_id=review_id, reviewer_id=reviewer_id)
    return RankingInputs(
        review_id=review_id,
        labels=labels,
        record_ids=tuple(unique_record_ids(session, review_id=review_id)),
        needs=(settings.prioritise_after_includes, settings.prioritise_after_excludes),
        reviewer_id=reviewer_id,
        weights=weights,
        has_prior=_has_prior(session, review_id),
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
    """The review's records vectorised, with the protocol's prior (slow on a large review: keep
    it while they don't change)."""
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
    prior = prior_from_protocol(get_protocol(session, review_id), texts=texts)
    return Ranker(texts, model=DEFAULT_MODEL, prior=prior)


def compute_ranking(inputs: RankingInputs, ranker: Ranker | None) -> Ranking:
    """Train and score (no database): the part that takes seconds on a large review."""
    includes = sum(inputs.labels.values())
    excludes = len(inputs.labels) - includes
    if not inputs.is_ready or ranker is None:
        method = (
            f"waiting for {inputs.needs[0]} include(s) and {inputs.needs[1]} exclude(s)"
            if inputs.record_ids
            else "no records to rank"
        )
        return Ranking([], includes, excludes, method, len(inputs.labels))
    row_of = {record_id: row for row, record_id in enumerate(inputs.record_ids)}
    labels = {row_of[rid]: label for rid, label in inputs.labels.items() if rid in row_of}
    weights = {row_of[rid]: w for rid, w in inputs.weights.items() if rid in row_of}
    ranked = ranker.rank(labels, weights=weights)
    scores = [(inputs.record_ids[row], score) for row, score in ranked]
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
    hypergeometric test on the last records decided, taken in the order they were decided
    (``ranked_stopping_estimate``, as their buscar package does without a random sample).

    The test assumes screening followed the ranking, which it does here: the title/abstract
    queue offers unscreened records by relevance from the start. It never excludes anything."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    ids = unique_record_ids(session, review_id=review_id)
    statuses = stage_statuses(session, review_id=review_id, stage=STAGE, record_ids=ids)
    labels = {
        record_id: int(status is StageStatus.INCLUDED)
        for record_id, status in statuses.items()
        if status in (StageStatus.INCLUDED, StageStatus.EXCLUDED)
    }
    decided_at = _decided_at(session, review_id=review_id)
    in_order = sorted(labels, key=lambda record_id: (decided_at[record_id], record_id))
    return ranked_stopping_estimate(
        [labels[record_id] for record_id in in_order],
        n_records=len(ids),
        recall_target=recall_target,
    )


def _decided_at(session: Session, *, review_id: int) -> dict[int, datetime]:
    """When each record's title/abstract status last changed: the latest ``updated_at`` among
    its votes and its resolution (two grouped queries, whatever the number of records)."""
    latest: dict[int, datetime] = dict(
        session.exec(
            select(Decision.record_id, func.max(Decision.updated_at))
            .where(Decision.review_id == review_id, Decision.stage == STAGE)
            .group_by(col(Decision.record_id))
        ).all()
    )
    for record_id, resolved_at in session.exec(
        select(Resolution.record_id, Resolution.updated_at).where(
            Resolution.review_id == review_id, Resolution.stage == STAGE
        )
    ):
        if record_id not in latest or resolved_at > latest[record_id]:
            latest[record_id] = resolved_at
    return latest
