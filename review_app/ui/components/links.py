"""Markdown links built from parts that came from a file or a person, escaped and quoted.

A record's DOI is text from an export: ``10.1234/x)[click](https://evil.example)`` passes the
DOI rule (DOI suffixes may hold brackets), so pasted into ``[..](https://doi.org/..)`` as it is,
it would close the link early and add one of its own. Here the link text is Markdown-escaped
(``:`` and ``/`` too, so no bare address in it is turned into a link) and the address is
percent-encoded, brackets included, so the address cannot end before we end it.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from review_app.ui.components.text import escape_markdown

DOI_RESOLVER = "https://doi.org/"
PUBMED = "https://pubmed.ncbi.nlm.nih.gov/"
# Kept as they are in a DOI's address: what doi.org needs unencoded. Not "(" or ")": an
# unbalanced ")" would end the Markdown link's address.
_DOI_SAFE = "/:;._-"
# Characters of a URL kept as they are: RFC 3986 reserved and unreserved ones, minus the
# brackets, quotes and angle brackets that would end a Markdown address; "%" keeps escapes.
_URL_SAFE = "/:?#@!$&*+,;=%-._~"
_WEB_SCHEMES = ("http", "https")


def link_text(text: str) -> str:
    """Text shown as it is inside a link: Markdown escaped, and no bare address left in it."""
    return "".join("\\" + ch if ch in ":/@" else ch for ch in escape_markdown(text))


def doi_link(doi: str) -> str:
    """``[DOI 10.1/x](https://doi.org/10.1/x)``, both parts escaped."""
    return f"[DOI {link_text(doi)}]({DOI_RESOLVER}{quote(doi, safe=_DOI_SAFE)})"


def pubmed_link(pmid: str) -> str:
    """``[PubMed 123](https://pubmed.ncbi.nlm.nih.gov/123/)``, both parts escaped."""
    return f"[PubMed {link_text(pmid)}]({PUBMED}{quote(pmid, safe='')}/)"


def web_link(label: str, url: str) -> str | None:
    """A link to an http(s) address; None for any other scheme (javascript:, data:, file:...)
    or an address without a host, which the caller shows as text instead."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in _WEB_SCHEMES or not parts.netloc:
        return None
    return f"[{link_text(label)}]({quote(url, safe=_URL_SAFE)})"


def record_links(doi: str | None, pmid: str | None) -> str:
    """The DOI and PubMed links of a record, joined by `` · `` (empty when it has neither)."""
    links = [doi_link(doi)] if doi else []
    links += [pubmed_link(pmid)] if pmid else []
    return " · ".join(links)
