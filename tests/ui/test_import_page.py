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
    table = app.table[-1].value
    assert list(table["Source"]) == [
        "PubMed (database), search date not given",
        "Embase (database), search date not given",
        "Scopus (database), search date not given",
        "ClinicalTrials.gov (register), search date not given",
    ]


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
    assert any("The file name" in i.value and "names Embase" in i.value for i in app.info)
    assert not [b for b in app.button if b.key == "import_go"]  # until the source is confirmed
    app.checkbox(key="confirm_embase_update.ris_Embase").check().run()
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
    app.checkbox(key="confirm_embase.ris_Embase").check().run()
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
    statuses = list(app.table[-1].value["Status"])
    assert statuses[-1] == "undone" and all(s.startswith("active, ") for s in statuses[:4])
    assert [s.value for s in app.success] == [
        f"Undid import {batch} (Embase, update.ris: 2 records, 0 merges undone)"
    ]


def batches_table(app: AppTest) -> list[dict[str, object]]:
    return app.table[-1].value.to_dict("records")


def test_the_batches_table_fits_the_page_and_shows_no_none(demo_url: str) -> None:
    """Issue 17: twelve columns ran past the page's edge, and a batch without a search date
    showed "None"."""
    from review_app.services.imports import import_file
    from review_app.services.permissions import Actor

    content = (REPO_ROOT / "tests" / "data" / "imports" / "ris_utf8_bom.ris").read_bytes()
    with session_scope(make_engine(demo_url)) as session:
        review_id = session.exec(select(Review.id)).one()
        import_file(
            session,
            actor=Actor.operator(),
            review_id=review_id,
            data=content,
            file_name="update.ris",
            source_name="Hand-search",
            source_kind="other",
        )
    app = open_as_lead(demo_url)
    table = app.table[-1].value
    assert len(table.columns) <= 6
    cells = [str(cell) for row in batches_table(app) for cell in row.values()]
    assert not [cell for cell in cells if cell in ("None", "nan", "NaT", "")]
    assert batches_table(app)[-1]["Source"] == "Hand-search (other methods), search date not given"


PSYCINFO_RIS = (
    "Database: APA PsycInfo <1806 to November Week 3 2019>\n\n"
    + "".join(
        f"TY  - JOUR\nTI  - Self-criticism and pain, study {n}\nDB  - PsycINFO\nER  - \n"
        for n in range(3)
    )
).encode()


def upload(app: AppTest, name: str, content: bytes) -> AppTest:
    app.file_uploader[0].set_value((name, content, "text/plain"))
    return app.run()


def test_the_source_the_file_names_is_preselected_with_its_evidence(demo_url: str) -> None:
    """Issue 17: the page offered PubMed for a file that says PsycINFO, and had no PsycINFO."""
    app = upload(open_as_lead(demo_url), "export.ris", PSYCINFO_RIS)
    assert not app.exception and not app.error
    source = app.selectbox(key="source_export.ris")
    assert source.value == "PsycINFO"
    assert "PsycINFO (not in the protocol)" in source.options
    assert "Web of Science (not in the protocol)" in source.options
    infos = [i.value for i in app.info]
    assert any("header line 1: APA PsycInfo" in i and "RIS DB line 5: PsycINFO" in i for i in infos)
    assert any("PsycINFO is not among the protocol's search sources" in i for i in infos)
    assert app.text_input(key="kind_shown_export.ris").value == "Database"
    app.checkbox(key="confirm_export.ris_PsycINFO").check().run()
    app.button(key="import_go").click().run()
    assert not app.exception and not app.error
    assert batches_table(app)[-1]["Source"] == "PsycINFO (database), search date not given"


def test_a_file_that_says_nothing_has_no_source_chosen(demo_url: str) -> None:
    """Issue 17: the source defaulted to the protocol's first one (PubMed)."""
    content = b"TY  - JOUR\nTI  - Kratom and pain\nER  - \n"
    app = upload(open_as_lead(demo_url), "export.ris", content)
    assert app.selectbox(key="source_export.ris").value is None
    assert any("Choose the source" in w.value for w in app.warning)
    assert not [b for b in app.button if b.key == "import_go"]


def test_a_hand_search_is_not_counted_as_a_database(demo_url: str) -> None:
    """Issue 17: "kind" defaulted to database, so a hand-search landed under Databases."""
    content = b"TY  - JOUR\nTI  - Kratom and pain\nER  - \n"
    app = upload(open_as_lead(demo_url), "handsearch.ris", content)
    app.selectbox(key="source_handsearch.ris").set_value("Other source…").run()
    app.text_input(key="source_name_handsearch.ris").input("Hand-search of Pain Medicine").run()
    kind = app.selectbox(key="kind_handsearch.ris")
    assert kind.value is None  # no default: the person says how PRISMA counts it
    assert not [b for b in app.button if b.key == "import_go"]
    kind.set_value("other").run()
    app.checkbox(key="confirm_handsearch.ris_Hand-search of Pain Medicine").check().run()
    app.button(key="import_go").click().run()
    assert not app.exception and not app.error
    assert batches_table(app)[-1]["Source"].startswith(
        "Hand-search of Pain Medicine (other methods)"
    )


def test_a_name_the_file_gives_that_no_choice_holds_is_offered_as_other(demo_url: str) -> None:
    content = b"TY  - JOUR\nTI  - Kratom and pain\nDB  - PTSDpubs\nER  - \n"
    app = upload(open_as_lead(demo_url), "ptsd.ris", content)
    assert app.selectbox(key="source_ptsd.ris").value == "Other source…"
    assert app.text_input(key="source_name_ptsd.ris").value == "PTSDpubs"
    assert app.selectbox(key="kind_ptsd.ris").value is None


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
