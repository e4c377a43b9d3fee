"""The bench's side of bib-dedupe: our records as its input rows, ``bench/bib_dedupe_runner.py``
started with the interpreter that has bib-dedupe, and its answer read back.

bib-dedupe (Wagner 2024, JOSS 9(97) 6318) reads a table in BibTeX's field names
(``bib_dedupe.prep``: ``ID``, ``ENTRYTYPE``, ``title``, ``author``, ``year`` required;
``journal``, ``booktitle``, ``volume``, ``number``, ``pages``, ``abstract``, ``doi`` optional).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.append(str(Path(__file__).resolve().parent))  # bib_dedupe_runner, when loaded by path

from bib_dedupe_runner import NOT_INSTALLED

from review_app.domain.dedup import DedupRecord
from review_app.exporters.bibtex import bibtex_entry_type

RUNNER = Path(__file__).resolve().parent / "bib_dedupe_runner.py"

# bib-dedupe's entry types whose container is a ``booktitle`` (bib_dedupe.prep_container_title)
_BOOKTITLE_TYPES = frozenset({"inproceedings", "proceedings", "inbook"})


def bib_dedupe_row(record: DedupRecord) -> dict[str, str]:
    """One record as bib-dedupe's input row (BibTeX field names, strings, "" when missing).

    The entry type is :func:`entry_type`.
    bib-dedupe reads the container from ``journal`` for articles and ``booktitle`` for
    proceedings (it has none for other types). Authors: one item is given as it came (a whole
    author string, which bib-dedupe's prep splits in any of its styles), several are joined
    with " and " as BibTeX does.
    """
    kind = entry_type(record.publication_type)
    container = "booktitle" if kind in _BOOKTITLE_TYPES else "journal"
    values = {
        "ID": str(record.id),
        "ENTRYTYPE": kind,
        "title": record.title,
        "author": " and ".join(record.authors),
        "year": str(record.year) if record.year is not None else None,
        "journal": None,
        "booktitle": None,
        container: record.journal,
        "volume": record.volume,
        "number": record.issue,
        "pages": record.pages,
        "doi": record.doi,
        "abstract": record.abstract,
    }
    return {name: value or "" for name, value in values.items()}


def entry_type(publication_type: str | None) -> str:
    """The BibTeX entry type of ``publication_type``, as our BibTeX export maps it; "article",
    bib-dedupe's default for a file without types, when there is none or it is no BibTeX type
    (Web of Science's "J", PubMed's "Journal Article; Review", "Editorial")."""
    kind = bibtex_entry_type(publication_type)
    unnamed = kind == "misc" and (publication_type or "").lower() != "misc"
    return "article" if unnamed else kind


@dataclass(frozen=True)
class BibDedupeRun:
    clusters: list[set[int]]
    seconds: float
    version: str
    prepared: int  # records bib-dedupe's prep returned
    maybe_pairs: int  # left to a person: not scored
    maybe_records: int  # the records in those pairs (its review queue)


class BibDedupeMissing(RuntimeError):
    """bib-dedupe cannot be imported by the interpreter given."""


def run_bib_dedupe(records: list[DedupRecord], python: str, cpu: int) -> BibDedupeRun:
    """bib-dedupe's automatic clusters of ``records``, from ``bench/bib_dedupe_runner.py`` run
    by ``python`` (an interpreter that has bib-dedupe)."""
    with tempfile.TemporaryDirectory(prefix="bib-dedupe-") as folder:
        given, answer = Path(folder) / "in.json", Path(folder) / "out.json"
        rows = [bib_dedupe_row(r) for r in records]
        given.write_text(json.dumps({"cpu": cpu, "records": rows}), encoding="utf-8")
        try:
            done = subprocess.run(
                [python, str(RUNNER), str(given), str(answer)], capture_output=True, text=True
            )
        except OSError as error:  # no such file, not executable
            raise BibDedupeMissing(f"cannot run {python}: {error.strerror}") from error
        if done.returncode == NOT_INSTALLED:
            raise BibDedupeMissing(done.stderr.strip())
        if done.returncode != 0:
            raise RuntimeError(f"bib-dedupe failed ({python}):\n{done.stderr[-2000:]}")
        out = json.loads(answer.read_text(encoding="utf-8"))
    return BibDedupeRun(
        clusters=[{int(i) for i in group} for group in out["clusters"]],
        seconds=out["seconds"],
        version=out["version"],
        prepared=out["prepared"],
        maybe_pairs=out["maybe_pairs"],
        maybe_records=out["maybe_records"],
    )
