"""Copies of a study's extraction compared item by item, and the consensus built from them (pure).

The items, in this order, each with a key (what :func:`take` is given) and a label for people:

- each characteristics field: ``("characteristic", field id)``, "Country";
- whether the study is indirect evidence: ``("indirect_evidence",)``;
- each design attribute: ``("design", attribute)``, "Design", "Design: ICC";
- per arm (matched by :func:`~review_app.domain.extraction.model.same_label`): its presence,
  ``("arm", key)``, "Arm 'Placebo'", and each attribute, ``("arm", key, attribute)``,
  "Arm 'Placebo': randomised";
- per result (matched by ``Result.key``): its numbers, ``("result", outcome, time point, arm,
  comparator, measure, "adjusted" | "unadjusted")``, "Pain intensity at 1 h, Kratom: n/mean/SD".

Only items some copy filled in are items (two blank ICCs are not an agreement). Text is compared
trimmed with its spaces collapsed. A result's numbers are compared after
:func:`~review_app.domain.extraction.formats.derive` (without the design, whose attributes are
items of their own): n/mean/SD, events/total, events/person-time, or yi/SE of a contrast, rounded
to 10 significant digits, so "mean 10, SE 1, n 25" and "mean 10, SD 5, n 25" agree; a result that
cannot be derived is compared by its format and reported numbers. A result's note is not an item
(free text would count wording as disagreement); it travels with the result when it is taken.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from review_app.domain.comparison import Comparison, Item, ItemValues
from review_app.domain.extraction.formats import FIELDS, FORMATS, DataType, derive
from review_app.domain.extraction.model import Arm, Design, Result, StudyExtraction, same_label
from review_app.errors import ValidationError
from review_app.protocol.model import ExtractionField

SIGNIFICANT_DIGITS = 10
T = TypeVar("T")

CHARACTERISTIC, INDIRECT, DESIGN, ARM, RESULT = (
    "characteristic",
    "indirect_evidence",
    "design",
    "arm",
    "result",
)

# Design attributes as items, with their labels, in the order they are shown.
DESIGN_LABELS: Mapping[str, str] = {
    "kind": "Design",
    "mean_cluster_size": "Design: mean cluster size",
    "icc": "Design: ICC",
    "crossover_correlation": "Design: crossover correlation",
    "note": "Design: note",
}
ARM_LABELS: Mapping[str, str] = {
    "role": "role",
    "description": "description",
    "randomised": "randomised",
}
# What a result's item compares, by the data type of its format (contrasts: yi and its SE).
_COMPARED: Mapping[DataType, tuple[str, ...]] = {
    DataType.CONTINUOUS: ("n", "mean", "sd"),
    DataType.DICHOTOMOUS: ("events", "total"),
    DataType.TIME_TO_EVENT: ("events", "total"),
    DataType.COUNT: ("events", "person_time"),
}
_CONTRAST_COMPARED = ("yi", "se")
_COMPARED_LABELS: Mapping[tuple[str, ...], str] = {
    ("n", "mean", "sd"): "n/mean/SD",
    ("events", "total"): "events/total",
    ("events", "person_time"): "events/person-time",
    _CONTRAST_COMPARED: "estimate/SE",
}


@dataclass(frozen=True)
class _Reading:
    """One copy's value of one item: as shown, and in the form compared."""

    shown: str
    compared: object


_Reader = Callable[[StudyExtraction], _Reading | None]


def compare(
    copies: Sequence[StudyExtraction],
    *,
    fields: Sequence[ExtractionField] = (),
    outcomes: Mapping[str, str] | None = None,
) -> Comparison:
    """The copies compared item by item (see the module's docstring).

    ``fields`` (the protocol's extraction fields) give characteristics their labels and order;
    ``outcomes`` (outcome id -> name) name the outcomes in result labels.
    """
    rows = []
    for item, reader in _items(copies, fields, outcomes or {}):
        readings = [reader(copy) for copy in copies]
        if all(reading is None for reading in readings):
            continue
        compared = {reading.compared if reading else None for reading in readings}
        shown = tuple(reading.shown if reading else None for reading in readings)
        rows.append(ItemValues(item, shown, len(compared) == 1))
    return Comparison.of(rows)


def agreed(
    copies: Sequence[StudyExtraction], *, study: str, fields: Sequence[ExtractionField] = ()
) -> StudyExtraction:
    """The consensus copy to start from: every item on which all copies agree, from the first.

    An arm comes in when its presence and its role are agreed (a role has no blank value); a
    result when its numbers are agreed and its arms came in. The rest is the lead's to take.
    """
    consensus = StudyExtraction(study=study, extractor=None)
    if not copies:
        return consensus
    for row in compare(copies, fields=fields).items:
        if row.same and _may_start_with(row.item.key, copies):
            consensus = _take_agreed(consensus, copies[0], row.item.key)
    return consensus


def _may_start_with(key: tuple[str, ...], copies: Sequence[StudyExtraction]) -> bool:
    """An arm's presence only with its role agreed too."""
    if key[0] != ARM or len(key) != 2:
        return True
    arms = [_arm_by_key(copy, key[1]) for copy in copies]
    return len({arm.role for arm in arms if arm is not None}) == 1


def _take_agreed(
    consensus: StudyExtraction, source: StudyExtraction, key: tuple[str, ...]
) -> StudyExtraction:
    """An agreed item into the consensus: an arm bare (label and role; its other attributes
    are items of their own), an arm's attribute or a result only when its arms came in."""
    if key[0] == ARM and len(key) == 2:
        arm = _arm_by_key(source, key[1])
        return consensus if arm is None else _with_arm(consensus, Arm(arm.label, arm.role))
    if key[0] == ARM and _arm_by_key(consensus, key[1]) is None:
        return consensus
    if key[0] == RESULT:
        result = _result_by_key(source, key)
        if result is None or not all(consensus.arm(label) for label in _arms_of(result)):
            return consensus
    return take(consensus, source, key)


def take(
    consensus: StudyExtraction, source: StudyExtraction, key: tuple[str, ...]
) -> StudyExtraction:
    """``consensus`` with the item ``key`` as ``source`` has it (absent there: removed).

    Taking a result brings the arms it needs from ``source`` when the consensus lacks them;
    removing an arm removes its results. An unknown key raises ValidationError.
    """
    kind = key[0] if key else ""
    taker = _TAKERS.get((kind, len(key)))
    if taker is None:
        raise ValidationError(f"{key!r} is not an item of a study's extraction.")
    return taker(consensus, source, key)


# --- the items -------------------------------------------------------------------------------


def _items(
    copies: Sequence[StudyExtraction],
    fields: Sequence[ExtractionField],
    outcomes: Mapping[str, str],
) -> Iterator[tuple[Item, _Reader]]:
    yield from _characteristic_items(copies, fields)
    yield Item((INDIRECT,), "Indirect evidence"), _text_reader(lambda c: c.indirect_evidence)
    for attribute, label in DESIGN_LABELS.items():
        yield Item((DESIGN, attribute), label), _design_reader(attribute)
    for arm in _first_seen([arm for copy in copies for arm in copy.arms], lambda a: a.key):
        yield from _arm_items(arm)
    results = [result for copy in copies for result in copy.results]
    for result in _first_seen(results, _result_item_key):
        yield _result_item(result, outcomes), _result_reader(_result_item_key(result))


def _characteristic_items(
    copies: Sequence[StudyExtraction], fields: Sequence[ExtractionField]
) -> Iterator[tuple[Item, _Reader]]:
    labels = {field.id: field.label for field in fields}
    filled = [field_id for copy in copies for field_id in copy.characteristics]
    for field_id in dict.fromkeys([*labels, *filled]):
        label = labels.get(field_id) or field_id.replace("_", " ").capitalize()
        yield Item((CHARACTERISTIC, field_id), label), _characteristic_reader(field_id)


def _characteristic_reader(field_id: str) -> _Reader:
    return _text_reader(lambda copy: copy.characteristics.get(field_id))


def _arm_items(arm: Arm) -> Iterator[tuple[Item, _Reader]]:
    yield Item((ARM, arm.key), f"Arm '{arm.label}'"), _arm_reader(arm.key, None)
    for attribute, label in ARM_LABELS.items():
        item = Item((ARM, arm.key, attribute), f"Arm '{arm.label}': {label}")
        yield item, _arm_reader(arm.key, attribute)


def _result_item(result: Result, outcomes: Mapping[str, str]) -> Item:
    outcome = outcomes.get(result.outcome_id, result.outcome_id)
    arms = result.arm if result.comparator is None else f"{result.arm} vs {result.comparator}"
    if result.measure is not None:
        adjusted = ", adjusted" if result.adjusted else ""
        arms = f"{arms} ({result.measure}{adjusted})"
    compared = _compared_names(result)
    what = _COMPARED_LABELS.get(compared, "numbers") if compared else "numbers"
    return Item(_result_item_key(result), f"{outcome} at {result.timepoint}, {arms}: {what}")


def _result_item_key(result: Result) -> tuple[str, ...]:
    outcome, timepoint, arm, comparator, measure, adjusted = result.key
    adjustment = "adjusted" if adjusted else "unadjusted"
    return (RESULT, outcome, timepoint, arm, comparator, measure, adjustment)


def _first_seen(things: Iterable[T], key: Callable[[T], Hashable]) -> list[T]:
    """One of each (by ``key``), in the order first seen."""
    seen: dict[Hashable, T] = {}
    for thing in things:
        seen.setdefault(key(thing), thing)
    return list(seen.values())


# --- readers: one copy's value of an item ----------------------------------------------------


def _normal_text(text: str | None) -> str | None:
    return " ".join(text.split()) if text and text.strip() else None


def _text_reader(get: Callable[[StudyExtraction], str | None]) -> _Reader:
    def read(copy: StudyExtraction) -> _Reading | None:
        text = _normal_text(get(copy))
        return None if text is None else _Reading(text, text)

    return read


def _number(value: float) -> float:
    """A number as compared: to 10 significant digits (conversions differ in the last bits)."""
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def _shown_number(value: float) -> str:
    """A number as shown: as typed, to the digits compared (12, 4.5, 0.1234567891)."""
    return f"{value:.{SIGNIFICANT_DIGITS}g}"


def _plain(value: object) -> _Reading | None:
    """A design or arm attribute's value (a choice, text or a number) as read."""
    if isinstance(value, StrEnum):
        return _Reading(str(value), str(value))
    if isinstance(value, str):
        text = _normal_text(value)
        return None if text is None else _Reading(text, text)
    if isinstance(value, int | float):
        return _Reading(f"{_shown_number(value)}", _number(value))
    return None


def _design_reader(attribute: str) -> _Reader:
    return lambda copy: _plain(getattr(copy.design, attribute))


def _arm_reader(key: str, attribute: str | None) -> _Reader:
    def read(copy: StudyExtraction) -> _Reading | None:
        arm = _arm_by_key(copy, key)
        if arm is None:
            return None
        if attribute is None:
            return _Reading(" ".join(arm.label.split()), "present")
        return _plain(getattr(arm, attribute))

    return read


def _result_reader(key: tuple[str, ...]) -> _Reader:
    def read(copy: StudyExtraction) -> _Reading | None:
        result = _result_by_key(copy, key)
        return None if result is None else _Reading(_shown(result), _compared(result))

    return read


def _shown(result: Result) -> str:
    """The result as entered: its format and numbers, in the format's order."""
    result_format = FORMATS.get(result.format)
    if result_format is None:
        return f"{result.format}: " + _listed(result.values.items())
    order = [name for name in result_format.field_names if name in result.values]
    labelled = [(FIELDS[name].label, result.values[name]) for name in order]
    return f"{result_format.label}: " + _listed(labelled)


def _listed(pairs: Iterable[tuple[str, float]]) -> str:
    return ", ".join(f"{label} {_shown_number(value)}" for label, value in pairs) or "no numbers"


def _compared_names(result: Result) -> tuple[str, ...]:
    result_format = FORMATS.get(result.format)
    if result_format is None:
        return ()
    if result_format.contrast:
        return _CONTRAST_COMPARED
    return _COMPARED.get(result_format.data_type, ())


def _compared(result: Result) -> object:
    """The derived numbers when the result can be derived, else its format and raw numbers."""
    names = _compared_names(result)
    if names:
        derived = derive(result)
        if derived.usable and all(name in derived.values for name in names):
            return tuple(_number(derived.values[name]) for name in names)
    raw = tuple(sorted((name, _number(value)) for name, value in result.values.items()))
    return (result.format, raw)


# --- lookups and edits -----------------------------------------------------------------------


def _arm_by_key(copy: StudyExtraction, key: str) -> Arm | None:
    return next((arm for arm in copy.arms if arm.key == key), None)


def _result_by_key(copy: StudyExtraction, key: tuple[str, ...]) -> Result | None:
    return next((r for r in copy.results if _result_item_key(r) == key), None)


def _arms_of(result: Result) -> tuple[str, ...]:
    return (result.arm,) if result.comparator is None else (result.arm, result.comparator)


def _take_characteristic(
    consensus: StudyExtraction, source: StudyExtraction, key: tuple[str, ...]
) -> StudyExtraction:
    characteristics = dict(consensus.characteristics)
    value = source.characteristics.get(key[1])
    if value is None:
        characteristics.pop(key[1], None)
    else:
        characteristics[key[1]] = value
    return dataclasses.replace(consensus, characteristics=characteristics)


def _take_indirect(
    consensus: StudyExtraction, source: StudyExtraction, key: tuple[str, ...]
) -> StudyExtraction:
    return dataclasses.replace(consensus, indirect_evidence=source.indirect_evidence)


def _take_design(
    consensus: StudyExtraction, source: StudyExtraction, key: tuple[str, ...]
) -> StudyExtraction:
    attribute = key[1]
    if attribute not in DESIGN_LABELS:
        raise ValidationError(
            f"'{attribute}' is not a design attribute: {', '.join(DESIGN_LABELS)}."
        )
    value = getattr(source.design, attribute)
    design: Design = dataclasses.replace(consensus.design, **{attribute: value})
    return dataclasses.replace(consensus, design=design)


def _take_arm(
    consensus: StudyExtraction, source: StudyExtraction, key: tuple[str, ...]
) -> StudyExtraction:
    """The arm's presence: added from ``source``, or removed with its results."""
    arm = _arm_by_key(source, key[1])
    if arm is not None:
        return _with_arm(consensus, arm)
    arms = tuple(a for a in consensus.arms if a.key != key[1])
    results = tuple(
        r for r in consensus.results if key[1] not in {same_label(a) for a in _arms_of(r)}
    )
    return dataclasses.replace(consensus, arms=arms, results=results)


def _with_arm(consensus: StudyExtraction, arm: Arm) -> StudyExtraction:
    if consensus.arm(arm.label) is not None:
        return consensus
    return dataclasses.replace(consensus, arms=(*consensus.arms, arm))


def _take_arm_attribute(
    consensus: StudyExtraction, source: StudyExtraction, key: tuple[str, ...]
) -> StudyExtraction:
    _, arm_key, attribute = key
    if attribute not in ARM_LABELS:
        raise ValidationError(f"'{attribute}' is not an arm attribute: {', '.join(ARM_LABELS)}.")
    arm = _arm_by_key(source, arm_key)
    if arm is None:
        raise ValidationError(
            f"The copy taken from has no arm '{arm_key}'; take the arm's presence instead."
        )
    consensus = _with_arm(consensus, arm)
    value = getattr(arm, attribute)
    arms = tuple(
        dataclasses.replace(a, **{attribute: value}) if a.key == arm_key else a
        for a in consensus.arms
    )
    return dataclasses.replace(consensus, arms=arms)


def _take_result(
    consensus: StudyExtraction, source: StudyExtraction, key: tuple[str, ...]
) -> StudyExtraction:
    """The result as ``source`` has it (with the arms it needs), or removed."""
    result = _result_by_key(source, key)
    kept = [r for r in consensus.results if _result_item_key(r) != key]
    if result is None:
        return dataclasses.replace(consensus, results=tuple(kept))
    for label in _arms_of(result):
        arm = source.arm(label)
        if arm is not None:
            consensus = _with_arm(consensus, arm)
    position = next(
        (i for i, r in enumerate(consensus.results) if _result_item_key(r) == key), len(kept)
    )
    kept.insert(position, result)
    return dataclasses.replace(consensus, results=tuple(kept))


_Taker = Callable[[StudyExtraction, StudyExtraction, tuple[str, ...]], StudyExtraction]
_TAKERS: Mapping[tuple[str, int], _Taker] = {
    (CHARACTERISTIC, 2): _take_characteristic,
    (INDIRECT, 1): _take_indirect,
    (DESIGN, 2): _take_design,
    (ARM, 2): _take_arm,
    (ARM, 3): _take_arm_attribute,
    (RESULT, 7): _take_result,
}
