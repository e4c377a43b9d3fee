"""The Ranker's prior knowledge (protocol pseudo-documents) and per-label training weights."""

from __future__ import annotations

import numpy as np
import pytest

from review_app.domain.prioritisation import MODELS, Ranker
from review_app.domain.prioritisation.models import sample_weights
from review_app.domain.prioritisation.prior import PriorKnowledge
from review_app.errors import ValidationError

TEXTS = [
    "Methylphenidate for attention deficit hyperactivity disorder in children: a randomised trial",
    "Total knee replacement outcomes in older adults",
    "Extended-release methylphenidate in children with ADHD: a placebo-controlled trial",
    "Hip fracture surgery and mortality in older adults",
    "Statins for the prevention of cardiovascular events in adults",
    "Methylphenidate and classroom behaviour in hyperactive children",
    "Antibiotics for acute otitis media in children",
    "Cognitive effects of methylphenidate in children with attention deficit disorder",
    "Knee arthroscopy for degenerative meniscal tears",
    "Statin therapy and cardiovascular mortality: a randomised trial of statins",
    "Blood pressure lowering in diabetes",
    "Knee osteoarthritis and total knee replacement",
]
METHYLPHENIDATE = {2, 5, 7}
PRIOR = PriorKnowledge(
    include_texts=("methylphenidate for children with attention deficit hyperactivity disorder",),
    exclude_texts=("knee replacement", "   "),
)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_a_prior_ranks_before_any_label(model: str) -> None:
    ranker = Ranker(TEXTS, model=model, prior=PRIOR)
    rows = [row for row, _ in ranker.rank({})]
    assert sorted(rows) == list(range(len(TEXTS)))  # the pseudo-documents are never ranked
    assert rows[0] == 0 and set(rows[1:4]) == METHYLPHENIDATE, (rows, ranker.last_method)
    assert "file order" not in ranker.last_method


def test_an_include_prior_alone_ranks_like_records_first() -> None:
    ranker = Ranker(TEXTS, prior=PriorKnowledge(include_texts=PRIOR.include_texts))
    rows = [row for row, _ in ranker.rank({1: 0})]
    assert set(rows[:4]) == METHYLPHENIDATE | {0}


def test_an_exclude_prior_alone_puts_unlike_records_first() -> None:
    ranker = Ranker(TEXTS, prior=PriorKnowledge(exclude_texts=("total knee replacement",)))
    rows = [row for row, _ in ranker.rank({})]
    assert "no include" in ranker.last_method
    assert set(rows[-2:]) == {1, 11}, rows  # the knee replacement papers last


def test_prior_uses_the_records_vocabulary_and_a_blank_prior_changes_nothing() -> None:
    plain = Ranker(TEXTS)
    with_prior = Ranker(TEXTS, prior=PriorKnowledge(include_texts=("zebrafish methylphenidate",)))
    assert (plain.features != with_prior.features).nnz == 0  # same columns, same IDF
    blank = Ranker(TEXTS, prior=PriorKnowledge(include_texts=("", "  "), exclude_texts=()))
    labels = {0: 1, 1: 0}
    assert np.array_equal(plain.scores(labels), blank.scores(labels))
    assert blank.scores({}).tolist() == [0.0] * len(TEXTS)


def test_the_texts_of_a_class_together_weigh_one_record() -> None:
    once = PriorKnowledge(include_texts=("statins cardiovascular events",))
    thrice = PriorKnowledge(include_texts=once.include_texts * 3)
    labels = {0: 1, 1: 0}
    assert np.allclose(
        Ranker(TEXTS, model="logistic", prior=once).scores(labels),
        Ranker(TEXTS, model="logistic", prior=thrice).scores(labels),
        atol=1e-4,  # the solver's tolerance
    )
    # ... as much as a screened record saying the same: the prior pulls statin papers up.
    rows = [row for row, _ in Ranker(TEXTS, model="svm", prior=once).rank(labels)]
    assert set(rows[:2]) == {4, 9}, rows


def test_weights_multiply_a_label_within_its_class() -> None:
    ranker = Ranker(TEXTS, model="logistic")
    labels = {0: 1, 4: 1, 1: 0, 6: 0}  # two includes on two topics
    same = ranker.scores(labels, weights={0: 1.0, 4: 1.0})
    assert np.allclose(ranker.scores(labels), same)
    trust_statins = [row for row, _ in ranker.rank(labels, weights={0: 0.05})]
    trust_methylphenidate = [row for row, _ in ranker.rank(labels, weights={4: 0.05})]
    assert trust_statins[0] == 9 and trust_methylphenidate[0] in METHYLPHENIDATE


def test_bad_weights_are_refused() -> None:
    ranker = Ranker(TEXTS)
    with pytest.raises(ValidationError, match="without a label"):
        ranker.rank({0: 1, 1: 0}, weights={3: 0.5})
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValidationError, match="positive"):
            ranker.rank({0: 1, 1: 0}, weights={0: bad})


def test_sample_weights_balance_classes_and_keep_relative_weights() -> None:
    y = np.array([1, 1, 0, 0, 0, 0])
    plain = sample_weights(y, 9.8)
    assert plain[:2].sum() == pytest.approx(9.8 * plain[2:].sum())
    assert plain.mean() == pytest.approx(1.0)
    weighted = sample_weights(y, 9.8, np.array([1.0, 0.5, 1.0, 1.0, 2.0, 1.0]))
    assert weighted[:2].sum() == pytest.approx(9.8 * weighted[2:].sum())
    assert weighted[1] == pytest.approx(weighted[0] / 2)
    assert weighted[4] == pytest.approx(2 * weighted[2])
    assert weighted.sum() == pytest.approx(6.5)  # the row weights' total


def test_records_without_a_word_keep_file_order_with_a_prior_and_labels() -> None:
    """Records imported as bare DOIs give the model nothing to learn from: file order, said so,
    not an error from the classifier."""
    prior = PriorKnowledge(include_texts=("kratom pain",), exclude_texts=("rats",))
    ranker = Ranker(["", "", ""], prior=prior)
    assert [row for row, _ in ranker.rank({})] == [0, 1, 2]
    assert [row for row, _ in ranker.rank({0: 1, 1: 0})] == [2]
    assert ranker.last_method.startswith("file order")
