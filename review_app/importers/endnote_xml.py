"""EndNote XML exports (``<xml><records><record>...``), read with defusedxml.

Text sits inside ``<style>`` runs (one per font change), so a field's text is all the
text under its element. defusedxml refuses entity tricks (billion laughs, external
entities) that a plain XML parser would follow.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from review_app.errors import Problem
from review_app.importers import normalize
from review_app.importers.record import DEFAULT_LIMITS, Limits, ParseResult, RecordSink

_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")

FIELDS: normalize.FieldMap = {
    "title": ("titles/title", "titles/short-title", "titles/translated-title"),
    "abstract": ("abstract",),
    "authors": ("contributors/authors/author",),
    "year": ("dates/year", "dates/pub-dates/date"),
    "journal": (
        "periodical/full-title",
        "titles/secondary-title",
        "alt-periodical/full-title",
        "titles/alt-title",
        "periodical/abbr-1",
    ),
    "volume": ("volume",),
    "issue": ("number", "issue"),
    "pages": ("pages",),
    "doi": ("electronic-resource-num",),
    "pmid": ("_pmid",),
    "issn": ("isbn", "issn"),
    "keywords": ("keywords/keyword",),
    "language": ("language",),
    "publication_type": ("ref-type",),
    "url": ("urls/related-urls/url", "urls/web-urls/url"),
    "source_record_id": ("rec-number",),
}


def parse(
    text: str, *, source: str, sink: RecordSink | None = None, limits: Limits = DEFAULT_LIMITS
) -> ParseResult:
    """Read every ``<record>`` of an EndNote XML export."""
    result = ParseResult(format="endnote-xml", source=source, sink=sink, limits=limits)
    try:
        root = SafeET.fromstring(_DECLARATION.sub("", text, count=1))
    except ParseError as error:
        line = error.position[0]
        message = f"not well-formed XML ({error.msg}); the file may be cut short"
        result.problems.append(Problem(source=source, line=line, message=message))
        return result
    except DefusedXmlException as error:
        message = f"XML with entity or DTD declarations is not accepted ({type(error).__name__})"
        result.problems.append(Problem(source=source, message=message))
        return result
    for position, element in enumerate(root.iter("record"), start=1):
        raw = _raw_fields(element)
        record, problems = normalize.build_record(
            _lookup(element, raw), FIELDS, source=source, position=position, line=None, raw=raw
        )
        normalize.add_record(result, record, problems)
    return result


def _text(element: Element) -> str:
    return "".join(element.itertext())


def _raw_fields(record: Element) -> dict[str, Any]:
    """Path of each element that holds text (``titles/title``) -> its text, lists if repeated."""
    values: dict[str, list[str]] = {}

    def walk(element: Element, path: str) -> None:
        children = [child for child in element if child.tag != "style"]
        if not children:
            values.setdefault(path, []).append(_text(element))
            return
        for child in children:
            walk(child, f"{path}/{child.tag}" if path else child.tag)

    for child in record:
        walk(child, child.tag)
    return normalize.compact(values)


def _lookup(record: Element, raw: dict[str, Any]) -> dict[str, Any]:
    """Raw fields plus the reference type's name and an accession number that is a PMID."""
    lookup = dict(raw)
    ref_type = record.find("ref-type")
    if ref_type is not None:
        lookup["ref-type"] = ref_type.get("name") or _text(ref_type)
    provider = [raw.get("remote-database-name"), raw.get("remote-database-provider")]
    lookup["_pmid"] = normalize.pubmed_id(raw.get("accession-num"), provider)
    return lookup
