"""GRADE in Chromium: a lead opens the GRADE page of a review with consensus extraction, RoB 2
judgements and a saved REML + HKSJ analysis (metafor's dat.bcg, tests/services/grade_fixtures.py),
rates the five domains of tuberculosis, saves them as complete, publishes the Summary-of-Findings
table and downloads it as a Word file, which python-docx opens; a reviewer then reads the
published table on the Summary of findings page. Screenshots: /tmp/grade_*.png."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from review_app.db import make_engine, migrate, session_scope
from tests.browser.conftest import _free_port, _wait_until_up
from tests.browser.helpers import choose, open_as, rerun, settle
from tests.services.grade_fixtures import bcg_review

pytestmark = pytest.mark.browser
SCREENSHOTS = Path("/tmp")
RATINGS = {  # the lead's rating of each domain (the explanations: the footnote drafts)
    "Risk of bias": "Serious",
    "Inconsistency": "Serious",
    "Indirectness": "Not serious",
    "Imprecision": "Not serious",
    "Publication bias": "Not serious",
}


@dataclass(frozen=True)
class Account:
    name: str
    password: str


INCONSISTENCY = (
    "Rated down one level: I² 92 %, but 11 of 13 trials favour the vaccine and the variation is "
    "mostly explained by latitude."
)
LEAD = Account("bcg-lead", "bcg-lead-password")
REVIEWER = Account("bcg-reviewer1", "bcg-reviewer1-password")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`review-app serve` on the dat.bcg review; yields its URL."""
    url = f"sqlite:///{tmp_path_factory.mktemp('grade') / 'review.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_scope(engine) as session:
        bcg_review(session)
    engine.dispose()
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "review_app.cli", "--db", url, "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(address, process)
        yield address
    finally:
        process.terminate()
        process.wait(timeout=20)


def choose_in_view(page: Any, label: str, option: str) -> None:
    """:func:`choose`, the box first scrolled to the middle of the window (at its bottom edge
    the options open outside it)."""
    page.get_by_label(label, exact=True).evaluate("e => e.scrollIntoView({block: 'center'})")
    choose(page, label, option)


def _page_is_not_wider_than_the_window(page: Any) -> None:
    """Nothing cut off: the page does not scroll sideways, and the SoF frame fits the window."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"]
    frame = page.locator("iframe").last.bounding_box()
    assert frame is not None and frame["x"] + frame["width"] <= page.viewport_size["width"]


def test_a_lead_rates_publishes_and_downloads_and_a_reviewer_reads_the_table(
    browser: Any, server: str, tmp_path: Path
) -> None:
    page = open_as(browser, server, LEAD, "GRADE")
    page.get_by_text("suggested:").first.wait_for(timeout=30_000)
    settle(page)
    page.get_by_text("Indirectness per study (PICO)").click()
    # widgets drawn the first time load their code: wait for them, not for a time
    page.get_by_text("A saved analysis", exact=True).wait_for(timeout=30_000)
    page.get_by_text("Compare the judges", exact=True).wait_for(timeout=30_000)
    page.get_by_label("Aronson 1948", exact=True).wait_for(timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "grade_top.png"))
    for domain, rating in RATINGS.items():
        choose_in_view(page, f"{domain}: your rating", rating)
    # serious where very serious is suggested: the draft footnote must be rewritten
    page.get_by_text("is the draft for the suggested 'Very serious'").wait_for(timeout=30_000)
    explanation = page.get_by_label("Inconsistency: explanation (footnote)", exact=True)
    explanation.fill(INCONSISTENCY)
    explanation.press("Tab")
    rerun(page)
    page.screenshot(path=str(SCREENSHOTS / "grade_domains.png"), full_page=True)
    page.get_by_role("button", name="Save and mark complete").click()
    rerun(page)
    page.get_by_text("Saved and marked complete.").wait_for(timeout=30_000)
    settle(page)
    page.get_by_role("button", name="Publish").click()
    rerun(page)
    page.get_by_text("Published: every member reads this table").wait_for(timeout=30_000)
    settle(page)
    frame = page.frame_locator("iframe").last
    frame.get_by_text("Tuberculosis").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # the frame takes its content's height
    page.locator("iframe").last.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "grade_sof.png"), full_page=True)
    _page_is_not_wider_than_the_window(page)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Word (DOCX)").click()
    saved = tmp_path / "sof.docx"
    download.value.save_as(saved)
    assert download.value.suggested_filename.endswith("-summary-of-findings.docx")

    from docx import Document

    document = Document(io.BytesIO(saved.read_bytes()))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert any("Tuberculosis" in text for text in cells)
    assert any("Low" in text for text in cells)  # two levels down from high
    reviewer_reads_the_published_table(browser, server)


def reviewer_reads_the_published_table(browser: Any, server: str) -> None:
    """The reviewer's Summary of findings page, after the lead published."""
    page = open_as(browser, server, REVIEWER, "Summary of findings")
    frame = page.frame_locator("iframe").last
    frame.get_by_text("Tuberculosis").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(SCREENSHOTS / "grade_sof_page.png"), full_page=True)
    _page_is_not_wider_than_the_window(page)
    page.get_by_text("Evidence profile", exact=True).click()
    rerun(page)
    frame.get_by_text("Certainty assessment").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(SCREENSHOTS / "grade_profile.png"), full_page=True)
    _page_is_not_wider_than_the_window(page)
    page.set_viewport_size({"width": 760, "height": 1400})  # a narrow window: the frame scrolls
    rerun(page)
    page.wait_for_timeout(500)
    page.screenshot(path=str(SCREENSHOTS / "grade_profile_narrow.png"), full_page=True)
    _page_is_not_wider_than_the_window(page)
    inside = page.locator("iframe").last.element_handle().content_frame()
    inside.evaluate("document.body.scrollLeft = 10000")
    assert inside.evaluate("document.body.scrollLeft") > 0  # the table scrolls sideways
    page.screenshot(path=str(SCREENSHOTS / "grade_profile_narrow_scrolled.png"), full_page=True)
