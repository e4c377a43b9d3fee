"""Which export format a text is, told by its content; the file name only breaks ties.

``detect_format`` reads the content only. ``choose_format`` adds the file's suffix: an explicit
suffix (.csv, .ris, .nbib...) whose format fits the content wins, even when a quoted CSV cell
holds a line that looks like RIS; when the content does not fit its suffix, the content decides
and a warning says so (real exports do this: rispy's own Web of Science example is a ``.ris``).

Strong signatures first (an EndNote XML root, RIS ``TY  -``, a WoS ``PT J`` ... ``ER``,
MEDLINE ``PMID-`` or tagged lines without RIS's ``TY``), then BibTeX entries, then delimited
text. Formats we do not read
(JSON, EndNote/Refer ``%T`` tagged text, HTML) are named in the refusal so the person knows
what to export instead.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import NoReturn

from review_app.importers import tabular
from review_app.importers.decoding import refuse

FORMATS = ("ris", "medline", "bibtex", "endnote-xml", "csv", "wos")
_SAMPLE_LINES = 400
_RIS_START = re.compile(r"^TY[ \t]{1,3}-", re.MULTILINE)
_WOS_START = re.compile(r"^PT [A-Z]\s*$", re.MULTILINE)
_WOS_END = re.compile(r"^(?:ER|EF)\s*$", re.MULTILINE)
_MEDLINE = re.compile(r"^(?:PMID- ?\d|OWN - |FAU - )", re.MULTILINE)
_MEDLINE_FIELD = re.compile(r"^[A-Z][A-Z0-9 ]{3}- ")  # "TI  - ", "PMID- ": tag padded to four
_REFER = re.compile(r"^%[0ATDJ] \S", re.MULTILINE)
_BIBTEX = re.compile(r"^\s*@[A-Za-z]+\s*[{(]", re.MULTILINE)
_TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".xlsx")
# What a suffix promises. .txt and others promise nothing (PubMed, WoS and EndNote all write .txt).
SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".xlsx": "csv",
    ".ris": "ris",
    ".nbib": "medline",
    ".medline": "medline",
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".xml": "endnote-xml",
    ".ciw": "wos",
}
_FORMAT_NAMES = {
    "ris": "RIS",
    "medline": "MEDLINE",
    "bibtex": "BibTeX",
    "endnote-xml": "EndNote XML",
    "csv": "a table (CSV/TSV)",
    "wos": "Web of Science plain text",
}
_EXPORT_ADVICE = (
    "export the search results as RIS, MEDLINE (.nbib), BibTeX, EndNote XML, CSV or XLSX"
)


def detect_format(text: str, filename: str) -> str:
    """One of ``FORMATS`` for this text (the whole file, or its first few thousand lines), or
    ImportFileError naming what it seems to be instead."""
    sample = "\n".join(text.lstrip().split("\n", _SAMPLE_LINES)[:_SAMPLE_LINES])
    head = sample.lstrip()[:200].lower()
    if head.startswith("<"):
        if "<record" in sample or "<xml" in head:
            return "endnote-xml"
        _refuse(filename, "an XML or HTML file that is not an EndNote XML export (<xml><records>)")
    if head.startswith(("{", "[")):
        _refuse(filename, "JSON, which is not a search-export format we read")
    if _RIS_START.search(sample):
        return "ris"
    if _WOS_START.search(sample) and (_WOS_END.search(text) or sample.startswith("FN ")):
        return "wos"
    if _MEDLINE.search(sample) or _MEDLINE_FIELD.match(sample):
        return "medline"  # tagged like RIS but without "TY  -" records
    if _REFER.search(sample):
        _refuse(filename, "EndNote/Refer tagged text (%T, %A lines), which we do not read")
    if PurePath(filename).suffix.lower() in _TABLE_SUFFIXES:
        return "csv"
    if _BIBTEX.search(sample):
        return "bibtex"
    if _looks_delimited(sample):
        return "csv"
    _refuse(filename, "text in no export format we know")


def choose_format(text: str, filename: str) -> tuple[str, str | None]:
    """(format, warning) for a file read with format "auto": its suffix's format when the
    content fits it, else the content's format and a warning naming the mismatch."""
    suffix = PurePath(filename).suffix.lower()
    promised = SUFFIX_FORMATS.get(suffix)
    if promised is not None and fits(promised, text, filename):
        return promised, None
    found = detect_format(text, filename)
    if promised is None or found == promised:
        return found, None
    warning = (
        f"{filename}: the name ends in {suffix} ({_FORMAT_NAMES[promised]}), but the content "
        f"is not {_FORMAT_NAMES[promised]}; it looks like {_FORMAT_NAMES[found]} and was read "
        f"as {found}. Check that this is the file you meant, or rename it."
    )
    return found, warning


def fits(format: str, text: str, filename: str) -> bool:
    """Whether the start of ``text`` is what a reader of ``format`` needs to begin with."""
    sample = "\n".join(text.lstrip().split("\n", _SAMPLE_LINES)[:_SAMPLE_LINES])
    if format == "csv":
        return tabular.has_title_column(sample, filename)
    if format == "ris":
        return bool(_RIS_START.search(sample))
    if format == "wos":
        return bool(_WOS_START.search(sample))
    if format == "medline":
        return not _RIS_START.search(sample) and bool(
            _MEDLINE.search(sample) or _MEDLINE_FIELD.match(sample)
        )
    if format == "bibtex":
        return bool(_BIBTEX.search(sample))
    if format == "endnote-xml":
        head = sample.lstrip()[:200].lower()
        return head.startswith("<") and ("<record" in sample or "<xml" in head)
    return False


def _looks_delimited(sample: str) -> bool:
    """A first line with a delimiter in it: a header row, perhaps."""
    header = next((line for line in sample.split("\n") if line.strip()), "")
    return any(delimiter in header for delimiter in (",", ";", "\t", "|"))


def _refuse(filename: str, what: str) -> NoReturn:
    refuse(filename, f"this looks like {what}; {_EXPORT_ADVICE}")
