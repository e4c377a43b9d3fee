"""Building small screening scenarios for service tests."""

from __future__ import annotations

from sqlmodel import Session, col, select

from review_app.models import ClusterMember, DuplicateCluster, Record
from review_app.services.imports import import_file
from review_app.services.permissions import Actor


def ris(titles: list[str]) -> bytes:
    return "".join(f"TY  - JOUR\nTI  - {t}\nPY  - 2020\nER  - \n\n" for t in titles).encode()


def import_titles(
    session: Session, review_id: int, count: int, *, prefix: str = "Study"
) -> list[int]:
    """Import ``count`` records and return their ids in import order."""
    summary = import_file(
        session,
        actor=Actor.operator(),
        review_id=review_id,
        data=ris([f"{prefix} {i}" for i in range(count)]),
        file_name=f"{prefix}.ris",
        source_name="PubMed",
    )
    query = (
        select(Record.id).where(Record.import_batch_id == summary.batch_id).order_by(col(Record.id))
    )
    return [rid for rid in session.exec(query) if rid is not None]


def mark_duplicate(session: Session, review_id: int, primary: int, secondary: int) -> None:
    cluster = DuplicateCluster(review_id=review_id, primary_record_id=primary, decided_by="auto")
    session.add(cluster)
    session.flush()
    assert cluster.id is not None
    session.add_all(
        [
            ClusterMember(cluster_id=cluster.id, record_id=primary, is_primary=True),
            ClusterMember(cluster_id=cluster.id, record_id=secondary),
        ]
    )
    session.flush()
