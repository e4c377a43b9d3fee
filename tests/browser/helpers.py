"""What the browser tests do on every page: log in, open a page, pick in a select box, wait for
Streamlit to finish a run; and the demo served with one more study."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.browser.conftest import serve_demo
from tests.ui.study_pages import add_study

# Streamlit marks its root element with the state of the script run; a keyboard shortcut only
# works once the run that draws its button has finished.
IDLE_APP = "[data-testid=stApp][data-test-script-state=notRunning]"


def log_in(page: Any, name: str, password: str) -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def settle(page: Any, timeout: float = 30_000) -> None:
    """Wait until the page's script run is over (every element drawn, every shortcut bound)."""
    page.locator(IDLE_APP).wait_for(state="attached", timeout=timeout)


def open_as(browser: Any, address: str, account: Any, page_name: str) -> Any:
    """A new browser tab logged in as ``account`` on the page the menu calls ``page_name``
    (its heading too), the run over."""
    page = browser.new_context(viewport={"width": 1400, "height": 2200}).new_page()
    page.goto(address)
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    log_in(page, account.name, account.password)
    page.get_by_role("link", name=page_name).click()
    page.get_by_role("heading", name=page_name).wait_for(timeout=30_000)
    settle(page)
    return page


def choose(page: Any, label: str, option: str) -> None:
    """Pick ``option`` in the select box labelled ``label``."""
    page.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    rerun(page)


def rerun(page: Any, wait_ms: float = 400) -> None:
    page.wait_for_timeout(wait_ms)  # let the run the last action started begin
    settle(page)


@contextmanager
def serve_with_study(
    folder: Path, label: str, *, design: str | None = None
) -> Iterator[tuple[str, str]]:
    """The demo served (unscreened) with one more study made as a lead makes it on the Studies
    page; yields (server URL, database URL)."""
    with serve_demo(folder, screening=False) as (address, url):
        add_study(url, label, design=design)
        yield address, url
