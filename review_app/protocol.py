"""Review protocols: read, validate and store a protocol TOML file (schema version 1).

A protocol fixes the rules of a review before screening starts: PICO, eligibility criteria (with
keywords to highlight), ordered exclusion reasons, screening settings, outcomes (GRADE importance,
direction of benefit, minimal important difference), extraction fields, a risk-of-bias tool per
study design and the search sources. ``protocols/_template.toml`` documents every key.

Validation reports every problem at once in one :class:`ProtocolError`. Each :class:`Problem`
names the file, the line when it can be found, and a dotted key such as ``outcomes[2].type``
(list positions count from 0).
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, Field, asdict, dataclass, field, fields
from datetime import date, datetime
from typing import Any, Literal, cast, get_args

from review_app.errors import Problem, ProtocolError

__all__ = [
    "ROB_TOOLS",
    "SUPPORTED_SCHEMA_VERSIONS",
    "Criterion",
    "CriterionStage",
    "Direction",
    "ExclusionReason",
    "ExclusionStage",
    "ExtractionField",
    "FieldType",
    "Importance",
    "MaybeRule",
    "Outcome",
    "OutcomeType",
    "Pico",
    "Protocol",
    "ScreeningSettings",
    "ScreeningStage",
    "SearchSource",
    "SourceKind",
    "compile_keywords",
    "keyword_lists",
    "load_protocol",
    "parse_protocol",
    "protocol_from_dict",
    "protocol_to_dict",
]

SUPPORTED_SCHEMA_VERSIONS = (1,)

CriterionStage = Literal["title_abstract", "full_text", "both"]
ExclusionStage = Literal["full_text", "both"]
ScreeningStage = Literal["title_abstract", "full_text"]
MaybeRule = Literal["include", "conflict"]
OutcomeType = Literal["continuous", "dichotomous"]
Importance = Literal["critical", "important", "not_important"]
Direction = Literal["higher_is_better", "lower_is_better"]
FieldType = Literal["text", "integer", "number", "choice", "boolean"]
SourceKind = Literal["database", "register", "other"]

# Risk-of-bias tools a design may be appraised with (Cochrane Handbook ch. 8, 25; QUADAS-2 etc.).
ROB_TOOLS = (
    "RoB 2",
    "RoB 2 (cluster)",
    "RoB 2 (crossover)",
    "RoB 1",
    "ROBINS-I",
    "ROBINS-E",
    "QUADAS-2",
    "QUADAS-C",
    "PROBAST",
    "ROBIS",
    "AMSTAR 2",
    "Newcastle-Ottawa",
    "JBI",
)


@dataclass(frozen=True, kw_only=True)
class Pico:
    """Population, intervention, comparator and outcomes in words, with optional lists."""

    population: str
    intervention: str
    comparator: str
    outcomes: str
    conditions: list[str] = field(default_factory=list)
    interventions: list[str] = field(default_factory=list)
    comparators: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Criterion:
    """One eligibility criterion, when it is judged, and keywords to highlight."""

    id: str
    text: str
    stage: CriterionStage = "both"
    include_keywords: list[str] = field(default_factory=list)
    exclude_keywords: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class ExclusionReason:
    """A reason to exclude; reviewers pick the first in protocol order that applies."""

    id: str
    label: str
    stage: ExclusionStage = "full_text"


@dataclass(frozen=True, kw_only=True)
class ScreeningSettings:
    """How votes are cast and combined."""

    reviewers_per_record: int = 2
    blind: bool = True
    allow_maybe: bool = True
    maybe_counts_as: MaybeRule = "include"
    # Active learning ranks unscreened records once this many includes and excludes are known.
    prioritise_after_includes: int = 1
    prioritise_after_excludes: int = 1


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """An outcome with its GRADE importance, direction of benefit and MID (in mid_unit)."""

    id: str
    name: str
    type: OutcomeType
    importance: Importance
    direction: Direction
    mid: float | None = None
    mid_unit: str = ""
    unit: str = ""
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class ExtractionField:
    """One field of the study-level extraction form."""

    id: str
    label: str
    type: FieldType = "text"
    choices: list[str] = field(default_factory=list)
    required: bool = False
    help: str = ""


@dataclass(frozen=True, kw_only=True)
class SearchSource:
    """A database, register or other source, with the strategy as run."""

    name: str
    kind: SourceKind
    date_searched: date | None = None
    platform: str = ""
    strategy: str = ""


@dataclass(frozen=True, kw_only=True)
class Protocol:
    """A review protocol, as validated from TOML (see protocols/_template.toml)."""

    schema_version: int = 1
    title: str
    question: str
    pico: Pico
    designs: list[str]
    criteria: list[Criterion]
    exclusion_reasons: list[ExclusionReason]
    screening: ScreeningSettings = field(default_factory=ScreeningSettings)
    outcomes: list[Outcome]
    extraction_fields: list[ExtractionField] = field(default_factory=list)
    risk_of_bias: dict[str, str]
    search_sources: list[SearchSource]


# ----------------------------------------------------------------------------- public API


def load_protocol(path: str | os.PathLike[str]) -> Protocol:
    """Read and validate the protocol file at ``path``; every problem names the path."""
    source = os.fspath(path)
    try:
        with open(source, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ProtocolError([Problem(source, f"cannot read the protocol file: {reason}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        message = "the file is not UTF-8 text; save it as UTF-8"
        raise ProtocolError([Problem(source, message, line=line)]) from None
    return parse_protocol(text, source=source)


def parse_protocol(text: str, *, source: str) -> Protocol:
    """Validate protocol TOML ``text``; ``source`` (a path or name) is quoted in problems."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProtocolError([_syntax_problem(source, error)]) from None
    except RecursionError:
        message = "TOML syntax error: arrays or tables are nested too deeply"
        raise ProtocolError([Problem(source, message)]) from None
    return _protocol_from_data(data, source=source, text=text)


def protocol_to_dict(protocol: Protocol) -> dict[str, Any]:
    """A JSON-safe dict of ``protocol`` (dates as ISO strings); read back by protocol_from_dict."""
    return asdict(protocol, dict_factory=_json_safe_dict)


def protocol_from_dict(data: Mapping[str, Any], *, source: str = "stored protocol") -> Protocol:
    """The Protocol stored as ``data`` (protocol_to_dict's output), validated like a file."""
    return _protocol_from_data(data, source=source, text=None)


def keyword_lists(protocol: Protocol, stage: ScreeningStage) -> tuple[list[str], list[str]]:
    """(include, exclude) keywords to highlight at ``stage``, from criteria of that stage or both.

    Order is kept and repeats (ignoring case) dropped. Match them with :func:`compile_keywords`.
    """
    if stage not in get_args(ScreeningStage):
        raise ValueError(
            f"stage must be one of {_listing(get_args(ScreeningStage))}, not {stage!r}"
        )
    criteria = [c for c in protocol.criteria if c.stage in (stage, "both")]
    include = _unique_casefold(k for c in criteria for k in c.include_keywords)
    exclude = _unique_casefold(k for c in criteria for k in c.exclude_keywords)
    return include, exclude


def compile_keywords(keywords: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern matching any of ``keywords`` as whole words.

    ``*`` stands for any run of letters or digits (``mitragyn*`` matches mitragynine,
    ``randomi*`` matches randomised and randomized); a space matches any white space. Without a
    ``*`` a keyword matches only the whole word (``rat`` does not match ``ratio``).
    None when there are no keywords.
    """
    usable = {_keyword_body(k) for k in keywords if re.search(r"\w", k)}
    bodies = sorted(usable, key=len, reverse=True)
    if not bodies:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(bodies)})(?!\w)", re.IGNORECASE)


def _keyword_body(keyword: str) -> str:
    words = keyword.strip().split()
    return r"\s+".join(r"\w*".join(re.escape(p) for p in w.split("*")) for w in words)


def _unique_casefold(items: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(item.casefold(), item)
    return list(seen.values())


def _json_safe_dict(items: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in items}


def _syntax_problem(source: str, error: tomllib.TOMLDecodeError) -> Problem:
    message = str(error)
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if found is None:
        return Problem(source, f"TOML syntax error: {message}")
    detail = f"{message[: found.start()]} (column {found.group(2)})"
    return Problem(source, f"TOML syntax error: {detail}", line=int(found.group(1)))


# ----------------------------------------------------------------------------- validation

Reader = Callable[["_Checker", object, str], Any]
Check = Callable[["_Checker", Any, str], None]


@dataclass
class _Checker:
    """Collects problems while a protocol is read; finds the line of a key in the TOML text."""

    source: str
    lines: dict[str, int]
    problems: list[Problem] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        line = _line_of(self.lines, path)
        self.problems.append(Problem(self.source, message, line=line, field=path or None))


def _protocol_from_data(data: Mapping[str, Any], *, source: str, text: str | None) -> Protocol:
    checker = _Checker(source, _key_lines(text) if text is not None else {})
    if not isinstance(data, Mapping):
        raise ProtocolError([Problem(source, f"a protocol must be a table, got {_kind(data)}")])
    _check_schema_version(checker, data.get("schema_version", 1))
    if checker.problems:
        raise ProtocolError(checker.problems)
    protocol = _build(checker, Protocol, data, "", _PROTOCOL_READERS)
    _check_design_tools(checker, data.get("designs"), data.get("risk_of_bias"))
    if checker.problems or protocol is None:
        raise ProtocolError(checker.problems)
    return cast(Protocol, protocol)


def _check_schema_version(checker: _Checker, version: object) -> None:
    is_whole = isinstance(version, int) and not isinstance(version, bool)
    if not is_whole or version not in SUPPORTED_SCHEMA_VERSIONS:
        supported = ", ".join(str(v) for v in SUPPORTED_SCHEMA_VERSIONS)
        message = f"unknown schema_version ({_kind(version)}); supported versions: {supported}"
        checker.add("schema_version", message)


def _build(
    checker: _Checker,
    cls: type,
    data: object,
    path: str,
    readers: Mapping[str, Reader],
    check: Check | None = None,
) -> Any:
    """An instance of dataclass ``cls`` from table ``data``, or None after reporting problems."""
    if not isinstance(data, Mapping):
        checker.add(path, f"must be a table of keys ({_listing(readers)}), got {_kind(data)}")
        return None
    before = len(checker.problems)
    _check_keys(checker, cls, data, path)
    values = {
        name: readers[name](checker, data[name], _key_path(path, name))
        for name in readers
        if data.get(name) is not None
    }
    if len(checker.problems) > before:
        return None
    built = cls(**values)
    if check is not None:
        check(checker, built, path)
    return built


def _check_keys(checker: _Checker, cls: type, data: Mapping[str, Any], path: str) -> None:
    allowed = [f.name for f in fields(cls)]
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.75)
            hint = f"did you mean '{close[0]}'? " if close else ""
            if path and key in _PROTOCOL_READERS:
                hint = f"'{key}' is a top-level key: move it above the first [table] header; "
            message = f"unknown key '{key}'; {hint}allowed keys: {', '.join(allowed)}"
            checker.add(_key_path(path, str(key)), message)
    for f in fields(cls):
        if _is_required(f) and data.get(f.name) is None:
            checker.add(_key_path(path, f.name), f"missing required key '{f.name}'")


def _is_required(f: Field[Any]) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


# Readers: (checker, value, dotted path) -> value; on a bad value they report and return None.


def _text(checker: _Checker, value: object, path: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        checker.add(path, f"must be non-empty text in quotes, got {_kind(value)}")
        return None
    return value


def _optional_text(checker: _Checker, value: object, path: str) -> str | None:
    if not isinstance(value, str):
        checker.add(path, f"must be text in quotes, got {_kind(value)}")
        return None
    return value


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _identifier(checker: _Checker, value: object, path: str) -> str | None:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        message = "must be an id of 1-64 letters, digits, '_', '.' or '-' (starting with a letter"
        checker.add(path, f"{message} or digit), got {_kind(value)}")
        return None
    return value


def _flag(checker: _Checker, value: object, path: str) -> bool | None:
    if not isinstance(value, bool):
        checker.add(path, f"must be true or false (no quotes), got {_kind(value)}")
        return None
    return value


def _reviewer_count(checker: _Checker, value: object, path: str) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        checker.add(path, f"must be a whole number of at least 1, got {_kind(value)}")
        return None
    return value


def _mid(checker: _Checker, value: object, path: str) -> float | None:
    number = _finite(value)
    if number is None or number <= 0:
        checker.add(
            path, f"must be a positive number (a difference that matters), got {_kind(value)}"
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


def _date(checker: _Checker, value: object, path: str) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    checker.add(path, f"must be a calendar date like 2025-01-31, got {_kind(value)}")
    return None


def _choice(allowed: tuple[str, ...]) -> Reader:
    def read(checker: _Checker, value: object, path: str) -> str | None:
        if value not in allowed:
            checker.add(path, f"must be one of {_listing(allowed)}, got {_kind(value)}")
            return None
        return cast(str, value)

    return read


def _list(item: Reader, *, required: bool = False, unique: str | None = None) -> Reader:
    """A reader for a list whose items ``item`` reads; ``unique`` names a key that must differ."""

    def read(checker: _Checker, value: object, path: str) -> list[Any]:
        if not isinstance(value, list):
            checker.add(path, f"must be a list [ ... ], got {_kind(value)}")
            return []
        if required and not value:
            checker.add(path, "must not be empty; list at least one")
        if unique is not None:
            _check_unique(checker, value, path, unique)
        return [item(checker, entry, f"{path}[{i}]") for i, entry in enumerate(value)]

    return read


_WHOLE_ENTRY = "."  # _list(unique=_WHOLE_ENTRY): the entries themselves must differ


def _check_unique(checker: _Checker, items: list[Any], path: str, key: str) -> None:
    """Report entries whose ``key`` (or whole value) repeats an earlier one, ignoring case."""
    first: dict[str, int] = {}
    noun = "entry" if key == _WHOLE_ENTRY else key
    for i, entry in enumerate(items):
        where = f"{path}[{i}]"
        if key != _WHOLE_ENTRY:
            entry = entry.get(key) if isinstance(entry, Mapping) else None
            where = _key_path(where, key)
        if not isinstance(entry, str):
            continue
        folded = entry.strip().casefold()
        if folded in first:
            checker.add(where, f"duplicate {noun} '{entry}'; also at {path}[{first[folded]}]")
        first.setdefault(folded, i)


def _table(cls: type, readers: Mapping[str, Reader], check: Check | None = None) -> Reader:
    def read(checker: _Checker, value: object, path: str) -> Any:
        return _build(checker, cls, value, path, readers, check)

    return read


def _keyword(checker: _Checker, value: object, path: str) -> str | None:
    if isinstance(value, str) and value.strip() and not re.search(r"\w", value):
        checker.add(path, "must contain a letter or digit ('*' alone would mark every word)")
        return None
    return _text(checker, value, path)


def _tools(checker: _Checker, value: object, path: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        checker.add(path, f"must be a table of design = tool, got {_kind(value)}")
        return {}
    if not value:
        checker.add(path, "must name a risk-of-bias tool for each design in 'designs'")
    read = _choice(ROB_TOOLS)
    return {str(key): read(checker, tool, _key_path(path, str(key))) for key, tool in value.items()}


# Cross-field checks, run on an object once its own keys are valid.


def _check_outcome(checker: _Checker, outcome: Outcome, path: str) -> None:
    if outcome.mid is not None and not outcome.mid_unit.strip():
        checker.add(_key_path(path, "mid_unit"), "required when 'mid' is set (e.g. 'points 0-10')")


def _check_extraction_field(checker: _Checker, item: ExtractionField, path: str) -> None:
    if item.type == "choice" and not item.choices:
        checker.add(_key_path(path, "choices"), "a 'choice' field must list its choices")
    if item.type != "choice" and item.choices:
        checker.add(_key_path(path, "choices"), "only a field of type 'choice' may have choices")


def _check_design_tools(checker: _Checker, designs: object, tools: object) -> None:
    """Every eligible design has a risk-of-bias tool, and every tool belongs to a design."""
    if not isinstance(designs, list) or not isinstance(tools, Mapping):
        return
    names = [d for d in designs if isinstance(d, str)]
    for design in names:
        if design not in tools:
            message = f'no risk-of-bias tool for design \'{design}\'; add "{design}" = "tool"'
            checker.add("risk_of_bias", message)
    for design in tools:
        if design not in names:
            message = f"'{design}' is not one of the designs ({_listing(names)})"
            checker.add(_key_path("risk_of_bias", str(design)), message)


def _texts(*, required: bool = False) -> Reader:
    return _list(_text, required=required, unique=_WHOLE_ENTRY)


_PROTOCOL_READERS: dict[str, Reader] = {
    "schema_version": lambda checker, value, path: value,  # checked before anything else
    "title": _text,
    "question": _text,
    "pico": _table(
        Pico,
        {
            "population": _text,
            "intervention": _text,
            "comparator": _text,
            "outcomes": _text,
            "conditions": _texts(),
            "interventions": _texts(),
            "comparators": _texts(),
        },
    ),
    "designs": _texts(required=True),
    "criteria": _list(
        _table(
            Criterion,
            {
                "id": _identifier,
                "text": _text,
                "stage": _choice(get_args(CriterionStage)),
                "include_keywords": _list(_keyword),
                "exclude_keywords": _list(_keyword),
            },
        ),
        required=True,
        unique="id",
    ),
    "exclusion_reasons": _list(
        _table(
            ExclusionReason,
            {"id": _identifier, "label": _text, "stage": _choice(get_args(ExclusionStage))},
        ),
        required=True,
        unique="id",
    ),
    "screening": _table(
        ScreeningSettings,
        {
            "reviewers_per_record": _reviewer_count,
            "blind": _flag,
            "allow_maybe": _flag,
            "maybe_counts_as": _choice(get_args(MaybeRule)),
            "prioritise_after_includes": _reviewer_count,
            "prioritise_after_excludes": _reviewer_count,
        },
    ),
    "outcomes": _list(
        _table(
            Outcome,
            {
                "id": _identifier,
                "name": _text,
                "type": _choice(get_args(OutcomeType)),
                "importance": _choice(get_args(Importance)),
                "direction": _choice(get_args(Direction)),
                "mid": _mid,
                "mid_unit": _optional_text,
                "unit": _optional_text,
                "description": _optional_text,
            },
            _check_outcome,
        ),
        required=True,
        unique="id",
    ),
    "extraction_fields": _list(
        _table(
            ExtractionField,
            {
                "id": _identifier,
                "label": _text,
                "type": _choice(get_args(FieldType)),
                "choices": _texts(),
                "required": _flag,
                "help": _optional_text,
            },
            _check_extraction_field,
        ),
        unique="id",
    ),
    "risk_of_bias": _tools,
    "search_sources": _list(
        _table(
            SearchSource,
            {
                "name": _text,
                "kind": _choice(get_args(SourceKind)),
                "date_searched": _date,
                "platform": _optional_text,
                "strategy": _optional_text,
            },
        ),
        required=True,
        unique="name",
    ),
}


# ----------------------------------------------------------------------------- messages and lines


def _listing(values: Iterable[object]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _kind(value: object) -> str:
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


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_PART = r"""(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)"""
_HEADER = re.compile(r"\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?")
_KEY = re.compile(rf"\s*({_PART}(?:\s*\.\s*{_PART})*)\s*=")
_KEY_PART = re.compile(rf"\s*({_PART})\s*\.?")


def _key_path(path: str, key: str) -> str:
    """``path.key``, with the key in double quotes when it is not a bare TOML key."""
    shown = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{path}.{shown}" if path else shown


def _line_of(lines: Mapping[str, int], path: str) -> int | None:
    """The line of ``path``, else of the nearest enclosing key or table that has one."""
    while path:
        if path in lines:
            return lines[path]
        shorter = re.sub(r'(\[\d+\]|\.?(?:"(?:[^"\\]|\\.)*"|[^.\["]+))$', "", path)
        if shorter == path:
            return None
        path = shorter
    return None


def _key_lines(text: str) -> dict[str, int]:
    """Dotted key path -> 1-based line where it is defined (best effort: headers and key lines)."""
    found: dict[str, int] = {}
    counts: dict[str, int] = {}
    table = ""
    quote: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if quote is not None:
            quote = _open_multiline(line, quote)
            continue
        header = _HEADER.fullmatch(line)
        if header:
            table = _header_path(header.group(1), header.group(2), counts)
            found.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            found.setdefault(_join_keys(table, key.group(1)), number)
            quote = _open_multiline(line[key.end() :], None)
    return found


def _header_path(bracket: str, name: str, counts: dict[str, int]) -> str:
    path = _join_keys("", name)
    if bracket == "[[":
        counts[path] = counts.get(path, 0) + 1
        return f"{path}[{counts[path] - 1}]"
    return path


def _join_keys(table: str, dotted: str) -> str:
    path = table
    for part in _KEY_PART.findall(dotted):
        path = _key_path(path, _unquote(part))
    return path


def _unquote(part: str) -> str:
    if part.startswith('"'):
        try:
            return cast(str, json.loads(part))
        except ValueError:
            return part.strip('"')
    return part.strip("'")


def _open_multiline(line: str, quote: str | None) -> str | None:
    """Which multi-line string (''' or \"\"\") is still open after ``line``."""
    if quote is not None:
        return None if line.count(quote) % 2 else quote
    for mark in ('"""', "'''"):
        if line.count(mark) % 2:
            return mark
    return None
