"""bench/dedup_quality.py's comparison with bib-dedupe: the record -> bib-dedupe row mapping,
the pairwise scoring of clusters, and the runner (skipped where bib-dedupe is absent)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

from review_app.domain.dedup import DedupRecord
from tests.scripts import load_script

REPO = Path(__file__).resolve().parents[2]


def _bench(name: str) -> ModuleType:
    """A script of bench/ (not a package) by its path."""
    return load_script(f"bench/{name}.py")


bench = _bench("dedup_quality")
client = _bench("bib_dedupe_client")


def _paper(id: int, **fields: object) -> DedupRecord:
    values: dict = {
        "title": "Telemonitoring of patients with chronic obstructive pulmonary disease",
        "authors": ["Smith, Jane", "Okafor, Chidi"],
        "year": 2019,
        "journal": "Respiratory Medicine",
        "volume": "152",
        "issue": "4",
        "pages": "31-38",
        "doi": "10.1016/j.rmed.2019.04.012",
        "publication_type": "JOUR",
    }
    return DedupRecord(id=id, **(values | fields))


@pytest.mark.parametrize(
    ("publication_type", "expected"),
    [
        (None, "article"),  # bib-dedupe's own default for records without a type
        ("JOUR", "article"),
        ("Journal Article", "article"),
        ("CONF", "inproceedings"),
        ("inproceedings", "inproceedings"),
        ("Book Section", "incollection"),
        ("Book", "book"),
        ("phdthesis", "phdthesis"),
        ("J", "article"),  # Web of Science's journal code
        ("Editorial; Review", "article"),  # no BibTeX type: bib-dedupe's default
    ],
)
def test_entry_type_follows_our_bibtex_export(publication_type: str | None, expected: str):
    assert client.entry_type(publication_type) == expected


def test_article_row_has_every_column_as_text():
    row = client.bib_dedupe_row(_paper(7, abstract=None))
    assert row == {
        "ID": "7",
        "ENTRYTYPE": "article",
        "title": "Telemonitoring of patients with chronic obstructive pulmonary disease",
        "author": "Smith, Jane and Okafor, Chidi",
        "year": "2019",
        "journal": "Respiratory Medicine",
        "booktitle": "",
        "volume": "152",
        "number": "4",
        "pages": "31-38",
        "doi": "10.1016/j.rmed.2019.04.012",
        "abstract": "",
    }


def test_proceedings_container_goes_to_booktitle():
    row = client.bib_dedupe_row(
        _paper(3, journal="AMCIS 2017 Proceedings", publication_type="CONF", year=None)
    )
    assert (row["ENTRYTYPE"], row["booktitle"], row["journal"]) == (
        "inproceedings",
        "AMCIS 2017 Proceedings",
        "",
    )
    assert row["year"] == ""


def test_one_author_string_is_passed_as_it_came():
    # ASySD's glued style: bib-dedupe's prep splits it, as our engine does
    row = client.bib_dedupe_row(_paper(1, authors=["Adeli K.Lewis G. F."]))
    assert row["author"] == "Adeli K.Lewis G. F."


def test_score_counts_pairs_inside_clusters():
    truth = [{1, 2, 3}, {7, 8}]
    figures = bench.score(10, truth, [{1, 2}, {4, 5}])
    assert (figures["true_pairs"], figures["predicted_pairs"]) == (4, 2)
    assert (figures["tp"], figures["fp"], figures["fn"]) == (1, 1, 3)
    assert figures["sensitivity"] == pytest.approx(1 / 4)
    assert figures["precision"] == pytest.approx(1 / 2)
    assert figures["specificity"] == pytest.approx(40 / 41)  # 45 pairs, 4 true, 1 false


def test_score_without_merges_is_fully_precise_and_insensitive():
    figures = bench.score(4, [{1, 2}], [])
    assert (figures["sensitivity"], figures["precision"], figures["fn"]) == (0.0, 1.0, 1)


def test_runner_without_bib_dedupe_says_so(tmp_path: Path):
    # an interpreter that cannot see site-packages stands for one without bib-dedupe
    python = tmp_path / "python-without-site"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    python.chmod(0o755)
    with pytest.raises(client.BibDedupeMissing, match="bib-dedupe is not installed"):
        client.run_bib_dedupe([_paper(1)], str(python), cpu=1)


def test_bib_dedupe_merges_two_copies_and_keeps_a_different_paper():
    pytest.importorskip("bib_dedupe", reason="bib-dedupe is not installed (pip install .[bench])")
    copy = _paper(2, authors=["Smith J", "Okafor C"], journal="Respir Med", doi=None)
    other = _paper(
        3,
        title="Pulmonary rehabilitation after hospital admission for COPD exacerbation",
        authors=["Nguyen, An"],
        pages="101-109",
        doi=None,
    )
    run = client.run_bib_dedupe([_paper(1), copy, other], sys.executable, cpu=1)
    assert run.clusters == [{1, 2}]
    assert run.prepared == 3
    assert run.seconds > 0


def test_runner_with_no_such_interpreter_says_so(tmp_path: Path):
    with pytest.raises(client.BibDedupeMissing, match="cannot run"):
        client.run_bib_dedupe([_paper(1)], str(tmp_path / "no-python"), cpu=1)
