"""A team screening at once: N reviewers voting on one review, through the services.

    python bench/team_load.py [--reviewers 20] [--records 5000] [--seconds 60]
                              [--votes-per-minute 20 | --full-speed]
                              [--db sqlite|postgresql|both] [--mode threads|processes|both]
                              [--rerun] [--postgres URL] [--seed 7]

Builds one review of generated records (a RIS file through the import service, kratom protocol:
two reviewers per record, blind) with N reviewers, then lets every reviewer screen title and
abstract for S seconds, the way the screening page does: ``next_record`` (one unit of work: the
record shown), reading time, then ``record_vote`` (another unit of work). Reading time is drawn
around 60 / votes-per-minute seconds (0 with ``--full-speed``). Runs:

- ``threads``: the reviewers are threads sharing one engine, as on one ``review-app serve``;
- ``processes``: each reviewer is a process with its own engine, as on several servers.

Every process (or the one engine of the threads) first shows a record and votes inside a
transaction it rolls back, so statements are compiled before the clock starts, as on a server
that has been up for a while. Each run starts from a copy of the same freshly built database
(a SQLite file copy, or a PostgreSQL database made from a template) and prints: votes
attempted, stored, lost (accepted by the service but not in the database), refused (grouped by
reason), records over the protocol's vote count, duplicate rows, errors by kind, p50/p95/max
seconds per vote (``next_record`` + ``record_vote``, reading time excluded) and votes per
reviewer. A summary table of every run ends the output. With ``--rerun`` each unit of work
goes through ``run_in_transaction`` (re-run on a lock or a PostgreSQL clash) instead of
``session_scope``.

Targets (issue 11): 0 lost, 0 over the count, 0 errors shown to a user, p95 < 300 ms on
PostgreSQL at 20 votes a minute per reviewer, no reviewer below half the median reviewer.
"""

from __future__ import annotations

import argparse
import inspect
import multiprocessing
import os
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from sqlmodel import Session

from review_app.config import Settings
from review_app.db import make_engine, migrate, run_in_transaction, session_scope
from review_app.errors import DatabaseBusyError, ReviewAppError
from review_app.services import screening
from review_app.services.permissions import Actor

STAGE = "title_abstract"
WORDS = (
    "kratom mitragynine neuropathic pain randomised trial opioid withdrawal diabetic placebo "
    "analgesic cohort survey rodent model chemotherapy allodynia dose safety"
).split()
POSTGRES_SERVER = os.environ.get(
    "REVIEW_APP_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
VOTES = ("include", "exclude", "exclude", "exclude", "maybe")


def generated_ris(count: int, seed: int) -> bytes:
    rng = random.Random(seed)
    lines = []
    for n in range(count):
        title = " ".join(rng.choices(WORDS, k=rng.randint(8, 14))).capitalize() + f" ({n})"
        abstract = " ".join(rng.choices(WORDS, k=rng.randint(120, 220))).capitalize() + "."
        lines += [
            "TY  - JOUR",
            f"TI  - {title}",
            f"AU  - Author{n % 997}, A.",
            f"PY  - {rng.randint(1995, 2025)}",
            f"AB  - {abstract}",
            "ER  - ",
            "",
        ]
    return "\n".join(lines).encode()


@dataclass
class Team:
    review_id: int
    reviewer_ids: list[int]
    per_record: int


def build_review(url: str, *, reviewers: int, records: int, seed: int) -> Team:
    from review_app.services.demo import DEMO_PROTOCOL
    from review_app.services.imports import import_file
    from review_app.services.reviews import add_member, create_review, get_protocol
    from review_app.services.users import create_user

    engine = make_engine(url)
    migrate(engine)
    operator = Actor.operator()
    with session_scope(engine) as session:
        review = create_review(session, protocol_path=DEMO_PROTOCOL, name="team-load")
        ids = []
        for n in range(1, reviewers + 1):
            user = create_user(session, name=f"reviewer{n:02d}", password="team-load-password")
            add_member(session, actor=operator, review_id=review.id, user_id=user.id,
                       role="reviewer")  # fmt: skip
            ids.append(user.id)
        data = generated_ris(records, seed)
        import_file(session, actor=operator, review_id=review.id, data=data,
                    file_name="team.ris", source_name="Bench")  # fmt: skip
        per_record = get_protocol(session, review.id).screening.reviewers_per_record
    engine.dispose()
    return Team(review_id=review.id, reviewer_ids=ids, per_record=per_record)


# --- one reviewer ------------------------------------------------------------------------------


@dataclass
class ReviewerLog:
    reviewer_id: int
    latencies: list[float] = field(default_factory=list)
    shows: list[float] = field(default_factory=list)  # next_record alone
    casts: list[float] = field(default_factory=list)  # record_vote alone
    accepted: list[int] = field(default_factory=list)  # record ids the service took a vote on
    refused: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    attempts: int = 0
    empty_offers: int = 0


def _kind(error: BaseException) -> str:
    if isinstance(error, DatabaseBusyError):
        return f"DatabaseBusyError ({error.reason}; shown as a sentence)"
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {_generic(first)[:90]}"


def _generic(message: str) -> str:
    """A refusal's message with its numbers and quoted values blanked, to group alike ones."""
    return re.sub(r"\d+", "N", re.sub(r"'[^']*'", "'…'", message))


def screen(
    url: str,
    engine: Any,
    team: Team,
    reviewer_id: int,
    *,
    start: float,
    seconds: float,
    pause: float,
    rerun: bool,
    seed: int,
) -> ReviewerLog:
    """One reviewer screening from ``start`` for ``seconds`` (``pause``: mean reading time)."""
    rng = random.Random(seed * 1000 + reviewer_id)
    log = ReviewerLog(reviewer_id)
    actor = Actor.user(reviewer_id)
    lease = {}
    if "lease_minutes" in inspect.signature(screening.next_record).parameters:
        lease["lease_minutes"] = Settings.from_env().lease_minutes

    def unit(work: Callable[[Session], Any]) -> Any:
        if rerun:
            return run_in_transaction(engine, work)
        with session_scope(engine) as session:
            return work(session)

    def show(session: Session) -> int | None:
        item = screening.next_record(
            session, actor=actor, review_id=team.review_id, stage=STAGE, **lease
        )
        return None if item is None else item.record.id

    def cast(session: Session, *, record_id: int, vote: str) -> None:
        screening.record_vote(
            session, actor=actor, review_id=team.review_id, record_id=record_id, stage=STAGE,
            vote=vote,
        )  # fmt: skip

    deadline = start + seconds
    time.sleep(max(0.0, start - time.time()) + rng.uniform(0, pause))  # not all at one instant
    while time.time() < deadline:
        log.attempts += 1
        spent = 0.0
        try:
            began = time.perf_counter()
            record_id = unit(show)
            took = time.perf_counter() - began
            log.shows.append(took)
            spent += took
            if record_id is None:
                log.attempts -= 1
                log.empty_offers += 1
                time.sleep(1.0)
                continue
            time.sleep(pause * rng.uniform(0.5, 1.5) if pause else 0.0)
            began = time.perf_counter()
            unit(partial(cast, record_id=record_id, vote=rng.choice(VOTES)))
            took = time.perf_counter() - began
            log.casts.append(took)
            spent += took
            log.accepted.append(record_id)
        except DatabaseBusyError as error:
            log.errors[_kind(error)] += 1
        except ReviewAppError as error:
            log.refused[_generic(str(error).splitlines()[0])] += 1
        except Exception as error:
            log.errors[_kind(error)] += 1
        log.latencies.append(spent)
    release = getattr(screening, "release_leases", None)
    if release is not None:  # logging out frees the record on screen
        try:
            unit(lambda session: release(session, actor=actor, review_id=team.review_id))
        except Exception as error:
            log.errors[_kind(error)] += 1
    return log


def warm_up(engine: Any, team: Team, reviewer_id: int) -> None:
    """Show a record and vote on it, then roll both back: the statements are compiled and a
    connection is open before the clock starts, as on a server that has been up for a while."""
    actor = Actor.user(reviewer_id)
    with Session(engine) as session:
        item = screening.next_record(session, actor=actor, review_id=team.review_id, stage=STAGE)
        if item is not None:
            record_id = item.record.id
            screening.record_vote(session, actor=actor, review_id=team.review_id,
                                  record_id=record_id, stage=STAGE, vote="exclude")  # fmt: skip
        session.rollback()


def _process_worker(url: str, team: Team, reviewer_id: int, options: dict[str, Any],
                    ready: Any, go: Any, results: Any) -> None:  # fmt: skip
    engine = _engine(url)
    warm_up(engine, team, reviewer_id)
    ready.release()
    start = go.get()
    try:
        log = screen(url, engine, team, reviewer_id, start=start, **options)
    finally:
        engine.dispose()
    results.put(log)


def _engine(url: str) -> Any:
    settings = Settings.from_env()
    return make_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_overflow,
        pool_timeout=settings.pool_timeout_seconds,
    )


def run_threads(url: str, team: Team, options: dict[str, Any]) -> list[ReviewerLog]:
    engine = _engine(url)
    warm_up(engine, team, team.reviewer_ids[0])
    start = time.time() + 1.0
    logs: list[ReviewerLog] = []
    lock = threading.Lock()

    def one(reviewer_id: int) -> None:
        log = screen(url, engine, team, reviewer_id, start=start, **options)
        with lock:
            logs.append(log)

    threads = [threading.Thread(target=one, args=(r,)) for r in team.reviewer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    return logs


def run_processes(url: str, team: Team, options: dict[str, Any]) -> list[ReviewerLog]:
    context = multiprocessing.get_context("spawn")
    ready = context.Semaphore(0)
    go = context.Queue()
    results = context.Queue()
    processes = [
        context.Process(target=_process_worker, args=(url, team, r, options, ready, go, results))
        for r in team.reviewer_ids
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.acquire()
    start = time.time() + 1.0
    for _ in processes:
        go.put(start)
    logs = [results.get() for _ in processes]
    for process in processes:
        process.join()
    return logs


# --- databases ---------------------------------------------------------------------------------


class Databases:
    """A built review per database kind, and a fresh copy of it for every run."""

    def __init__(self, folder: Path, postgres: str) -> None:
        self.folder = folder
        self.postgres = postgres
        self.tag = uuid.uuid4().hex[:8]
        self.pg_names: list[str] = []
        self.runs = 0

    def build(self, kind: str, *, reviewers: int, records: int, seed: int) -> Team:
        began = time.perf_counter()
        if kind == "sqlite":
            path = self.folder / "base.db"
            team = build_review(f"sqlite:///{path}", reviewers=reviewers, records=records,
                                seed=seed)  # fmt: skip
            with sqlite3.connect(path) as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            name = self._create_pg(f"team_load_{self.tag}_base")
            team = build_review(self._pg_url(name), reviewers=reviewers, records=records,
                                seed=seed)  # fmt: skip
        print(f"built {kind}: {records} records, {reviewers} reviewers "
              f"({time.perf_counter() - began:.1f} s)", flush=True)  # fmt: skip
        return team

    def fresh(self, kind: str) -> str:
        self.runs += 1
        if kind == "sqlite":
            path = self.folder / f"run{self.runs}.db"
            shutil.copyfile(self.folder / "base.db", path)
            return f"sqlite:///{path}"
        name = self._create_pg(
            f"team_load_{self.tag}_run{self.runs}", template=f"team_load_{self.tag}_base"
        )
        return self._pg_url(name)

    def _pg_url(self, name: str) -> str:
        return self.postgres.rsplit("/", 1)[0] + f"/{name}"

    def _create_pg(self, name: str, template: str | None = None) -> str:
        admin = create_engine(self.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            suffix = f' TEMPLATE "{template}"' if template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
        admin.dispose()
        self.pg_names.append(name)
        return name

    def drop(self) -> None:
        if not self.pg_names:
            return
        admin = create_engine(self.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in reversed(self.pg_names):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- figures -----------------------------------------------------------------------------------


@dataclass
class Figures:
    label: str
    attempted: int
    stored: int
    lost: int
    refused: Counter[str]
    over: int
    duplicates: int
    errors: Counter[str]
    p50: float
    p95: float
    worst: float
    show_p95: float
    cast_p95: float
    per_reviewer: list[int]
    empty_offers: int
    seconds: float

    @property
    def starved(self) -> int:
        median = statistics.median(self.per_reviewer)
        return sum(1 for n in self.per_reviewer if n < median / 2)


def measure(url: str, team: Team, logs: list[ReviewerLog], label: str, seconds: float) -> Figures:
    engine = make_engine(url)
    with session_scope(engine) as session:
        rows = session.execute(
            text("SELECT record_id, reviewer_id FROM decision WHERE review_id = :r AND stage = :s"),
            {"r": team.review_id, "s": STAGE},
        ).all()
    engine.dispose()
    in_db = Counter((r.record_id, r.reviewer_id) for r in rows)
    per_record = Counter(r.record_id for r in rows)
    accepted = {(record_id, log.reviewer_id) for log in logs for record_id in log.accepted}
    latencies = sorted(t for log in logs for t in log.latencies)
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Figures(
        label=label,
        attempted=sum(log.attempts for log in logs),
        stored=len(rows),
        lost=len(accepted - set(in_db)),
        refused=sum((log.refused for log in logs), Counter()),
        over=sum(1 for n in per_record.values() if n > team.per_record),
        duplicates=sum(n - 1 for n in in_db.values() if n > 1),
        errors=sum((log.errors for log in logs), Counter()),
        p50=statistics.median(latencies) if latencies else 0.0,
        p95=quantiles[94],
        worst=latencies[-1] if latencies else 0.0,
        show_p95=_p95([t for log in logs for t in log.shows]),
        cast_p95=_p95([t for log in logs for t in log.casts]),
        per_reviewer=sorted(len(log.accepted) for log in logs),
        empty_offers=sum(log.empty_offers for log in logs),
        seconds=seconds,
    )


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94] if len(values) > 1 else 0.0


def report(f: Figures) -> None:
    counts = f.per_reviewer
    print(f"\n== {f.label}")
    print(f"votes attempted {f.attempted}, stored {f.stored}, lost {f.lost}, "
          f"refused {sum(f.refused.values())}, records over the count {f.over}, "
          f"duplicate rows {f.duplicates}, errors {sum(f.errors.values())}")  # fmt: skip
    for reason, n in f.refused.most_common():
        print(f"  refused {n:5d}  {reason}")
    for kind, n in f.errors.most_common():
        print(f"  error   {n:5d}  {kind}")
    if f.empty_offers:
        print(f"  nothing to offer {f.empty_offers} time(s)")
    print(f"seconds per vote: p50 {f.p50:.3f}, p95 {f.p95:.3f}, max {f.worst:.3f} "
          f"(p95 of next_record {f.show_p95:.3f}, of record_vote {f.cast_p95:.3f})")  # fmt: skip
    print(f"votes per reviewer: min {counts[0]}, median {statistics.median(counts):g}, "
          f"max {counts[-1]}; below half the median: {f.starved}; "
          f"{f.stored / f.seconds * 60:.0f} votes stored a minute in all")  # fmt: skip
    sys.stdout.flush()


def summary(all_figures: list[Figures]) -> None:
    print("\n| run | attempted | stored | lost | refused | over | dup | errors | "
          "p50 s | p95 s | max s | per reviewer min/med/max |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for f in all_figures:
        c = f.per_reviewer
        cells = [f.label, f.attempted, f.stored, f.lost, sum(f.refused.values()), f.over,
                 f.duplicates, sum(f.errors.values()), f"{f.p50:.3f}", f"{f.p95:.3f}",
                 f"{f.worst:.3f}", f"{c[0]}/{statistics.median(c):g}/{c[-1]}"]  # fmt: skip
        print("| " + " | ".join(str(cell) for cell in cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--votes-per-minute", type=float, default=20.0)
    parser.add_argument("--full-speed", action="store_true", help="no reading time")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--mode", choices=["threads", "processes", "both"], default="both")
    parser.add_argument("--rerun", action="store_true", help="units of work via run_in_transaction")
    parser.add_argument("--postgres", default=POSTGRES_SERVER, help="a database on the server")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    pause = 0.0 if args.full_speed else 60.0 / args.votes_per_minute
    pace = "full speed" if args.full_speed else f"{args.votes_per_minute:g} votes/min"
    options = {"seconds": args.seconds, "pause": pause, "rerun": args.rerun, "seed": args.seed}
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    modes = ["threads", "processes"] if args.mode == "both" else [args.mode]
    settings = Settings.from_env()
    print(f"{args.reviewers} reviewers, {args.records} records, {args.seconds:g} s, {pace}, "
          f"units of work via {'run_in_transaction' if args.rerun else 'session_scope'}; "
          f"pool {settings.pool_size}+{settings.pool_overflow} a process")  # fmt: skip
    all_figures = []
    with tempfile.TemporaryDirectory(prefix="team_load_") as folder:
        databases = Databases(Path(folder), args.postgres)
        try:
            for kind in kinds:
                team = databases.build(kind, reviewers=args.reviewers, records=args.records,
                                       seed=args.seed)  # fmt: skip
                for mode in modes:
                    url = databases.fresh(kind)
                    run = run_threads if mode == "threads" else run_processes
                    logs = run(url, team, options)
                    figures = measure(url, team, logs, f"{kind} {mode} {pace}", args.seconds)
                    report(figures)
                    all_figures.append(figures)
        finally:
            databases.drop()
    summary(all_figures)


if __name__ == "__main__":
    main()
