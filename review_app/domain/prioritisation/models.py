"""The classifiers a ``Ranker`` can use, as data: estimator, class weighting, presumed excludes.

Each is a linear model over the TF-IDF matrix (``features``); what differs is the loss, how the
includes are weighted against the far more numerous excludes, and whether a random sample of
unscreened records joins each training set as presumed excludes.

- ``svm`` (the default): linear SVM, squared hinge loss, C = 0.11, includes weighing 9.8 times
  the excludes in total: the settings of ASReview LAB's ELAS u4 (asreview 3.0.8,
  ``models/models.py``; chosen there by optimisation over the SYNERGY datasets), plus presumed
  excludes.
- ``logistic``: L2 logistic regression (liblinear, C = 1), classes balanced, presumed excludes.
- ``nb``: multinomial naive Bayes, alpha = 3.822, includes 1.2 : 1: ASReview's ELAS u3.
Class weighting: the includes together weigh ``include_weight`` times the excludes together
(``include_weight = 1`` is scikit-learn's "balanced"), then weights are rescaled to average 1.

Presumed excludes: at every retraining, up to ``presumed_excludes`` records drawn at random from
the unscreened join the training set with label 0 (Cormack & Grossman 2015, "Autonomy and
reliability of continuous active learning for technology-assisted review", arXiv:1504.06868:
AutoTAR's 100 random unreviewed documents "temporarily labeled not relevant"). While few records
are screened they show the model what an ordinary record of this search looks like. At most a
tenth of the unscreened are drawn (``PRESUMED_SHARE``), so in a small review with many includes
few of them are presumed excluded at once; they are redrawn at every retraining.

Why ``svm`` with presumed excludes, measured (bench/PRIORITISATION.md; mean WSS@95 of 5 seeds):
it was the only variant at or above ASReview LAB 3.0.8 on all four shared sets. Logistic
regression with balanced classes lost on ACE (0.741; 0.762 with presumed excludes; ASReview
0.776): with 41 includes among 2,235, weighing the few includes heavily matters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

if TYPE_CHECKING:  # scikit-learn is imported by each model when it is fitted, not at start-up
    from scipy import sparse

ScoreFunction: TypeAlias = (
    "Callable[[sparse.csr_matrix, np.ndarray, np.ndarray, sparse.csr_matrix], np.ndarray]"
)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    score: ScoreFunction  # (X_train, y, sample_weight, X_rank) -> one score per row of X_rank
    include_weight: float
    presumed_excludes: int


def _logistic(
    x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, x_rank: sparse.csr_matrix
) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, solver="liblinear", dual=True, random_state=0)
    model.fit(x, y, sample_weight=w)
    return np.asarray(x_rank @ model.coef_.ravel())


def _svm(
    x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, x_rank: sparse.csr_matrix
) -> np.ndarray:
    from sklearn.svm import LinearSVC

    model = LinearSVC(C=0.11, loss="squared_hinge", random_state=0)  # liblinear shuffles
    model.fit(x, y, sample_weight=w)
    return np.asarray(x_rank @ model.coef_.ravel())


def _naive_bayes(
    x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, x_rank: sparse.csr_matrix
) -> np.ndarray:
    from sklearn.naive_bayes import MultinomialNB

    model = MultinomialNB(alpha=3.822)
    model.fit(x, y, sample_weight=w)
    log_ratio = model.feature_log_prob_[1] - model.feature_log_prob_[0]
    return np.asarray(x_rank @ log_ratio)  # the class prior shifts every score equally


def _svm_and_nearest(
    x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, x_rank: sparse.csr_matrix
) -> np.ndarray:
    """The SVM's score plus the cosine similarity to the nearest include, each standardised."""
    return _standardised(_svm(x, y, w, x_rank)) + _standardised(_nearest_include(x[y == 1], x_rank))


def _nearest_include(includes: sparse.csr_matrix, x_rank: sparse.csr_matrix) -> np.ndarray:
    """Each row's cosine similarity to the include most like it (rows are unit length)."""
    return np.asarray((x_rank @ includes.T).max(axis=1).toarray()).ravel()


def _standardised(scores: np.ndarray) -> np.ndarray:
    """z-scores over the records being ranked (the two scores' scales differ)."""
    spread = scores.std()
    return (scores - scores.mean()) / spread if spread > 0 else scores - scores.mean()


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("svm", _svm, include_weight=9.8, presumed_excludes=100),
        ModelSpec("logistic", _logistic, include_weight=1.0, presumed_excludes=100),
        ModelSpec("nb", _naive_bayes, include_weight=1.2, presumed_excludes=0),
        ModelSpec("svm+nearest", _svm_and_nearest, include_weight=9.8, presumed_excludes=100),
    )
}
DEFAULT_MODEL = "svm+nearest"
PRESUMED_SHARE = 10  # draw at most 1 in PRESUMED_SHARE of the unscreened records


def sample_weights(
    y: np.ndarray, include_weight: float, row_weights: np.ndarray | None = None
) -> np.ndarray:
    """Training weights: ``row_weights`` (default 1 each) rescaled per class, same total.

    Within a class the rows keep their relative weights (a single reviewer's vote may weigh
    less than an agreed label); across classes the includes together weigh ``include_weight``
    times the excludes together. The total stays that of ``row_weights`` (the number of rows
    by default), so the regularisation's strength does not depend on how rows are split.
    """
    weights = np.ones(len(y)) if row_weights is None else np.array(row_weights, np.float64)
    total = weights.sum()
    include_total = weights[y == 1].sum()
    exclude_total = weights[y == 0].sum()
    if include_total > 0 and exclude_total > 0:
        weights[y == 1] *= include_weight * exclude_total / include_total
    return weights * (total / weights.sum())
