"""The simulation's stopping point: where the stopping aid would first have said "you may stop".

Hand-worked case (see ``test_prioritisation_stopping``): 100 records, 20 includes. When the
includes are screened first, H0 "recall < 95 %" needs D = floor(20 / 0.95 - 20) + 1 = 2 more
includes, and the excludes screened after the last include are a "sample" of the records left
before them, so the stop comes when (M - n)(M - 1 - n) / (M (M - 1)) < 0.05 first, M being the
number of records not screened before that tail.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from review_app.domain.prioritisation import PriorKnowledge, simulate, simulation
from review_app.domain.prioritisation.simulation import stopping_point

TOPIC = "methylphenidate attention deficit hyperactivity children randomised placebo trial"
OTHER = [
    "knee", "hip", "statin", "otitis", "meniscus", "diabetes", "asthma", "glaucoma", "dental",
    "malaria", "stroke", "psoriasis", "anaemia", "migraine", "gout", "eczema",
]  # fmt: skip


def test_simulation_stops_where_worked_out_by_hand() -> None:
    # 20 includes on one topic, 80 excludes sharing none of its words: the ranking is perfect.
    titles = [f"{TOPIC} study {i}" for i in range(20)]
    titles += [f"{OTHER[i % 16]} {OTHER[(i * 7 + 3) % 16]} cohort {i}" for i in range(80)]
    labels = [1] * 20 + [0] * 80
    result = simulate(titles, [""] * 100, labels, seed=2)
    in_order = [labels[row] for row in result.order]
    assert in_order[:21] == [1, 0] + [1] * 19  # the priors, then every include
    # last include screened 21st; M = 79: (79 - n)(78 - n) < 0.05 * 79 * 78 = 308.1 first at
    # n = 61 (18 * 17 = 306; n = 60: 19 * 18 = 342), so 21 + 61 = 82 screened
    stop = result.stopping
    assert (stop.target_recall, stop.confidence, stop.stop_after) == (0.95, 0.95, 82)
    assert stop.recall_at_stop == 1.0
    assert stop.work_saved == pytest.approx(0.18)
    assert result.to_dict()["stopping"]["stop_after"] == 82


def test_a_late_include_is_missed_and_recall_says_so() -> None:
    # 21 includes: 20 first, one at position 91. Until then the stop is the one above without
    # priors (M = 80: n = 62 after the 20th include), 82 < 91: recall 20 / 21 at the stop.
    labels = np.array([1] * 20 + [0] * 70 + [1] + [0] * 9)
    stop = stopping_point(labels)
    assert stop.stop_after == 82
    assert stop.recall_at_stop == pytest.approx(20 / 21)
    assert stop.work_saved == pytest.approx(0.18)


def test_an_order_that_never_convinces_stops_at_the_end() -> None:
    # an include screened last: no tail rejects H0 before every record is screened
    labels = np.array([0] * 9 + [1])
    assert stopping_point(labels).stop_after == 10
    assert stopping_point(labels).work_saved == 0.0


def test_the_prior_reaches_the_ranker(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[PriorKnowledge | None] = []

    class SpyRanker(simulation.Ranker):
        def __init__(self, *args: Any, prior: PriorKnowledge | None = None, **kw: Any) -> None:
            seen.append(prior)
            super().__init__(*args, prior=prior, **kw)

    monkeypatch.setattr(simulation, "Ranker", SpyRanker)
    prior = PriorKnowledge(include_texts=(TOPIC,), exclude_texts=("knee hip cohort",))
    titles = [f"{TOPIC} {i}" for i in range(3)] + [f"{OTHER[i]} cohort" for i in range(9)]
    result = simulate(titles, [""] * 12, [1] * 3 + [0] * 9, seed=0, prior=prior)
    simulate(titles, [""] * 12, [1] * 3 + [0] * 9, seed=0)
    assert seen == [prior, None]
    assert sorted(result.order) == list(range(12))
