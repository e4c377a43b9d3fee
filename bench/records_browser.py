"""The records browser on a large review: time to the first page, a filtered or searched page,
a count and a record's detail, through the services the Records page calls.

    python bench/records_browser.py [--records 100000] [--runs 7] [--db sqlite|postgresql|both]

Builds a review of generated records (realistic field lengths: 10-18 word titles, 150-300 word
abstracts, 1-12 authors, journal, volume/issue/pages, DOIs and PMIDs for most) in five import
batches (PubMed, Embase, Scopus, CENTRAL, CINAHL), a fifth of them extra copies merged into
duplicate clusters, title/abstract votes by two reviewers on most unique records (one in ten
included, some disagreements, half of those resolved by a lead), full-text votes and full texts
for the included ones, and a few tags. Rows are written in bulk (not through the import service:
that is bench/import_bench.py's subject). PostgreSQL runs use a fresh database on
``$REVIEW_APP_TEST_POSTGRES``'s server, dropped at the end.

Each figure is the median over ``--runs`` runs, each in a unit of work of its own as a page
run is, for a lead and for a reviewer of the blind review. Target (issue 17): the first page in
under 300 ms at 100,000 records.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WORDS = (
    "kratom mitragynine neuropathic pain randomised trial opioid withdrawal diabetic placebo "
    "analgesic cohort survey rodent model chemotherapy allodynia dose safety patients adults "
    "outcome effect treatment chronic acute clinical study group control baseline follow-up "
    "intervention significant reduction score scale visual analogue mg daily weeks months"
).split()
SURNAMES = (
    "Vicknasingam Singh Grundmann Prozialeck Swogger Hassan Müller Smith Chen Nguyen García "
    "Kowalski Johansson Tanaka Okafor Rossi Dubois Silva Ahmed Kim Novak Papadopoulos"
).split()
JOURNALS = (
    "J Psychoactive Drugs", "Drug Alcohol Depend", "Pain", "J Ethnopharmacol",
    "Addiction", "BMC Complement Med Ther", "Int J Drug Policy", "Eur J Pain",
)  # fmt: skip
SOURCES = (("PubMed", 0.35), ("Embase", 0.30), ("Scopus", 0.15), ("CENTRAL", 0.1),
           ("CINAHL", 0.1))  # fmt: skip
LEAD, REVIEWER_A, REVIEWER_B = "bench-lead", "bench-a", "bench-b"


def _sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high))).capitalize()


def _record(rng: random.Random, n: int) -> dict[str, Any]:
    authors = [f"{rng.choice(SURNAMES)}, {chr(65 + rng.randrange(26))}." for _ in
               range(rng.randint(1, 12))]  # fmt: skip
    return {
        "title": f"{_sentence(rng, 10, 18)} ({n})",
        "abstract": ". ".join(_sentence(rng, 12, 25) for _ in range(rng.randint(10, 14))) + ".",
        "authors": authors,
        "year": rng.randint(1990, 2026),
        "journal": rng.choice(JOURNALS),
        "volume": str(rng.randint(1, 90)),
        "issue": str(rng.randint(1, 12)),
        "pages": f"{(p := rng.randint(1, 900))}-{p + rng.randint(3, 15)}",
        "doi": f"10.{rng.randint(1000, 9999)}/bench.{n}" if rng.random() < 0.85 else None,
        "pmid": str(20_000_000 + n) if rng.random() < 0.6 else None,
        "keywords": rng.sample(WORDS, 4),
        "language": "eng",
        "publication_type": "JOUR",
        "raw": {"TY": "JOUR", "AN": str(n)},
    }


def build(url: str, count: int, seed: int = 17) -> dict[str, int]:
    """The review, its people and ``count`` records with copies, votes and full texts."""
    from sqlalchemy import insert, select
    from sqlmodel import col

    from review_app.db import make_engine, migrate, session_scope
    from review_app.models import (
        ClusterMember,
        Decision,
        DuplicateCluster,
        FullText,
        ImportBatch,
        Record,
        Resolution,
    )
    from review_app.services.demo import DEMO_PROTOCOL
    from review_app.services.permissions import Actor
    from review_app.services.reviews import add_member, create_review
    from review_app.services.users import create_user

    rng = random.Random(seed)
    engine = make_engine(url)
    migrate(engine)
    with session_scope(engine) as session:
        review = create_review(session, protocol_path=DEMO_PROTOCOL, name="browser-bench")
        people = {}
        for name, role in ((LEAD, "lead"), (REVIEWER_A, "reviewer"), (REVIEWER_B, "reviewer")):
            user = create_user(session, name=name, password=f"{name}-password")
            add_member(session, actor=Actor.operator(), review_id=review.id, user_id=user.id,
                       role=role)  # fmt: skip
            people[name] = user.id
        batch_ids = []
        for source, share in SOURCES:
            batch = ImportBatch(review_id=review.id, file_name=f"{source.lower()}.ris",
                                sha256=uuid.uuid4().hex * 2, source_name=source, format="ris",
                                record_count=int(count * share))  # fmt: skip
            session.add(batch)
            session.flush()
            batch_ids.append((batch.id, int(count * share)))
        rows = []
        for batch_id, n in batch_ids:
            for position in range(1, n + 1):
                rows.append({"review_id": review.id, "import_batch_id": batch_id,
                             "position": position, **_record(rng, len(rows))})  # fmt: skip
        for start in range(0, len(rows), 5000):
            session.execute(insert(Record), rows[start : start + 5000])
        ids = list(session.exec(select(col(Record.id)).order_by(col(Record.id))).scalars())
        copies = set(rng.sample(ids, len(ids) // 5))
        unique = [rid for rid in ids if rid not in copies]
        for copy in copies:  # each copy merged into a unique record
            cluster = DuplicateCluster(review_id=review.id, primary_record_id=rng.choice(unique),
                                       decided_by="auto", score=0.99)  # fmt: skip
            session.add(cluster)
            session.flush()
            session.add_all([
                ClusterMember(cluster_id=cluster.id, record_id=cluster.primary_record_id,
                              is_primary=True),
                ClusterMember(cluster_id=cluster.id, record_id=copy),
            ])  # fmt: skip
            if len(session.new) > 2000:
                session.flush()
        session.flush()
        votes, resolutions, fulltexts = _screening(rng, review.id, unique, people)
        for table, values in ((Decision, votes), (Resolution, resolutions), (FullText, fulltexts)):
            for start in range(0, len(values), 5000):
                session.execute(insert(table), values[start : start + 5000])
        figures = {"records": len(ids), "copies": len(copies), "votes": len(votes),
                   "review_id": review.id, **people}  # fmt: skip
    engine.dispose()
    return figures


def _screening(
    rng: random.Random, review_id: int, unique: list[int], people: dict[str, int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Votes at title/abstract on 80 % of the unique records (70 % by both reviewers), one in
    ten included, 5 % disagreements (half resolved); full-text votes and full texts for the
    included."""
    votes, resolutions, fulltexts = [], [], []
    a, b, lead = people[REVIEWER_A], people[REVIEWER_B], people[LEAD]

    def vote(record_id: int, reviewer: int, stage: str, value: str) -> None:
        tags = ["pain"] if rng.random() < 0.02 else []
        reason = "wrong_population" if stage == "full_text" and value == "exclude" else None
        votes.append({"review_id": review_id, "record_id": record_id, "reviewer_id": reviewer,
                      "stage": stage, "vote": value, "tags": tags, "reason": reason})  # fmt: skip

    for rid in unique:
        draw = rng.random()
        if draw >= 0.8:
            continue
        first = "include" if rng.random() < 0.1 else "exclude"
        vote(rid, a, "title_abstract", first)
        if draw >= 0.7:
            continue
        disagree = rng.random() < 0.05
        second = ("exclude" if first == "include" else "include") if disagree else first
        vote(rid, b, "title_abstract", second)
        if disagree and rng.random() < 0.5:
            resolutions.append({"review_id": review_id, "record_id": rid, "lead_id": lead,
                                "stage": "title_abstract", "vote": "include"})  # fmt: skip
        elif first == second == "include":
            link = f"https://example.org/{rid}.pdf"
            fulltexts.append(
                {"record_id": rid, "status": "retrieved", "url": link, "updated_by_id": a}
            )
            vote(rid, a, "full_text", "include" if rng.random() < 0.3 else "exclude")
    return votes, resolutions, fulltexts


def median_ms(work: Callable[[Any], object], engine: Any, runs: int) -> float:
    from review_app.db import session_scope

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with session_scope(engine, read_only=True) as session:
            work(session)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(url: str, figures: dict[str, int], runs: int) -> list[tuple[str, str, float]]:
    from review_app.db import make_engine
    from review_app.domain.vocabulary import Stage, StageStatus
    from review_app.services.permissions import Actor
    from review_app.services.record_detail import get_record_detail
    from review_app.services.records_browser import (
        NOT_VOTED,
        RecordFilters,
        RecordSort,
        count_records,
        list_filter_options,
        list_records,
    )

    engine = make_engine(url)
    review_id = figures["review_id"]
    cases: list[tuple[str, dict[str, Any]]] = [
        ("first page (50, import order)", {}),
        ("first page sorted by title", {"sort": RecordSort.TITLE}),
        ("page 1,000 (OFFSET 49,950)", {"page": 1000}),
        ("status: conflict", {"filters": RecordFilters(status=StageStatus.CONFLICT)}),
        ("my vote: not voted", {"filters": RecordFilters(my_vote=NOT_VOTED)}),
        ("Embase, at full text", {"filters": RecordFilters(source="Embase",
                                                           stage=Stage.FULL_TEXT)}),
        ("tag 'pain' + has full text", {"filters": RecordFilters(tag="pain",
                                                                 has_full_text=True)}),
        ("duplicates only", {"filters": RecordFilters(duplicate=True)}),
        ("search 'mitragynine withdrawal'",
         {"filters": RecordFilters(text="mitragynine withdrawal")}),
        ("search a DOI", {"filters": RecordFilters(text="10.1234/bench.4242")}),
        ("search a PMID", {"filters": RecordFilters(text="20004242")}),
    ]  # fmt: skip
    results = []
    for who in (LEAD, REVIEWER_A):
        actor = Actor.user(figures[who])
        timed: list[tuple[str, Callable[[Any], object]]] = [
            (label, partial(list_records, actor=actor, review_id=review_id, **kwargs))
            for label, kwargs in cases
        ]
        timed += [
            ("count only (no filter)", partial(count_records, actor=actor, review_id=review_id)),
            ("filter options", partial(list_filter_options, actor=actor, review_id=review_id)),
            ("a record's detail",
             partial(get_record_detail, actor=actor, review_id=review_id,
                     record_id=figures["records"] // 2)),
        ]  # fmt: skip
        results += [(who, label, median_ms(work, engine, runs)) for label, work in timed]
    engine.dispose()
    return results


def _postgres_database() -> tuple[str, Callable[[], None]]:
    from sqlalchemy import create_engine, text

    server = os.environ.get(
        "REVIEW_APP_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    name = f"browser_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.rsplit("/", 1)[0] + f"/{name}", drop


def run(kind: str, records: int, runs: int) -> None:
    drop: Callable[[], None] = lambda: None  # noqa: E731
    with tempfile.TemporaryDirectory() as folder:
        if kind == "sqlite":
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
        else:
            url, drop = _postgres_database()
        try:
            start = time.perf_counter()
            figures = build(url, records)
            if kind == "postgresql":
                _analyze(url)
            print(f"\n{kind}: built {figures['records']:,} records ({figures['copies']:,} "
                  f"duplicate copies, {figures['votes']:,} votes) in "
                  f"{time.perf_counter() - start:.0f} s; median of {runs} runs, ms")  # fmt: skip
            print(f"{'who':<10} {'what':<34} {'ms':>8}")
            for who, label, ms in measure(url, figures, runs):
                role = "lead" if who == LEAD else "reviewer"
                print(f"{role:<10} {label:<34} {ms:>8.1f}")
        finally:
            drop()


def _analyze(url: str) -> None:
    """Fresh statistics and visibility map (index-only counts), as autovacuum would have left
    them on a review used for days."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    options = parser.parse_args()
    kinds = ("sqlite", "postgresql") if options.db == "both" else (options.db,)
    for kind in kinds:
        run(kind, options.records, options.runs)


if __name__ == "__main__":
    main()
