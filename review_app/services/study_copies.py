"""What the extraction and risk-of-bias services share about a study's copies: the review's
studies, one study of it, the studies' reports, the person holding a copy, the review's members,
user names and id lists cut for ``IN``.

Both stages keep a study in copies (one per person's slot, and a consensus); these lookups are
the same for both. None of them reads a vote, so none takes an actor: the callers check it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from review_app.errors import NotFoundError, ValidationError
from review_app.models import Membership, Study, StudyReport, User

CHUNK = 500  # ids per IN (...) list


def review_studies(session: Session, review_id: int) -> list[Study]:
    """The review's studies by label."""
    return list(
        session.exec(
            select(Study)
            .where(Study.review_id == review_id)
            .order_by(func.lower(Study.label), col(Study.id))
        )
    )


def review_study(session: Session, review_id: int, study_id: int) -> Study:
    """The study, or NotFoundError unless it is the review's."""
    study = session.get(Study, study_id)
    if study is None or study.review_id != review_id:
        raise NotFoundError(
            f"no study {study_id} in review {review_id}; studies are made on the Studies page "
            "from reports included at full text"
        )
    return study


def record_ids(session: Session, study_ids: Sequence[int]) -> dict[int, list[int]]:
    """Each study's reports (record ids), main report first."""
    found: dict[int, list[int]] = {}
    for chunk in id_chunks(study_ids):
        rows = session.exec(
            select(StudyReport.study_id, StudyReport.record_id)
            .where(col(StudyReport.study_id).in_(chunk))
            .order_by(col(StudyReport.is_main_report).desc(), col(StudyReport.id))
        )
        for study_id, record_id in rows:
            found.setdefault(study_id, []).append(record_id)
    return found


def copy_holder(user_id: int | None, copy_kind: str) -> int:
    """The user acting, who holds a copy (``user_id`` of the actor); the command line's operator
    (no user) holds none."""
    if user_id is None:
        raise ValidationError(
            f"the command line's operator holds no {copy_kind} copy; act as a user (--as NAME)"
        )
    return user_id


def user_names(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.name).where(col(User.id).in_(ids))).all()
    return {user_id: name for user_id, name in rows if user_id is not None}


def member_ids(session: Session, review_id: int) -> dict[str, int]:
    """The review's members by user name (a file names a copy's holder so)."""
    rows = session.exec(
        select(User.name, User.id)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.review_id == review_id)
    ).all()
    return {name: user_id for name, user_id in rows if user_id is not None}


def id_chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    """``ids`` in lists short enough for one ``IN (...)``."""
    items = list(ids)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
