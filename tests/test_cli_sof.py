"""`review-app sof -o PATH.docx|.html|.csv|.json [--profile] [--as USER]` on a review built from
dat.bcg: the registry's bytes, what the message says, and refusals with exit code 1 that
write nothing (a suffix it does not write; a member who is not a lead while nothing is
published; a user who does not exist)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from review_app.cli import app
from review_app.db import make_engine, migrate, session_scope
from review_app.services.exports import EXPORTS
from review_app.services.exports.sof import NOT_PUBLISHED
from review_app.services.permissions import Actor
from tests.services.grade_fixtures import BCG_OUTCOME, NO_STUDY_OUTCOMES, bcg_review


@pytest.fixture(scope="module")
def bcg_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sof') / 'bcg.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_scope(engine) as session:
        bcg_review(session)
    engine.dispose()
    return url


def run(*args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, list(args), prog_name="review-app", env={"COLUMNS": "200"})
    exception = result.exception if result.exit_code else None
    return result.exit_code, result.output, exception


def registry_bytes(url: str, format: str, *, profile: bool = False) -> bytes:
    with session_scope(make_engine(url)) as session:
        (file,) = EXPORTS["sof"].make(
            session, actor=Actor.operator(), review_id=1, format=format, profile=profile
        )
    return file.data


def test_the_command_writes_the_registrys_table_and_says_what_it_holds(
    bcg_db: str, tmp_path: Path
) -> None:
    page = tmp_path / "sof.html"
    code, output, _ = run("--db", bcg_db, "sof", "-o", str(page))
    assert code == 0
    assert output == (
        f"Wrote {page} (Summary of findings, 3 outcomes, 1 not yet rated, draft, not published).\n"
    )
    assert page.read_bytes() == registry_bytes(bcg_db, "html")
    profile = tmp_path / "profile.HTML"  # the suffix in any case
    assert run("--db", bcg_db, "sof", "-o", str(profile), "--profile")[0] == 0
    assert profile.read_bytes() == registry_bytes(bcg_db, "html", profile=True)
    assert b"<h1>Evidence profile: " in profile.read_bytes()
    table = tmp_path / "sof.json"
    assert run("--db", bcg_db, "sof", "-o", str(table))[0] == 0
    outcomes = [item["outcome_id"] for item in json.loads(table.read_text(encoding="utf-8"))]
    assert outcomes[0] == BCG_OUTCOME and set(NO_STUDY_OUTCOMES) <= set(outcomes)
    document = tmp_path / "sub" / "sof.docx"  # its folder is made
    assert run("--db", bcg_db, "sof", "-o", str(document), "--as", "bcg-lead")[0] == 0
    assert document.read_bytes().startswith(b"PK")


def test_a_suffix_the_export_does_not_write_is_refused(bcg_db: str, tmp_path: Path) -> None:
    out = tmp_path / "sof.pdf"
    code, _, error = run("--db", bcg_db, "sof", "-o", str(out))
    assert code == 1
    assert str(error) == (
        f"{out}: the sof export writes PATH.docx, PATH.html, PATH.csv or PATH.json"
    )
    assert not out.exists()


def test_a_member_who_is_not_a_lead_gets_nothing_while_nothing_is_published(
    bcg_db: str, tmp_path: Path
) -> None:
    out = tmp_path / "sof.docx"
    code, _, error = run("--db", bcg_db, "sof", "-o", str(out), "--as", "bcg-reviewer1")
    assert (code, str(error)) == (1, NOT_PUBLISHED)
    assert not out.exists()
    code, _, error = run("--db", bcg_db, "sof", "-o", str(out), "--as", "nobody")
    assert code == 1 and "nobody" in str(error)
    assert not out.exists()
