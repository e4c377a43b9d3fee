"""Which database or register a file names: each export convention on a literal, then real
exports (../shared/data/parsers) whose source is known; a file that says nothing gives no guess."""

from __future__ import annotations

import pytest

from review_app.domain.sources import KNOWN_SOURCES, SourceKind, find_known_source
from review_app.importers.decoding import decode
from review_app.importers.detect import choose_format
from review_app.importers.source_detect import detect_source
from review_app.services.demo import DEMO_SEARCHES
from tests.conftest import shared_data

PSYCINFO_RIS = "TY  - JOUR\nTI  - Self-criticism and depression\nDB  - PsycINFO\nER  - \n"


def guess_of(text: str, format: str) -> tuple[str | None, tuple[str, ...]]:
    guess = detect_source(text, format=format)
    assert guess is not None
    return guess.name, guess.evidence


def test_a_ris_db_line_names_the_source_with_its_line() -> None:
    name, evidence = guess_of(PSYCINFO_RIS, "ris")
    assert name == "PsycINFO"
    assert evidence == ("RIS DB line 3: PsycINFO",)


def test_an_ovid_header_names_the_database_with_its_date_range_dropped() -> None:
    text = (
        "Database: APA PsycInfo <1806 to November Week 3 2019>\nSearch Strategy:\n\n"
        "TY  - JOUR\nTI  - A record\nER  - \n"
    )
    guess = detect_source(text, format="ris")
    assert guess is not None and guess.name == "PsycINFO" and guess.kind == SourceKind.DATABASE
    assert guess.evidence == (
        "header line 1: APA PsycInfo <1806 to November Week 3 2019> (PsycINFO)",
    )


def test_repeated_lines_are_counted_not_listed() -> None:
    text = PSYCINFO_RIS * 3
    assert guess_of(text, "ris")[1] == ("RIS DB line 3: PsycINFO (and 2 more lines)",)


def test_a_file_naming_two_databases_gives_no_single_guess() -> None:
    text = "TY  - JOUR\nTI  - A\nDB  - Embase\nER  - \nTY  - JOUR\nTI  - B\nDB  - Medline\nER  - \n"
    guess = detect_source(text, format="ris")
    assert guess is not None and guess.name is None and guess.is_mixed
    assert guess.named == ("Embase", "MEDLINE/PubMed")
    assert "more than one source (Embase, MEDLINE/PubMed)" in guess.describe()


def test_a_platform_alone_is_not_a_database() -> None:
    """EBSCOhost and Ovid host many databases: a DP line naming only the platform says nothing."""
    text = "TY  - JOUR\nTI  - A\nDP  - EBSCOhost\nER  - \n"
    assert detect_source(text, format="ris") is None


def test_a_database_name_we_do_not_know_is_taken_as_written() -> None:
    guess = detect_source("TY  - JOUR\nTI  - A\nDB  - PTSDpubs\nER  - \n", format="ris")
    assert guess is not None and guess.name == "PTSDpubs" and guess.kind is None


@pytest.mark.parametrize(
    ("text", "format", "expected"),
    [
        ("TY  - JOUR\nTI  - A\nDP  - NLM\nER  - \n", "ris", "MEDLINE/PubMed"),  # EndNote's PubMed
        ("TY  - JOUR\nTI  - A\nDB  - rzh\nER  - \n", "ris", "CINAHL"),  # EBSCO's database code
        ("TY  - JOUR\nTI  - A\nAN  - WOS:000082252000006\nER  - \n", "ris", "Web of Science"),
        ("TY  - JOUR\nID  - CN-01234567\nTI  - A\nER  - \n", "ris", "CENTRAL"),
        (
            "TY  - JOUR\nTI  - A\nL2  - http://ovidsp.ovid.com/ovidweb.cgi?T=JS&D=emez&AN=1\n"
            "ER  - \n",
            "ris",
            "Embase",
        ),
        ("PMID- 12345678\nOWN - NLM\nTI  - A\n", "medline", "MEDLINE/PubMed"),
        ("OWN - ERIC\nTI  - A\n", "medline", "ERIC"),
        (
            "FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI A\nER\n",
            "wos",
            "Web of Science",
        ),
        ("Title,EID,Source\nA,2-s2.0-1,Scopus\n", "csv", "Scopus"),
        ("NCT Number,Study Title\nNCT01,A\n", "csv", "ClinicalTrials.gov"),
        ("TrialID,Public title,Source Register\nISRCTN1,A,ISRCTN\n", "csv", "WHO ICTRP"),
        ("Title,Emtree Drug Index Terms,Source\nA,kratom,Pain Med 2020\n", "csv", "Embase"),
        ("title,database\nA,CINAHL Complete\n", "csv", "CINAHL"),
    ],
)
def test_each_convention_names_its_source(text: str, format: str, expected: str) -> None:
    assert guess_of(text, format)[0] == expected


def test_a_source_column_holding_journals_says_nothing() -> None:
    """Embase's CSV has a "Source" column too, holding the citation: only known names count."""
    assert detect_source("Title,Source\nA,Pain Med 2020;21(3)\n", format="csv") is None


def test_the_journal_citation_in_medline_so_is_not_a_database() -> None:
    assert detect_source("TI  - A\nSO  - Pain. 2020;161(3):1-9.\n", format="medline") is None


def head_of(path_bytes: bytes, file_name: str) -> tuple[str, str]:
    head = decode(path_bytes, source=file_name).head(5_000)
    return head, choose_format(head, file_name)[0]


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("asreview_demo_data", "ovid_psycinfo.ris"), "PsycINFO"),  # Ovid's link: D=psyc16
        (("asreview_demo_data", "scopus.ris"), "Scopus"),
        (("asreview_demo_data", "embase.csv"), "Embase"),
        (("asreview_demo_data", "pubmed_endnote.txt"), "MEDLINE/PubMed"),
        (("asreview_demo_data", "web_of_science.txt"), "Web of Science"),
        (("synthesisr", "PubMed_example.txt"), "MEDLINE/PubMed"),
        (("synthesisr", "WoS_ciw_example.ciw"), "Web of Science"),
        (("synthesisr", "Scopus_ris_example.ris"), "Scopus"),
        (("asysd", "wos_test.ris"), "Web of Science"),
        (("colrev", "search_sources", "pubmed_csv.csv"), "MEDLINE/PubMed"),
        (("colrev", "search_sources", "eric_nbib.nbib"), "ERIC"),
    ],
    ids=lambda value: value[-1] if isinstance(value, tuple) else value,
)
def test_real_exports_name_their_source(parts: tuple[str, ...], expected: str) -> None:
    path = shared_data("parsers", *parts)
    head, format = head_of(path.read_bytes(), path.name)
    assert guess_of(head, format)[0] == expected


@pytest.mark.parametrize(
    "parts",
    [
        ("rispy", "example_basic.ris"),
        ("asreview_demo_data", "pubmed_zotero.ris"),
        ("asreview_demo_data", "generic_semicolon.csv"),
        ("synthesisr", "Scopus_bib_example.bib"),
        ("litstudy", "ieee.csv"),
    ],
    ids=lambda parts: parts[-1],
)
def test_real_exports_that_say_nothing_give_no_guess(parts: tuple[str, ...]) -> None:
    path = shared_data("parsers", *parts)
    head, format = head_of(path.read_bytes(), path.name)
    assert detect_source(head, format=format) is None


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("embase.ris", "Embase"),
        ("scopus.csv", "Scopus"),
        ("clinicaltrials.csv", "ClinicalTrials.gov"),
        ("pubmed.nbib", "MEDLINE/PubMed"),
    ],
)
def test_the_demo_searches_name_their_source(file_name: str, expected: str) -> None:
    head, format = head_of((DEMO_SEARCHES / file_name).read_bytes(), file_name)
    assert guess_of(head, format)[0] == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("PubMed", "MEDLINE/PubMed"),
        ("Ovid MEDLINE(R) ALL <1946 to November 27, 2019>", "MEDLINE/PubMed"),
        ("Embase.com", "Embase"),
        ("Cochrane Central Register of Controlled Trials", "CENTRAL"),
        ("EBSCOhost CINAHL", "CINAHL"),
        ("APA PsycInfo", "PsycINFO"),
        ("Web of Science Core Collection", "Web of Science"),
        ("ClinicalTrials.gov", "ClinicalTrials.gov"),
        ("ICTRP", "WHO ICTRP"),
        ("Reference lists and citation searching", None),
        ("PubMed Central", None),  # the full-text archive is another source
        ("MEDLINE Complete", "MEDLINE/PubMed"),
        ("Embase, Ovid MEDLINE(R)", None),  # two databases: a person says which
    ],
)
def test_names_as_files_write_them(written: str, expected: str | None) -> None:
    found = find_known_source(written)
    assert (found.name if found else None) == expected


def test_registers_are_registers() -> None:
    kinds = {source.name: source.kind for source in KNOWN_SOURCES}
    assert kinds["ClinicalTrials.gov"] == kinds["WHO ICTRP"] == SourceKind.REGISTER
    assert kinds["PsycINFO"] == SourceKind.DATABASE
