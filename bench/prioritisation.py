"""Active-learning prioritisation: ours side by side with ASReview LAB 3.0.8 (not a test).

    nice python bench/prioritisation.py [--seeds 5] [--sets ace virus ADHD Antihistamines]
        [--skip-asreview] [--asreview-only] [--no-keywords] [--model NAME] [--priors]
        [--cache DIR] [--asreview PATH/TO/asreview] [--save-reference]
    nice python bench/prioritisation.py --speed [--speed-records 20000]

For every labelled set in ../shared/data/screening and seeds 0..N-1 it runs our ``simulate``
and ``asreview simulate DATA.csv --ai elas_u4 --seed S --prior-seed S --n-prior-included 1
--n-prior-excluded 1`` (one run at a time), reads ASReview's screening order from the project
file (a zip holding results.db: ``results`` rows in screening order, ``record.dataset_row`` the
0-based row of the data file) and computes WSS@95 and recall@10% for both with the same
``metrics_from_order``. ASReview stops at the last relevant record (its default); the rows it
did not screen are appended in file order, which changes neither metric (every include is found
by then).

ASReview's orders are read from, in this order, the reference in the repository,
``bench/reference/asreview-3.0.8/<set>_seed<S>.json`` (a JSON list of rows, so the comparison
reproduces without ASReview), the cache ``--cache`` (default
~/.cache/review-app-bench/asreview-orders), and only then a run of ASReview, whose order goes
to the cache. ``--save-reference`` copies the orders of the chosen sets and seeds into the
reference folder.

For ours it also prints the stopping aid's point (``simulate``'s ``stopping``: Callaghan &
Müller-Hansen 2020 on the last records screened, 95 % target recall): how many records had been
screened when it first said "you may stop", the recall reached then and the work saved, and over
all runs the share whose recall at the stop reached 0.95 (issue 19 asks for at least 95 %).
``--priors`` gives our ranker ``bench/priors/<set>.toml`` (``include = [...]``,
``exclude = [...]``: the review's question and criteria) as prior knowledge; sets without
such a file are skipped.

The Cohen 2006 sets are scored on their abstract-stage labels (``label_abstract_screening``),
as the ASReview figures in shared/data/README.md were; ASReview is given a CSV with title,
abstract and that label as ``label_included``. Our ranker also reads the ``keywords`` column
(MeSH terms) where a set has one; ELAS u4 reads title and abstract only. ``--no-keywords``
runs ours on title and abstract only as well.

Install ASReview in its own venv:
``python -m venv /tmp/asreview-venv && /tmp/asreview-venv/bin/pip install asreview==3.0.8``.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from review_app.domain.prioritisation import (  # noqa: E402
    PriorKnowledge,
    Ranker,
    StoppingPoint,
    metrics_from_order,
    record_texts,
    simulate,
)
from review_app.domain.prioritisation.models import DEFAULT_MODEL, MODELS  # noqa: E402
from review_app.domain.prioritisation.protocol_prior import prior_from_mapping  # noqa: E402
from review_app.domain.prioritisation.simulation import stopping_point  # noqa: E402
from review_app.errors import ValidationError  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "screening"
REFERENCE = ROOT / "bench" / "reference" / "asreview-3.0.8"
PRIORS = ROOT / "bench" / "priors"
DEFAULT_CACHE = Path.home() / ".cache" / "review-app-bench" / "asreview-orders"
DEFAULT_ASREVIEW = Path("/tmp/asreview-venv/bin/asreview")


@dataclass(frozen=True)
class ScreeningSet:
    name: str
    file: str
    label: str


SETS = (
    ScreeningSet("ace", "ferdinands2020/ace.csv", "label_included"),
    ScreeningSet("virus", "ferdinands2020/virus.csv", "included"),
    ScreeningSet("ADHD", "cohen2006/ADHD.csv", "label_abstract_screening"),
    ScreeningSet("Antihistamines", "cohen2006/Antihistamines.csv", "label_abstract_screening"),
)


@dataclass(frozen=True)
class LoadedSet:
    spec: ScreeningSet
    titles: list[str]
    abstracts: list[str]
    keywords: list[str] | None
    labels: list[int]


def load_set(spec: ScreeningSet) -> LoadedSet:
    frame = pd.read_csv(DATA / spec.file)

    def column(name: str) -> list[str]:
        return frame[name].fillna("").astype(str).tolist()

    return LoadedSet(
        spec=spec,
        titles=column("title"),
        abstracts=column("abstract"),
        keywords=column("keywords") if "keywords" in frame.columns else None,
        labels=frame[spec.label].astype(int).tolist(),
    )


def asreview_order(data: LoadedSet, seed: int, cache: Path, asreview: Path) -> list[int]:
    """ASReview's screening order for one seed: the reference, the cache, or a run."""
    reference = REFERENCE / f"{data.spec.name}_seed{seed}.json"
    if reference.exists():
        return [int(row) for row in json.loads(reference.read_text())]
    cached = cache / f"{data.spec.name}_seed{seed}.json"
    if cached.exists():
        return list(json.loads(cached.read_text())["order"])
    if not asreview.exists():
        sys.exit(f"ASReview not found at {asreview}; install it (see --help) or --skip-asreview")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / f"{data.spec.name}.csv"
        pd.DataFrame(
            {"title": data.titles, "abstract": data.abstracts, "label_included": data.labels}
        ).to_csv(csv_path, index=False)
        project = Path(tmp) / "out.asreview"
        command = [str(asreview), "simulate", str(csv_path), "--ai", "elas_u4"]
        command += ["--seed", str(seed), "--prior-seed", str(seed)]
        command += ["--n-prior-included", "1", "--n-prior-excluded", "1", "-o", str(project)]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        seconds = time.perf_counter() - start
        screened = read_asreview_order(project, Path(tmp))
    seen = set(screened)
    order = screened + [row for row in range(len(data.labels)) if row not in seen]
    cached.write_text(
        json.dumps({"order": order, "n_screened_by_asreview": len(screened), "seconds": seconds})
    )
    return order


def read_asreview_order(project: Path, workdir: Path) -> list[int]:
    """Rows of the data file in the order ASReview screened them (results.rowid order)."""
    with zipfile.ZipFile(project) as archive:
        archive.extract("results.db", workdir)
    connection = sqlite3.connect(workdir / "results.db")
    try:
        rows = connection.execute(
            "SELECT record.dataset_row FROM results JOIN record"
            " ON record.record_id = results.record_id ORDER BY results.rowid"
        ).fetchall()
    finally:
        connection.close()
    return [int(row[0]) for row in rows]


def save_reference(data: LoadedSet, seed: int, order: list[int]) -> None:
    REFERENCE.mkdir(parents=True, exist_ok=True)
    path = REFERENCE / f"{data.spec.name}_seed{seed}.json"
    if not path.exists():
        path.write_text(json.dumps(order, separators=(",", ":")) + "\n")
        print(f"   saved {path.relative_to(ROOT)}")


def load_prior(data: LoadedSet) -> PriorKnowledge | None:
    """``bench/priors/<set>.toml`` as prior knowledge; None (with a message) when absent."""
    path = PRIORS / f"{data.spec.name}.toml"
    if not path.exists():
        print(f"{data.spec.name}: no {path.relative_to(ROOT)}, set skipped (--priors)")
        return None
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
        texts = record_texts(data.titles, data.abstracts, data.keywords)
        return prior_from_mapping(table, source=str(path.relative_to(ROOT)), texts=texts)
    except tomllib.TOMLDecodeError as exc:
        sys.exit(f"{path.relative_to(ROOT)}: not valid TOML ({exc})")
    except ValidationError as exc:
        sys.exit(str(exc))


@dataclass(frozen=True)
class OurRun:
    wss: float
    recall_10: float
    stop: StoppingPoint
    seconds: float
    stop_seconds: float  # the stopping point's share of ``seconds``, timed again on its own


def our_run(
    data: LoadedSet,
    seed: int,
    *,
    use_keywords: bool,
    model: str = DEFAULT_MODEL,
    prior: PriorKnowledge | None = None,
) -> OurRun:
    start = time.perf_counter()
    result = simulate(
        data.titles,
        data.abstracts,
        data.labels,
        seed=seed,
        keywords=data.keywords if use_keywords else None,
        model=model,
        prior=prior,
    )
    seconds = time.perf_counter() - start
    in_order = np.asarray(data.labels)[list(result.order)]
    start = time.perf_counter()
    stop = stopping_point(in_order)
    stop_seconds = time.perf_counter() - start
    assert stop == result.stopping
    wss, recall = metrics_from_order(result.order, data.labels)
    return OurRun(wss, recall, result.stopping, seconds, stop_seconds)


@dataclass
class SetFigures:
    name: str
    n_records: int
    ours: list[OurRun]
    theirs: list[tuple[float, float]]  # ASReview's (WSS@95, recall@10%) per seed


def bench_sets(args: argparse.Namespace) -> None:
    chosen = [s for s in SETS if s.name in args.sets]
    print(
        f"{'set':<15}{'seed':>4}  {'ours WSS@95':>11}{'R@10%':>7}  {'ASReview WSS@95':>15}"
        f"{'R@10%':>7}  {'stop N':>7}{'recall':>7}{'saved':>7}  {'s/run':>6}{'stop s':>7}"
    )
    figures = []
    for spec in chosen:
        data = load_set(spec)
        prior = load_prior(data) if args.priors else None
        if args.priors and prior is None:
            continue
        figures.append(bench_one_set(data, args, prior))
    summarise(figures)


def bench_one_set(
    data: LoadedSet, args: argparse.Namespace, prior: PriorKnowledge | None
) -> SetFigures:
    figures = SetFigures(data.spec.name, len(data.labels), [], [])
    for seed in range(args.seeds):
        line = f"{data.spec.name:<15}{seed:>4}  "
        ours = None
        if not args.asreview_only:
            ours = our_run(
                data, seed, use_keywords=not args.no_keywords, model=args.model, prior=prior
            )
            figures.ours.append(ours)
            line += f"{ours.wss:>11.3f}{ours.recall_10:>7.3f}  "
        else:
            line += f"{'-':>11}{'-':>7}  "
        if not args.skip_asreview:
            order = asreview_order(data, seed, args.cache, args.asreview)
            figures.theirs.append(metrics_from_order(order, data.labels))
            line += f"{figures.theirs[-1][0]:>15.3f}{figures.theirs[-1][1]:>7.3f}  "
            if args.save_reference:
                save_reference(data, seed, order)
        else:
            line += f"{'-':>15}{'-':>7}  "
        if ours:
            stop = ours.stop
            line += f"{stop.stop_after:>7}{stop.recall_at_stop:>7.3f}{stop.work_saved:>7.3f}"
            line += f"  {ours.seconds:>6.1f}{ours.stop_seconds:>7.3f}"
        print(line, flush=True)
    return figures


def summarise(figures: list[SetFigures]) -> None:
    """Means per set, the ratios the issue asks about, and the stopping aid's record."""
    print(
        f"\n{'set (mean)':<15}{'N':>6}  {'ours WSS@95':>11}{'R@10%':>7}  {'ASReview WSS@95':>15}"
        f"{'R@10%':>7}  {'ratio WSS':>9}{'dR@10%':>8}  {'stop N':>7}{'recall':>7}{'saved':>7}"
    )
    ratios, runs = [], []
    for f in figures:
        line = f"{f.name:<15}{f.n_records:>6}  "
        mw = mr = tw = tr = None
        if f.ours:
            mw = statistics.fmean(r.wss for r in f.ours)
            mr = statistics.fmean(r.recall_10 for r in f.ours)
            line += f"{mw:>11.3f}{mr:>7.3f}  "
        else:
            line += f"{'-':>11}{'-':>7}  "
        if f.theirs:
            tw, tr = (statistics.fmean(v) for v in zip(*f.theirs, strict=True))
            line += f"{tw:>15.3f}{tr:>7.3f}  "
        else:
            line += f"{'-':>15}{'-':>7}  "
        if mw is not None and mr is not None and tw and tr is not None:
            ratios.append(mw / tw)
            line += f"{mw / tw:>9.3f}{mr - tr:>+8.3f}  "
        else:
            line += f"{'-':>9}{'-':>8}  "
        if f.ours:
            runs += [r.stop for r in f.ours]
            line += f"{statistics.fmean(r.stop.stop_after for r in f.ours):>7.0f}"
            line += f"{statistics.fmean(r.stop.recall_at_stop for r in f.ours):>7.3f}"
            line += f"{statistics.fmean(r.stop.work_saved for r in f.ours):>7.3f}"
        print(line)
    if ratios:
        print(f"mean WSS@95 ratio (ours / ASReview) over {len(ratios)} sets: "
              f"{statistics.fmean(ratios):.3f}")  # fmt: skip
    if runs:
        met = sum(stop.recall_at_stop >= stop.target_recall for stop in runs)
        print(
            f"stopping aid: recall at the stop reached {runs[0].target_recall} in {met} of "
            f"{len(runs)} runs ({met / len(runs):.0%}; issue 19 asks for >= 95 %); mean work "
            f"saved {statistics.fmean(stop.work_saved for stop in runs):.3f}"
        )


def bench_speed(n_records: int) -> None:
    """Vectorise once, then time retrain + re-rank on synthetic records (2 threads at most)."""
    rng = np.random.default_rng(0)
    vocabulary = [f"w{i}" for i in range(5000)]
    topic = [f"t{i}" for i in range(50)]
    titles, abstracts, labels = [], [], []
    for i in range(n_records):
        relevant = i % 50 == 0
        words = list(rng.choice(vocabulary, 150))
        if relevant:
            words += list(rng.choice(topic, 10))
        titles.append(" ".join(words[:12]))
        abstracts.append(" ".join(words[12:]))
        labels.append(int(relevant))
    start = time.perf_counter()
    ranker = Ranker(record_texts(titles, abstracts))
    print(f"vectorise {n_records} records: {time.perf_counter() - start:.2f} s")
    # 2,000 labelled: the figure tests/domain printed until the timing moved here (issue 12)
    for n_labelled in (1_000, 2_000, n_records // 2, n_records - 100):
        known = {i: labels[i] for i in range(n_labelled)}
        start = time.perf_counter()
        ranking = ranker.rank(known)
        seconds = time.perf_counter() - start
        print(f"retrain + re-rank, {n_labelled} labelled, {len(ranking)} ranked: {seconds:.2f} s")
    bench_stopping_speed(n_records)


def bench_stopping_speed(n_records: int) -> None:
    """The stopping point over a whole order: includes drawn first with odds ``bias`` (buscar's
    ``generate_dataset``); bias 1 is a random order, the slowest case (it stops late)."""
    for prevalence in (0.02, 0.10):
        for bias in (1.0, 10.0):
            rng = np.random.default_rng(0)
            n_included = int(n_records * prevalence)
            odds = np.where(np.arange(n_records) < n_included, bias, 1.0)
            order = rng.choice(n_records, n_records, replace=False, p=odds / odds.sum())
            start = time.perf_counter()
            stop = stopping_point((order < n_included).astype(np.int64))
            print(
                f"stopping point, {n_records} records, {prevalence:.0%} included, bias {bias:g}: "
                f"stop after {stop.stop_after}, {time.perf_counter() - start:.2f} s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sets", nargs="+", default=[s.name for s in SETS])
    parser.add_argument("--skip-asreview", action="store_true")
    parser.add_argument("--asreview-only", action="store_true", help="fill the cache; no ours")
    parser.add_argument("--no-keywords", action="store_true")
    parser.add_argument("--model", choices=sorted(MODELS), default=DEFAULT_MODEL)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--asreview", type=Path, default=DEFAULT_ASREVIEW)
    parser.add_argument("--priors", action="store_true", help="bench/priors/<set>.toml as prior")
    parser.add_argument(
        "--save-reference", action="store_true", help="copy ASReview's orders to bench/reference"
    )
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--speed-records", type=int, default=20_000)
    args = parser.parse_args()
    if args.speed:
        bench_speed(args.speed_records)
    else:
        bench_sets(args)


if __name__ == "__main__":
    main()
