"""WSS@95 and recall@10% on hand-made orders, worked out by hand in each test."""

from __future__ import annotations

import pytest

from review_app.domain.prioritisation import metrics_from_order
from review_app.errors import ValidationError

# 20 records; rows 0..3 are the includes.
LABELS = [1, 1, 1, 1] + [0] * 16


def test_perfect_order() -> None:
    # ceil(0.95 * 4) = 4 includes needed; found after 4 records -> 16 unscreened.
    # WSS = 16/20 - 0.05 = 0.75. 10 % of 20 = 2 records screened -> 2 of 4 includes = 0.5.
    wss, recall = metrics_from_order(list(range(20)), LABELS)
    assert wss == pytest.approx(0.75)
    assert recall == pytest.approx(0.5)


def test_worst_order() -> None:
    # Includes last: the 4th include is the 20th record -> 0 unscreened; WSS = 0 - 0.05.
    wss, recall = metrics_from_order(list(range(19, -1, -1)), LABELS)
    assert wss == pytest.approx(-0.05)
    assert recall == 0.0


def test_mixed_order() -> None:
    # Order: 0, 10, 1, 11, 12, 2, 13, 3, rest. The 4th include is at position 8 ->
    # 12 unscreened: WSS = 12/20 - 0.05 = 0.55. First ceil(2.0) = 2 records: 1 include -> 0.25.
    order = [0, 10, 1, 11, 12, 2, 13, 3, *range(4, 10), *range(14, 20)]
    wss, recall = metrics_from_order(order, LABELS)
    assert wss == pytest.approx(0.55)
    assert recall == pytest.approx(0.25)


def test_95_percent_is_a_ceiling_in_exact_arithmetic() -> None:
    # 60 includes among 100: ceil(0.95 * 60) = 57 exactly (0.95 * 60 is 56.99999... in floats).
    # Includes at positions 1..56, then 40 excludes, then includes 57..60: the 57th include is
    # at position 97 -> 3 unscreened -> WSS = 0.03 - 0.05 = -0.02.
    labels = [1] * 60 + [0] * 40
    order = [*range(56), *range(60, 100), *range(56, 60)]
    wss, recall = metrics_from_order(order, labels)
    assert wss == pytest.approx(-0.02)
    # 10 % of 100 = 10 records, all included: 10 / 60.
    assert recall == pytest.approx(10 / 60)


def test_recall_uses_the_ceiling_of_ten_percent() -> None:
    # 15 records -> ceil(1.5) = 2 records screened; includes at rows 0 (first) and 1 (second).
    # ceil(0.95 * 2) = 2 includes needed, found at position 2 -> 13/15 - 0.05.
    labels = [1, 1] + [0] * 13
    wss, recall = metrics_from_order(list(range(15)), labels)
    assert recall == 1.0
    assert wss == pytest.approx(13 / 15 - 0.05)


def test_bad_orders_are_refused() -> None:
    with pytest.raises(ValidationError, match="every row"):
        metrics_from_order([0, 1, 1], [1, 0, 0])
    with pytest.raises(ValidationError, match="at least one included"):
        metrics_from_order([0, 1], [0, 0])
