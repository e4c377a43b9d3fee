"""The command-line contract: exit codes, one-line errors, nothing half-written."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlmodel import select

from review_app.db import make_engine, session_scope
from review_app.models import Membership, Record, Review, User
from tests.conftest import KRATOM_PROTOCOL, REPO_ROOT
from tests.database_templates import demo_sqlite

HEAVY = ("sklearn", "scipy", "numpy", "pandas", "matplotlib", "openpyxl", "streamlit")


def environment(**extra: str) -> dict[str, str]:
    """This process's environment, this checkout first on the path (a command run in another
    folder still runs this code), without a database URL unless one is given."""
    env = {k: v for k, v in os.environ.items() if k != "REVIEW_APP_DATABASE_URL"}
    return {**env, "PYTHONPATH": str(REPO_ROOT), **extra}


def run(
    *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "review_app.cli", *args], input=stdin, capture_output=True,
        text=True, cwd=cwd, env=environment(), check=False, timeout=120,
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
    stop = data["stopping"]
    assert {"target_recall", "stop_after", "recall_at_stop", "work_saved"} <= set(stop)
    assert stop["target_recall"] == 0.95 and 1 <= stop["stop_after"] <= 40
    found = sum(labels[row] for row in data["order"][: stop["stop_after"]])
    assert stop["recall_at_stop"] == found / 4
    assert stop["work_saved"] == pytest.approx(1 - stop["stop_after"] / 40)
    assert f"stop after {stop['stop_after']} records" in result.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("title,abstract,label_included\nA,B,yes\n", encoding="utf-8")
    refused = run("simulate", str(bad), "-o", str(out))
    assert refused.returncode == 1 and "bad.csv, line 2" in refused.stderr


def test_prisma_exports_backup_and_restore(tmp_path: Path) -> None:
    demo = demo_sqlite(tmp_path / "demo.db")
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


def test_the_command_line_starts_without_the_heavy_libraries() -> None:
    """`review-app --help` and the import of the CLI load no machine learning, plotting,
    spreadsheet or web library: each command imports what it uses (the start-up time is in
    bench/cli_startup.py)."""
    code = (
        "import sys\n"
        "import review_app.cli\n"
        "imported = [m for m in sys.argv[1:] if m in sys.modules]\n"
        "sys.argv = ['review-app', '--help']\n"
        "try:\n"
        "    review_app.cli.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(imported, [m for m in sys.argv[1:] if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *HEAVY],
        capture_output=True, text=True, env=environment(), check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[] []", result.stdout


@pytest.mark.parametrize(
    "command",
    [
        ("prisma", "-o", "x.png"),
        ("export", "statuses", "-o", "x.csv"),
        ("dedupe",),
        ("users", "add", "ada", "--role", "lead", "--password-stdin"),
        ("serve", "--port", "1"),
    ],
    ids=lambda command: command[0],
)
def test_a_missing_database_file_is_named_not_created(tmp_path: Path, command: tuple[str]) -> None:
    result = run(*command, cwd=tmp_path, stdin="a long passphrase\n")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("error: sqlite:///review.db: no database file")
    assert str(tmp_path / "review.db") in lines[0] and "review-app init --protocol" in lines[0]
    assert "review-app demo" in lines[0]
    assert list(tmp_path.iterdir()) == []  # no empty review.db left behind


def test_a_missing_database_points_to_the_demo_beside_it(tmp_path: Path) -> None:
    (tmp_path / "demo.db").write_bytes(b"")
    result = run("prisma", "-o", "x.png", cwd=tmp_path)
    assert result.returncode == 1
    assert f"the demo's database is here: --db sqlite:///{tmp_path / 'demo.db'}" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.db"]


def test_a_database_without_a_review_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert run("--db", url, "init").returncode == 0  # init creates the schema, no review
    result = run("--db", url, "prisma", "-o", str(tmp_path / "x.png"))
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
    assert f"error: {url} holds no review yet" in result.stderr
    assert "review-app init --protocol" in result.stderr
    assert not (tmp_path / "x.png").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _is_listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_until_up(port: int, process: subprocess.Popen[str], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server exited with {process.returncode}"
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/_stcore/health", timeout=2
            ) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"nothing answered on port {port} within {seconds} s")


def _stop_and_check_the_port_is_free(process: subprocess.Popen[str], port: int) -> None:
    """`kill PID` of the process that was started frees the port: it is the server."""
    try:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
        deadline = time.monotonic() + 5
        while _is_listening(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _is_listening(port), f"port {port} still served after kill {process.pid}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=15)


def test_kill_of_serve_frees_the_port(sqlite_url: str) -> None:
    assert run("--db", sqlite_url, "init", "--protocol", str(KRATOM_PROTOCOL)).returncode == 0
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "review_app.cli", "--db", sqlite_url, "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, env=environment(),
    )  # fmt: skip
    try:
        _wait_until_up(port, process)
    finally:
        _stop_and_check_the_port_is_free(process, port)


def test_demo_tells_how_to_reach_its_database_and_stops_on_kill(tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "review_app.cli", "demo", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path,
        env=environment(),
    )  # fmt: skip
    try:
        assert process.stdout is not None
        printed = []
        while not printed or not printed[-1].startswith("Serving on"):
            line = process.stdout.readline()
            assert line, f"demo exited before serving: {printed}"
            printed.append(line.rstrip("\n"))
        url = f"sqlite:///{tmp_path / 'demo.db'}"
        assert f"  review-app --db {url} prisma -o prisma.svg" in printed, printed
        assert f"or for every command in this shell: export REVIEW_APP_DATABASE_URL={url}" in (
            printed
        )
        _wait_until_up(port, process)
        exported = run("--db", url, "export", "statuses", "-o", str(tmp_path / "s.csv"))
        assert exported.returncode == 0, exported.stderr
    finally:
        _stop_and_check_the_port_is_free(process, port)
