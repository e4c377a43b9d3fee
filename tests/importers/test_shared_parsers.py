"""Every real export in ../shared/data/parsers, read through the public API.

The counts were checked by hand against each file (``grep -c '^ER'`` for RIS and Web of
Science, ``PMID-``/``OWN -`` for MEDLINE, ``@type{`` entries for BibTeX, rows for CSV), not
taken from our own output; PARSERS.md says why each refused file is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from review_app.errors import ImportFileError
from review_app.importers import read_bytes

PARSERS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "parsers"


@dataclass(frozen=True)
class Expect:
    """What reading one file gives: format, valid records, problems, and one record's facts."""

    format: str | None
    records: int
    problems: int
    sample: int = 0  # index of the record whose fields are checked
    title: str = ""  # start of its title
    first_author: str | None = None
    year: int | None = None
    doi: str | None = None
    id: str | None = None  # source_record_id, checked when the record has no DOI
    refusal: str = ""  # start of the first problem's message, for refused files


def refused(message: str, *, problems: int) -> Expect:
    """A file that cannot be imported even with skip_invalid: nothing valid in it."""
    return Expect(None, 0, problems, refusal=message)


EXPECTED: dict[str, Expect] = {
    "asreview_demo_data/_baseline.ris": Expect(
        "ris",
        100,
        0,
        sample=1,
        title="Electrochemotherapy in Mucosal Cancer of the Head ",
        first_author="Strojan, Primož",
        year=2021,
        doi="10.3390/cancers13061254",
    ),
    "asreview_demo_data/baseline_empty_values.ris": Expect(
        "ris", 2, 2, title="Title of reference", id="1"
    ),
    "asreview_demo_data/baseline_reference_types.ris": refused(
        "no title (TI, T1, CT, BT, ST, TT empty o", problems=61
    ),
    "asreview_demo_data/baseline_tag-notes.ris": Expect("ris", 1, 11, title="Only title"),
    "asreview_demo_data/baseline_tag-notes_labels.ris": Expect(
        "ris", 32, 0, sample=1, title='Record which is labeled "irrelevant" by the resear'
    ),
    "asreview_demo_data/baseline_tag-notes_zotero.ris": Expect(
        "ris", 4, 0, sample=1, title="Zotero: notes in records come with XHTML tags arou"
    ),
    "asreview_demo_data/baseline_tag_and_field_definitions.ris": Expect(
        "ris", 1, 0, title="Title", first_author="Authors", id="ID"
    ),
    "asreview_demo_data/baseline_tag_and_field_definitions_lists.ris": refused(
        "no title (TI, T1, CT, BT, ST, TT empty o", problems=1
    ),
    "asreview_demo_data/baseline_zotero.ris": Expect(
        "ris",
        100,
        0,
        sample=1,
        title="Systematic search of Bayesian statistics in the fi",
        first_author="van de Schoot, Rens",
        year=2017,
        doi="10.1080/20008198.2017.1375339",
    ),
    "asreview_demo_data/duplicate_records.csv": Expect("csv", 10, 4, sample=1, title="a"),
    "asreview_demo_data/embase.csv": Expect(
        "csv",
        6,
        0,
        sample=1,
        title="Endoscopic ultrasound-guided fine-needle aspiratio",
        first_author="Eloubeidi M.A.",
        year=2004,
    ),
    "asreview_demo_data/embase.ris": Expect(
        "ris",
        6,
        0,
        sample=1,
        title="Endoscopic ultrasound-guided fine-needle aspiratio",
        first_author="Eloubeidi M.A.",
        year=2004,
        doi="10.1002/cncr.20369",
    ),
    "asreview_demo_data/faulty_year.ris": refused(
        "year '10 15' is not a year; a year is fo", problems=1
    ),
    "asreview_demo_data/generic_labels.csv": Expect(
        "csv",
        6,
        0,
        sample=1,
        title="The title of the reference",
        first_author="Marxus, Karlus",
        year=2006,
        id="12345",
    ),
    "asreview_demo_data/generic_partial_labels.csv": Expect(
        "csv",
        6,
        0,
        sample=1,
        title="The title of the reference",
        first_author="Marxus, Karlus",
        year=2006,
        id="12345",
    ),
    "asreview_demo_data/generic_semicolon.csv": Expect(
        "csv", 2, 0, title="Title of reference", first_author="Marx, Karl", year=2014, id="12345"
    ),
    "asreview_demo_data/generic_tab.tsv": Expect(
        "csv", 2, 0, title="Title of reference", first_author="Marx, Karl", year=2014, id="12345"
    ),
    "asreview_demo_data/missing_values.csv": Expect("csv", 2, 2, title="Title of reference"),
    "asreview_demo_data/ovid_psycinfo.ris": Expect(
        "ris",
        6,
        0,
        sample=1,
        title="Gender differences in inflammatory bowel disease: ",
        first_author="Trindade, Ines A",
        year=2019,
        doi="10.1177/1359105317742958",
    ),
    "asreview_demo_data/ovid_zotero.ris": Expect(
        "ris",
        6,
        0,
        sample=1,
        title="Gender differences in inflammatory bowel disease: ",
        first_author="Trindade, Ines A",
        year=2019,
        doi="10.1177/1359105317742958",
    ),
    "asreview_demo_data/proquest.ris": Expect(
        "ris",
        6,
        0,
        sample=1,
        title="Trajectories of posttraumatic stress disorders amo",
        first_author="Liang, Yiming",
        year=2019,
        doi="10.1080/20008198.2019.1586266",
    ),
    "asreview_demo_data/pubmed_endnote.txt": Expect(
        "ris",
        6,
        0,
        sample=1,
        title="Yuzu (Citrus junos Tanaka) Peel Attenuates Dextran",
        first_author="Abe, H.",
        year=2018,
        doi="10.5650/jos.ess17184",
    ),
    "asreview_demo_data/pubmed_zotero.ris": Expect(
        "ris",
        6,
        0,
        sample=1,
        title="Outcomes of inflammatory bowel disease surgery in ",
        first_author="Hicks, G.",
        year=2019,
        doi="10.1007/s10151-019-02080-0",
    ),
    "asreview_demo_data/ris_issue_1099.txt": Expect(
        "ris",
        7,
        0,
        sample=1,
        title="Validity Frame Driven Computational Design Synthes",
        first_author="van Acker, B.",
        year=2020,
        doi="10.1007/978-3-030-58167-1_7",
    ),
    "asreview_demo_data/ris_issue_992.txt": Expect(
        "ris",
        19,
        0,
        sample=1,
        title="Special Report! The Joint Commission's 2012 Nation",
        year=2011,
        id="2",
    ),
    "asreview_demo_data/ris_many_authors.ris": Expect(
        "ris", 1, 0, title="This is the title", first_author="Verylongname, Christopher"
    ),
    "asreview_demo_data/scopus.ris": Expect(
        "ris",
        6,
        0,
        sample=1,
        title="Hypothesis: Mechanism of irritable bowel syndrome ",
        first_author="Uno, Y.",
        year=2019,
        doi="10.1016/j.mehy.2019.109324",
    ),
    "asreview_demo_data/web_of_science.txt": Expect(
        "ris",
        10,
        0,
        sample=1,
        title="When Self-Report Trumps Science: Effects of Confes",
        first_author="Appleby, SC",
        year=2016,
        doi="10.1037/law0000080",
    ),
    "asysd/ris_export.txt": Expect(
        "ris",
        69,
        0,
        sample=1,
        title="Alternate service delivery models in cancer geneti",
        first_author="Buchanan, A. H.",
        year=2016,
        doi="10.3389/fonc.2016.00120",
    ),
    "asysd/scopus.ris": Expect(
        "ris",
        10,
        0,
        sample=1,
        title="Calcium and magnesium abnormalities in puppies wit",
        first_author="Mouton, A.",
        year=2025,
        doi="10.2460/ajvr.24.07.0187",
    ),
    "asysd/wos_test.ris": Expect(
        "ris",
        50,
        0,
        sample=1,
        title="Generalized progressive retinal atrophy in Cocker ",
        first_author="Gomes, D",
        year=2013,
        doi="10.1590/s0103-84782013005000101",
    ),
    "bibtexparser_v1/article_comma_first.bib": Expect(
        "bibtex",
        2,
        0,
        title="An amazing title",
        first_author="Cesar, Jean",
        year=2013,
        id="Cesar2013",
    ),
    "bibtexparser_v1/article_missing_coma.bib": Expect(
        "bibtex",
        4,
        0,
        sample=1,
        title="An amazing title",
        first_author="Baltazar, Jean",
        year=2013,
        id="Baltazar2013",
    ),
    "bibtexparser_v1/article_no_braces.bib": Expect(
        "bibtex",
        1,
        0,
        title="An amazing title",
        first_author="Césarü, Jean",
        year=2013,
        id="Cesar2013",
    ),
    "bibtexparser_v1/article_start_with_bom.bib": Expect(
        "bibtex",
        1,
        0,
        title="An amazing title",
        first_author="César, Jean",
        year=2013,
        id="Cesar2013",
    ),
    "bibtexparser_v1/article_with_special_characters.bib": Expect(
        "bibtex",
        1,
        0,
        title="An amazing title",
        first_author="Césarü, Jean",
        year=2013,
        id="Cesar2013",
    ),
    "bibtexparser_v1/biber-examples.bib": Expect(
        "bibtex",
        97,
        21,
        sample=1,
        title="In Honore Salvatoris – Vom Sinn und Unsinn der Pat",
        first_author="Angenendt, Arnold",
        year=2002,
        id="angenendt",
    ),
    "bibtexparser_v1/book_bom.bib": Expect(
        "bibtex",
        1,
        0,
        title="Dynamics of Polymeric Liquid",
        first_author="Bird, R.B.",
        year=1987,
        id="Bird1987",
    ),
    "bibtexparser_v1/comments_percentage.bib": Expect(
        "bibtex",
        2,
        0,
        title="An amazing title",
        first_author="Cesar, Jean",
        year=2013,
        id="Cesar2013",
    ),
    "bibtexparser_v1/comments_spaces_and_declarations.bib": Expect(
        "bibtex", 1, 0, title="A great title", first_author="César, Jean", year=2013, id="Cesar2013"
    ),
    "bibtexparser_v1/common_strings.bib": refused(
        "no records found read as bibtex; a BibTe", problems=1
    ),
    "bibtexparser_v1/crossref_entries.bib": Expect(
        "bibtex",
        14,
        0,
        sample=1,
        title="Fabulous Fourier Forms",
        first_author="Fumble, Frederick",
        year=1974,
        id="cr2",
    ),
    "bibtexparser_v1/encoding.bib": Expect(
        "bibtex",
        1,
        0,
        title="An amazing title: à",
        first_author="César, Jean",
        year=2013,
        id="Cesar_2013",
    ),
    "bibtexparser_v1/features2.bib": Expect(
        "bibtex", 1, 0, title="Cool Stuff", first_author="Doe, John", year=2014, id="mykey"
    ),
    "bibtexparser_v1/multiline_comments.bib": refused(
        "no records found read as bibtex; a BibTe", problems=1
    ),
    "bibtexparser_v1/multiple_entries_and_comments.bib": Expect(
        "bibtex",
        3,
        0,
        sample=1,
        title="The transition state method",
        first_author="Wigner, E.",
        year=1938,
        doi="10.1039/tf9383400029",
    ),
    "bibtexparser_v1/string.bib": Expect(
        "bibtex",
        1,
        0,
        title="Program-Adaptive Mutational Fuzzing",
        first_author="Cha, Sang Kil",
        year=2015,
        id="cha:oakland15",
    ),
    "bibtexparser_v1/traps.bib": Expect(
        "bibtex",
        1,
        0,
        title="An amazing title",
        first_author="Jean Laidé, Ben Loaeb",
        year=2013,
        id="Laide2013",
    ),
    "bibtexparser_v1/wrong.bib": refused("no title (title empty or missing); a ti", problems=2),
    "colrev/loader/bib_data.bib": Expect(
        "bibtex",
        6,
        0,
        sample=1,
        title="This is a dummy title",
        first_author="Articlewriter, Laura",
        year=2020,
        doi="10.3333/xyz.v4444.04a",
    ),
    "colrev/loader/csv_data.csv": Expect(
        "csv",
        2,
        0,
        title="Paper title",
        first_author="Smith A",
        year=2021,
        doi="10.1111/nature1111",
    ),
    "colrev/loader/enl_data.enl": refused("this looks like EndNote/Refer tagged tex", problems=1),
    "colrev/loader/enl_data_expected.bib": Expect(
        "bibtex",
        3,
        0,
        sample=1,
        title="Microsourcing - Using Information Technology to Cr",
        first_author="Obal, Lorie",
        year=2009,
        id="000002",
    ),
    "colrev/loader/nbib_data.nbib": Expect(
        "medline",
        1,
        0,
        title="Paper title",
        first_author="Smith, Tom",
        year=2000,
        doi="10.1000/123456789",
    ),
    "colrev/loader/ris_data.ris": Expect(
        "ris",
        2,
        0,
        title="Title of a conference paper",
        first_author="A. Author-One",
        year=2020,
        doi="10.1234/random-name55555.2020.00050",
    ),
    "colrev/search_sources/abi_inform_proquest_bib.bib": Expect(
        "bibtex",
        2,
        0,
        title="This is a dummy title",
        first_author="Articlewriter, Laura",
        year=2020,
        doi="10.3333/xyz.v4444.04",
    ),
    "colrev/search_sources/abi_inform_proquest_ris.ris": Expect(
        "ris", 2, 0, title="Thesis title", first_author="Smith, John", year=2020, id="1234567890"
    ),
    "colrev/search_sources/acm_bib.bib": Expect(
        "bibtex",
        1,
        1,
        title="This is a dummy article",
        first_author="Articlewriter, Tom",
        year=1900,
        doi="10.3333/7777777",
    ),
    "colrev/search_sources/ais_enl.txt": refused(
        "this looks like EndNote/Refer tagged tex", problems=1
    ),
    "colrev/search_sources/crossref_bib.bib": Expect(
        "bibtex",
        1,
        0,
        title="Sensemaking and Sustainable Practicing: Functional",
        first_author="Seidel, Stefan",
        year=2013,
        doi="10.25300/misq/2013/37.4.13",
    ),
    "colrev/search_sources/dblp_bib.bib": Expect(
        "bibtex",
        2,
        0,
        title="This is a dummy article",
        first_author="Articlewriter, Tom",
        year=2022,
        doi="10.1111/7777777",
    ),
    "colrev/search_sources/ebsco_bib.bib": Expect(
        "bibtex",
        1,
        1,
        title="Paper title.",
        first_author="Smith, Tom",
        year=2000,
        id="11111111111111111",
    ),
    "colrev/search_sources/eric_nbib.nbib": Expect(
        "medline",
        1,
        0,
        title="Paper title",
        first_author="Smith, Tom",
        year=2000,
        doi="10.1000/123456789",
    ),
    "colrev/search_sources/europe_pmc_bib.bib": Expect(
        "bibtex",
        2,
        0,
        title="When there is a PERCENTAGE symbol anywhere, then t",
        first_author="Articlewriter, Tom",
        year=2023,
        doi="10.1111/s5555-333-55555-1",
    ),
    "colrev/search_sources/files_dir_bib.bib": Expect(
        "bibtex",
        3,
        0,
        sample=1,
        title="Discovering Meaning in IS Design (research in prog",
        first_author="Underwood, Jim",
        year=1997,
        id="0000000259",
    ),
    "colrev/search_sources/google_scholar.json": refused(
        "this looks like JSON, which is not a sea", problems=1
    ),
    "colrev/search_sources/ieee_csv.csv": Expect(
        "csv",
        2,
        0,
        title="Rural Outsourcing: Delivering ITO and BPO Services",
        first_author="Joseph Rottman",
        doi="10.1109/mc.2011.377",
    ),
    "colrev/search_sources/pubmed_csv.csv": Expect(
        "csv",
        1,
        0,
        title="Paper title",
        first_author="Smith A",
        year=2021,
        doi="10.1111/nature1111",
    ),
    "colrev/search_sources/scopus_bib.bib": Expect(
        "bibtex",
        11,
        0,
        sample=1,
        title="Article classified as document_type Article",
        first_author="Articlewriter, C.",
        year=2022,
        doi="10.1222/2222222.2022.2222222",
    ),
    "colrev/search_sources/springer_csv.csv": Expect(
        "csv",
        1,
        0,
        title="Publication tilte",
        first_author="Andy SmithTom Weber",
        year=2000,
        doi="10.1007/11111",
    ),
    "colrev/search_sources/taylor_and_francis_bib.bib": Expect(
        "bibtex",
        2,
        0,
        title="This is a dummy title from publisher Taylor & Fran",
        first_author="Does, Tandf",
        year=2018,
        doi="10.1111/07777777.2018.1666666",
    ),
    "colrev/search_sources/trid_ris.ris": Expect(
        "ris",
        3,
        0,
        sample=1,
        title="Title of this citation",
        first_author="Author-One, A",
        year=2018,
        doi="10.1444/j.hello.2018.05.005",
    ),
    "colrev/search_sources/unknown_source_bib.bib": Expect(
        "bibtex",
        1,
        0,
        title="Dummy: write down your ideas",
        first_author="Inbookwriter, Luise",
        id="rec1",
    ),
    "colrev/search_sources/web_of_science_bib.bib": Expect(
        "bibtex",
        2,
        0,
        title="Inproceedings Title",
        first_author="Writerone, Julia",
        year=2017,
        doi="10.1007/999-9-999-99999-9_3",
    ),
    "colrev/search_sources/wiley_bib.bib": Expect(
        "bibtex",
        2,
        0,
        title="Dummy: write down your ideas",
        first_author="Inbookwriter, Luise",
        year=2016,
        doi="10.1111/1111222233334.ch29",
    ),
    "litstudy/example.ris": Expect(
        "ris",
        25,
        0,
        sample=1,
        title="Reference Exascale Architecture",
        first_author="M. Bobák",
        year=2019,
        doi="10.1109/escience.2019.00063",
    ),
    "litstudy/ieee.csv": Expect(
        "csv",
        10,
        0,
        sample=1,
        title="European HPC Landscape",
        first_author="F. Berberich",
        year=2019,
        doi="10.1109/escience.2019.00062",
    ),
    "litstudy/springer.csv": Expect(
        "csv",
        18,
        0,
        title="Graph-Based Load Balancing Model for Exascale Comp",
        first_author="Araz R. AlievNigar T. Ismayilova",
        year=2022,
        doi="10.1007/978-3-030-92127-9_33",
    ),
    "rispy/example_basic.ris": Expect(
        "ris",
        1,
        0,
        title="A Mathematical Theory of Communication",
        first_author="Shannon,Claude E.",
        year=1948,
    ),
    "rispy/example_bom.ris": refused("no title (TI, T1, CT, BT, ST, TT empty o", problems=1),
    "rispy/example_custom_list_tags.ris": refused(
        "no title (TI, T1, CT, BT, ST, TT empty o", problems=1
    ),
    "rispy/example_empty_tag.ris": Expect(
        "ris",
        1,
        0,
        title="Outcome Measures After Shoulder Stabilization in t",
        first_author="Fanning E.",
        year=2020,
        doi="10.1177/2325967120950040",
    ),
    "rispy/example_extraneous_data.ris": Expect(
        "ris", 2, 0, title="Title of reference", first_author="Marx, Karl", year=2014, id="12345"
    ),
    "rispy/example_full.ris": Expect(
        "ris", 2, 0, title="Title of reference", first_author="Marx, Karl", year=2014, id="12345"
    ),
    "rispy/example_full_without_whitespace.ris": Expect(
        "ris", 2, 0, title="Title of reference", first_author="Marx, Karl", year=2014, id="12345"
    ),
    "rispy/example_full_write.ris": Expect(
        "ris", 2, 0, title="Title of reference", first_author="Marx, Karl", year=2014
    ),
    "rispy/example_multi_unknown_tags.ris": Expect(
        "ris",
        1,
        0,
        title="A Mathematical Theory of Communication",
        first_author="Shannon,Claude E.",
        year=1948,
    ),
    "rispy/example_multiline.ris": refused("no title (TI, T1, CT, BT, ST, TT empty o", problems=3),
    "rispy/example_single_unknown_tag.ris": Expect(
        "ris",
        1,
        0,
        title="A Mathematical Theory of Communication",
        first_author="Shannon,Claude E.",
        year=1948,
    ),
    "rispy/example_starting_newlines.ris": Expect(
        "ris",
        1,
        0,
        title="A Mathematical Theory of Communication",
        first_author="Shannon,Claude E.",
        year=1948,
    ),
    "rispy/example_urls.ris": Expect(
        "ris",
        4,
        0,
        sample=1,
        title="A Mathematical Theory of Communication",
        first_author="Shannon,Claude E.",
        year=1948,
    ),
    "rispy/example_utf_chars.ris": Expect(
        "ris",
        1,
        0,
        title="Состояние рецепторного аппарата эндометрия и метаб",
        first_author="Dobrokhotova, Yu E.",
        year=2009,
    ),
    "rispy/example_wos.ris": Expect(
        "wos",
        2,
        0,
        title="Interactions stabilizing the structure of the core",
        first_author="Parkes-Loach, PS",
        year=2004,
        doi="10.1021/bi049798f",
    ),
    "synthesisr/ASP_ris_example.ris": Expect(
        "ris",
        4,
        0,
        sample=1,
        title="£330,000 Welsh farmer scheme helps reduce flooding",
        first_author="James, Debbie",
        year=2018,
    ),
    "synthesisr/Ovid_ris_example.ris": Expect(
        "ris",
        4,
        0,
        sample=1,
        title="Host density drives viral, but not trypanosome, tr",
        first_author="Bailes, E. J.",
        year=2020,
        doi="10.1098/rspb.2019.1969",
    ),
    "synthesisr/PubMed_example.txt": Expect(
        "medline",
        3,
        0,
        sample=1,
        title="Management of Grassland-like Wildflower Strips Sow",
        first_author="Piqueray, Julien",
        year=2019,
        doi="10.1007/s00267-019-01153-y",
    ),
    "synthesisr/Scopus_bib_example.bib": Expect(
        "bibtex",
        3,
        0,
        sample=1,
        title="Impacts of land conversion and management measures",
        first_author="Cao, F.",
        year=2020,
        doi="10.1080/20964129.2020.1749010",
    ),
    "synthesisr/Scopus_ris_example.ris": Expect(
        "ris",
        3,
        0,
        sample=1,
        title="Impacts of land conversion and management measures",
        first_author="Cao, F.",
        year=2020,
        doi="10.1080/20964129.2020.1749010",
    ),
    "synthesisr/WoS_ciw_example.ciw": Expect(
        "wos",
        5,
        0,
        sample=1,
        title="Aesthetics and the Containment of Grief",
        first_author="Higgins, Kathleen Marie",
        year=2020,
        doi="10.1111/jaac.12686",
    ),
    "synthesisr/WoS_txt_example.txt": Expect(
        "wos",
        4,
        0,
        sample=1,
        title="Aesthetics and the Containment of Grief",
        first_author="Higgins, Kathleen Marie",
        year=2020,
        doi="10.1111/jaac.12686",
    ),
    "synthesisr/citesource_issue_24.ris": Expect(
        "ris",
        17,
        0,
        sample=1,
        title="What evidence exists for the impact of climate cha",
        first_author="Azra, Mohamad Nor",
        year=2022,
        doi="10.1186/s13750-022-00263-1",
    ),
    "synthesisr/eviatlas.csv": Expect(
        "csv",
        1,
        0,
        title="EviAtlas: a tool for visualising evidence synthesi",
        first_author="Haddaway, Neal R.",
        year=2019,
        doi="10.1186/s13750-019-0167-1",
    ),
    "synthesisr/litsearchr.txt": Expect(
        "bibtex",
        1,
        0,
        title="An automated approach to identifying search terms ",
        first_author="Grames, Eliza M",
        year=2019,
        id="grames2019automated",
    ),
    "synthesisr/res_synth_methods.txt": Expect(
        "medline",
        2,
        0,
        title="Risk-Of-Bias VISualization (robvis): an R package ",
        first_author="McGuinness, Luke A",
        year=2020,
        doi="10.1002/jrsm.1411",
    ),
}


def _path(name: str) -> Path:
    if not PARSERS.is_dir():
        pytest.skip(f"{PARSERS} is absent (it ships beside the repository in CI, not in a clone)")
    return PARSERS / name


def test_every_shared_file_has_an_expectation() -> None:
    present = {str(p.relative_to(PARSERS)) for p in _path(".").rglob("*") if p.is_file()}
    assert present == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shared_export(name: str) -> None:
    expect = EXPECTED[name]
    data = _path(name).read_bytes()
    if expect.format is None:
        with pytest.raises(ImportFileError) as refusal:
            read_bytes(data, filename=name, skip_invalid=True)
        problems = refusal.value.problems
        assert len(problems) == expect.problems
        assert problems[0].message.startswith(expect.refusal)
        assert problems[0].source == name
        return
    result = read_bytes(data, filename=name, skip_invalid=True)
    assert (result.format, len(result.records), len(result.problems)) == (
        expect.format,
        expect.records,
        expect.problems,
    )
    if expect.problems:
        with pytest.raises(ImportFileError) as refusal:
            read_bytes(data, filename=name)
        assert len(refusal.value.problems) == expect.problems
    record = result.records[expect.sample]
    assert record.title is not None and record.title.startswith(expect.title)
    assert (record.authors[0] if record.authors else None) == expect.first_author
    assert record.year == expect.year
    assert record.doi == expect.doi
    if expect.doi is None:
        assert record.source_record_id == expect.id
    assert record.raw, "every original field is kept"
    positions = [r.position for r in result.records]
    assert positions == sorted(set(positions))
    assert positions[-1] <= expect.records + expect.problems
