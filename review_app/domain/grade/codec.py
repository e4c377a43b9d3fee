"""GRADE's plain data to JSON-safe values and back, driven by the dataclasses' type hints.

A published Summary-of-Findings table is stored as JSON and read back as the same
:class:`~review_app.domain.grade.model.SofTable` (``sof.table_to_dict`` / ``table_from_dict``).
Writing every field by hand would drift from ``model.py`` as fields are added; reading the
type hints keeps the round trip lossless for every field, and a field added later with a default
reads old snapshots unchanged. Numbers that JSON cannot hold (NaN, infinities; PostgreSQL's JSON
refuses them) are written as the strings ``"nan"``, ``"inf"``, ``"-inf"``.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from enum import Enum
from functools import cache
from typing import Any, TypeVar

from review_app.errors import ValidationError

T = TypeVar("T")
Json = None | bool | int | float | str | list["Json"] | dict[str, "Json"]

_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def to_data(value: object) -> Json:
    """``value`` (a dataclass, enum, number, text, tuple, frozenset, mapping) as JSON-safe
    values: dataclasses become objects, enums their values, frozensets sorted lists."""
    if value is None or isinstance(value, bool | int | str):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, Enum):
        return _enum_value(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else _non_finite(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {_key(k): to_data(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted((to_data(v) for v in value), key=repr)
    if isinstance(value, tuple | list):
        return [to_data(v) for v in value]
    raise ValidationError(f"cannot store a {type(value).__name__} in a snapshot")


def _enum_value(value: Enum) -> Json:
    return typing.cast(Json, value.value)


def _non_finite(value: float) -> str:
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _key(key: object) -> str:
    key = key.value if isinstance(key, Enum) else key
    if not isinstance(key, str):
        raise ValidationError(f"a snapshot's mapping keys are text, not {type(key).__name__}")
    return key


def from_data(kind: type[T], data: object, where: str = "") -> T:
    """The value of type ``kind`` that :func:`to_data` wrote as ``data``; ValidationError naming
    the place (``rows[0].grade.evidence.pooled.k``) when ``data`` does not fit the type."""
    return typing.cast(T, _decode(kind, data, where or kind.__name__))


def _decode(kind: Any, data: object, where: str) -> object:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return _decode_optional(kind, data, where)
    if origin is tuple:
        return _decode_tuple(kind, data, where)
    if origin in (frozenset, set):
        (item,) = typing.get_args(kind)
        return frozenset(_decode(item, v, f"{where}[]") for v in _list(data, where))
    if origin in (Mapping, dict, typing.Mapping):
        return _decode_mapping(kind, data, where)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return _decode_enum(kind, data, where)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _decode_dataclass(kind, data, where)
    return _decode_scalar(kind, data, where)


def _decode_optional(kind: Any, data: object, where: str) -> object:
    options = [a for a in typing.get_args(kind) if a is not type(None)]
    if data is None and len(options) < len(typing.get_args(kind)):
        return None
    if len(options) != 1:
        raise ValidationError(f"{where}: cannot read a value of {kind}")
    return _decode(options[0], data, where)


def _decode_tuple(kind: Any, data: object, where: str) -> tuple[object, ...]:
    items = _list(data, where)
    args = typing.get_args(kind)
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_decode(args[0], v, f"{where}[{i}]") for i, v in enumerate(items))
    if len(items) != len(args):
        raise ValidationError(f"{where}: {len(args)} values expected, found {len(items)}")
    return tuple(
        _decode(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, items, strict=True))
    )


def _decode_mapping(kind: Any, data: object, where: str) -> dict[object, object]:
    if not isinstance(data, dict):
        raise ValidationError(f"{where}: an object expected, found {type(data).__name__}")
    key_kind, value_kind = typing.get_args(kind)
    return {
        _decode(key_kind, k, f"{where} key"): _decode(value_kind, v, f"{where}[{k!r}]")
        for k, v in data.items()
    }


def _decode_enum(kind: type[Enum], data: object, where: str) -> Enum:
    try:
        return kind(data)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in kind)
        raise ValidationError(f"{where}: {data!r} is not one of {allowed}") from None


def _decode_dataclass(kind: type, data: object, where: str) -> object:
    if not isinstance(data, dict):
        raise ValidationError(f"{where}: an object expected, found {type(data).__name__}")
    hints = _hints(kind)
    values = {}
    for field in dataclasses.fields(kind):
        if field.name in data:
            values[field.name] = _decode(
                hints[field.name], data[field.name], f"{where}.{field.name}"
            )
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ValidationError(f"{where}: {field.name!r} is missing")
    return kind(**values)


@cache
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _decode_scalar(kind: Any, data: object, where: str) -> object:
    if kind is float:
        if isinstance(data, str) and data in _NON_FINITE:
            return _NON_FINITE[data]
        if isinstance(data, int | float) and not isinstance(data, bool):
            return float(data)
    elif kind is int:
        if isinstance(data, int) and not isinstance(data, bool):
            return data
    elif kind in (str, bool):
        if isinstance(data, kind):
            return data
    else:
        raise ValidationError(f"{where}: cannot read a value of {kind}")
    raise ValidationError(f"{where}: a {kind.__name__} expected, found {data!r}")


def _list(data: object, where: str) -> list[object]:
    if not isinstance(data, list):
        raise ValidationError(f"{where}: a list expected, found {type(data).__name__}")
    return data
