"""Rank the unscreened records, likely includes first: vectorise once, retrain on every call.

``Ranker(texts, prior=...)`` builds the feature matrix once (``features``);
``ranker.rank(labels, weights=...)`` trains the chosen classifier (``models``) on the screened
records and scores the rest. Retraining and re-ranking 20,000 records takes under 2 s
(``bench/prioritisation.py --speed``).

Training rows, at every call:
- the labelled records, each weighing ``weights[row]`` (default 1) within its class;
- the protocol's pseudo-documents (``PriorKnowledge``), include texts as 1 and exclude texts as
  0, vectorised with the records' vocabulary; they are never ranked (see ``_prior_rows`` for
  their weight). With them a ranking starts before the first include is screened;
- presumed excludes, when the model uses them (``models``).

When these rows cannot train a classifier, it falls back, and says so in ``ranker.last_method``:
- no label and no prior, or no record with a word in it: file order (score 0 for every record);
- includes only: the classifier against presumed excludes alone when the model uses them and
  there are enough unscreened records to draw from; otherwise cosine similarity to the mean
  vector of the includes ("more like these");
- excludes only: minus the cosine similarity to the mean vector of the excludes, so records
  most unlike everything excluded so far come first.
Ties keep file order. A linear model's score is its weights applied to the record's features,
without the intercept (it shifts every score alike); the default model's is a sum of z-scores
over all the records (``models``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from review_app.domain.prioritisation.features import vectorise
from review_app.domain.prioritisation.models import (
    DEFAULT_MODEL,
    MODELS,
    PRESUMED_SHARE,
    nearest_include_similarity,
    sample_weights,
    with_nearest_include,
)
from review_app.domain.prioritisation.prior import PriorKnowledge
from review_app.errors import ValidationError

if TYPE_CHECKING:  # SciPy is imported when a ranking is computed, not at start-up
    from scipy import sparse


class Ranker:
    """A review's records, vectorised once, ranked again after every batch of labels."""

    def __init__(
        self,
        texts: Sequence[str],
        *,
        model: str = DEFAULT_MODEL,
        seed: int = 0,
        prior: PriorKnowledge | None = None,
    ) -> None:
        if model not in MODELS:
            raise ValidationError(f"unknown model {model!r}; allowed: {', '.join(MODELS)}")
        self.spec = MODELS[model]
        self.seed = seed
        prior = prior or PriorKnowledge()
        include_texts = [t for t in prior.include_texts if t.strip()]
        exclude_texts = [t for t in prior.exclude_texts if t.strip()]
        vectorised = vectorise(texts, [*include_texts, *exclude_texts])
        self.features = vectorised.records
        self.n_records = self.features.shape[0]
        self.prior = _prior_rows(vectorised.prior, len(include_texts), len(exclude_texts))
        self.last_method = "none"
        self._nearest: np.ndarray | None = None  # see _nearest_include
        self._nearest_rows: frozenset[int] = frozenset()

    @property
    def model(self) -> str:
        return self.spec.name

    def scores(
        self, labels: Mapping[int, int], *, weights: Mapping[int, float] | None = None
    ) -> np.ndarray:
        """A relevance score for every row (labelled rows included); higher = more likely.

        ``weights[row]`` multiplies a labelled row's training weight (default 1; see
        ``models.sample_weights``).
        """
        from scipy import sparse

        rows, y, w = self._labelled(labels, weights or {})
        include_rows = rows[y == 1]
        if self.features.shape[1] == 0:  # e.g. records imported as bare DOIs: nothing to learn
            self.last_method = "file order (no record has a word to rank by)"
            return np.zeros(self.n_records)
        if len(rows) == 0 and self.prior.features.shape[0] == 0:
            self.last_method = "file order (no labels)"
            return np.zeros(self.n_records)
        x = sparse.vstack([self.features[rows], self.prior.features], format="csr")
        y = np.concatenate([y, self.prior.labels])
        w = np.concatenate([w, self.prior.weights])
        if y.max(initial=0) == 0:
            self.last_method = "dissimilarity to the excludes (no include labelled)"
            return -self._similarity(x)
        x, y, w = self._add_presumed_excludes(rows, x, y, w)
        if y.min() == 1:
            self.last_method = "similarity to the includes (no exclude labelled)"
            return self._similarity(x)
        self.last_method = self.spec.name
        w = sample_weights(y, self.spec.include_weight, w)
        scores = self.spec.score(x, y, w, self.features)
        if self.spec.nearest_include:
            return with_nearest_include(scores, self._nearest_include(include_rows))
        return scores

    def rank(
        self, labels: Mapping[int, int], *, weights: Mapping[int, float] | None = None
    ) -> list[tuple[int, float]]:
        """``(row, score)`` for every unlabelled row, highest score first, ties in file order."""
        scores = self.scores(labels, weights=weights)
        unlabelled = np.setdiff1d(np.arange(self.n_records), np.fromiter(labels, dtype=np.int64))
        order = unlabelled[np.argsort(-scores[unlabelled], kind="stable")]
        return [(int(row), float(scores[row])) for row in order]

    def _labelled(
        self, labels: Mapping[int, int], weights: Mapping[int, float]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = np.fromiter(labels.keys(), dtype=np.int64, count=len(labels))
        y = np.fromiter(labels.values(), dtype=np.int64, count=len(labels))
        if len(rows) and (rows.min() < 0 or rows.max() >= self.n_records):
            raise ValidationError(f"label rows must be 0..{self.n_records - 1}")
        if not np.isin(y, (0, 1)).all():
            raise ValidationError("labels must be 1 (include) or 0 (exclude)")
        if unlabelled := sorted(set(weights) - set(labels)):
            raise ValidationError(f"weights given for rows without a label: {unlabelled[:5]}")
        w = np.array([float(weights.get(int(row), 1.0)) for row in rows], dtype=np.float64)
        if not (np.isfinite(w) & (w > 0)).all():
            raise ValidationError("label weights must be positive numbers")
        return rows, y, w

    def _add_presumed_excludes(
        self, rows: np.ndarray, x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray
    ) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
        from scipy import sparse

        wanted = self.spec.presumed_excludes
        if not wanted:
            return x, y, w
        unlabelled = np.setdiff1d(np.arange(self.n_records), rows)
        rng = np.random.default_rng([self.seed, len(rows)])
        size = min(wanted, len(unlabelled) // PRESUMED_SHARE)
        drawn = rng.choice(unlabelled, size=size, replace=False)
        return (
            sparse.vstack([x, self.features[drawn]], format="csr"),
            np.concatenate([y, np.zeros(size, np.int64)]),
            np.concatenate([w, np.ones(size)]),
        )

    def _nearest_include(self, include_rows: np.ndarray) -> np.ndarray:
        """Each record's similarity to its nearest labelled include (the prior's before any).

        The prior's texts describe the question, not a study: once a record is labelled
        include, nearness to it is the better evidence, and the texts stay in the classifier's
        training rows only. Kept between calls: while the labelled includes only grow (as
        screening goes on), the records are compared with the new includes alone (the maximum
        over the old ones is kept); when an include is unlabelled or relabelled, it is computed
        again.
        """
        if len(include_rows) == 0:
            prior_includes = self.prior.features[self.prior.labels == 1]
            return nearest_include_similarity(prior_includes, self.features)
        current = frozenset(int(row) for row in include_rows)
        if self._nearest is None or not self._nearest_rows <= current:
            self._nearest = np.zeros(self.n_records)
            self._nearest_rows = frozenset()
        if new := sorted(current - self._nearest_rows):
            added = nearest_include_similarity(self.features[new], self.features)
            self._nearest = np.maximum(self._nearest, added)
            self._nearest_rows = current
        return self._nearest

    def _similarity(self, x: sparse.csr_matrix) -> np.ndarray:
        """Each record's dot product with the mean of the rows of ``x`` (unit-length rows)."""
        centroid = np.asarray(x.mean(axis=0)).ravel()
        return np.asarray(self.features @ centroid).ravel()


@dataclass(frozen=True)
class _PriorRows:
    features: sparse.csr_matrix
    labels: np.ndarray
    weights: np.ndarray


def _prior_rows(features: sparse.csr_matrix, n_include: int, n_exclude: int) -> _PriorRows:
    """The prior pseudo-documents as training rows: includes 1, excludes 0.

    The protocol's texts of one class together weigh as much as one screened record (each of k
    texts 1/k): at the cold start they count like the one include ASReview asks the reviewer to
    pick, and as real labels arrive their share of the class shrinks like any one record's.
    """
    labels = np.concatenate([np.ones(n_include, np.int64), np.zeros(n_exclude, np.int64)])
    weights = np.concatenate(
        [np.full(n_include, 1 / max(n_include, 1)), np.full(n_exclude, 1 / max(n_exclude, 1))]
    )
    return _PriorRows(features, labels, weights)


def rank(texts: Sequence[str], labels: Mapping[int, int]) -> list[tuple[int, float]]:
    """Unlabelled rows of ``texts`` with their scores, likely includes first (a one-off Ranker)."""
    return Ranker(texts).rank(labels)
