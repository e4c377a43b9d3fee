"""What the browser tests do on every page: log in, and wait for Streamlit to finish a run."""

from __future__ import annotations

from typing import Any

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
