"""Rank the unscreened records, likely includes first: vectorise once, retrain on every call.

``Ranker(texts)`` builds the TF-IDF matrix once (``features``); ``ranker.rank(labels)`` trains
the chosen classifier (``models``) on the screened records and scores the rest. Retraining and
re-ranking 20,000 records takes well under 2 s (``bench/prioritisation.py --speed``).

When the labels cannot train a classifier, it falls back, and says so in ``ranker.last_method``:
- no label at all: file order (score 0 for every record);
- includes only: the classifier against presumed excludes alone (``models``) when the model
  uses them and there are enough unscreened records to draw from; otherwise cosine similarity
  to the mean TF-IDF vector of the includes ("more like these");
- excludes only: minus the cosine similarity to the mean vector of the excludes, so records
  most unlike everything excluded so far come first.
Ties keep file order. A score is the linear model's weights applied to the record's features
(no intercept: it shifts every score alike), so a record with no text at all scores 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from review_app.domain.prioritisation.features import tfidf_matrix
from review_app.domain.prioritisation.models import (
    DEFAULT_MODEL,
    MODELS,
    PRESUMED_SHARE,
    sample_weights,
)
from review_app.errors import ValidationError


class Ranker:
    """A review's records, vectorised once, ranked again after every batch of labels."""

    def __init__(self, texts: Sequence[str], *, model: str = DEFAULT_MODEL, seed: int = 0) -> None:
        if model not in MODELS:
            raise ValidationError(f"unknown model {model!r}; allowed: {', '.join(MODELS)}")
        self.spec = MODELS[model]
        self.seed = seed
        self.features = tfidf_matrix(texts)
        self.n_records = self.features.shape[0]
        self.last_method = "none"

    @property
    def model(self) -> str:
        return self.spec.name

    def scores(self, labels: Mapping[int, int]) -> np.ndarray:
        """A relevance score for every row (labelled rows included); higher = more likely."""
        rows, y = self._labelled(labels)
        n_include = int(y.sum())
        if len(rows) == 0:
            self.last_method = "file order (no labels)"
            return np.zeros(self.n_records)
        if n_include == 0:
            self.last_method = "dissimilarity to the excludes (no include labelled)"
            return -self._similarity(rows)
        rows, y = self._add_presumed_excludes(rows, y)
        if y.min() == 1:
            self.last_method = "similarity to the includes (no exclude labelled)"
            return self._similarity(rows)
        weights = sample_weights(y, self.spec.include_weight)
        self.last_method = self.spec.name
        return self.spec.score(self.features[rows], y, weights, self.features)

    def rank(self, labels: Mapping[int, int]) -> list[tuple[int, float]]:
        """``(row, score)`` for every unlabelled row, highest score first, ties in file order."""
        scores = self.scores(labels)
        unlabelled = np.setdiff1d(np.arange(self.n_records), np.fromiter(labels, dtype=np.int64))
        order = unlabelled[np.argsort(-scores[unlabelled], kind="stable")]
        return [(int(row), float(scores[row])) for row in order]

    def _labelled(self, labels: Mapping[int, int]) -> tuple[np.ndarray, np.ndarray]:
        rows = np.fromiter(labels.keys(), dtype=np.int64, count=len(labels))
        y = np.fromiter(labels.values(), dtype=np.int64, count=len(labels))
        if len(rows) and (rows.min() < 0 or rows.max() >= self.n_records):
            raise ValidationError(f"label rows must be 0..{self.n_records - 1}")
        if not np.isin(y, (0, 1)).all():
            raise ValidationError("labels must be 1 (include) or 0 (exclude)")
        return rows, y

    def _add_presumed_excludes(self, rows: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        wanted = self.spec.presumed_excludes
        if not wanted:
            return rows, y
        unlabelled = np.setdiff1d(np.arange(self.n_records), rows)
        rng = np.random.default_rng([self.seed, len(rows)])
        size = min(wanted, len(unlabelled) // PRESUMED_SHARE)
        drawn = rng.choice(unlabelled, size=size, replace=False)
        return np.concatenate([rows, drawn]), np.concatenate([y, np.zeros(len(drawn), np.int64)])

    def _similarity(self, rows: np.ndarray) -> np.ndarray:
        centroid = np.asarray(self.features[rows].mean(axis=0)).ravel()
        return np.asarray(self.features @ centroid).ravel()


def rank(texts: Sequence[str], labels: Mapping[int, int]) -> list[tuple[int, float]]:
    """Unlabelled rows of ``texts`` with their scores, likely includes first (a one-off Ranker)."""
    return Ranker(texts).rank(labels)
