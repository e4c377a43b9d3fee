"""Where a key of a TOML file is written: a line scanner, so a problem can name its line.

``tomllib`` gives values without positions; this scanner reads table headers (``[pico]``,
``[[outcomes]]``) and ``key =`` lines and maps each dotted key path (``outcomes[1].type``, list
positions from 0) to the 1-based line that defines it. It is best effort: a key it cannot place
falls back to the line of its nearest enclosing table, else to no line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import cast

__all__ = ["key_lines", "key_path", "line_of"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_PART = r"""(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)"""
_HEADER = re.compile(r"\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?")
_KEY = re.compile(rf"\s*({_PART}(?:\s*\.\s*{_PART})*)\s*=")
_KEY_PART = re.compile(rf"\s*({_PART})\s*\.?")


def key_path(path: str, key: str) -> str:
    """``path.key``, with the key in double quotes when it is not a bare TOML key."""
    shown = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{path}.{shown}" if path else shown


def line_of(lines: Mapping[str, int], path: str) -> int | None:
    """The line of ``path``, else of the nearest enclosing key or table that has one."""
    while path:
        if path in lines:
            return lines[path]
        shorter = re.sub(r'(\[\d+\]|\.?(?:"(?:[^"\\]|\\.)*"|[^.\["]+))$', "", path)
        if shorter == path:
            return None
        path = shorter
    return None


def key_lines(text: str) -> dict[str, int]:
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
        path = key_path(path, _unquote(part))
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
