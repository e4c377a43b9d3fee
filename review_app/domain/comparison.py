"""Copies of one thing compared item by item, and each item's state against a consensus (pure).

A stage that keeps a study in copies (extraction: ``domain/extraction/compare``; risk of bias:
``domain/appraisal/compare``) reads its items its own way; both report them in these shapes, so
the services and pages show and resolve them alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ItemKey = tuple[str, ...]  # what a stage's ``take`` is given


@dataclass(frozen=True)
class Item:
    """One thing the copies are compared on: its key and a label for people."""

    key: ItemKey
    label: str


@dataclass(frozen=True)
class ItemValues:
    """An item with each copy's value as shown to people (None: not filled in) and whether all
    copies agree on it."""

    item: Item
    values: tuple[str | None, ...]
    same: bool


@dataclass(frozen=True)
class Comparison:
    """The copies compared; ``agreement`` is the share of items identical (None: no items)."""

    items: tuple[ItemValues, ...]
    agreement: float | None

    @classmethod
    def of(cls, items: Iterable[ItemValues]) -> Comparison:
        rows = tuple(items)
        agreement = sum(row.same for row in rows) / len(rows) if rows else None
        return cls(rows, agreement)

    @property
    def discrepancies(self) -> tuple[ItemValues, ...]:
        return tuple(item for item in self.items if not item.same)


@dataclass(frozen=True, slots=True)
class ComparedItem:
    """One item across the copies and the consensus.

    ``resolved``: the consensus holds a decision on it, because the lead took or edited it, or
    because the copies agree and the consensus has what they have.
    """

    item: Item
    values: tuple[str | None, ...]  # per copy compared
    same: bool  # the copies agree
    consensus: str | None
    resolved: bool


class WithConsensus:
    """A view of copies side by side with their consensus (a stage's dataclass declares the two
    fields): the agreement of the copies, and how many items the consensus has yet to decide."""

    __slots__ = ()
    comparison: Comparison  # the copies compared, without the consensus
    items: tuple[ComparedItem, ...]  # the comparison's items, then those only the consensus has

    @property
    def agreement(self) -> float | None:
        return self.comparison.agreement

    @property
    def unresolved(self) -> int:
        return sum(not item.resolved for item in self.items)


def compared_items(
    comparison: Comparison, with_consensus: Comparison | None, *, decided: set[ItemKey]
) -> tuple[ComparedItem, ...]:
    """The items of ``comparison`` (the copies) against ``with_consensus`` (the same copies and
    the consensus last; None: no consensus yet): the latter's items, those only the consensus
    has included. ``decided``: the items a lead took or edited."""
    same = {row.item.key: row.same for row in comparison.items}
    if with_consensus is None:
        return tuple(
            ComparedItem(row.item, row.values, row.same, None, resolved=False)
            for row in comparison.items
        )
    return tuple(
        ComparedItem(
            item=row.item,
            values=row.values[:-1],
            same=same.get(row.item.key, True),
            consensus=row.values[-1],
            resolved=row.item.key in decided or (same.get(row.item.key, False) and row.same),
        )
        for row in with_consensus.items
    )
