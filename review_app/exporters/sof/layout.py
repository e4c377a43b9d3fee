"""The Summary-of-Findings table and the evidence profile as a grid of cells, in GRADEpro GDT's
layout, before any file format: the DOCX and HTML writers draw the same grid, so both show the
same cells with the same words (``domain/grade/text.py``).

Summary of findings (GRADE Handbook 5.2; GRADEpro's "SoF table"): Outcomes | Anticipated absolute
effects* (95% CI): risk with the comparison, risk with the intervention, risk difference |
Relative effect (95% CI) | № of participants (studies) | Certainty of the evidence (GRADE) |
Comments. A dichotomous outcome has one sub-row per comparator risk; a continuous one shows the
comparator mean and the mean difference; a narrative synthesis, or "No studies were found that
measured this outcome", spans the effect columns.

Evidence profile (GRADEpro's "Evidence profile"): per outcome a title row, then № of studies,
study design, the five domains of certainty assessment (publication bias and the upgrades under
"Other considerations"), № of participants, effect (relative, absolute), certainty, importance;
each rating carries its footnote numbers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from review_app.domain.grade.model import (
    DOWNGRADE_DOMAINS,
    Certainty,
    EvidenceSource,
    OutcomeGrade,
    SofRow,
    SofTable,
)
from review_app.domain.grade.text import (
    NO_STUDIES,
    NOT_AVAILABLE,
    OTHER_DOMAINS,
    RISK_EXPLANATION,
    abbreviations_text,
    absolute_texts,
    certainty_text,
    comparator_mean_text,
    continuous_text,
    design_text,
    grade_definition,
    importance_text,
    other_considerations_text,
    outcome_lines,
    participants_count_text,
    participants_text,
    rating_text,
    relative_text,
)


class Scope(StrEnum):
    """What a header cell heads (HTML's ``scope``, for screen readers)."""

    COL = "col"
    COLGROUP = "colgroup"
    ROW = "row"


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell: its lines, the footnote numbers written after them (superscript), how many
    columns and rows it spans, and ``scope`` when it is a header."""

    lines: tuple[str, ...]
    marks: tuple[int, ...] = ()
    colspan: int = 1
    rowspan: int = 1
    scope: Scope | None = None
    wide: bool = False  # text that reads as prose (a narrative, "No studies ..."): left aligned

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True, slots=True)
class Grid:
    """A table: header rows, body groups (one per outcome, kept together on a page), the
    columns' relative widths, and a caption."""

    caption: str
    header: tuple[tuple[Cell, ...], ...]
    groups: tuple[tuple[tuple[Cell, ...], ...], ...]
    widths: tuple[float, ...]

    @property
    def columns(self) -> int:
        return len(self.widths)


def cell(
    *lines: str,
    marks: Sequence[int] = (),
    colspan: int = 1,
    rowspan: int = 1,
    scope: Scope | None = None,
    wide: bool = False,
) -> Cell:
    return Cell(tuple(lines), tuple(sorted(set(marks))), colspan, rowspan, scope, wide)


def placed(rows: Sequence[Sequence[Cell]], columns: int) -> Iterator[tuple[int, int, Cell]]:
    """(row, column, cell) for each cell of ``rows`` written as HTML writes them: a cell that
    spans rows takes its column in the rows below, whose cells move right of it."""
    taken: set[tuple[int, int]] = set()
    for r, row in enumerate(rows):
        column = 0
        for item in row:
            while (r, column) in taken:
                column += 1
            if column + item.colspan > columns:
                raise ValueError(f"row {r} has more than {columns} columns")
            taken.update(
                (r + dr, column + dc) for dr in range(item.rowspan) for dc in range(item.colspan)
            )
            yield r, column, item
            column += item.colspan


# --- Summary of findings ----------------------------------------------------------------------

SOF_WIDTHS = (14.0, 10.5, 10.5, 12.5, 10.0, 10.0, 10.5, 22.0)  # percent of the width; Comments wide


def sof_header(table: SofTable) -> tuple[tuple[Cell, ...], ...]:
    intervention, comparison = _short(table.intervention), _short(table.comparison)
    return (
        (
            cell("Outcomes", rowspan=2, scope=Scope.COL),
            cell("Anticipated absolute effects* (95% CI)", colspan=3, scope=Scope.COLGROUP),
            cell("Relative effect", "(95% CI)", rowspan=2, scope=Scope.COL),
            cell("№ of participants", "(studies)", rowspan=2, scope=Scope.COL),
            cell("Certainty of the evidence", "(GRADE)", rowspan=2, scope=Scope.COL),
            cell("Comments", rowspan=2, scope=Scope.COL),
        ),
        (
            cell(f"Risk with {comparison}", scope=Scope.COL),
            cell(f"Risk with {intervention}", scope=Scope.COL),
            cell(f"Risk difference with {intervention}", scope=Scope.COL),
        ),
    )


def sof_grid(table: SofTable) -> Grid:
    groups = tuple(sof_rows(row) for row in table.rows)
    return Grid(table.title, sof_header(table), groups, SOF_WIDTHS)


def certainty_marks(row: SofRow) -> tuple[int, ...]:
    """The footnotes that say why the certainty is what it is: every domain's (none for an
    outcome without studies, which has no certainty to explain)."""
    if not row.grade.evidence.has_studies:
        return ()
    return tuple(n for numbers in row.domain_footnotes.values() for n in numbers)


def sof_rows(row: SofRow) -> tuple[tuple[Cell, ...], ...]:
    """One outcome's rows: one per comparator risk (at least one)."""
    grade = row.grade
    effects = _effect_rows(grade)
    span = len(effects)
    first = (
        cell(*outcome_lines(grade.evidence), marks=row.footnotes, rowspan=span, scope=Scope.ROW),
        *effects[0],
    )
    if not effects[0] or effects[0][-1].colspan < 4:
        first += (
            cell(relative_text(grade.relative) if grade.relative else NOT_AVAILABLE, rowspan=span),
        )
    first += (
        cell(participants_text(grade.evidence), rowspan=span),
        cell(*_certainty_lines(grade), marks=certainty_marks(row), rowspan=span),
        cell(*_comments(grade), rowspan=span, wide=True),
    )
    return (first, *effects[1:])


def _certainty_lines(grade: OutcomeGrade) -> tuple[str, ...]:
    """GRADEpro's two lines: the circles, then the level ("⊕⊕◯◯", "Low")."""
    text = certainty_text(grade)
    return tuple(text.split(" ", 1)) if grade.certainty is not None else (text,)


def _effect_rows(grade: OutcomeGrade) -> list[tuple[Cell, ...]]:
    """The absolute-effect cells per comparator risk; a continuous outcome's comparator mean
    and mean difference; or one cell across the effect columns (and the relative effect's)."""
    if not grade.evidence.has_studies:
        return [(cell(NO_STUDIES, colspan=4, wide=True),)]
    if grade.absolute:
        return [
            (cell(effect.baseline.label, texts[0]), cell(texts[1]), cell(texts[2]))
            for effect in grade.absolute
            for texts in [absolute_texts(effect)]
        ]
    if grade.continuous is not None:
        name = grade.evidence.name
        return [
            (
                cell(comparator_mean_text(grade.continuous, name)),
                cell(continuous_text(grade.continuous), colspan=2),
            )
        ]
    if grade.relative is not None:
        return [(cell(NOT_AVAILABLE), cell(NOT_AVAILABLE), cell(NOT_AVAILABLE))]
    return [(cell(_synthesis(grade), colspan=4, wide=True),)]


def _synthesis(grade: OutcomeGrade) -> str:
    """What a row without a pooled effect says in the effect columns: the narrative
    synthesis, else the statement."""
    evidence = grade.evidence
    if evidence.source is EvidenceSource.NARRATIVE and evidence.narrative.strip():
        return evidence.narrative.strip()
    return grade.statement.strip() or NOT_AVAILABLE


def spans_effects(grade: OutcomeGrade) -> bool:
    """The row has no effect to show in numbers: one cell across the effect columns says
    "No studies..." or the synthesis in words."""
    return not grade.evidence.has_studies or not (
        grade.absolute or grade.continuous is not None or grade.relative is not None
    )


def _comments(grade: OutcomeGrade) -> tuple[str, ...]:
    """The plain-language statement (unless the effect columns already say it) and the
    comments."""
    statement = grade.statement.strip()
    said = ""  # what the effect columns already say in words
    if not grade.evidence.has_studies:
        said = NO_STUDIES
    elif spans_effects(grade):
        said = _synthesis(grade)
    shown = [statement] if statement and statement.rstrip(".") != said.rstrip(".") else []
    if grade.comments.strip():
        shown.append(grade.comments.strip())
    return tuple(shown) or ("",)


# --- Evidence profile -------------------------------------------------------------------------

PROFILE_WIDTHS = (5.5, 9.5, 7.0, 10.0, 8.5, 8.5, 10.0, 8.0, 10.0, 14.0, 7.5, 8.5)
_PROFILE_DOMAINS = DOWNGRADE_DOMAINS[:4]  # publication bias goes under "Other considerations"


def profile_header() -> tuple[tuple[Cell, ...], ...]:
    return (
        (
            cell("Certainty assessment", colspan=7, scope=Scope.COLGROUP),
            cell("№ of participants", rowspan=2, scope=Scope.COL),
            cell("Effect", colspan=2, scope=Scope.COLGROUP),
            cell("Certainty", rowspan=2, scope=Scope.COL),
            cell("Importance", rowspan=2, scope=Scope.COL),
        ),
        (
            cell("№ of studies", scope=Scope.COL),
            cell("Study design", scope=Scope.COL),
            *(cell(domain.label, scope=Scope.COL) for domain in _PROFILE_DOMAINS),
            cell("Other considerations", scope=Scope.COL),
            cell("Relative", "(95% CI)", scope=Scope.COL),
            cell("Absolute", "(95% CI)", scope=Scope.COL),
        ),
    )


def profile_grid(table: SofTable) -> Grid:
    groups = tuple(profile_rows(row, table.footnotes) for row in table.rows)
    return Grid(table.title, profile_header(), groups, PROFILE_WIDTHS)


def profile_rows(row: SofRow, footnotes: Sequence[str] = ()) -> tuple[tuple[Cell, ...], ...]:
    """The outcome's title row across the table, then its row of judgements."""
    grade = row.grade
    lines = outcome_lines(grade.evidence)
    title = cell(
        lines[0] + (f" ({'; '.join(lines[1:])})" if len(lines) > 1 else ""),
        marks=row.footnotes,
        colspan=len(PROFILE_WIDTHS),
        scope=Scope.ROW,
        wide=True,
    )
    importance = cell(importance_text(grade.evidence.importance))
    if not grade.evidence.has_studies:
        return ((title,), (cell(NO_STUDIES, colspan=11, wide=True), importance))
    certainty = cell(*_certainty_lines(grade))
    effect = _profile_effect(grade)
    return ((title,), (*_assessment(row), *effect, certainty, importance))


def _assessment(row: SofRow) -> tuple[Cell, ...]:
    grade = row.grade
    ratings = {domain_row.domain: domain_row for domain_row in grade.domains}
    notes = row.domain_footnotes
    domains = tuple(
        cell(rating_text(ratings[domain]), marks=notes.get(domain, ()))
        if domain in ratings
        else cell(NOT_AVAILABLE)
        for domain in _PROFILE_DOMAINS
    )
    return (
        cell(str(len(grade.evidence.studies))),
        cell(design_text(grade.evidence)),
        *domains,
        cell(
            other_considerations_text(grade),
            marks=[n for domain in OTHER_DOMAINS for n in notes.get(domain, ())],
        ),
    )


def _profile_effect(grade: OutcomeGrade) -> tuple[Cell, ...]:
    """Participants, relative and absolute effect; a synthesis in words across both effect
    columns."""
    participants = cell(participants_count_text(grade.evidence))
    relative = cell(relative_text(grade.relative) if grade.relative else NOT_AVAILABLE)
    if grade.absolute:
        labelled = len(grade.absolute) > 1
        lines = [
            f"{effect.baseline.label}: {texts[2]}" if labelled else texts[2]
            for effect in grade.absolute
            for texts in [absolute_texts(effect)]
        ]
        return (participants, relative, cell(*lines))
    if grade.continuous is not None:
        return (participants, relative, cell(continuous_text(grade.continuous)))
    if grade.relative is not None:
        return (participants, relative, cell(NOT_AVAILABLE))
    return (participants, cell(_synthesis(grade), colspan=2, wide=True))


# --- around the table -------------------------------------------------------------------------


def _short(text: str) -> str:
    """A column header's name for an arm: its text before any bracket ("Kratom (Mitragyna
    speciosa)" -> "kratom"), lower case unless it is an acronym."""
    name = (text.split("(")[0].strip() or text.strip()).rstrip(".")
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


def question_lines(table: SofTable) -> tuple[tuple[str, str], ...]:
    """GRADEpro's block above the table: (label, text) for the population, setting,
    intervention and comparison (those given)."""
    pairs = (
        ("Patient or population", table.population),
        ("Setting", table.setting),
        ("Intervention", table.intervention),
        ("Comparison", table.comparison),
    )
    return tuple((label, text) for label, text in pairs if text.strip())


def status_line(table: SofTable) -> str:
    """Whether this is the published table (when, by whom) or the current draft."""
    if table.published_at:
        who = f" by {table.published_by}" if table.published_by else ""
        return f"Published {table.published_at[:10]}{who}."
    return "Draft: the current judgements, not published."


@dataclass(frozen=True, slots=True)
class Notes:
    """What follows the table: GRADEpro's explanation of the absolute effects (SoF only), the
    abbreviations, the GRADE Working Group's grades, and the numbered footnotes."""

    explanation: str
    abbreviations: str
    grades: tuple[str, ...]
    footnotes: tuple[str, ...]


def table_notes(table: SofTable, *, profile: bool) -> Notes:
    has_risks = any(row.grade.absolute for row in table.rows)
    measures = [
        effect.measure
        for row in table.rows
        for effect in (row.grade.relative, row.grade.continuous)
        if effect is not None
    ]
    return Notes(
        # the asterisk's explanation, where a row shows risks computed from a relative effect
        explanation=RISK_EXPLANATION if has_risks and not profile else "",
        abbreviations=abbreviations_text(measures),
        grades=tuple(grade_definition(certainty) for certainty in Certainty),
        footnotes=table.footnotes,
    )
