"""PRISMA 2020 counts: every box adds up, and a box that does not is named (Page et al. 2021)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review_app.domain.prisma import (
    OTHER_SOURCE_NAMES,
    OtherMethods,
    PrismaCounts,
    PrismaInvariantError,
    check_invariants,
    validate,
)
from review_app.errors import ReviewAppError

OTHER = OtherMethods(
    sources=(("Websites", 12), ("Organisations", 3), ("Citation searching", 25)),
    reports_sought=8,
    reports_not_retrieved=1,
    reports_assessed=7,
    reports_excluded=(("Wrong outcome", 3), ("Duplicate of included report", 1)),
)
EXAMPLE = PrismaCounts(
    databases=(("MEDLINE (PubMed)", 412), ("Embase", 538)),
    registers=(("ClinicalTrials.gov", 37),),
    duplicates_removed=301,
    automation_ineligible=0,
    other_removed=6,
    records_screened=680,
    records_excluded=611,
    reports_sought=69,
    reports_not_retrieved=4,
    reports_assessed=65,
    reports_excluded=(("Wrong population", 21), ("Wrong intervention", 17), ("Wrong design", 19)),
    new_studies=9,
    new_reports=11,
    other_methods=OTHER,
)
# Screening still going on: the counts carry what awaits a decision.
PROVISIONAL = dataclasses.replace(
    EXAMPLE,
    records_excluded=600,
    records_awaiting_screening=11,
    reports_excluded=(("Wrong population", 21), ("Wrong intervention", 17), ("Wrong design", 17)),
    reports_awaiting_assessment=2,
    other_methods=dataclasses.replace(
        OTHER,
        records_awaiting_screening=5,
        reports_excluded=(("Wrong outcome", 2), ("Duplicate of included report", 1)),
        reports_awaiting_assessment=1,
    ),
)


def other(**changes: Any) -> PrismaCounts:
    return dataclasses.replace(EXAMPLE, other_methods=dataclasses.replace(OTHER, **changes))


def test_the_example_adds_up() -> None:
    assert check_invariants(EXAMPLE) == []
    assert validate(EXAMPLE) is EXAMPLE
    assert EXAMPLE.records_identified == 987 and EXAMPLE.reports_included == 8
    assert OTHER.records_identified == 40 and OTHER.reports_included == 3


@pytest.mark.parametrize(
    ("counts", "box", "numbers"),
    [
        (dataclasses.replace(EXAMPLE, records_screened=679), "Records screened", ["679", "680"]),
        (dataclasses.replace(EXAMPLE, duplicates_removed=300), "Records screened", ["300", "681"]),
        (dataclasses.replace(EXAMPLE, databases=(("Embase", 538),)), "Records screened", ["575"]),
        (
            dataclasses.replace(EXAMPLE, records_excluded=610),
            "Reports sought for retrieval",
            ["69", "680", "610", "70"],
        ),
        (
            dataclasses.replace(EXAMPLE, reports_not_retrieved=5),
            "Reports assessed for eligibility",
            ["65", "69", "5", "64"],
        ),
        (
            dataclasses.replace(EXAMPLE, reports_excluded=(("Wrong population", 21),)),
            "Reports of included studies",
            ["11", "44", "47"],
        ),
        (dataclasses.replace(EXAMPLE, new_reports=12), "Reports of included studies", ["12", "11"]),
        (dataclasses.replace(EXAMPLE, new_studies=12), "Studies included in review", ["12", "11"]),
        (
            dataclasses.replace(EXAMPLE, automation_ineligible=-1),
            "Records marked as ineligible by automation tools",
            ["-1"],
        ),
        (
            dataclasses.replace(EXAMPLE, registers=(("CT.gov", 40), ("CT.gov", -3))),
            "Registers",
            ["-3", "CT.gov"],
        ),
        (dataclasses.replace(EXAMPLE, reports_excluded=(("", 57),)), "Reports excluded", ["empty"]),
        (
            other(reports_not_retrieved=2),
            "Reports assessed for eligibility (other methods)",
            ["7", "8", "2", "6"],
        ),
        (
            other(reports_sought=41, reports_assessed=40),
            "Reports sought for retrieval (other methods)",
            ["41", "40"],
        ),
        (other(sources=()), "Records identified from (other methods)", ["None"]),
        (
            other(reports_excluded=(("Wrong outcome", 2),)),
            "Reports of included studies",
            ["11", "5", "13"],
        ),
    ],
)
def test_each_violation_names_its_box_and_numbers(
    counts: PrismaCounts, box: str, numbers: list[str]
) -> None:
    violations = check_invariants(counts)
    named = [v for v in violations if v.box == box]
    assert named, f"expected a violation of {box!r}, got {violations}"
    assert all(number in str(named[0]) for number in numbers), str(named[0])
    with pytest.raises(PrismaInvariantError) as raised:
        validate(counts)
    assert box in str(raised.value) and raised.value.violations == violations


def test_the_error_is_a_value_error_and_a_review_app_error() -> None:
    assert issubclass(PrismaInvariantError, ValueError)
    assert issubclass(PrismaInvariantError, ReviewAppError)


def test_studies_need_reports_and_reports_need_studies() -> None:
    assert [v.box for v in check_invariants(dataclasses.replace(EXAMPLE, new_studies=0))] == [
        "Studies included in review"
    ]
    nothing = dataclasses.replace(
        EXAMPLE,
        reports_excluded=(("Wrong population", 65),),
        new_studies=0,
        new_reports=0,
        other_methods=None,
    )
    assert check_invariants(nothing) == []


def test_a_review_without_other_methods_or_registers() -> None:
    counts = dataclasses.replace(
        EXAMPLE,
        registers=(),
        records_screened=643,
        records_excluded=574,
        other_methods=None,
        new_reports=8,
        new_studies=8,
    )
    assert check_invariants(counts) == []


# Random consistent histories: every number drawn so that the flow adds up.

NAME = st.sampled_from(
    [
        "MEDLINE (Ovid)",
        "Embase",
        "CENTRAL",
        "PsycINFO",
        "CINAHL",
        "Web of Science",
        "Scopus",
        "LILACS",
        "ICTRP",
        "ClinicalTrials.gov",
        "Wrong population",
        "Wrong intervention",
        "Wrong comparator",
        "Wrong outcome",
        "Wrong study design",
        "Conference abstract only",
        "Non-English (no translation)",
        "Duplicate report",
        "Retracted",
        "Ähnliche Studie / 類似",
    ]
)


def named_counts(size: int, total: int | None = None) -> st.SearchStrategy[list[tuple[str, int]]]:
    names = st.lists(NAME, min_size=size, max_size=size, unique=True)
    if total is None:
        counts = st.lists(st.integers(0, 3000), min_size=size, max_size=size)
    else:
        cuts = st.lists(st.integers(0, total), min_size=size - 1, max_size=size - 1).map(sorted)
        counts = cuts.map(lambda c: [b - a for a, b in zip([0, *c], [*c, total], strict=True)])
    return st.tuples(names, counts).map(lambda nc: list(zip(*nc, strict=True)))


@st.composite
def split(draw: st.DrawFn, up_to: int) -> tuple[tuple[str, int], ...]:
    """Up to 5 labelled parts whose sum is at most ``up_to``."""
    size = draw(st.integers(0, 5))
    total = draw(st.integers(0, up_to)) if size else 0
    return tuple(draw(named_counts(size, total))) if size else ()


@st.composite
def other_methods(draw: st.DrawFn) -> OtherMethods:
    names = draw(st.lists(st.sampled_from(OTHER_SOURCE_NAMES), min_size=1, unique=True))
    sources = tuple(
        (name, draw(st.integers(0, 500))) for name in OTHER_SOURCE_NAMES if name in names
    )
    sought = draw(st.integers(0, sum(n for _, n in sources)))
    not_retrieved = draw(st.integers(0, sought))
    excluded = draw(split(sought - not_retrieved))
    return OtherMethods(sources, sought, not_retrieved, sought - not_retrieved, excluded)


@st.composite
def consistent_counts(draw: st.DrawFn) -> PrismaCounts:
    databases = tuple(draw(named_counts(draw(st.integers(1, 6)))))
    registers = tuple(draw(named_counts(draw(st.integers(0, 3)))))
    identified = sum(n for _, n in databases + registers)
    duplicates = draw(st.integers(0, identified))
    automation = draw(st.integers(0, identified - duplicates))
    removed_other = draw(st.integers(0, identified - duplicates - automation))
    screened = identified - duplicates - automation - removed_other
    excluded = draw(st.integers(0, screened))
    sought = screened - excluded
    not_retrieved = draw(st.integers(0, sought))
    reasons = draw(split(sought - not_retrieved))
    others = draw(st.none() | other_methods())
    reports = sought - not_retrieved - sum(n for _, n in reasons)
    reports += others.reports_included if others else 0
    return PrismaCounts(
        databases=databases,
        registers=registers,
        duplicates_removed=duplicates,
        automation_ineligible=automation,
        other_removed=removed_other,
        records_screened=screened,
        records_excluded=excluded,
        reports_sought=sought,
        reports_not_retrieved=not_retrieved,
        reports_assessed=sought - not_retrieved,
        reports_excluded=reasons,
        new_studies=draw(st.integers(min(1, reports), reports)),
        new_reports=reports,
        other_methods=others,
    )


@given(consistent_counts())
@settings(max_examples=100, deadline=None)
def test_consistent_histories_validate(counts: PrismaCounts) -> None:
    assert check_invariants(counts) == []


Change = Callable[[PrismaCounts, int], PrismaCounts]


def _bump_first(parts: tuple[tuple[str, int], ...], delta: int) -> tuple[tuple[str, int], ...]:
    (label, n), *rest = parts
    return ((label, n + delta), *rest)


def _field(name: str) -> Change:
    return lambda c, d: dataclasses.replace(c, **{name: getattr(c, name) + d})


def _other_field(name: str) -> Change:
    def change(c: PrismaCounts, d: int) -> PrismaCounts:
        assert c.other_methods is not None
        value: Any = getattr(c.other_methods, name)
        value = _bump_first(value, d) if isinstance(value, tuple) else value + d
        changed = dataclasses.replace(c.other_methods, **{name: value})
        return dataclasses.replace(c, other_methods=changed)

    return change


# Every box the flow determines; new_studies and the other-methods sources are only bounded (the
# template has no sum for them), so they are perturbed past their bounds in the next test.
DETERMINED: dict[str, Change] = {
    name: _field(name)
    for name in (
        "duplicates_removed",
        "automation_ineligible",
        "other_removed",
        "records_screened",
        "records_excluded",
        "reports_sought",
        "reports_not_retrieved",
        "reports_assessed",
        "new_reports",
    )
}
DETERMINED["databases"] = lambda c, d: dataclasses.replace(c, databases=_bump_first(c.databases, d))
DETERMINED["reports_excluded"] = lambda c, d: dataclasses.replace(
    c, reports_excluded=_bump_first(c.reports_excluded, d)
)
DETERMINED.update(
    {
        f"other_methods.{name}": _other_field(name)
        for name in (
            "reports_sought",
            "reports_not_retrieved",
            "reports_assessed",
            "reports_excluded",
        )
    }
)


def _applies(name: str, counts: PrismaCounts) -> bool:
    if name.startswith("other_methods."):
        o = counts.other_methods
        return o is not None and (
            name != "other_methods.reports_excluded" or bool(o.reports_excluded)
        )
    return name != "reports_excluded" or bool(counts.reports_excluded)


@given(consistent_counts(), st.sampled_from(sorted(DETERMINED)), st.integers(-40, 40))
@settings(max_examples=200, deadline=None)
def test_any_single_perturbed_box_is_caught(counts: PrismaCounts, name: str, delta: int) -> None:
    if delta == 0 or not _applies(name, counts):
        return
    assert check_invariants(DETERMINED[name](counts, delta)), f"{name} {delta:+d} went unnoticed"


@given(consistent_counts(), st.integers(1, 40))
@settings(max_examples=100, deadline=None)
def test_bounded_boxes_are_caught_past_their_bounds(counts: PrismaCounts, delta: int) -> None:
    too_many_studies = dataclasses.replace(counts, new_studies=counts.new_reports + delta)
    assert "Studies included in review" in {v.box for v in check_invariants(too_many_studies)}
    o = counts.other_methods
    if o is not None and o.reports_sought:
        none_found = tuple((name, 0) for name, _ in o.sources)
        short = dataclasses.replace(
            counts, other_methods=dataclasses.replace(o, sources=none_found)
        )
        boxes = {v.box for v in check_invariants(short)}
        assert "Reports sought for retrieval (other methods)" in boxes
