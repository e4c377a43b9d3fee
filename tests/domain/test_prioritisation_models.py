"""The default model: ELAS u4's SVM plus the similarity to the nearest include."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from review_app.domain.prioritisation import DEFAULT_MODEL, MODELS, Ranker
from review_app.domain.prioritisation.models import _standardised, nearest_include_similarity
from review_app.domain.prioritisation.prior import PriorKnowledge

TEXTS = [
    "Methylphenidate for attention deficit hyperactivity disorder in children",  # include
    "Extended-release methylphenidate in children with ADHD",  # include
    "Methylphenidate and classroom behaviour in hyperactive children",  # include
    "Zinc supplements and sleep in adults with insomnia",  # include, a topic of its own
    "Total knee replacement outcomes in older adults",
    "Hip fracture surgery and mortality in older adults",
    "Knee arthroscopy for degenerative meniscal tears",
    "Antibiotics for acute otitis media in children",
    "Zinc supplements and sleep quality in adults with chronic insomnia",  # like row 3 only
    "Knee osteoarthritis and total knee replacement in adults",
    "Cognitive effects of methylphenidate in children",
]


def test_the_default_is_registered() -> None:
    assert DEFAULT_MODEL == "svm+nearest" and DEFAULT_MODEL in MODELS


def test_nearest_include_is_the_highest_cosine_similarity() -> None:
    includes = sparse.csr_matrix(np.array([[1.0, 0.0, 0.0], [0.0, 0.6, 0.8]]))
    rows = sparse.csr_matrix(np.array([[0.0, 1.0, 0.0], [0.6, 0.0, 0.8], [0.0, 0.0, 0.0]]))
    assert nearest_include_similarity(includes, rows) == pytest.approx([0.6, 0.64, 0.0])
    assert nearest_include_similarity(includes[:0], rows).tolist() == [0.0, 0.0, 0.0]


def test_scores_are_standardised_before_they_are_summed() -> None:
    z = _standardised(np.array([1.0, 2.0, 3.0, 6.0]))
    assert z.mean() == pytest.approx(0.0) and z.std() == pytest.approx(1.0)
    assert _standardised(np.array([2.0, 2.0])).tolist() == [0.0, 0.0]  # no spread: no NaN


def test_a_record_like_a_lone_include_comes_first() -> None:
    labels = {0: 1, 1: 1, 2: 1, 3: 1, 4: 0, 5: 0, 6: 0, 7: 0}
    ranker = Ranker(TEXTS)
    assert np.isfinite(ranker.scores(labels)).all()  # every row, labelled ones included
    rows = [row for row, _ in ranker.rank(labels)]
    assert ranker.last_method == "svm+nearest"
    assert rows[:2] in ([8, 10], [10, 8]) and rows[-1] == 9, rows


def test_the_nearest_include_kept_between_calls_is_what_a_new_ranker_finds() -> None:
    kept = Ranker(TEXTS)
    steps = [{0: 1, 4: 0}, {0: 1, 4: 0, 3: 1}, {0: 1, 4: 0, 3: 1, 1: 1, 5: 0}]
    steps.append({0: 1, 4: 0, 3: 0, 1: 1, 5: 0})  # an include relabelled exclude
    for labels in steps:
        assert np.allclose(kept.scores(labels), Ranker(TEXTS).scores(labels)), labels


def test_the_prior_is_a_neighbour_only_before_the_first_include() -> None:
    prior = PriorKnowledge(include_texts=("knee replacement in older adults",))
    ranker = Ranker(TEXTS, prior=prior)
    before = [row for row, _ in ranker.rank({5: 0, 7: 0})]
    assert before[0] in {4, 9}, before  # the knee papers, like the prior's text
    labelled = {0: 1, 5: 0, 7: 0}
    ranker.rank(labelled)
    alone = nearest_include_similarity(ranker.features[[0]], ranker.features)
    assert np.array_equal(ranker._nearest_include(np.array([0])), alone)
