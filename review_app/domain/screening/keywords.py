"""Keywords to highlight while screening: the protocol's criteria give them, a pattern finds them.

Pure: a Protocol and text in, lists and a compiled pattern out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from review_app.domain.vocabulary import Stage
from review_app.protocol import Protocol

__all__ = ["compile_keywords", "keyword_lists"]


def keyword_lists(protocol: Protocol, stage: Stage | str) -> tuple[list[str], list[str]]:
    """(include, exclude) keywords to highlight at ``stage``, from criteria of that stage or both.

    Order is kept and repeats (ignoring case) dropped. Match them with :func:`compile_keywords`.
    """
    if stage not in tuple(Stage):
        allowed = ", ".join(f"'{s}'" for s in Stage)
        raise ValueError(f"stage must be one of {allowed}, not {stage!r}")
    criteria = protocol.criteria_for(stage)
    include = _unique_casefold(k for c in criteria for k in c.include_keywords)
    exclude = _unique_casefold(k for c in criteria for k in c.exclude_keywords)
    return include, exclude


def compile_keywords(keywords: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern matching any of ``keywords`` as whole words.

    ``*`` stands for any run of letters or digits (``mitragyn*`` matches mitragynine,
    ``randomi*`` matches randomised and randomized); a space matches any white space. Without a
    ``*`` a keyword matches only the whole word (``rat`` does not match ``ratio``).
    None when there are no keywords.
    """
    usable = {_keyword_body(k) for k in keywords if re.search(r"\w", k)}
    bodies = sorted(usable, key=len, reverse=True)
    if not bodies:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(bodies)})(?!\w)", re.IGNORECASE)


def _keyword_body(keyword: str) -> str:
    words = keyword.strip().split()
    return r"\s+".join(r"\w*".join(re.escape(p) for p in w.split("*")) for w in words)


def _unique_casefold(items: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(item.casefold(), item)
    return list(seen.values())
