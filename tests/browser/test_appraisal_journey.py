"""Double risk-of-bias assessment in Chromium: two reviewers assess the same result on the Risk of
bias page, blind, answering every RoB 2 question and confirming each proposal; they disagree on
Domain 1 (allocation concealment: yes against no information). The lead sees the discrepancies,
starts the consensus and keeps the second assessor's items; the traffic-light plot then shows the
consensus judgement ("Some concerns" for D1 and overall)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from review_app.db import make_engine, session_scope
from review_app.domain.appraisal.plots import RobRow, render_traffic_light
from review_app.models import User
from review_app.services.appraisal import rob_tables
from review_app.services.demo import DEMO_ACCOUNTS
from review_app.services.permissions import Actor
from tests.browser.helpers import choose, open_as, rerun, serve_with_study, settle
from tests.ui.study_pages import the_review_id

pytestmark = pytest.mark.browser
LEAD, FIRST, SECOND = DEMO_ACCOUNTS
STUDY = "Journey 2022"
OUTCOME = "Pain intensity"
SHOTS = Path("/tmp/shots")
# Each question's answer taking its RoB 2 domain to Low (effect of assignment); the questions
# not listed are not asked after these answers.
LOW_ANSWERS = {
    "D1": (("1.1", "Y"), ("1.2", "Y"), ("1.3", "N")),
    "D2": (("2.1", "N"), ("2.2", "N"), ("2.6", "Y")),
    "D3": (("3.1", "Y"),),
    "D4": (("4.1", "N"), ("4.2", "N"), ("4.3", "N")),
    "D5": (("5.1", "Y"), ("5.2", "N"), ("5.3", "N")),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The demo served, with one more study (a randomised trial)."""
    folder = tmp_path_factory.mktemp("appraisal")
    with serve_with_study(folder, STUDY, design="randomised controlled trial") as served:
        yield served


def open_page(browser: Any, address: str, account: Any) -> Any:
    page = open_as(browser, address, account, "Risk of bias")
    choose(page, "Study", STUDY)
    choose(page, "Outcome", OUTCOME)
    return page


def segment(page: Any, label: str, option: str) -> None:
    """Click ``option`` of the segmented control labelled ``label`` (a question, a judgement)."""
    control = page.get_by_role("radiogroup", name=label, exact=True)
    control.get_by_role("radio", name=option, exact=True).click()
    rerun(page)


def assess(page: Any, *, concealment: str) -> None:
    """One assessor's copy: every question answered (Domain 1's 1.2 as ``concealment``), each
    proposal confirmed, the overall too; then Save and mark complete."""
    page.get_by_role("button", name="Start assessing").click()
    page.get_by_role("button", name="Save and mark complete").wait_for(timeout=30_000)
    settle(page)
    for domain, answers in LOW_ANSWERS.items():
        for number, value in answers:
            given = concealment if (domain, number) == ("D1", "1.2") else value
            segment(page, f"{number} {_question_label(page, number)}", given)
        confirm(page, f"j-{domain}")
    confirm(page, "overall")
    page.get_by_role("button", name="Save and mark complete").click()
    page.get_by_text("Saved and marked complete.").wait_for(timeout=30_000)
    settle(page)


def confirm(page: Any, judgement: str) -> None:
    """Click "Use the proposal" of a judgement (its button's key ends "confirm:<path>", which
    Streamlit writes into the element's class as "confirm-j-D1")."""
    button = page.locator(f"[class*='-confirm-{judgement}'] button")
    button.wait_for(timeout=30_000)
    button.click()
    rerun(page)


def _question_label(page: Any, number: str) -> str:
    """The label a question is shown with ("1.2 Allocation concealed until assignment")."""
    label = page.locator("[data-testid=stWidgetLabel]").filter(
        has_text=re.compile(rf"^{re.escape(number)} ")
    )
    text: str = label.first.inner_text().strip()
    return text.split(" ", 1)[1]


def plotted_svg(page: Any) -> str:
    """The traffic-light plot's SVG as the browser shows it (the first image of the page)."""
    source: str = page.locator("[data-testid=stImage] img").first.get_attribute("src")
    if source.startswith("data:image/svg+xml;base64,"):
        return base64.b64decode(source.split(",", 1)[1]).decode("utf-8")
    response = page.request.get(source if "://" in source else page.url.split("/rob")[0] + source)
    return str(response.text())


def test_two_assessors_disagree_the_lead_settles_it_and_the_plot_shows_the_consensus(
    browser: Any, server: tuple[str, str]
) -> None:
    address, database = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    first = open_page(browser, address, FIRST)
    assess(first, concealment="Y")
    first.screenshot(path=str(SHOTS / "rob_page_reviewer_form.png"), full_page=True)
    second = open_page(browser, address, SECOND)
    assess(second, concealment="NI")
    # Blind: the second assessor sees no trace of the first's copy, and no comparison.
    assert FIRST.name not in second.inner_text("body")
    assert second.get_by_text("Compare and agree").count() == 0

    lead = open_page(browser, address, LEAD)
    lead.get_by_role("button", name="Start consensus").wait_for(timeout=30_000)
    settle(lead)
    lead.screenshot(path=str(SHOTS / "rob_page_lead_comparison.png"), full_page=True)
    lead.get_by_role("button", name="Start consensus").click()
    lead.get_by_text("Settle the discrepancies (3 left)").wait_for(timeout=30_000)
    settle(lead)
    for left in (2, 1):
        lead.get_by_role("button", name=f"Keep {SECOND.name}'s").first.click()
        lead.get_by_text(f"Settle the discrepancies ({left} left)").wait_for(timeout=30_000)
        settle(lead)
    lead.get_by_role("button", name=f"Keep {SECOND.name}'s").first.click()
    lead.get_by_text("Every item is settled").wait_for(timeout=30_000)
    settle(lead)
    lead.get_by_text("Consensus plots: Pain intensity").scroll_into_view_if_needed()
    lead.screenshot(path=str(SHOTS / "rob_page_lead_consensus.png"), full_page=True)
    svg = plotted_svg(lead)
    for page in (first, second, lead):
        page.context.close()

    with session_scope(make_engine(database)) as session:
        [table] = rob_tables(
            session, actor=Actor.user(_user_id(session, LEAD.name)),
            review_id=the_review_id(session), outcome_id="pain_intensity",
        )  # fmt: skip
    concerns, low = "Some concerns", "Low"
    assert [row for row in table.rows if row.study == STUDY] == [
        RobRow(STUDY, (concerns, low, low, low, low), concerns)
    ]
    assert STUDY in svg
    assert svg == render_traffic_light(table, "svg").decode("utf-8")  # that table, drawn


def _user_id(session: Any, name: str) -> int:
    user_id = session.exec(select(User.id).where(User.name == name)).one()
    assert isinstance(user_id, int)
    return user_id
