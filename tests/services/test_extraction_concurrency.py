"""Reviewers opening one study for extraction at the same instant: each slot goes to one person,
a double click makes one copy, and whoever finds every slot taken is told so in a sentence."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import select

from review_app.db import session_scope
from review_app.errors import ConflictError
from review_app.models import Extraction
from review_app.services.extraction import open_copy
from review_app.services.permissions import Actor
from tests.services.copies_fixtures import claims_review
from tests.services.test_concurrency import at_once

STUDIES = 4


def opening(engine: Engine, review_id: int, user_id: int, study_id: int) -> Callable[[], None]:
    def call() -> None:
        with session_scope(engine) as session:
            open_copy(session, actor=Actor.user(user_id), review_id=review_id, study_id=study_id)

    return call


def test_three_reviewers_open_a_study_of_two_slots_at_once(committed_engine: Engine) -> None:
    review_id, users, studies = claims_review(committed_engine, STUDIES)
    for study_id in studies:
        errors = at_once(*(opening(committed_engine, review_id, u, study_id) for u in users))
        assert len(errors) == 1, errors
        assert isinstance(errors[0], ConflictError)
        assert "already has its 2 extractor(s)" in str(errors[0])
    with session_scope(committed_engine) as session:
        copies = session.exec(select(Extraction)).all()
        for study_id in studies:
            slots = sorted(c.slot for c in copies if c.study_id == study_id)
            assert slots == [1, 2]


def test_a_double_click_makes_one_copy(committed_engine: Engine) -> None:
    review_id, (ana, _ben, _cai), studies = claims_review(committed_engine, STUDIES)
    for study_id in studies:
        assert (
            at_once(*(opening(committed_engine, review_id, ana, study_id) for _ in range(2))) == []
        )
    with session_scope(committed_engine) as session:
        copies = session.exec(select(Extraction)).all()
        assert sorted((c.study_id, c.slot, c.extractor_id) for c in copies) == [
            (study_id, 1, ana) for study_id in studies
        ]
