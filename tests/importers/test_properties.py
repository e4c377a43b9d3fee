"""Property tests: our records survive RIS, MEDLINE and BibTeX round trips, and no input,
however broken, raises anything but ImportFileError."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import rispy
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from review_app.errors import ImportFileError
from review_app.exporters import dumps_bibtex, dumps_ris
from review_app.importers import FORMATS, RecordIn, read_bytes
from review_app.importers import normalize as n
from review_app.importers.decoding import Decoded
from tests.importers.medline_writer import dumps_medline

# No "explain" phase: it re-runs a failing example many times over and adds little here.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]
FAST = settings(
    max_examples=40, deadline=None, phases=PHASES, suppress_health_check=[HealthCheck.too_slow]
)


def normal(
    strategy: st.SearchStrategy[str], clean: Callable[[str], str | None]
) -> st.SearchStrategy[str]:
    """Values already in our normal form (``clean`` leaves them unchanged)."""
    cleaned = strategy.map(clean).filter(lambda value: value is not None)
    return cast(st.SearchStrategy[str], cleaned)


ANY_CHAR = st.characters(codec="utf-8")  # any character but lone surrogates
text = normal(st.text(ANY_CHAR, min_size=1, max_size=40), n.clean_text)
plain_word = st.text(st.characters(whitelist_categories=("Lu", "Ll")), min_size=1, max_size=10)
keyword = normal(
    st.text(ANY_CHAR.filter(lambda c: c not in ",;|"), min_size=1, max_size=20), n.clean_text
)
year = st.integers(n.MIN_YEAR, n.max_year())
doi = normal(
    st.from_regex(r"10\.[0-9]{4,9}/[a-z0-9._;()/:<>-]{1,25}", fullmatch=True), n.normalize_doi
)
pmid = st.from_regex(r"[1-9][0-9]{0,8}", fullmatch=True)
url = st.from_regex(
    r"https://[a-z0-9]{1,10}\.org/[A-Za-z0-9._~:/?#@!$&'()*+=%-]{0,25}", fullmatch=True
)
pages = normal(
    st.from_regex(r"[0-9][0-9A-Za-z]{0,5}(-[0-9A-Za-z]{1,5})?", fullmatch=True),
    lambda p: n.normalize_pages(p, None, None),
)
issn = st.from_regex(r"[0-9]{4}-[0-9]{3}[0-9X]", fullmatch=True)
isbn = st.from_regex(r"[0-9]{9}[0-9X]|97[89][0-9]{10}", fullmatch=True)
person = st.builds(
    lambda family, given: f"{' '.join(family)}, {' '.join(given)}",
    st.lists(plain_word, min_size=1, max_size=3),
    st.lists(plain_word, min_size=1, max_size=2),
)
group = normal(st.text(ANY_CHAR.filter(lambda c: c != ","), min_size=1, max_size=30), n.clean_text)


def joined(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.lists(strategy, max_size=2, unique=True).map(lambda items: "; ".join(items) or None)


def records(**overrides: st.SearchStrategy[object]) -> st.SearchStrategy[RecordIn]:
    """Records in normal form: what a reader gives back, so a round trip must not change them."""
    fields: dict[str, st.SearchStrategy[object]] = {
        "title": text,
        "abstract": st.none() | text,
        "authors": st.lists(st.one_of(person, group), max_size=4),
        "year": st.none() | year,
        "journal": st.none() | text,
        "volume": st.none() | text,
        "issue": st.none() | text,
        "pages": st.none() | pages,
        "doi": st.none() | doi,
        "pmid": st.none() | pmid,
        "issn": joined(issn),
        "isbn": joined(isbn),
        "keywords": st.lists(keyword, max_size=4, unique=True),
        "language": st.none() | text,
        "publication_type": st.none() | text,
        "url": st.none() | url,
        "source_record_id": st.none() | text,
    }
    fields.update(overrides)
    return st.builds(RecordIn, **fields)


def comparable(record: RecordIn) -> dict[str, object]:
    skip = {"raw", "position", "line"}
    return {name: getattr(record, name) for name in record.__slots__ if name not in skip}


def round_trip(written: str, filename: str) -> list[dict[str, object]]:
    return [comparable(r) for r in read_bytes(written.encode("utf-8"), filename=filename).records]


RIS_TYPES = sorted(set(rispy.TYPE_OF_REFERENCE_MAPPING) - {"GEN"})


@FAST
@given(
    st.lists(
        records(publication_type=st.none() | st.sampled_from(RIS_TYPES) | text),
        min_size=1,
        max_size=3,
    )
)
def test_ris_round_trip(items: list[RecordIn]) -> None:
    assert round_trip(dumps_ris(items), "export.ris") == [comparable(r) for r in items]


def medline_records() -> st.SearchStrategy[RecordIn]:
    def same_id(record: RecordIn) -> RecordIn:
        record.source_record_id = record.pmid
        return record

    no_semicolon = normal(
        st.text(ANY_CHAR.filter(lambda c: c != ";"), min_size=1, max_size=30), n.clean_text
    )
    return records(
        authors=st.lists(person, max_size=4),
        url=st.none(),
        publication_type=st.none() | no_semicolon,
    ).map(same_id)


@FAST
@given(st.lists(medline_records(), min_size=1, max_size=3))
def test_medline_round_trip(items: list[RecordIn]) -> None:
    assert round_trip(dumps_medline(items), "pubmed.nbib") == [comparable(r) for r in items]


BIBTEX_KEY = st.from_regex(r"[A-Za-z0-9_:.-]{1,20}", fullmatch=True)


@FAST
@given(
    st.lists(
        records(
            source_record_id=BIBTEX_KEY,
            publication_type=st.none()
            | st.sampled_from(["article", "JOUR", "Journal Article", "misc"])
            | text,
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda r: r.source_record_id,
    )
)
def test_bibtex_round_trip(items: list[RecordIn]) -> None:
    assert round_trip(dumps_bibtex(items), "export.bib") == [comparable(r) for r in items]


@settings(max_examples=150, deadline=None)
@given(
    st.binary(max_size=3000),
    st.sampled_from(["auto", *FORMATS]),
    st.sampled_from(["x", "x.csv", "x.xlsx"]),
)
def test_random_bytes_raise_nothing_but_import_file_error(
    data: bytes, format: str, name: str
) -> None:
    try:
        read_bytes(data, filename=name, format=format, skip_invalid=True)
    except ImportFileError as error:
        assert error.problems


FRAGMENTS = [
    "TY  - JOUR", "ER  -", "TI  - Kratom", "PY  - 10 15", "AU  - Smith, J", "KW  - a; b",
    "   cont", "PT J", "ER", "EF", "AU Smith", "TI x", "PMID- 1", "TI  - x", "      more",
    "FAU - A, B", "LID - x [doi]", "@article{k,", "title = {A {b} \\'e", "author = a # b,", "}",
    "@string{x = {y}}", "crossref = {k}", '<?xml version="1.0"?>', "<xml><records><record>",
    "<titles><title>x</title></titles>", "</record>", "title,year", '"x",2020', 'a;"b', "\x00",
    "\ufeff", "\r", "",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30), st.sampled_from(["auto", *FORMATS]))
def test_broken_exports_raise_nothing_but_import_file_error(lines: list[str], format: str) -> None:
    data = "\n".join(lines).encode("utf-8")
    try:
        result = read_bytes(data, filename="x", format=format, skip_invalid=True)
    except ImportFileError as error:
        assert error.problems
    else:
        assert result.records and all(r.title for r in result.records)


@given(
    st.lists(
        st.text(
            st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=8
        ),
        max_size=8,
    ),
    st.lists(st.sampled_from(["\n", "\r\n", "\r", "\ufeff\n"]), min_size=8, max_size=8),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_lines_decoded_one_by_one_equal_the_whole_text_split(
    lines: list[str], ends: list[str], encoding: str
) -> None:
    """The tagged readers take a file line by line; other readers take it whole: same lines."""
    text = "x" + "".join(line + end for line, end in zip(lines, ends, strict=False))
    decoded = Decoded(text.encode(encoding), encoding=encoding, warnings=[])
    assert list(decoded.lines()) == decoded.text.split("\n")
