"""The review's data for one analysis (pure): per study, what its consensus extraction gives an
outcome at a time point for a measure, and how it was had.

For the comparison of the arms whose role is intervention against those whose role is comparator,
a study's consensus copy gives 2x2 tables or means and SDs from its arms' results, or an estimate
between the arms (generic inverse variance, log scale for ratios). What a paper reported is turned
into these by the extraction's result formats (``domain/extraction/formats.derive``), so each row
keeps the formulas used and whether a value is estimated. Several arms of one role are combined
into one group (Cochrane Handbook table 6.5.a for means and SDs, 23.3.4 for events and totals),
with that step kept as well. A study that gives nothing usable is left out with a sentence saying
what is missing. A study flagged as indirect evidence is left out, unless the analysis asks for
indirect evidence (GRADE then rates the indirectness down): its row is flagged ``indirect``.

``services/analyses.py`` loads the consensus copies and calls :func:`gather`; this module reads
no database.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from review_app.domain.extraction import conversions as cv
from review_app.domain.extraction.formats import FIELDS, FORMATS, DataType, Derived, Step, derive
from review_app.domain.extraction.model import Result, StudyExtraction, same_label
from review_app.domain.meta.model import Continuous, Dichotomous, Generic, StudyData
from review_app.domain.vocabulary import ArmRole, EffectMeasure

if TYPE_CHECKING:
    from review_app.protocol.model import Outcome

NOT_REPORTED = "(not reported)"  # the subgroup of a study without a value for the characteristic
ARM_DATA = {  # the measures arm-level data of each kind is analysed with (metafor escalc)
    DataType.DICHOTOMOUS: (EffectMeasure.RR, EffectMeasure.OR, EffectMeasure.RD),
    DataType.CONTINUOUS: (EffectMeasure.MD, EffectMeasure.SMD),
}
# Time-to-event arms give events and totals too: analysed as dichotomous data (ignoring time).
_EVENTS_TOTAL = (DataType.DICHOTOMOUS, DataType.TIME_TO_EVENT)


@dataclass(frozen=True, slots=True)
class StudyRow:
    """One study's data for the analysis and how it was had.

    ``derivations``: per arm or contrast (described in words, e.g. "intervention arm 'Kratom'"),
    what :func:`derive` did; combined arms add a derivation of their own. ``complete``: the
    study's consensus extraction is marked complete. ``group``: its subgroup, when asked for.
    ``indirect``: the study is flagged as indirect evidence (pooled only when asked for).
    """

    study_id: int
    study: str
    data: StudyData
    derivations: Mapping[str, Derived] = field(default_factory=dict)
    complete: bool = True
    combined: tuple[str, ...] = ()  # the arms combined into one, by label
    group: str | None = None
    indirect: bool = False

    @property
    def estimated(self) -> bool:
        return any(d.estimated for d in self.derivations.values())

    @property
    def converted(self) -> bool:
        return any(d.steps for d in self.derivations.values())

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(w for d in self.derivations.values() for w in d.warnings)


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A study of the review that is not in the analysis, and why."""

    study_id: int
    study: str
    reason: str


@dataclass(frozen=True, slots=True)
class OutcomeData:
    """The review's data for one outcome, time point and measure: the studies' rows, the studies
    left out with the reason, and the measures the data allows (first: the protocol's default)."""

    outcome_id: str
    outcome_name: str
    outcome_type: str
    timepoint: str | None
    measure: EffectMeasure
    measures: tuple[EffectMeasure, ...]
    rows: tuple[StudyRow, ...]
    left_out: tuple[LeftOut, ...]
    timepoints: tuple[str, ...]  # the time points the consensus reports the outcome at

    @property
    def incomplete(self) -> tuple[str, ...]:
        """The studies in the analysis whose consensus extraction is not complete yet."""
        return tuple(row.study for row in self.rows if not row.complete)

    @property
    def digest(self) -> str:
        """The SHA-256 of the data pooled (rows and who is left out): a saved analysis whose
        digest differs ran on other data."""
        rows = [
            # The indirect flag only when set: the digests of direct evidence stay as they were.
            [r.study, type(r.data).__name__, dataclasses.astuple(r.data), r.group]
            + (["indirect"] if r.indirect else [])
            for r in self.rows
        ]
        left = [[o.study, o.reason] for o in self.left_out]
        text = json.dumps([rows, left], sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Consensus:
    """The review's studies by label, and their consensus copies by study id."""

    studies: tuple[tuple[int, str], ...]
    copies: Mapping[int, StudyExtraction]


def gather(
    consensus: Consensus,
    outcome: Outcome,
    timepoint: str | None,
    measure: EffectMeasure | None,
    *,
    subgroup: str | None,
    include_indirect: bool = False,
) -> OutcomeData:
    """Each study's row for ``outcome`` at ``timepoint`` (None: each study's only one) and
    ``measure`` (None: the outcome's default when the data allow it, else the first they allow),
    or the reason it is left out; ``subgroup``: the characteristic whose value is the row's group
    (:data:`NOT_REPORTED` when empty); ``include_indirect``: studies flagged as indirect evidence
    get their rows (flagged) instead of being left out."""
    options = {
        study_id: _study_options(
            consensus.copies.get(study_id), outcome.id, timepoint, include_indirect
        )
        for study_id, _label in consensus.studies
    }
    usable = tuple(
        m
        for m in outcome.measures
        if any(
            isinstance(o, _StudyOptions) and isinstance(o.choose(m), _Option)
            for o in options.values()
        )
    )
    default = outcome.default_measure
    chosen = measure or (default if default in usable or not usable else usable[0])
    rows: list[StudyRow] = []
    left_out: list[LeftOut] = []
    for study_id, label in consensus.studies:
        found = options[study_id]
        option = found.choose(chosen) if isinstance(found, _StudyOptions) else found
        if isinstance(option, str):
            left_out.append(LeftOut(study_id, label, option))
        else:
            rows.append(_row(study_id, label, consensus.copies[study_id], option, subgroup))
    return OutcomeData(
        outcome_id=outcome.id,
        outcome_name=outcome.name,
        outcome_type=outcome.type,
        timepoint=timepoint,
        measure=chosen,
        measures=usable,
        rows=tuple(rows),
        left_out=tuple(left_out),
        timepoints=_timepoints(consensus, outcome.id),
    )


def _study_options(
    copy: StudyExtraction | None, outcome_id: str, timepoint: str | None, include_indirect: bool
) -> _StudyOptions | str:
    """What a study's consensus offers, or why it offers nothing."""
    if copy is None:
        return "no consensus extraction yet"
    if copy.is_indirect and not include_indirect:
        reason = copy.indirect_evidence.strip()
        return f"indirect evidence ({reason}): left out of the main analyses"
    return _options(copy, outcome_id, timepoint)


def _row(
    study_id: int, label: str, copy: StudyExtraction, option: _Option, subgroup: str | None
) -> StudyRow:
    group = None
    if subgroup is not None:
        group = copy.characteristics.get(subgroup, "").strip() or NOT_REPORTED
    return StudyRow(
        study_id=study_id,
        study=label,
        data=option.data,
        derivations=option.derivations,
        complete=copy.complete,
        combined=option.combined,
        group=group,
        indirect=copy.is_indirect,
    )


def _timepoints(consensus: Consensus, outcome_id: str) -> tuple[str, ...]:
    found: dict[str, str] = {}
    for copy in consensus.copies.values():
        for result in copy.results:
            if result.outcome_id == outcome_id:
                found.setdefault(same_label(result.timepoint), result.timepoint)
    return tuple(sorted(found.values(), key=same_label))


# --- one study's data ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Option:
    """One way a study enters an analysis: its data and how it was had."""

    data: StudyData
    derivations: Mapping[str, Derived]
    combined: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _StudyOptions:
    """What a study's consensus offers an outcome: arm data by kind and estimates by measure,
    each an option or the sentence saying why it is not usable."""

    arms: Mapping[DataType, _Option | str]
    contrasts: Mapping[EffectMeasure, _Option | str]
    reason: str = ""  # when it offers nothing at all

    def choose(self, measure: EffectMeasure) -> _Option | str:
        """Arm data when they give ``measure``, else an estimate of it, else why not."""
        kind = next((k for k, measures in ARM_DATA.items() if measure in measures), None)
        for option in (self.arms.get(kind) if kind else None, self.contrasts.get(measure)):
            if isinstance(option, _Option):
                return option
        for option in (self.arms.get(kind) if kind else None, self.contrasts.get(measure)):
            if isinstance(option, str):
                return option
        if self.reason:
            return self.reason
        offered = [
            *(f"{kind} arm data" for kind in self.arms),
            *(f"an estimate of the {m.label.lower()}" for m in self.contrasts),
        ]
        return f"it gives {' and '.join(offered)}, not a {measure.label.lower()}"


def _options(copy: StudyExtraction, outcome_id: str, timepoint: str | None) -> _StudyOptions | str:
    results = [r for r in copy.results if r.outcome_id == outcome_id]
    if not results:
        return "no result for this outcome in the consensus"
    reported = sorted({r.timepoint for r in results}, key=same_label)
    if timepoint is not None:
        results = [r for r in results if same_label(r.timepoint) == same_label(timepoint)]
        if not results:
            return f"no result at '{timepoint}' (it reports {', '.join(map(repr, reported))})"
    elif len({same_label(t) for t in reported}) > 1:
        return f"results at several time points ({', '.join(map(repr, reported))}): choose one"
    arms: dict[DataType, _Option | str] = {}
    for kind in ARM_DATA:
        of_kind = [r for r in results if not r.is_contrast and _kind(r) == kind]
        if of_kind:
            arms[kind] = _arm_option(copy, of_kind, kind)
    contrasts: dict[EffectMeasure, _Option | str] = {}
    for measure in dict.fromkeys(r.measure for r in results if r.is_contrast and r.measure):
        of_measure = [r for r in results if r.is_contrast and r.measure == measure]
        contrasts[measure] = _contrast_option(copy, of_measure)
    if arms or contrasts:
        return _StudyOptions(arms, contrasts)
    return _StudyOptions(
        {},
        {},
        reason=(
            "its results are counts with person-time, pooled only as a rate ratio estimated "
            "between the arms"
        ),
    )


def _kind(result: Result) -> DataType | None:
    data_type = FORMATS[result.format].data_type
    if data_type in _EVENTS_TOTAL:
        return DataType.DICHOTOMOUS
    return data_type if data_type == DataType.CONTINUOUS else None


def _arm_option(copy: StudyExtraction, results: Sequence[Result], kind: DataType) -> _Option | str:
    """The study's arm data of ``kind``: each role's arms (combined when several), derived."""
    derived: dict[ArmRole, list[tuple[str, Derived]]] = {role: [] for role in ArmRole}
    for result in results:
        arm = copy.arm(result.arm)
        if arm is not None:
            derived[arm.role].append((arm.label, derive(result, design=copy.design)))
    for role, found in derived.items():
        if not found:
            return f"no {kind} result of an arm in the {role} role"
        for label, one in found:
            if not one.usable:
                return f"{role} arm '{label}': {_missing(one)}"
    derivations = {
        f"{role} arm '{label}'": one for role, found in derived.items() for label, one in found
    }
    sides = {}
    combined: list[str] = []
    for role, found in derived.items():
        values, combination = _combined(kind, [one.values for _label, one in found])
        sides[role] = values
        if combination is not None:
            labels = [label for label, _one in found]
            derivations[f"{role} arms combined ({', '.join(labels)})"] = combination
            combined.extend(labels)
    t, c = sides[ArmRole.INTERVENTION], sides[ArmRole.COMPARATOR]
    data: StudyData
    if kind == DataType.CONTINUOUS:
        data = Continuous(copy.study, t[1], t[2], t[0], c[1], c[2], c[0])
    else:
        data = Dichotomous(copy.study, t[0], t[1], c[0], c[1])
    return _Option(data, derivations, tuple(combined))


def _missing(derived: Derived) -> str:
    names = [FIELDS[name].label if name in FIELDS else name for name in derived.missing]
    why = f" ({' '.join(derived.warnings)})" if derived.warnings else ""
    return f"{', '.join(names)} not reported or not usable{why}"


def _arm_values(kind: DataType, values: Mapping[str, float]) -> tuple[float, ...]:
    """(n, mean, SD) or (events, total); a cluster trial's effective sizes (Handbook 23.1.4)."""
    if kind == DataType.CONTINUOUS:
        return values.get("n_effective", values["n"]), values["mean"], values["sd"]
    return (
        values.get("events_effective", values["events"]),
        values.get("total_effective", values["total"]),
    )


def _combined(
    kind: DataType, arms: Sequence[Mapping[str, float]]
) -> tuple[tuple[float, ...], Derived | None]:
    """One group from several arms of a role (Handbook table 6.5.a; 23.3.4), with the steps."""
    groups = [_arm_values(kind, values) for values in arms]
    if len(groups) == 1:
        return groups[0], None
    combine = cv.combine_continuous if kind == DataType.CONTINUOUS else cv.combine_dichotomous
    cited = cv.citation(combine)
    names = ("n", "mean", "sd") if kind == DataType.CONTINUOUS else ("events", "total")
    steps = []
    merged = groups[0]
    for group in groups[1:]:
        inputs = {f"{name}1": v for name, v in zip(names, merged, strict=True)} | {
            f"{name}2": v for name, v in zip(names, group, strict=True)
        }
        merged = combine(merged, group)  # type: ignore[arg-type]
        steps.append(
            Step(cited.formula, cited.source, inputs, dict(zip(names, merged, strict=True)))
        )
    values = dict(zip(names, merged, strict=True))
    return merged, Derived(values=values, estimated=False, steps=tuple(steps), missing=())


REVERSED = Step(
    "yi = −yi: the estimate of the comparator against the intervention turned round "
    "(for a ratio, 1 / ratio)",
    "the review's comparison: intervention against comparator",
    {},
    {},
)


def _contrast_option(copy: StudyExtraction, results: Sequence[Result]) -> _Option | str:
    """The study's estimate between an intervention and a comparator arm, as generic data."""
    found: list[tuple[Result, int]] = []
    for result in results:
        arm, comparator = copy.arm(result.arm), copy.arm(result.comparator or "")
        if arm is None or comparator is None:
            continue
        direction = _DIRECTIONS.get((arm.role, comparator.role))
        if direction is not None:
            found.append((result, direction))
    measure = results[0].measure
    if not found:
        return f"its {measure} estimates are not between an intervention and a comparator arm"
    if len(found) > 1:
        adjusted = [pair for pair in found if pair[0].adjusted]
        if len(adjusted) != 1:
            pairs = ", ".join(f"'{r.arm}' vs '{r.comparator}'" for r, _ in found)
            return (
                f"several {measure} estimates between intervention and comparator arms ({pairs}); "
                "keep one in the consensus, or give the arms' own results to be combined"
            )
        found = adjusted
    result, direction = found[0]
    derived = derive(result, design=copy.design)
    where = f"'{result.arm}' vs '{result.comparator}'"
    if not derived.usable:
        return f"the estimate {where}: {_missing(derived)}"
    yi, se = derived.values["yi"], derived.values["se"]
    derivations = {where: derived}
    if direction < 0:
        step = dataclasses.replace(REVERSED, inputs={"yi": yi}, outputs={"yi": -yi})
        derivations["turned round"] = Derived({"yi": -yi}, False, (step,), ())
    return _Option(Generic(copy.study, direction * yi, se**2), derivations)


_DIRECTIONS = {
    (ArmRole.INTERVENTION, ArmRole.COMPARATOR): 1,
    (ArmRole.COMPARATOR, ArmRole.INTERVENTION): -1,
}
