"""`review-app import decisions PATH` beside `review-app import FILE... --source NAME`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select

from review_app.db import make_engine, session_scope
from review_app.models import AuditEvent, Decision, Record, Resolution, Study
from tests.conftest import KRATOM_PROTOCOL
from tests.test_cli import run

SEARCH = """id,doi,pmid,authors,year,title
S1,10.1000/k1,1001,"Author1, A",2011,Kratom study 1
S2,10.1000/k2,1002,"Author2, B",2012,Kratom study 2
S3,10.1000/k3,1003,"Author3, C",2013,Kratom study 3
"""
DECISIONS = """Record,Reviewer,Stage,Vote,Reason,Kind
S1,rita,title_abstract,include,,
S1,raj,title_abstract,include,,
10.1000/k2,rita,title_abstract,include,,
10.1000/k2,raj,title_abstract,exclude,,
1002,lena,title_abstract,include,,resolution
S3,rita,title_abstract,exclude,,
S3,raj,title_abstract,exclude,,
S1,rita,full_text,include,,
S1,raj,full_text,include,,
S2,rita,full_text,exclude,wrong_design,
S2,raj,full_text,exclude,Wrong outcomes (none of this review's outcomes was measured),
"""


@pytest.fixture
def database(sqlite_url: str, tmp_path: Path) -> str:
    """A review with a lead (lena), two reviewers and three records imported the usual way."""
    assert run("--db", sqlite_url, "init", "--protocol", str(KRATOM_PROTOCOL)).returncode == 0
    for name, role in (("lena", "lead"), ("rita", "reviewer"), ("raj", "reviewer")):
        added = run(
            "--db", sqlite_url, "users", "add", name, "--role", role, "--password-stdin",
            stdin="a long passphrase\n",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
    search = tmp_path / "pubmed.csv"
    search.write_text(SEARCH, encoding="utf-8")
    imported = run("--db", sqlite_url, "import", str(search), "--source", "PubMed")
    assert imported.returncode == 0, imported.stderr
    assert "pubmed.csv: imported 3 records from PubMed (csv)" in imported.stdout
    return sqlite_url


def counts(url: str) -> tuple[int, ...]:
    with session_scope(make_engine(url)) as session:
        return tuple(
            session.exec(select(func.count()).select_from(table)).one()
            for table in (Decision, Resolution, Study, AuditEvent)
        )


def test_decisions_are_imported_as_the_people_named(database: str, tmp_path: Path) -> None:
    path = tmp_path / "rayyan.csv"
    path.write_bytes(b"\xef\xbb\xbf" + DECISIONS.encode("utf-8"))  # Excel's UTF-8 BOM
    result = run("--db", database, "import", "decisions", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "rayyan.csv: imported votes 6 at title/abstract, 4 at full text and resolutions 1 at "
        "title/abstract, by lena, raj, rita.",
        "Released 2 title/abstract outcomes to the reviewers (the file has full-text decisions, "
        "so the team knew them).",
        "Made 1 study: Author1 2011.",
    ]
    decisions, resolutions, studies, _ = counts(database)
    assert (decisions, resolutions, studies) == (10, 1, 1)
    exported = tmp_path / "decisions.csv"
    assert run("--db", database, "export", "decisions", "-o", str(exported)).returncode == 0
    assert "wrong_outcomes" in exported.read_text(encoding="utf-8")


def test_a_bad_file_lists_every_problem_and_writes_nothing(database: str, tmp_path: Path) -> None:
    path = tmp_path / "votes.csv"
    path.write_text(
        "record;reviewer;stage;vote\n"
        "S9;rita;title_abstract;include\n"
        "S1;ringo;title_abstract;include\n"
        "S1;rita;full_text;include\n",
        encoding="utf-8",
    )
    before = counts(database)
    result = run("--db", database, "import", "decisions", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "error: votes.csv: nothing was imported; 3 problem(s):"
    assert lines[1].startswith("  - votes.csv, line 2, record: 'S9': no record of this review")
    assert lines[2].startswith("  - votes.csv, line 3, reviewer: 'ringo' is not a member")
    assert lines[3].startswith("  - votes.csv, line 4, stage: record 1 has not passed")
    assert counts(database) == before


def test_search_results_still_import_with_or_without_the_word_records(
    database: str, tmp_path: Path
) -> None:
    more = tmp_path / "embase.csv"
    more.write_text("id,title\nE1,Another kratom study\n", encoding="utf-8")
    options_first = run("--db", database, "import", "--source", "Embase", str(more))
    assert options_first.returncode == 0, options_first.stderr
    again = tmp_path / "scopus.csv"
    again.write_text("id,title\nC1,A third kratom study\n", encoding="utf-8")
    named = run("--db", database, "import", "records", str(again), "--source", "Scopus")
    assert named.returncode == 0, named.stderr
    with session_scope(make_engine(database)) as session:
        assert session.exec(select(func.count()).select_from(Record)).one() == 5


def test_import_lists_its_commands_and_a_missing_file_is_named(
    database: str, tmp_path: Path
) -> None:
    shown = run("import", "--help")
    assert shown.returncode == 0 and "records" in shown.stdout and "decisions" in shown.stdout
    missing = run("--db", database, "import", "decisions", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1
    assert f"error: {tmp_path / 'nope.csv'}: cannot read the file" in missing.stderr
