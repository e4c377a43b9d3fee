"""Deduplication on labelled sets built by hand from overlapping real exports (not run as a test;
tests/services/test_dedup_regression_sets.py runs the same sets as regression tests).

    python bench/dedup_regression.py [--set NAME] [--pass-per-file] [--verbose] [--parsers PATH]

A set is a folder of tests/data/dedup_regression/:

- ``set.toml``: ``description`` (one line) and ``[[files]]`` tables, in import order, each with
  ``path`` (relative to ../shared/data/parsers, the exports themselves are not copied) and
  ``source`` (the database name a user would type);
- ``truth.csv``: ``file, position, group, notes``, one row for every record of every listed file
  (singletons included): ``file`` is a ``path`` of set.toml, ``position`` the record's 1-based
  number in that file as the import reads it, ``group`` a label shared by the records that are
  one report, ``notes`` why, where that is not obvious (and which look-alikes are not one).
  The groups were decided by reading the records (DOI, title, authors, year, journal, pages),
  never from the engine's output.

Each set goes through the app as a user's files would: every file, as it is, is imported with
the import service (format detected from its name and content) into one fresh review, one
after another, then the automatic pass runs once (``--pass-per-file``: after each file, as
when a search is updated). The active clusters it stored and its queue are scored pairwise
with bench/dedup_quality.py's ``report``.

Records are tied to truth rows by (file, position): ``import_file`` returns each file's batch
id, and every stored Record keeps its ``import_batch_id`` and ``position`` (its 1-based number
in the file, counted by the importer; models/records.py). Source ids cannot serve: Zotero,
Scopus and Embase's CSV export none, and the files of one set share no id scheme.
An import that reads a file into other positions than the truth lists is an error naming the
set, the file and the positions, not a silent mismatch.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from review_app.db import make_engine, migrate, session_scope  # noqa: E402
from review_app.domain.dedup import (  # noqa: E402
    DedupRecord,
    DedupResult,
    PairDecision,
    find_duplicates,
)
from review_app.domain.record_fields import field_values  # noqa: E402
from review_app.models import (  # noqa: E402
    CandidatePair,
    ClusterMember,
    DuplicateCluster,
    Record,
)
from review_app.services.deduplication import run_automatic_pass  # noqa: E402
from review_app.services.demo import DEMO_PROTOCOL  # noqa: E402
from review_app.services.imports import import_file  # noqa: E402
from review_app.services.permissions import Actor  # noqa: E402
from review_app.services.reviews import create_review  # noqa: E402

SETS = REPO / "tests" / "data" / "dedup_regression"
PARSERS = REPO.parent / "shared" / "data" / "parsers"
TRUTH_COLUMNS = ["file", "position", "group", "notes"]

Key = tuple[str, int]  # (file as set.toml lists it, 1-based position in that file)


class SetError(ValueError):
    """A set's files or truth are not what this loader reads; the message names where."""


@dataclass(frozen=True)
class SetFile:
    path: str  # relative to ../shared/data/parsers
    source: str


@dataclass(frozen=True)
class RegressionSet:
    name: str
    description: str
    files: tuple[SetFile, ...]
    truth: dict[Key, str]  # every record -> its group label
    notes: dict[Key, str]

    def ids(self) -> dict[Key, int]:
        """A number for each record (DedupRecord ids are ints), in truth order from 1."""
        return {key: number for number, key in enumerate(self.truth, start=1)}

    def groups(self) -> list[set[int]]:
        ids = self.ids()
        by_label: dict[str, set[int]] = {}
        for key, label in self.truth.items():
            by_label.setdefault(label, set()).add(ids[key])
        return list(by_label.values())


@dataclass
class Imported:
    """What the app stored for a set, keyed by the set's record numbers (RegressionSet.ids)."""

    records: list[DedupRecord]
    result: DedupResult  # the stored active clusters and the pending queue
    seconds: float  # the automatic pass(es)
    warnings: list[str]


def load_set(folder: Path) -> RegressionSet:
    """A set's set.toml and truth.csv, checked against each other."""
    spec_path = folder / "set.toml"
    try:
        spec = tomllib.loads(spec_path.read_text(encoding="utf-8"))
        files = tuple(SetFile(str(f["path"]), str(f["source"])) for f in spec["files"])
        description = str(spec["description"])
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise SetError(
            f"{spec_path}: needs 'description' and [[files]] with 'path' and 'source' ({error})"
        ) from error
    truth, notes = _read_truth(folder / "truth.csv", {f.path for f in files})
    missing = [f.path for f in files if not any(key[0] == f.path for key in truth)]
    if missing:
        raise SetError(f"{folder / 'truth.csv'}: no row for the file(s) {missing}")
    return RegressionSet(folder.name, description, files, truth, notes)


def _read_truth(path: Path, files: set[str]) -> tuple[dict[Key, str], dict[Key, str]]:
    truth: dict[Key, str] = {}
    notes: dict[Key, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header != TRUTH_COLUMNS:
            raise SetError(f"{path}: line 1 must be {','.join(TRUTH_COLUMNS)}, not {header}")
        for line, row in enumerate(reader, start=2):
            if len(row) != len(TRUTH_COLUMNS):
                raise SetError(f"{path}: line {line}: {len(row)} cells, 4 expected")
            file, position, group, note = (cell.strip() for cell in row)
            if file not in files:
                raise SetError(f"{path}: line {line}: file {file!r} is not in set.toml")
            if not position.isdigit() or int(position) < 1:
                raise SetError(f"{path}: line {line}: position {position!r} is not 1, 2, ...")
            if not group:
                raise SetError(f"{path}: line {line}: empty group")
            key = (file, int(position))
            if key in truth:
                raise SetError(f"{path}: line {line}: {file} #{position} is listed twice")
            truth[key] = group
            if note:
                notes[key] = note
    return truth, notes


def load_sets(root: Path = SETS) -> list[RegressionSet]:
    return [load_set(folder) for folder in sorted(root.iterdir()) if (folder / "set.toml").exists()]


def import_set(
    engine: Engine, spec: RegressionSet, *, parsers: Path = PARSERS, pass_per_file: bool = False
) -> Imported:
    """Import the set's files one after another into a new review of ``engine`` (migrated),
    each in its own unit of work as the command line does, and run the automatic pass."""
    operator = Actor.operator()
    with session_scope(engine) as session:
        review_id = create_review(session, protocol_path=DEMO_PROTOCOL, name=spec.name).id
    file_of_batch: dict[int, str] = {}
    warnings: list[str] = []
    seconds = 0.0
    for set_file in spec.files:
        path = parsers / set_file.path
        with session_scope(engine) as session:
            summary = import_file(
                session,
                actor=operator,
                review_id=review_id,
                data=path.read_bytes(),
                file_name=path.name,
                source_name=set_file.source,
            )
        file_of_batch[summary.batch_id] = set_file.path
        warnings += summary.warnings
        if pass_per_file or set_file is spec.files[-1]:
            start = time.perf_counter()
            with session_scope(engine) as session:
                run_automatic_pass(session, actor=operator, review_id=review_id)
            seconds += time.perf_counter() - start
    with session_scope(engine, read_only=True) as session:
        rows = session.exec(select(Record).where(Record.review_id == review_id)).all()
        number = _numbers(
            spec, {r.id: (file_of_batch[r.import_batch_id], r.position) for r in rows}
        )
        records = [DedupRecord(**{**field_values(r), "id": number[r.id]}) for r in rows]
        result = _stored_result(session, review_id, number)
    return Imported(records, result, seconds, warnings)


def _numbers(spec: RegressionSet, key_of_row: dict[Any, Key]) -> dict[Any, int]:
    """Each stored record's number in the set; an error when the import and truth disagree."""
    imported = set(key_of_row.values())
    problems = []
    for set_file in spec.files:
        extra = sorted(p for f, p in imported - spec.truth.keys() if f == set_file.path)
        absent = sorted(p for f, p in spec.truth.keys() - imported if f == set_file.path)
        if extra or absent:
            problems.append(
                f"{set_file.path}: imported but not in truth.csv {extra}, "
                f"in truth.csv but not imported {absent}"
            )
    if problems:
        raise SetError(
            f"set {spec.name}: the import and the truth disagree: " + "; ".join(problems)
        )
    ids = spec.ids()
    return {row_id: ids[key] for row_id, key in key_of_row.items()}


def _stored_result(session: Any, review_id: int, number: dict[Any, int]) -> DedupResult:
    clusters: dict[int, set[int]] = {}
    for cluster_id, record_id in session.exec(
        select(ClusterMember.cluster_id, ClusterMember.record_id)
        .join(DuplicateCluster, col(DuplicateCluster.id) == ClusterMember.cluster_id)
        .where(DuplicateCluster.review_id == review_id, DuplicateCluster.status == "active")
    ):
        clusters.setdefault(cluster_id, set()).add(number[record_id])
    queue = [
        PairDecision(number[p.record_a_id], number[p.record_b_id], "uncertain", p.score, p.evidence)
        for p in session.exec(
            select(CandidatePair).where(
                CandidatePair.review_id == review_id, CandidatePair.status == "pending"
            )
        )
    ]
    return DedupResult(uncertain_pairs=queue, clusters=list(clusters.values()))


def dedup_quality() -> ModuleType:
    """bench/dedup_quality.py (not a package), whose pairwise scoring this reuses."""
    if "dedup_quality" in sys.modules:
        return sys.modules["dedup_quality"]
    found = importlib.util.spec_from_file_location(
        "dedup_quality", REPO / "bench" / "dedup_quality.py"
    )
    assert found and found.loader
    module = importlib.util.module_from_spec(found)
    sys.modules["dedup_quality"] = module
    found.loader.exec_module(module)
    return module


def measure(
    spec: RegressionSet,
    engine: Engine,
    *,
    parsers: Path = PARSERS,
    pass_per_file: bool = False,
    verbose: bool = False,
) -> dict[str, Any]:
    """Import and deduplicate the set; print and return dedup_quality.report's figures, plus
    ``false_merges`` and ``misses``: the wrong and the missed pairs as (file, position) pairs."""
    imported = import_set(engine, spec, parsers=parsers, pass_per_file=pass_per_file)
    groups = spec.groups()
    figures: dict[str, Any] = dedup_quality().report(
        spec.name, imported.records, groups, False, imported.result, imported.seconds
    )
    pairs = dedup_quality()._pairs
    truth, predicted = pairs(groups), pairs(imported.result.clusters)
    key_of = {number: key for key, number in spec.ids().items()}
    figures["false_merges"] = sorted((key_of[a], key_of[b]) for a, b in predicted - truth)
    figures["misses"] = sorted((key_of[a], key_of[b]) for a, b in truth - predicted)
    for warning in imported.warnings:
        print(f"  import warning: {warning[:200]}")
    if verbose:
        _print_errors(spec, imported, predicted - truth, truth - predicted)
    return figures


def _print_errors(
    spec: RegressionSet,
    imported: Imported,
    false_merges: set[tuple[int, int]],
    misses: set[tuple[int, int]],
) -> None:
    """Each wrong or missed pair: both records' key fields, whether the pair waits in the
    queue, and the pure engine's judgement of it on the same records (its evidence)."""
    by_id = {r.id: r for r in imported.records}
    key_of = {number: key for key, number in spec.ids().items()}
    queued = {(p.a, p.b) if p.a < p.b else (p.b, p.a) for p in imported.result.uncertain_pairs}
    engine = find_duplicates(imported.records)
    judged = {(p.a, p.b): p for p in [*engine.certain_pairs, *engine.uncertain_pairs]}
    for label, pairs in (("FALSE MERGE", false_merges), ("MISS", misses)):
        for a, b in sorted(pairs):
            pair = judged.get((a, b))
            verdict = (
                f"engine: {pair.decision} {pair.score:.1f} {pair.evidence.get('rules')} "
                f"{pair.evidence.get('safeguard', '')}"
                if pair
                else "engine: not a candidate or judged different"
            )
            print(f"  {label}{' (queued)' if (a, b) in queued else ''}: {verdict}")
            for number in (a, b):
                r, (file, position) = by_id[number], key_of[number]
                print(
                    f"      {file}#{position}: {r.title!r} | {r.year} | "
                    f"{'; '.join(r.authors[:3])} | {r.journal} | v{r.volume} i{r.issue} "
                    f"p{r.pages} | {r.doi}"
                )
                if note := spec.notes.get((file, position)):
                    print(f"        note: {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", action="append", help="only this set (repeatable)")
    parser.add_argument("--pass-per-file", action="store_true", help="dedupe after each file")
    parser.add_argument("--verbose", action="store_true", help="print false merges and misses")
    parser.add_argument("--parsers", type=Path, default=PARSERS, help="the exports' folder")
    args = parser.parse_args(argv)
    if not args.parsers.exists():
        print(f"no exports at {args.parsers}; nothing to measure")
        return 0
    specs = [s for s in load_sets() if not args.set or s.name in args.set]
    print(
        "path: import service, files one after another, automatic pass",
        "after each file" if args.pass_per_file else "once at the end",
    )
    for spec in specs:
        engine = make_engine("sqlite://")
        migrate(engine)
        print(f"{spec.name}: {spec.description}")
        figures = measure(
            spec,
            engine,
            parsers=args.parsers,
            pass_per_file=args.pass_per_file,
            verbose=args.verbose,
        )
        print(
            f"  false merges {len(figures['false_merges'])}, misses {len(figures['misses'])}, "
            f"review queue {figures['queue_records']} records "
            f"({100 * figures['queue_records'] / figures['records']:.1f} %)"
        )
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
