"""The decisions export and agreement statistics agree with the votes cast."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from review_app.errors import PermissionDeniedError, ValidationError
from review_app.services.conflicts import resolve
from review_app.services.decisions import agreement_by_stage, decisions_rows
from review_app.services.exports.decisions import export_decisions
from review_app.services.permissions import Actor
from review_app.services.reviews import ReviewPublic
from review_app.services.screening import record_vote
from review_app.services.users import UserPublic
from tests.services.screening_helpers import import_titles

# rita, raj on 6 records: agree include x2, agree exclude x2, disagree x2 -> po = 4/6.
VOTES = [
    ("include", "include"),
    ("include", "maybe"),
    ("exclude", "exclude"),
    ("exclude", "exclude"),
    ("include", "exclude"),
    ("exclude", "maybe"),
]


@pytest.fixture
def voted(session: Session, review: ReviewPublic, team: dict[str, UserPublic]) -> list[int]:
    ids = import_titles(session, review.id, 7)
    for record_id, (a, b) in zip(ids, VOTES, strict=False):
        for name, vote in (("rita", a), ("raj", b)):
            record_vote(
                session,
                actor=Actor.user(team[name].id),
                review_id=review.id,
                record_id=record_id,
                stage="title_abstract",
                vote=vote,
                reason="wrong_design" if vote == "exclude" else None,
            )
    resolve(
        session,
        actor=Actor.user(team["lena"].id),
        review_id=review.id,
        record_id=ids[4],
        stage="title_abstract",
        vote="exclude",
        reason="wrong_population",
    )
    return ids


def test_agreement_matches_the_votes(
    session: Session, review: ReviewPublic, voted: list[int], team: dict[str, UserPublic]
) -> None:
    [pair] = agreement_by_stage(session, actor=Actor.user(team["lena"].id), review_id=review.id)
    assert (pair.stage, pair.reviewer_a, pair.reviewer_b) == ("title_abstract", "raj", "rita")
    # maybe counts as include: raj = I I E E E I, rita = I I E E I E -> 4 of 6 agree
    assert pair.agreement.n == 6 and pair.agreement.observed_agreement == pytest.approx(4 / 6)
    # pe = (3/6)(3/6) + (3/6)(3/6) = 0.5 -> kappa = (0.667 - 0.5) / 0.5 = 1/3
    assert pair.agreement.kappa == pytest.approx(1 / 3)
    with pytest.raises(PermissionDeniedError):
        agreement_by_stage(session, actor=Actor.user(team["rita"].id), review_id=review.id)


def test_decisions_table_has_every_vote_and_the_final_status(
    session: Session, review: ReviewPublic, voted: list[int]
) -> None:
    header, rows = decisions_rows(session, actor=Actor.operator(), review_id=review.id)
    table = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert len(table) == 7  # every unique record, voted or not
    first = table[voted[0]]
    assert (first["title_abstract:rita"], first["title_abstract:raj"]) == ("include", "include")
    assert first["final_status"] == "full text: unscreened"
    resolved = table[voted[4]]
    assert resolved["title_abstract:resolution"] == "exclude (wrong_population)"
    assert resolved["final_status"] == "excluded at title/abstract"
    assert table[voted[5]]["title_abstract:status"] == "conflict"
    assert table[voted[6]]["final_status"] == "title/abstract: unscreened"


def test_csv_and_xlsx_exports(session: Session, review: ReviewPublic, voted: list[int]) -> None:
    files = export_decisions(session, actor=Actor.operator(), review_id=review.id, format="csv")
    decisions = list(csv.DictReader(io.StringIO(files["decisions"].decode())))
    agreement = list(csv.DictReader(io.StringIO(files["agreement"].decode())))
    assert len(decisions) == 7 and agreement[0]["kappa"] == str(round(1 / 3, 4))
    workbook = load_workbook(
        io.BytesIO(
            export_decisions(session, actor=Actor.operator(), review_id=review.id, format="xlsx")[
                "workbook"
            ]
        )
    )
    assert workbook.sheetnames == ["decisions", "agreement"]
    assert workbook["decisions"].max_row == 8
    with pytest.raises(ValidationError, match="allowed are csv, xlsx"):
        export_decisions(session, actor=Actor.operator(), review_id=review.id, format="pdf")


def test_titles_that_look_like_formulas_are_neutralised(
    session: Session, review: ReviewPublic
) -> None:
    import_titles(session, review.id, 1, prefix="=HYPERLINK(evil)")
    files = export_decisions(session, actor=Actor.operator(), review_id=review.id, format="csv")
    assert "'=HYPERLINK" in files["decisions"].decode()
