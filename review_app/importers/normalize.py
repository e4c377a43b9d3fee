"""Our normalisation on top of the format libraries: picked values in, one RecordIn out.

Each format module reads a record with its library, then names, per field, where to look
(a ``FieldMap``: field -> keys in order of preference) and calls :func:`build_record`.
Keeping the cleaning rules here means a DOI, a year or an ISSN comes out the same whatever
the file format, and a record is refused for the same reasons everywhere.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from review_app.errors import Problem
from review_app.importers.decoding import refuse
from review_app.importers.record import ParseResult, RecordIn

FieldMap = Mapping[str, Sequence[str]]

MIN_YEAR = 1600
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]")  # and stray BOMs
# A DOI: "10." + a 4-9 digit registrant + "/" + a suffix of anything visible (DOI suffixes hold
# brackets, "<", ";", "#"...: links are built from escaped parts, ui/components/links.py).
_DOI = re.compile(
    r"10\.\d{4,9}/[^\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]+"
)
_DOI_PREFIX = re.compile(
    r"^(?:(?:https?://)?(?:(?:dx|www)\.)?doi\.org/|doi\s*:\s*|doi\s+)", re.IGNORECASE
)
_DOI_MARK = re.compile(r"\s*\[doi\]$", re.IGNORECASE)  # MEDLINE's "10.1/x [doi]"
DOI_RULE = "a DOI is 10.NNNN/suffix (4-9 digits, no spaces), optionally after https://doi.org/"
_SHOWN = 60  # characters of a left-out value shown in a warning
_PMID = re.compile(r"\s*(?:pmid:?\s*)?(\d{1,9})(?!\d)", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(\d{4})")
_SERIAL = re.compile(r"\d[\dXx-]*")
_PAGE_DASH = re.compile(r"\s*[-‐‑‒–—]+\s*")
_PAGE_PREFIX = re.compile(r"^pp?\.?\s+|^pp\.?(?=\d)", re.IGNORECASE)
_KEYWORD_SEPARATORS = re.compile(r"[;|\n]")
_PUBMED_PROVIDERS = ("nlm", "pubmed", "medline")
_NOT_SPECIFIED = {"no-specified", "not specified", "no specified", "n/a"}


def max_year() -> int:
    """The latest year a record may carry: next year (in-press items are dated ahead)."""
    return datetime.date.today().year + 1


def clean_text(value: object) -> str | None:
    """One line of text: HTML character references read ("Alzheimer&#39;s" -> "Alzheimer's",
    as database web exports write them), control characters removed, runs of whitespace made
    one space."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = " ".join(str(v) for v in value if v is not None)
    text = str(value)
    if "&" in text and ";" in text:
        text = html.unescape(text)
    if text.isprintable():
        if "  " not in text and text[:1] != " " and text[-1:] != " ":
            return text or None  # already clean: share the string with the raw fields
    else:
        text = _CONTROL.sub(" ", text)
    return " ".join(text.split()) or None


def first_text(candidates: Iterable[object]) -> str | None:
    """The first candidate that has text in it (a list, e.g. a value wrapped over lines, is
    joined)."""
    for candidate in candidates:
        if (text := clean_text(candidate)) is not None:
            return text
    return None


def first_valid(candidates: Iterable[object], parse: Callable[[str], str | None]) -> str | None:
    """The first candidate that ``parse`` accepts (e.g. the first real DOI among several tags)."""
    for candidate in candidates:
        for item in _items(candidate):
            if (text := clean_text(item)) and (parsed := parse(text)):
                return parsed
    return None


def _items(value: object) -> Iterator[object]:
    if isinstance(value, (list, tuple)):
        yield from value
    elif value is not None:
        yield value


def normalize_doi(text: str) -> str | None:
    """``10.xxxx/yyy`` in lower case, without ``https://doi.org/``, ``doi:``, MEDLINE's
    `` [doi]`` or a final dot; None for anything else (text around it, spaces inside it)."""
    text = text.strip()
    if "%2f" in text.lower():
        text = unquote(text)
    text = _DOI_PREFIX.sub("", _DOI_MARK.sub("", text), count=1).strip().rstrip(".,;")
    return text.lower() if _DOI.fullmatch(text) else None


def normalize_pmid(text: str) -> str | None:
    """The digits of a PubMed id (``PMID: 123`` -> ``123``); None when it is not one."""
    match = _PMID.match(text)
    return match.group(1) if match else None


def normalize_url(text: str) -> str | None:
    """The first URL of a cell that may hold several (``a; b`` or ``a b``)."""
    return re.split(r"[\s;]+", text.strip())[0] or None


def normalize_pages(pages: str | None, start: str | None, end: str | None) -> str | None:
    """``start-end`` with one plain hyphen: ``12--23``, ``12 – 23``, ``pp. 12-23`` -> ``12-23``."""
    if pages is None:
        pages = f"{start}-{end}" if start and end and "-" not in start else start or end
    if pages is None:
        return None
    pages = _PAGE_DASH.sub("-", _PAGE_PREFIX.sub("", pages)).strip("-")
    if not pages or pages.lower() in _NOT_SPECIFIED:
        return None
    return pages


def parse_year(candidates: Iterable[tuple[str, object]]) -> tuple[int | None, str | None, str]:
    """Year from the first candidate holding a digit: (year, problem message, key it came from).

    A candidate without digits ("SEP", "n.d.") is skipped; one with digits but no plausible
    four-digit year ("10 15", "1066") is a problem rather than a silent None.
    """
    for key, candidate in candidates:
        text = clean_text(candidate)
        if text is None or not any(ch.isdigit() for ch in text):
            continue
        allowed = f"a year is four digits from {MIN_YEAR} to {max_year()}"
        match = _YEAR.search(text)
        if match is None:
            return None, f"year {text!r} is not a year; {allowed}", key
        year = int(match.group(1))
        if not MIN_YEAR <= year <= max_year():
            return None, f"year {year} is impossible; {allowed}", key
        return year, None, key
    return None, None, ""


def pubmed_id(accession: object, provider: object) -> str | None:
    """The accession number when the database provider is PubMed/MEDLINE (it is then a PMID),
    as in EndNote's exports of PubMed records (RIS ``AN`` + ``DP  - NLM``, XML accession-num)."""
    number = clean_text(accession)
    names = (clean_text(provider) or "").lower()
    if number and number.isdigit() and any(name in names for name in _PUBMED_PROVIDERS):
        return number
    return None


def split_serials(candidates: Iterable[object]) -> tuple[str | None, str | None]:
    """(ISSNs, ISBNs) found in any of the candidates, each list unique and joined with ``; ``.

    Exports mix them up (RIS SN holds either; "0964-6906 (Print)0964-6906"), so the kind is
    told by length: 8 characters is an ISSN (written NNNN-NNNC), 10 or 13 an ISBN (digits only).
    """
    issns: list[str] = []
    isbns: list[str] = []
    for candidate in candidates:
        for item in _items(candidate):
            for run in _SERIAL.findall(str(item)):
                code = run.replace("-", "").upper()
                if re.fullmatch(r"\d{7}[\dX]", code):
                    _add_unique(issns, f"{code[:4]}-{code[4:]}")
                elif re.fullmatch(r"\d{9}[\dX]|\d{13}", code):
                    _add_unique(isbns, code)
    return ("; ".join(issns) or None), ("; ".join(isbns) or None)


def _add_unique(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def split_authors(text: str) -> list[str]:
    """Authors from one cell: ``a; b``, ``a and b`` (BibTeX style) or ``Smith A, Jones B``.

    A comma separates authors only when every piece has a space in it ("Liu R., Adler D.G."),
    so a single "Family, Given" stays one author.
    """
    if ";" in text or "\n" in text:
        parts = re.split(r"[;\n]", text)
    elif " and " in text:
        parts = re.split(r"\s+and\s+", text)
    else:
        pieces = [p.strip() for p in text.split(",")]
        parts = pieces if len(pieces) > 1 and all(" " in p for p in pieces if p) else [text]
    return [name for p in parts if (name := clean_text(p))]


def author_list(candidates: Iterable[object]) -> list[str]:
    """Authors from the first candidate that has any (AU before A1, FAU before AU...).

    Each item is one name; a spreadsheet cell holding several is split by its reader.
    """
    for candidate in candidates:
        if names := [name for item in _items(candidate) if (name := clean_text(item))]:
            return names
    return []


def keyword_list(candidates: Iterable[object]) -> list[str]:
    """Keywords from every candidate, split on ``;``, ``|`` and line breaks, each once."""
    keywords: list[str] = []
    for candidate in candidates:
        for item in _items(candidate):
            for piece in _KEYWORD_SEPARATORS.split(str(item)):
                if keyword := clean_text(piece):
                    _add_unique(keywords, keyword)
    return keywords


def build_record(
    lookup: Mapping[str, Any],
    field_map: FieldMap,
    *,
    source: str,
    position: int,
    line: int | None,
    raw: dict[str, Any],
) -> tuple[RecordIn | None, list[Problem]]:
    """Normalise one record; (None, problems) when it cannot be imported as it is.

    ``lookup`` holds the record's values by key (tag, column or element); ``field_map`` says which
    keys feed which field, best first.
    """

    def values(name: str) -> list[Any]:
        return [lookup.get(key) for key in field_map.get(name, ())]

    def where(field: str, message: str) -> Problem:
        return Problem(source=source, line=line, record=position, field=field, message=message)

    problems: list[Problem] = []
    title = first_text(values("title"))
    if title is None:
        looked = ", ".join(_public(field_map.get("title", ()))) or "title"
        problems.append(
            where("title", f"no title ({looked} empty or missing); a title is required")
        )
    year, year_problem, year_key = parse_year(
        zip(field_map.get("year", ()), values("year"), strict=True)
    )
    if year_problem:
        problems.append(where(next(iter(_public([year_key])), "year"), year_problem))
    if problems:
        return None, problems
    issn, isbn = split_serials([*values("issn"), *values("isbn")])
    record = RecordIn(
        title=title,
        abstract=first_text(values("abstract")),
        authors=author_list(values("authors")),
        year=year,
        journal=first_text(values("journal")),
        volume=first_text(values("volume")),
        issue=first_text(values("issue")),
        pages=normalize_pages(
            first_text(values("pages")),
            first_text(values("start_page")),
            first_text(values("end_page")),
        ),
        doi=(doi := first_valid(values("doi"), normalize_doi)),
        pmid=first_valid(values("pmid"), normalize_pmid),
        issn=issn,
        isbn=isbn,
        keywords=keyword_list(values("keywords")),
        language=first_text(values("language")),
        publication_type=first_text(values("publication_type")),
        url=first_valid(values("url"), normalize_url),
        source_record_id=first_text(values("source_record_id")),
        raw=raw,
        position=position,
        line=line,
    )
    if doi is None and (given := first_text(values("doi"))) is not None:
        record.dropped.append(("doi", given))
    return record, []


def _public(keys: Iterable[str]) -> list[str]:
    """Keys a person can find in their file (ours, derived, start with "_")."""
    return [key for key in keys if key and not key.startswith("_")]


def add_record(result: ParseResult, record: RecordIn | None, problems: list[Problem]) -> None:
    """File the outcome of :func:`build_record` in ``result``, within ``result.limits``: a
    field longer than allowed makes the record a problem; one record too many stops the file."""
    limits = result.limits
    result.seen += 1
    if result.seen > limits.max_records:
        refuse(
            result.source,
            f"more than {limits.max_records:,} records; at most {limits.max_records:,} are read "
            "from one file (setting REVIEW_APP_MAX_RECORDS_PER_FILE): split the search export",
        )
    if record is not None and (too_long := _too_long(record, limits.max_field_chars)):
        name, length = too_long
        problems = [
            Problem(
                source=result.source,
                line=record.line,
                record=record.position,
                field=name,
                message=f"{length:,} characters; a field may hold at most "
                f"{limits.max_field_chars:,} (setting REVIEW_APP_MAX_FIELD_CHARS)",
            )
        ]
        record = None
    if record is not None:
        for name, value in record.dropped:
            _note_dropped(result, record, name, value)
        result.add(record)
    result.problems.extend(problems)


def _too_long(record: RecordIn, limit: int) -> tuple[str, int] | None:
    """(field as the file names it, length) of the first field longer than ``limit``: a raw
    value, or a normalised one (a title wrapped over many lines is joined into one)."""
    for key, value in record.raw.items():
        length = len(value) if isinstance(value, str) else _longest(value)
        if length > limit:
            return str(key), length
    for name in ("title", "abstract", "journal", "url", "source_record_id"):
        text = getattr(record, name)
        if text is not None and len(text) > limit:
            return name, len(text)
    for name in ("authors", "keywords"):
        if (length := max(map(len, getattr(record, name)), default=0)) > limit:
            return name, length
    return None


def _longest(value: object) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (list, tuple)):
        return max((_longest(item) for item in value), default=0)
    if isinstance(value, dict):
        return max((_longest(item) for item in value.values()), default=0)
    return 0


def _note_dropped(result: ParseResult, record: RecordIn, name: str, value: str) -> None:
    count, examples = result.dropped.get(name, (0, []))
    if len(examples) < 3:
        shown = value if len(value) <= _SHOWN else f"{value[:_SHOWN]}..."
        where = f"record {record.position}" + (f" (line {record.line})" if record.line else "")
        examples.append(f"{where}: {shown!r}")
    result.dropped[name] = (count + 1, examples)


def dropped_warnings(result: ParseResult) -> list[str]:
    """One warning per field that normalisation left out of some records."""
    rules = {"doi": DOI_RULE}
    return [
        f"{result.source}: {count} record(s) have a {name.upper()} that is not valid, left out "
        f"of the {name} field and kept with the record's raw fields ({rules.get(name, '')}); "
        + "; ".join(examples)
        for name, (count, examples) in result.dropped.items()
    ]


# A whole value that stands for "missing" in exports written by data-frame tools: R writes NA
# (the ASySD benchmark tables), pandas writes nan (ASReview's test exports: "IS  - nan",
# "EP  - nan"). Kept as text they become an issue or pages that two records agree on. Exact case
# only: "Na" (sodium) and "NA levels in NA patients" stay text.
MISSING_VALUE_MARKERS = frozenset({"NA", "nan"})


def is_missing_value(text: str) -> bool:
    """Whether a field's whole value is empty or a missing-value marker."""
    stripped = text.strip()
    return not stripped or stripped in MISSING_VALUE_MARKERS


def compact(values: Mapping[str, list[str]]) -> dict[str, str | list[str]]:
    """Raw fields as they came: one value as a string, repeated ones as a list, empty ones and
    missing-value markers (``MISSING_VALUE_MARKERS``) out."""
    compacted: dict[str, str | list[str]] = {}
    for key, items in values.items():
        kept = [item for item in items if not is_missing_value(item)]
        if kept:
            compacted[key] = kept[0] if len(kept) == 1 else kept
    return compacted
