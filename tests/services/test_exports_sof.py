"""The sof export on a review built from dat.bcg (tests/services/grade_fixtures.py): leads get
the current table, other members the published one or a refusal in words; each format's file
says what the table says (its cells are ``domain/grade/text.py``'s words); the JSON is
``sof_json``'s."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import docx
import pytest
from sqlmodel import Session

from review_app.domain.grade.model import GradeDomain, Judgement, Rating
from review_app.domain.grade.sof import sof_json
from review_app.domain.grade.text import NO_STUDIES, participants_text, relative_text
from review_app.errors import NotFoundError, PermissionDeniedError, ValidationError
from review_app.services import grade
from review_app.services.exports import EXPORTS, MEDIA_TYPES
from review_app.services.exports.sof import NOT_PUBLISHED
from review_app.services.permissions import Actor
from review_app.services.users import create_user
from tests.services.grade_fixtures import BCG_OUTCOME, BcgReview, bcg_review


@pytest.fixture
def bcg(session: Session) -> BcgReview:
    return bcg_review(session)


def make(session: Session, actor: Actor, review_id: int, format: str, **options: object) -> bytes:
    (file,) = EXPORTS["sof"].make(
        session, actor=actor, review_id=review_id, format=format, **options
    )
    return file.data


def finalise(session: Session, bcg: BcgReview) -> None:
    """The lead takes every suggestion as the final judgement (its footnote draft as the
    explanation), so that the table can be published."""
    for view in grade.list_outcomes(session, actor=bcg.lead, review_id=bcg.review_id):
        judgements = {
            domain: Judgement(
                domain,
                suggestion.rating or (Rating.NO_UPGRADE if domain.is_upgrade else Rating.SERIOUS),
                suggestion.footnote or f"{domain.label}: judged by the lead.",
            )
            for domain, suggestion in view.suggestions.items()
        }
        content = replace(view.final or view.content, judgements=judgements)
        grade.save_content(
            session,
            actor=bcg.lead,
            review_id=bcg.review_id,
            outcome_id=view.outcome_id,
            content=content,
            final=True,
        )


def test_the_registry_lists_the_sof_export_with_its_formats() -> None:
    export = EXPORTS["sof"]
    assert export.words == ("sof",)
    assert export.formats == ("docx", "html", "csv", "json")
    assert all(format in MEDIA_TYPES for format in export.formats)
    assert export.function == "sof:summary_of_findings"


def test_a_lead_gets_the_current_table_in_each_format(session: Session, bcg: BcgReview) -> None:
    table = grade.summary_of_findings(session, actor=bcg.lead, review_id=bcg.review_id)
    tb = next(row.grade for row in table.rows if row.grade.evidence.outcome_id == BCG_OUTCOME)
    assert tb.relative is not None

    document = docx.Document(io.BytesIO(make(session, bcg.lead, bcg.review_id, "docx")))
    (word,) = document.tables
    texts = [c.text for row in word.rows for c in row.cells]
    assert relative_text(tb.relative) in texts
    assert participants_text(tb.evidence) in texts
    assert NO_STUDIES in texts  # the protocol's outcomes no study measured stay in the table
    assert "Draft: the current judgements, not published." in [p.text for p in document.paragraphs]

    page = make(session, bcg.lead, bcg.review_id, "html").decode("utf-8")
    assert relative_text(tb.relative) in page and "<caption>" in page

    rows = list(
        csv.DictReader(
            io.StringIO(make(session, bcg.lead, bcg.review_id, "csv").decode("utf-8-sig"))
        )
    )
    assert rows[0]["outcome_id"] == BCG_OUTCOME
    assert {r["outcome_id"] for r in rows} == {row.grade.evidence.outcome_id for row in table.rows}

    data = json.loads(make(session, bcg.lead, bcg.review_id, "json"))
    assert data == json.loads(json.dumps(sof_json(table)))
    assert [item["outcome_id"] for item in data] == [
        row.grade.evidence.outcome_id for row in table.rows
    ]


def test_the_evidence_profile_rates_each_domain(session: Session, bcg: BcgReview) -> None:
    finalise(session, bcg)
    table = grade.summary_of_findings(session, actor=bcg.lead, review_id=bcg.review_id)
    tb = next(row for row in table.rows if row.grade.evidence.outcome_id == BCG_OUTCOME)
    rob = next(d for d in tb.grade.domains if d.domain is GradeDomain.RISK_OF_BIAS)
    assert rob.rating is not None
    document = docx.Document(
        io.BytesIO(make(session, bcg.lead, bcg.review_id, "docx", profile=True))
    )
    texts = [c.text for row in document.tables[0].rows for c in row.cells]
    marks = ",".join(str(n) for n in tb.domain_footnotes.get(GradeDomain.RISK_OF_BIAS, ()))
    assert f"{rob.rating.label.lower()}{marks}" in texts
    assert "Certainty assessment" in texts
    profile = list(
        csv.DictReader(
            io.StringIO(
                make(session, bcg.lead, bcg.review_id, "csv", profile=True).decode("utf-8-sig")
            )
        )
    )
    assert profile[0]["risk_of_bias"] == rob.rating.value


def test_a_reviewer_gets_the_published_table_and_a_refusal_before(
    session: Session, bcg: BcgReview
) -> None:
    reviewer = bcg.reviewers[0]
    with pytest.raises(NotFoundError) as refused:
        make(session, reviewer, bcg.review_id, "html")
    assert str(refused.value) == NOT_PUBLISHED
    finalise(session, bcg)
    published = grade.publish(session, actor=bcg.lead, review_id=bcg.review_id)
    page = make(session, reviewer, bcg.review_id, "html").decode("utf-8")
    assert f"Published {published.published_at[:10]}" in page  # type: ignore[index]
    stored = grade.published(session, actor=reviewer, review_id=bcg.review_id)
    assert stored is not None
    assert json.loads(make(session, reviewer, bcg.review_id, "json")) == json.loads(
        json.dumps(sof_json(stored))
    )


def test_a_wrong_format_and_a_stranger_are_refused(session: Session, bcg: BcgReview) -> None:
    with pytest.raises(ValidationError, match="format 'pdf': allowed are docx, html, csv, json"):
        make(session, bcg.lead, bcg.review_id, "pdf")
    stranger = create_user(session, name="stranger", password="stranger-password")
    with pytest.raises(PermissionDeniedError, match="not a member of this review"):
        make(session, Actor.user(stranger.id), bcg.review_id, "docx")
