"""Simulate screening a labelled review in the model's order (the ``simulate`` contract).

``simulate(titles, abstracts, labels, seed=...)`` replays a finished title/abstract screening:
1. Priors: ``n_prior_included`` includes and ``n_prior_excluded`` excludes drawn at random by
   the seed, includes first. They are drawn exactly as ASReview LAB 3 does
   (``numpy.random.RandomState(seed).choice(rows_of_that_class, n, replace=False)``, a fresh
   generator per class), so with the same seed both tools start from the same records.
2. Then the model retrains on everything screened so far and the top-ranked unscreened record
   is screened next, one at a time. Reviews of more than 2,500 records go in batches of
   ``ceil(N / 2,500)`` records per retraining, which bounds the work at about 2,500
   retrainings; every set in the bench (at most 2,304 records) goes one at a time.
3. Once every include has been screened, the remaining records follow in the last ranking
   without retraining (as ASReview stops at the last relevant record): no metric can change.
The model never sees the label of a record before it is screened. ``prior`` (the protocol's
words, ``PriorKnowledge``) goes to the ``Ranker`` as it would in a live review.

``stopping`` replays the order through the lead's stopping aid without a random sample
(``stopping.first_ranked_stop``: Callaghan & Müller-Hansen 2020's test on the last records
screened, at 95 % target recall and 95 % confidence): ``stop_after`` records had been screened
when it first said "you may stop" (``n_records`` if only at the end); since the labels are known,
``recall_at_stop`` is the recall really reached there and ``work_saved`` is 1 - stop_after / N.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from review_app.domain.prioritisation.features import record_texts
from review_app.domain.prioritisation.metrics import metrics_from_order
from review_app.domain.prioritisation.models import DEFAULT_MODEL
from review_app.domain.prioritisation.prior import PriorKnowledge
from review_app.domain.prioritisation.ranker import Ranker
from review_app.domain.prioritisation.stopping import RANKED_TAIL_METHOD, first_ranked_stop
from review_app.errors import ValidationError

MAX_RETRAININGS = 2_500
STOP_TARGET_RECALL = 0.95
STOP_CONFIDENCE = 0.95


@dataclass(frozen=True)
class StoppingPoint:
    """Where the stopping aid would first have said "you may stop" (see the module doc)."""

    target_recall: float
    confidence: float
    stop_after: int  # records screened by then, priors included
    recall_at_stop: float
    work_saved: float
    method: str


@dataclass(frozen=True)
class SimulationResult:
    order: tuple[int, ...]  # 0-based rows in screening order, priors first, every row once
    n_records: int
    n_included: int
    wss_at_95: float
    recall_at_10pct: float
    seed: int
    model: str
    batch_size: int
    n_priors: int
    stopping: StoppingPoint

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``order`` as a list)."""
        data = asdict(self)
        data["order"] = list(self.order)
        return data


def simulate(
    titles: Sequence[str | None],
    abstracts: Sequence[str | None],
    labels: Sequence[int],
    *,
    seed: int,
    n_prior_included: int = 1,
    n_prior_excluded: int = 1,
    keywords: Sequence[str | None] | None = None,
    model: str = DEFAULT_MODEL,
    prior: PriorKnowledge | None = None,
) -> SimulationResult:
    """Screen every record in the order the model suggests; see the module doc."""
    truth = _checked_labels(labels, len(titles))
    priors = prior_rows(truth, seed, n_prior_included, n_prior_excluded)
    texts = record_texts(titles, abstracts, keywords)
    ranker = Ranker(texts, model=model, seed=seed, prior=prior)
    batch = max(1, math.ceil(len(truth) / MAX_RETRAININGS))
    order = screening_order(ranker, truth, priors, batch)
    wss, recall = metrics_from_order(order, truth.tolist())
    return SimulationResult(
        order=tuple(order),
        n_records=len(truth),
        n_included=int(truth.sum()),
        wss_at_95=wss,
        recall_at_10pct=recall,
        seed=seed,
        model=ranker.model,
        batch_size=batch,
        n_priors=len(priors),
        stopping=stopping_point(truth[order]),
    )


def stopping_point(labels_in_order: np.ndarray) -> StoppingPoint:
    """The stopping aid replayed over a whole screening order (labels in screening order)."""
    n_records = len(labels_in_order)
    stop = first_ranked_stop(
        labels_in_order,
        n_records=n_records,
        recall_target=STOP_TARGET_RECALL,
        confidence=STOP_CONFIDENCE,
    )
    stop = n_records if stop is None else stop  # (not reached: the whole order always stops)
    return StoppingPoint(
        target_recall=STOP_TARGET_RECALL,
        confidence=STOP_CONFIDENCE,
        stop_after=stop,
        recall_at_stop=int(labels_in_order[:stop].sum()) / int(labels_in_order.sum()),
        work_saved=1 - stop / n_records,
        method=RANKED_TAIL_METHOD,
    )


def prior_rows(truth: np.ndarray, seed: int, n_included: int, n_excluded: int) -> list[int]:
    """The priors, includes first, drawn as ASReview LAB 3 draws them (see the module doc)."""
    chosen: list[int] = []
    for label, wanted in ((1, n_included), (0, n_excluded)):
        rows = np.flatnonzero(truth == label)
        if wanted > len(rows):
            raise ValidationError(
                f"{wanted} priors with label {label} asked; there are {len(rows)}"
            )
        if wanted:
            drawn = np.random.RandomState(seed).choice(rows, wanted, replace=False)
            chosen += [int(row) for row in drawn]
    return chosen


def screening_order(ranker: Ranker, truth: np.ndarray, priors: list[int], batch: int) -> list[int]:
    """Priors, then the top ``batch`` of each new ranking, until every include is screened."""
    labels = {row: int(truth[row]) for row in priors}
    order = list(priors)
    n_included = int(truth.sum())
    found = sum(labels.values())
    while len(order) < len(truth):
        ranking = ranker.rank(labels)
        if found == n_included:
            order += [row for row, _ in ranking]
            break
        for row, _ in ranking[:batch]:
            labels[row] = int(truth[row])
            found += labels[row]
            order.append(row)
    return order


def _checked_labels(labels: Sequence[int], n_records: int) -> np.ndarray:
    truth = np.asarray(labels, dtype=np.int64)
    if truth.shape != (n_records,):
        raise ValidationError(f"{len(labels)} labels for {n_records} records; give one per record")
    if not np.isin(truth, (0, 1)).all():
        raise ValidationError("label_included must be 1 (included) or 0 (excluded) for each record")
    return truth
