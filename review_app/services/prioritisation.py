"""Active learning in a review: rank the unscreened records, likely includes first.

Training labels (title/abstract stage): a record's agreed label where there is one (both
reviewers agree, or a lead resolved it), otherwise the votes so far: every vote include (or a
maybe, when maybes move records on) counts as an include, every vote exclude as an exclude, and a
record whose votes disagree is left out until it is resolved. Both reviewers draw from the same
ranking, so the top of the list is double-screened first. Nothing is ever excluded by the model.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, func, insert
from sqlmodel import Session, col, select

from review_app.domain.consensus import StageStatus
from review_app.domain.prioritisation import (
    DEFAULT_MODEL,
    Ranker,
    StoppingEstimate,
    record_texts,
    stopping_estimate,
)
from review_app.models import Decision, Record, RecordRank, utcnow
from review_app.services.permissions import Actor, require_role
from review_app.services.progress import (
    stage_statuses,
    unique_record_ids,
    unique_records_select,
)
from review_app.services.reviews import get_protocol

STAGE = "title_abstract"


@dataclass(frozen=True, slots=True)
class RankingSummary:
    ranked: int  # unscreened records given a score
    includes: int
    excludes: int
    method: str  # the model, or why there is none yet
    seconds: float


def training_labels(session: Session, *, review_id: int) -> dict[int, int]:
    """record id -> 1 (include) or 0 (exclude), by the rule in the module docstring."""
    ids = unique_record_ids(session, review_id=review_id)
    statuses = stage_statuses(session, review_id=review_id, stage=STAGE, record_ids=ids)
    maybe_is_include = get_protocol(session, review_id).screening.maybe_counts_as == "include"
    votes: dict[int, set[str]] = defaultdict(set)
    for record_id, vote in session.exec(
        select(Decision.record_id, Decision.vote).where(
            Decision.review_id == review_id, Decision.stage == STAGE
        )
    ):
        votes[record_id].add("include" if vote == "maybe" and maybe_is_include else vote)
    labels = {}
    for record_id, status in statuses.items():
        if status is StageStatus.INCLUDED:
            labels[record_id] = 1
        elif status is StageStatus.EXCLUDED:
            labels[record_id] = 0
        elif votes.get(record_id) in ({"include"}, {"exclude"}):
            labels[record_id] = int(votes[record_id] == {"include"})
    return labels


@dataclass(frozen=True, slots=True)
class RankingInputs:
    """What training needs, read in one short unit of work so the slow part holds no lock."""

    review_id: int
    labels: dict[int, int]
    record_ids: tuple[int, ...]  # the unique records, in the order of the texts
    needs: tuple[int, int]  # includes, excludes before ranking starts

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


def ranking_inputs(session: Session, *, review_id: int) -> RankingInputs:
    settings = get_protocol(session, review_id).screening
    return RankingInputs(
        review_id=review_id,
        labels=training_labels(session, review_id=review_id),
        record_ids=tuple(unique_record_ids(session, review_id=review_id)),
        needs=(settings.prioritise_after_includes, settings.prioritise_after_excludes),
    )


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


def store_ranking(session: Session, *, review_id: int, ranking: Ranking) -> None:
    """Replace the review's scores (a short write)."""
    session.execute(delete(RecordRank).where(col(RecordRank.review_id) == review_id))
    now = utcnow()
    values = [
        {
            "record_id": rid,
            "review_id": review_id,
            "score": score,
            "model": ranking.method[:40],
            "labelled": ranking.labelled,
            "trained_at": now,
        }
        for rid, score in ranking.scores
    ]
    if values:
        session.execute(insert(RecordRank), values)
    session.flush()


def refresh_ranking(session: Session, *, review_id: int) -> RankingSummary:
    """Retrain on the labels so far and store a score for every unlabelled record."""
    start = time.perf_counter()
    inputs = ranking_inputs(session, review_id=review_id)
    ranker = (
        ranker_for(session, review_id=review_id, record_ids=inputs.record_ids)
        if inputs.is_ready
        else None
    )
    ranking = compute_ranking(inputs, ranker)
    store_ranking(session, review_id=review_id, ranking=ranking)
    return RankingSummary(
        len(ranking.scores),
        ranking.includes,
        ranking.excludes,
        ranking.method,
        time.perf_counter() - start,
    )


def relevance_of(session: Session, *, review_id: int, record_id: int) -> tuple[int, int] | None:
    """(position, out of) of a record in the current ranking, or None when it has no score."""
    score = session.exec(select(RecordRank.score).where(RecordRank.record_id == record_id)).first()
    if score is None:
        return None
    ahead = session.exec(
        select(func.count()).where(RecordRank.review_id == review_id, RecordRank.score > score)
    ).one()
    total = session.exec(select(func.count()).where(RecordRank.review_id == review_id)).one()
    return ahead + 1, total


def stopping_aid(
    session: Session, *, actor: Actor, review_id: int, recall_target: float = 0.95
) -> StoppingEstimate:
    """How many includes may remain unscreened (leads): Callaghan & Müller-Hansen (2020)'s
    hypergeometric stopping rule, from the records decided so far. Before a random sample of the
    remaining records has been screened it says how many such records, all excludes, would show
    the recall target is met; it never excludes anything."""
    require_role(session, actor=actor, review_id=review_id, at_least="lead")
    ids = unique_record_ids(session, review_id=review_id)
    statuses = stage_statuses(session, review_id=review_id, stage=STAGE, record_ids=ids)
    decided = [s for s in statuses.values() if s in (StageStatus.INCLUDED, StageStatus.EXCLUDED)]
    return stopping_estimate(
        n_records=len(ids),
        n_screened_by_ranking=len(decided),
        includes_by_ranking=sum(s is StageStatus.INCLUDED for s in decided),
        recall_target=recall_target,
    )
