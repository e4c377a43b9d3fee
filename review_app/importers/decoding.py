"""Bytes to text: which encoding, which line ends, and whether it is text at all.

Exports arrive as UTF-8 with or without a BOM, UTF-16 (EndNote on Windows), and older
cp1252/latin-1 files; line ends are LF, CRLF or mixed. Everything after this module sees
``str`` with ``\\n`` line ends and no BOM.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import NoReturn

from review_app.errors import ImportFileError, Problem

# Checked longest first: the UTF-32 LE BOM starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word (.doc) file; save it as .xlsx or CSV"),
    (b"\x1f\x8b", "a gzip archive; unpack it first"),
    (b"PK\x03\x04", "a ZIP archive that is not an Excel workbook; unpack it first"),
)
_MAX_CONTROL_SHARE = 0.01
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str  # "\n" line ends, no BOM
    encoding: str
    warnings: list[str] = field(default_factory=list)


def decode(data: bytes, *, source: str) -> Decoded:
    """Decode an export file, or raise ImportFileError saying why it is not readable text."""
    if not data.strip():
        refuse(source, "the file is empty; expected a search export (RIS, MEDLINE, BibTeX, ...)")
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            refuse(source, f"this is {what}, not a search export")
    text, encoding, warnings = _decode_text(data, source=source)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    _refuse_binary(text, source=source)
    if not text.strip():
        refuse(source, "the file is empty; expected a search export (RIS, MEDLINE, BibTeX, ...)")
    return Decoded(text=text, encoding=encoding, warnings=warnings)


def _decode_text(data: bytes, *, source: str) -> tuple[str, str, list[str]]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _strict(data, encoding, source=source), encoding, []
    if utf16 := _utf16_without_bom(data):
        return _strict(data, utf16, source=source), utf16, []
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        for fallback in ("cp1252", "latin-1"):
            try:
                text = data.decode(fallback)
            except UnicodeDecodeError:
                continue
            warning = (
                f"{source}: not valid UTF-8 (first bad byte on line {line}); read as {fallback}."
                " Check accented letters, or export again as UTF-8."
            )
            return text, fallback, [warning]
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when every other byte is NUL, as in BOM-less UTF-16 text."""
    sample = data[:4096]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _strict(data: bytes, encoding: str, *, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        refuse(source, f"not valid {encoding.upper()} text (the file may be cut short)")


def _refuse_binary(text: str, *, source: str) -> None:
    controls = len(_CONTROL.findall(text))
    if "\x00" in text or controls > _MAX_CONTROL_SHARE * len(text):
        refuse(source, "this looks like a binary file, not a text export (RIS, MEDLINE, ...)")


def refuse(source: str, message: str) -> NoReturn:
    """Raise ImportFileError for a whole-file problem (empty, binary, unknown format...)."""
    raise ImportFileError(
        [Problem(source=source, message=message)], summary=not_imported(source, 1)
    )


def not_imported(source: str, count: int) -> str:
    """The first line of an ImportFileError's message."""
    return f"{source}: nothing was imported; {count} problem(s):"
