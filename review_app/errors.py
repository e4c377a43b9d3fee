"""Errors that reach people. Every message says what was wrong, where, and what is allowed.

The CLI prints ``str(error)`` and exits 1; the web app shows it with ``st.error``.
"""

from __future__ import annotations

from dataclasses import dataclass


class ReviewAppError(Exception):
    """Base class for every error a user can act on."""


class ConfigError(ReviewAppError):
    """A setting (environment variable or option) has a value that is not allowed."""


class NotFoundError(ReviewAppError):
    """A review, user, record or batch that was asked for does not exist."""


class PermissionDeniedError(ReviewAppError):
    """The acting user's role does not allow this action."""


class ConflictError(ReviewAppError):
    """The action clashes with existing data (a name taken, a file already imported...)."""


class ValidationError(ReviewAppError):
    """A value given by a person is not allowed."""


class DatabaseBusyError(ReviewAppError):
    """The database could not take the action now (locked, every connection in use, or a clash
    with another person's save); nothing of it was written and trying again later is right.

    ``reason`` is ``locked``, ``pool``, ``serialization`` or ``deadlock``; ``retryable`` says
    whether running the same unit of work again at once may succeed; ``busy`` is how many of this
    server's connections were in use.
    """

    def __init__(
        self, message: str, *, reason: str = "locked", retryable: bool = False, busy: int = 0
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.retryable = retryable
        self.busy = busy


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file: where it is and what is allowed."""

    source: str  # file name (or protocol path)
    message: str
    line: int | None = None  # 1-based line in the file, when known
    record: int | None = None  # 1-based record number in the file, when known
    field: str | None = None  # key or field name, when known

    def __str__(self) -> str:
        where = [self.source]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.record is not None:
            where.append(f"record {self.record}")
        if self.field:
            where.append(self.field)
        return f"{', '.join(where)}: {self.message}"


class ProblemsError(ReviewAppError):
    """Several problems found in one input; nothing was written."""

    def __init__(self, problems: list[Problem], *, summary: str | None = None) -> None:
        self.problems = list(problems)
        head = summary or f"{len(self.problems)} problem(s) found; nothing was written"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class ProtocolError(ProblemsError):
    """A protocol file is invalid; lists every bad key."""


class ImportFileError(ProblemsError):
    """A search-result file cannot be imported as it is."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One thing wrong with a form a person filled in: where on it, which field, what is allowed.

    ``where`` names the part of the form ("characteristics", "design", "arm 'Placebo'", "Pain
    intensity at '1 h', arm 'Kratom'"); ``field`` the field there ("sd", "label", "country").
    """

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        place = f"{self.where}, {self.field}" if self.field else self.where
        return f"{place}: {self.message}"


class FormProblems(ValidationError):
    """A form (a copy of an extraction or an assessment) cannot be saved as it is; lists every
    problem (:class:`FieldProblem`), nothing was written. Pages catch this to mark each field."""

    def __init__(self, problems: list[FieldProblem], *, summary: str | None = None) -> None:
        self.problems = list(problems)
        head = summary or f"{len(self.problems)} problem(s) found; nothing was saved"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class ExtractionProblems(FormProblems):
    """A study's extraction cannot be saved as it is; lists every problem, nothing was written."""


class AppraisalProblems(FormProblems):
    """A risk-of-bias assessment cannot be saved as it is; lists every problem, nothing was
    written."""
