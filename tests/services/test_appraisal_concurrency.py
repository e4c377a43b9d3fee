"""Reviewers opening one study's result for risk of bias at the same instant (the slot claim
extraction shares, services/copy_slots.claimed): each slot of the study goes to one person, a
double click makes one slot and one copy, and whoever finds every slot taken is told so."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import select

from review_app.db import session_scope
from review_app.errors import ConflictError
from review_app.models import Appraisal, AppraisalSlot
from review_app.services.appraisal import open_copy
from review_app.services.permissions import Actor
from tests.services.copies_fixtures import claims_review
from tests.services.test_concurrency import at_once

STUDIES = 3
PAIN = "pain_intensity"


def opening(
    engine: Engine, review_id: int, user_id: int, study_id: int, outcome_id: str = PAIN
) -> Callable[[], None]:
    def call() -> None:
        with session_scope(engine) as session:
            open_copy(
                session,
                actor=Actor.user(user_id),
                review_id=review_id,
                study_id=study_id,
                outcome_id=outcome_id,
            )

    return call


def test_three_reviewers_open_a_result_of_a_study_of_two_slots_at_once(
    committed_engine: Engine,
) -> None:
    review_id, users, studies = claims_review(committed_engine, STUDIES)
    for study_id in studies:
        errors = at_once(*(opening(committed_engine, review_id, u, study_id) for u in users))
        assert len(errors) == 1, errors
        assert isinstance(errors[0], ConflictError)
        assert "already has its 2 assessor(s)" in str(errors[0])
    with session_scope(committed_engine) as session:
        slots = session.exec(select(AppraisalSlot)).all()
        copies = session.exec(select(Appraisal)).all()
        for study_id in studies:
            assert sorted(s.slot for s in slots if s.study_id == study_id) == [1, 2]
            assert sorted(c.slot for c in copies if c.study_id == study_id) == [1, 2]


def test_a_double_click_makes_one_slot_and_one_copy_per_result(committed_engine: Engine) -> None:
    review_id, (ana, _ben, _cai), studies = claims_review(committed_engine, STUDIES)
    for study_id in studies:
        calls = [opening(committed_engine, review_id, ana, study_id, o) for o in (PAIN, PAIN, "*")]
        assert at_once(*calls) == []
    with session_scope(committed_engine) as session:
        slots = session.exec(select(AppraisalSlot)).all()
        copies = session.exec(select(Appraisal)).all()
    assert sorted((s.study_id, s.slot, s.assessor_id) for s in slots) == [
        (study_id, 1, ana) for study_id in studies
    ]
    assert sorted((c.study_id, c.outcome_id, c.slot) for c in copies) == sorted(
        (study_id, outcome_id, 1) for study_id in studies for outcome_id in ("*", PAIN)
    )
