"""Two `review-app serve` processes on one PostgreSQL database behave as one (docs/deploy.md).

Reviewer 1 screens on the first server, reviewer 2 on the second, each in a browser context of
their own: both get the same records, neither sees the other's vote, a disagreement is a
conflict for the lead on either server, and no record gets more than the protocol's two votes
(a third reviewer's vote on a full record is refused).
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from review_app.db import make_engine, migrate, session_scope
from review_app.errors import ReviewAppError
from review_app.services.demo import DEMO_ACCOUNTS, seed_demo
from review_app.services.permissions import Actor
from review_app.services.reviews import add_member, resolve_review_id
from review_app.services.screening import record_vote
from review_app.services.users import create_user
from tests.browser.conftest import _free_port, _wait_until_up
from tests.browser.helpers import log_in, settle
from tests.conftest import POSTGRES_SERVER, _postgres_or_skip

pytestmark = pytest.mark.browser
LEAD, FIRST, SECOND = DEMO_ACCOUNTS


@pytest.fixture(scope="module")
def shared_database() -> Iterator[str]:
    """A fresh PostgreSQL database holding the demo review, unscreened; dropped at the end."""
    _postgres_or_skip()
    name = f"review_app_two_servers_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_SERVER.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    migrate(engine)
    with session_scope(engine) as session:
        seed_demo(session, screening=False)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def two_servers(shared_database: str) -> Iterator[tuple[str, str]]:
    """Two `review-app serve` processes on the one database, started together."""
    ports = [_free_port(), _free_port()]
    serve = [sys.executable, "-m", "review_app.cli", "--db", shared_database, "serve", "--port"]
    processes = [
        subprocess.Popen([*serve, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for port in ports
    ]
    addresses = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for address, process in zip(addresses, processes, strict=True):
            _wait_until_up(address, process)
        yield addresses[0], addresses[1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


def open_page(browser: Any, url: str, account: Any, link: str) -> Any:
    """A browser context of the account's own (cookies are per host, not per port)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    log_in(page, account.name, account.password)
    page.get_by_role("link", name=link).click()
    return page


def title(page: Any) -> str:
    page.get_by_test_id("record-title").wait_for(timeout=30_000)
    return str(page.get_by_test_id("record-title").inner_text())


def vote(page: Any, key: str) -> str:
    """Press a vote shortcut on the record shown; returns the next record's title."""
    before = title(page)
    settle(page)
    page.get_by_test_id("record-abstract").click()  # focus the page, not a text field
    page.keyboard.press(key)
    page.wait_for_function(
        "t => { const e = document.querySelector('[data-testid=record-title]');"
        " return e && e.innerText !== t; }",
        arg=before,
        timeout=20_000,
    )
    return title(page)


def votes_per_record(url: str) -> dict[int, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT record_id, count(*) FROM decision WHERE stage = 'title_abstract' "
                "GROUP BY record_id"
            )
        ).all()
    engine.dispose()
    return {int(record_id): int(n) for record_id, n in rows}


def test_two_servers_one_database_votes_blinding_and_conflicts(
    browser: Any, two_servers: tuple[str, str], shared_database: str
) -> None:
    one, two = two_servers
    first = open_page(browser, one, FIRST, "Screen")
    second = open_page(browser, two, SECOND, "Screen")
    disputed = title(first)
    assert title(second) == disputed  # one order, one allocation, whichever server asks

    # They disagree on the first record and agree on the next.
    agreed = vote(first, "i")
    assert vote(second, "e") == agreed
    vote(first, "i")
    vote(second, "i")

    # Blind: each page shows its own votes only (the pages hold no trace of the other reviewer).
    for page, other in ((first, SECOND), (second, FIRST)):
        page.get_by_text("My recent votes").click()
        settle(page)
        body = page.locator("body").inner_text()
        assert other.name not in body

    # The disagreement is a conflict for the lead on either server; the agreement is not.
    for server in (two, one):
        lead = open_page(browser, server, LEAD, "Conflicts")
        lead.get_by_text(f"{FIRST.name}: include").first.wait_for(timeout=20_000)
        assert lead.get_by_text(f"{SECOND.name}: exclude").first.is_visible()
        body = lead.locator("body").inner_text()
        assert " ".join(disputed.split())[:40] in " ".join(body.split())
        assert " ".join(agreed.split())[:40] not in " ".join(body.split())
        lead.context.close()

    counts = votes_per_record(shared_database)
    assert sorted(counts.values(), reverse=True)[:2] == [2, 2]
    assert max(counts.values()) <= 2

    # A third reviewer cannot add a vote to a record that has its two.
    engine = make_engine(shared_database)
    try:
        with session_scope(engine) as session:
            review_id = resolve_review_id(session, None)
            third = create_user(session, name="reviewer3", password="demo-reviewer3-2026")
            add_member(session, actor=Actor.operator(), review_id=review_id, user_id=third.id,
                       role="reviewer")  # fmt: skip
        full = next(record_id for record_id, n in counts.items() if n == 2)
        with pytest.raises(ReviewAppError), session_scope(engine) as session:
            record_vote(session, actor=Actor.user(third.id), review_id=review_id,
                        record_id=full, stage="title_abstract", vote="exclude")  # fmt: skip
    finally:
        engine.dispose()
    assert max(votes_per_record(shared_database).values()) <= 2
    first.context.close()
    second.context.close()
