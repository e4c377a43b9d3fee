"""The rules a protocol value must follow, and the words that explain a broken one.

A rule reads one TOML value: ``(checker, value, dotted path) -> value``; on a bad value it reports
a problem through the checker and returns None. The model declares each field once with the rule
it follows (``title: Text``, ``id: Identifier``, ``mid: Mid``): the aliases below carry the rule
in ``Annotated`` metadata, which :mod:`review_app.protocol.validation` reads. Fields typed with a
``Literal`` are choices; lists carry a :class:`Listed` (may it be empty, which key must differ).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

from review_app.errors import Problem
from review_app.protocol.lines import key_path, line_of

# Risk-of-bias tools a design may be appraised with (Cochrane Handbook ch. 8, 25; QUADAS-2 etc.).
# The names domain/appraisal/tools.py can assess must be among them; the protocol may not import
# the domain's registry, so tests/domain/test_appraisal_tools.py checks that the two agree.
ROB_TOOLS = (
    "RoB 2",
    "RoB 2 (cluster)",
    "RoB 2 (crossover)",
    "RoB 1",
    "ROBINS-I",
    "ROBINS-I V2",
    "ROBINS-I version 2",
    "ROBINS-E",
    "QUADAS-2",
    "QUADAS-C",
    "PROBAST",
    "ROBIS",
    "AMSTAR 2",
    "Newcastle-Ottawa",
    "JBI",
)

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass
class Checker:
    """Collects problems while a protocol is read; finds the line of a key in the TOML text."""

    source: str
    lines: dict[str, int]
    top_level: tuple[str, ...] = ()  # the protocol's own keys, for the "move it up" hint
    problems: list[Problem] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        line = line_of(self.lines, path)
        self.problems.append(Problem(self.source, message, line=line, field=path or None))


Rule = Callable[[Checker, object, str], Any]


def _text(checker: Checker, value: object, path: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        checker.add(path, f"must be non-empty text in quotes, got {describe(value)}")
        return None
    return value


def _optional_text(checker: Checker, value: object, path: str) -> str | None:
    if not isinstance(value, str):
        checker.add(path, f"must be text in quotes, got {describe(value)}")
        return None
    return value


def _identifier(checker: Checker, value: object, path: str) -> str | None:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        message = "must be an id of 1-64 letters, digits, '_', '.' or '-' (starting with a letter"
        checker.add(path, f"{message} or digit), got {describe(value)}")
        return None
    return value


def _keyword(checker: Checker, value: object, path: str) -> str | None:
    if isinstance(value, str) and value.strip() and not re.search(r"\w", value):
        checker.add(path, "must contain a letter or digit ('*' alone would mark every word)")
        return None
    return _text(checker, value, path)


def _flag(checker: Checker, value: object, path: str) -> bool | None:
    if not isinstance(value, bool):
        checker.add(path, f"must be true or false (no quotes), got {describe(value)}")
        return None
    return value


def _whole_number(checker: Checker, value: object, path: str) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        checker.add(path, f"must be a whole number of at least 1, got {describe(value)}")
        return None
    return value


def _mid(checker: Checker, value: object, path: str) -> float | None:
    number = _finite(value)
    if number is None or number <= 0:
        checker.add(
            path, f"must be a positive number (a difference that matters), got {describe(value)}"
        )
        return None
    return number


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _date(checker: Checker, value: object, path: str) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    checker.add(path, f"must be a calendar date like 2025-01-31, got {describe(value)}")
    return None


def choice(allowed: tuple[Any, ...]) -> Rule:
    """A rule for one of ``allowed``; it returns the allowed value itself (a Stage, not text)."""

    def read(checker: Checker, value: object, path: str) -> Any:
        if value not in allowed:
            checker.add(path, f"must be one of {listing(allowed)}, got {describe(value)}")
            return None
        return allowed[allowed.index(value)]

    return read


def _tools(checker: Checker, value: object, path: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        checker.add(path, f"must be a table of design = tool, got {describe(value)}")
        return {}
    if not value:
        checker.add(path, "must name a risk-of-bias tool for each design in 'designs'")
    read = choice(ROB_TOOLS)
    return {str(key): read(checker, tool, key_path(path, str(key))) for key, tool in value.items()}


WHOLE_ENTRY = "."  # Listed(unique=WHOLE_ENTRY): the entries themselves must differ


@dataclass(frozen=True)
class Listed:
    """How a list is checked: ``required`` (not empty), ``unique`` (the key that must differ)."""

    required: bool = False
    unique: str | None = None


def read_list(item: Rule, listed: Listed) -> Rule:
    """A rule for a list whose entries ``item`` reads."""

    def read(checker: Checker, value: object, path: str) -> list[Any]:
        if not isinstance(value, list):
            checker.add(path, f"must be a list [ ... ], got {describe(value)}")
            return []
        if listed.required and not value:
            checker.add(path, "must not be empty; list at least one")
        if listed.unique is not None:
            _check_unique(checker, value, path, listed.unique)
        return [item(checker, entry, f"{path}[{i}]") for i, entry in enumerate(value)]

    return read


def _check_unique(checker: Checker, items: list[Any], path: str, key: str) -> None:
    """Report entries whose ``key`` (or whole value) repeats an earlier one, ignoring case."""
    first: dict[str, int] = {}
    noun = "entry" if key == WHOLE_ENTRY else key
    for i, entry in enumerate(items):
        where = f"{path}[{i}]"
        if key != WHOLE_ENTRY:
            entry = entry.get(key) if isinstance(entry, Mapping) else None
            where = key_path(where, key)
        if not isinstance(entry, str):
            continue
        folded = entry.strip().casefold()
        if folded in first:
            checker.add(where, f"duplicate {noun} '{entry}'; also at {path}[{first[folded]}]")
        first.setdefault(folded, i)


def _checked_first(checker: Checker, value: object, path: str) -> object:
    return value  # the schema version is checked before anything else is read


# The field types of the model: a Python type and the rule its TOML value follows.
Text = Annotated[str, _text]  # non-empty
OptionalText = Annotated[str, _optional_text]  # may be empty
Identifier = Annotated[str, _identifier]
Keyword = Annotated[str, _keyword]
Flag = Annotated[bool, _flag]
WholeNumber = Annotated[int, _whole_number]  # at least 1
Mid = Annotated[float | None, _mid]  # positive and finite
CalendarDate = Annotated[date | None, _date]
Tools = Annotated[dict[str, str], _tools]  # design = risk-of-bias tool
Texts = Annotated[list[Text], Listed(unique=WHOLE_ENTRY)]
SchemaVersion = Annotated[int, _checked_first]


# ----------------------------------------------------------------------------- messages


def listing(values: Iterable[object]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def describe(value: object) -> str:
    """How a TOML value reads to a person: its type and a short form of it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return (
            f"text {json.dumps(value[:60], ensure_ascii=False)}" if value.strip() else "empty text"
        )
    if isinstance(value, int) and abs(value) > 10**18:
        return "a very large number"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, datetime):
        return f"date-time {value.isoformat()}"
    if isinstance(value, date):
        return f"date {value.isoformat()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__
