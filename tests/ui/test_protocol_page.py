"""The Protocol page: every member reads the review's plan (PICO, criteria, reasons, outcomes,
extraction fields, risk-of-bias tools, searches) with labels, not the file's words, and its
history: loaded when and by whom, what changed since, the TOML as loaded to download."""

from __future__ import annotations

from collections.abc import Iterable

from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, session_scope
from review_app.services.demo import DEMO_ACCOUNTS
from review_app.services.permissions import Actor
from review_app.services.reviews import get_protocol, resolve_review_id, set_blind
from tests.conftest import KRATOM_PROTOCOL
from tests.ui.conftest import APP, log_in
from tests.ui.test_login_page import deep_link

REVIEWER = DEMO_ACCOUNTS[1]


def open_protocol(account: object = REVIEWER) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=30).run()
    log_in(app, account.name, account.password)  # type: ignore[attr-defined]
    return deep_link(app, "protocol")


def plain(cells: Iterable[object]) -> list[str]:
    """A table column's cells as read on the page (its Markdown escapes removed)."""
    return [str(cell).replace("\\", "") for cell in cells]


def texts(app: AppTest) -> str:
    return "\n".join(m.value for m in app.markdown)


def test_a_reviewer_reads_every_part_of_the_protocol(demo_url: str) -> None:
    app = open_protocol()
    assert not app.exception and not app.error
    assert app.title[0].value == "Protocol"
    assert [h.value for h in app.header] == [
        "PICO",
        "Eligibility criteria",
        "Exclusion reasons",
        "Screening",
        "Outcomes",
        "Extraction",
        "Risk of bias",
        "Searches",
        "History",
    ]
    with session_scope(make_engine(demo_url)) as session:
        protocol = get_protocol(session, resolve_review_id(session, None))
    shown = texts(app).replace("\\", "")  # the protocol's text is escaped, shown as text
    for criterion in protocol.criteria:
        assert criterion.text in shown
    for reason in protocol.exclusion_reasons:
        assert reason.label in shown and reason.id not in shown  # labels, not codes
    outcomes = app.table[0].value
    assert plain(outcomes["Outcome"]) == [o.name for o in protocol.outcomes]
    assert "not set" in set(outcomes["Minimal important difference"])
    assert "higher_is_better" not in str(outcomes.values) and "Critical" in set(
        outcomes["Importance"]
    )
    fields = app.table[1].value
    assert plain(fields["Field"]) == [f.label for f in protocol.extraction_fields]
    tools = app.table[2].value
    designs, names = plain(tools["Study design"]), plain(tools["Tool"])
    assert dict(zip(designs, names, strict=True)) == protocol.risk_of_bias
    assert "None" not in shown
    # st.table renders Markdown: a cell of "-" showed as a bullet
    for table in app.table:
        assert "-" not in {str(cell).strip() for cell in table.value.to_numpy().ravel()}


def test_the_history_says_who_loaded_it_and_what_changed(demo_url: str) -> None:
    with session_scope(make_engine(demo_url)) as session:
        set_blind(
            session,
            actor=Actor.operator(),
            review_id=resolve_review_id(session, None),
            blind=False,
        )
    app = open_protocol()
    history = texts(app)
    assert any(
        "cannot be edited afterwards" in t.value and "by the command line" in t.value
        for t in app.get("markdown")
    )
    assert "the command line: blinding switched off" in history
    [download] = app.get("download_button")
    assert download.proto.label == "Download the protocol as loaded (TOML)"
    assert app.code[-1].value.strip() == KRATOM_PROTOCOL.read_text(encoding="utf-8").strip()


def test_protocol_is_in_every_members_menu(demo_url: str) -> None:
    from review_app.ui import app as app_module

    assert "protocol" in app_module.REVIEWER_PAGES
    app = open_protocol()
    assert not app.exception and "is for the review's leads" not in str(app.info)
