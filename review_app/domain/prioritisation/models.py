"""The classifiers a ``Ranker`` can use, as data: name, estimator, class weighting, presumed excludes.

Each is a linear model over the TF-IDF matrix (``features``); what differs is the loss, how the
includes are weighted against the far more numerous excludes, and whether a random sample of
unscreened records is added to each training set as presumed excludes.

- ``logistic``: L2-regularised logistic regression (liblinear, scikit-learn's default C = 1).
- ``svm``: linear SVM, squared hinge loss, C = 0.11, includes weighted 9.8 : 1 against the
  excludes in total: ASReview LAB's ELAS u4 model (asreview 3.0.8, ``models/models.py``).
- ``nb``: multinomial naive Bayes, alpha = 3.822, includes weighted 1.2 : 1: ASReview's ELAS u3.
Class weighting: the includes together weigh ``include_weight`` times the excludes together
(``include_weight = 1`` is scikit-learn's "balanced"), then weights are rescaled to average 1.

Presumed excludes: at every retraining, ``presumed_excludes`` records drawn at random from the
unscreened are added with label 0 (Cormack & Grossman 2015, "Autonomy and reliability of
continuous active learning for technology-assisted review", arXiv:1504.06868, the AutoTAR /
BMI method: 100 random unreviewed documents "temporarily labeled not relevant"). When few
records are screened this tells the model what an ordinary record of this search looks like;
includes are rare, so few of the presumed excludes are wrong, and they are redrawn each time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

ScoreFunction = Callable[[sparse.csr_matrix, np.ndarray, np.ndarray, sparse.csr_matrix], np.ndarray]


@dataclass(frozen=True)
class ModelSpec:
    name: str
    score: ScoreFunction  # (X_train, y, sample_weight, X_all) -> one score per row of X_all
    include_weight: float
    presumed_excludes: int


def _logistic(x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, x_all: sparse.csr_matrix):
    model = LogisticRegression(C=1.0, solver="liblinear")
    model.fit(x, y, sample_weight=w)
    return np.asarray(x_all @ model.coef_.ravel())


def _svm(x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, x_all: sparse.csr_matrix):
    model = LinearSVC(C=0.11, loss="squared_hinge")
    model.fit(x, y, sample_weight=w)
    return np.asarray(x_all @ model.coef_.ravel())


def _naive_bayes(x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, x_all: sparse.csr_matrix):
    model = MultinomialNB(alpha=3.822)
    model.fit(x, y, sample_weight=w)
    log_ratio = model.feature_log_prob_[1] - model.feature_log_prob_[0]
    return np.asarray(x_all @ log_ratio)  # the class prior shifts every score equally


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("logistic", _logistic, include_weight=1.0, presumed_excludes=100),
        ModelSpec("svm", _svm, include_weight=9.8, presumed_excludes=0),
        ModelSpec("nb", _naive_bayes, include_weight=1.2, presumed_excludes=0),
    )
}
DEFAULT_MODEL = "logistic"


def sample_weights(y: np.ndarray, include_weight: float) -> np.ndarray:
    """Includes together weigh ``include_weight`` x the excludes together; mean weight 1."""
    n_include = int(y.sum())
    n_exclude = len(y) - n_include
    weights = np.ones(len(y), dtype=np.float64)
    if n_include and n_exclude:
        weights[y == 1] = include_weight * n_exclude / n_include
    return weights * (len(y) / weights.sum())
