"""Screening-order metrics: work saved over sampling at 95 % recall and recall at 10 % screened.

Both are computed from the order in which records were screened and their labels only, so our
simulations and ASReview LAB's are measured the same way (``bench/prioritisation.py``).

- WSS@95 = (records not yet screened when 95 % of the included records are found) / N - 0.05
  (Cohen et al. 2006, J Am Med Inform Assoc 13:206-219; the definition in
  ``shared/data/README.md``). "95 % found" means ``ceil(0.95 * n_included)`` includes found,
  counted in exact integer arithmetic; the record that completes that count is screened.
- recall@10% = share of the included records found among the first ``ceil(0.10 * N)`` records
  screened (at least one record is screened).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from review_app.errors import ValidationError

RECALL_FOR_WSS = Fraction(95, 100)
SHARE_FOR_RECALL = Fraction(10, 100)


def includes_needed(n_included: int, recall: Fraction = RECALL_FOR_WSS) -> int:
    """``ceil(recall * n_included)``, exact (0.95 * 60 is not 56.99999...)."""
    return math.ceil(recall * n_included)


def records_for_share(n_records: int, share: Fraction = SHARE_FOR_RECALL) -> int:
    """``ceil(share * n_records)``, at least 1."""
    return max(1, math.ceil(share * n_records))


def metrics_from_order(order: Sequence[int], labels: Sequence[int]) -> tuple[float, float]:
    """Return ``(wss_at_95, recall_at_10pct)`` for a screening ``order`` of row numbers.

    ``labels[row]`` is 1 for an included record, 0 otherwise. ``order`` must hold every row
    once. Raises ``ValidationError`` when it does not, or when no record is included.
    """
    n_records = len(labels)
    check_order(order, n_records)
    found = [labels[row] for row in order]
    n_included = sum(found)
    if n_included == 0:
        raise ValidationError("metrics need at least one included record (label 1); none given")
    needed = includes_needed(n_included)
    running = 0
    screened_at_target = n_records
    for position, label in enumerate(found, start=1):
        running += label
        if running >= needed:
            screened_at_target = position
            break
    wss = (n_records - screened_at_target) / n_records - 0.05
    recall = sum(found[: records_for_share(n_records)]) / n_included
    return wss, recall


def check_order(order: Sequence[int], n_records: int) -> None:
    """Raise ``ValidationError`` unless ``order`` is a permutation of ``range(n_records)``."""
    if len(order) != n_records or set(order) != set(range(n_records)):
        raise ValidationError(
            f"a screening order must list every row 0..{n_records - 1} exactly once; "
            f"got {len(order)} entries, {len(set(order))} distinct"
        )
