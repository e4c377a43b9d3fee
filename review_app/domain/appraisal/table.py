"""The risk-of-bias files' layouts: copies of assessments as rows, and rows back as copies (pure).

``review-app export rob`` writes, and ``review-app import rob`` reads, two layouts:

- the **full** layout, one row per copy (:class:`~review_app.domain.appraisal.model.
  ResultAssessment`: one study's assessment of one outcome, or of all its outcomes, by one
  assessor or the consensus): the copy's study, outcome, assessor, tool, variant and status,
  then per domain its signalling answers (one column per question, named by its official
  number as ``rob judge`` names them: ``1.1``, ``1.2``...), its judgement (``D1``) and its support
  text (``D1 support``), then ``Overall`` and ``Overall support``. Written then read, the copies
  come back equal (``tests/domain/test_appraisal_table.py`` checks it on generated copies); a
  domain holding no answer, judgement or support is not written, so it is not read back.
- the **robvis** layout (McGuinness & Higgins, Res Synth Methods 2021;12:55-61: the input of
  robvis's ``rob_traffic_light`` and ``rob_summary``), one table per outcome from the consensus:
  ``Study``, the tool's domains (``D1``...``D5`` for RoB 2, ``D1``...``D7`` for ROBINS-I),
  ``Overall``, ``Weight``. Read back, it gives consensus copies holding judgements only (teams
  moving from the RoB 2 Excel tool or Covidence have no more); the weight is not read (it comes
  from the analysis).

Every column is declared once, with its meaning (:func:`full_columns`, :data:`ROBVIS_COLUMNS`);
the README's "Risk of bias files" section is made from them by :func:`columns_markdown`. Reading
lists every problem with its row (as a spreadsheet numbers it) and column; it checks the layout
(columns, words, a tool's questions and scale), not whether an assessment is finished, which
is ``assessment.problems``'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from review_app.domain.appraisal.judge import number_key
from review_app.domain.appraisal.model import ALL_OUTCOMES, DomainAssessment, ResultAssessment
from review_app.domain.appraisal.plots import OVERALL_SHORT, RobTable
from review_app.domain.appraisal.tool import Answer, Question, Tool, recordable_answers
from review_app.domain.appraisal.tools import TOOLS
from review_app.errors import Problem

Cell = str | float | None  # a cell as written: text, a number (the weight), or empty
Row = tuple[int, Sequence[str]]  # (the row's number as a spreadsheet shows it, its cells)
STUDY, OUTCOME, ASSESSOR, TOOL, VARIANT, COMPLETE = (
    "study", "outcome", "assessor", "tool", "variant", "complete"
)  # fmt: skip
OVERALL = OVERALL_SHORT
SUPPORT_SUFFIX = " support"  # "D1 support", "Overall support"
OVERALL_SUPPORT = OVERALL + SUPPORT_SUFFIX
ROBVIS_STUDY, WEIGHT = "Study", "Weight"
YES, NO = "yes", "no"
TEXT_MARK = "'"  # a spreadsheet's "this cell is text" mark: dropped once when read
FULL_SHEET = "Assessments"  # the workbook's sheet of the full layout (its first)
ROBVIS_SHEET = "robvis {outcome}"  # then one sheet per outcome in the robvis layout
_ANSWER_WORDS = {
    **{answer.value.casefold(): answer for answer in Answer},
    **{answer.label.casefold(): answer for answer in Answer},
}


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a risk-of-bias file: its name and what it holds."""

    name: str
    meaning: str


COPY_COLUMNS = (
    Column(STUDY, "The study's label as on the Studies page"),
    Column(OUTCOME, "The protocol outcome's id the result belongs to; `*` for the domains "
           "that hold for all of the study's outcomes (an outcome's own row overrides them "
           "domain by domain)"),
    Column(ASSESSOR, "The assessor's user name; empty for the consensus"),
    Column(TOOL, f"The tool's id: {', '.join(TOOLS)}"),
    Column(VARIANT, "The tool's variant ("
           + "; ".join(f"{t.name}: {', '.join(v.id for v in t.variants)}" for t in TOOLS.values())
           + "); empty: the tool's first"),
    Column(COMPLETE, "yes when the assessor marked the copy complete; empty or no otherwise"),
)  # fmt: skip


def answers_meaning(tools: Sequence[Tool], number: str = "k.n") -> str:
    """What a question's column holds: the answers each tool allows (a question allows some of
    them, NA only where it is conditional), grouped by the tools that allow the same ones."""
    by_answers: dict[tuple[Answer, ...], list[str]] = {}
    for tool in tools:
        by_answers.setdefault(tool.answers, []).append(tool.name)
    allowed = "; ".join(
        f"{', '.join(names)}: {', '.join(answers)}" for answers, names in by_answers.items()
    )
    return (
        f"The answer to question {number} of the row's tool (its official number), one that the "
        f"question allows ({allowed}; or the words: Probably yes...); empty: not answered"
    )


ROBVIS_COLUMNS = (
    Column(ROBVIS_STUDY, "The study's label"),
    Column("D1 ... Dn", "The consensus judgement of each domain of the tool ("
           + "; ".join(f"{t.name}: {', '.join(d.id for d in t.domains)}" for t in TOOLS.values())
           + "), its domains' own outcome copy else the all-outcomes one"),
    Column(OVERALL, "The consensus overall judgement"),
    Column(WEIGHT, "The study's weight in the outcome's analysis, when there is one (not read "
           "by the import)"),
)  # fmt: skip


def support_column(domain_id: str) -> str:
    return f"{domain_id}{SUPPORT_SUFFIX}"


def tools_of(copies: Iterable[ResultAssessment]) -> tuple[Tool, ...]:
    """The tools the copies use, in the registry's order; every tool when there is no copy."""
    used = {copy.tool for copy in copies}
    return tuple(tool for tool_id, tool in TOOLS.items() if tool_id in used or not used)


def _domain_questions(tools: Sequence[Tool]) -> dict[str, list[str]]:
    """Domain id -> its question numbers across ``tools`` and their variants, in number order;
    a tool's triage (ROBINS-I V2: ``B`` with ``B1``-``B3``) first, as it is assessed first."""
    numbers: dict[str, set[str]] = {}
    for triage in (tool.triage for tool in tools if tool.triage):
        numbers.setdefault(triage.id, set()).update(q.number for q in triage.questions)
    for tool in tools:
        variants = [variant.id for variant in tool.variants] or [""]
        for variant in variants:
            for domain in tool.domains_for(variant):
                numbers.setdefault(domain.id, set()).update(q.number for q in domain.questions)
    return {domain: sorted(found, key=number_key) for domain, found in numbers.items()}


def full_columns(tools: Sequence[Tool]) -> tuple[Column, ...]:
    """The full layout's columns for copies of ``tools``, in order, each with its meaning."""
    columns = list(COPY_COLUMNS)
    names = {tool.id: tool.name for tool in tools}
    for domain_id, numbers in _domain_questions(tools).items():
        labels = sorted({d.label for t in tools for d in t.domains if d.id == domain_id})
        columns.extend(Column(number, answers_meaning(tools, number)) for number in numbers)
        columns.append(Column(domain_id, f"The judgement of {domain_id} ({'; '.join(labels)}) on "
                              "the tool's scale; empty: not judged yet"))  # fmt: skip
        columns.append(Column(support_column(domain_id), f"The support for {domain_id}'s "
                              "judgement: quotes from the report and reasons"))  # fmt: skip
    scales = "; ".join(f"{names[t.id]}: {', '.join(t.scale.ids)}" for t in tools)
    columns.append(Column(OVERALL, f"The overall judgement ({scales}); empty: not judged yet"))
    columns.append(Column(OVERALL_SUPPORT, "The support for the overall judgement"))
    return tuple(columns)


def full_header(tools: Sequence[Tool]) -> list[str]:
    return [column.name for column in full_columns(tools)]


# --- copies -> rows -----------------------------------------------------------------------------


def full_rows(copies: Iterable[ResultAssessment], tools: Sequence[Tool]) -> list[list[Cell]]:
    """One row per copy, in ``full_header(tools)``'s order (``tools`` holds every copy's)."""
    header = full_header(tools)
    return [[cells.get(name) for name in header] for cells in map(_copy_cells, copies)]


def _copy_cells(copy: ResultAssessment) -> dict[str, Cell]:
    cells: dict[str, Cell] = {
        STUDY: _text_cell(copy.study),
        OUTCOME: _text_cell(copy.outcome_id),
        ASSESSOR: _text_cell(copy.assessor or ""),
        TOOL: copy.tool,
        VARIANT: copy.variant or None,
        COMPLETE: YES if copy.complete else None,
        OVERALL: copy.overall,
        OVERALL_SUPPORT: _text_cell(copy.overall_support),
    }
    for domain in copy.domains:
        cells.update({number: str(answer) for number, answer in domain.answers.items()})
        cells[domain.domain] = domain.judgement
        cells[support_column(domain.domain)] = _text_cell(domain.support)
    return cells


def _text_cell(text: str) -> str | None:
    """Text as written, empty as None; text starting with ``'`` gets one more, because the
    reader drops a leading ``'`` (the mark a spreadsheet export puts before formula-like text)."""
    if not text:
        return None
    return TEXT_MARK + text if text.startswith(TEXT_MARK) else text


def robvis_header(table: RobTable) -> list[str]:
    return [ROBVIS_STUDY, *(domain.short for domain in table.domains), OVERALL, WEIGHT]


def robvis_rows(table: RobTable) -> list[list[Cell]]:
    """One row per study of ``table`` (what the plots draw), in robvis's layout."""
    return [[_text_cell(row.study), *row.judgements, row.overall, row.weight] for row in table.rows]


# --- rows -> copies -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReadCopy:
    """A copy read from a file, with its row (to name it in problems found later)."""

    copy: ResultAssessment
    row: int


@dataclass(frozen=True, slots=True)
class TableRead:
    copies: list[ReadCopy]
    problems: list[Problem]


def is_robvis(columns: Sequence[str]) -> bool:
    """Whether a header is robvis's (``Study``, domains, ``Overall``) rather than the full one."""
    names = {name.strip().casefold() for name in columns}
    first = columns[0].strip().casefold() if columns else ""
    return first == STUDY and not names & {TOOL, OUTCOME, ASSESSOR}


def read_full(
    columns: Sequence[str], rows: Iterable[Row], *, source: str, header_row: int = 1
) -> TableRead:
    """Copies from the full layout's ``rows`` under the header ``columns``, and every problem."""
    positions, problems = _read_full_header(columns, source, header_row)
    if problems:
        return TableRead([], problems)
    copies: list[ReadCopy] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, cells in rows:
        named = _named_cells(positions, cells)
        if not named:
            continue
        reader = _RowReader(source, number, named)
        copy = reader.copy()
        problems.extend(reader.problems)
        if copy is None:
            continue
        key = (copy.study.casefold(), copy.outcome_id.casefold(), (copy.assessor or "").casefold())
        if key in seen:
            who = f"assessor {copy.assessor!r}" if copy.assessor else "the consensus"
            message = (
                f"{copy.study!r}, outcome {copy.outcome_id!r}, {who} is on row {seen[key]} "
                "already; one row per copy"
            )
            problems.append(Problem(source, message, line=number, field=STUDY))
        seen.setdefault(key, number)
        copies.append(ReadCopy(copy, number))
    return TableRead(copies, problems)


def _read_full_header(
    columns: Sequence[str], source: str, header_row: int
) -> tuple[dict[int, str], list[Problem]]:
    """Each position's column name, as the layout spells it (names match without case)."""
    known = {name.casefold(): name for name in full_header(tuple(TOOLS.values()))}
    positions: dict[int, str] = {}
    problems: list[Problem] = []
    for position, raw in enumerate(columns):
        name = raw.strip()
        column = known.get(name.casefold())
        if not name:
            continue
        if column is None:
            message = (
                "not a column of the risk-of-bias file; its columns are in the README "
                "(Risk of bias files)"
            )
            problems.append(Problem(source, message, line=header_row, field=name))
        elif column in positions.values():
            problems.append(Problem(source, "this column appears twice; keep one",
                                    line=header_row, field=name))  # fmt: skip
        else:
            positions[position] = column
    for needed in (STUDY, OUTCOME, TOOL):
        if needed not in positions.values():
            problems.append(
                Problem(source, f"a column {needed!r} is needed", line=header_row, field=needed)
            )
    return positions, problems


def _named_cells(positions: Mapping[int, str], cells: Sequence[str]) -> dict[str, str]:
    """Column -> the cell's text (one leading ``'`` dropped), for named non-blank cells."""
    named = {}
    for position, cell in enumerate(cells):
        if position in positions and cell and not cell.isspace():
            named[positions[position]] = cell[1:] if cell.startswith(TEXT_MARK) else cell
    return named


class _RowReader:
    """One row of the full layout read as a copy; each bad cell becomes a problem."""

    def __init__(self, source: str, number: int, cells: Mapping[str, str]) -> None:
        self.source, self.number, self.cells = source, number, cells
        self.problems: list[Problem] = []

    def problem(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.source, message, line=self.number, field=column))

    def word(self, column: str) -> str:
        return self.cells.get(column, "").strip()

    def copy(self) -> ResultAssessment | None:
        study, outcome = self.word(STUDY), self.word(OUTCOME)
        if not study:
            self.problem(STUDY, "the study is empty; give its label as on the Studies page")
        if not outcome:
            self.problem(OUTCOME, f"the outcome is empty; give a protocol outcome's id, or "
                         f"{ALL_OUTCOMES} for all of the study's outcomes")  # fmt: skip
        tool = self.tool()
        variant = self.variant(tool) if tool else None
        complete = self.complete()
        if tool is None or variant is None:
            return None
        domains = self.domains(tool, variant)
        overall = self.judgement(tool, OVERALL)
        if self.problems:
            return None
        return ResultAssessment(
            study=study,
            outcome_id=outcome,
            assessor=self.word(ASSESSOR) or None,
            tool=tool.id,
            variant=variant,
            domains=domains,
            overall=overall,
            overall_support=self.cells.get(OVERALL_SUPPORT, ""),
            complete=complete,
        )

    def tool(self) -> Tool | None:
        word = self.word(TOOL)
        tool = next((t for t in TOOLS.values() if word.casefold() in {t.id, t.name.casefold()}),
                    None)  # fmt: skip
        if tool is None:
            shown = f"{word!r} is not a tool" if word else "the tool is empty"
            self.problem(TOOL, f"{shown}; allowed are {', '.join(TOOLS)}")
        return tool

    def variant(self, tool: Tool) -> str | None:
        word = self.word(VARIANT)
        allowed = [variant.id for variant in tool.variants]
        if word and word not in allowed:
            choices = ", ".join(allowed) or f"none ({tool.name} has no variants)"
            self.problem(VARIANT, f"{word!r} is not a variant of {tool.name}; allowed: {choices}")
            return None
        return word

    def complete(self) -> bool:
        word = self.word(COMPLETE).casefold()
        if word not in ("", YES, NO):
            self.problem(COMPLETE, f"{self.word(COMPLETE)!r}: yes, no, or empty (no)")
        return word == YES

    def judgement(self, tool: Tool, column: str) -> str | None:
        word = self.word(column)
        if not word:
            return None
        level = next((i for i in tool.scale.ids if i.casefold() == word.casefold()), None)
        if level is None:
            self.problem(column, f"{word!r} is not a {tool.name} judgement; allowed: "
                         f"{', '.join(tool.scale.ids)}")  # fmt: skip
        return level

    def domains(self, tool: Tool, variant: str) -> tuple[DomainAssessment, ...]:
        domains = (*((tool.triage,) if tool.triage else ()), *tool.domains_for(variant))
        own = {q.number for d in domains for q in d.questions}
        strays = [c for c in self.cells if (c[:1].isdigit() or c in _TRIAGE_ITEMS) and c not in own]
        for number in sorted(strays, key=number_key):
            self.problem(number, f"{tool.name} ({variant or 'default'} variant) has no "
                         "question with this number; leave it empty")  # fmt: skip
        ids = {domain.id for domain in domains}
        named = {column.removesuffix(SUPPORT_SUFFIX) for column in self.cells}
        for domain_id in sorted(named & _DOMAIN_IDS - ids):
            self.problem(domain_id, f"{tool.name} has no domain {domain_id}; leave it empty")
        read = []
        for domain in domains:
            answers = {
                q.number: answer
                for q in domain.questions
                if (answer := self.answer(tool, q)) is not None
            }
            judgement = self.judgement(tool, domain.id)
            support = self.cells.get(support_column(domain.id), "")
            if answers or judgement or support:
                read.append(DomainAssessment(domain.id, answers, judgement, support))
        return tuple(read)

    def answer(self, tool: Tool, question: Question) -> Answer | None:
        """The cell's answer to ``question``, if it is one the question may hold."""
        word = self.word(question.number)
        if not word:
            return None
        answer = _ANSWER_WORDS.get(word.casefold())
        allowed = recordable_answers(question)
        if answer not in allowed:
            self.problem(question.number, f"{word!r} is not an answer {tool.name} allows to "
                         f"{question.number}; allowed: {', '.join(allowed)}, or empty")  # fmt: skip
            return None
        return answer


def read_robvis(
    columns: Sequence[str],
    rows: Iterable[Row],
    *,
    outcome_id: str,
    source: str,
    header_row: int = 1,
) -> TableRead:
    """Consensus copies of ``outcome_id`` holding judgements only, from robvis's layout (the
    header names the tool: its domains, D1-D5 RoB 2, D1-D7 ROBINS-I), and every problem."""
    names = [name.strip() for name in columns]
    tool, problems = _robvis_tool(names, source, header_row)
    if tool is None:
        return TableRead([], problems)
    canonical = {name.casefold(): name for name in (ROBVIS_STUDY, *_domain_ids(tool), OVERALL)}
    positions = {
        index: canonical[name.casefold()]
        for index, name in enumerate(names)
        if name.casefold() in canonical
    }
    copies: list[ReadCopy] = []
    seen: dict[str, int] = {}
    for number, cells in rows:
        named = _named_cells(positions, cells)
        if not named:
            continue
        reader = _RowReader(source, number, named)
        copy = _robvis_copy(reader, tool, outcome_id)
        problems.extend(reader.problems)
        if copy is None:
            continue
        if copy.study.casefold() in seen:
            message = f"{copy.study!r} is on row {seen[copy.study.casefold()]} already"
            problems.append(Problem(source, message, line=number, field=ROBVIS_STUDY))
        seen.setdefault(copy.study.casefold(), number)
        copies.append(ReadCopy(copy, number))
    return TableRead(copies, problems)


def _robvis_tool(
    names: Sequence[str], source: str, header_row: int
) -> tuple[Tool | None, list[Problem]]:
    """The tool whose domains are the header's columns between Study and Overall."""
    folded = [name.casefold() for name in names]
    if not folded or folded[0] != ROBVIS_STUDY.casefold() or OVERALL.casefold() not in folded:
        message = "robvis's layout starts with Study, then the domains (D1...), Overall and Weight"
        return None, [Problem(source, message, line=header_row, field=names[0] if names else None)]
    domains = folded[1 : folded.index(OVERALL.casefold())]
    for tool in TOOLS.values():
        if domains == [domain_id.casefold() for domain_id in _domain_ids(tool)]:
            return tool, []
    allowed = "; ".join(f"{t.name}: {', '.join(d.id for d in t.domains)}" for t in TOOLS.values())
    message = (
        f"the domain columns {', '.join(names[1 : len(domains) + 1])} are no tool's ({allowed})"
    )
    return None, [Problem(source, message, line=header_row)]


def _domain_ids(tool: Tool) -> list[str]:
    return [domain.id for domain in tool.domains]


_DOMAIN_IDS = frozenset(domain.id for tool in TOOLS.values() for domain in tool.every_domain())
_TRIAGE_ITEMS = frozenset(
    q.number for tool in TOOLS.values() if tool.triage for q in tool.triage.questions
)


def _robvis_copy(reader: _RowReader, tool: Tool, outcome_id: str) -> ResultAssessment | None:
    study = reader.word(ROBVIS_STUDY)
    if not study:
        reader.problem(ROBVIS_STUDY, "the study is empty; give its label as on the Studies page")
    domains = []
    for domain in tool.domains:
        judgement = reader.judgement(tool, domain.id)
        if judgement:
            domains.append(DomainAssessment(domain.id, judgement=judgement))
    overall = reader.judgement(tool, OVERALL)
    if reader.problems:
        return None
    return ResultAssessment(
        study=study,
        outcome_id=outcome_id,
        assessor=None,
        tool=tool.id,
        domains=tuple(domains),
        overall=overall,
    )


# --- documentation ------------------------------------------------------------------------------


def _question_range(tool: Tool) -> str:
    """The tool's first and last question numbers, "1.1-5.3" (a domain may have none), after
    its triage's ("B1-B3, 1.1-7.3")."""
    triage = tool.triage.id if tool.triage else None
    spans = [
        sorted((n for d, found in _domain_questions([tool]).items() if keep(d) for n in found),
                key=number_key)
        for keep in (lambda d: d == triage, lambda d: d != triage)
    ]  # fmt: skip
    return ", ".join(f"{numbers[0]}-{numbers[-1]}" for numbers in spans if numbers)


def _domain_span(names: Sequence[str]) -> str:
    """The numbered domains' columns as a span, then the others: "`D1` ... `D7`, `DS`"."""
    numbered = [name for name in names if name[1:2].isdigit()]
    others = [f"`{name}`" for name in names if name not in numbered]
    return ", ".join([f"`{numbered[0]}` ... `{numbered[-1]}`", *others])


def columns_markdown() -> str:
    """The README's "Risk of bias files" section (between its ``rob-columns`` markers; a test
    checks they agree)."""
    tools = tuple(TOOLS.values())
    questions = _domain_questions(tools)
    scales = "; ".join(f"{t.name}: {', '.join(t.scale.ids)}" for t in tools)
    lines = [
        "<!-- rob-columns: made by `python -m review_app.domain.appraisal.table` -->",
        "",
        "`review-app export rob -o PATH.csv|.xlsx` writes every copy of every assessment (each",
        "assessor's and the consensus) in the full layout: a CSV file, or the XLSX file's first",
        f"sheet ({FULL_SHEET}); the XLSX file then has one sheet per protocol outcome",
        "(`robvis OUTCOME`) in robvis's layout, from the consensus. `review-app import rob",
        "PATH.csv|.xlsx --as USER` reads either layout (a workbook's first sheet): the full one",
        "replaces the copies the file names, answers and all; robvis's (`--outcome ID` names",
        "the outcome) gives consensus copies with judgements only, for teams moving from the",
        "RoB 2 Excel tool or Covidence. The whole file or nothing; every problem is listed with",
        "its row (the header is row 1) and column. Column names match without regard to case;",
        "a cell starting with `'` loses that mark when read (spreadsheets' text mark).",
        "",
        "Full layout, one row per copy:",
        "",
        "| column | meaning |",
        "| --- | --- |",
    ]
    lines.extend(f"| `{column.name}` | {column.meaning} |" for column in COPY_COLUMNS)
    ranges = "; ".join(f"{t.name} {_question_range(t)}" for t in tools)
    lines += [
        f"| `1.1`, `1.2`, ... | One column per signalling question ({ranges}): "
        f"{answers_meaning(tools)} |",
        f"| {_domain_span(list(questions))} | Each domain's judgement on the row's "
        f"tool's scale ({scales}); empty: not judged yet |",
        f"| {_domain_span([support_column(d) for d in questions])} | Each "
        "domain's support: quotes from the report and reasons (needed for an override) |",
    ]
    lines.append(f"| `{OVERALL}`, `{OVERALL_SUPPORT}` | The overall judgement and its support |")
    lines += ["", "robvis layout, one row per study, per outcome:", "", "| column | meaning |",
              "| --- | --- |"]  # fmt: skip
    lines.extend(f"| `{column.name}` | {column.meaning} |" for column in ROBVIS_COLUMNS)
    lines += ["", "<!-- /rob-columns -->"]
    return "\n".join(lines)


if __name__ == "__main__":
    print(columns_markdown(), end="")
