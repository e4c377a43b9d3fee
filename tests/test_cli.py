"""The command-line contract: exit codes, one-line errors, nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from review_app.db import make_engine, session_scope
from review_app.models import Membership, Record, Review, User
from tests.conftest import KRATOM_PROTOCOL, REPO_ROOT


def run(
    *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "review_app.cli", *args],
        input=stdin, capture_output=True, text=True, cwd=cwd, check=False, timeout=120,
    )  # fmt: skip


def test_init_creates_the_schema_and_a_review(sqlite_url: str) -> None:
    result = run("--db", sqlite_url, "init", "--protocol", str(KRATOM_PROTOCOL))
    assert result.returncode == 0, result.stderr
    assert "Created review 1: kratom-neuropathic-pain" in result.stdout
    with session_scope(make_engine(sqlite_url)) as session:
        assert session.exec(select(Review.name)).all() == ["kratom-neuropathic-pain"]


def test_users_add_reads_the_password_from_stdin(sqlite_url: str) -> None:
    run("--db", sqlite_url, "init", "--protocol", str(KRATOM_PROTOCOL))
    result = run("--db", sqlite_url, "users", "add", "ada", "--role", "lead", "--password-stdin",
                 stdin="a long passphrase\n")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Added user 'ada' as lead" in result.stdout
    with session_scope(make_engine(sqlite_url)) as session:
        user = session.exec(select(User)).one()
        assert (
            session.exec(select(Membership.role).where(Membership.user_id == user.id)).one()
            == "lead"
        )
    again = run("--db", sqlite_url, "users", "add", "ada", "--role", "reviewer")
    assert again.returncode == 0 and "User exists; set role for 'ada' as reviewer" in again.stdout


def test_errors_are_one_line_without_traceback(sqlite_url: str, tmp_path: Path) -> None:
    missing = run("--db", sqlite_url, "init", "--protocol", str(tmp_path / "none.toml"))
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: ") and "Traceback" not in missing.stderr
    no_review = run("--db", sqlite_url, "users", "add", "ada", "--role", "lead", "--password-stdin",
                    stdin="a long passphrase\n")  # fmt: skip
    assert no_review.returncode == 1 and "no review yet" in no_review.stderr
    bad_role = run("--db", sqlite_url, "users", "add", "ada", "--role", "boss", "--password-stdin")
    assert bad_role.returncode == 1 and "allowed are reviewer, lead, admin" in bad_role.stderr


def test_short_password_writes_nothing(sqlite_url: str) -> None:
    run("--db", sqlite_url, "init", "--protocol", str(KRATOM_PROTOCOL))
    result = run("--db", sqlite_url, "users", "add", "ada", "--role", "lead", "--password-stdin",
                 stdin="short\n")  # fmt: skip
    assert result.returncode == 1 and "at least 8" in result.stderr
    with session_scope(make_engine(sqlite_url)) as session:
        assert session.exec(select(User)).all() == []


def test_broken_protocol_names_each_bad_key(sqlite_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    text = KRATOM_PROTOCOL.read_text(encoding="utf-8")
    broken.write_text(text.replace("reviewers_per_record = 2", "reviewers_per_record = 0"))
    result = run("--db", sqlite_url, "init", "--protocol", str(broken))
    assert result.returncode == 1
    assert "screening.reviewers_per_record" in result.stderr and str(broken) in result.stderr


def test_unusable_database_url() -> None:
    result = run("--db", "nosuchdb://x", "init")
    assert result.returncode == 1 and "allowed: sqlite:///PATH" in result.stderr


def test_import_and_export_records(sqlite_url: str, tmp_path: Path) -> None:
    from review_app.services.demo import DEMO_SEARCHES

    run("--db", sqlite_url, "init", "--protocol", str(KRATOM_PROTOCOL))
    nbib, ris = DEMO_SEARCHES / "pubmed.nbib", DEMO_SEARCHES / "embase.ris"
    result = run("--db", sqlite_url, "import", str(nbib), "--source", "PubMed",
                 "--date-searched", "2025-03-01")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "pubmed.nbib: imported 20 records from PubMed (medline) as batch 1" in result.stdout
    again = run("--db", sqlite_url, "import", str(ris), str(nbib), "--source", "Embase")
    assert again.returncode == 1 and "already imported" in again.stderr
    with session_scope(make_engine(sqlite_url)) as session:  # the whole command was undone
        assert len(session.exec(select(Record)).all()) == 20
    out = tmp_path / "records.ris"
    exported = run("--db", sqlite_url, "export", "records", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    assert out.read_text(encoding="utf-8").count("ER  -") == 20


def test_import_reports_each_bad_record_and_writes_nothing(sqlite_url: str) -> None:
    bad = REPO_ROOT / "tests" / "data" / "imports" / "ris_missing_title.ris"
    run("--db", sqlite_url, "init", "--protocol", str(KRATOM_PROTOCOL))
    result = run("--db", sqlite_url, "import", str(bad), "--source", "Embase")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "ris_missing_title.ris, line" in result.stderr and "title" in result.stderr
    skipped = run("--db", sqlite_url, "import", str(bad), "--source", "Embase", "--skip-invalid")
    assert skipped.returncode == 0 and "skipped 1 invalid records" in skipped.stdout


def test_bad_date_is_refused(sqlite_url: str) -> None:
    run("--db", sqlite_url, "init", "--protocol", str(KRATOM_PROTOCOL))
    nbib = REPO_ROOT / "review_app" / "demo" / "searches" / "pubmed.nbib"
    result = run("--db", sqlite_url, "import", str(nbib), "--source", "PubMed",
                 "--date-searched", "March 2025")  # fmt: skip
    assert result.returncode == 1 and "YYYY-MM-DD" in result.stderr


def test_simulate_meets_the_contract(tmp_path: Path) -> None:
    dataset = tmp_path / "set.csv"
    rows = ["title,abstract,label_included"]
    rows += [
        f"Kratom for neuropathic pain trial {i},randomised mitragynine pain,1" for i in range(4)
    ]
    rows += [f"Soil erosion study {i},rainfall in catchments,0" for i in range(36)]
    dataset.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "result.json"
    result = run("simulate", str(dataset), "-o", str(out), "--seed", "3")
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert sorted(data["order"]) == list(range(40)) and data["seed"] == 3
    assert {"n_records", "n_included", "wss_at_95", "recall_at_10pct", "model"} <= set(data)
    labels = [1] * 4 + [0] * 36
    assert labels[data["order"][0]] == 1 and labels[data["order"][1]] == 0  # the two priors
    bad = tmp_path / "bad.csv"
    bad.write_text("title,abstract,label_included\nA,B,yes\n", encoding="utf-8")
    refused = run("simulate", str(bad), "-o", str(out))
    assert refused.returncode == 1 and "bad.csv, line 2" in refused.stderr


def test_prisma_exports_backup_and_restore(tmp_path: Path) -> None:
    demo = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = make_engine(demo)
    from review_app.db import migrate
    from review_app.services.demo import seed_demo

    migrate(engine)
    with session_scope(engine) as session:
        seed_demo(session)
    for suffix in ("svg", "png", "pdf", "csv"):
        result = run("--db", demo, "prisma", "-o", str(tmp_path / f"prisma.{suffix}"))
        assert result.returncode == 0, result.stderr
        # the demo is partly screened: every format says so
        assert "Provisional: screening in progress (29 records awaiting" in result.stderr
    assert (tmp_path / "prisma.pdf").read_bytes().startswith(b"%PDF")
    r_csv = (tmp_path / "prisma.csv").read_text()
    assert "Records screened (provisional: 29 awaiting a decision),Records screened" in r_csv
    for command, name in (
        ("audit", "audit.csv"),
        ("statuses", "statuses.xlsx"),
        ("included", "inc.ris"),
    ):
        assert run("--db", demo, "export", command, "-o", str(tmp_path / name)).returncode == 0
    assert run("--db", demo, "backup", "-o", str(tmp_path / "backup.zip")).returncode == 0
    empty = f"sqlite:///{tmp_path / 'restored.db'}"
    restored = run("--db", empty, "restore", str(tmp_path / "backup.zip"))
    assert restored.returncode == 0, restored.stderr
    again = run("--db", empty, "restore", str(tmp_path / "backup.zip"))
    assert again.returncode == 1 and "only into an empty database" in again.stderr
