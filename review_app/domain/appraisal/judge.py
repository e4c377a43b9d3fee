"""A table of signalling answers judged by a tool's algorithms (pure): the part of
``review-app rob judge ANSWERS.csv -o OUT.csv --tool ID`` (a tool of ``tools.TOOLS``) that reads
no file.

Columns of the input, one row per result assessed:

- ``study`` (needed), ``outcome`` (optional), ``variant`` (optional: one of the tool's variants,
  e.g. ``assignment`` or ``adherence``; empty is the first, the effect of assignment);
- one column per signalling question, named by its official number (``1.1``, ..., ``5.3``),
  holding Y, PY, PN, N, NI or NA (ROBINS-I V2 also SY, WY, WN, SN; or the words: "Probably
  yes", ...; any case), or nothing for a question that is not asked;
- for a tool with a triage (ROBINS-I V2: ``B1``-``B3``), its answers: where they end the
  assessment (Critical), the domain columns stay empty, their answers are not needed and
  ``Overall`` is that judgement;
- optionally a domain's column (``D1``...): a tool that leaves a domain's judgement to the
  assessor (ROBINS-I 2016 mostly) takes it from there; where the algorithm proposes one, a
  different value there is refused (an override belongs in the assessment, with support text);
- any other column is carried through unchanged.

:func:`judge` returns the rows with the domain columns and ``Overall`` filled in, or raises
:class:`~review_app.errors.ProblemsError` listing every problem with its line (the header is
line 1) and column, so that nothing is written from a table the algorithms cannot use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from review_app.domain.appraisal.tool import (
    PROCEED,
    Answer,
    Domain,
    Tool,
    check_answers,
    overall,
    propose,
)
from review_app.errors import Problem, ProblemsError

STUDY, OUTCOME, VARIANT, OVERALL = "study", "outcome", "variant", "Overall"
_ProblemMaker = Callable[[str, str], Problem]  # problem(column, message) on the current line
_QUESTION_LIKE = re.compile(r"^\d+\.\d+$")
_ANSWER_WORDS = {
    **{answer.value.casefold(): answer for answer in Answer},
    **{answer.label.casefold(): answer for answer in Answer},
}


def output_columns(tool: Tool, columns: Sequence[str]) -> list[str]:
    """The output's columns: the input's, then each domain and Overall not already there."""
    added = [d.id for d in tool.domains] + [OVERALL]
    return [*columns, *(c for c in added if c not in columns)]


def judge(
    tool: Tool,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, str | None]],
    *,
    source: str = "answers",
) -> list[dict[str, str]]:
    """``rows`` with every domain's judgement and the overall one (see the module docstring)."""
    problems = _check_columns(tool, columns, source)
    judged = []
    for index, row in enumerate(rows):
        cells = {k: (v or "").strip() for k, v in row.items()}
        result, row_problems = _judge_row(tool, cells, source, line=index + 2)
        problems.extend(row_problems)
        judged.append(result)
    if problems:
        raise ProblemsError(problems, summary=f"{len(problems)} problem(s); nothing was written")
    return judged


def _check_columns(tool: Tool, columns: Sequence[str], source: str) -> list[Problem]:
    numbers = _tool_questions(tool)
    problems = []
    if STUDY not in columns:
        problems.append(Problem(source, "a column 'study' is needed", line=1, field=STUDY))
    for column in columns:
        if _QUESTION_LIKE.match(column) and column not in numbers:
            allowed = ", ".join(sorted(numbers, key=number_key))
            message = f"{tool.name} has no question {column} (its questions: {allowed})"
            problems.append(Problem(source, message, line=1, field=column))
    return problems


def _tool_questions(tool: Tool) -> set[str]:
    return {q.number for d in tool.every_domain() for q in d.questions}


def number_key(number: str) -> tuple[str, tuple[int, ...]]:
    """Sort key: 1.10 after 1.9; triage items (B1...) by their letter, then number."""
    letters = number.rstrip("0123456789.")
    return letters, tuple(int(part) for part in number[len(letters) :].split("."))


def _judge_row(
    tool: Tool, cells: Mapping[str, str], source: str, *, line: int
) -> tuple[dict[str, str], list[Problem]]:
    def problem(column: str, message: str) -> Problem:
        return Problem(source, message, line=line, field=column)

    result = dict(cells)
    problems = []
    if not cells.get(STUDY):
        problems.append(problem(STUDY, "the study is empty"))
    variant = cells.get(VARIANT, "")
    allowed_variants = [v.id for v in tool.variants]
    if variant and variant not in allowed_variants:
        allowed = ", ".join(allowed_variants) or f"none ({tool.name} has no variants)"
        problems.append(problem(VARIANT, f"{variant!r} is not a variant; allowed: {allowed}"))
        return result, problems
    domains = tool.domains_for(variant or None)
    triage = (tool.triage,) if tool.triage else ()
    answers, answer_problems = _answers(tool, (*triage, *domains), cells, problem)
    problems.extend(answer_problems)
    if tool.triage:
        ended, triage_problems = _triage(tool.triage, answers, problem)
        problems.extend(triage_problems)
        if ended:
            result.update({domain.id: "" for domain in domains if not cells.get(domain.id)})
            result[OVERALL] = ended
            return result, problems
    judgements = []
    for domain in domains:
        judgement, domain_problems = _judge_domain(tool, domain, answers, cells, problem)
        problems.extend(domain_problems)
        judgements.append(judgement)
        result[domain.id] = judgement or ""
    result[OVERALL] = overall(tool, judgements) or ""
    return result, problems


def _answers(
    tool: Tool, domains: Sequence[Domain], cells: Mapping[str, str], problem: _ProblemMaker
) -> tuple[dict[str, Answer], list[Problem]]:
    """The row's answers by question number; cells that are no answer, or answer a question of
    another variant, are problems."""
    own = {q.number for d in domains for q in d.questions}
    answers: dict[str, Answer] = {}
    problems = []
    for number in sorted(_tool_questions(tool) & set(cells), key=number_key):
        text = cells[number]
        if not text:
            continue
        answer = _ANSWER_WORDS.get(text.casefold())
        if answer is None:
            allowed = "/".join(tool.answers)
            problems.append(problem(number, f"{text!r} is not an answer ({allowed}, or empty)"))
        elif number not in own:
            if answer is not Answer.NA:
                message = f"answered {answer} but belongs to another variant than this row's"
                problems.append(problem(number, message))
        else:
            answers[number] = answer
    return answers, problems


def _triage(
    triage: Domain, answers: Mapping[str, Answer], problem: _ProblemMaker
) -> tuple[str | None, list[Problem]]:
    """The judgement the triage ends the assessment with (None: the domains are assessed, or
    the triage answers cannot be used, which are then the problems)."""
    own = {q.number: a for q in triage.questions if (a := answers.get(q.number)) is not None}
    problems = [problem(p.question, p.message) for p in check_answers(triage, own)]
    proposed = None if problems else propose(triage, own)
    return (None if proposed == PROCEED else proposed), problems


def _judge_domain(
    tool: Tool,
    domain: Domain,
    answers: Mapping[str, Answer],
    cells: Mapping[str, str],
    problem: _ProblemMaker,
) -> tuple[str | None, list[Problem]]:
    own = {q.number: a for q in domain.questions if (a := answers.get(q.number)) is not None}
    problems = [problem(p.question, p.message) for p in check_answers(domain, own)]
    if problems:
        return None, problems
    proposed = propose(domain, own)
    given = cells.get(domain.id, "")
    if proposed is None:
        if not given:
            message = "the tool leaves this judgement to the assessor: fill in this column"
            return None, [problem(domain.id, message)]
        if given not in tool.scale.ids:
            allowed = ", ".join(tool.scale.ids)
            return None, [problem(domain.id, f"{given!r} is not a judgement; allowed: {allowed}")]
        return given, []
    if given and given != proposed:
        message = (
            f"{given!r} given, but the answers give {proposed!r} (an override belongs in "
            "the assessment, with support text)"
        )
        return proposed, [problem(domain.id, message)]
    return proposed, []
