"""A lead's comparison of the copies of one thing (a study's extraction, a result's risk of bias):
who holds each copy and where it stands, the share of items identical, the items side by side
(what differs highlighted), the consensus started from what the complete copies agree on, and
each discrepancy settled by keeping one copy's item.

The stage's own component (``extraction_consensus``, ``appraisal_consensus``) reads its
comparison from its service, hands it here as :class:`Compared` with its words, and gives the two
actions (start, take), which run in their own unit of work; a refused one is said with
``st.error``, a done one reruns the page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence, Sized
from dataclasses import dataclass
from typing import Literal, Protocol

import pandas as pd
import streamlit as st

from review_app.domain.vocabulary import ExtractionStatus
from review_app.errors import ReviewAppError
from review_app.ui.components.text import escape_markdown

NOT_FILLED = "—"
DIFFERS = "background-color: #fde2e1"  # a light red behind the rows where the copies differ


class ItemLabel(Protocol):
    @property
    def key(self) -> tuple[str, ...]: ...
    @property
    def label(self) -> str: ...


class ComparedItem(Protocol):
    """One item across the copies (``values``, per column) and the consensus, as the services
    compare it."""

    @property
    def item(self) -> ItemLabel: ...
    @property
    def values(self) -> tuple[str | None, ...]: ...
    @property
    def same(self) -> bool: ...
    @property
    def consensus(self) -> str | None: ...
    @property
    def resolved(self) -> bool: ...


class _Counts(Protocol):
    @property
    def items(self) -> Sized: ...
    @property
    def discrepancies(self) -> Sized: ...


class StudyCopies(Protocol):
    """A service's comparison of the copies of one thing (``compare_study``,
    ``compare_result``)."""

    @property
    def items(self) -> Sequence[ComparedItem]: ...
    @property
    def comparison(self) -> _Counts: ...
    @property
    def agreement(self) -> float | None: ...
    @property
    def consensus(self) -> object | None: ...
    @property
    def unresolved(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Column:
    """One copy compared: its id (what ``take`` is given) and its holder's name."""

    copy_id: int
    name: str
    status: ExtractionStatus


@dataclass(frozen=True, slots=True)
class Compared:
    """The copies of one thing side by side, with the consensus (``has_consensus``)."""

    columns: tuple[Column, ...]
    items: Sequence[ComparedItem]
    agreement: float | None  # share of the items compared identical in every copy
    compared: int  # items compared
    discrepancies: int
    has_consensus: bool
    unresolved: int

    @classmethod
    def of(cls, copies: StudyCopies, columns: tuple[Column, ...]) -> Compared:
        """``copies`` with its ``columns`` (by slot) named as the page names them."""
        return cls(
            columns=columns,
            items=copies.items,
            agreement=copies.agreement,
            compared=len(copies.comparison.items),
            discrepancies=len(copies.comparison.discrepancies),
            has_consensus=copies.consensus is not None,
            unresolved=copies.unresolved,
        )


@dataclass(frozen=True, slots=True)
class Words:
    """What a stage calls its copies' holders and items, and its widgets' key prefix."""

    key: str  # "extract", "rob": the prefix of the widgets' keys
    holder: str  # "extractor", "assessor"
    nothing_yet: str  # when no copy holds anything: "Nothing has been filled in yet..."
    agreement_help: str  # what the agreement counts
    keep_hint: str  # how a discrepancy is settled
    item_width: Literal["small", "medium", "large"] = "medium"
    differences_first: bool = False  # list the differing items first (else in the form's order)


def show(
    compared: Compared,
    *,
    words: Words,
    start: Callable[[], object],
    take: Callable[[ComparedItem, Column], object],
    start_key: str,
    edit_consensus: Callable[[], None] | None,
) -> None:
    """The comparison, then the start of the consensus, or the discrepancies to settle and the
    consensus form (``edit_consensus``: None while there is no consensus copy)."""
    _agreement(compared, words)
    _table(compared, words)
    if not compared.has_consensus or edit_consensus is None:
        _start(compared, words, start, start_key)
        return
    _discrepancies(compared, words, take)
    st.divider()
    edit_consensus()


def holder_name(name: str | None, slot: int, words: Words) -> str:
    return name or f"{words.holder} {slot}"


def _agreement(compared: Compared, words: Words) -> None:
    statuses = ", ".join(
        f"{column.name} ({column.status.replace('_', ' ')})" for column in compared.columns
    )
    st.markdown(f"**Copies compared:** {escape_markdown(statuses)}")
    if compared.agreement is None:
        st.caption(words.nothing_yet)
        return
    cols = st.columns(3)
    cols[0].metric("Agreement", f"{compared.agreement:.0%}", help=words.agreement_help)
    cols[1].metric(
        "Discrepancies", compared.discrepancies, help=f"Of {compared.compared} items compared."
    )
    if compared.has_consensus:
        cols[2].metric("Not yet settled", compared.unresolved)


def _table(compared: Compared, words: Words) -> None:
    only_differences = st.toggle("Show only discrepancies", key=f"{words.key}_only_differences")
    items = [item for item in compared.items if not (only_differences and item.same)]
    if words.differences_first:  # the highlighted rows are then the ones in view
        items.sort(key=lambda item: item.same)
    if not items:
        st.caption("No discrepancies.")
        return
    holders = f"{words.holder.capitalize()}s"
    names = [column.name for column in compared.columns]
    frame = pd.DataFrame([_row(item, names, holders, compared.has_consensus) for item in items])
    styled = frame.style.apply(
        lambda row: ["" if row[holders] == "agree" else DIFFERS for _ in row], axis=1
    )
    narrow = st.column_config.TextColumn(width="small")
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        column_config={
            "Item": st.column_config.TextColumn(width=words.item_width),
            holders: narrow,
            "Settled": narrow,
        },
    )


def _row(
    item: ComparedItem, names: list[str], holders: str, with_consensus: bool
) -> dict[str, str]:
    row = {"Item": item.item.label}
    row |= {name: _shown(value) for name, value in zip(names, item.values, strict=True)}
    row[holders] = "agree" if item.same else "differ"
    if with_consensus:
        row["Consensus"] = _shown(item.consensus)
        row["Settled"] = "yes" if item.resolved else "no"
    return row


def _shown(value: str | None) -> str:
    return NOT_FILLED if value is None else value


def _start(compared: Compared, words: Words, start: Callable[[], object], key: str) -> None:
    complete = [c for c in compared.columns if c.status == ExtractionStatus.COMPLETE]
    st.write(
        "Start the consensus: it begins with every item on which the complete copies agree; "
        "you then settle each discrepancy."
    )
    if not complete:
        st.caption(f"It can start once at least one {words.holder} has marked their copy complete.")
    if st.button("Start consensus", key=key, type="primary", disabled=not complete):
        _run(start)


def _discrepancies(
    compared: Compared, words: Words, take: Callable[[ComparedItem, Column], object]
) -> None:
    open_items = [item for item in compared.items if not item.resolved]
    st.markdown(f"**Settle the discrepancies** ({len(open_items)} left)")
    if not open_items:
        st.caption("Every item is settled; check the consensus below and mark it complete.")
        return
    st.caption(words.keep_hint)
    for item in open_items:
        _discrepancy(compared, words, item, take)


def _discrepancy(
    compared: Compared,
    words: Words,
    item: ComparedItem,
    take: Callable[[ComparedItem, Column], object],
) -> None:
    with st.container(border=True):
        st.markdown(
            f"**{escape_markdown(item.item.label)}** · consensus now: "
            f"{escape_markdown(_shown(item.consensus))}"
        )
        columns = st.columns(len(compared.columns))
        for place, value, column in zip(columns, item.values, compared.columns, strict=True):
            with place:
                st.markdown(escape_markdown(f"{column.name}: {_shown(value)}"))
                if st.button(
                    f"Keep {column.name}'s",
                    key=f"{words.key}_take_{column.copy_id}_{'|'.join(item.item.key)}",
                ):
                    _run(functools.partial(take, item, column))


def _run(action: Callable[[], object]) -> None:
    """Run a start or a take (its own unit of work); say what was refused, else rerun."""
    try:
        action()
    except ReviewAppError as error:
        st.error(str(error))
        return
    st.rerun()
