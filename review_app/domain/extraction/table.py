"""The extraction file's layout: copies of studies' extractions as rows, and rows back as copies.

``review-app export extraction`` writes, and ``review-app import extraction`` reads, one long
table (pure here; the services read and write the files):

- one row per arm of a copy (its label, role, description, number randomised), first;
- one row per result: arm-level (study x arm x outcome x time point) or a contrast (between the
  ``arm`` and the ``comparator``), in the copy's order;
- one row for a copy without arms or results, so that it is not lost.

The study-level columns (status, design facts, the protocol's characteristics fields...) repeat
on every row of a copy and must agree; the arm's columns repeat on its results' rows. A copy is
named by its study (``study``, or ``report``: any report's source record id, DOI or PMID) and its
``extractor`` (empty: the consensus). Written then read, the copies come back equal
(``tests/domain/test_extraction_table.py`` checks it on generated copies).

The derived columns (``derived_*``) are what :func:`formats.derive` makes of each result; the
export fills them, the import ignores them. :func:`revman_tables` lays the consensus copies out
per outcome as RevMan's calculator wants them (events/total, or mean/SD/n, per arm pair).

Every column is declared once, in :data:`COLUMNS`, with its meaning; the documentation
(the README's "Extraction files" section) is made from it by :func:`columns_markdown`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Literal, TypeVar, cast

from review_app.domain.extraction.formats import FORMATS, Derived, check_result, derive
from review_app.domain.extraction.model import (
    Arm,
    Design,
    Result,
    StudyExtraction,
    same_label,
)
from review_app.domain.vocabulary import ArmRole, EffectMeasure, ExtractionStatus, StudyDesign

Word = TypeVar("Word", ArmRole, StudyDesign, EffectMeasure, ExtractionStatus)
Level = Literal["study", "arm", "result", "value", "derived"]
Cell = str | float | int | None  # a cell as written: text, a number, or empty
FIELD_PREFIX = "field:"  # the columns of the protocol's extraction fields: field:<id>
YES, NO = "yes", "no"
TEXT_MARK = "'"  # a spreadsheet's "this cell is text" mark; see _text_cell
SHEET = "Extraction"  # the workbook's sheet of this layout (written first, read by name)


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the extraction file: its name, what it holds, and which rows carry it."""

    name: str
    meaning: str
    level: Level


def _value_columns() -> tuple[Column, ...]:
    """One column per field of the result formats (the union of their fields, in order)."""
    used_by: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for result_format in FORMATS.values():
        for format_field in result_format.fields:
            used_by.setdefault(format_field.name, []).append(result_format.id)
            labels.setdefault(format_field.name, format_field.label)
    return tuple(
        Column(name, f"{labels[name]} (formats: {', '.join(formats)})", "value")
        for name, formats in used_by.items()
    )


# What formats.derive gives (arm continuous, dichotomous, count; contrasts), as derived_<key>.
_DERIVED_MEANINGS = {
    "n": "Participants analysed in the arm",
    "mean": "Mean of the arm",
    "sd": "Standard deviation of the arm",
    "events": "Events in the arm",
    "total": "Participants in the arm (denominator of events)",
    "person_time": "Person-time of the arm (count data)",
    "estimate": "Effect estimate of a contrast, natural scale",
    "ci_lower": "Lower CI limit of a contrast's estimate, natural scale",
    "ci_upper": "Upper CI limit of a contrast's estimate, natural scale",
    "yi": "Estimate on the analysis scale (log for ratios)",
    "se": "Standard error of yi",
    "t": "Crossover: the paired t statistic (from the p value)",
    "design_effect": "Cluster designs: 1 + (mean cluster size - 1) x ICC (Cochrane Handbook "
    "23.1.4)",
    "n_effective": "Cluster designs: n divided by the design effect",
    "events_effective": "Cluster designs: events divided by the design effect",
    "total_effective": "Cluster designs: total divided by the design effect",
}
DERIVED_KEYS = tuple(_DERIVED_MEANINGS)

STUDY_COLUMNS = (
    Column("study", "The study's label as on the Studies page (or leave empty and give report)",
           "study"),
    Column("report", "Instead of study: the source record id, DOI or PMID of any report of the "
           "study (written empty by the export)", "study"),
    Column("extractor", "The extractor's user name; empty for the consensus copy", "study"),
    Column("status", "in_progress or complete (empty: in_progress)", "study"),
    Column("indirect_evidence", "Why the study is indirect evidence, left out of the main "
           "analyses (empty: direct evidence)", "study"),
    Column("design", "parallel, crossover or cluster (empty: not stated)", "study"),
    Column("mean_cluster_size", "Cluster designs: the mean cluster size (Cochrane Handbook "
           "23.1.4)", "study"),
    Column("icc", "Cluster designs: the intracluster correlation coefficient (23.1.4)", "study"),
    Column("crossover_correlation", "Crossover designs: the correlation between periods used to "
           "impute a paired SE (23.2.7)", "study"),
    Column("design_note", "Anything else about the design", "study"),
)  # fmt: skip
FIELD_COLUMN = Column(
    f"{FIELD_PREFIX}<id>",
    "One column per extraction field of the protocol (e.g. field:country), checked by its type",
    "study",
)
ARM_COLUMNS = (
    Column("arm", "The arm's label (for a contrast, the intervention arm)", "arm"),
    Column("arm_role", "intervention or comparator; declares the arm (required on a row with an "
           "arm and no outcome)", "arm"),
    Column("arm_description", "What the arm received", "arm"),
    Column("arm_randomised", "Number randomised (or allocated) to the arm, a whole number", "arm"),
)  # fmt: skip
RESULT_COLUMNS = (
    Column("outcome", "The protocol outcome's id; empty on an arm's own row", "result"),
    Column("timepoint", "The time point's label (e.g. 12 weeks)", "result"),
    Column("comparator", "A contrast's comparator arm; empty for an arm-level result", "result"),
    Column("measure", f"A contrast's effect measure: {', '.join(EffectMeasure)}", "result"),
    Column("adjusted", "yes if a contrast's estimate was adjusted (covariates, clustering, "
           "pairing); empty or no otherwise", "result"),
    Column("format", "The form the paper reports the result in: "
           f"{', '.join(FORMATS)}", "result"),
)  # fmt: skip
VALUE_COLUMNS = _value_columns()
NOTE_COLUMN = Column("note", "A note on the result", "result")
DERIVED_COLUMNS = (
    *(
        Column(f"derived_{key}", f"{meaning} (read-only: made by the export)", "derived")
        for key, meaning in _DERIVED_MEANINGS.items()
    ),
    Column("derived_estimated", "yes if a derived value is an estimate (e.g. mean and SD from "
           "a median and IQR) (read-only)", "derived"),
    Column("derived_formulas", "The formulas that made the derived values, with their sources "
           "(read-only)", "derived"),
    Column("derived_missing", "What the result lacks for the analysis (read-only)", "derived"),
    Column("derived_warnings", "What people should read about the derivation, e.g. skewed "
           "data (read-only)", "derived"),
)  # fmt: skip
# Every column, in file order; FIELD_COLUMN stands for the field:<id> columns.
COLUMNS: tuple[Column, ...] = (
    *STUDY_COLUMNS,
    FIELD_COLUMN,
    *ARM_COLUMNS,
    *RESULT_COLUMNS,
    *VALUE_COLUMNS,
    NOTE_COLUMN,
    *DERIVED_COLUMNS,
)
_VALUE_NAMES = tuple(column.name for column in VALUE_COLUMNS)
_VALUE_SET = frozenset(_VALUE_NAMES)
_DERIVED_NAMES = frozenset(column.name for column in DERIVED_COLUMNS)
_LEVEL = {column.name: column.level for column in COLUMNS if column is not FIELD_COLUMN}


def header(field_ids: Sequence[str] = ()) -> list[str]:
    """The file's column names, with a ``field:<id>`` column per characteristics field."""
    names: list[str] = []
    for column in COLUMNS:
        if column is FIELD_COLUMN:
            names.extend(f"{FIELD_PREFIX}{field_id}" for field_id in field_ids)
        else:
            names.append(column.name)
    return names


def field_ids_of(copies: Iterable[StudyExtraction], protocol_ids: Sequence[str]) -> list[str]:
    """The protocol's field ids, then (sorted) any other one a copy holds, so none is lost."""
    extra = {key for copy in copies for key in copy.characteristics} - set(protocol_ids)
    return [*protocol_ids, *sorted(extra)]


# --- copies -> rows ---------------------------------------------------------------------------


def to_rows(
    copies: Iterable[StudyExtraction],
    field_ids: Sequence[str],
    *,
    derivations: Derivations | None = None,
) -> Iterable[list[Cell]]:
    """The rows of ``copies`` under ``header(field_ids)``: per copy its arms, then its results
    (or one row when it has neither). Text starting with ``'`` is marked (see _text_cell)."""
    for copy in copies:
        study = _study_cells(copy, field_ids)
        if not copy.arms and not copy.results:
            yield [*study, *_arm_cells(None, ""), *_empty_result_cells()]
        for arm in copy.arms:
            yield [*study, *_arm_cells(arm, arm.label), *_empty_result_cells()]
        for result in copy.results:
            arm_facts = _arm_cells(copy.arm(result.arm), result.arm)
            derived = (derivations or Derivations()).of(result, copy.design)
            yield [*study, *arm_facts, *_result_cells(result, derived)]


def _study_cells(copy: StudyExtraction, field_ids: Sequence[str]) -> list[Cell]:
    design = copy.design
    status = ExtractionStatus.COMPLETE if copy.complete else ExtractionStatus.IN_PROGRESS
    return [
        _text_cell(copy.study),
        None,  # report: the study is named by its label
        _text_cell(copy.extractor or ""),
        str(status),
        _text_cell(copy.indirect_evidence),
        str(design.kind) if design.kind is not None else None,
        _number_cell(design.mean_cluster_size),
        _number_cell(design.icc),
        _number_cell(design.crossover_correlation),
        _text_cell(design.note),
        *(_text_cell(copy.characteristics.get(field_id, "")) for field_id in field_ids),
    ]


def _arm_cells(arm: Arm | None, label: str) -> list[Cell]:
    if arm is None:  # a result naming an arm the copy does not declare
        return [_text_cell(label), None, None, None]
    return [_text_cell(label), str(arm.role), _text_cell(arm.description), arm.randomised]


def _empty_result_cells() -> list[Cell]:
    return [None] * (len(RESULT_COLUMNS) + len(VALUE_COLUMNS) + 1 + len(DERIVED_COLUMNS))


def _result_cells(result: Result, derived: Derived | None) -> list[Cell]:
    unknown = set(result.values) - set(_VALUE_NAMES)
    if unknown:
        raise ValueError(f"result values {sorted(unknown)} are not fields of any format")
    return [
        result.outcome_id,
        _text_cell(result.timepoint),
        _text_cell(result.comparator or ""),
        str(result.measure) if result.measure is not None else None,
        YES if result.adjusted else None,
        result.format,
        *(_number_cell(result.values.get(name)) for name in _VALUE_NAMES),
        _text_cell(result.note),
        *_derived_cells(derived),
    ]


def _derived_cells(derived: Derived | None) -> list[Cell]:
    if derived is None:  # an unknown format
        return [None] * len(DERIVED_COLUMNS)
    return [
        *(_number_cell(derived.values.get(key)) for key in DERIVED_KEYS),
        (YES if derived.estimated else NO) if derived.values else None,
        "; ".join(f"{step.formula} ({step.source})" for step in derived.steps) or None,
        ", ".join(derived.missing) or None,
        " ".join(derived.warnings) or None,
    ]


class Derivations:
    """What :func:`formats.derive` makes of each result, made once for the long table and the
    RevMan sheets of one export (results are known by identity: equal ones may differ in design)."""

    def __init__(self) -> None:
        self._made: dict[int, tuple[Result, Derived | None]] = {}

    def of(self, result: Result, design: Design) -> Derived | None:
        """derive(result), or None for a format that is not in the registry."""
        made = self._made.get(id(result))
        if made is None or made[0] is not result:
            derived = _derived(result, design) if result.format in FORMATS else None
            made = self._made[id(result)] = (result, derived)
        return made[1]


def _derived(result: Result, design: Design) -> Derived:
    """derive(), or nothing derived when the numbers are outside a formula's domain (a CI of
    a ratio from an SE of 400 overflows exp; a negative cluster size): the file is still
    written, and says so."""
    try:
        return derive(result, design=design)
    except (ArithmeticError, ValueError) as error:
        why = f"Not derivable: the numbers are out of the formulas' range ({error})."
        return Derived(values={}, estimated=False, steps=(), missing=(), warnings=(why,))


def _text_cell(text: str) -> str | None:
    """Text as written, empty as None; text starting with ``'`` gets one more, because the
    reader takes a leading ``'`` as the mark a spreadsheet export puts before text that looks
    like a formula (``=1+1`` is written ``'=1+1``) and drops it."""
    if not text:
        return None
    return TEXT_MARK + text if text.startswith(TEXT_MARK) else text


def _number_cell(value: float | None) -> float | int | None:
    """A whole number as an int (``12``, not ``12.0``), any other as it is."""
    if value is None:
        return None
    if float(value).is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def cell_text(cell: Cell) -> str:
    """A cell as a CSV file holds it (``repr`` of floats: read back, the same float)."""
    if cell is None:
        return ""
    return cell if isinstance(cell, str) else repr(cell)


# --- rows -> copies ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Something wrong in the file: its row as a spreadsheet shows it (the header is row 1)."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ParsedCopy:
    """A copy read from the file, with the rows it came from (to name them in problems)."""

    copy: StudyExtraction
    first_row: int
    result_rows: tuple[int, ...]  # the row of each of copy.results


@dataclass(frozen=True, slots=True)
class TableRead:
    copies: list[ParsedCopy]
    problems: list[RowProblem]


ReportResolver = Callable[[str], str]  # a report's id -> its study's label; LookupError(why)


def read_table(
    rows: Iterable[tuple[int, Sequence[str]]],
    *,
    field_ids: Sequence[str] | None = None,
    study_of_report: ReportResolver | None = None,
) -> TableRead:
    """Copies from ``rows`` ((row number, cells), the first the header), and every problem.

    ``field_ids``: the protocol's extraction fields (None: any ``field:`` column is taken);
    ``study_of_report``: resolves the ``report`` column (None: a ``report`` cell is a problem).
    Only the layout is checked here (columns, types, words, agreement between rows); the
    result formats' rules are :func:`check_copies`'.
    """
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return TableRead([], [RowProblem(1, None, "the file is empty; expected a header row")])
    columns, problems = _read_header(first[1], field_ids)
    if problems:
        return TableRead([], problems)
    builder = _CopiesBuilder(study_of_report)
    for number, cells in iterator:
        if any(cell.strip() for cell in cells):
            builder.add_row(number, _row_cells(number, columns, cells, builder.problems))
    return TableRead(builder.finished(), builder.problems)


def _read_header(
    names: Sequence[str], field_ids: Sequence[str] | None
) -> tuple[list[str | None], list[RowProblem]]:
    """Each position's column (None for one to skip: derived or unnamed and empty)."""
    known_fields = {same_label(field_id): field_id for field_id in field_ids or ()}
    columns: list[str | None] = []
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for raw in names:
        name = raw.strip()
        column = _column_name(name, known_fields, field_ids is not None)
        if name and column is None:
            problems.append(RowProblem(1, name, _unknown_column(name, known_fields)))
        elif column is not None and column in seen:
            problems.append(RowProblem(1, name, "this column appears twice; keep one"))
        if column is not None:
            seen.add(column)
        columns.append(None if column in _DERIVED_NAMES else column)
    if not seen & {"study", "report"}:
        problems.append(
            RowProblem(1, None, "no study column: name the study by its label in a 'study' "
                       "column or by a report's id, DOI or PMID in a 'report' column")
        )  # fmt: skip
    return columns, problems


def _column_name(name: str, known_fields: Mapping[str, str], checked: bool) -> str | None:
    lower = name.casefold()
    if lower in _LEVEL:
        return lower
    if lower.startswith(FIELD_PREFIX) and name[len(FIELD_PREFIX) :].strip():
        field_id = name[len(FIELD_PREFIX) :].strip()
        if not checked:
            return f"{FIELD_PREFIX}{field_id}"
        if same_label(field_id) in known_fields:
            return f"{FIELD_PREFIX}{known_fields[same_label(field_id)]}"
    return None


def _unknown_column(name: str, known_fields: Mapping[str, str]) -> str:
    if name.casefold().startswith(FIELD_PREFIX):
        allowed = ", ".join(known_fields.values()) or "none (the protocol has no extraction_fields)"
        return f"not an extraction field of the protocol; its fields are: {allowed}"
    return "not a column of the extraction file; its columns are in the README (Extraction files)"


def _row_cells(
    number: int, columns: Sequence[str | None], cells: Sequence[str], problems: list[RowProblem]
) -> dict[str, str]:
    """Column -> the cell's text (``'`` mark dropped), for the named columns' non-empty cells."""
    named: dict[str, str] = {}
    for position, cell in enumerate(cells):
        if not cell or cell.isspace():
            continue
        if position >= len(columns):
            problems.append(RowProblem(number, None, f"cell {position + 1} has no column name"))
        elif (column := columns[position]) is not None:
            named[column] = cell[1:] if cell.startswith(TEXT_MARK) else cell
    return named


@dataclass(slots=True)
class _StudyFacts:
    """The study-level values of a copy, as read from one row."""

    status: ExtractionStatus
    indirect_evidence: str
    design: Design
    characteristics: dict[str, str]


@dataclass(slots=True)
class _CopyParts:
    study: str
    extractor: str | None
    facts: _StudyFacts
    facts_row: int
    arms: dict[str, tuple[Arm, int]] = field(default_factory=dict)  # key -> (arm, its row)
    results: list[tuple[Result, int]] = field(default_factory=list)
    result_keys: dict[tuple[object, ...], int] = field(default_factory=dict)


class _CopiesBuilder:
    """Gathers rows into copies (keyed by study and extractor), noting every problem."""

    def __init__(self, study_of_report: ReportResolver | None) -> None:
        self.study_of_report = study_of_report
        self.problems: list[RowProblem] = []
        self.copies: dict[tuple[str, str], _CopyParts] = {}
        self.last_facts: tuple[tuple[tuple[str, str], ...], _StudyFacts] | None = None

    def problem(self, row: int, column: str | None, message: str) -> None:
        self.problems.append(RowProblem(row, column, message))

    def add_row(self, row: int, cells: dict[str, str]) -> None:
        cells_read = _Cells(row, cells, self.problem)
        study = self._study(cells_read)
        facts = self._facts(cells_read)
        if study is None:
            return
        extractor = cells_read.word("extractor")
        key = (same_label(study), extractor or "")
        parts = self.copies.get(key)
        if parts is None:
            parts = self.copies[key] = _CopyParts(study, extractor, facts, row)
        elif facts is not parts.facts:
            self._check_same_facts(parts, facts, row, cells_read.bad)
        arm = _arm(cells_read)
        if arm is not None:
            self._add_arm(parts, arm, row, cells_read.bad)
        if cells_read.has("outcome"):
            result = _result(cells_read)
            if result is not None:
                self._add_result(parts, result, row)
        else:
            _check_no_result_cells(cells_read)

    def _facts(self, cells: _Cells) -> _StudyFacts:
        """The row's study-level facts; those of the row before when its cells are the same."""
        key = _facts_key(cells.cells)
        if self.last_facts is not None and self.last_facts[0] == key:
            return self.last_facts[1]
        facts = _study_facts(cells)
        self.last_facts = None if cells.bad else (key, facts)
        return facts

    def _study(self, cells: _Cells) -> str | None:
        study, report = cells.text("study"), cells.word("report")
        if report and self.study_of_report is None:
            cells.problem("report", "reports cannot be looked up here; name the study")
            return None
        if report and self.study_of_report is not None:
            try:
                resolved = self.study_of_report(report)
            except LookupError as error:
                cells.problem("report", str(error.args[0] if error.args else error))
                return None
            if study and same_label(study) != same_label(resolved):
                cells.problem("report", f"{report!r} is a report of {resolved!r}, not {study!r}")
                return None
            return resolved
        if not study.strip():
            cells.problem("study", "name the study: its label in 'study' or a report's id, DOI "
                          "or PMID in 'report'")  # fmt: skip
            return None
        return study

    def _check_same_facts(
        self, parts: _CopyParts, facts: _StudyFacts, row: int, bad: set[str]
    ) -> None:
        for column, before, now in _facts_differences(parts.facts, facts):
            if column in bad:
                continue
            self.problem(
                row, column, f"{_shown(now)} here but {_shown(before)} on row {parts.facts_row}; "
                f"{_copy_name(parts)}: the study-level columns must agree on every row of a copy"
            )  # fmt: skip

    def _add_arm(self, parts: _CopyParts, arm: Arm, row: int, bad: set[str]) -> None:
        known = parts.arms.get(arm.key)
        if known is None:
            parts.arms[arm.key] = (arm, row)
            return
        for column, before, now in _arm_differences(known[0], arm):
            if column in bad:
                continue
            self.problem(
                row, column, f"{_shown(now)} here but {_shown(before)} on row {known[1]} for "
                f"arm {arm.label!r}; an arm's columns must agree on every row that gives them"
            )  # fmt: skip

    def _add_result(self, parts: _CopyParts, result: Result, row: int) -> None:
        earlier = parts.result_keys.get(result.key)
        if earlier is not None:
            self.problem(row, None, f"the same result as row {earlier} (outcome, time point, "
                         "arm, comparator, measure and adjusted all alike); keep one")  # fmt: skip
            return
        parts.result_keys[result.key] = row
        parts.results.append((result, row))

    def finished(self) -> list[ParsedCopy]:
        return [_parsed(parts) for parts in self.copies.values()]


def _parsed(parts: _CopyParts) -> ParsedCopy:
    facts = parts.facts
    copy = StudyExtraction(
        study=parts.study,
        extractor=parts.extractor,
        design=facts.design,
        characteristics=facts.characteristics,
        arms=tuple(arm for arm, _ in parts.arms.values()),
        results=tuple(result for result, _ in parts.results),
        complete=facts.status is ExtractionStatus.COMPLETE,
        indirect_evidence=facts.indirect_evidence,
    )
    return ParsedCopy(copy, parts.facts_row, tuple(row for _, row in parts.results))


class _Cells:
    """One row's cells, read as the column's kind of value; a bad cell becomes a problem."""

    def __init__(self, row: int, cells: dict[str, str], report: Callable[..., None]) -> None:
        self.row, self.cells, self.report = row, cells, report
        self.bad: set[str] = set()  # columns with a problem: not compared with other rows

    def problem(self, column: str, message: str) -> None:
        self.bad.add(column)
        self.report(self.row, column, message)

    def has(self, column: str) -> bool:
        return column in self.cells

    def text(self, column: str) -> str:
        """Free text, exactly as written."""
        return self.cells.get(column, "")

    def word(self, column: str) -> str | None:
        """A name or a code word, trimmed; None when empty."""
        return self.cells.get(column, "").strip() or None

    def choice(self, column: str, words: type[Word]) -> Word | None:
        word = self.word(column)
        if word is None:
            return None
        member = cast("Word | None", _MEMBERS[words].get(word.casefold()))
        if member is None:
            self.problem(column, f"{word!r} is not allowed; allowed are {', '.join(words)}")
        return member

    def number(self, column: str) -> float | None:
        word = self.word(column)
        if word is None:
            return None
        try:
            value = float(word)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self.problem(column, f"{word!r} is not a number; write e.g. 12.5 (a point as the "
                         "decimal mark, no unit)")  # fmt: skip
            return None
        return value

    def whole(self, column: str) -> int | None:
        value = self.number(column)
        if value is None:
            return None
        if not value.is_integer() or value < 0:
            self.problem(column, f"{_shown(value)} is not allowed; a whole number, 0 or more")
            return None
        return int(value)

    def yes_no(self, column: str) -> bool:
        word = self.word(column)
        if word is None or word.casefold() == NO:
            return False
        if word.casefold() == YES:
            return True
        self.problem(column, f"{word!r} is not allowed; yes, no, or empty (no)")
        return False


# The words of each vocabulary a column takes, case-folded: a row is read without a loop over them.
_MEMBERS: dict[type, dict[str, object]] = {
    words: {member.value.casefold(): member for member in words}
    for words in (ArmRole, StudyDesign, EffectMeasure, ExtractionStatus)
}
_FACT_COLUMNS = frozenset(
    column.name for column in STUDY_COLUMNS if column.name not in ("study", "report", "extractor")
)


def _facts_key(cells: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """A row's study-level cells: rows of one copy repeat them, so they are read once."""
    return tuple(
        (column, text)
        for column, text in cells.items()
        if column in _FACT_COLUMNS or column.startswith(FIELD_PREFIX)
    )


def _study_facts(cells: _Cells) -> _StudyFacts:
    design = Design(
        kind=cells.choice("design", StudyDesign),
        mean_cluster_size=cells.number("mean_cluster_size"),
        icc=cells.number("icc"),
        crossover_correlation=cells.number("crossover_correlation"),
        note=cells.text("design_note"),
    )
    characteristics = {
        column[len(FIELD_PREFIX) :]: text
        for column, text in cells.cells.items()
        if column.startswith(FIELD_PREFIX)
    }
    return _StudyFacts(
        status=cells.choice("status", ExtractionStatus) or ExtractionStatus.IN_PROGRESS,
        indirect_evidence=cells.text("indirect_evidence"),
        design=design,
        characteristics=characteristics,
    )


def _facts_differences(
    before: _StudyFacts, now: _StudyFacts
) -> Iterable[tuple[str, object, object]]:
    pairs: list[tuple[str, object, object]] = [
        ("status", before.status, now.status),
        ("indirect_evidence", before.indirect_evidence, now.indirect_evidence),
        ("design", before.design.kind, now.design.kind),
        ("mean_cluster_size", before.design.mean_cluster_size, now.design.mean_cluster_size),
        ("icc", before.design.icc, now.design.icc),
        (
            "crossover_correlation",
            before.design.crossover_correlation,
            now.design.crossover_correlation,
        ),
        ("design_note", before.design.note, now.design.note),
    ]
    for field_id in dict.fromkeys([*before.characteristics, *now.characteristics]):
        column = f"{FIELD_PREFIX}{field_id}"
        pairs.append(
            (column, before.characteristics.get(field_id), now.characteristics.get(field_id))
        )
    return [(column, old, new) for column, old, new in pairs if old != new]


def _arm(cells: _Cells) -> Arm | None:
    """The arm a row declares (with arm_role), or None; a problem if its facts are half given."""
    label = cells.text("arm")
    role = cells.choice("arm_role", ArmRole)
    described = [column for column in ("arm_description", "arm_randomised") if cells.has(column)]
    if not label.strip():
        for column in ("arm_role", *described):
            if cells.has(column):
                cells.problem(column, "given without an arm: name the arm in 'arm'")
        return None
    if role is None:
        if not cells.has("arm_role"):
            for column in described:
                cells.problem(column, "given without arm_role: give the arm's role too "
                              f"({', '.join(ArmRole)})")  # fmt: skip
            if not cells.has("outcome"):
                cells.problem("arm_role", f"required to declare an arm ({', '.join(ArmRole)})")
        return None
    return Arm(
        label=label,
        role=role,
        description=cells.text("arm_description"),
        randomised=cells.whole("arm_randomised"),
    )


def _arm_differences(before: Arm, now: Arm) -> Iterable[tuple[str, object, object]]:
    pairs = (
        ("arm_role", before.role, now.role),
        ("arm_description", before.description, now.description),
        ("arm_randomised", before.randomised, now.randomised),
    )
    return [(column, old, new) for column, old, new in pairs if old != new]


def _result(cells: _Cells) -> Result | None:
    arm, result_format = cells.text("arm"), cells.word("format")
    if not arm.strip():
        cells.problem("arm", "required on a result row: the arm's label (for a between-arm "
                      "result, the intervention arm)")  # fmt: skip
    if result_format is None:
        cells.problem("format", f"required on a result row; allowed are {', '.join(FORMATS)}")
    elif result_format not in FORMATS:
        cells.problem("format", f"{result_format!r} is not allowed; allowed are "
                      f"{', '.join(FORMATS)}")  # fmt: skip
    values = {name: cells.number(name) for name in cells.cells if name in _VALUE_SET}
    measure = cells.choice("measure", EffectMeasure)
    adjusted = cells.yes_no("adjusted")
    if not arm.strip() or result_format not in FORMATS or None in values.values():
        return None
    return Result(
        outcome_id=cells.word("outcome") or "",
        timepoint=cells.text("timepoint"),
        arm=arm,
        format=str(result_format),
        values={name: value for name, value in values.items() if value is not None},
        comparator=cells.text("comparator") or None,
        measure=measure,
        adjusted=adjusted,
        note=cells.text("note"),
    )


def _check_no_result_cells(cells: _Cells) -> None:
    result_columns = [c.name for c in (*RESULT_COLUMNS, *VALUE_COLUMNS, NOTE_COLUMN)]
    for column in result_columns:
        if cells.has(column):
            cells.problem(column, "given on a row without an outcome; name the outcome, or "
                          "leave the result's columns empty on an arm's own row")  # fmt: skip


def _shown(value: object) -> str:
    if value is None or value == "":
        return "empty"
    if isinstance(value, float):
        return repr(_number_cell(value))
    return repr(str(value))


def _copy_name(parts: _CopyParts) -> str:
    who = f"extractor {parts.extractor!r}" if parts.extractor else "the consensus"
    return f"study {parts.study!r}, {who}"


# --- the result formats' rules, with the rows they concern ----------------------------------


def check_copies(
    copies: Sequence[ParsedCopy], *, outcome_types: Mapping[str, str]
) -> list[RowProblem]:
    """Each result checked against the protocol's outcomes, the copy's arms and its format's
    rules (:func:`formats.check_result`), named by its row and column."""
    problems: list[RowProblem] = []
    for parsed in copies:
        arm_keys = {arm.key for arm in parsed.copy.arms}
        for result, row in zip(parsed.copy.results, parsed.result_rows, strict=True):
            problems.extend(_result_problems(result, row, arm_keys, outcome_types))
    return problems


def _result_problems(
    result: Result, row: int, arm_keys: set[str], outcome_types: Mapping[str, str]
) -> list[RowProblem]:
    problems = [
        RowProblem(row, column, f"{label!r} is not an arm of this copy; declare it on a row "
                   f"with arm_role ({', '.join(ArmRole)})")
        for column, label in (("arm", result.arm), ("comparator", result.comparator))
        if label is not None and same_label(label) not in arm_keys
    ]  # fmt: skip
    outcome_type = outcome_types.get(result.outcome_id)
    if outcome_type is None:
        allowed = ", ".join(outcome_types) or "none"
        message = (
            f"{result.outcome_id!r} is not an outcome of the protocol; its outcomes: {allowed}"
        )
        return [*problems, RowProblem(row, "outcome", message)]
    for problem in check_result(result, outcome_type=outcome_type):
        problems.append(RowProblem(row, problem.field, problem.message))
    return problems


# --- RevMan's calculator layout ---------------------------------------------------------------

REVMAN_NUMBERS = {
    "dichotomous": (("events", "events"), ("total", "total")),
    "continuous": (("mean", "mean"), ("SD", "sd"), ("total", "n")),
}  # per outcome type: (heading word, derived key), in RevMan's order


def revman_header(outcome_type: str) -> list[str]:
    numbers = REVMAN_NUMBERS[outcome_type]
    return [
        "Study",
        "Time point",
        "Intervention arm",
        "Comparator arm",
        *(f"Intervention {word}" for word, _ in numbers),
        *(f"Comparator {word}" for word, _ in numbers),
        "Note",
    ]


def revman_rows(
    copies: Iterable[StudyExtraction],
    *,
    outcome_id: str,
    outcome_type: str,
    derivations: Derivations | None = None,
) -> list[list[Cell]]:
    """One row per study x time point x (intervention, comparator) pair of ``outcome_id``,
    the numbers derived from each arm's result; a row that cannot be used says why in Note."""
    rows: list[list[Cell]] = []
    for copy in copies:
        results = [result for result in copy.results if result.outcome_id == outcome_id]
        for timepoint in dict.fromkeys(same_label(result.timepoint) for result in results):
            at_time = [r for r in results if same_label(r.timepoint) == timepoint]
            rows.extend(
                _revman_study_rows(copy, at_time, outcome_type, derivations or Derivations())
            )
    return rows


def _revman_study_rows(
    copy: StudyExtraction, results: list[Result], outcome_type: str, derivations: Derivations
) -> list[list[Cell]]:
    timepoint = results[0].timepoint
    by_arm: dict[str, Result] = {}
    for result in results:
        if not result.is_contrast:
            by_arm.setdefault(same_label(result.arm), result)
    pairs = [
        (i, c)
        for i, c in product(
            _arms_of(copy, ArmRole.INTERVENTION), _arms_of(copy, ArmRole.COMPARATOR)
        )
        if i.key in by_arm or c.key in by_arm
    ]
    prefix = _indirect_note(copy)
    if not pairs:
        why = _no_pair_reason(results, by_arm)
        width = 2 * len(REVMAN_NUMBERS[outcome_type])
        return [[copy.study, timepoint, None, None, *([None] * width), prefix + why]]
    rows = []
    for intervention, comparator in pairs:
        numbers: list[Cell] = []
        notes: list[str] = []
        for arm in (intervention, comparator):
            arm_result = by_arm.get(arm.key)
            derived = derivations.of(arm_result, copy.design) if arm_result else None
            arm_numbers, note = _revman_arm(arm_result, derived, arm, outcome_type)
            numbers.extend(arm_numbers)
            notes.extend([note] if note else [])
        note = prefix + "; ".join(notes)
        rows.append([copy.study, timepoint, intervention.label, comparator.label, *numbers,
                     note or None])  # fmt: skip
    return rows


def _arms_of(copy: StudyExtraction, role: ArmRole) -> list[Arm]:
    return [arm for arm in copy.arms if arm.role is role]


def _revman_arm(
    result: Result | None, derived: Derived | None, arm: Arm, outcome_type: str
) -> tuple[list[Cell], str]:
    keys = [key for _, key in REVMAN_NUMBERS[outcome_type]]
    if result is None:
        return [None] * len(keys), f"{arm.label}: no result at this time point"
    if derived is None:
        return [None] * len(keys), f"{arm.label}: format {result.format!r} is unknown"
    numbers: list[Cell] = [_number_cell(derived.values.get(key)) for key in keys]
    return numbers, _revman_arm_note(arm, derived, keys)


def _revman_arm_note(arm: Arm, derived: Derived, keys: list[str]) -> str:
    missing = [key for key in keys if derived.values.get(key) is None]
    if missing:
        lacks = ", ".join(derived.missing) or " ".join(derived.warnings) or ", ".join(missing)
        return f"{arm.label}: not derivable ({lacks})"
    if derived.estimated:
        formulas = "; ".join(f"{step.formula} ({step.source})" for step in derived.steps)
        return f"{arm.label}: estimated by {formulas}"
    return ""


def _no_pair_reason(results: list[Result], by_arm: Mapping[str, Result]) -> str:
    contrasts = [result for result in results if result.is_contrast]
    if contrasts and not by_arm:
        measures = ", ".join(dict.fromkeys(str(r.measure or "no measure") for r in contrasts))
        return (f"between-arm results only ({measures}): enter them as generic inverse variance "
                "(derived_yi and derived_se in the Extraction sheet)")  # fmt: skip
    return "no intervention and comparator arms with results to pair (check the arms' roles)"


def _indirect_note(copy: StudyExtraction) -> str:
    if not copy.is_indirect:
        return ""
    return f"indirect evidence, left out of the main analyses ({copy.indirect_evidence.strip()}); "


# --- documentation ----------------------------------------------------------------------------


def columns_markdown() -> str:
    """The README's "Extraction files" section: every column of the file, in order, with its
    meaning (between the README's ``extraction-columns`` markers; a test checks they agree)."""
    lines = [
        "<!-- extraction-columns: made by `python -m review_app.domain.extraction.table` -->",
        "",
        "`review-app export extraction -o PATH.csv|.xlsx [--values consensus|all]` writes, and",
        "`review-app import extraction PATH.csv|.xlsx --as USER` reads, one row per arm of a",
        "study's copy (its extraction by one extractor, or the consensus), then one row per",
        "result: of one arm at one outcome and time point, or between two arms (a contrast, with",
        "a comparator and an effect measure). A copy without arms or results has one row.",
        "Study-level columns repeat on every row of a copy and must agree; an arm's columns",
        "repeat on its results' rows. The import replaces the copies the file names, the whole",
        "file or nothing, and lists every problem with its row (the header is row 1) and column.",
        "Columns may come in any order; names are matched without regard to case; a column",
        "that is missing is read as empty. Numbers use a point as decimal mark. A cell starting",
        "with `'` loses that mark when read (spreadsheets' and our exports' text mark).",
        "",
        "| column | rows | meaning |",
        "| --- | --- | --- |",
    ]
    lines.extend(f"| `{column.name}` | {column.level} | {column.meaning} |" for column in COLUMNS)
    lines += [
        "",
        "The XLSX file also has one sheet per protocol outcome in RevMan's calculator layout,",
        "from the consensus copies' derived values: `Study`, `Time point`, `Intervention arm`,",
        "`Comparator arm`, then per arm `events` and `total` (dichotomous outcomes) or `mean`,",
        "`SD` and `total` (continuous), and a `Note` saying why a row cannot be used as it is",
        "(a value not derivable, a missing arm, between-arm results only) or which values were",
        "estimated and how.",
        "",
        "<!-- /extraction-columns -->",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(columns_markdown(), end="")
