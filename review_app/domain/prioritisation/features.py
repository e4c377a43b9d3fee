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


FEATURE_SETS = ("words", "words+chars", "words+lsa")
LSA_COMPONENTS = 100


def vectorise(
    texts: Sequence[str], prior_texts: Sequence[str] = (), kind: str = "words"
) -> Features:
    """The records' feature matrix, and the prior texts transformed with the records' vocabulary.

    The vocabulary, IDF (and topics) come from the records alone: a word only the protocol uses
    is in no record, so no weight on it could move a score, and the records' matrix (hence every
    ranking without a prior) stays the same whatever the protocol says.
    """
    # scikit-learn and SciPy take about a second to import: loaded here, when a ranking is
    # computed, not by every command that imports this package.
    from scipy import sparse

    words = _tfidf(texts, prior_texts, analyzer="word", ngram_range=(1, 2))
    blocks = [words]
    if kind == "words+chars":
        blocks.append(_tfidf(texts, prior_texts, analyzer="char_wb", ngram_range=(3, 5)))
    elif kind == "words+lsa":
        blocks.append(_lsa(_tfidf(texts, prior_texts, analyzer="word")))
    elif kind != "words":
        raise ValueError(f"unknown feature set {kind!r}; allowed: {', '.join(FEATURE_SETS)}")
    if len(blocks) == 1:
        return words
    scale = 1 / np.sqrt(len(blocks))  # unit-length blocks side by side: unit-length rows
    return Features(
        sparse.hstack([b.records for b in blocks], format="csr") * scale,
        sparse.hstack([b.prior for b in blocks], format="csr") * scale,
    )


def _tfidf(texts: Sequence[str], prior_texts: Sequence[str], **settings: object) -> Features:
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        sublinear_tf=True, strip_accents="unicode", dtype=np.float64, **settings
    )
    try:
        records = sparse.csr_matrix(vectorizer.fit_transform(texts))
    except ValueError:  # "empty vocabulary": no record has a word in it
        empty = sparse.csr_matrix((len(texts), 0), dtype=np.float64)
        return Features(empty, sparse.csr_matrix((len(prior_texts), 0), dtype=np.float64))
    if not prior_texts:
        return Features(records, sparse.csr_matrix((0, records.shape[1]), dtype=np.float64))
    return Features(records, sparse.csr_matrix(vectorizer.transform(list(prior_texts))))


def _lsa(words: Features) -> Features:
    """Latent semantic analysis: the records' 100 main topics (Deerwester et al. 1990)."""
    from scipy import sparse
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    n_components = min(LSA_COMPONENTS, min(words.records.shape) - 1)
    if n_components < 1:
        return Features(
            sparse.csr_matrix((words.records.shape[0], 0)),
            sparse.csr_matrix((words.prior.shape[0], 0)),
        )
    svd = TruncatedSVD(n_components=n_components, random_state=0)
    records = normalize(svd.fit_transform(words.records))
    prior = normalize(svd.transform(words.prior)) if words.prior.shape[0] else None
    return Features(
        sparse.csr_matrix(records),
        sparse.csr_matrix(prior) if prior is not None else sparse.csr_matrix((0, n_components)),
    )
