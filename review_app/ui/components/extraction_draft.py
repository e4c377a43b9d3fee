"""What an extractor has typed on the Extraction page, kept as plain text until it is saved.

A copy of a study's extraction (``StudyExtraction``) holds numbers; a form holds what was typed,
which may not be a number yet ("2,5", "n/a", "25.5" for a head count). The page keeps that text
in ``st.session_state`` as a ``Draft`` of plain values (never ORM objects), one per copy, so that
nothing typed is lost on a rerun, on leaving the page, or when a save is refused: the draft is
only replaced when the copy changed in the database (a lead took an item into the consensus).

A draft is a flat mapping of *paths* to values ("char:country", "arm:3:label",
"res:7:v:sd"); arms and results are numbered by tokens that never change while the draft lives,
so a result stays with its arm when the arm is renamed. ``to_extraction`` turns a draft back
into a ``StudyExtraction`` and lists what could not be read, naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from review_app.domain.extraction.model import Arm, Design, Result, StudyExtraction, same_label
from review_app.domain.vocabulary import ArmRole, EffectMeasure, StudyDesign

DESIGN_NUMBERS = ("mean_cluster_size", "icc", "crossover_correlation")  # Design's number fields
DESIGN_PLACE = "Design"  # where an unreadable design number is, in messages


@dataclass(slots=True)
class Draft:
    """The typed state of one copy: values by path, and the arm and result tokens in order."""

    version: str  # the copy's updated_at when it was loaded: a newer copy replaces the draft
    values: dict[str, object] = field(default_factory=dict)
    arms: list[int] = field(default_factory=list)
    results: list[int] = field(default_factory=list)
    next_token: int = 1

    def new_token(self) -> int:
        token = self.next_token
        self.next_token += 1
        return token

    def text(self, path: str) -> str:
        value = self.values.get(path)
        return "" if value is None else str(value)

    def arm_label(self, token: int) -> str:
        return self.text(f"arm:{token}:label").strip()

    def arm_token(self, label: str) -> int | None:
        wanted = same_label(label)
        return next((t for t in self.arms if same_label(self.arm_label(t)) == wanted), None)

    def add_arm(self, label: str, role: ArmRole | str) -> int:
        token = self.new_token()
        self.arms.append(token)
        self.values |= {f"arm:{token}:label": label.strip(), f"arm:{token}:role": str(role)}
        return token

    def remove_arm(self, token: int) -> None:
        self.arms.remove(token)
        _drop(self.values, f"arm:{token}:")

    def results_of_arm(self, token: int) -> list[int]:
        return [
            r
            for r in self.results
            if self.values.get(f"res:{r}:arm") == token
            or self.values.get(f"res:{r}:comparator") == token
        ]

    def add_result(
        self,
        *,
        outcome_id: str,
        timepoint: str,
        arm: int,
        format_id: str,
        comparator: int | None = None,
        measure: str | None = None,
    ) -> int:
        token = self.new_token()
        self.results.append(token)
        self.values |= {
            f"res:{token}:outcome": outcome_id,
            f"res:{token}:timepoint": timepoint.strip(),
            f"res:{token}:arm": arm,
            f"res:{token}:comparator": comparator,
            f"res:{token}:format": format_id,
            f"res:{token}:measure": measure,
            f"res:{token}:adjusted": False,
        }
        return token

    def remove_result(self, token: int) -> None:
        self.results.remove(token)
        _drop(self.values, f"res:{token}:")

    def is_contrast(self, token: int) -> bool:
        return self.values.get(f"res:{token}:comparator") is not None


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A typed value that is not what its field allows (not a number, not a whole number)."""

    where: str  # "Arm 'Placebo'", "Pain intensity, 8 weeks, Kratom"
    field: str  # the field's label as shown on the form
    message: str

    def __str__(self) -> str:
        return f"{self.where}, {self.field}: {self.message}"


def from_extraction(data: StudyExtraction, *, version: str) -> Draft:
    """The draft showing a saved copy."""
    draft = Draft(version=version)
    draft.values["indirect"] = data.indirect_evidence
    draft.values |= {f"char:{key}": value for key, value in data.characteristics.items()}
    design = data.design
    draft.values["design:kind"] = str(design.kind) if design.kind else None
    draft.values["design:note"] = design.note
    for name in DESIGN_NUMBERS:
        draft.values[f"design:{name}"] = _number_text(getattr(design, name))
    for arm in data.arms:
        token = draft.add_arm(arm.label, arm.role)
        draft.values[f"arm:{token}:description"] = arm.description
        draft.values[f"arm:{token}:randomised"] = _number_text(arm.randomised)
    for result in data.results:
        _add_saved_result(draft, result)
    return draft


def _add_saved_result(draft: Draft, result: Result) -> None:
    arm = draft.arm_token(result.arm) or draft.add_arm(result.arm, ArmRole.INTERVENTION)
    comparator = None
    if result.comparator is not None:
        comparator = draft.arm_token(result.comparator) or draft.add_arm(
            result.comparator, ArmRole.COMPARATOR
        )
    token = draft.add_result(
        outcome_id=result.outcome_id,
        timepoint=result.timepoint,
        arm=arm,
        format_id=result.format,
        comparator=comparator,
        measure=str(result.measure) if result.measure else None,
    )
    draft.values[f"res:{token}:adjusted"] = result.adjusted
    draft.values[f"res:{token}:note"] = result.note
    for name, number in result.values.items():
        draft.values[f"res:{token}:v:{name}"] = _number_text(number)


@dataclass(frozen=True, slots=True)
class Labels:
    """How the form names things, so that a message names the field the person sees."""

    outcomes: Mapping[str, str]  # outcome id -> name
    format_fields: Mapping[str, Mapping[str, tuple[str, bool]]]  # format -> name -> (label, whole)


def to_extraction(
    draft: Draft, *, study: str, extractor: str | None, complete: bool, labels: Labels
) -> tuple[StudyExtraction, list[Unreadable]]:
    """The copy the draft describes, and every typed value that could not be read (left out of
    the copy). Empty text is "not reported"."""
    unreadable: list[Unreadable] = []
    design = _design(draft, unreadable)
    arms = tuple(_arm(draft, token, unreadable) for token in draft.arms)
    results = tuple(_result(draft, token, labels, unreadable) for token in draft.results)
    characteristics = {
        path.removeprefix("char:"): text
        for path, value in draft.values.items()
        if path.startswith("char:") and (text := _plain(value))
    }
    data = StudyExtraction(
        study=study,
        extractor=extractor,
        design=design,
        characteristics=characteristics,
        arms=arms,
        results=results,
        complete=complete,
        indirect_evidence=draft.text("indirect").strip(),
    )
    return data, unreadable


def read_design(draft: Draft) -> tuple[Design, list[Unreadable]]:
    """The draft's design facts alone (checked as typed, without reading the whole copy)."""
    unreadable: list[Unreadable] = []
    return _design(draft, unreadable), unreadable


def read_result(draft: Draft, token: int, labels: Labels) -> tuple[Result, list[Unreadable]]:
    """One result of the draft alone, and what of it could not be read."""
    unreadable: list[Unreadable] = []
    return _result(draft, token, labels, unreadable), unreadable


def _design(draft: Draft, unreadable: list[Unreadable]) -> Design:
    kind = draft.values.get("design:kind")
    numbers = {
        name: _read(draft.text(f"design:{name}"), DESIGN_PLACE, DESIGN_LABELS[name], unreadable)
        for name in DESIGN_NUMBERS
    }
    return Design(
        kind=StudyDesign(str(kind)) if kind else None,
        note=draft.text("design:note").strip(),
        **numbers,
    )


DESIGN_LABELS = {
    "mean_cluster_size": "Mean cluster size",
    "icc": "Intracluster correlation (ICC)",
    "crossover_correlation": "Correlation between periods",
}


def _arm(draft: Draft, token: int, unreadable: list[Unreadable]) -> Arm:
    label = draft.arm_label(token)
    where = f"Arm '{label}'" if label else "An arm without a label"
    randomised = _read(
        draft.text(f"arm:{token}:randomised"), where, "Randomised", unreadable, whole=True
    )
    return Arm(
        label=label,
        role=ArmRole(draft.text(f"arm:{token}:role") or ArmRole.INTERVENTION),
        description=draft.text(f"arm:{token}:description").strip(),
        randomised=None if randomised is None else int(randomised),
    )


def _result(draft: Draft, token: int, labels: Labels, unreadable: list[Unreadable]) -> Result:
    prefix = f"res:{token}:"
    outcome_id = draft.text(prefix + "outcome")
    format_id = draft.text(prefix + "format")
    where = result_place(draft, token, labels)
    values: dict[str, float] = {}
    for name, (label, whole) in labels.format_fields.get(format_id, {}).items():
        number = _read(draft.text(f"{prefix}v:{name}"), where, label, unreadable, whole=whole)
        if number is not None:
            values[name] = number
    measure = draft.values.get(prefix + "measure")
    comparator = draft.values.get(prefix + "comparator")
    return Result(
        outcome_id=outcome_id,
        timepoint=draft.text(prefix + "timepoint").strip(),
        arm=_label_of(draft, draft.values.get(prefix + "arm")),
        format=format_id,
        values=values,
        comparator=None if comparator is None else _label_of(draft, comparator),
        measure=EffectMeasure(str(measure)) if measure and comparator is not None else None,
        adjusted=bool(draft.values.get(prefix + "adjusted")) and comparator is not None,
        note=draft.text(prefix + "note").strip(),
    )


def result_place(draft: Draft, token: int, labels: Labels) -> str:
    """Where a result sits, in words: "Pain intensity, 8 weeks, Kratom vs Placebo"."""
    prefix = f"res:{token}:"
    outcome_id = draft.text(prefix + "outcome")
    arms = _label_of(draft, draft.values.get(prefix + "arm"))
    comparator = draft.values.get(prefix + "comparator")
    if comparator is not None:
        arms += f" vs {_label_of(draft, comparator)}"
    timepoint = draft.text(prefix + "timepoint").strip() or "(no time point)"
    return f"{labels.outcomes.get(outcome_id, outcome_id)}, {timepoint}, {arms}"


def _label_of(draft: Draft, token: object) -> str:
    return draft.arm_label(token) if isinstance(token, int) and token in draft.arms else ""


def read_number(text: str, *, whole: bool = False) -> float | None:
    """A typed number (digits, a point before decimals: "2,5" and "1,000" are refused, since
    either could be meant); None when empty. Raises ValueError saying what is allowed."""
    cleaned = text.strip()
    if not cleaned:
        return None
    try:
        number = float(cleaned)
    except ValueError:
        raise ValueError(
            f"'{cleaned}' is not a number; write digits with a point before decimals (e.g. 2.5)"
        ) from None
    if not math.isfinite(number):
        raise ValueError(f"'{text.strip()}' is not a finite number")
    if whole and not number.is_integer():
        raise ValueError(f"{text.strip()} is not a whole number (a count of people)")
    return number


def _read(
    text: str, where: str, label: str, unreadable: list[Unreadable], *, whole: bool = False
) -> float | None:
    try:
        return read_number(text, whole=whole)
    except ValueError as error:
        unreadable.append(Unreadable(where, label, str(error)))
        return None


def _number_text(number: float | int | None) -> str:
    if number is None:
        return ""
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number) if isinstance(number, float) else str(number)


def _plain(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip()


def _drop(values: dict[str, object], prefix: str) -> None:
    for path in [p for p in values if p.startswith(prefix)]:
        del values[path]
