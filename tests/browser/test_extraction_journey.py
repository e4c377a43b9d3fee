"""Double extraction in Chromium: two reviewers extract the same study on the Extraction page,
blind, and differ in one number; the lead sees the discrepancy, starts the consensus and keeps
one extractor's value; `review-app export extraction` then carries the consensus value."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from review_app.protocol import load_protocol
from review_app.services.demo import DEMO_ACCOUNTS, DEMO_PROTOCOL
from tests.browser.helpers import choose, open_as, rerun, serve_with_study, settle

pytestmark = pytest.mark.browser
LEAD, FIRST, SECOND = DEMO_ACCOUNTS
STUDY = "Journey 2022"
SHOTS = Path("/tmp/shots")
SAVE = re.compile(r"^Save(?! and)")  # "Save" with its Ctrl+S hint, not "Save and mark complete"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The demo served, with one more study."""
    with serve_with_study(tmp_path_factory.mktemp("extraction"), STUDY) as served:
        yield served


def open_extraction(browser: Any, address: str, account: Any) -> Any:
    page = open_as(browser, address, account, "Extraction")
    choose(page, "Study", STUDY)
    return page


def type_in(page: Any, label: str, text: str, *, nth: int = 0) -> None:
    """Type into a text field and press Enter, which commits it (and submits a small form)."""
    field = page.get_by_role("textbox", name=label, exact=True).nth(nth)
    field.fill(text)
    field.press("Enter")
    rerun(page)


def enter_copy(page: Any, *, kratom_mean: str) -> None:
    """One extractor's copy: the required characteristics, two arms, the pain result at 1 hour
    for the kratom arm (the placebo arm's left empty), then Save and mark complete."""
    page.get_by_role("button", name="Start extracting this study").click()
    page.get_by_role("button", name=SAVE).wait_for(timeout=30_000)
    settle(page)
    required = {
        f.label: f for f in load_protocol(DEMO_PROTOCOL).extraction_fields if f.required
    }  # the demo protocol's required fields, by label
    for label, field in required.items():
        if field.type == "choice":
            choose(page, f"{label} *", field.choices[0])
        else:
            type_in(page, f"{label} *", "26" if field.type == "integer" else "as reported")
    page.get_by_role("tab", name="Design and arms").click()
    type_in(page, "New arm's label", "Kratom")
    type_in(page, "New arm's label", "Placebo")
    page.get_by_role("tab", name="Results").click()
    page.get_by_text("Pain intensity (continuous").click()
    type_in(page, "Time point", "1 hour")  # the per-arm form: Mean and SD, both arms
    for label, value in (("n", "26"), ("Mean", kratom_mean), ("SD", "1.2")):
        type_in(page, label, value)  # the first result is the kratom arm's
    page.get_by_text("Derived: n = 26").wait_for(timeout=20_000)
    page.get_by_role("button", name="Save and mark complete").click()
    page.get_by_text("Saved and marked complete.").wait_for(timeout=30_000)


def test_two_extractors_differ_the_lead_keeps_one_value_and_the_export_has_it(
    browser: Any, server: tuple[str, str], tmp_path: Path
) -> None:
    address, database = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    first = open_extraction(browser, address, FIRST)
    enter_copy(first, kratom_mean="4.5")
    first.screenshot(path=str(SHOTS / "extraction-reviewer-form.png"))
    second = open_extraction(browser, address, SECOND)
    enter_copy(second, kratom_mean="4.8")
    # Blind: the second extractor sees no trace of the first's copy, and no comparison.
    assert FIRST.name not in second.inner_text("body")
    assert second.get_by_text("Compare and agree").count() == 0

    lead = open_extraction(browser, address, LEAD)
    lead.get_by_text("Compare and agree", exact=True).click()
    lead.get_by_role("button", name="Start consensus").wait_for(timeout=30_000)
    settle(lead)
    lead.get_by_role("button", name="Start consensus").click()
    lead.get_by_text("Settle the discrepancies (1 left)").wait_for(timeout=30_000)
    settle(lead)
    lead.screenshot(path=str(SHOTS / "extraction-lead-discrepancy.png"), full_page=True)
    lead.get_by_role("button", name=f"Keep {FIRST.name}'s").click()
    lead.get_by_text("Every item is settled").wait_for(timeout=30_000)
    settle(lead)
    lead.screenshot(path=str(SHOTS / "extraction-lead-consensus.png"))
    for page in (first, second, lead):
        page.context.close()

    written = tmp_path / "extraction.csv"
    cli = subprocess.run(
        [sys.executable, "-m", "review_app.cli", "--db", database, "export", "extraction",
         "-o", str(written)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    with written.open(encoding="utf-8-sig", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["study"] == STUDY]
    kratom = [row for row in rows if row["arm"] == "Kratom" and row["outcome"] == "pain_intensity"]
    assert [(row["extractor"], row["timepoint"], row["mean"]) for row in kratom] == [
        ("", "1 hour", "4.5")
    ]
