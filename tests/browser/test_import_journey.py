"""Importing a PsycINFO export in Chromium (issue 17): the page names the source the file says,
shows where it says so, asks for a confirmation, offers PsycINFO although the protocol lacks it,
and the batches table fits the page; an undo says what it undid. Screenshots /tmp/i17_p5_*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from review_app.db import make_engine, session_scope
from review_app.models import ImportBatch
from tests.browser.conftest import serve_demo
from tests.browser.helpers import log_in, rerun, settle
from tests.browser.test_login_journey import LEAD

pytestmark = pytest.mark.browser

# Ovid's RIS export of an APA PsycInfo search, as Ovid writes its header and DB lines.
PSYCINFO_RIS = "Database: APA PsycInfo <1806 to November Week 3 2019>\n\n" + "".join(
    f"TY  - JOUR\nTI  - Self-criticism and chronic pain in adults, sample {n}\n"
    f"AU  - Trindade, Ines A\nPY  - 2019\nJO  - Clinical Psychology & Psychotherapy\n"
    f"DB  - PsycINFO\nER  - \n\n"
    for n in range(1, 4)
)
# How far each table is wider than the space it is shown in (a static table is clipped there).
OVERFLOW = """() => [...document.querySelectorAll('[data-testid=stTable]')].map(e =>
    e.querySelector('table').getBoundingClientRect().width - e.getBoundingClientRect().width)"""


def open_import_page(browser: Any, address: str, width: int) -> Any:
    page = browser.new_context(viewport={"width": width, "height": 1800}).new_page()
    page.goto(address)
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    log_in(page, LEAD.name, LEAD.password)
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_role("heading", name="Import search results").wait_for(timeout=30_000)
    settle(page)
    return page


def batches(database: str) -> list[tuple[str, str, str]]:
    with session_scope(make_engine(database)) as session:
        rows = session.exec(select(ImportBatch).order_by(ImportBatch.id)).all()
        return [(b.source_name, b.source_kind, b.status) for b in rows]


def test_a_psycinfo_export_is_named_confirmed_imported_and_undone(
    browser: Any, tmp_path: Path
) -> None:
    export = tmp_path / "export.ris"
    export.write_text(PSYCINFO_RIS, encoding="utf-8")
    with serve_demo(tmp_path, screening=True) as (address, database):
        page = open_import_page(browser, address, width=1280)
        page.locator("[data-testid=stTable]").wait_for(timeout=30_000)
        assert max(page.evaluate(OVERFLOW)) <= 1  # the batches table fits the page
        page.locator("input[type=file]").set_input_files(str(export))
        page.get_by_text("The file says PsycINFO").wait_for(timeout=30_000)
        settle(page)
        page.screenshot(path="/tmp/i17_p5_detected.png", full_page=True)
        assert page.get_by_text("RIS DB line 8: PsycINFO (and 2 more lines)").count() == 1
        assert page.get_by_text("PsycINFO is not among the protocol's search sources").count()
        assert page.get_by_role("button", name="Import 1 file(s)").count() == 0
        page.get_by_text("This file came from PsycINFO").click()
        rerun(page)
        page.get_by_role("button", name="Import 1 file(s)").click()
        page.get_by_text("Imported export.ris: 3 records from PsycINFO").wait_for(timeout=60_000)
        settle(page)
        page.screenshot(path="/tmp/i17_p5_imported.png", full_page=True)
        assert batches(database)[-1] == ("PsycINFO", "database", "active")
        assert max(page.evaluate(OVERFLOW)) <= 1
        page.get_by_text("Undo an import").click()
        page.get_by_role("button", name="Undo this import").click()
        page.get_by_text("Undid import 5 (PsycINFO, export.ris: 3 records").wait_for(timeout=30_000)
        settle(page)
        page.screenshot(path="/tmp/i17_p5_undone.png", full_page=True)
        assert batches(database)[-1] == ("PsycINFO", "database", "undone")


def test_a_narrow_window_keeps_the_batches_table_within_the_page(
    browser: Any, tmp_path: Path
) -> None:
    with serve_demo(tmp_path, screening=True) as (address, _):
        page = open_import_page(browser, address, width=900)
        page.locator("[data-testid=stTable]").wait_for(timeout=30_000)
        page.screenshot(path="/tmp/i17_p5_narrow.png", full_page=True)
        assert page.evaluate(OVERFLOW) and max(page.evaluate(OVERFLOW)) <= 1
