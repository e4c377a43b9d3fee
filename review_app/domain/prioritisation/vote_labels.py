"""A record's title/abstract votes as one training label for the team's ranking, with a weight.

The rule, from the record's votes so far, its lead resolution and the protocol's screening
settings (``reviewers_per_record`` = N, ``maybe_counts_as``):

- Agreed (all N reviewers voted alike) or resolved by a lead: that label, weight 1
  (``domain.consensus.stage_status`` decides, so the ranking and the PRISMA counts agree).
- Fewer than N votes so far, all alike: that label, weight k / N for k votes. Each vote the
  protocol asks for is an equal share of an agreed label, so one vote of two weighs 1/2: it
  counts at once, but a single screener misses eligible reports a second one finds (Edwards et
  al. 2002, Stat Med 21:1635-1640; hence two independent screeners in the Cochrane Handbook
  v6.5, section 4.6.4, and MECIR C39), and a label the second vote may still overturn should
  not move the ranking as much as an agreed one.
- Votes that disagree (include and exclude), or a maybe where the protocol sends maybes to a
  lead (``maybe_counts_as = "conflict"``), unresolved: an include, weight ``CONFLICT_WEIGHT``
  (1/2, what one include vote weighs). Missing an eligible record costs a review more than
  reading one more ineligible abstract (the reason searches aim for high sensitivity at the
  cost of precision: Cochrane Handbook v6.5, chapter 4, key points), and the record is still
  heading to a lead who may include it, so the include vote is kept and the exclude vote does
  not cancel it. Leaving the record out would
  drop the very records reviewers found hard, and training it as an exclude would push records
  like it down while its eligibility is open.
- No vote: no label.

A maybe that counts as an include is an include vote. Only the team's shared ranking uses this
rule; a reviewer's own ranking (while blind) learns from their own votes alone, each weighing 1.
"""

from __future__ import annotations

from collections.abc import Sequence

from review_app.domain.consensus import stage_status
from review_app.domain.vocabulary import StageStatus, Vote

__all__ = ["CONFLICT_WEIGHT", "team_label"]

CONFLICT_WEIGHT = 0.5  # an unresolved conflict trains as an include at this weight (module doc)


def team_label(
    votes: Sequence[str],
    *,
    reviewers_per_record: int,
    maybe_counts_as: str = Vote.INCLUDE,
    resolution: str | None = None,
) -> tuple[int, float] | None:
    """(label 1 include / 0 exclude, weight in (0, 1]) of one record, or None before any vote."""
    status = stage_status(
        votes,
        reviewers_per_record=reviewers_per_record,
        maybe_counts_as=maybe_counts_as,
        resolution=resolution,
    )
    if status is StageStatus.INCLUDED:
        return 1, 1.0
    if status is StageStatus.EXCLUDED:
        return 0, 1.0
    if not votes:
        return None
    passes = {_passes(vote, maybe_counts_as) for vote in votes}
    if status is StageStatus.AWAITING and len(passes) == 1 and None not in passes:
        return int(passes == {True}), len(votes) / reviewers_per_record
    return 1, CONFLICT_WEIGHT  # disagreement, or a maybe a lead must settle


def _passes(vote: str, maybe_counts_as: str) -> bool | None:
    """True for an include vote, False for an exclude, None for a maybe a lead must settle."""
    if vote == Vote.MAYBE:
        return True if maybe_counts_as == Vote.INCLUDE else None
    return vote != Vote.EXCLUDE
