"""Pooling in Chromium: a lead opens Analyses on a review with consensus extraction of five more
studies (tests/ui/analysis_pages.py), chooses the time point, sees the studies, the forest plot
and the pooled result, and saves the analysis under a name; the saved analysis is listed as up
to date and is in the database with its choices."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from review_app.db import make_engine, session_scope
from review_app.services.analyses import list_analyses
from review_app.services.demo import DEMO_ACCOUNTS
from tests.browser.conftest import serve_demo
from tests.browser.helpers import choose, open_as, rerun, settle
from tests.ui.analysis_pages import PAIN, WEEK8, review_to_analyse
from tests.ui.study_pages import Review

pytestmark = pytest.mark.browser
LEAD = DEMO_ACCOUNTS[0]
NAME = "Pain intensity at 8 weeks"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Review]]:
    """The demo served, with the studies to analyse and their consensus extraction."""
    with serve_demo(tmp_path_factory.mktemp("analyses"), screening=False) as (address, url):
        yield address, review_to_analyse(url)


def test_a_lead_runs_sees_the_forest_plot_and_saves(
    browser: Any, server: tuple[str, Review]
) -> None:
    address, review = server
    page = open_as(browser, address, LEAD, "Analyses")
    choose(page, "Time point", WEEK8)
    page.get_by_text("The pooled result of 3 studies is MD -1.44").wait_for(timeout=30_000)
    forest = page.locator("[data-testid=stImage] img").first
    forest.wait_for(timeout=30_000)
    assert forest.get_attribute("src").startswith("data:image/svg+xml")
    assert forest.bounding_box()["width"] > 500  # drawn, at a readable size
    assert page.get_by_text("Left out (2)").is_visible()  # no SD; indirect evidence
    assert page.get_by_role("button", name=re.compile(r"Download forest plot \(PDF\)")).is_visible()
    page.get_by_label("Name of the analysis").fill(NAME)
    page.get_by_role("button", name="Save analysis").click()
    rerun(page)
    page.get_by_text(f"Saved the analysis '{NAME}'.").wait_for(timeout=30_000)
    settle(page)
    page.get_by_text("up to date", exact=True).wait_for(timeout=30_000)  # in the saved list
    page.screenshot(path=str(Path("/tmp") / "analyses-journey.png"), full_page=True)
    with session_scope(make_engine(review.url)) as session:
        (saved,) = list_analyses(session, actor=review.actor("lead"), review_id=review.review_id)
        assert (saved.name, saved.spec.outcome_id, saved.spec.timepoint) == (NAME, PAIN, WEEK8)
        assert not saved.stale
