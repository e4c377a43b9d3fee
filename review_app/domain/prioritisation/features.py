"""Text features for prioritisation: one TF-IDF matrix over every record, fitted once.

The vocabulary and IDF are fitted on all records of the review (labelled or not), as ASReview
does: the text is known before any record is screened, only the labels arrive over time, so the
matrix is built once and every retraining reuses it (``Ranker``).

Settings, on principle rather than tuned to any labelled set:
- words and two-word phrases (``ngram_range=(1, 2)``), sublinear term frequency ``1 + log(tf)``
  and L2-normalised rows (Salton & Buckley 1988, Inf Process Manag 24:513-523; the same
  choices as ASReview's ELAS u4 feature extractor);
- no stop-word list and no document-frequency cut-offs: IDF already gives words found in every
  record almost no weight, and a cut-off can empty the vocabulary of a tiny review;
- accents folded (``strip_accents="unicode"``) so "Müller" and "Muller" are one word.
A record's text is its title, abstract and keywords (MeSH terms, author keywords) joined by a
space; missing parts are empty. A record with no text at all gets an all-zero row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse


def record_texts(
    titles: Sequence[str | None],
    abstracts: Sequence[str | None],
    keywords: Sequence[str | None] | None = None,
) -> list[str]:
    """One text per record: title, abstract and (when given) keywords, joined by a space."""
    if len(titles) != len(abstracts) or (keywords is not None and len(keywords) != len(titles)):
        raise ValueError("titles, abstracts and keywords must have one entry per record")
    parts: list[Sequence[str | None]] = [titles, abstracts]
    if keywords is not None:
        parts.append(keywords)
    return [" ".join(p.strip() for p in row if p and p.strip()) for row in zip(*parts, strict=True)]


def tfidf_matrix(texts: Sequence[str]) -> sparse.csr_matrix:
    """Rows = records, L2-normalised TF-IDF of words and word pairs (see the module doc)."""
    return vectorise(texts).records


@dataclass(frozen=True)
class Features:
    records: sparse.csr_matrix  # one row per record
    prior: sparse.csr_matrix  # one row per prior pseudo-document, same columns


def vectorise(texts: Sequence[str], prior_texts: Sequence[str] = ()) -> Features:
    """The records' TF-IDF matrix, and the prior texts transformed with the records' vocabulary.

    The vocabulary and IDF come from the records alone: a word only the protocol uses is in no
    record, so no weight on it could move a score, and the records' matrix (hence every ranking
    without a prior) stays the same whatever the protocol says.
    """
    # scikit-learn and SciPy take about a second to import: loaded here, when a ranking is
    # computed, not by every command that imports this package.
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode", dtype=np.float64
    )
    try:
        records = sparse.csr_matrix(vectorizer.fit_transform(texts))
    except ValueError:  # "empty vocabulary": no record has a word in it
        empty = sparse.csr_matrix((len(texts), 0), dtype=np.float64)
        return Features(empty, sparse.csr_matrix((len(prior_texts), 0), dtype=np.float64))
    if not prior_texts:
        return Features(records, sparse.csr_matrix((0, records.shape[1]), dtype=np.float64))
    return Features(records, sparse.csr_matrix(vectorizer.transform(list(prior_texts))))
