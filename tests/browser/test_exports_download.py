"""A lead downloads the decisions as XLSX from the Exports page in Chromium: the same bytes as
`review-app export decisions -o x.xlsx` writes for the same database."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import serve_demo
from tests.browser.helpers import log_in, settle
from tests.browser.test_login_journey import LEAD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def screened_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`review-app serve` on the demo as `review-app demo` makes it (partly screened, so the
    decisions hold votes, resolutions and agreement); yields (server URL, database URL)."""
    with serve_demo(tmp_path_factory.mktemp("exports"), screening=True) as served:
        yield served


def test_a_lead_downloads_the_decisions_xlsx_with_the_command_lines_bytes(
    browser: Any, screened_server: tuple[str, str], tmp_path: Path
) -> None:
    server, database = screened_server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    log_in(page, LEAD.name, LEAD.password)
    page.get_by_role("link", name="Exports").click()
    page.get_by_role("heading", name="Decisions", exact=True).wait_for(timeout=30_000)
    settle(page)
    with page.expect_download(timeout=60_000) as download:
        page.locator(".st-key-export_decisions_xlsx").get_by_role("button").click()
    assert download.value.suggested_filename == "decisions.xlsx"
    downloaded = Path(download.value.path()).read_bytes()
    page.close()

    written = tmp_path / "x.xlsx"
    cli = subprocess.run(
        [sys.executable, "-m", "review_app.cli", "--db", database, "export", "decisions",
         "-o", str(written)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout == f"Wrote {written} (sheets: decisions, agreement).\n"
    assert downloaded.startswith(b"PK")  # a workbook (a zip), not an error page
    assert downloaded == written.read_bytes()
