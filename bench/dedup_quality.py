"""Deduplication quality on the labelled sets in ../shared/data/dedup (not run as a test),
ours and bib-dedupe's on the same records in the same run.

    python bench/dedup_quality.py [--verbose] [--data PATH] [--engine-only]
        [--skip-bib-dedupe | --bib-dedupe PYTHON] [--bib-dedupe-cpu N] [--skip-regression]

By default each set goes through the app as a user's file would: its file, exactly as it is (no
column dropped, not re-encoded), is imported with ``review-app``'s import service into a fresh
database and the automatic deduplication pass runs; the merges it stored are scored, and the
import's warnings printed. ``--engine-only`` reads the file with the same importers (the same
fields, the same per-file plausibility) and feeds the pure engine directly (quicker when
iterating on the engine).

Columns that are not what their name says are the import's business, as for a user: ASySD's
``label`` and ``source`` (the answer) map to no field and stay in the records' raw fields, which
the engine never reads; Rathbone's ``number`` (EndNote record numbers, not issues) is judged
implausible as issues by the import (``importers/plausibility.py``) and not used.

Scores the automatic merges pairwise: a pair of records is a true duplicate when both ids share
a group in the ground truth; predicted pairs are every pair inside a merged cluster.

bib-dedupe (CoLRev's deduplicator, Wagner 2024, JOSS 9(97) 6318; PyPI ``bib-dedupe``) runs on
the same records, those our import read (the same fields, the same per-file plausibility), each
mapped to a BibTeX-style row (``bench/bib_dedupe_client.py``), through its documented pipeline
prep, block, match, cluster, in a process of its own (``bench/bib_dedupe_runner.py``). Only its
automatic merges count (the pairs ``match`` labels "duplicate"; its "maybe" pairs, left to a
person, are counted but not scored), scored exactly as ours. Times are wall-clock seconds:
bib-dedupe's prep to cluster, with as many processes (``--bib-dedupe-cpu``) as our engine has
threads (two); ours the automatic pass (the engine alone with ``--engine-only``). Install it with
``pip install -e '.[bench]'`` (it changes none of the app's pins), or into a venv of its own and
pass that venv's interpreter with ``--bib-dedupe /path/to/venv/bin/python``;
``--skip-bib-dedupe`` leaves it out, and without it the bench says so in one line and goes on.
``--verbose`` also lists the true pairs one of the two found and the other missed.

Then the same for the hand-labelled sets of ``tests/data/dedup_regression`` (overlapping real
exports, imported one file after another by ``bench/dedup_regression.py``'s loader; with
``--engine-only`` our engine runs on the records that import stored); ``--skip-regression``
leaves them out. A table of every set closes the output.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import itertools
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.append(str(Path(__file__).resolve().parent))  # its neighbours, when loaded by path

from bib_dedupe_client import BibDedupeMissing, BibDedupeRun, run_bib_dedupe

from review_app.db import make_engine, migrate
from review_app.domain.dedup import DedupRecord, DedupResult, PairDecision, find_duplicates
from review_app.domain.record_fields import field_values
from review_app.importers import read_bytes
from review_app.importers.plausibility import IssueTally
from review_app.importers.record import RecordIn

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dedup"
_WARNING_CHARS = 200  # of each import warning printed
# bib-dedupe gets as many processes as find_duplicates has threads by default
_ENGINE_WORKERS: int = inspect.signature(find_duplicates).parameters["workers"].default
_SHOWN_PAIRS = 5  # pairs listed per kind of difference with --verbose
_TITLE_CHARS = 90


@dataclass(frozen=True)
class LabelledSet:
    name: str
    records_file: str  # imported exactly as it is: every column, its own encoding


SETS = (
    LabelledSet("asysd_diabetes", "Diabetes_labelled_test_set.csv"),
    LabelledSet("rathbone2015_respiratory", "records_pre_merged.csv"),
    LabelledSet("special_cases", "records_pre_merged.csv"),
)


def _record_id(value: object) -> int:
    return int(str(value).removeprefix("id_"))


def load_records(folder: Path, spec: LabelledSet) -> list[DedupRecord]:
    """The set's records as the import reads them, keyed by the set's own ids (the engine
    tests in tests/domain/test_dedup_reference_sets.py measure the same records)."""
    return read_set(folder, spec)[0]


def read_set(folder: Path, spec: LabelledSet) -> tuple[list[DedupRecord], list[str]]:
    """The set's records as the import reads them (same fields, same per-file plausibility),
    keyed by the set's own ids; and the import's warnings."""
    read: list[RecordIn] = []
    tally = IssueTally()

    def keep(record: RecordIn) -> None:
        read.append(record)
        tally.add_record(record)

    result = read_bytes(
        (folder / spec.records_file).read_bytes(),
        filename=spec.records_file,
        skip_invalid=True,
        sink=keep,
    )
    warning = tally.verdict(source=spec.records_file)
    records = [
        DedupRecord(
            **{
                **field_values(record),
                "id": _record_id(record.source_record_id),
                **({"issue": None} if warning else {}),
            }
        )
        for record in read
    ]
    return records, [*result.warnings, *([warning] if warning else [])]


def load_groups(folder: Path) -> list[set[int]]:
    lines = (folder / "merged_record_ids.csv").read_text().split()[1:]
    return [{_record_id(i) for i in line.strip('"').split(";")} for line in lines]


def _pairs(groups: list[set[int]]) -> set[tuple[int, int]]:
    return {p for g in groups for p in itertools.combinations(sorted(g), 2)}


def through_app(folder: Path, spec: LabelledSet) -> tuple[DedupResult, float, list[str]]:
    """Import the set's file, as it is, into a fresh in-memory review and run the automatic
    pass; the stored clusters and queue, keyed by the set's own ids, and the import's
    warnings."""
    from sqlmodel import col, select

    from review_app.db import session_scope
    from review_app.models import CandidatePair, ClusterMember, DuplicateCluster, Record
    from review_app.services.deduplication import run_automatic_pass
    from review_app.services.demo import DEMO_PROTOCOL
    from review_app.services.imports import import_file
    from review_app.services.permissions import Actor
    from review_app.services.reviews import create_review

    data = (folder / spec.records_file).read_bytes()
    engine = make_engine("sqlite://")
    migrate(engine)
    operator = Actor.operator()
    with session_scope(engine) as session:
        review = create_review(session, protocol_path=DEMO_PROTOCOL, name=spec.name)
        summary = import_file(
            session,
            actor=operator,
            review_id=review.id,
            data=data,
            file_name=spec.records_file,
            source_name="Benchmark",
            skip_invalid=True,
        )
        start = time.perf_counter()
        run_automatic_pass(session, actor=operator, review_id=review.id)
        seconds = time.perf_counter() - start
        ids = {r.id: _record_id(r.source_record_id) for r in session.exec(select(Record))}
        clusters: dict[int, set[int]] = {}
        for cluster_id, record_id in session.exec(
            select(ClusterMember.cluster_id, ClusterMember.record_id)
            .join(DuplicateCluster, col(DuplicateCluster.id) == ClusterMember.cluster_id)
            .where(DuplicateCluster.status == "active")
        ):
            clusters.setdefault(cluster_id, set()).add(ids[record_id])
        queue = [
            PairDecision(ids[p.record_a_id], ids[p.record_b_id], "uncertain", p.score, p.evidence)
            for p in session.exec(select(CandidatePair))
        ]
    result = DedupResult(uncertain_pairs=queue, clusters=list(clusters.values()))
    return result, seconds, summary.warnings


def score(n_records: int, groups: list[set[int]], clusters: Iterable[Iterable[int]]) -> dict:
    """Pairwise figures of ``clusters`` (automatic merges) against the truth ``groups``."""
    truth = _pairs(groups)
    predicted = _pairs([set(c) for c in clusters])
    tp, fp, fn = len(predicted & truth), len(predicted - truth), len(truth - predicted)
    tn = n_records * (n_records - 1) // 2 - len(truth) - fp
    return {
        "records": n_records,
        "true_pairs": len(truth),
        "predicted_pairs": len(predicted),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "sensitivity": tp / len(truth) if truth else 1.0,
        "precision": tp / len(predicted) if predicted else 1.0,
        "specificity": tn / (tn + fp) if tn + fp else 1.0,
    }


def report(
    name: str,
    records: list[DedupRecord],
    groups: list[set[int]],
    verbose: bool,
    result: DedupResult | None = None,
    seconds: float | None = None,
) -> dict:
    if result is None:
        start = time.perf_counter()
        result = find_duplicates(records)
        seconds = time.perf_counter() - start
    assert seconds is not None
    n = len(records)
    figures = score(n, groups, result.clusters)
    queued = {i for p in result.uncertain_pairs for i in (p.a, p.b)}
    figures |= {
        "queue_pairs": len(result.uncertain_pairs),
        "queue_records": len(queued),
        "seconds": seconds,
        "clusters": result.clusters,
    }
    print(
        f"{name}: records {n}, true pairs {figures['true_pairs']}, "
        f"predicted {figures['predicted_pairs']}, "
        f"TP {figures['tp']} FP {figures['fp']} FN {figures['fn']}, "
        f"sensitivity {figures['sensitivity']:.4f}, "
        f"precision {figures['precision']:.4f}, specificity {figures['specificity']:.6f}, "
        f"queue {len(result.uncertain_pairs)} pairs / {len(queued)} records "
        f"({100 * len(queued) / n:.2f} % of records), {seconds:.2f} s"
    )
    if verbose:
        truth, predicted = _pairs(groups), _pairs(result.clusters)
        _print_errors(records, result, predicted - truth, truth - predicted)
    return figures


def _print_errors(
    records: list[DedupRecord],
    result: DedupResult,
    false_pos: set[tuple[int, int]],
    false_neg: set[tuple[int, int]],
) -> None:
    by_id = {r.id: r for r in records}
    judged = {(p.a, p.b): p for p in [*result.certain_pairs, *result.uncertain_pairs]}
    for label, pairs in (("FALSE POSITIVE", false_pos), ("FALSE NEGATIVE", false_neg)):
        for a, b in sorted(pairs):
            pair = judged.get((a, b))
            print(
                f"  {label} {a}-{b}: "
                + (
                    f"{pair.decision} {pair.score} {pair.evidence.get('rules')} "
                    f"{pair.evidence.get('safeguard', '')} "
                    + " ".join(f"{k}={v['level']}" for k, v in pair.evidence["fields"].items())
                    if pair
                    else "not certain-linked (not judged or judged different)"
                )
            )
            for rid in (a, b):
                r = by_id[rid]
                print(
                    f"      {rid}: {r.title!r} | {r.year} | {'; '.join(r.authors[:3])} | "
                    f"{r.journal} | v{r.volume} i{r.issue} p{r.pages} | {r.doi}"
                )


def report_bib_dedupe(
    records: list[DedupRecord], groups: list[set[int]], run: BibDedupeRun, ours: dict
) -> dict:
    """Print bib-dedupe's figures on one set beside ours; its figures."""
    figures = score(len(records), groups, run.clusters) | {
        "seconds": run.seconds,
        "maybe_records": run.maybe_records,
    }
    dropped = len(records) - run.prepared
    print(
        f"  bib-dedupe {run.version}: predicted {figures['predicted_pairs']}, "
        f"TP {figures['tp']} FP {figures['fp']} FN {figures['fn']}, "
        f"sensitivity {figures['sensitivity']:.4f}, precision {figures['precision']:.4f}, "
        f"maybe (not scored) {run.maybe_pairs} pairs / {run.maybe_records} records "
        f"({100 * run.maybe_records / len(records):.2f} % of records), {run.seconds:.2f} s; "
        f"time ours / bib-dedupe {ours['seconds'] / run.seconds:.3f}"
        + (f"; its prep dropped {dropped} records" if dropped else "")
    )
    return figures


def print_differences(
    records: list[DedupRecord], groups: list[set[int]], ours: dict, theirs: dict
) -> None:
    """The true pairs one of the two merged and the other did not, and bib-dedupe's false
    merges: counts and a few titles."""
    by_id = {r.id: r for r in records}
    truth = _pairs(groups)
    ours_found, theirs_found = _pairs(ours["clusters"]) & truth, _pairs(theirs["clusters"])
    differences = (
        ("found by us, missed by bib-dedupe", ours_found - theirs_found),
        ("found by bib-dedupe, missed by us", (theirs_found & truth) - ours_found),
        ("bib-dedupe FALSE merges", theirs_found - truth),
    )
    for label, pairs in differences:
        print(f"  {label}: {len(pairs)} pairs")
        for a, b in sorted(pairs)[:_SHOWN_PAIRS]:
            print(f"    {a}: {(by_id[a].title or '')[:_TITLE_CHARS]!r}")
            print(f"    {b}: {(by_id[b].title or '')[:_TITLE_CHARS]!r}")


def print_table(rows: list[tuple[str, dict, dict | None]]) -> None:
    """One line per set: ours and bib-dedupe's figures and the time ratio."""
    print()
    print(
        "| set | ours sens. | ours prec. | ours false merges | queue % records | ours s "
        "| bib-dedupe sens. | bib-dedupe prec. | bib-dedupe false merges "
        "| bib-dedupe maybe % records | bib-dedupe s | time ours / bib-dedupe |"
    )
    print("|---" * 12 + "|")
    for name, ours, theirs in rows:
        cells = [
            name,
            f"{ours['sensitivity']:.4f}",
            f"{ours['precision']:.4f}",
            str(ours["fp"]),
            f"{100 * ours['queue_records'] / ours['records']:.2f}",
            f"{ours['seconds']:.2f}",
        ]
        if theirs is None:
            cells += ["-"] * 6
        else:
            cells += [
                f"{theirs['sensitivity']:.4f}",
                f"{theirs['precision']:.4f}",
                str(theirs["fp"]),
                f"{100 * theirs['maybe_records'] / ours['records']:.2f}",
                f"{theirs['seconds']:.2f}",
                f"{ours['seconds'] / theirs['seconds']:.3f}",
            ]
        print("| " + " | ".join(cells) + " |")


@dataclass
class BibDedupeOption:
    """How to run bib-dedupe, and whether to (off once it was found missing)."""

    python: str
    cpu: int
    enabled: bool


def beside_ours(
    bib: BibDedupeOption,
    records: list[DedupRecord],
    groups: list[set[int]],
    ours: dict,
    verbose: bool,
) -> dict | None:
    """bib-dedupe on ``records``, printed beside ``ours``; its figures (None when not run)."""
    if not bib.enabled:
        return None
    try:
        run = run_bib_dedupe(records, bib.python, bib.cpu)
    except BibDedupeMissing as missing:
        print(
            f"  bib-dedupe skipped: {missing} (pip install -e '.[bench]', or "
            "--bib-dedupe PYTHON, or --skip-bib-dedupe)"
        )
        bib.enabled = False
        return None
    theirs = report_bib_dedupe(records, groups, run, ours) | {"clusters": run.clusters}
    if verbose:
        print_differences(records, groups, ours, theirs)
    return theirs


def regression_rows(
    bib: BibDedupeOption, engine_only: bool, verbose: bool
) -> list[tuple[str, dict, dict | None]]:
    """The hand-labelled sets of tests/data/dedup_regression (bench/dedup_regression.py's
    loader: the files imported one after another as a user would), ours and bib-dedupe's on
    the records the import stored. Nothing when the loader or the exports are absent."""
    loader = _regression_loader()
    if loader is None or not loader.PARSERS.exists():
        print("regression sets: loader or ../shared/data/parsers absent; skipped")
        return []
    print("regression sets (bench/dedup_regression.py: the import service, files in order):")
    rows: list[tuple[str, dict, dict | None]] = []
    for spec in loader.load_sets():
        database = make_engine("sqlite://")
        migrate(database)
        imported = loader.import_set(database, spec)
        database.dispose()
        records, groups = imported.records, spec.groups()
        if engine_only:
            ours = report(spec.name, records, groups, verbose)
        else:
            ours = report(spec.name, records, groups, verbose, imported.result, imported.seconds)
        for warning in imported.warnings:
            print(f"  import warning: {warning[:_WARNING_CHARS]}")
        rows.append((spec.name, ours, beside_ours(bib, records, groups, ours, verbose)))
    return rows


def _regression_loader() -> ModuleType | None:
    path = Path(__file__).resolve().parent / "dedup_regression.py"
    found = importlib.util.spec_from_file_location("dedup_regression", path)
    if not path.exists() or found is None or found.loader is None:
        return None
    module = importlib.util.module_from_spec(found)
    sys.modules["dedup_regression"] = module  # its dataclasses look their module up there
    found.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--verbose", action="store_true", help="print false positives/negatives")
    parser.add_argument("--data", type=Path, default=DATA, help="folder holding the sets")
    parser.add_argument("--engine-only", action="store_true", help="skip the import path")
    parser.add_argument(
        "--bib-dedupe",
        metavar="PYTHON",
        default=sys.executable,
        help="the Python that has bib-dedupe (default: this one)",
    )
    parser.add_argument("--skip-bib-dedupe", action="store_true", help="do not run bib-dedupe")
    parser.add_argument(
        "--bib-dedupe-cpu",
        type=int,
        default=_ENGINE_WORKERS,
        help=f"bib-dedupe's processes (default {_ENGINE_WORKERS}, our engine's threads)",
    )
    parser.add_argument(
        "--skip-regression", action="store_true", help="leave out tests/data/dedup_regression"
    )
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"no data at {args.data}; nothing to measure")
        return 0
    print("path:", "engine only" if args.engine_only else "import service + automatic pass")
    bib = BibDedupeOption(args.bib_dedupe, args.bib_dedupe_cpu, not args.skip_bib_dedupe)
    rows: list[tuple[str, dict, dict | None]] = []
    for spec in SETS:
        folder = args.data / spec.name
        (records, warnings), groups = read_set(folder, spec), load_groups(folder)
        if args.engine_only:
            ours = report(spec.name, records, groups, args.verbose)
        else:
            result, seconds, warnings = through_app(folder, spec)
            ours = report(spec.name, records, groups, args.verbose, result, seconds)
        for warning in warnings:
            print(f"  import warning: {warning[:_WARNING_CHARS]}")
        rows.append((spec.name, ours, beside_ours(bib, records, groups, ours, args.verbose)))
    if not args.skip_regression:
        rows += regression_rows(bib, args.engine_only, args.verbose)
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
