"""One small file per quirk seen in real exports (tests/data/imports, see tests/data/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from review_app.errors import ImportFileError
from review_app.importers import ParseResult, RecordIn, read_bytes

DATA = Path(__file__).resolve().parents[1] / "data" / "imports"


def read(name: str, **options: object) -> ParseResult:
    return read_bytes((DATA / name).read_bytes(), filename=name, **options)  # type: ignore[arg-type]


def refusal(name: str, **options: object) -> list[str]:
    with pytest.raises(ImportFileError) as error:
        read(name, **options)
    return [str(problem) for problem in error.value.problems]


KRATOM_RCT = RecordIn(
    title="Kratom and Pain Tolerance: A Randomized, Placebo-Controlled, Double-Blind Study",
    authors=["Vicknasingam, B.", "Chooi, W. T.", "Rahim, A. A."],
    year=2020,
    journal="Yale Journal of Biology and Medicine",
    volume="93",
    issue="2",
    pages="229-238",
    publication_type="JOUR",
)


def fields(record: RecordIn) -> dict[str, object]:
    """The normalised fields, without raw/position/line."""
    skip = {"raw", "position", "line"}
    return {name: getattr(record, name) for name in record.__slots__ if name not in skip}


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("ris_utf8_bom.ris", "utf-8-sig"),
        ("ris_utf16le_bom_crlf.ris", "utf-16"),
        ("ris_mixed_line_ends.ris", "utf-8"),
    ],
)
def test_encodings_and_line_ends_give_the_same_records(name: str, encoding: str) -> None:
    result = read(name)
    assert result.encoding == encoding
    assert result.warnings == []
    assert [fields(r) for r in result.records][:1] == [fields(KRATOM_RCT)]
    assert result.records[1].doi == "10.1016/j.drugalcdep.2017.03.007"
    assert [r.line for r in result.records] == [1, 14 if name != "ris_mixed_line_ends.ris" else 15]


def test_cp1252_is_read_with_a_warning() -> None:
    result = read("ris_cp1252.ris")
    assert result.encoding == "cp1252"
    assert result.records[0].title == "Kratom use in Germany – a survey of Müller's patients"
    assert result.records[0].authors == ["Müller, Jörg"]
    assert len(result.warnings) == 1 and "not valid UTF-8" in result.warnings[0]
    assert "line 2" in result.warnings[0]


def test_multiline_values_are_joined_and_keyword_lines_split() -> None:
    (record,) = read("ris_multiline.ris").records
    assert record.title == (
        "Kratom (Mitragyna speciosa) use for self-management of pain: insights from "
        "cross-sectional and ecological momentary assessment data"
    )
    assert record.abstract == (
        "Adults who use kratom reported pain relief in daily diaries, continued over a second line."
    )
    assert record.keywords == ["Mitragyna speciosa", "pain", "self-medication"]
    assert record.source_record_id == "rayyan-1"


def test_tag_variants_of_ovid_and_pubmed_via_endnote() -> None:
    result = read("ris_tag_variants.ris")
    first, second = result.records
    assert first.title and first.title.startswith("Kratom Use Disorder")  # T1
    assert first.authors == ["Smith, K. E.", "Dunn, K. E."]  # A1 with a tab before the dash
    assert first.year == 2022  # Y1 "2022///"
    assert first.journal == "Journal of Addiction Medicine"  # JF before JA
    assert first.doi == "10.1097/adm.0000000000000986"  # https://doi.org/ removed, lower case
    assert first.pmid == "35220331"  # AN with DP NLM
    assert first.source_record_id == "42"
    assert first.issn == "1932-0620; 1935-3227"  # "(Print)...(Linking)"
    assert first.keywords == ["kratom", "withdrawal"]  # "KW - kratom" with one space
    assert first.publication_type == "Journal Article"
    assert second.year == 2019  # DA only
    assert second.pages is None  # Ovid's "No" / "Specified"
    assert second.doi == "10.1016/j.drugalcdep.2019.05.005"  # "doi:" prefix
    assert any("outside any TY...ER record" in w for w in result.warnings)


def test_a_record_without_title_is_refused_or_skipped() -> None:
    (problem,) = refusal("ris_missing_title.ris")
    assert problem.startswith("ris_missing_title.ris, line 6, record 2, title: no title")
    assert "a title is required" in problem
    result = read("ris_missing_title.ris", skip_invalid=True)
    assert [r.position for r in result.records] == [1, 3]
    assert [p.record for p in result.problems] == [2]


def test_impossible_years_are_named() -> None:
    problems = refusal("ris_bad_year.ris")
    assert len(problems) == 3
    assert "record 1, PY: year 1066 is impossible; a year is four digits from 1600" in problems[0]
    assert "year 2999 is impossible" in problems[1]
    assert "year '10 15' is not a year" in problems[2]
    assert len(read("ris_bad_year.ris", skip_invalid=True).records) == 1


def test_a_truncated_file_is_refused() -> None:
    (problem,) = refusal("ris_truncated.ris")
    assert "line 14, record 2" in problem and "looks truncated" in problem
    assert len(read("ris_truncated.ris", skip_invalid=True).records) == 1


def test_an_empty_file_is_refused_even_when_skipping() -> None:
    (problem,) = refusal("empty.ris", skip_invalid=True)
    assert (
        problem
        == "empty.ris: the file is empty; expected a search export (RIS, MEDLINE, BibTeX, ...)"
    )


def test_medline() -> None:
    first, second = read("medline_pubmed.nbib").records
    assert first.title == (
        "Kratom and Pain Tolerance: A Randomized, Placebo-Controlled, Double-Blind Study."
    )
    assert first.authors == ["Vicknasingam, Balasingam", "Chooi, Weng-Tink"]  # FAU over AU
    assert (first.year, first.volume, first.issue, first.pages) == (2020, "93", "2", "229-238")
    assert first.issn == "1551-4056; 0044-0086"
    assert first.keywords == ["cold pressor task", "kratom", "Humans", "*Mitragyna"]
    assert first.publication_type == "Journal Article; Randomized Controlled Trial"
    assert (first.pmid, first.source_record_id, first.line) == ("32607084", "32607084", 1)
    assert second.doi == "10.1097/adm.0000000000000986"  # the [doi] LID, not the [pii]
    assert (second.year, second.line) == (2022, 28)


def test_web_of_science_plain_text_and_tab_delimited_agree() -> None:
    plain = read("wos_savedrecs.txt")
    table = read("wos_tab_delimited.txt")
    assert (plain.format, table.format) == ("wos", "csv")
    first = plain.records[0]
    assert first.title == (
        "Patterns of Kratom use and health impact in the US-Results from an online survey"
    )
    assert first.authors == ["Grundmann, Oliver"]  # AF over AU
    assert first.keywords[:6] == [
        "Kratom", "Mitragynine", "Opioid withdrawal", "Self-treatment", "Pain management", "Survey"
    ]  # fmt: skip
    assert (first.pages, first.pmid, first.issn) == ("63-70", "28521200", "0376-8716; 1879-0046")
    assert first.source_record_id == "WOS:000404197100009"
    assert (
        plain.records[1].authors
        == table.records[1].authors
        == [
            "Smith, Kirsten E.",
            "Lawson, Thomas",
        ]
    )
    assert [r.doi for r in plain.records] == [r.doi for r in table.records]


def test_bibtex_macros_latex_crossref_and_repeated_fields() -> None:
    result = read("bibtex_quirks.bib")
    article, paper, proceedings = result.records
    assert article.journal == "Drug and Alcohol Dependence"  # dad # " " # dep
    assert article.title == (
        "Patterns of Kratom use and health impact in the US–Results from an online survey"
    )
    assert (article.year, article.pages) == (2017, "63-70")
    assert article.keywords == ["kratom", "mitragynine", "pain"]
    assert article.raw["note"] == ["first note", "second note"]
    assert article.raw["month"] == "June"  # the predefined macro jun
    assert paper.authors == ["Müller, Jörg", "World Health Organization"]
    assert paper.title == "Kétum & pain: a 50% reduction?"
    assert (paper.journal, paper.year) == ("Proceedings of the Kratom Symposium", 2019)
    assert proceedings.raw["publisher"] == "Smith & Sons"  # a bare & survives LaTeX decoding
    assert any("Duplicate field keys" in w for w in result.warnings)


def test_a_malformed_bibtex_entry_is_reported_with_its_line() -> None:
    (problem,) = refusal("bibtex_malformed.bib")
    assert problem.startswith("bibtex_malformed.bib, line 7, record 2: Expected a `=`")
    assert [
        r.source_record_id for r in read("bibtex_malformed.bib", skip_invalid=True).records
    ] == ["good2020"]


@pytest.mark.parametrize(
    ("name", "encoding"), [("endnote.xml", "utf-8"), ("endnote_utf16.xml", "utf-16")]
)
def test_endnote_xml(name: str, encoding: str) -> None:
    result = read(name)
    assert result.encoding == encoding
    first, second = result.records
    assert first.title == KRATOM_RCT.title  # two <style> runs joined
    assert first.journal == KRATOM_RCT.journal  # periodical/full-title over secondary-title
    assert (first.pmid, first.source_record_id, first.issn) == ("32607084", "7", "1551-4056")
    assert first.url == "https://pubmed.ncbi.nlm.nih.gov/32607084/"
    assert first.publication_type == "Journal Article"
    assert (second.authors, second.doi) == (["Müller, Jörg"], "10.1000/kratom.2019")


def test_truncated_endnote_xml_is_refused() -> None:
    data = (DATA / "endnote.xml").read_bytes()[:900]
    with pytest.raises(ImportFileError) as error:
        read_bytes(data, filename="cut.xml")
    assert "not well-formed XML" in str(error.value) and "cut short" in str(error.value)


def test_scopus_csv() -> None:
    first, second = read("scopus.csv").records
    assert first.authors == ["Grundmann O."]
    assert (first.journal, first.pages, first.pmid) == (
        "Drug and Alcohol Dependence",
        "63-70",
        "28521200",
    )
    assert first.keywords == ["Kratom", "Mitragynine", "human", "pain"]
    assert (first.issn, first.source_record_id) == ("0376-8716", "2-s2.0-85019")
    assert first.raw["Author full names"] == "Grundmann, Oliver (7003393013)"  # kept, not mapped
    assert second.authors == ["Smith K.E.", "Lawson T."]


def test_pubmed_csv_citation_gives_volume_issue_pages() -> None:
    first, second = read("pubmed.csv").records
    assert (first.volume, first.issue, first.pages) == ("93", "2", "229-238")
    assert first.authors == ["Vicknasingam B", "Chooi WT", "Rahim AA"]
    assert (first.pmid, first.source_record_id) == ("32607084", "32607084")
    assert second.doi == "10.1097/adm.0000000000000986"


def test_clinicaltrials_csv() -> None:
    (trial,) = read("clinicaltrials.csv").records
    assert (trial.source_record_id, trial.title) == ("NCT03414099", "Ketum and Pain Tolerence")
    assert trial.abstract and trial.abstract.startswith("Randomised crossover")
    assert trial.keywords == ["Pain", "Kratom Use", "DRUG: Ketum", "OTHER: Placebo"]
    assert (trial.url, trial.year) == ("https://clinicaltrials.gov/study/NCT03414099", 2018)


def test_embase_csv_source_is_taken_apart() -> None:
    (record,) = read("embase.csv").records
    assert (record.journal, record.year) == ("Yale Journal of Biology and Medicine", 2020)
    assert (record.volume, record.issue, record.pages) == ("93", "2", "229-238")
    assert record.keywords == ["cold pressor test", "pain (drug therapy, prevention)", "placebo"]


@pytest.mark.parametrize("name", ["semicolon.csv", "tab.tsv"])
def test_delimiters(name: str) -> None:
    (record,) = read(name).records
    assert (record.source_record_id, record.year, record.journal) == ("k1", 2020, "Yale J Biol Med")
    assert record.title and record.title.startswith("Kratom and pain tolerance")


def test_xlsx_is_read_like_csv(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Title", "Authors", "Year", "DOI", "Notes"])
    sheet.append([KRATOM_RCT.title, "Vicknasingam B.; Chooi W.T.", 2020, "10.1/x", "kept"])
    sheet.append([None, None, None, None, None])
    sheet.append(["", "No title here", 2021, None, None])
    path = tmp_path / "search.xlsx"
    workbook.save(path)
    with pytest.raises(ImportFileError) as error:
        read_bytes(path.read_bytes(), filename="search.xlsx")
    assert str(error.value.problems[0]).startswith("search.xlsx, line 4, record 2, title")
    result = read_bytes(path.read_bytes(), filename="search.xlsx", skip_invalid=True)
    (record,) = result.records
    assert (result.format, result.encoding, record.year, record.line) == ("csv", "xlsx", 2020, 2)
    assert record.authors == ["Vicknasingam B.", "Chooi W.T."]
    assert record.raw["Notes"] == "kept"
