"""Bytes to text: which encoding, which line ends, and whether it is text at all.

Exports arrive as UTF-8 with or without a BOM, UTF-16 (EndNote on Windows), and older
cp1252/latin-1 files; line ends are LF, CRLF or mixed. Everything after this module sees
lines without their ends, or a ``str`` with ``\\n`` line ends, and no BOM.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Iterator
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


# Encodings in which b"\n" is always a line end, so a file can be decoded one line at a time.
_LINE_BY_LINE = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "cp1252": "cp1252", "latin-1": "latin-1"}
_SCAN_BYTES = 1 << 22  # decoded 4 MiB at a time to check it, never kept


class Decoded:
    """An export file known to decode: its encoding, what was noticed, and its text.

    The text comes line by line (``lines``) or whole (``text``), always with the line ends taken
    out and no BOM. Line by line, a large file is never held as one string: a ``str`` takes one
    to four bytes a character, so the whole text of a 200 MB export with a single "–" or "α"
    in it would take 400 MB.
    """

    __slots__ = ("_data", "encoding", "warnings")

    def __init__(self, data: bytes, *, encoding: str, warnings: list[str]) -> None:
        self._data = data
        self.encoding = encoding
        self.warnings = warnings

    @property
    def text(self) -> str:
        """The whole text, ``\n`` line ends."""
        text = self._data.decode(self.encoding)
        return text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")

    def lines(self) -> Iterator[str]:
        """The lines one at a time, decoded as they are reached ("\n", "\r\n" or "\r" ends)."""
        codec = _LINE_BY_LINE.get(self.encoding)
        if codec is None:  # UTF-16/32: a newline byte can be half of another character
            yield from self.text.split("\n")
            return
        data = self._data
        start = len(codecs.BOM_UTF8) if self.encoding == "utf-8-sig" else 0
        while (end := data.find(b"\n", start)) >= 0:
            yield from _line_parts(data[start:end].decode(codec))
            start = end + 1
        yield from _line_parts(data[start:].decode(codec), last=True)

    def head(self, lines: int) -> str:
        """The first ``lines`` lines, joined by ``\n`` (what format detection reads)."""
        return "\n".join(itertools.islice(self.lines(), lines))


def _line_parts(line: str, *, last: bool = False) -> tuple[str, ...]:
    """One line as read up to "\n" (or the end of the file, when ``last``): a CRLF's "\r"
    dropped, old Mac "\r" line ends split, BOMs out."""
    if line.endswith("\r") and not last:
        line = line[:-1]
    if "\r" in line or "\ufeff" in line:
        return tuple(line.replace("\ufeff", "").split("\r"))
    return (line,)


def decode(data: bytes, *, source: str) -> Decoded:
    """Check that an export file decodes, or raise ImportFileError saying why it is not text."""
    if not data.strip():
        refuse(source, "the file is empty; expected a search export (RIS, MEDLINE, BibTeX, ...)")
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            refuse(source, f"this is {what}, not a search export")
    encoding, warnings = _encoding(data, source=source)
    _refuse_binary_or_blank(data, encoding, source=source)
    return Decoded(data, encoding=encoding, warnings=warnings)


def _encoding(data: bytes, *, source: str) -> tuple[str, list[str]]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            _strict(data, encoding, source=source)
            return encoding, []
    if utf16 := _utf16_without_bom(data):
        _strict(data, utf16, source=source)
        return utf16, []
    if _decodes(data, "utf-8"):
        return "utf-8", []
    line = _first_bad_utf8_line(data)
    fallback = "cp1252" if _decodes(data, "cp1252") else "latin-1"  # latin-1 decodes any bytes
    warning = (
        f"{source}: not valid UTF-8 (first bad byte on line {line}); read as {fallback}."
        " Check accented letters, or export again as UTF-8."
    )
    return fallback, [warning]


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether ``data`` decodes, checked a few MiB at a time (the text is not kept)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(data), _SCAN_BYTES):
            decoder.decode(data[start : start + _SCAN_BYTES])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _first_bad_utf8_line(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return data.count(b"\n", 0, error.start) + 1
    return 0  # pragma: no cover - only called when the data is not UTF-8


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


def _strict(data: bytes, encoding: str, *, source: str) -> None:
    if not _decodes(data, encoding):
        refuse(source, f"not valid {encoding.upper()} text (the file may be cut short)")


def _refuse_binary_or_blank(data: bytes, encoding: str, *, source: str) -> None:
    """Refuse text with NULs or many control characters (binary), or nothing but blanks."""
    decoder = codecs.getincrementaldecoder(encoding)()
    controls = characters = 0
    visible = False
    for start in range(0, len(data), _SCAN_BYTES):
        piece = decoder.decode(data[start : start + _SCAN_BYTES], final=False)
        piece += decoder.decode(b"", final=start + _SCAN_BYTES >= len(data))
        if "\x00" in piece:
            refuse(source, "this looks like a binary file, not a text export (RIS, MEDLINE, ...)")
        controls += len(_CONTROL.findall(piece))
        characters += len(piece)
        visible = visible or bool(piece.replace("\ufeff", "").strip())
    if controls > _MAX_CONTROL_SHARE * characters:
        refuse(source, "this looks like a binary file, not a text export (RIS, MEDLINE, ...)")
    if not visible:
        refuse(source, "the file is empty; expected a search export (RIS, MEDLINE, BibTeX, ...)")


def refuse(source: str, message: str) -> NoReturn:
    """Raise ImportFileError for a whole-file problem (empty, binary, unknown format...)."""
    raise ImportFileError(
        [Problem(source=source, message=message)], summary=not_imported(source, 1)
    )


def not_imported(source: str, count: int) -> str:
    """The first line of an ImportFileError's message."""
    return f"{source}: nothing was imported; {count} problem(s):"
