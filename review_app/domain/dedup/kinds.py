"""What kind of publication a record is: an article, or a notice about one, or an abstract.

An erratum, a retraction notice, a comment or a reply often repeats the title of the article
it is about, yet it is a different record: merging it would drop the article or the notice
from the review, which must see both (Cochrane Handbook 5.1, section 6.4.10, "Identifying
fraudulent studies, other retracted publications, errata and comments"; MEDLINE marks them
with the publication types "Published Erratum", "Retraction of Publication", "Comment").
A conference abstract is a different report from the full article of the same title. These
kinds are read from the title and the publication type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from review_app.domain.dedup.text import fold

_SEP = r"\s*(?:[:.\-–—]|\bto\b|\bof\b|\bfor\b|\bon\b|$)"
# A notice prefix: the kind and the title that follows ("Erratum: <title>").
_CORRECTION = r"(?:author |publisher'?s? )?(?:correction|notice of correction)s?"
_NOTICE_PREFIXES = (
    ("erratum", re.compile(r"^(?:errat(?:um|a)|corrigend(?:um|a)|addendum)\b" + _SEP)),
    ("erratum", re.compile("^" + _CORRECTION + r"\s*(?:[:.]|\bto\b|$)")),
    ("retraction", re.compile(r"^(?:retraction(?: notice)?|notice of retraction)" + _SEP)),
    (
        "retraction",
        re.compile(r"^(?:withdrawal notice|(?:editorial )?expression of concern)" + _SEP),
    ),
    (
        "comment",
        re.compile(r"^(?:comments?|commentary|re|letter|correspondence)\s*(?::|\bon\b|\bto\b)"),
    ),
    (
        "reply",
        re.compile(r"^(?:reply|in reply|authors?'? reply|author's reply|in response)" + _SEP),
    ),
    (
        "reply",
        re.compile(r"^response to (?:the )?(?:letter|comments?|commentary|correspondence)\b"),
    ),
)
# A reply named after the title it answers ("<title>. AUTHORS REPLY", "<title> - Reply",
# "<title> (Author's response)"). "Authors' reply" never ends an article's title, so it needs
# no separator; a bare "reply" or "response" does ("... and the immune response"), and a dash
# counts only with a space before it ("dose-response" is a word).
_AUTHORS_REPLY = r"(?:the )?authors?'?s?'? (?:reply|response)"
_REPLY_SUFFIX_RE = re.compile(
    r"(?:(?:\s*[:.;,(\[]|\s+[\-–—]+)\s*(?:" + _AUTHORS_REPLY + r"|in reply|reply|response)"
    r"|\s" + _AUTHORS_REPLY + r")\s*[.)\]]*$"
)
# The same words in capitals after a title that is not all capitals ("<Title> REPLY").
_CAPITAL_REPLY_RE = re.compile(r"\s(?:AUTHORS?'?S?'? )?(?:REPLY|RESPONSE)\W*$")
_REPLY_PREFIX_RE = re.compile(
    r"^(?:" + _AUTHORS_REPLY + r"|reply|response)(?:\s+to)?\s*(?:[:.;]|\s[\-–—])"
)
# "RETRACTED: <title>" and "Retracted article: <title>" name the article itself, flagged.
_RETRACTED_RE = re.compile(r"^(?:retracted(?: article)?|withdrawn)\s*[:.\-]\s*")
# Publication types of notices (MEDLINE's "Published Erratum", "Comment", Embase's "Erratum").
# Scopus's and Embase's "Note" is a short article, not a notice, so it is not listed.
_NOTICE_TYPES = (
    ("erratum", re.compile(r"errat|correct|corrigend")),
    ("retraction", re.compile(r"retraction|expression of concern")),
    ("comment", re.compile(r"^comment\b|\bcomment$|\bcomment;")),
)
_MEETING_RE = re.compile(
    r"\b(?:conference|congress|meeting|symposium|proceedings|inproceedings|poster|abstracts?|"
    r"conf|proc)\b"
)


@dataclass(frozen=True, slots=True)
class Kind:
    """``notice`` is None for an article, else erratum | retraction | comment | reply."""

    notice: str | None = None
    meeting: bool = False  # a conference/meeting abstract or paper


def strip_notice(title: str | None) -> tuple[str | None, str]:
    """The notice kind a title starts with, and the title without that prefix."""
    text = fold(title).strip(" \"'[(")
    text = _RETRACTED_RE.sub("", text)
    for kind, pattern in _NOTICE_PREFIXES:
        match = pattern.match(text)
        if match:
            return kind, text[match.end() :].strip(" :.-\"'")
    match = _REPLY_PREFIX_RE.match(text)
    if match:
        return "reply", text[match.end() :].strip(" :.-\"'")
    suffix = _reply_suffix_length(fold(title, lower=False).strip(" \"'[("))
    if suffix and suffix < len(text):
        return "reply", text[:-suffix].strip(" :.-\"'")
    return None, text


def _reply_suffix_length(title: str) -> int:
    """How many characters a reply suffix takes at the end of a folded, case-kept title (0:
    none). A length, not a position, so that it applies to the title stripped at its start."""
    match = _REPLY_SUFFIX_RE.search(title.lower())
    if match is None and not title.isupper():
        match = _CAPITAL_REPLY_RE.search(title)
    return len(title) - match.start() if match else 0


def notice_from_type(publication_type: str | None, notes: tuple[str, ...] = ()) -> str | None:
    """Erratum | retraction | comment from a publication type ("Published Erratum", ...)

    or from a title note that names the record's own type ("[erratum]", "[comment]").
    """
    for note in notes:
        if note in ("erratum", "comment"):
            return note
    text = fold(publication_type)
    for kind, pattern in _NOTICE_TYPES:
        if pattern.search(text):
            return kind
    return None


def is_meeting(
    *,
    notes: tuple[str, ...],
    journal: str | None,
    volume: str | None,
    issue: str | None,
    pages: str | None,
    publication_type: str | None,
) -> bool:
    """True when any field says conference/meeting abstract or proceedings paper."""
    if any("abstract" in n or "poster" in n or "conference" in n for n in notes):
        return True
    fields = (journal, volume, issue, pages, publication_type)
    return any(_says_meeting(f) for f in fields if f)


@lru_cache(maxsize=1 << 14)
def _says_meeting(text: str) -> bool:
    return bool(_MEETING_RE.search(fold(text).replace("meetingabstract", "meeting abstract")))
