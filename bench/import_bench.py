"""Import speed and memory: 100,000-record RIS and MEDLINE files, parsed and inserted end to end.

    python bench/import_bench.py [--records 100000] [--postgres URL | --no-postgres]

Each measurement runs in a fresh process so its peak memory (max RSS) is its own. The baseline is
rispy's bare parse of the same RIS file (no decoding checks, normalisation or database).
Target (issue 3): >= 5,000 records/s end to end on SQLite, peak memory under 1 GB.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import tempfile
import time
from pathlib import Path

WORDS = (
    "pain neuropathic kratom mitragynine opioid randomised trial cohort patients adults chronic "
    "diabetic placebo analgesic efficacy safety withdrawal dependence dose plasma receptor mu "
    "alkaloid survey users outcomes quality life adverse events injury liver seizure study effect "
    "model rodent chemotherapy paclitaxel allodynia hyperalgesia spinal cord herpes zoster"
).split()
JOURNALS = ("J Ethnopharmacol", "Drug Alcohol Depend", "Pain", "J Pain Res", "Front Pharmacol")
SURNAMES = ("Smith", "Garcia", "Nguyen", "Müller", "Rahman", "Chooi", "Kruegel", "Prozialeck")


def _record(rng: random.Random, number: int) -> dict[str, object]:
    return {
        "title": " ".join(rng.choices(WORDS, k=rng.randint(8, 16))).capitalize(),
        "authors": [
            f"{rng.choice(SURNAMES)}, {chr(65 + rng.randint(0, 25))}."
            for _ in range(rng.randint(1, 8))
        ],
        "year": rng.randint(1990, 2025),
        "journal": rng.choice(JOURNALS),
        "volume": str(rng.randint(1, 300)),
        "issue": str(rng.randint(1, 12)),
        "start": rng.randint(1, 2000),
        "doi": f"10.{rng.randint(1000, 9999)}/bench.{number}",
        "pmid": str(10_000_000 + number),
        "abstract": " ".join(rng.choices(WORDS, k=rng.randint(120, 250))).capitalize() + ".",
        "keywords": rng.sample(WORDS, 5),
    }


def write_ris(path: Path, records: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for r in records:
            out.write(f"TY  - JOUR\nTI  - {r['title']}\n")
            out.writelines(f"AU  - {a}\n" for a in r["authors"])  # type: ignore[attr-defined]
            out.write(
                f"PY  - {r['year']}\nT2  - {r['journal']}\nVL  - {r['volume']}\n"
                f"IS  - {r['issue']}\nSP  - {r['start']}\nEP  - {int(r['start']) + 9}\n"  # type: ignore[call-overload]
                f"DO  - {r['doi']}\nAB  - {r['abstract']}\n"
            )
            out.writelines(f"KW  - {k}\n" for k in r["keywords"])  # type: ignore[attr-defined]
            out.write("ER  - \n\n")


def write_medline(path: Path, records: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for r in records:
            out.write(f"PMID- {r['pmid']}\nTI  - {r['title']}\nAB  - {r['abstract']}\n")
            out.writelines(f"AU  - {a}\n" for a in r["authors"])  # type: ignore[attr-defined]
            out.write(
                f"TA  - {r['journal']}\nDP  - {r['year']} Jan\nVI  - {r['volume']}\n"
                f"IP  - {r['issue']}\nPG  - {r['start']}-{int(r['start']) + 9}\n"  # type: ignore[call-overload]
                f"LID - {r['doi']} [doi]\n\n"
            )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rispy_parse(path: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    import rispy

    start = time.perf_counter()
    with open(path, encoding="utf-8") as handle:
        count = len(rispy.load(handle))
    queue.put((count, time.perf_counter() - start, _peak_mb()))


def _our_parse(path: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from review_app.importers import read_bytes

    start = time.perf_counter()
    count = len(read_bytes(Path(path).read_bytes(), filename=Path(path).name).records)
    queue.put((count, time.perf_counter() - start, _peak_mb()))


def _end_to_end(path: str, url: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from review_app.db import make_engine, migrate, session_scope
    from review_app.services.demo import DEMO_PROTOCOL
    from review_app.services.imports import import_file
    from review_app.services.permissions import Actor
    from review_app.services.reviews import create_review

    engine = make_engine(url)
    migrate(engine)
    with session_scope(engine) as session:
        review = create_review(session, protocol_path=DEMO_PROTOCOL, name=f"bench-{time.time_ns()}")
    start = time.perf_counter()
    with session_scope(engine) as session:
        summary = import_file(
            session,
            actor=Actor.operator(),
            review_id=review.id,
            data=Path(path).read_bytes(),
            file_name=Path(path).name,
            source_name="Bench",
        )
    queue.put((summary.imported, time.perf_counter() - start, _peak_mb()))


def measure(target, *args: str) -> tuple[int, float, float]:  # type: ignore[no-untyped-def]
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    process = multiprocessing.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result  # type: ignore[no-any-return]


def _postgres_database(server: str) -> str | None:
    """A fresh database on the server for this run, or None when it is unreachable."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    name = f"review_app_bench_{int(time.time())}"
    try:
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        return None
    return server.rsplit("/", 1)[0] + f"/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    rng = random.Random(2026)
    records = [_record(rng, n) for n in range(args.records)]
    with tempfile.TemporaryDirectory() as folder:
        ris, medline = Path(folder) / "bench.ris", Path(folder) / "bench.nbib"
        write_ris(ris, records)
        write_medline(medline, records)
        del records
        print(
            f"{args.records:,} records; RIS {ris.stat().st_size / 1e6:.0f} MB, "
            f"MEDLINE {medline.stat().st_size / 1e6:.0f} MB"
        )
        print(f"{'step':42} {'records':>8} {'seconds':>8} {'records/s':>10} {'peak MB':>8}")
        rows = [("rispy bare parse (RIS, baseline)", measure(_rispy_parse, str(ris)))]
        rows.append(("our parse (RIS)", measure(_our_parse, str(ris))))
        rows.append(("our parse (MEDLINE)", measure(_our_parse, str(medline))))
        sqlite_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        rows.append(("end to end, SQLite (RIS)", measure(_end_to_end, str(ris), sqlite_url)))
        rows.append(
            ("end to end, SQLite (MEDLINE)", measure(_end_to_end, str(medline), sqlite_url))
        )
        postgres = None if args.no_postgres else _postgres_database(args.postgres)
        if postgres:
            rows.append(("end to end, PostgreSQL (RIS)", measure(_end_to_end, str(ris), postgres)))
            rows.append(
                ("end to end, PostgreSQL (MEDLINE)", measure(_end_to_end, str(medline), postgres))
            )
        for label, (count, seconds, peak) in rows:
            print(f"{label:42} {count:>8,} {seconds:>8.2f} {count / seconds:>10,.0f} {peak:>8.0f}")
        baseline = rows[0][1][1]
        print(f"our RIS parse / rispy bare parse: {rows[1][1][1] / baseline:.2f}x the time")
        if postgres is None and not args.no_postgres:
            print("PostgreSQL not reachable: skipped")
        elif postgres:
            _drop(args.postgres, postgres)


def _drop(server: str, url: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
