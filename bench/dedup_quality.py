"""Deduplication quality on the labelled sets in ../shared/data/dedup (not run as a test).

    python bench/dedup_quality.py [--verbose] [--data PATH] [--engine-only]

By default each set goes through the app as a user's file would: it is imported with
``review-app``'s import service into a fresh database (answer-leaking columns dropped) and the
automatic deduplication pass runs; the merges it stored are scored. ``--engine-only`` feeds the
pure engine directly (quicker when iterating on the engine).

Scores the automatic merges pairwise: a pair of records is a true duplicate when both ids share
a group in the ground truth; predicted pairs are every pair inside a merged cluster.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from review_app.domain.dedup import DedupRecord, DedupResult, PairDecision, find_duplicates
from review_app.domain.dedup.authors import split_author_list

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dedup"


@dataclass(frozen=True)
class LabelledSet:
    name: str
    records_file: str
    encoding: str = "utf-8"
    # Columns that are not what their name says: Rathbone's "number" holds EndNote record
    # numbers, not issues; ASySD's "label"/"source" leak the answer. Dropped on loading.
    drop: tuple[str, ...] = ()


SETS = (
    LabelledSet(
        "asysd_diabetes", "Diabetes_labelled_test_set.csv", "latin-1", drop=("label", "source")
    ),
    LabelledSet("rathbone2015_respiratory", "records_pre_merged.csv", drop=("number",)),
    LabelledSet("special_cases", "records_pre_merged.csv"),
)


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _record_id(value: object) -> int:
    return int(str(value).removeprefix("id_"))


def load_records(folder: Path, spec: LabelledSet) -> list[DedupRecord]:
    """Read one labelled set into DedupRecords (the app's import path will replace this)."""
    frame = pd.read_csv(folder / spec.records_file, encoding=spec.encoding, dtype=str)
    frame = frame.drop(columns=[c for c in spec.drop if c in frame.columns])
    frame.columns = [c.lower() for c in frame.columns]
    records = []
    for row in frame.to_dict("records"):
        get = {k: _text(v) for k, v in row.items()}
        id_value = get.get("record_id") or get.get("id")
        issn_like = get.get("isbn") if "-" in (get.get("isbn") or "")[:5] else None
        note = get.get("note")
        records.append(
            DedupRecord(
                id=_record_id(id_value),
                title=get.get("title"),
                authors=split_author_list(get.get("author")),
                year=int(float(year)) if (year := get.get("year")) else None,
                journal=get.get("journal") or get.get("booktitle"),
                volume=get.get("volume"),
                issue=get.get("issue") or get.get("number"),
                pages=get.get("pages"),
                doi=get.get("doi") or (note if note and note.startswith("10.") else None),
                issn=issn_like,
                isbn=None if issn_like else get.get("isbn"),
                abstract=get.get("abstract"),
                publication_type=get.get("entrytype"),
            )
        )
    return records


def load_groups(folder: Path) -> list[set[int]]:
    lines = (folder / "merged_record_ids.csv").read_text().split()[1:]
    return [{_record_id(i) for i in line.strip('"').split(";")} for line in lines]


def _pairs(groups: list[set[int]]) -> set[tuple[int, int]]:
    return {p for g in groups for p in itertools.combinations(sorted(g), 2)}


def through_app(folder: Path, spec: LabelledSet) -> tuple[DedupResult, float]:
    """Import the set's file into a fresh in-memory review and run the automatic pass; the
    stored clusters and queue, keyed by the set's own ids."""
    from sqlmodel import select

    from review_app.db import make_engine, migrate, session_scope
    from review_app.models import CandidatePair, ClusterMember, DuplicateCluster, Record
    from review_app.services.deduplication import run_automatic_pass
    from review_app.services.demo import DEMO_PROTOCOL
    from review_app.services.imports import import_file
    from review_app.services.permissions import Actor
    from review_app.services.reviews import create_review

    frame = pd.read_csv(folder / spec.records_file, encoding=spec.encoding, dtype=str)
    frame = frame.drop(columns=[c for c in spec.drop if c in frame.columns])
    data = frame.to_csv(index=False).encode("utf-8")
    engine = make_engine("sqlite://")
    migrate(engine)
    operator = Actor.operator()
    with session_scope(engine) as session:
        review = create_review(session, protocol_path=DEMO_PROTOCOL, name=spec.name)
        import_file(
            session,
            actor=operator,
            review_id=review.id,
            data=data,
            file_name=f"{spec.name}.csv",
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
            .join(DuplicateCluster, DuplicateCluster.id == ClusterMember.cluster_id)
            .where(DuplicateCluster.status == "active")
        ):
            clusters.setdefault(cluster_id, set()).add(ids[record_id])
        queue = [
            PairDecision(ids[p.record_a_id], ids[p.record_b_id], "uncertain", p.score, p.evidence)
            for p in session.exec(select(CandidatePair))
        ]
    return DedupResult(uncertain_pairs=queue, clusters=list(clusters.values())), seconds


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
        records, groups = load_records(folder, spec), load_groups(folder)
        if args.engine_only:
            report(spec.name, records, groups, args.verbose)
        else:
            result, seconds = through_app(folder, spec)
            report(spec.name, records, groups, args.verbose, result, seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
