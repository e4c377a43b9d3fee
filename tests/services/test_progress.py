"""Dashboard counts come from the tables, through the same rules the screening uses."""

from __future__ import annotations

from sqlmodel import Session

from review_app.domain.consensus import StageStatus
from review_app.models import (
    ClusterMember,
    Decision,
    DuplicateCluster,
    FullText,
    ImportBatch,
    Record,
    Resolution,
)
from review_app.services.permissions import Actor
from review_app.services.progress import review_progress, unique_record_ids
from review_app.services.releases import release_outcomes
from review_app.services.reviews import ReviewPublic
from review_app.services.users import UserPublic


def add_records(
    session: Session, review_id: int, count: int, *, status: str = "active"
) -> list[int]:
    batch = ImportBatch(
        review_id=review_id,
        file_name="pubmed.nbib",
        sha256="0" * 64,
        source_name="PubMed",
        format="medline",
        record_count=count,
        status=status,
    )
    session.add(batch)
    session.flush()
    assert batch.id is not None
    records = [
        Record(review_id=review_id, import_batch_id=batch.id, position=i + 1, title=f"Record {i}")
        for i in range(count)
    ]
    session.add_all(records)
    session.flush()
    return [r.id for r in records]  # type: ignore[misc]


def vote(
    session: Session,
    review_id: int,
    record_id: int,
    user: UserPublic,
    value: str,
    stage: str = "title_abstract",
) -> None:
    session.add(
        Decision(
            review_id=review_id, record_id=record_id, reviewer_id=user.id, stage=stage, vote=value
        )
    )


def test_empty_review(session: Session, review: ReviewPublic, team: dict[str, UserPublic]) -> None:
    progress = review_progress(session, actor=Actor.user(team["lena"].id), review_id=review.id)
    assert progress.records_imported == progress.unique_records == 0
    assert [r.name for r in progress.reviewers] == ["lena", "raj", "rita"]


def test_counts_follow_votes_duplicates_and_resolutions(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    ids = add_records(session, review.id, 8)
    add_records(session, review.id, 5, status="undone")  # an undone import counts for nothing
    rita, raj, lena = team["rita"], team["raj"], team["lena"]
    # ids[7] is a duplicate of ids[6]
    cluster = DuplicateCluster(review_id=review.id, primary_record_id=ids[6], decided_by="auto")
    session.add(cluster)
    session.flush()
    assert cluster.id is not None
    session.add_all(
        [
            ClusterMember(cluster_id=cluster.id, record_id=ids[6], is_primary=True),
            ClusterMember(cluster_id=cluster.id, record_id=ids[7]),
        ]
    )
    for record_id, (a, b) in zip(
        ids,
        [
            ("include", "include"),
            ("exclude", "exclude"),
            ("include", "exclude"),
            ("maybe", "include"),
            ("include", "exclude"),
        ],
        strict=False,
    ):
        vote(session, review.id, record_id, rita, a)
        vote(session, review.id, record_id, raj, b)
    vote(session, review.id, ids[5], rita, "include")
    session.add(
        Resolution(
            review_id=review.id,
            record_id=ids[4],
            stage="title_abstract",
            lead_id=lena.id,
            vote="include",
        )
    )
    session.add(FullText(record_id=ids[3], status="not_retrieved"))
    vote(session, review.id, ids[0], rita, "exclude", stage="full_text")
    session.flush()

    assert len(unique_record_ids(session, review_id=review.id)) == 7
    progress = review_progress(session, actor=Actor.user(team["lena"].id), review_id=review.id)
    assert (progress.records_imported, progress.duplicates, progress.unique_records) == (8, 1, 7)
    title_abstract, full_text = progress.stages
    assert title_abstract.counts == {
        StageStatus.INCLUDED: 3,  # ids 0, 3 (maybe counts as include), 4 (resolved)
        StageStatus.EXCLUDED: 1,
        StageStatus.CONFLICT: 1,
        StageStatus.AWAITING: 1,
        StageStatus.UNSCREENED: 1,
    }
    assert title_abstract.fully_voted == 5
    assert full_text.eligible == 3
    assert full_text.counts[StageStatus.AWAITING] == 1  # type: ignore[index]
    blind_view = review_progress(session, actor=Actor.user(rita.id), review_id=review.id)
    assert [s.counts for s in blind_view.stages] == [None, None]
    assert blind_view.stages[0].fully_voted == 5
    assert progress.full_texts_not_retrieved == 1
    votes = {r.name: r.votes for r in progress.reviewers}
    assert votes["rita"] == {"title_abstract": 6, "full_text": 1}
    assert votes["raj"] == {"title_abstract": 5, "full_text": 0}


def test_a_blind_reviewers_full_text_count_moves_only_when_a_lead_sends_records_on(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    """The measured leak: the count used to move after rita's include exactly when raj had
    included too."""
    ids = add_records(session, review.id, 2)
    rita, raj, lena = team["rita"], team["raj"], team["lena"]
    vote(session, review.id, ids[0], raj, "include")
    vote(session, review.id, ids[1], raj, "exclude")
    session.flush()

    def full_text_for_rita() -> int:
        progress = review_progress(session, actor=Actor.user(rita.id), review_id=review.id)
        return progress.stages[1].eligible

    assert full_text_for_rita() == 0
    vote(session, review.id, ids[0], rita, "include")
    vote(session, review.id, ids[1], rita, "include")
    session.flush()
    assert full_text_for_rita() == 0  # the same whatever raj voted
    lead_view = review_progress(session, actor=Actor.user(lena.id), review_id=review.id)
    assert lead_view.stages[1].eligible == 1
    release_outcomes(
        session, actor=Actor.user(lena.id), review_id=review.id, stage="title_abstract"
    )
    assert full_text_for_rita() == 1  # sent on: the outcome is the team's now
