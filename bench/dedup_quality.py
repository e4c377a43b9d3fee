"""Deduplication quality on the labelled sets in ../shared/data/dedup (not run as a test).

    python bench/dedup_quality.py [--verbose] [--data PATH] [--engine-only]

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
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from review_app.domain.dedup import DedupRecord, DedupResult, PairDecision, find_duplicates
from review_app.domain.record_fields import field_values
from review_app.importers import read_bytes
from review_app.importers.plausibility import IssueTally
from review_app.importers.record import RecordIn

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dedup"
_WARNING_CHARS = 200  # of each import warning printed


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

    from review_app.db import make_engine, migrate, session_scope
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
    truth = _pairs(groups)
    predicted = _pairs(result.clusters)
    tp, fp, fn = len(predicted & truth), len(predicted - truth), len(truth - predicted)
    n = len(records)
    all_pairs = n * (n - 1) // 2
    tn = all_pairs - len(truth) - fp
    queued = {i for p in result.uncertain_pairs for i in (p.a, p.b)}
    figures = {
        "records": n,
        "true_pairs": len(truth),
        "predicted_pairs": len(predicted),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "sensitivity": tp / len(truth) if truth else 1.0,
        "precision": tp / len(predicted) if predicted else 1.0,
        "specificity": tn / (tn + fp) if tn + fp else 1.0,
        "queue_pairs": len(result.uncertain_pairs),
        "queue_records": len(queued),
        "seconds": seconds,
    }
    print(
        f"{name}: records {n}, true pairs {len(truth)}, predicted {len(predicted)}, "
        f"TP {tp} FP {fp} FN {fn}, sensitivity {figures['sensitivity']:.4f}, "
        f"precision {figures['precision']:.4f}, specificity {figures['specificity']:.6f}, "
        f"queue {len(result.uncertain_pairs)} pairs / {len(queued)} records "
        f"({100 * len(queued) / n:.2f} % of records), {seconds:.2f} s"
    )
    if verbose:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verbose", action="store_true", help="print false positives/negatives")
    parser.add_argument("--data", type=Path, default=DATA, help="folder holding the sets")
    parser.add_argument("--engine-only", action="store_true", help="skip the import path")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"no data at {args.data}; nothing to measure")
        return 0
    print("path:", "engine only" if args.engine_only else "import service + automatic pass")
    for spec in SETS:
        folder = args.data / spec.name
        (records, warnings), groups = read_set(folder, spec), load_groups(folder)
        if args.engine_only:
            report(spec.name, records, groups, args.verbose)
        else:
            result, seconds, warnings = through_app(folder, spec)
            report(spec.name, records, groups, args.verbose, result, seconds)
        for warning in warnings:
            print(f"  import warning: {warning[:_WARNING_CHARS]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
