"""Telling formats apart, decoding, and refusing what is not a search export."""

from __future__ import annotations

import doctest
import gzip

import pytest

from review_app import importers
from review_app.errors import ImportFileError
from review_app.importers import FORMATS, detect_format, read_bytes

RIS = "TY  - JOUR\nTI  - Kratom and pain\nPY  - 2020\nER  - \n"


def refusal(data: bytes, name: str = "upload", **options: object) -> str:
    with pytest.raises(ImportFileError) as error:
        read_bytes(data, filename=name, **options)  # type: ignore[arg-type]
    (problem,) = error.value.problems
    assert problem.source == name
    return problem.message


@pytest.mark.parametrize(
    ("text", "filename", "expected"),
    [
        (RIS, "x.txt", "ris"),
        ("\n\nTY - JOUR\nTI  - x\nER  -\n", "x", "ris"),
        ("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI x\nER\nEF\n", "x.ciw", "wos"),
        ("PMID- 123\nTI  - x\n", "x.nbib", "medline"),
        ("OWN - ERIC\nTI  - x\n", "x.txt", "medline"),
        ("@article{k,\n title={x}}\n", "x.txt", "bibtex"),
        ('<?xml version="1.0"?><xml><records><record/></records></xml>', "x", "endnote-xml"),
        ("title,year\nx,2020\n", "x", "csv"),
        ("title\nx\n", "x.csv", "csv"),
        ("@article-like words in a csv;x\n", "x.csv", "csv"),
    ],
)
def test_detect_format(text: str, filename: str, expected: str) -> None:
    assert detect_format(text, filename) == expected
    assert expected in FORMATS


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b'\xef\xbb\xbf[{"title": "x"}]', "JSON"),
        (b"%0 Journal Article\n%T Kratom\n%A Smith, J\n", "EndNote/Refer tagged text"),
        (b"<!DOCTYPE html><html><body>Sign in</body></html>", "XML or HTML"),
        (b"just some words without structure", "no export format we know"),
        (b"%PDF-1.7\n...", "a PDF document"),
        (gzip.compress(RIS.encode(), mtime=0), "gzip archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), ".xls"),
        (bytes(range(256)) * 4, "binary file"),
        (b"   \n\r\n\t ", "the file is empty"),
        (b"PK\x03\x04not really a zip", "ZIP archive"),
    ],
)
def test_what_is_not_an_export_is_refused_with_a_reason(data: bytes, what: str) -> None:
    message = refusal(data, skip_invalid=True)
    assert what in message


def test_an_unknown_format_name_lists_the_allowed_ones() -> None:
    message = refusal(RIS.encode(), format="endnote")
    assert message == (
        "format 'endnote' is not one we read; allowed: auto, ris, medline, bibtex, endnote-xml, "
        "csv, wos"
    )


def test_format_overrides_detection() -> None:
    assert (
        read_bytes(b"TI,PY\nKratom,2020\n", filename="x.ris", format="csv").records[0].year == 2020
    )
    message = refusal(b"@article{k, title={Kratom}}", name="x.bib", format="ris")
    assert message.startswith("no records found read as ris; a RIS record starts with 'TY  - JOUR'")


def test_a_workbook_cannot_be_read_as_another_format() -> None:
    message = refusal(b"PK\x03\x04 xl/workbook.xml", name="x.xlsx", format="ris")
    assert message == "this is an Excel workbook; read it as 'csv', not 'ris'"
    assert refusal(b"PK\x03\x04 xl/workbook.xml", name="x.xlsx").startswith(
        "not a readable Excel workbook"
    )


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(encoding: str) -> None:
    result = read_bytes(RIS.encode(encoding), filename="x.ris")
    assert (result.encoding, result.records[0].title) == (encoding, "Kratom and pain")


def test_utf16_cut_in_half_is_refused() -> None:
    data = ("\ufeff" + RIS).encode("utf-16-le")[:-1]
    assert "not valid UTF-16" in refusal(data)


def test_latin1_when_cp1252_cannot_decode() -> None:
    data = RIS.replace("Kratom", "Kr\x81tom").encode("latin-1")
    result = read_bytes(data, filename="x.ris")
    assert result.encoding == "latin-1"
    assert result.warnings and "read as latin-1" in result.warnings[0]


def test_problems_message_names_the_file_and_every_problem() -> None:
    data = (RIS + "TY  - JOUR\nPY  - 1500\nER  - \n" + "TY  - JOUR\nTI  - cut").encode()
    with pytest.raises(ImportFileError) as error:
        read_bytes(data, filename="search.ris")
    text = str(error.value)
    assert text.splitlines()[0] == "search.ris: nothing was imported; 3 problem(s):"
    assert "search.ris, line 5, record 2, title: no title" in text
    assert "search.ris, line 5, record 2, PY: year 1500 is impossible" in text
    assert "search.ris, line 8, record 3: the file ends inside this record" in text


def test_the_example_in_the_package_docstring_runs() -> None:
    assert doctest.testmod(importers).failed == 0
