"""Active-learning prioritisation: likely includes first, and an honest stopping aid (pure).

Use::

    from review_app.domain.prioritisation import Ranker, record_texts, stopping_estimate

    ranker = Ranker(record_texts(titles, abstracts, keywords))  # vectorise once
    ranking = ranker.rank({12: 1, 40: 0})   # [(row, score), ...] unscreened, likely first
    result = simulate(titles, abstracts, labels, seed=1)         # replay a labelled review
    wss, recall = metrics_from_order(result.order, labels)
    estimate = stopping_estimate(n_records=5000, n_screened_by_ranking=1200,
                                 includes_by_ranking=80, sample_size=300, includes_in_sample=0)
    estimate = ranked_stopping_estimate([1, 1, 0, 1, 0, 0, ...], n_records=5000)  # no sample
    result.stopping.stop_after   # where that aid first said "you may stop" in the simulation

Modules: ``features`` (TF-IDF of words and word pairs), ``models`` (the classifiers and why:
the default ``svm+nearest`` is a linear SVM plus each record's similarity to its nearest
include), ``prior`` / ``protocol_prior`` (the protocol's words as prior knowledge),
``vote_labels`` (every vote as a weighted label), ``ranker`` (Ranker, fallbacks),
``simulation`` (the ``simulate`` contract), ``metrics`` (WSS@95, recall@10%), ``stopping``
(Callaghan & Müller-Hansen 2020, on a random sample or on the last records screened).
Nothing here excludes a record: ranking orders the work, the stopping aid informs the team's
decision.
"""

from review_app.domain.prioritisation.features import record_texts, tfidf_matrix
from review_app.domain.prioritisation.metrics import metrics_from_order
from review_app.domain.prioritisation.models import DEFAULT_MODEL, MODELS
from review_app.domain.prioritisation.prior import PriorKnowledge
from review_app.domain.prioritisation.ranker import Ranker, rank
from review_app.domain.prioritisation.simulation import SimulationResult, StoppingPoint, simulate
from review_app.domain.prioritisation.stopping import (
    StoppingEstimate,
    draw_random_sample,
    first_ranked_stop,
    ranked_stopping_estimate,
    stopping_estimate,
)

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "PriorKnowledge",
    "Ranker",
    "SimulationResult",
    "StoppingEstimate",
    "StoppingPoint",
    "draw_random_sample",
    "first_ranked_stop",
    "metrics_from_order",
    "rank",
    "ranked_stopping_estimate",
    "record_texts",
    "simulate",
    "stopping_estimate",
    "tfidf_matrix",
]
