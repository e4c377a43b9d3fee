"""A real `review-app serve` on a temporary database, driven by Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.database_templates import demo_sqlite

CHROMIUM = Path("/usr/bin/chromium")
SERVER_DATABASES: dict[str, str] = {}  # server URL -> its database URL, for checks from outside
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"review-app serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's Chromium at /usr/bin/chromium")
        pytest.skip("Debian's Chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def serve_demo(folder: Path, *, screening: bool) -> Iterator[tuple[str, str]]:
    """`review-app serve` on a fresh demo database in ``folder`` (partly screened or not; a copy
    of the process's seeded demo); yields (server URL, database URL) and stops the server
    afterwards."""
    url = demo_sqlite(folder / "review.db", screening=screening)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "review_app.cli", "--db", url, "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(address, process)
        yield address, url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo review served by `review-app serve` on a free port; yields its URL. A clean
    slate: every journey starts unscreened."""
    with serve_demo(tmp_path_factory.mktemp("server"), screening=False) as (address, url):
        SERVER_DATABASES[address] = url
        yield address
