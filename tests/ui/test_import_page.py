from __future__ import annotations

import pytest
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, session_scope
from review_app.models import ImportBatch, Record, Review, User
from review_app.services.demo import DEMO_SEARCHES
from tests.conftest import REPO_ROOT


def import_page() -> None:
    from review_app.ui.views import imports

    imports.render()


def open_as_lead(url: str) -> AppTest:
    """The import page as the demo lead, with the demo's searches already imported."""
    with session_scope(make_engine(url)) as session:
        review_id = session.exec(select(Review.id)).one()
        lead_id = session.exec(select(User.id).where(User.name == "lead")).one()
    app = AppTest.from_function(import_page, default_timeout=60)
    app.session_state["user_id"] = lead_id
    app.session_state["user_name"] = "lead"
    app.session_state["review_id"] = review_id
    app.session_state["role"] = "lead"
    return app.run()


def counts(url: str) -> tuple[int, int]:
    with session_scope(make_engine(url)) as session:
        batches = session.exec(select(func.count()).select_from(ImportBatch)).one()
        records = session.exec(select(func.count()).select_from(Record)).one()
    return batches, records


def test_earlier_batches_are_listed(demo_url: str) -> None:
    app = open_as_lead(demo_url)
    assert not app.exception
    table = app.dataframe[-1].value
    assert list(table["Source"]) == ["PubMed", "Embase", "Scopus", "ClinicalTrials.gov"]


def test_upload_preview_confirm_and_summary(demo_url: str) -> None:
    app = open_as_lead(demo_url)
    content = (REPO_ROOT / "tests" / "data" / "imports" / "ris_utf8_bom.ris").read_bytes()
    app.file_uploader[0].set_value(
        ("embase_update.ris", content, "application/x-research-info-systems")
    )
    app.run()
    assert not app.exception and not app.error
    assert app.selectbox(key="source_embase_update.ris").value == "Embase"  # guessed from the name
    assert any("records · format ris" in m.value for m in app.markdown)
    before = counts(demo_url)
    app.button(key="import_go").click().run()
    assert not app.exception and not app.error
    assert any("Imported embase_update.ris" in s.value for s in app.success)
    after = counts(demo_url)
    assert after[0] == before[0] + 1 and after[1] > before[1]


def test_a_bad_file_shows_every_problem_and_imports_nothing(demo_url: str) -> None:
    app = open_as_lead(demo_url)
    content = (REPO_ROOT / "tests" / "data" / "imports" / "ris_missing_title.ris").read_bytes()
    app.file_uploader[0].set_value(("broken.ris", content, "text/plain"))
    app.run()
    assert any("broken.ris" in e.value and "title" in e.value for e in app.error)
    assert not [b for b in app.button if b.key == "import_go"]


def test_the_same_file_again_is_refused(demo_url: str) -> None:
    app = open_as_lead(demo_url)
    content = (DEMO_SEARCHES / "embase.ris").read_bytes()
    app.file_uploader[0].set_value(("embase.ris", content, "text/plain"))
    app.run()
    before = counts(demo_url)
    app.button(key="import_go").click().run()
    assert any("already imported" in e.value for e in app.error)
    assert counts(demo_url) == before


def test_undo_an_import_nobody_voted_on(demo_url: str) -> None:
    from review_app.services.imports import import_file
    from review_app.services.permissions import Actor

    content = (REPO_ROOT / "tests" / "data" / "imports" / "ris_utf8_bom.ris").read_bytes()
    with session_scope(make_engine(demo_url)) as session:
        review_id = session.exec(select(Review.id)).one()
        batch = import_file(
            session,
            actor=Actor.operator(),
            review_id=review_id,
            data=content,
            file_name="update.ris",
            source_name="Embase",
        ).batch_id
    app = open_as_lead(demo_url)
    options = app.selectbox(key="undo_batch").options
    assert len(options) == 1  # the demo's searches have votes, so only the new batch qualifies
    app.selectbox(key="undo_batch").set_value(batch)
    app.button(key="undo_go").click().run()
    assert not app.exception
    assert list(app.dataframe[-1].value["Status"]) == ["active"] * 4 + ["undone"]


def test_the_settings_limits_reach_the_preview_and_the_import(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """REVIEW_APP_MAX_RECORDS_PER_FILE and the others are read by the page (issue 11)."""
    monkeypatch.setenv("REVIEW_APP_MAX_RECORDS_PER_FILE", "2")
    monkeypatch.setenv("REVIEW_APP_MAX_FIELD_CHARS", "100")
    app = open_as_lead(demo_url)
    three = "".join(f"TY  - JOUR\nTI  - Kratom study {n}\nER  - \n" for n in range(3)).encode()
    long_title = ("TY  - JOUR\nTI  - " + "k" * 101 + "\nER  - \n").encode()
    app.file_uploader[0].set_value(
        [("three.ris", three, "text/plain"), ("long.ris", long_title, "text/plain")]
    )
    app.run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert any("three.ris" in e and "more than 2 records" in e for e in errors), errors
    assert any("long.ris, line 1, record 1, TI: 101 characters" in e for e in errors), errors
    assert not [b for b in app.button if b.key == "import_go"]
