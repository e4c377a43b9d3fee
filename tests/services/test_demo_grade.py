"""The demo's GRADE assessment and published Summary-of-Findings table: the kratom evidence as it
stands, never an effect it does not show."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from review_app.domain.grade.model import Certainty, GradeDomain, Rating
from review_app.domain.grade.sof import sof_json
from review_app.domain.vocabulary import ExtractionStatus
from review_app.services.demo import seed_demo
from review_app.services.demo_grade import COMMENTS
from review_app.services.demo_screening import lead_actor
from review_app.services.grade import list_outcomes, published
from review_app.services.permissions import Actor
from review_app.services.reviews import get_protocol
from tests.conftest import shared_data

# What a statement may not say of an outcome whose certainty is very low (GRADE guidance 26).
CLAIMS = (" reduces ", " increases ", " improves ", " results in ", " probably ", " may ")


@pytest.fixture(scope="module")
def table_json(engine: Engine) -> Iterator[list[dict]]:
    """The demo seeded once per database for the module (seeding takes seconds), rolled back."""
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            review = seed_demo(session)
            # The published table, as a reviewer (not only a lead) reads it.
            reader = Actor.user(_reviewer(session))
            table = published(session, actor=reader, review_id=review.id)
            assert table is not None, "the demo publishes its Summary-of-Findings table"
            rows = sof_json(table)
            order = _critical_first(get_protocol(session, review.id))
            assert [row["outcome_id"] for row in rows] == order
            # The lead marked every final complete (the GRADE page lists none in progress).
            lead = lead_actor(session, review.id)
            views = list_outcomes(session, actor=lead, review_id=review.id)
            assert {view.final_status for view in views} == {ExtractionStatus.COMPLETE}
            yield rows
        finally:
            session.close()
            transaction.rollback()


def _reviewer(session: Session) -> int:
    from review_app.services.demo_screening import user_actor

    actor = user_actor(session, "reviewer1")
    assert actor.user_id is not None
    return actor.user_id


def _critical_first(protocol: object) -> list[str]:
    outcomes = protocol.outcomes  # type: ignore[attr-defined]
    order = {"critical": 0, "important": 1, "not_important": 2}
    return [o.id for o in sorted(outcomes, key=lambda o: order[o.importance])]


def test_no_certainty_above_very_low_and_no_effect_claimed(table_json: list[dict]) -> None:
    for row in table_json:
        assert row["certainty"] in (None, Certainty.VERY_LOW.value), row["outcome_id"]
        if row["certainty"] is None:
            assert row["studies"] == 0
            assert row["statement"] == "No studies were found that measured this outcome."
        statement = f" {row['statement'].lower()} "
        assert not any(claim in statement for claim in CLAIMS), row["statement"]


def test_every_critical_outcome_is_a_row_and_only_pain_has_the_indirect_study(
    table_json: list[dict],
) -> None:
    with_studies = [row for row in table_json if row["studies"]]
    assert [row["outcome_id"] for row in with_studies] == ["pain_intensity"]
    pain = with_studies[0]
    assert pain["participants"] == 26  # a crossover: 26 men in both arms
    assert pain["relative_effect"] is None and pain["mean_difference"] is None  # no SD: no CI
    assert "indirect evidence" in " ".join(pain["footnotes"]).lower()
    domains = pain["domains"]
    for domain in (GradeDomain.INDIRECTNESS, GradeDomain.IMPRECISION):
        assert domains[domain.value]["final"] == Rating.VERY_SERIOUS.value
        assert domains[domain.value]["footnote"]  # the reason, in the table's footnotes
    critical = [row for row in table_json if row["importance"] == "critical"]
    assert len(critical) == 5 and all(row["studies"] == 0 for row in critical[1:])


def test_harms_comments_cite_records_of_the_kratom_record_set(table_json: list[dict]) -> None:
    path = shared_data("kratom", "records.jsonl")
    records = {json.loads(line)["record_id"]: json.loads(line) for line in _lines(path)}
    comments = {row["outcome_id"]: row["comments"] for row in table_json}
    for outcome_id, text in COMMENTS.items():
        assert comments[outcome_id] == text
        cited = set(re.findall(r"kratom-\d{3}", text))
        assert cited, outcome_id
        for record_id in cited:
            assert records[record_id]["population"] == "human", record_id


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
