"""Normalisers for titles and identifiers: pure functions on strings, idempotent.

Every function accepts any string (or None) and never raises; a value that carries no
usable information comes back as ``None`` (or empty).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

# Letters NFKD does not decompose into ASCII.
_SPECIAL_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "þ": "th",
        "ı": "i",
    }
)
# Greek letters are spelled out, as MEDLINE does ("TNF-α" = "TNF-alpha").
_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta",
    "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "µ": "mu",
    "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "sigma", "τ": "tau",
    "υ": "upsilon", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
}  # fmt: skip
_GREEK_RE = re.compile("|".join(_GREEK), re.IGNORECASE)
_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")

_LANGUAGES = (
    "afrikaans|arabic|bulgarian|catalan|chinese|croatian|czech|danish|dutch|english|estonian|"
    "finnish|french|georgian|german|greek|hebrew|hungarian|icelandic|indonesian|italian|"
    "japanese|korean|latvian|lithuanian|malay|norwegian|persian|polish|portuguese|romanian|"
    "russian|serbian|slovak|slovene|slovenian|spanish|swedish|thai|turkish|ukrainian|"
    "vietnamese|multiple languages"
)
# Bracketed notes that databases append to titles: "[Article in German]", "[Chinese]",
# "[In Process Citation]", "[author's transl]", "[Abstract]", "[abstract no: 134]", "[letter]",
# "[Erratum appears in N Engl J Med 2005;352:2146]" (a link to an erratum, not an erratum).
_NOTE_RE = re.compile(
    r"^\s*(?:(?:article|text|abstract|summary) in (?:" + _LANGUAGES + r")\b.*"
    r"|(?:" + _LANGUAGES + r")(?: abstract| translation| text)?"
    r"|in process citation|authors?'? ?s? transl(?:ation)?|see comments?|letter|editorial"
    r"|(?:published )?(?:erratum|comment|retraction|update|corrected|republished|reprinted)"
    r"(?: (?:appears|in|of|on|from|to|and|notice)\b.*)?"
    r"|abstract(?: no\b.*| only)?|meeting abstract|poster\b.*|conference abstract)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CLOSING = {"[": "]", "(": ")"}
_LANGUAGE_NOTE_RE = re.compile(
    r"^(?:(?:article|text|summary|abstract) in |" + _LANGUAGES + r"|author)"
)
# Function words of Spanish, French, German, Italian and Portuguese that are not English words.
_FOREIGN_WORDS = frozenset(
    "de la los las del el en y des les et du le une der das und mit fur von zur zum bei dei "
    "della delle il nel con per com na em da para uma sur dans avec pour sobre por lo al ou "
    "nos nas dos das".split()
)
_YEAR_RE = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_DOI_RE = re.compile(r"10\.\d{4,9}/\S+")
_ISSN_RE = re.compile(r"(?<![\dXx-])(\d{4})-?(\d{3}[\dXx])(?![\dXx])")
_LEADING_INT_RE = re.compile(r"^\D{0,8}?(\d+)")


def fold(text: str | None, *, lower: bool = True) -> str:
    """Unicode-fold to ASCII (lower-case unless told): accents, HTML entities and tags removed."""
    if not text:
        return ""
    text = str(text)
    if "&" in text:
        text = html.unescape(html.unescape(text))
    if "<" in text:
        text = _TAG_RE.sub("", text)
    if not text.isascii():
        text = text.translate(_SPECIAL_LETTERS)
        text = _GREEK_RE.sub(lambda m: " " + _GREEK.get(m.group(0).lower(), "") + " ", text)
        # NFKD splits accented letters into letter + combining mark; the marks are not ASCII.
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return text.lower() if lower else text


def words(text: str | None) -> str:
    """Folded text as lower-case alphanumeric words separated by single spaces."""
    return _NON_ALNUM_RE.sub(" ", fold(text)).strip()


@dataclass(frozen=True, slots=True)
class TitleParts:
    """A normalised title and what its bracketed notes said."""

    text: str  # normalised words, single spaces
    notes: tuple[str, ...] = ()  # the notes removed, folded ("article in german", "abstract")
    # The whole title was in [brackets] (MEDLINE's mark of a translated title) or a note
    # named a language ("[Chinese]", "[Article in German]", "[author's transl]").
    translated: bool = False


def _strip_notes(raw: str) -> tuple[str, tuple[str, ...]]:
    """Remove bracketed notes (balanced, nested brackets allowed); return what they said."""
    if "[" not in raw and "(" not in raw:
        return raw, ()
    notes: list[str] = []
    out: list[str] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        end = _matching(raw, i) if char in _CLOSING else -1
        if end > 0 and _NOTE_RE.match(raw[i + 1 : end]):
            notes.append(words(raw[i + 1 : end]))
            out.append(" ")
            i = end + 1
            continue
        out.append(char)
        i += 1
    return "".join(out), tuple(notes)


def _matching(text: str, start: int) -> int:
    """Index of the bracket closing the one at ``start``, or -1."""
    opening, closing, depth = text[start], _CLOSING[text[start]], 0
    for k in range(start, len(text)):
        if text[k] == opening:
            depth += 1
        elif text[k] == closing:
            depth -= 1
            if depth == 0:
                return k
    return -1


def parse_title(title: str | None) -> TitleParts:
    """Split a title into normalised words and the translation/type notes databases add."""
    if not title:
        return TitleParts("")
    raw = html.unescape(html.unescape(str(title)))
    raw = _TAG_RE.sub("", raw).strip().strip("\"'“”‘’ ").strip()
    raw, notes = _strip_notes(raw)
    raw = raw.strip().rstrip(". ").strip()
    bracketed = False
    while raw.startswith("[") and "]" in raw:
        inside, _, rest = raw[1:].partition("]")
        if "[" in inside or len(inside) < len(rest):  # a bracket inside the title, not a wrapper
            break
        raw, bracketed = (inside + " " + rest).strip(), True
    translated = bracketed or any(_LANGUAGE_NOTE_RE.search(n) for n in notes)
    return TitleParts(words(raw), notes, translated)


def looks_non_english(title_words: str) -> bool:
    """True when a normalised title holds two or more function words of other languages
    ("prophylaxie antibiotique et antiseptique en chirurgie"): an original-language title."""
    return len(_FOREIGN_WORDS.intersection(title_words.split())) >= 2


def normalise_title(title: str | None) -> str:
    """Title words without case, accents, punctuation, HTML or bracketed translation notes."""
    return parse_title(title).text


def normalise_doi(doi: str | None) -> str | None:
    """The first DOI in the text, lower-case, without resolver prefix or trailing punctuation."""
    if not doi:
        return None
    text = unquote(str(doi)).strip().lower()
    match = _DOI_RE.search(text)
    if not match:
        return None
    value = match.group(0).rstrip(".,;:'\"")
    while value.endswith((")", "]")) and value.count("(") < value.count(")") + (
        value.endswith("]") and value.count("[") < value.count("]")
    ):
        value = value[:-1].rstrip(".,;:'\"")
    return value if len(value) > 8 else None


def normalise_pmid(pmid: str | int | None) -> str | None:
    """PubMed id as digits without leading zeros ("PMID: 012345" -> "12345")."""
    if pmid is None:
        return None
    digits = re.sub(r"\D", "", str(pmid).split(".")[0] if isinstance(pmid, float) else str(pmid))
    digits = digits.lstrip("0")
    return digits if 0 < len(digits) <= 9 else None


def normalise_year(year: str | int | None) -> int | None:
    """A plausible publication year (1500-2099) from an int or text ("2008/05/01", "c2010")."""
    if year is None or isinstance(year, bool):
        return None
    if isinstance(year, int):
        return year if 1500 <= year <= 2099 else None
    match = _YEAR_RE.search(str(year))
    return int(match.group(1)) if match else None


def normalise_issns(*values: str | None) -> frozenset[str]:
    """Every ISSN found in the values, as 8 characters ("0957-9672 (Print)" -> "09579672")."""
    found: set[str] = set()
    for value in values:
        if value:
            found.update((a + b).upper() for a, b in _ISSN_RE.findall(str(value)))
    return frozenset(found)


@lru_cache(maxsize=1 << 14)
def leading_number(value: str | None) -> str | None:
    """The first whole number of a volume or issue ("38 (Supplement 1)" -> "38").

    A value with unbalanced brackets ("1)" from "55 (Suppl 1)" split over two fields by an
    export) is a fragment of another field, not a volume: None.
    """
    if not value or value.count("(") != value.count(")"):
        return None
    match = _LEADING_INT_RE.search(fold(value).strip())
    return match.group(1).lstrip("0") or "0" if match else None
