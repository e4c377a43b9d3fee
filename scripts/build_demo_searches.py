"""Rebuild the demo review's search exports from the kratom reference records.

The demo review asks whether kratom relieves neuropathic pain. Its "search results" are written
as the four databases would export them, from the real bibliographic facts gathered in
``../shared/data/kratom/records.jsonl`` (one JSON record per line) plus our own short summaries
in ``review_app/demo/abstracts.json``:

* ``searches/pubmed.nbib``         PubMed MEDLINE format, every record that has a PMID;
* ``searches/embase.ris``          Embase (Elsevier) RIS;
* ``searches/scopus.csv``          Scopus CSV;
* ``searches/clinicaltrials.csv``  ClinicalTrials.gov CSV, the trial registrations.

Nothing is invented: a field that is null in the jsonl stays absent from every export. Which
database carries which record is decided by fixed rules and a hash of ``record_id`` (see
``in_embase`` / ``in_scopus``), so the output is the same on every run. The rules, and what
is derived rather than copied, are documented in ``review_app/demo/README.md``.

Usage::

    python scripts/build_demo_searches.py [--records PATH] [--abstracts PATH] [--out DIR]
    python scripts/build_demo_searches.py --check   # exit 1 if the files are out of date
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import sys
import textwrap
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RECORDS = REPO_ROOT / ".." / "shared" / "data" / "kratom" / "records.jsonl"
DEMO_DIR = REPO_ROOT / "review_app" / "demo"
DEFAULT_ABSTRACTS = DEMO_DIR / "abstracts.json"
DEFAULT_OUT = DEMO_DIR / "searches"

Record = dict[str, Any]

# --- overlap rule -------------------------------------------------------------------------
# bucket(salt, record_id) is a number 0-99 from SHA-256. One bucket, "coverage", decides the
# Embase / Scopus overlap; the two drop ranges do not meet, so a journal article that one
# database drops is always in the other (no complete article is lost from every source).
EMBASE_DROP = range(0, 15)  # Embase drops these human-only articles without a PMID (it keeps
#                             PubMed records, animal / in-vitro work and meeting abstracts)
SCOPUS_DROP = range(15, 35)  # Scopus drops these journal articles
EMBASE_DROP_DOI = 20  # the DOI is missing from 20 % of Embase records
SCOPUS_DROP_DOI = 8  # ... and from 8 % of Scopus records
SCOPUS_TITLE_CASE = 35  # 35 % of Scopus titles come out in Title Case


def bucket(salt: str, record_id: str) -> int:
    """A stable number 0-99 for (salt, record_id)."""
    digest = hashlib.sha256(f"{salt}:{record_id}".encode()).hexdigest()
    return int(digest, 16) % 100


# --- journal names --------------------------------------------------------------------------
# jsonl spelling -> (NLM abbreviation "TA", NLM title "JT", full title as Embase/Scopus give it).
# Only standard, public journal names; a journal missing here is written as the jsonl spells it.
JOURNALS: dict[str, tuple[str | None, str | None, str]] = {
    "ACG Case Reports Journal": (
        "ACG Case Rep J",
        "ACG case reports journal",
        "ACG Case Reports Journal",
    ),
    "ACS Cent Sci": ("ACS Cent Sci", "ACS central science", "ACS Central Science"),
    "Addiction Biology": ("Addict Biol", "Addiction biology", "Addiction Biology"),
    "Am J Drug Alcohol Abuse": (
        "Am J Drug Alcohol Abuse",
        "The American journal of drug and alcohol abuse",
        "American Journal of Drug and Alcohol Abuse",
    ),
    "Am J Emerg Med": (
        "Am J Emerg Med",
        "The American journal of emergency medicine",
        "American Journal of Emergency Medicine",
    ),
    "BioMed Research International": (
        "Biomed Res Int",
        "BioMed research international",
        "BioMed Research International",
    ),
    "Biomedicine & Pharmacotherapy": (
        "Biomed Pharmacother",
        "Biomedicine & pharmacotherapy = Biomedecine & pharmacotherapie",
        "Biomedicine and Pharmacotherapy",
    ),
    "British Journal of Pharmacology": (
        "Br J Pharmacol",
        "British journal of pharmacology",
        "British Journal of Pharmacology",
    ),
    "Clinical Toxicology": (
        "Clin Toxicol (Phila)",
        "Clinical toxicology (Philadelphia, Pa.)",
        "Clinical Toxicology",
    ),
    "Curr Top Med Chem": (
        "Curr Top Med Chem",
        "Current topics in medicinal chemistry",
        "Current Topics in Medicinal Chemistry",
    ),
    "Drug and Alcohol Dependence": (
        "Drug Alcohol Depend",
        "Drug and alcohol dependence",
        "Drug and Alcohol Dependence",
    ),
    "Drug Design, Development and Therapy": (
        "Drug Des Devel Ther",
        "Drug design, development and therapy",
        "Drug Design, Development and Therapy",
    ),
    "Epilepsy Behav": ("Epilepsy Behav", "Epilepsy & behavior : E&B", "Epilepsy and Behavior"),
    "Epilepsy Behav Case Rep": (
        "Epilepsy Behav Case Rep",
        "Epilepsy & behavior case reports",
        "Epilepsy and Behavior Case Reports",
    ),
    "European Journal of Pharmacology": (
        "Eur J Pharmacol",
        "European journal of pharmacology",
        "European Journal of Pharmacology",
    ),
    "FASEB J": (
        "FASEB J",
        "FASEB journal : official publication of the Federation of American Societies for "
        "Experimental Biology",
        "FASEB Journal",
    ),
    "Frontiers in Pharmacology": (
        "Front Pharmacol",
        "Frontiers in pharmacology",
        "Frontiers in Pharmacology",
    ),
    "Hum Psychopharmacol Clin Exp": (
        "Hum Psychopharmacol",
        "Human psychopharmacology",
        "Human Psychopharmacology",
    ),
    "Human Psychopharmacology: Clinical and Experimental": (
        "Hum Psychopharmacol",
        "Human psychopharmacology",
        "Human Psychopharmacology",
    ),
    "IBRO Neurosci Rep": (
        "IBRO Neurosci Rep",
        "IBRO neuroscience reports",
        "IBRO Neuroscience Reports",
    ),
    "Int J Clin Pediatr": (None, None, "International Journal of Clinical Pediatrics"),
    "Int J Legal Med": (
        "Int J Legal Med",
        "International journal of legal medicine",
        "International Journal of Legal Medicine",
    ),
    "Int J Mol Sci": (
        "Int J Mol Sci",
        "International journal of molecular sciences",
        "International Journal of Molecular Sciences",
    ),
    "J Addict Med": (
        "J Addict Med",
        "Journal of addiction medicine",
        "Journal of Addiction Medicine",
    ),
    "J Adolesc Health": (
        "J Adolesc Health",
        "The Journal of adolescent health : official publication of the Society for Adolescent "
        "Medicine",
        "Journal of Adolescent Health",
    ),
    "J Am Chem Soc": (
        "J Am Chem Soc",
        "Journal of the American Chemical Society",
        "Journal of the American Chemical Society",
    ),
    "J Am Osteopath Assoc": (
        "J Am Osteopath Assoc",
        "The Journal of the American Osteopathic Association",
        "Journal of the American Osteopathic Association",
    ),
    "J Med Chem": (
        "J Med Chem",
        "Journal of medicinal chemistry",
        "Journal of Medicinal Chemistry",
    ),
    "J Pharmacol Exp Ther": (
        "J Pharmacol Exp Ther",
        "The Journal of pharmacology and experimental therapeutics",
        "Journal of Pharmacology and Experimental Therapeutics",
    ),
    "J Psychoact Drugs": (
        "J Psychoactive Drugs",
        "Journal of psychoactive drugs",
        "Journal of Psychoactive Drugs",
    ),
    "J Psychoactive Drugs": (
        "J Psychoactive Drugs",
        "Journal of psychoactive drugs",
        "Journal of Psychoactive Drugs",
    ),
    "Journal of Psychoactive Drugs": (
        "J Psychoactive Drugs",
        "Journal of psychoactive drugs",
        "Journal of Psychoactive Drugs",
    ),
    "Journal of Ethnopharmacology": (
        "J Ethnopharmacol",
        "Journal of ethnopharmacology",
        "Journal of Ethnopharmacology",
    ),
    "Life Sci": ("Life Sci", "Life sciences", "Life Sciences"),
    "MMWR Morb Mortal Wkly Rep": (
        "MMWR Morb Mortal Wkly Rep",
        "MMWR. Morbidity and mortality weekly report",
        "Morbidity and Mortality Weekly Report",
    ),
    "MMWR Morbidity and Mortality Weekly Report": (
        "MMWR Morb Mortal Wkly Rep",
        "MMWR. Morbidity and mortality weekly report",
        "Morbidity and Mortality Weekly Report",
    ),
    "New Eng J Med": (
        "N Engl J Med",
        "The New England journal of medicine",
        "New England Journal of Medicine",
    ),
    "Paediatr Child Health": (
        "Paediatr Child Health",
        "Paediatrics & child health",
        "Paediatrics and Child Health",
    ),
    "Pain Med": ("Pain Med", "Pain medicine (Malden, Mass.)", "Pain Medicine"),
    "Pharmacognosy Res": ("Pharmacognosy Res", "Pharmacognosy research", "Pharmacognosy Research"),
    "Pediatrics": ("Pediatrics", "Pediatrics", "Pediatrics"),
    "Prim Care Companion CNS Disord": (
        "Prim Care Companion CNS Disord",
        "The primary care companion for CNS disorders",
        "Primary Care Companion for CNS Disorders",
    ),
    "Songklanakarin J Sci Technol": (
        None,
        None,
        "Songklanakarin Journal of Science and Technology",
    ),
    "Subst Abuse": (
        "Subst Abuse",
        "Substance abuse : research and treatment",
        "Substance Abuse: Research and Treatment",
    ),
    "World J Hepatol": (
        "World J Hepatol",
        "World journal of hepatology",
        "World Journal of Hepatology",
    ),
    "Yale J Biol Med": (
        "Yale J Biol Med",
        "The Yale journal of biology and medicine",
        "Yale Journal of Biology and Medicine",
    ),
}


def journal_full(name: str) -> str:
    entry = JOURNALS.get(name)
    return entry[2] if entry else name


def journal_nlm(name: str) -> tuple[str, str]:
    ta, jt, full = JOURNALS.get(name, (None, None, name))
    return ta or name, jt or full


# --- small field helpers ----------------------------------------------------------------------

SUFFIXES = {"Jr", "Sr", "II", "III", "IV"}
INITIALS = re.compile(r"^[A-Z](?:-?[A-Z]){0,4}$")


def split_author(name: str) -> tuple[str, str, str]:
    """'Vicknasingam B' -> ('Vicknasingam', 'B', ''); 'Griffin O III' -> ('Griffin', 'O', 'III')."""
    tokens = name.split()
    suffix = ""
    if len(tokens) > 2 and tokens[-1] in SUFFIXES:
        suffix = tokens.pop()
    if len(tokens) > 1 and INITIALS.match(tokens[-1]):
        return " ".join(tokens[:-1]), tokens[-1], suffix
    return " ".join(tokens), "", suffix  # surname only, as seen


def dotted(initials: str) -> str:
    """'WT' -> 'W.T.', 'W-T' -> 'W.-T.'."""
    return "".join(f"{c}." if c.isalpha() else c for c in initials)


def ascii_fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def author_embase(name: str) -> str:
    surname, initials, suffix = split_author(name)
    parts = [ascii_fold(surname)] + ([dotted(initials)] if initials else [])
    return " ".join(parts + ([suffix] if suffix else []))


def author_scopus(name: str) -> str:
    surname, initials, suffix = split_author(name)
    return " ".join(
        [surname] + ([dotted(initials)] if initials else []) + ([suffix] if suffix else [])
    )


def author_scopus_full(name: str) -> str:
    surname, initials, suffix = split_author(name)
    if not initials:
        return surname
    return f"{surname}, {dotted(initials)}" + (f" {suffix}" if suffix else "")


def author_pubmed_fau(name: str) -> str:
    surname, initials, suffix = split_author(name)
    if not initials:
        return surname
    return f"{surname}, {initials}" + (f" {suffix}" if suffix else "")


def parse_pages(pages: str | None) -> dict[str, str]:
    """The jsonl 'pages' field as start / end page or article number (full end page)."""
    if not pages:
        return {}
    text = pages.strip()
    m = re.match(r"^(\S+) \(article number\)$", text)
    if m:
        return {"artno": m.group(1)}
    m = re.match(r"^(\d+) \(first page", text)
    if m:
        return {"start": m.group(1)}
    if re.match(r"^e\w+$", text):
        return {"artno": text}
    m = re.match(r"^(\d+)-(\d+)$", text)
    if m:
        start, end = m.groups()
        if len(end) < len(start):  # "2143-55" -> 2155
            end = start[: len(start) - len(end)] + end
        return {"start": start, "end": end}
    if re.match(r"^\d+$", text):
        return {"start": text}
    raise ValueError(f"unexpected pages value: {pages!r}")


def pubmed_pages(p: dict[str, str]) -> str | None:
    """MEDLINE style: the end page loses the digits it shares with the start ('229-38')."""
    if "artno" in p:
        return p["artno"]
    if "start" not in p:
        return None
    start, end = p["start"], p.get("end")
    if not end:
        return start
    if len(start) == len(end):
        i = 0
        while i < len(end) - 1 and start[i] == end[i]:
            i += 1
        end = end[i:]
    return f"{start}-{end}"


SMALL_WORDS = {
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the",
    "to", "vs", "with", "among", "after", "according",
}  # fmt: skip


def title_case(title: str) -> str:
    words = title.split(" ")
    out = []
    for i, word in enumerate(words):
        bare = word.strip("\"'“”‘’()[]").lower()
        if i > 0 and bare in SMALL_WORDS and not out[-1].endswith(":"):
            out.append(word)
            continue
        m = re.search(r"[A-Za-z]", word)
        if m and word[m.start()].islower() and not re.match(r"^[a-z]+[A-Z]", word[m.start() :]):
            word = word[: m.start()] + word[m.start()].upper() + word[m.start() + 1 :]
        out.append(word)
    return " ".join(out)


def pubmed_title(title: str) -> str:
    return title if title.endswith((".", "?", "!")) else title + "."


def plain_title(title: str) -> str:
    return title[:-1] if title.endswith(".") else title


def is_trial_registration(r: Record) -> bool:
    return "trial registration" in (r.get("record_type") or "")


def is_conference(r: Record) -> bool:
    return (r.get("record_type") or "").startswith("conference abstract")


def is_article(r: Record) -> bool:
    rt = r.get("record_type") or ""
    return rt.startswith("journal article") or rt.startswith("citation seen only")


def has_abstract_number(r: Record) -> bool:
    return any("abstract number" in v for v in r.get("verified_fields") or [])


def is_meeting_name(journal: str | None) -> bool:
    return bool(journal) and "meeting" in journal.lower()


def non_human(r: Record) -> bool:
    pop = r.get("population") or ""
    return "animal" in pop or "in vitro" in pop


def doc_type(r: Record) -> str:
    """Embase / Scopus document type, from the jsonl design and record_type."""
    design = (r.get("design") or "").lower()
    if is_conference(r):
        return "Conference Abstract"
    if "correspondence" in design or "letter" in design:
        return "Letter"
    if "case report" in design or "case series" in design:
        return "Article"
    if "commentary" in design:
        return "Note"
    if "review" in design:
        return "Review"
    return "Article"


def pubmed_types(r: Record) -> list[str]:
    design = (r.get("design") or "").lower()
    types = ["Journal Article"]
    if design.startswith("rct"):
        types.append("Randomized Controlled Trial")
    if "case report" in design:
        types.append("Case Reports")
    if "systematic review" in design:
        types.append("Systematic Review")
    if "review" in design:
        types.append("Review")
    if "correspondence" in design:
        types = ["Letter"]
    return types


def publication_date(r: Record) -> str | None:
    """MEDLINE DP: 'YYYY Mon[ DD]' when a verified field shows it, else the year."""
    year = r.get("year")
    if year is None:
        return None
    for field in r.get("verified_fields") or []:
        if not field.startswith(("year", "date")):
            continue
        m = re.search(r"\b(\d{4}) ([A-Z][a-z]{2})(?: (\d{1,2}))?\b", field)
        if m and int(m.group(1)) == year:
            return " ".join(g for g in m.groups() if g)
    return str(year)


# --- index terms ------------------------------------------------------------------------------
# Emtree-like terms, each given when its pattern matches the record's title, design,
# population or our summary. They describe the record; they are not the databases' indexing.
INDEX_TERMS: list[tuple[str, str]] = [
    (r"kratom|mitragyn|ketum", "Mitragyna speciosa"),
    (r"(?<!hydroxy)mitragynine\b", "mitragynine"),
    (r"7-hydroxymitragynine|7-OH", "7-hydroxymitragynine"),
    (r"\bmorphine\b", "morphine"),
    (r"\bnaloxone\b", "naloxone"),
    (r"\bnaltrexone\b", "naltrexone"),
    (r"mu-opioid|μ-opioid|\bmu\b", "mu opiate receptor"),
    (r"antinocicep|hot-plate|tail-flick|writhing", "antinociception"),
    (r"analges", "analgesia"),
    (r"cold.pressor", "cold pressor test"),
    (r"\bpain\b", "pain"),
    (r"chronic pain", "chronic pain"),
    (r"neuropath", "neuropathy"),
    (
        r"oxaliplatin|paclitaxel|chemotherapy-induced|CIPN",
        "chemotherapy-induced peripheral neuropathy",
    ),
    (r"allodynia", "mechanical allodynia"),
    (r"dependence|use disorder", "drug dependence"),
    (r"withdrawal", "withdrawal syndrome"),
    (r"liver injury|hepat|DILI", "liver injury"),
    (r"seizure", "seizure"),
    (r"neonatal abstinence|neonat", "neonatal abstinence syndrome"),
    (r"QTc|ECG|electrocardio", "electrocardiogram"),
    (r"respiratory depress", "respiratory depression"),
    (r"pharmacokinetic", "pharmacokinetics"),
    (r"overdose", "drug overdose"),
    (r"toxicity|toxicolog", "toxicity"),
    (r"randomi[sz]ed", "randomized controlled trial"),
    (r"placebo", "placebo"),
    (r"double-blind", "double blind procedure"),
    (r"crossover", "crossover procedure"),
    (r"cross-sectional", "cross-sectional study"),
    (r"survey", "questionnaire"),
    (r"systematic review", "systematic review"),
    (r"meta-analysis", "meta analysis"),
    (r"case report", "case report"),
    (r"Malaysia", "Malaysia"),
    (r"Thai", "Thailand"),
    (r"\bUS\b|U\.S\.|United States", "United States"),
]


def index_terms(r: Record, abstract: str | None) -> list[str]:
    text = " ".join(
        str(x) for x in (r.get("title"), r.get("design"), r.get("population"), abstract) if x
    )
    terms = {term for pattern, term in INDEX_TERMS if re.search(pattern, text, re.IGNORECASE)}
    pop = r.get("population") or ""
    if "human" in pop:
        terms.add("human")
    if "animal" in pop:
        terms.update({"animal experiment", "nonhuman"})
    if "in vitro" in pop:
        terms.add("in vitro study")
    if re.search(r"\bmice\b|\bmouse\b", text, re.IGNORECASE):
        terms.add("mouse")
    if re.search(r"\brats?\b", text, re.IGNORECASE):
        terms.add("rat")
    doctype = doc_type(r)
    terms.add({"Review": "review", "Letter": "letter", "Note": "note"}.get(doctype, "article"))
    if doctype == "Conference Abstract":
        terms.discard("article")
        terms.add("conference abstract")
    return sorted(terms, key=str.casefold)


# --- eligibility ------------------------------------------------------------------------------


def in_pubmed(r: Record) -> bool:
    # Every PubMed record has a title; where ours lacks one we don't know it, so the record
    # stays out of the PubMed export rather than appearing untitled.
    return bool(r.get("pmid")) and bool(r.get("title"))


def embase_candidate(r: Record) -> bool:
    if not r.get("title"):
        return False
    if is_conference(r):
        # Embase indexes meeting abstracts published in journal supplements or numbered by
        # the meeting; a web page of abstracts without either is not indexed.
        return bool(r.get("journal")) or has_abstract_number(r)
    return is_article(r) and bool(r.get("journal")) and r.get("year") is not None


def in_embase(r: Record) -> bool:
    if not embase_candidate(r):
        return False
    if in_pubmed(r) or non_human(r) or is_conference(r):
        return True  # Embase covers MEDLINE, pharmacology and meeting abstracts
    return bucket("coverage", r["record_id"]) not in EMBASE_DROP


def scopus_candidate(r: Record) -> bool:
    return (
        is_article(r)
        and bool(r.get("title"))
        and bool(r.get("journal"))
        and r.get("year") is not None
    )


def in_scopus(r: Record) -> bool:
    return scopus_candidate(r) and bucket("coverage", r["record_id"]) not in SCOPUS_DROP


def nct_number(r: Record) -> str | None:
    parts = [r.get("record_type") or "", r.get("source_url") or ""]
    parts += r.get("other_urls") or []
    parts += r.get("verified_fields") or []
    haystack = " ".join(parts)
    m = re.search(r"NCT\d{8}", haystack)
    return m.group(0) if m else None


def embase_doi(r: Record) -> str | None:
    """The DOI an export may carry: never the SSRN preprint DOI on a journal article."""
    doi = r.get("doi")
    if not doi:
        return None
    if doi.startswith("10.2139/ssrn") and "ssrn" in (r.get("notes") or "").lower():
        return None
    return doi


# --- writers ----------------------------------------------------------------------------------


def medline_field(tag: str, value: str) -> list[str]:
    prefix = f"{tag:<4}- "
    return textwrap.wrap(
        value,
        width=88,
        initial_indent=prefix,
        subsequent_indent=" " * 6,
        break_long_words=False,
        break_on_hyphens=False,
    )


def render_pubmed(records: Iterable[Record], abstracts: dict[str, str]) -> str:
    blocks = []
    for r in records:
        pages = parse_pages(r.get("pages"))
        doi = embase_doi(r)
        lines = medline_field("PMID", r["pmid"])
        if r.get("volume"):
            lines += medline_field("VI", r["volume"])
        if r.get("issue"):
            lines += medline_field("IP", r["issue"])
        dp = publication_date(r)
        if dp:
            lines += medline_field("DP", dp)
        if r.get("title"):
            lines += medline_field("TI", pubmed_title(r["title"]))
        pg = pubmed_pages(pages)
        if pg:
            lines += medline_field("PG", pg)
        if "artno" in pages:
            lines += medline_field("LID", pages["artno"])
        if doi:
            lines += medline_field("LID", f"{doi} [doi]")
        if r["record_id"] in abstracts:
            lines += medline_field("AB", abstracts[r["record_id"]])
        for name in r.get("authors") or []:
            surname, initials, suffix = split_author(name)
            lines += medline_field("FAU", author_pubmed_fau(name))
            lines += medline_field("AU", " ".join(x for x in (surname, initials, suffix) if x))
        lines += medline_field("LA", "eng")
        for pt in pubmed_types(r):
            lines += medline_field("PT", pt)
        if r.get("journal"):
            ta, jt = journal_nlm(r["journal"])
            lines += medline_field("TA", ta)
            lines += medline_field("JT", jt)
        if r.get("pmcid"):
            lines += medline_field("PMC", r["pmcid"])
        if doi:
            lines += medline_field("AID", f"{doi} [doi]")
        source = pubmed_source(r, dp, pg, doi)
        if source:
            lines += medline_field("SO", source)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def pubmed_source(r: Record, dp: str | None, pg: str | None, doi: str | None) -> str | None:
    """The MEDLINE 'SO' citation line, built only from fields we have."""
    if not r.get("journal"):
        return None
    ta, _ = journal_nlm(r["journal"])
    so = f"{ta}."
    if dp:
        so += f" {dp}"
    if r.get("volume"):
        so += f";{r['volume']}"
        if r.get("issue"):
            so += f"({r['issue']})"
    if pg:
        so += f":{pg}"
    so += "."
    if doi:
        so += f" doi: {doi}."
    return so


def render_embase(records: Iterable[Record], abstracts: dict[str, str]) -> str:
    blocks = []
    for r in records:
        rid = r["record_id"]
        lines = ["TY  - JOUR"]
        lines.append(f"M3  - {doc_type(r)}")
        lines.append(f"TI  - {plain_title(r['title'])}")
        for name in r.get("authors") or []:
            lines.append(f"AU  - {author_embase(name)}")
        journal = r.get("journal")
        if journal and not is_meeting_name(journal):
            lines.append(f"JF  - {journal_full(journal)}")
            lines.append(f"JO  - {journal_full(journal)}")
        elif journal:
            lines.append(f"T2  - {journal}")
        if r.get("year") is not None:
            lines.append(f"PY  - {r['year']}")
        if r.get("volume"):
            lines.append(f"VL  - {r['volume']}")
        if r.get("issue"):
            lines.append(f"IS  - {r['issue']}")
        pages = parse_pages(r.get("pages"))
        if "artno" in pages:
            lines.append(f"SP  - {pages['artno']}")
        if "start" in pages:
            lines.append(f"SP  - {pages['start']}")
        if "end" in pages:
            lines.append(f"EP  - {pages['end']}")
        doi = embase_doi(r)
        if doi and bucket("embase-doi", rid) >= EMBASE_DROP_DOI:
            lines.append(f"DO  - {doi}")
        if rid in abstracts:
            lines.append(f"AB  - {abstracts[rid]}")
        for term in index_terms(r, abstracts.get(rid)):
            lines.append(f"KW  - {term}")
        lines.append("LA  - English")
        lines.append("DB  - Embase")
        lines.append("ER  - ")
        blocks.append("\n".join(lines))
    return "\ufeff" + "\n\n".join(blocks) + "\n"


SCOPUS_COLUMNS = [
    "Authors", "Author full names", "Title", "Year", "Source title", "Volume", "Issue",
    "Art. No.", "Page start", "Page end", "Cited by", "DOI", "Link", "Abstract",
    "Author Keywords", "Index Keywords", "PubMed ID", "Document Type", "Source", "EID",
]  # fmt: skip


def render_scopus(records: Iterable[Record], abstracts: dict[str, str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(SCOPUS_COLUMNS)
    for r in records:
        rid = r["record_id"]
        authors = r.get("authors") or []
        title = plain_title(r["title"])
        if bucket("scopus-case", rid) < SCOPUS_TITLE_CASE:
            title = title_case(title)
        pages = parse_pages(r.get("pages"))
        doi = embase_doi(r)
        if doi and bucket("scopus-doi", rid) < SCOPUS_DROP_DOI:
            doi = None
        terms = index_terms(r, abstracts.get(rid))
        doctype = doc_type(r)
        row = {
            "Authors": "; ".join(author_scopus(a) for a in authors) or "[No author name available]",
            "Author full names": "; ".join(author_scopus_full(a) for a in authors),
            "Title": title,
            "Year": str(r["year"]),
            "Source title": journal_full(r["journal"]),
            "Volume": r.get("volume") or "",
            "Issue": r.get("issue") or "",
            "Art. No.": pages.get("artno", ""),
            "Page start": pages.get("start", ""),
            "Page end": pages.get("end", ""),
            "Cited by": "",
            "DOI": doi or "",
            "Link": "",
            "Abstract": abstracts.get(rid, "[No abstract available]"),
            "Author Keywords": "",
            "Index Keywords": "; ".join(
                t for t in terms if t not in {"article", "review", "letter", "note"}
            ),
            "PubMed ID": r.get("pmid") or "",
            "Document Type": doctype,
            "Source": "Scopus",
            "EID": "",
        }
        writer.writerow([row[c] for c in SCOPUS_COLUMNS])
    return "\ufeff" + buf.getvalue()


CTGOV_COLUMNS = [
    "NCT Number", "Study Title", "Study URL", "Acronym", "Study Status", "Brief Summary",
    "Study Results", "Conditions", "Interventions", "Primary Outcome Measures", "Sponsor",
    "Study Type", "Phases", "Enrollment", "Start Date", "Completion Date",
]  # fmt: skip


def trial_fields(r: Record) -> dict[str, str]:
    """Registry fields the jsonl shows (verified_fields / design / notes); the rest stay empty."""
    verified = r.get("verified_fields") or []
    design = r.get("design") or ""
    notes = r.get("notes") or ""
    out: dict[str, str] = {}
    for v in verified:
        m = re.match(r"sponsor \(?([^()]+?)\)?$", v)
        if m:
            out["Sponsor"] = m.group(1)
        m = re.match(r"status (\w+)$", v)
        if m:
            out["Study Status"] = m.group(1).upper()
        m = re.match(r"start date (.+)$", v)
        if m:
            out["Start Date"] = iso_date(m.group(1))
        m = re.match(r"study type (\w+)$", v)
        if m:
            out["Study Type"] = m.group(1).upper()
        m = re.match(r"enrollment (\d+)$", v)
        if m:
            out["Enrollment"] = m.group(1)
    if "Study Status" not in out:
        m = re.search(r"status shown as (\w+) \(ct\.gov", notes)
        if m:
            out["Study Status"] = m.group(1).upper()
    if "Study Type" not in out:
        m = re.search(r"\b(interventional|observational)\b", design, re.IGNORECASE)
        if m:
            out["Study Type"] = m.group(1).upper()
    if "Enrollment" not in out:
        m = re.search(r"\bn=(\d+)", design)
        if m:
            out["Enrollment"] = m.group(1)
    return out


def iso_date(text: str) -> str:
    for fmt in ("%b %d, %Y", "%B %d, %Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).strftime("%Y-%m-%d")
        except ValueError:
            continue
    raise ValueError(f"unexpected date: {text!r}")


def render_ctgov(records: Iterable[Record], abstracts: dict[str, str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CTGOV_COLUMNS)
    for r in records:
        nct = nct_number(r)
        row = dict.fromkeys(CTGOV_COLUMNS, "")
        row.update(trial_fields(r))
        row["NCT Number"] = nct or ""
        row["Study Title"] = r["title"]
        row["Study URL"] = f"https://clinicaltrials.gov/study/{nct}"
        row["Brief Summary"] = abstracts.get(r["record_id"], "")
        writer.writerow([row[c] for c in CTGOV_COLUMNS])
    return buf.getvalue()


# --- driver -----------------------------------------------------------------------------------


def load_records(path: Path) -> list[Record]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_abstracts(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def select(records: list[Record]) -> dict[str, list[Record]]:
    """Which records each export carries, in record_id order."""
    ordered = sorted(records, key=lambda r: r["record_id"])
    return {
        "pubmed.nbib": [r for r in ordered if in_pubmed(r)],
        "embase.ris": [r for r in ordered if in_embase(r)],
        "scopus.csv": [r for r in ordered if in_scopus(r)],
        "clinicaltrials.csv": [
            r for r in ordered if is_trial_registration(r) and nct_number(r) and r.get("title")
        ],
    }


def build(records: list[Record], abstracts: dict[str, str]) -> dict[str, str]:
    """File name -> file text for the four exports."""
    unknown = set(abstracts) - {r["record_id"] for r in records}
    if unknown:
        raise ValueError(f"abstracts.json has ids not in the records: {sorted(unknown)}")
    chosen = select(records)
    return {
        "pubmed.nbib": render_pubmed(chosen["pubmed.nbib"], abstracts),
        "embase.ris": render_embase(chosen["embase.ris"], abstracts),
        "scopus.csv": render_scopus(chosen["scopus.csv"], abstracts),
        "clinicaltrials.csv": render_ctgov(chosen["clinicaltrials.csv"], abstracts),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=Path, default=DEFAULT_RECORDS)
    parser.add_argument("--abstracts", type=Path, default=DEFAULT_ABSTRACTS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--check", action="store_true", help="compare with the files on disk, write nothing"
    )
    args = parser.parse_args(argv)

    if not args.records.is_file():
        print(f"records not found: {args.records}", file=sys.stderr)
        return 2
    records = load_records(args.records)
    files = build(records, load_abstracts(args.abstracts))
    chosen = select(records)

    stale = []
    for name, text in files.items():
        path = args.out / name
        if args.check:
            if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
                stale.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    for name, recs in chosen.items():
        print(f"{name}: {len(recs)} records")
    union = {r["record_id"] for recs in chosen.values() for r in recs}
    print(f"unique records across the four files: {len(union)} of {len(records)}")
    if stale:
        print(f"out of date: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
