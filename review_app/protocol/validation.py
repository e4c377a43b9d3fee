"""Validation of a protocol table: every problem at once, each with its key and line.

The model (:mod:`review_app.protocol.model`) declares each field once, with its rule; this module
turns those declarations into readers. A table reports, in this order, its unknown keys (with a
"did you mean" hint), its missing required keys and the problems of its values; its
``inconsistencies`` are checked once its own values are valid. A key is named as a dotted path
such as ``outcomes[2].type`` (list positions count from 0).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import MISSING, Field, fields, is_dataclass
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin, get_type_hints

from review_app.errors import Problem, ProtocolError
from review_app.protocol.lines import key_lines, key_path
from review_app.protocol.model import SUPPORTED_SCHEMA_VERSIONS, Protocol
from review_app.protocol.rules import Checker, Listed, Rule, choice, describe, listing, read_list

__all__ = ["build", "protocol_from_data", "rules_of"]

T = TypeVar("T")


def protocol_from_data(data: Mapping[str, Any], *, source: str, text: str | None) -> Protocol:
    """The Protocol in ``data`` (parsed from ``text`` when given, to find lines), or a
    ProtocolError with every problem."""
    lines = key_lines(text) if text is not None else {}
    checker = Checker(source, lines, top_level=tuple(rules_of(Protocol)))
    if not isinstance(data, Mapping):
        raise ProtocolError([Problem(source, f"a protocol must be a table, got {describe(data)}")])
    _check_schema_version(checker, data.get("schema_version", 1))
    if checker.problems:
        raise ProtocolError(checker.problems)
    protocol = build(checker, Protocol, data, "")
    _check_design_tools(checker, data.get("designs"), data.get("risk_of_bias"))
    if checker.problems or protocol is None:
        raise ProtocolError(checker.problems)
    return protocol


def build(checker: Checker, cls: type[T], data: object, path: str) -> T | None:
    """An instance of dataclass ``cls`` from table ``data``, or None after reporting problems."""
    rules = rules_of(cls)
    if not isinstance(data, Mapping):
        checker.add(path, f"must be a table of keys ({listing(rules)}), got {describe(data)}")
        return None
    before = len(checker.problems)
    _check_keys(checker, cls, data, path)
    values = {
        name: rule(checker, data[name], key_path(path, name))
        for name, rule in rules.items()
        if data.get(name) is not None
    }
    if len(checker.problems) > before:
        return None
    built = cls(**values)
    for key, message in getattr(built, "inconsistencies", tuple)():
        # A key inside a nested table comes as a tuple of keys, e.g. ("analysis", "measure").
        where = path
        for part in (key,) if isinstance(key, str) else key:
            where = key_path(where, part)
        checker.add(where, message)
    return built


_RULES: dict[type, dict[str, Rule]] = {}


def rules_of(cls: type) -> dict[str, Rule]:
    """Field name -> the rule its value follows, from the dataclass's annotations, in order."""
    if cls not in _RULES:
        hints = get_type_hints(cls, include_extras=True)
        _RULES[cls] = {f.name: _rule_for(hints[f.name]) for f in fields(cls)}
    return _RULES[cls]


def _rule_for(hint: Any) -> Rule:
    listed = Listed()
    if get_origin(hint) is Annotated:
        hint, *extras = get_args(hint)
        for extra in extras:
            if isinstance(extra, Listed):
                listed = extra
            elif callable(extra):
                return extra
    if get_origin(hint) is Literal:
        return choice(get_args(hint))
    if get_origin(hint) is list:
        return read_list(_rule_for(get_args(hint)[0]), listed)
    if isinstance(hint, type) and is_dataclass(hint):
        return _table(hint)
    raise TypeError(f"a protocol field of type {hint!r} needs a rule (see protocol/rules.py)")


def _table(cls: type) -> Rule:
    def read(checker: Checker, value: object, path: str) -> Any:
        return build(checker, cls, value, path)

    return read


def _check_keys(checker: Checker, cls: type, data: Mapping[str, Any], path: str) -> None:
    allowed = [f.name for f in fields(cls)]
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.75)
            hint = f"did you mean '{close[0]}'? " if close else ""
            if path and key in checker.top_level:
                hint = f"'{key}' is a top-level key: move it above the first [table] header; "
            message = f"unknown key '{key}'; {hint}allowed keys: {', '.join(allowed)}"
            checker.add(key_path(path, str(key)), message)
    for f in fields(cls):
        if _is_required(f) and data.get(f.name) is None:
            checker.add(key_path(path, f.name), f"missing required key '{f.name}'")


def _is_required(f: Field[Any]) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


def _check_schema_version(checker: Checker, version: object) -> None:
    is_whole = isinstance(version, int) and not isinstance(version, bool)
    if not is_whole or version not in SUPPORTED_SCHEMA_VERSIONS:
        supported = ", ".join(str(v) for v in SUPPORTED_SCHEMA_VERSIONS)
        message = f"unknown schema_version ({describe(version)}); supported versions: {supported}"
        checker.add("schema_version", message)


def _check_design_tools(checker: Checker, designs: object, tools: object) -> None:
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
            message = f"'{design}' is not one of the designs ({listing(names)})"
            checker.add(key_path("risk_of_bias", str(design)), message)
