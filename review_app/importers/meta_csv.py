"""A meta-analysis data file (``review-app meta-analyse DATA.csv``): one study a row (pure).

The layouts (:data:`LAYOUTS`, declared once: the messages and the README's table come from them)
are told apart by their columns, matched case-insensitively:

- dichotomous: ``study, events_t, n_t, events_c, n_c`` (``_t`` the intervention arm, ``_c`` the
  comparator);
- continuous: ``study`` and per arm ``n`` with ``mean`` and ``sd``, or instead of the SD ``se`` or
  ``ci_lower``/``ci_upper`` (``ci_level``, default 95), or instead of mean and SD a ``median`` with
  ``q1``/``q3`` and/or ``minimum``/``maximum`` (each suffixed ``_t`` or ``_c``);
- generic: ``study, yi, vi`` on the analysis scale (log for ratios);
- estimate: ``study, estimate`` with ``ci_lower, ci_upper`` (also ``ci_low, ci_high``;
  ``ci_level``) or ``se``: ratios entered on their own scale and logged.

Whatever is not a mean and SD (or yi and vi) is turned into one by the extraction's result formats
(:func:`review_app.domain.extraction.formats.derive`), so a file and the review's extraction use
the same formulas, and each study keeps the derivations that did it. Every impossible value
(negative SD, events above the total, a ratio that is not above 0...) is a :class:`Problem`
naming the row and the column; nothing is analysed until there are none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import NoReturn

from review_app.domain.extraction.formats import (
    FORMATS,
    OUTCOME_TYPES,
    Derived,
    FormatField,
    check_result,
    derive,
    measures_for,
)
from review_app.domain.extraction.model import Result
from review_app.domain.meta.model import Continuous, Dichotomous, Generic, StudyData
from review_app.domain.vocabulary import ArmRole, EffectMeasure
from review_app.errors import Problem, ProblemsError
from review_app.importers.record import DEFAULT_LIMITS, Limits
from review_app.importers.tabular import read_table


class Layout(StrEnum):
    """What kind of data a file holds."""

    DICHOTOMOUS = "dichotomous"
    CONTINUOUS = "continuous"
    GENERIC = "generic"
    ESTIMATE = "estimate"


STUDY = "study"
# The column suffix of each arm in the comparison.
ARM_SUFFIXES: Mapping[ArmRole, str] = MappingProxyType(
    {ArmRole.INTERVENTION: "_t", ArmRole.COMPARATOR: "_c"}
)
LAYOUTS: Mapping[Layout, str] = MappingProxyType(
    {
        Layout.DICHOTOMOUS: "study, events_t, n_t, events_c, n_c",
        Layout.CONTINUOUS: (
            "study, n_t, mean_t, sd_t, n_c, mean_c, sd_c (instead of sd: se, or ci_lower and "
            "ci_upper; instead of mean and sd: median with q1 and q3 and/or minimum and maximum)"
        ),
        Layout.GENERIC: "study, yi, vi (log scale for ratios)",
        Layout.ESTIMATE: "study, estimate, ci_lower, ci_upper (or se); ratios on their own scale",
    }
)
# The columns every file of a layout has (continuous arms give a mean or a median besides n).
REQUIRED_COLUMNS: Mapping[Layout, tuple[str, ...]] = MappingProxyType(
    {
        Layout.DICHOTOMOUS: ("events_t", "n_t", "events_c", "n_c"),
        Layout.CONTINUOUS: ("n_t", "n_c"),
        Layout.GENERIC: ("yi", "vi"),
        Layout.ESTIMATE: ("estimate",),
    }
)
# Other spellings people use for a column (before the arm suffix).
ALIASES: Mapping[str, str] = MappingProxyType(
    {"ci_low": "ci_lower", "ci_high": "ci_upper", "min": "minimum", "max": "maximum"}
)
MISSING = frozenset({"", "na", "nan"})  # empty cells, and R's way of writing them
# The continuous arm formats a row may use, in the order tried: the first whose fields are all
# filled in is the arm's format.
CONTINUOUS_FORMATS = (
    "mean_sd",
    "mean_se",
    "mean_ci",
    "median_iqr_range",
    "median_iqr",
    "median_range",
)
OPTIONAL_FIELDS = frozenset({"ci_level"})
# Dichotomous files call the total n (n_t, n_c), as RevMan's tables do.
DICHOTOMOUS_COLUMNS: Mapping[str, str] = MappingProxyType({"events": "events", "n": "total"})
# The analysis measures each layout of arm data allows; generic and estimate files say theirs.
LAYOUT_MEASURES: Mapping[Layout, tuple[EffectMeasure, ...]] = MappingProxyType(
    {
        Layout.DICHOTOMOUS: (EffectMeasure.RR, EffectMeasure.OR, EffectMeasure.RD),
        Layout.CONTINUOUS: (EffectMeasure.MD, EffectMeasure.SMD),
        Layout.GENERIC: tuple(EffectMeasure),
        Layout.ESTIMATE: tuple(EffectMeasure),
    }
)
_YI = FormatField("yi", "yi")
_VI = FormatField("vi", "vi", minimum=0, minimum_open=True)
CONTRAST = "contrast"  # the key of a between-arm result's derivation


@dataclass(frozen=True, slots=True)
class FileStudy:
    """One study of the file: its row, its data for the engine, how it was derived (per arm,
    keyed by ArmRole, or ``contrast``), and its subgroup when one was asked for."""

    line: int
    data: StudyData
    derivations: Mapping[str, Derived] = field(default_factory=dict)
    group: str | None = None

    @property
    def study(self) -> str:
        return self.data.study

    @property
    def estimated(self) -> bool:
        return any(d.estimated for d in self.derivations.values())

    @property
    def converted(self) -> bool:
        return any(d.steps for d in self.derivations.values())


@dataclass(frozen=True, slots=True)
class MetaFile:
    """A file read whole: its layout and its studies in file order."""

    source: str
    layout: Layout
    studies: tuple[FileStudy, ...]

    @property
    def data(self) -> tuple[StudyData, ...]:
        return tuple(s.data for s in self.studies)

    @property
    def groups(self) -> dict[str, str]:
        """Study -> subgroup (empty unless a subgroup column was asked for)."""
        return {s.study: s.group for s in self.studies if s.group is not None}


def read_meta_file(
    data: bytes,
    *,
    source: str,
    measure: EffectMeasure,
    subgroup: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> MetaFile:
    """Read a CSV or XLSX file of studies for a ``measure`` analysis; ``subgroup`` names a column
    that puts each study in a subgroup. ProblemsError lists every problem with its row and
    column (ImportFileError when the file cannot be read as a table)."""
    table = read_table(data, source=source, limits=limits)
    columns = _columns(table.columns)
    spelling = {name: table.columns[position] for name, position in columns.items()}
    reader = _Reader(source=source, columns=columns, spelling=spelling, measure=measure)
    layout = reader.layout(table.header_line)
    group_column = reader.group_column(subgroup, table.header_line)
    studies = []
    for line, cells in table.rows:
        study = reader.study(layout, line, cells)
        group = reader.text(line, cells, group_column) if group_column is not None else None
        if study is not None:
            studies.append(replace(study, group=group))
    reader.check_unique(studies)
    if not table.rows:
        reader.problem(table.header_line, None, "no study rows below the header; k is 0")
    if reader.problems:
        raise ProblemsError(
            reader.problems,
            summary=f"{source}: cannot be analysed; {len(reader.problems)} problem(s):",
        )
    return MetaFile(source, layout, tuple(studies))


def _columns(header: Sequence[str]) -> dict[str, int]:
    """Column name (lower case, aliases resolved) -> its position; the first of a repeated name."""
    found: dict[str, int] = {}
    for position, name in enumerate(header):
        key = name.strip().casefold()
        for alias, meant in ALIASES.items():
            for suffix in ("", *ARM_SUFFIXES.values()):
                if key == alias + suffix:
                    key = meant + suffix
        found.setdefault(key, position)
    return found


@dataclass
class _Reader:
    """The reading of one file: its columns, the measure asked for, and the problems found."""

    source: str
    columns: dict[str, int]
    spelling: dict[str, str]  # column name as matched -> as the header has it
    measure: EffectMeasure
    problems: list[Problem] = field(default_factory=list)

    def problem(self, line: int, column: str | None, message: str) -> None:
        """A problem in a column, named as the file's header spells it."""
        spelt = self.spelling.get(column, column) if column is not None else None
        self.problems.append(Problem(source=self.source, line=line, field=spelt, message=message))

    # --- the header -----------------------------------------------------------------------------

    def layout(self, header_line: int) -> Layout:
        names = self.columns.keys()
        found = _layout_of(names)
        layouts = "; ".join(f"{layout}: {columns}" for layout, columns in LAYOUTS.items())
        if STUDY not in names or found is None:
            missing = "no 'study' column" if STUDY not in names else "the columns fit no layout"
            self._refuse(header_line, f"{missing}; the first row names the columns ({layouts})")
        assert found is not None
        absent = [name for name in REQUIRED_COLUMNS[found] if name not in names]
        if absent:
            columns = ", ".join(absent)
            self._refuse(header_line, f"no column {columns}; {found} files have {LAYOUTS[found]}")
        if self.measure not in LAYOUT_MEASURES[found]:
            allowed = ", ".join(LAYOUT_MEASURES[found])
            self._refuse(
                header_line,
                f"the measure {self.measure} does not fit {found} data; allowed: {allowed}",
            )
        return found

    def _refuse(self, line: int, why: str) -> NoReturn:
        self.problem(line, None, why)
        raise ProblemsError(self.problems, summary=f"{self.source}: cannot be analysed:")

    def group_column(self, subgroup: str | None, header_line: int) -> int | None:
        if subgroup is None:
            return None
        position = self.columns.get(subgroup.strip().casefold())
        if position is None:
            self.problem(
                header_line, subgroup, "no such column for the subgroups; name a column of the file"
            )
        return position

    # --- a row ----------------------------------------------------------------------------------

    def study(self, layout: Layout, line: int, cells: list[str]) -> FileStudy | None:
        label = self.text(line, cells, self.columns[STUDY])
        if label is None:
            return None
        before = len(self.problems)
        built = _BUILDERS[layout](self, label, line, cells)
        return built if len(self.problems) == before else None  # problems: the row is not kept

    def text(self, line: int, cells: list[str], position: int) -> str | None:
        cell = cells[position].strip() if position < len(cells) else ""
        if not cell:
            name = next(n for n, p in self.columns.items() if p == position)
            self.problem(line, name, "empty; each row needs it")
            return None
        return cell

    def numbers(self, line: int, cells: list[str], names: Sequence[str]) -> dict[str, float]:
        """The filled-in numbers among the named columns (absent columns and empty cells are
        left out; a cell that is not a number is a problem)."""
        found = {}
        for name in names:
            position = self.columns.get(name)
            cell = cells[position].strip() if position is not None and position < len(cells) else ""
            if cell.casefold() in MISSING:
                continue
            try:
                found[name] = float(cell)
            except ValueError:
                self.problem(line, name, f"'{cell}' is not a number")
        return found

    def check_unique(self, studies: Sequence[FileStudy]) -> None:
        first: dict[str, int] = {}
        for study in studies:
            key = study.study.casefold()
            if key in first:
                self.problem(
                    study.line,
                    STUDY,
                    f"'{study.study}' is also the study of row {first[key]}; name each study once",
                )
            first.setdefault(key, study.line)


def _layout_of(names: Iterable[str]) -> Layout | None:
    present = set(names)
    if {"yi", "vi"} <= present:
        return Layout.GENERIC
    if "estimate" in present:
        return Layout.ESTIMATE
    if any(f"events{s}" in present for s in ARM_SUFFIXES.values()):
        return Layout.DICHOTOMOUS
    if any(f"{v}{s}" in present for s in ARM_SUFFIXES.values() for v in ("mean", "median")):
        return Layout.CONTINUOUS
    return None


# --- building each layout's study --------------------------------------------------------------


def _dichotomous(reader: _Reader, label: str, line: int, cells: list[str]) -> FileStudy | None:
    arms = {}
    for role, suffix in ARM_SUFFIXES.items():
        columns = {f"{name}{suffix}": meant for name, meant in DICHOTOMOUS_COLUMNS.items()}
        values = reader.numbers(line, cells, list(columns))
        _need(reader, line, columns, values)
        named = {columns[name]: value for name, value in values.items()}
        derived = _arm_result(reader, line, role, "events_total", named, columns)
        if derived is not None:
            arms[role] = derived
    if len(arms) < len(ARM_SUFFIXES):
        return None
    t, c = arms[ArmRole.INTERVENTION].values, arms[ArmRole.COMPARATOR].values
    data = Dichotomous(label, t["events"], t["total"], c["events"], c["total"])
    return FileStudy(line, data, _derivations(arms))


def _continuous(reader: _Reader, label: str, line: int, cells: list[str]) -> FileStudy | None:
    arms = {}
    for role, suffix in ARM_SUFFIXES.items():
        fields = {f.name for name in CONTINUOUS_FORMATS for f in FORMATS[name].fields}
        columns = {f"{name}{suffix}": name for name in sorted(fields)}
        values = reader.numbers(line, cells, list(columns))
        named = {columns[name]: value for name, value in values.items()}
        chosen = _continuous_format(named)
        if chosen is None:
            reader.problem(line, f"sd{suffix}", _no_spread(suffix, named))
            continue
        derived = _arm_result(reader, line, role, chosen, named, columns)
        if derived is not None:
            arms[role] = derived
    if len(arms) < len(ARM_SUFFIXES):
        return None
    t, c = arms[ArmRole.INTERVENTION].values, arms[ArmRole.COMPARATOR].values
    data = Continuous(label, t["mean"], t["sd"], t["n"], c["mean"], c["sd"], c["n"])
    return FileStudy(line, data, _derivations(arms))


def _continuous_format(values: Mapping[str, float]) -> str | None:
    for name in CONTINUOUS_FORMATS:
        needed = set(FORMATS[name].field_names) - OPTIONAL_FIELDS
        if needed <= values.keys():
            return name
    return None


def _no_spread(suffix: str, values: Mapping[str, float]) -> str:
    """What a continuous arm lacks, in words."""
    if "n" not in values:
        return f"n{suffix} is empty; each arm needs its size"
    if "median" in values:
        return (
            f"a median needs q1{suffix} and q3{suffix} and/or minimum{suffix} and maximum{suffix}"
        )
    if "mean" not in values:
        return f"mean{suffix} and sd{suffix} are empty (or give median{suffix} with its spread)"
    return f"sd{suffix} is empty; give it, or se{suffix}, or ci_lower{suffix} and ci_upper{suffix}"


def _generic(reader: _Reader, label: str, line: int, cells: list[str]) -> FileStudy | None:
    values = reader.numbers(line, cells, ["yi", "vi"])
    _need(reader, line, {"yi": "yi", "vi": "vi"}, values)
    for bound in (_YI, _VI):
        if bound.name in values and (problem := bound.problem(values[bound.name])) is not None:
            reader.problem(line, bound.name, problem)
    if not {"yi", "vi"} <= values.keys():
        return None
    return FileStudy(line, Generic(label, values["yi"], values["vi"]))


def _estimate(reader: _Reader, label: str, line: int, cells: list[str]) -> FileStudy | None:
    names = ("estimate", "ci_lower", "ci_upper", "ci_level", "se")
    values = reader.numbers(line, cells, names)
    chosen = "estimate_ci" if {"ci_lower", "ci_upper"} <= values.keys() else "estimate_se"
    if "estimate" not in values:
        reader.problem(line, "estimate", "empty; each row needs the study's estimate")
    if chosen == "estimate_se" and "se" not in values:
        reader.problem(line, "se", "empty; give se, or ci_lower and ci_upper")
    result = Result(
        outcome_id="",
        timepoint="",
        arm="t",
        comparator="c",
        format=chosen,
        values={k: v for k, v in values.items() if k in FORMATS[chosen].field_names},
        measure=reader.measure,
    )
    outcome_type = _outcome_type(chosen, reader.measure)
    derived = _checked(reader, line, result, {name: name for name in names}, outcome_type)
    if derived is None:
        return None
    data = Generic(label, derived.values["yi"], derived.values["se"] ** 2)
    return FileStudy(line, data, {CONTRAST: derived})


_BUILDERS = {
    Layout.DICHOTOMOUS: _dichotomous,
    Layout.CONTINUOUS: _continuous,
    Layout.GENERIC: _generic,
    Layout.ESTIMATE: _estimate,
}


def _need(
    reader: _Reader, line: int, columns: Mapping[str, str], values: Mapping[str, float]
) -> None:
    for name in columns:
        if name not in values and not any(
            p.line == line and p.field == name for p in reader.problems
        ):
            reader.problem(line, name, "empty; each row needs it")


def _arm_result(
    reader: _Reader,
    line: int,
    role: ArmRole,
    format_id: str,
    values: Mapping[str, float],
    columns: Mapping[str, str],
) -> Derived | None:
    """An arm's numbers as a result of ``format_id``, derived; None after a problem."""
    kept = {k: v for k, v in values.items() if k in FORMATS[format_id].field_names}
    result = Result(outcome_id="", timepoint="", arm=str(role), format=format_id, values=kept)
    column_of = {field: column for column, field in columns.items()}
    return _checked(reader, line, result, column_of, FORMATS[format_id].outcome_types[0])


def _checked(
    reader: _Reader, line: int, result: Result, column_of: Mapping[str, str], outcome_type: str
) -> Derived | None:
    """``result`` derived, or None with each impossible value a problem in its column."""
    problems = check_result(result, outcome_type=outcome_type)
    for problem in problems:
        reader.problem(line, column_of.get(problem.field, problem.field), problem.message)
    if problems or any(p.line == line for p in reader.problems):
        return None
    derived = derive(result)
    if not derived.usable:
        reader.problem(line, None, " ".join(derived.warnings) or "the numbers give no estimate")
        return None
    return derived


def _outcome_type(format_id: str, measure: EffectMeasure) -> str:
    """The protocol outcome type whose contrasts in this format may use ``measure``."""
    result_format = FORMATS[format_id]
    return next(t for t in OUTCOME_TYPES if measure in measures_for(result_format, t))


def _derivations(arms: Mapping[ArmRole, Derived]) -> dict[str, Derived]:
    return {str(role): derived for role, derived in arms.items()}
