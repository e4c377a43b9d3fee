"""BibTeX/BibLaTeX exports (Scopus, Web of Science, ACM, IEEE, Google Scholar, Zotero...).

bibtexparser 2 splits the file, resolves @string macros, removes enclosing braces and
decodes LaTeX (``{\\'e}`` -> ``é``) and names; on top we recover the entries it sets aside
for a duplicate key or a repeated field (real Scopus exports repeat ``funding_details``),
report the ones it cannot read, and fill fields from a ``crossref`` parent.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

import bibtexparser
from bibtexparser import middlewares
from bibtexparser.library import Library
from bibtexparser.middlewares.middleware import Middleware
from bibtexparser.middlewares.names import NameParts
from bibtexparser.model import (
    Block,
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    Field,
    MiddlewareErrorBlock,
    ParsingFailedBlock,
    String,
)

from review_app.errors import Problem
from review_app.importers import normalize
from review_app.importers.record import DEFAULT_LIMITS, Limits, ParseResult, RecordSink

_GENERIC_TYPE = "misc"
_TITLED_BY_BOOKTITLE = frozenset({"proceedings", "book", "collection"})
_VERBATIM = frozenset({"url", "doi", "eprint", "file", "pdf"})
_NAME_FIELDS = frozenset({"author", "editor", "translator"})
# Text without any of these reads the same decoded or not; decoding is the slow part.
_LATEX = re.compile(r"[\\{}$~%&^_#]|--|``|''|[?!]`|<<|>>|,,")
_MONTHS = {
    name[:3].lower(): name
    for name in ("January", "February", "March", "April", "May", "June", "July", "August",
                 "September", "October", "November", "December")
}  # fmt: skip
_NOT_INHERITED = frozenset({"title", "crossref", "ids", "key", "entrytype", "type"})

FIELDS: normalize.FieldMap = {
    "title": ("title", "_booktitle"),
    "abstract": ("abstract",),
    "authors": ("author",),
    "year": ("year", "date"),
    "journal": ("journal", "journaltitle", "booktitle"),
    "volume": ("volume",),
    "issue": ("number", "issue"),
    "pages": ("pages",),
    "doi": ("doi",),
    "pmid": ("pmid",),
    "issn": ("issn", "eissn"),
    "isbn": ("isbn",),
    "keywords": ("_keywords",),
    "language": ("language", "langid"),
    "publication_type": ("_type",),
    "url": ("url",),
    "source_record_id": ("_key",),
}


class _LowerCaseFieldNames(middlewares.BlockMiddleware):
    """``Author``/``AUTHOR`` as ``author``: field names are case-insensitive in BibTeX, but
    bibtexparser's name middlewares look for the lower-case ones (WoS and EBSCO capitalise)."""

    def __init__(self) -> None:
        super().__init__(allow_inplace_modification=True)

    @classmethod
    def metadata_key(cls) -> str:
        return "review_app_lower_case_field_names"

    def transform_entry(self, entry: Entry, library: Library) -> Entry:
        for field in entry.fields:
            field.key = field.key.lower()
        return entry


class _ResolveStrings(middlewares.BlockMiddleware):
    """@string macros as BibTeX uses them: case-insensitive, joined with ``#``, and the
    predefined month names (``month = jun``).

    bibtexparser resolves a lone, exactly-cased macro only; ``"John " # myname`` and ``title =
    mytitle`` (defined as ``myTitle``) are common in hand-kept files. Resolved values are
    wrapped in braces so the next middleware removes them like any other.
    """

    def __init__(self) -> None:
        super().__init__(allow_inplace_modification=True)
        self._macros: dict[str, str] = dict(_MONTHS)

    @classmethod
    def metadata_key(cls) -> str:
        return "review_app_resolve_strings"

    def transform_string(self, string: String, library: Library) -> String:
        text = self._resolve(str(string.value))
        self._macros[string.key.lower()] = _unenclose(text)
        string.value = text
        return string

    def transform_entry(self, entry: Entry, library: Library) -> Entry:
        for field in entry.fields:
            if isinstance(field.value, str):
                field.value = self._resolve(field.value)
        return entry

    def _resolve(self, value: str) -> str:
        pieces = _concatenated(value)
        if len(pieces) == 1 and _unenclose(pieces[0]) != pieces[0]:
            return value  # a plain {...} or "..." value
        return "{" + "".join(self._piece(piece) for piece in pieces) + "}"

    def _piece(self, piece: str) -> str:
        if (inner := _unenclose(piece)) != piece or piece.isdigit():
            return inner
        return self._macros.get(piece.lower(), piece)


def _concatenated(value: str) -> list[str]:
    """``a # "b" # {c}`` -> ``['a', '"b"', '{c}']``; ``#`` in braces or quotes, or escaped
    (``\\#``, ``\\}``), is text."""
    pieces: list[str] = []
    depth, quoted, start, escaped = 0, False, 0, False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif char == "#" and depth == 0 and not quoted:
            pieces.append(value[start:index].strip())
            start = index + 1
    pieces.append(value[start:].strip())
    return pieces


def _unenclose(text: str) -> str:
    if len(text) >= 2 and (text[0], text[-1]) in (("{", "}"), ('"', '"')):
        return text[1:-1]
    return text


class _LatexDecoding(middlewares.BlockMiddleware):
    """LaTeX decoding of text fields that keeps URLs and DOIs as written and survives
    exporters' habits; names are left for :class:`_DecodeNames`, after they are split.

    pylatexenc reads a bare ``&`` as a table column break ("Wiley & Sons" -> "Wiley  Sons",
    URLs lose their query), and exporters write HTML entities (``&amp;``, ``&#169;``), so
    those are made plain text first.
    """

    def __init__(self) -> None:
        super().__init__(allow_inplace_modification=True)
        self._decoder = middlewares.LatexDecodingMiddleware()

    @classmethod
    def metadata_key(cls) -> str:
        return "review_app_latex_decoding"

    def transform_entry(self, entry: Entry, library: Library) -> Entry:
        text: list[Field] = []
        for field in entry.fields:
            if not isinstance(field.value, str):
                continue
            if field.key in _VERBATIM:
                field.value = re.sub(r"\\([_&%#$~])", r"\1", field.value)
                continue
            field.value = re.sub(r"(?<!\\)&", r"\\&", html.unescape(field.value))
            if field.key not in _NAME_FIELDS and _LATEX.search(field.value):
                text.append(field)
        self._decoder.transform_entry(Entry(entry.entry_type, entry.key, text), library)
        return entry


class _DecodeNames(middlewares.BlockMiddleware):
    """Each split name as "von Last, Jr, First", LaTeX decoded.

    Names are split on the raw LaTeX, where braces still group (``{World Health
    Organization}`` is one name, ``{\\{}`` a literal brace), and decoded afterwards.
    """

    def __init__(self) -> None:
        super().__init__(allow_inplace_modification=True)
        self._decoder = middlewares.LatexDecodingMiddleware()

    @classmethod
    def metadata_key(cls) -> str:
        return "review_app_decode_names"

    def transform_entry(self, entry: Entry, library: Library) -> Entry:
        for field in entry.fields:
            if field.key in _NAME_FIELDS and isinstance(field.value, list):
                names = [
                    Field(str(number), name.merge_last_name_first)
                    for number, name in enumerate(field.value)
                    if isinstance(name, NameParts)
                ]
                latex = [name for name in names if _LATEX.search(name.value)]
                self._decoder.transform_entry(Entry(entry.entry_type, entry.key, latex), library)
                field.value = [name.value for name in names]
        return entry


def _middlewares() -> list[Middleware]:
    """The parse stack: macros, enclosing braces, LaTeX, then names split into their parts."""
    return [
        _LowerCaseFieldNames(),
        _ResolveStrings(),
        middlewares.RemoveEnclosingMiddleware(),
        _LatexDecoding(),
        middlewares.SeparateCoAuthors(),
        middlewares.SplitNameParts(),
        _DecodeNames(),
    ]


def parse(
    text: str, *, source: str, sink: RecordSink | None = None, limits: Limits = DEFAULT_LIMITS
) -> ParseResult:
    """Read every entry of a BibTeX file; @string, @comment and @preamble are not records."""
    result = ParseResult(format="bibtex", source=source, sink=sink, limits=limits)
    try:
        library = bibtexparser.parse_string(text, parse_stack=_middlewares())
    except Exception as error:  # the library's own errors are not a documented family
        result.problems.append(Problem(source=source, message=f"not readable as BibTeX: {error}"))
        return result
    blocks = sorted([*library.entries, *library.failed_blocks], key=_start_line)
    entries: list[tuple[int, Entry]] = []
    for position, block in enumerate(blocks, start=1):
        if isinstance(block, Entry):
            entries.append((position, block))
        elif (entry := _recover(block, library, result, source=source)) is not None:
            entries.append((position, entry))
        else:
            result.problems.append(_unreadable(block, position, source=source))
    by_key = {entry.key.lower(): fields for _, entry in entries if (fields := _fields(entry))}
    for position, entry in entries:
        fields = _with_crossref(_fields(entry), by_key, result, source=source)
        raw = {"ENTRYTYPE": entry.entry_type, "key": entry.key, **fields}
        record, problems = normalize.build_record(
            _lookup(entry, fields),
            FIELDS,
            source=source,
            position=position,
            line=_start_line(entry) + 1,
            raw=raw,
        )
        normalize.add_record(result, record, problems)
    return result


def _start_line(block: Block) -> int:
    """0-based line where a block starts (bibtexparser leaves it unset on made-up blocks)."""
    return block.start_line or 0


def _recover(block: Any, library: Library, result: ParseResult, *, source: str) -> Entry | None:
    """The entry behind a duplicate key or repeated field, decoded like the others."""
    if not isinstance(block, (DuplicateBlockKeyBlock, DuplicateFieldKeyBlock)):
        return None
    entry = block.ignore_error_block
    if not isinstance(entry, Entry):
        return None
    result.warnings.append(f"{source}: line {_start_line(block) + 1}: {block.error}; entry kept")
    mini = Library(blocks=[*library.strings, entry], fail_on_duplicate_key=False)
    for middleware in _middlewares():
        mini = middleware.transform(mini)
    decoded = mini.entries
    return decoded[0] if decoded else None


def _unreadable(block: Any, position: int, *, source: str) -> Problem:
    error = getattr(block, "error", None)
    if isinstance(block, MiddlewareErrorBlock):
        reason = f"a field could not be decoded ({error})"
    elif isinstance(block, ParsingFailedBlock):
        reason = getattr(error, "abort_reason", None) or str(error) or "the entry is malformed"
    else:
        reason = f"{type(block).__name__}: {error}"
    return Problem(
        source=source,
        line=_start_line(block) + 1,
        record=position,
        message=f"{reason}; an entry looks like @article{{key, title = {{...}}, year = {{2020}}}}",
    )


def _fields(entry: Entry) -> dict[str, Any]:
    """Field name (lower case) -> text, or a list of "Family, Given" names."""
    fields: dict[str, Any] = {}
    for field in entry.fields:
        value, key = _value(field.value), field.key
        if key in fields:  # a repeated field keeps every value
            previous = fields[key]
            value = [*(previous if isinstance(previous, list) else [previous]), value]
        fields[key] = value
    return fields


def _value(value: Any) -> Any:
    return [str(item) for item in value] if isinstance(value, list) else str(value)


def _with_crossref(
    fields: dict[str, Any], by_key: dict[str, dict[str, Any]], result: ParseResult, *, source: str
) -> dict[str, Any]:
    """Fields missing here taken from the ``crossref`` parent; its title becomes our booktitle."""
    parent_key = fields.get("crossref")
    if not isinstance(parent_key, str):
        return fields
    parent = by_key.get(parent_key.lower())
    if parent is None:
        result.warnings.append(f"{source}: crossref {parent_key!r} is not in the file")
        return fields
    inherited = {k: v for k, v in parent.items() if k not in _NOT_INHERITED and k not in fields}
    if "booktitle" not in fields and "title" in parent:
        inherited["booktitle"] = parent["title"]
    return {**fields, **inherited}


def _lookup(entry: Entry, fields: dict[str, Any]) -> dict[str, Any]:
    lookup = dict(fields)
    lookup["_key"] = entry.key
    kind = entry.entry_type.lower()
    lookup["_type"] = fields.get("type") or (None if kind == _GENERIC_TYPE else kind)
    if kind in _TITLED_BY_BOOKTITLE:
        lookup["_booktitle"] = fields.get("booktitle")
    keywords = [fields.get(key) for key in ("keywords", "keyword", "author_keywords")]
    lookup["_keywords"] = _split_keywords(keyword for keyword in keywords if keyword)
    return lookup


def _split_keywords(values: Iterable[str | list[str]]) -> list[str]:
    items = [item for value in values for item in ([value] if isinstance(value, str) else value)]
    return [piece for item in items for piece in re.split(r"[,;]", item)]
