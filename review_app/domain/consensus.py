"""How the votes on one record at one stage add up to its status (pure; no database).

With N reviewers per record (protocol): all include -> included; all exclude -> excluded; any
disagreement -> conflict, which only a lead's resolution settles. A lead's resolution always wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from review_app.domain.vocabulary import StageStatus, Vote

__all__ = ["StageStatus", "stage_status"]


def stage_status(
    votes: Sequence[str],
    *,
    reviewers_per_record: int,
    maybe_counts_as: str = Vote.INCLUDE,
    resolution: str | None = None,
) -> StageStatus:
    """The status of one record at one stage from its votes and any lead resolution.

    ``maybe_counts_as``: "include" (a maybe moves the record on, as in Covidence) or "conflict"
    (any maybe needs a lead).
    """
    if resolution is not None:
        return StageStatus.INCLUDED if resolution == Vote.INCLUDE else StageStatus.EXCLUDED
    if not votes:
        return StageStatus.UNSCREENED
    if len(votes) < reviewers_per_record:
        return StageStatus.AWAITING
    if Vote.MAYBE in votes and maybe_counts_as == "conflict":
        return StageStatus.CONFLICT
    passes = {vote != Vote.EXCLUDE for vote in votes}
    if passes == {True}:
        return StageStatus.INCLUDED
    if passes == {False}:
        return StageStatus.EXCLUDED
    return StageStatus.CONFLICT
