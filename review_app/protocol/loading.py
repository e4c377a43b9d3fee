"""Reading a protocol: from a TOML file or text, and to and from the JSON the database stores."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from enum import Enum
from typing import Any

from review_app.errors import Problem, ProtocolError
from review_app.protocol.model import Protocol
from review_app.protocol.validation import protocol_from_data

__all__ = ["load_protocol", "parse_protocol", "protocol_from_dict", "protocol_to_dict"]


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
    return protocol_from_data(data, source=source, text=text)


def protocol_to_dict(protocol: Protocol) -> dict[str, Any]:
    """A JSON-safe dict of ``protocol`` (dates as ISO strings); read back by protocol_from_dict."""
    return asdict(protocol, dict_factory=_json_safe_dict)


def protocol_from_dict(data: Mapping[str, Any], *, source: str = "stored protocol") -> Protocol:
    """The Protocol stored as ``data`` (protocol_to_dict's output), validated like a file."""
    return protocol_from_data(data, source=source, text=None)


def _json_safe_dict(items: list[tuple[str, Any]]) -> dict[str, Any]:
    return {key: _json_safe(value) for key, value in items}


def _json_safe(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value  # a Stage or Vote as the plain word
    return value.isoformat() if isinstance(value, date) else value


def _syntax_problem(source: str, error: tomllib.TOMLDecodeError) -> Problem:
    message = str(error)
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if found is None:
        return Problem(source, f"TOML syntax error: {message}")
    detail = f"{message[: found.start()]} (column {found.group(2)})"
    return Problem(source, f"TOML syntax error: {detail}", line=int(found.group(1)))
