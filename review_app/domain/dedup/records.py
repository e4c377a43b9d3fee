"""The plain data the deduplication engine takes and gives back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from review_app.domain.record_fields import Bibliographic

Decision = Literal["certain", "uncertain", "different"]


@dataclass(slots=True)
class DedupRecord(Bibliographic):
    """One bibliographic record as the engine sees it: an ``id`` and the declared fields
    (``domain.record_fields``, keyword-only), every one of which may be missing.

    ``authors`` holds one name per item in any common style ("Family, Given", "Family GI",
    "Given Family"); an item that holds a whole author string ("A, B and C", "Kim S.Lee J.")
    is split by the engine.
    """

    id: int


@dataclass(frozen=True, slots=True)
class PairDecision:
    """The engine's decision on one pair of records (``a < b``), with its evidence.

    ``score`` is the summed log2 likelihood ratio (Fellegi–Sunter weight) of the pair being
    one record; ``evidence`` is a JSON-safe dict: per field what was compared, how well it
    matched and the weight it contributed, plus the rules that capped the decision.
    """

    a: int
    b: int
    decision: Decision
    score: float
    evidence: dict[str, Any]


@dataclass(slots=True)
class DedupResult:
    """What :func:`find_duplicates` found.

    ``clusters`` are built from certain pairs only (each a set of ids, size >= 2), after the
    safeguards; a certain pair the safeguards refused to join is moved to ``uncertain_pairs``
    with ``evidence["safeguard"]`` saying why. ``n_compared`` counts the pairs scored.
    """

    certain_pairs: list[PairDecision] = field(default_factory=list)
    uncertain_pairs: list[PairDecision] = field(default_factory=list)
    clusters: list[set[int]] = field(default_factory=list)
    n_compared: int = 0

    def cluster_of(self) -> dict[int, int]:
        """Map each clustered id to the index of its cluster in ``clusters``."""
        return {rid: k for k, members in enumerate(self.clusters) for rid in members}
