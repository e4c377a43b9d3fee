"""The demo review's search exports: they parse with the usual libraries, hold the records we
meant them to hold, overlap across databases, and carry only facts from the kratom records."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
import rispy
from Bio import Medline

from tests.scripts import load_script

REPO = Path(__file__).resolve().parent.parent
SEARCHES = REPO / "review_app" / "demo" / "searches"
ABSTRACTS = REPO / "review_app" / "demo" / "abstracts.json"
RECORDS = REPO.parent / "shared" / "data" / "kratom" / "records.jsonl"

EXPECTED_COUNTS = {
    "pubmed.nbib": 20,
    "embase.ris": 73,
    "scopus.csv": 61,
    "clinicaltrials.csv": 3,
}
UNIQUE_RECORDS = 86  # distinct record_ids across the four files

needs_records = pytest.mark.skipif(
    not RECORDS.is_file(),
    reason="../shared/data/kratom/records.jsonl is absent (fresh clone without shared data)",
)


def _load_builder() -> ModuleType:
    return load_script("scripts/build_demo_searches.py")


def _pubmed() -> list[dict]:
    with (SEARCHES / "pubmed.nbib").open(encoding="utf-8") as f:
        return list(Medline.parse(f))


def _embase() -> list[dict]:
    # Embase writes a UTF-8 byte-order mark; utf-8-sig keeps it out of the first tag.
    return rispy.load(SEARCHES / "embase.ris", encoding="utf-8-sig")


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(SEARCHES / name, dtype=str, keep_default_na=False)


def _records() -> list[dict]:
    with RECORDS.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _norm_title(title: str) -> str:
    return re.sub(r"[\W_]+", "", title.casefold())


def _doi_from_tagged(values: list[str] | str | None) -> list[str]:
    if not values:
        return []
    values = [values] if isinstance(values, str) else values
    return [v[: -len(" [doi]")].lower() for v in values if v.endswith(" [doi]")]


def _ids_by_file() -> dict[str, set[str]]:
    """'pmid:N' and 'doi:X' identifiers found in each file."""
    ids: dict[str, set[str]] = {}
    ids["pubmed.nbib"] = {f"pmid:{r['PMID']}" for r in _pubmed()} | {
        f"doi:{d}" for r in _pubmed() for d in _doi_from_tagged(r.get("AID"))
    }
    ids["embase.ris"] = {f"doi:{r['doi'].lower()}" for r in _embase() if r.get("doi")}
    scopus = _csv("scopus.csv")
    ids["scopus.csv"] = {f"doi:{d.lower()}" for d in scopus["DOI"] if d} | {
        f"pmid:{p}" for p in scopus["PubMed ID"] if p
    }
    return ids


# --- the files parse, with the counts we built ------------------------------------------------


def test_pubmed_nbib_parses_with_biopython():
    records = _pubmed()
    assert len(records) == EXPECTED_COUNTS["pubmed.nbib"]
    for r in records:
        assert re.fullmatch(r"\d{7,8}", r["PMID"])
        assert r["LA"] == ["eng"]
        assert "Journal Article" in r["PT"] or "Letter" in r["PT"]
        # MEDLINE continuation lines are indented six spaces and joined back into one string
        assert "\n" not in r.get("AB", "")
    text = (SEARCHES / "pubmed.nbib").read_text(encoding="utf-8")
    for line in text.splitlines():
        assert line == "" or re.match(r"^([A-Z]{2,4} *- |      \S)", line), line


def test_embase_ris_parses_with_rispy():
    records = _embase()
    assert len(records) == EXPECTED_COUNTS["embase.ris"]
    for r in records:
        assert r["type_of_reference"] == "JOUR"
        assert r["name_of_database"] == "Embase"
        assert r["title"]
        assert r["keywords"]
    # the byte-order mark is there as in real Embase exports
    assert (SEARCHES / "embase.ris").read_bytes().startswith(b"\xef\xbb\xbfTY  - JOUR")


def test_scopus_csv_parses_with_pandas():
    df = _csv("scopus.csv")
    assert list(df.columns) == [
        "Authors", "Author full names", "Title", "Year", "Source title", "Volume", "Issue",
        "Art. No.", "Page start", "Page end", "Cited by", "DOI", "Link", "Abstract",
        "Author Keywords", "Index Keywords", "PubMed ID", "Document Type", "Source", "EID",
    ]  # fmt: skip
    assert len(df) == EXPECTED_COUNTS["scopus.csv"]
    assert (df["Source"] == "Scopus").all()
    assert df["Year"].str.fullmatch(r"\d{4}").all()
    assert df["Title"].str.len().gt(0).all()


def test_clinicaltrials_csv_parses_with_pandas():
    df = _csv("clinicaltrials.csv")
    assert list(df.columns) == [
        "NCT Number", "Study Title", "Study URL", "Acronym", "Study Status", "Brief Summary",
        "Study Results", "Conditions", "Interventions", "Primary Outcome Measures", "Sponsor",
        "Study Type", "Phases", "Enrollment", "Start Date", "Completion Date",
    ]  # fmt: skip
    assert len(df) == EXPECTED_COUNTS["clinicaltrials.csv"]
    assert df["NCT Number"].str.fullmatch(r"NCT\d{8}").all()
    for nct, url in zip(df["NCT Number"], df["Study URL"], strict=True):
        assert url == f"https://clinicaltrials.gov/study/{nct}"


def test_records_are_duplicated_across_sources():
    ids = _ids_by_file()
    seen: dict[str, set[str]] = {}
    for name, found in ids.items():
        for ident in found:
            seen.setdefault(ident, set()).add(name)
    in_two = {i for i, files in seen.items() if len(files) >= 2}
    in_three = {i for i, files in seen.items() if len(files) == 3}
    assert len(in_two) >= 20
    assert in_three, "expected records found by PubMed, Embase and Scopus alike"
    # ... but the databases do not hold the same records
    assert ids["embase.ris"] != ids["scopus.csv"]


def test_abstracts_json_is_short_summaries():
    abstracts = json.loads(ABSTRACTS.read_text(encoding="utf-8"))
    assert abstracts
    for rid, text in abstracts.items():
        assert re.fullmatch(r"kratom-\d{3}", rid)
        sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", text.strip())
        assert 1 <= len(sentences) <= 4, rid


# --- everything in the files comes from records.jsonl ----------------------------------------


@needs_records
def test_every_pmid_doi_title_and_nct_is_in_the_records():
    records = _records()
    pmids = {r["pmid"] for r in records if r["pmid"]}
    dois = {r["doi"].lower() for r in records if r["doi"]}
    titles = {_norm_title(r["title"]) for r in records if r["title"]}
    ncts = {m for r in records for m in re.findall(r"NCT\d{8}", json.dumps(r))}

    file_titles = [r["TI"] for r in _pubmed() if "TI" in r]
    file_titles += [r["title"] for r in _embase()]
    file_titles += list(_csv("scopus.csv")["Title"])
    file_titles += list(_csv("clinicaltrials.csv")["Study Title"])
    for title in file_titles:
        assert _norm_title(title) in titles, title

    for ident in set().union(*_ids_by_file().values()):
        kind, value = ident.split(":", 1)
        assert value in (pmids if kind == "pmid" else dois), ident
    for nct in _csv("clinicaltrials.csv")["NCT Number"]:
        assert nct in ncts


@needs_records
def test_pubmed_authors_are_exactly_the_recorded_ones():
    by_pmid = {r["pmid"]: r for r in _records() if r["pmid"]}
    for rec in _pubmed():
        assert rec.get("AU", []) == by_pmid[rec["PMID"]]["authors"]


@needs_records
def test_abstract_numbers_come_from_the_record():
    """Our summaries add no number that the record does not state."""
    records = {r["record_id"]: r for r in _records()}
    abstracts = json.loads(ABSTRACTS.read_text(encoding="utf-8"))
    fields = ("title", "abstract_summary", "design", "population", "notes", "record_type")
    for rid, text in abstracts.items():
        source = " ".join(str(records[rid].get(f) or "") for f in fields).replace(",", "")
        for number in re.findall(r"\d+(?:\.\d+)?", text.replace(",", "")):
            pattern = r"(?<![\d.])" + re.escape(number) + r"(?!\d)"
            assert re.search(pattern, source), f"{rid}: {number} not in the record"


@needs_records
def test_files_are_rebuilt_identically_from_the_records():
    builder = _load_builder()
    records = builder.load_records(RECORDS)
    abstracts = builder.load_abstracts(ABSTRACTS)
    files = builder.build(records, abstracts)
    assert set(files) == set(EXPECTED_COUNTS)
    for name, text in files.items():
        assert (SEARCHES / name).read_bytes() == text.encode("utf-8"), f"{name} is stale"
    chosen = builder.select(records)
    assert {k: len(v) for k, v in chosen.items()} == EXPECTED_COUNTS
    assert len({r["record_id"] for v in chosen.values() for r in v}) == UNIQUE_RECORDS
