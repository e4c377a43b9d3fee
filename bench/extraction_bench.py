"""Extraction file speed and memory: a review of 500 studies x 4 arms x 10 outcomes x 3 time
points exported as CSV and XLSX (`review-app export extraction`) and each file imported back
(`review-app import extraction`), through the services as the command line calls them.

    python bench/extraction_bench.py [--studies 500] [--db sqlite|postgresql] [--keep DIR]

The review is built through the services too (records imported from a generated RIS file, one
study per record with create_study, the consensus copies written with replace_copies); its
protocol is the kratom one with ten outcomes, five continuous (results as mean/SD) and five
dichotomous (events/total). Each step runs in a fresh process (spawned), so its peak memory
(max RSS, interpreter and imports included) is its own; its seconds are the step's call, lazy
imports included. Target (issue 13): each step under 10 s and 500 MB.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from queue import Empty

ARMS = 4  # two interventions, two comparators
OUTCOMES = 10  # five continuous, five dichotomous
TIMEPOINTS = ("4 weeks", "12 weeks", "26 weeks")
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# The files are imported with the default limits: the workbook of 500 studies unpacks to 54 MB,
# 37 MB of it the Extraction sheet and the parts read with it, and holds 1.1 million cells.


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _protocol():  # type: ignore[no-untyped-def]
    """The kratom protocol with ten outcomes: five continuous, five dichotomous."""
    from review_app.protocol import load_protocol
    from review_app.services.demo import DEMO_PROTOCOL

    protocol = load_protocol(DEMO_PROTOCOL)
    template = protocol.outcomes[0]
    outcomes = [
        dataclasses.replace(
            template,
            id=f"outcome_{number}",
            name=f"Outcome {number}",
            type="continuous" if number < OUTCOMES // 2 else "dichotomous",
            mid=None,
            mid_unit="",
        )
        for number in range(OUTCOMES)
    ]
    return dataclasses.replace(protocol, outcomes=outcomes)


def _copy(study: str, number: int):  # type: ignore[no-untyped-def]
    """The consensus copy of one study: its arms and a result per arm, outcome and time point."""
    from review_app.domain.extraction.model import Arm, Design, Result, StudyExtraction
    from review_app.domain.vocabulary import ArmRole, StudyDesign

    arms = tuple(
        Arm(f"Arm {a + 1}", ArmRole.INTERVENTION if a < ARMS // 2 else ArmRole.COMPARATOR,
            f"dose level {a}", 40 + a)
        for a in range(ARMS)
    )  # fmt: skip
    results = []
    for outcome in range(OUTCOMES):
        for t, timepoint in enumerate(TIMEPOINTS):
            for a, arm in enumerate(arms):
                if outcome < OUTCOMES // 2:
                    mean = 5.0 + 0.37 * a - 0.11 * t + (number % 7) / 10
                    values = {"n": 38.0 + a, "mean": round(mean, 2), "sd": 1.5 + 0.1 * t}
                    result_format = "mean_sd"
                else:
                    values = {"events": float((number + a + t) % 20), "total": 38.0 + a}
                    result_format = "events_total"
                results.append(
                    Result(f"outcome_{outcome}", timepoint, arm.label, result_format, values)
                )
    return StudyExtraction(
        study=study,
        extractor=None,
        design=Design(kind=StudyDesign.PARALLEL),
        characteristics={"country": "Malaysia", "n_randomised": str(40 * ARMS)},
        arms=arms,
        results=tuple(results),
    )


def _build(url: str, studies: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from review_app.db import make_engine, migrate, session_scope
    from review_app.services.extraction import replace_copies
    from review_app.services.imports import import_file
    from review_app.services.permissions import Actor
    from review_app.services.reviews import create_review_from_protocol
    from review_app.services.studies import create_study

    engine = make_engine(url)
    migrate(engine)
    operator = Actor.operator()
    start = time.perf_counter()
    with session_scope(engine) as session:
        review = create_review_from_protocol(
            session, protocol=_protocol(), source_text="", name="extraction-bench"
        )
        ris = "".join(
            f"TY  - JOUR\nTI  - Trial {n} of kratom\nPY  - 2020\nDO  - 10.1/bench.{n}\nER  - \n\n"
            for n in range(studies)
        )
        import_file(session, actor=operator, review_id=review.id, data=ris.encode(),
                    file_name="bench.ris", source_name="Bench")  # fmt: skip
        from sqlmodel import col, select

        from review_app.models import Record

        ids = session.exec(select(Record.id).where(Record.review_id == review.id)
                           .order_by(col(Record.id))).all()  # fmt: skip
        labels = [f"Trial {n:03d} 2020" for n in range(studies)]
        for label, record_id in zip(labels, ids, strict=True):
            create_study(session, actor=operator, review_id=review.id, label=label,
                         record_ids=[record_id])  # fmt: skip
        copies = [_copy(label, n) for n, label in enumerate(labels)]
        replace_copies(session, actor=operator, review_id=review.id, copies=copies)
    queue.put((review.id, time.perf_counter() - start, _peak_mb()))


def _export(url: str, review_id: int, path: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from review_app.db import make_engine, session_scope
    from review_app.services.exports.extraction import export_extraction
    from review_app.services.permissions import Actor

    engine = make_engine(url)
    start = time.perf_counter()
    with session_scope(engine, read_only=True) as session:
        data = export_extraction(
            session, actor=Actor.operator(), review_id=review_id, format=path.rsplit(".", 1)[1]
        )
    Path(path).write_bytes(data)
    queue.put((len(data), time.perf_counter() - start, _peak_mb()))


def _import(url: str, review_id: int, path: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from review_app.db import make_engine, session_scope
    from review_app.services.extraction_import import import_extraction
    from review_app.services.permissions import Actor

    engine = make_engine(url)
    start = time.perf_counter()
    with session_scope(engine) as session:
        summary = import_extraction(
            session, actor=Actor.operator(), review_id=review_id,
            data=Path(path).read_bytes(), file_name=Path(path).name,
        )  # fmt: skip
    queue.put((summary.results, time.perf_counter() - start, _peak_mb()))


def measure(target: Callable[..., None], *args: object) -> tuple[int, float, float]:
    """(count, seconds, peak MB) of ``target`` run in a fresh process."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    while True:
        try:
            result = queue.get(timeout=1)
            break
        except Empty:
            if not process.is_alive():
                message = f"{target.__name__} failed (exit code {process.exitcode})"
                raise SystemExit(message) from None
    process.join()
    return result  # type: ignore[no-any-return]


def _postgres_database(server: str) -> str | None:
    """A fresh database on the server for this run, or None when it is unreachable."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    name = f"review_app_extraction_bench_{int(time.time())}"
    try:
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        return None
    return server.rsplit("/", 1)[0] + f"/{name}"


def _drop(server: str, url: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


def run(url: str, folder: Path, studies: int) -> None:
    review_id, seconds, peak = measure(_build, url, studies)
    results = studies * ARMS * OUTCOMES * len(TIMEPOINTS)
    print(f"built {studies} studies, {results:,} results through the services: "
          f"{seconds:.1f} s, peak {peak:.0f} MB")  # fmt: skip
    print(f"{'step':24} {'size':>10} {'seconds':>8} {'peak MB':>8}  target: < 10 s, < 500 MB")
    for format in ("csv", "xlsx"):
        path = str(folder / f"extraction.{format}")
        size, seconds, peak = measure(_export, url, review_id, path)
        print(f"{'export ' + format:24} {size / 1e6:>8.1f}MB {seconds:>8.2f} {peak:>8.0f}")
        count, seconds, peak = measure(_import, url, review_id, path)
        print(f"{'import ' + format:24} {count:>8,}r {seconds:>8.2f} {peak:>8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=500)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres", default=POSTGRES, help="the server for --db postgresql")
    parser.add_argument("--keep", type=Path, help="write the database and files here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        if args.db == "sqlite":
            (folder / "bench.db").unlink(missing_ok=True)
            run(f"sqlite:///{folder / 'bench.db'}", folder, args.studies)
            return
        url = _postgres_database(args.postgres)
        if url is None:
            print(f"PostgreSQL not reachable at {args.postgres}")
            return
        try:
            run(url, folder, args.studies)
        finally:
            _drop(args.postgres, url)


if __name__ == "__main__":
    main()
