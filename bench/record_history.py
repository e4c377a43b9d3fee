"""A record's history and discussion on a review with a long audit trail: the time the record's
page spends on them, through the services it calls.

    python bench/record_history.py [--records 100000] [--runs 7]

Builds (SQLite, a temporary file) a review whose trail holds what screening ``--records``
records writes: an import event, two vote events per record, a change of vote for one in ten,
and comments on one in fifty; rows written in bulk. Prints the median of ``--runs`` runs of
``record_history`` and ``get_discussion`` for one record, each in a session of its own as a page
run is.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session  # noqa: E402

from review_app.db import make_engine, migrate  # noqa: E402
from review_app.models import AuditEvent, Decision, ImportBatch, Record, RecordComment  # noqa: E402
from review_app.services.discussion import get_discussion  # noqa: E402
from review_app.services.permissions import Actor  # noqa: E402
from review_app.services.record_history import record_history  # noqa: E402
from review_app.services.reviews import add_member, create_review  # noqa: E402
from review_app.services.users import create_user  # noqa: E402

PROTOCOL = REPO / "protocols" / "kratom-neuropathic-pain.toml"


def build(session: Session, records: int) -> tuple[int, list[int]]:
    review = create_review(session, protocol_path=PROTOCOL, name="bench")
    users = [create_user(session, name=f"r{i}", password="bench-password-1").id for i in (1, 2)]
    for user_id in users:
        add_member(
            session, actor=Actor.operator(), review_id=review.id, user_id=user_id, role="reviewer"
        )
    batch = ImportBatch(
        review_id=review.id,
        file_name="big.ris",
        sha256="0" * 64,
        source_name="PubMed",
        format="ris",
    )
    session.add(batch)
    session.flush()
    session.execute(
        insert(Record),
        [
            {
                "review_id": review.id,
                "import_batch_id": batch.id,
                "position": i,
                "title": f"Record {i}",
                "authors": [],
                "keywords": [],
                "raw": {},
            }
            for i in range(records)
        ],
    )
    votes = [(i, user_id) for i in range(1, records + 1) for user_id in users]
    session.execute(
        insert(Decision),
        [
            {"review_id": review.id, "record_id": i, "reviewer_id": user_id,
             "stage": "title_abstract", "vote": "include", "tags": []}
            for i, user_id in votes
        ],
    )  # fmt: skip
    events = [
        {
            "review_id": review.id,
            "action": "import.create",
            "entity": "importbatch",
            "entity_id": batch.id,
            "after": {"records": records},
        }
    ]
    for i in range(1, records + 1):
        for k, user_id in enumerate(users):
            decision = 2 * (i - 1) + k + 1  # the vote's row above (ids in insert order)
            state = {"record_id": i, "stage": "title_abstract", "vote": "include"}
            events.append(
                {
                    "review_id": review.id,
                    "user_id": user_id,
                    "action": "vote.create",
                    "entity": "decision",
                    "entity_id": decision,
                    "after": state,
                }
            )
        if i % 10 == 0:
            events.append(
                {
                    "review_id": review.id,
                    "user_id": users[0],
                    "action": "vote.update",
                    "entity": "decision",
                    "entity_id": 2 * i - 1,
                    "before": state,
                    "after": {**state, "vote": "exclude"},
                }
            )
    session.execute(insert(AuditEvent), events)
    comments = [
        {
            "review_id": review.id,
            "record_id": i,
            "author_id": users[0],
            "stage": "title_abstract",
            "body": "Is this neuropathic?",
        }
        for i in range(1, records + 1, 50)
    ]
    session.execute(insert(RecordComment), comments)
    return review.id, users


def median_ms(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        migrate(engine)
        with Session(engine) as session:
            review_id, users = build(session, args.records)
            session.commit()
        record_id = args.records // 2  # a multiple of ten: with a changed vote

        def history() -> object:
            with Session(engine) as session:
                return record_history(
                    session, actor=Actor.operator(), review_id=review_id, record_id=record_id
                )

        def discussion() -> object:
            with Session(engine) as session:
                return get_discussion(
                    session, actor=Actor.user(users[1]), review_id=review_id, record_id=record_id
                )

        events = len(history())  # type: ignore[arg-type]
        print(f"{args.records:,} records, about {args.records * 2.1:,.0f} audit events (SQLite)")
        print(f"record_history: {median_ms(history, args.runs):.1f} ms ({events} events)")
        print(f"get_discussion: {median_ms(discussion, args.runs):.1f} ms")


if __name__ == "__main__":
    main()
