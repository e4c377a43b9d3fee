"""Migration 0010 (GRADE in copies) on SQLite and PostgreSQL: the placeholder ``gradeassessment``
row becomes the outcome's final copy (domains matched to GRADE's words, the rest kept in the
comments), the new table's constraints refuse a second copy in a slot, a second copy of one
judge and a judge-less judge's slot, and the downgrade gives the finals back as old rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from review_app.db import migrate
from review_app.domain.grade.content import content_from_dict
from review_app.domain.grade.model import GradeDomain, Judgement, Rating
from tests.migration_helpers import database_at, downgrade, insert, old_review

WHEN = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0009(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    yield from database_at(request, tmp_path, "0009")


def rows(engine: Engine, query: str) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(query)).mappings())


def as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def test_an_old_row_becomes_the_final_and_comes_back(at_0009: Engine) -> None:
    ids = old_review(at_0009, WHEN)
    domains = {
        "Risk of bias": {"rating": "Serious", "footnote": "Most weight from high-risk trials."},
        "imprecision": "very serious",
        "vibes": {"rating": "bad"},
        "inconsistency": {"rating": "plus_one"},  # not a rating of a downgrading domain
    }
    insert(
        at_0009, "gradeassessment", review_id=ids["review"], outcome_id="pain",
        domains=json.dumps(domains), certainty="Very low", note="Harms in case series.",
        updated_at=WHEN,
    )  # fmt: skip
    migrate(at_0009, "0010")
    [final] = rows(at_0009, "SELECT * FROM gradeassessment")
    assert (final["slot"], final["judge_id"], final["status"]) == (0, None, "in_progress")
    assert final["certainty"] == "very_low"
    content = content_from_dict(as_json(final["content"]))
    assert content.judgements == {
        GradeDomain.RISK_OF_BIAS: Judgement(
            GradeDomain.RISK_OF_BIAS, Rating.SERIOUS, "Most weight from high-risk trials."
        ),
        GradeDomain.IMPRECISION: Judgement(GradeDomain.IMPRECISION, Rating.VERY_SERIOUS, ""),
    }
    assert content.comments.splitlines() == [
        "Harms in case series.",
        'old judgement: vibes: {"rating": "bad"}',
        'old judgement: inconsistency: {"rating": "plus_one"}',
    ]
    downgrade(at_0009, "0009")
    [old] = rows(at_0009, "SELECT * FROM gradeassessment")
    assert as_json(old["domains"]) == {
        "risk_of_bias": {"rating": "serious", "footnote": "Most weight from high-risk trials."},
        "imprecision": {"rating": "very_serious", "footnote": ""},
    }
    assert old["certainty"] == "very_low" and old["note"].startswith("Harms in case series.")
    assert "sofpublication" not in inspect(at_0009).get_table_names()


def copy_row(review_id: int, slot: int, judge_id: int | None, **values: Any) -> dict[str, Any]:
    return {
        "review_id": review_id, "outcome_id": "pain", "slot": slot, "judge_id": judge_id,
        "status": "in_progress", "content": "{}", "decided": "[]", "created_at": WHEN,
        "updated_at": WHEN,
    } | values  # fmt: skip


def test_the_constraints_keep_one_copy_per_slot_and_judge(at_0009: Engine) -> None:
    ids = old_review(at_0009, WHEN)
    migrate(at_0009, "0010")
    review, ana, ben = ids["review"], ids["ana"], ids["ben"]
    insert(at_0009, "gradeassessment", **copy_row(review, 1, ana))
    insert(at_0009, "gradeassessment", **copy_row(review, 0, None, certainty="low"))
    refused = [
        copy_row(review, 1, ben),  # slot 1 is ana's
        copy_row(review, 2, ana),  # ana has a copy already
        copy_row(review, 2, None),  # a judge's slot needs the judge
        copy_row(review, 0, ben),  # the final has none
        copy_row(review, 2, ben, status="done"),
        copy_row(review, 2, ben, certainty="Very low"),
    ]
    for values in refused:
        with pytest.raises(IntegrityError):
            insert(at_0009, "gradeassessment", **values)
    insert(at_0009, "gradeassessment", **copy_row(review, 2, ben, status="complete"))
    insert(
        at_0009, "sofpublication", review_id=review, published_at=WHEN, published_by_id=ana,
        content=json.dumps({"title": "t", "rows": []}),
    )  # fmt: skip
    downgrade(at_0009, "0009")
    [final] = rows(at_0009, "SELECT * FROM gradeassessment")  # the judges' copies are dropped
    assert (final["outcome_id"], final["certainty"], as_json(final["domains"])) == (
        "pain",
        "low",
        {},
    )
    migrate(at_0009)  # and up again
    [again] = rows(at_0009, "SELECT * FROM gradeassessment")
    assert (again["slot"], again["certainty"]) == (0, "low")
