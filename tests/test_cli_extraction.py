"""`review-app export extraction` and `review-app import extraction --as USER`: the file written
is read back to the same copies (the same bytes when written again); problems are listed, one a
line, with exit code 1 and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from review_app.cli import app
from review_app.db import make_engine, session_scope
from review_app.domain.extraction.model import Arm, Result, StudyExtraction
from review_app.domain.vocabulary import ArmRole
from review_app.errors import ReviewAppError
from review_app.services.extraction import read_copies, replace_copies
from review_app.services.permissions import Actor
from review_app.services.reviews import add_member, create_review
from review_app.services.studies import create_study
from review_app.services.users import create_user
from tests.conftest import KRATOM_PROTOCOL
from tests.database_templates import migrated_sqlite
from tests.services.screening_helpers import import_titles

COPY = StudyExtraction(
    study="Lee 2021",
    extractor="rita",
    characteristics={"country": "Thailand"},
    arms=(Arm("Kratom", ArmRole.INTERVENTION, "tea", 30), Arm("Usual care", ArmRole.COMPARATOR)),
    results=(
        Result("pain_intensity", "4 weeks", "Kratom", "mean_sd", {"n": 30, "mean": 4.5, "sd": 2}),
        Result(
            "adverse_events", "4 weeks", "Usual care", "events_total", {"events": 3, "total": 29}
        ),
    ),
)


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A review with a lead (lena), a reviewer (rita) and one study with rita's copy."""
    url = migrated_sqlite(tmp_path / "review.db")
    engine = make_engine(url)
    with session_scope(engine) as session:
        review = create_review(session, protocol_path=KRATOM_PROTOCOL, name="kratom")
        for name, role in (("lena", "lead"), ("rita", "reviewer")):
            user = create_user(session, name=name, password=f"{name}-password")
            add_member(session, actor=Actor.operator(), review_id=review.id, user_id=user.id,
                       role=role)  # fmt: skip
        [record] = import_titles(session, review.id, 1)
        create_study(session, actor=Actor.operator(), review_id=review.id, label="Lee 2021",
                     record_ids=[record])  # fmt: skip
        replace_copies(session, actor=Actor.operator(), review_id=review.id, copies=[COPY])
    engine.dispose()
    return url


def run(*args: str) -> tuple[int, str]:
    """The exit code and the output, or the error's message (which ``review_app.cli.main``
    prints after "error: ") when the command failed."""
    result = CliRunner().invoke(app, list(args), prog_name="review-app", env={"COLUMNS": "200"})
    if isinstance(result.exception, ReviewAppError):
        return 1, str(result.exception)
    return result.exit_code, result.output


def copies(url: str) -> list[StudyExtraction]:
    with session_scope(make_engine(url)) as session:
        return read_copies(session, actor=Actor.operator(), review_id=1, values="all")


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_exported_then_imported_as_a_lead_is_the_same(
    database: str, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"extraction.{suffix}"
    code, output = run("--db", database, "export", "extraction", "-o", str(out), "--values", "all")
    assert code == 0, output
    assert output.startswith(f"Wrote {out} (values all")
    assert run("--db", database, "import", "extraction", str(out), "--as", "lena") == (
        0,
        f"{out.name}: imported 1 extraction copy of 1 study (2 arms, 2 results).\n",
    )
    assert copies(database) == [COPY]
    again = tmp_path / f"again.{suffix}"
    assert (
        run("--db", database, "export", "extraction", "-o", str(again), "--values", "all")[0] == 0
    )
    assert again.read_bytes() == out.read_bytes()


def test_the_consensus_copies_are_the_default(database: str, tmp_path: Path) -> None:
    out = tmp_path / "consensus.csv"
    assert run("--db", database, "export", "extraction", "-o", str(out))[0] == 0
    assert out.read_text(encoding="utf-8-sig").splitlines()[1:] == []  # no consensus copy yet
    assert "--values" in run("export", "extraction", "--help")[1]


def test_problems_are_listed_one_a_line_and_nothing_is_written(
    database: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "study,extractor,arm,arm_role,outcome,format,sd\n"
        "Lee 2021,rita,Kratom,intervention,,,\n"
        "Lee 2021,rita,Kratom,,pain_intensity,mean_sd,-2\n"
        "Nobody 1999,rita,A,placebo,,,\n",
        encoding="utf-8",
    )
    code, output = run("--db", database, "import", "extraction", str(bad), "--as", "lena")
    assert code == 1
    assert output.splitlines() == [
        "bad.csv: nothing was imported; 3 problem(s):",
        "  - bad.csv: row 3, column sd: SD must be above 0 (got -2).",
        "  - bad.csv: row 4, column arm_role: 'placebo' is not allowed; allowed are "
        "intervention, comparator",
        "  - bad.csv: row 4, column study: 'Nobody 1999' is not a study of this review; its "
        "studies: Lee 2021",
    ]
    assert copies(database) == [COPY]


def test_the_importer_must_be_a_lead_and_a_user(database: str, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    run("--db", database, "export", "extraction", "-o", str(out), "--values", "all")
    code, output = run("--db", database, "import", "extraction", str(out), "--as", "rita")
    assert code == 1 and "lead" in output
    code, output = run("--db", database, "import", "extraction", str(out), "--as", "zoe")
    assert (code, output) == (1, "no user named 'zoe'; add one with: review-app users add NAME")
    code, output = run("--db", database, "import", "extraction", str(tmp_path / "none.csv"),
                       "--as", "lena")  # fmt: skip
    assert code == 1 and "cannot read the file" in output
