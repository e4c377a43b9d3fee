"""Ranking and simulation on small literal sets: obvious includes first, the simulate contract."""

from __future__ import annotations

import numpy as np
import pytest

from review_app.domain.prioritisation import (
    DEFAULT_MODEL,
    MODELS,
    Ranker,
    rank,
    record_texts,
    simulate,
)
from review_app.errors import ValidationError

# A review of methylphenidate for ADHD in children: includes talk about that, excludes do not.
TITLES = [
    "Methylphenidate for attention deficit hyperactivity disorder in children: a randomised trial",
    "Total knee replacement outcomes in older adults",
    "Extended-release methylphenidate in children with ADHD: a placebo-controlled trial",
    "Hip fracture surgery and mortality",
    "Statins for the prevention of cardiovascular events",
    "Methylphenidate and classroom behaviour in hyperactive children",
    "Antibiotics for acute otitis media",
    "Cognitive effects of methylphenidate in children with attention deficit disorder",
    "Knee arthroscopy for degenerative meniscal tears",
    "Blood pressure lowering in diabetes",
]
ABSTRACTS = [
    "Children with ADHD received methylphenidate or placebo for eight weeks.",
    "",  # an empty abstract
    "A crossover trial of methylphenidate in hyperactive children.",
    "Cohort of older adults after hip surgery.",
    "",
    "Teachers rated ADHD symptoms of children given methylphenidate.",
    "Children with ear infection were given amoxicillin.",
    "",
    "Arthroscopic partial meniscectomy versus sham surgery in adults.",
    "Adults with type 2 diabetes and hypertension.",
]
LABELS = [1, 0, 1, 0, 0, 1, 0, 1, 0, 0]
TEXTS = record_texts(TITLES, ABSTRACTS)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_obvious_includes_come_first(model: str) -> None:
    ranking = Ranker(TEXTS, model=model).rank({0: 1, 1: 0})
    rows = [row for row, _ in ranking]
    assert set(rows[:3]) == {2, 5, 7}, rows
    scores = [score for _, score in ranking]
    assert scores == sorted(scores, reverse=True)


def test_rank_function_leaves_labelled_rows_out() -> None:
    ranking = rank(TEXTS, {0: 1, 1: 0, 4: 0})
    assert {row for row, _ in ranking} == set(range(10)) - {0, 1, 4}


def test_only_includes_labelled_ranks_like_records_first() -> None:
    for model in MODELS:
        ranker = Ranker(TEXTS, model=model)
        rows = [row for row, _ in ranker.rank({0: 1})]
        assert set(rows[:3]) == {2, 5, 7}, (model, ranker.last_method)


def test_only_excludes_labelled_puts_unlike_records_first() -> None:
    ranker = Ranker(TEXTS)
    rows = [row for row, _ in ranker.rank({1: 0, 8: 0})]  # two knee papers excluded
    assert "no include" in ranker.last_method
    assert rows.index(3) > rows.index(2)  # hip surgery resembles the knee papers more


def test_no_labels_keeps_file_order_and_tiny_sets_work() -> None:
    assert [row for row, _ in rank(TEXTS, {})] == list(range(10))
    assert rank(["one record"], {0: 1}) == []
    assert [row for row, _ in rank(["", ""], {0: 1})] == [1]  # no words at all
    two = rank(["aspirin trial", "aspirin cohort", "knee"], {0: 1, 2: 0})
    assert [row for row, _ in two] == [1]


def test_bad_labels_are_refused() -> None:
    with pytest.raises(ValidationError):
        rank(TEXTS, {0: 2})
    with pytest.raises(ValidationError):
        rank(TEXTS, {10: 1})
    with pytest.raises(ValidationError):
        Ranker(TEXTS, model="forest")


def test_simulate_meets_the_contract() -> None:
    result = simulate(TITLES, ABSTRACTS, LABELS, seed=3)
    assert sorted(result.order) == list(range(10))
    assert LABELS[result.order[0]] == 1 and LABELS[result.order[1]] == 0  # priors first
    assert result.n_records == 10 and result.n_included == 4 and result.seed == 3
    assert result.model == DEFAULT_MODEL
    # Obvious includes: all four are found in the first five records screened.
    assert sum(LABELS[row] for row in result.order[:5]) == 4
    data = result.to_dict()
    assert set(data) >= {"order", "n_records", "n_included", "wss_at_95", "recall_at_10pct"}
    assert set(data) >= {"seed", "model"}


def test_simulate_is_deterministic_by_seed_and_draws_priors_like_asreview() -> None:
    runs = {seed: simulate(TITLES, ABSTRACTS, LABELS, seed=seed) for seed in range(6)}
    assert runs[4] == simulate(TITLES, ABSTRACTS, LABELS, seed=4)
    includes, excludes = [0, 2, 5, 7], [1, 3, 4, 6, 8, 9]
    for seed, run in runs.items():
        assert run.order[0] == np.random.RandomState(seed).choice(includes, 1, replace=False)[0]
        assert run.order[1] == np.random.RandomState(seed).choice(excludes, 1, replace=False)[0]
    assert len({run.order[:2] for run in runs.values()}) > 1


def test_simulate_needs_one_label_per_record_and_both_classes() -> None:
    with pytest.raises(ValidationError, match="one per record"):
        simulate(TITLES, ABSTRACTS, LABELS[:-1], seed=0)
    with pytest.raises(ValidationError, match="label 1"):
        simulate(TITLES, ABSTRACTS, [0] * 10, seed=0)
