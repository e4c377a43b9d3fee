"""The Exports page: every export of the registry (the command line's) for leads and admins, each
format a download button, and an upload for each file a lead brings in; a reviewer gets neither
the page nor a file."""

from __future__ import annotations

from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryFile
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, session_scope
from review_app.domain.vocabulary import EffectMeasure
from review_app.services.analyses import AnalysisSpec, save_analysis
from review_app.services.demo import DEMO_ACCOUNTS
from review_app.services.exports import EXPORTS, IMPORTS
from review_app.services.extraction import read_copies
from review_app.services.permissions import Actor
from review_app.services.reviews import get_protocol
from review_app.services.users import get_user_by_name
from tests.ui.analysis_pages import AE, PAIN, WEEK8, review_to_analyse
from tests.ui.conftest import APP, LEAD, log_in
from tests.ui.test_login_page import deep_link

REVIEWER = DEMO_ACCOUNTS[1]


def download_buttons(app: AppTest) -> list[object]:
    return list(app.get("download_button"))


def test_a_reviewer_gets_no_exports_page_and_no_file(demo_url: str) -> None:
    app = AppTest.from_file(str(APP), default_timeout=30).run()
    log_in(app, REVIEWER.name, REVIEWER.password)
    deep_link(app, "exports")
    assert not app.exception
    assert "Exports is for the review's leads and admins" in app.info[0].value
    assert download_buttons(app) == []
    assert "Exports" not in [getattr(link, "label", None) for link in app.get("page_link")]


def test_a_lead_sees_every_export_of_the_registry_with_each_format(demo_url: str) -> None:
    app = AppTest.from_file(str(APP), default_timeout=30).run()
    log_in(app, LEAD.name, LEAD.password)
    deep_link(app, "exports")
    assert not app.exception
    headings = [h.value for h in app.subheader]
    assert headings == [e.heading for e in EXPORTS.values()] + [f"Import {n}" for n in IMPORTS]
    # one button per format (and per file: a decisions CSV comes with its agreement CSV)
    keys = sorted(b.proto.id.split("-", 2)[-1] for b in download_buttons(app))  # type: ignore[attr-defined]
    expected = sorted(
        f"export_{export.name}_{format}{suffix}"
        for export in EXPORTS.values()
        for format in export.formats
        for suffix in export.suffixes(format)
    )
    assert keys == expected
    assert "export_decisions_csv-agreement" in keys
    stage = app.selectbox(key="export_records_stage")
    assert stage.options == list(EXPORTS["records"].options[0].choices)
    assert stage.value == "all"


def lead_on_exports() -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=60).run()
    log_in(app, LEAD.name, LEAD.password)
    return deep_link(app, "exports")


def consensus_age(url: str) -> str:
    with session_scope(make_engine(url)) as session:
        copies = read_copies(session, actor=Actor.operator(), review_id=1, values="consensus")
    return copies[0].characteristics["age_mean"]


def test_a_lead_brings_an_extraction_file_in_from_the_exports_page(demo_url: str) -> None:
    with session_scope(make_engine(demo_url)) as session:
        (made,) = EXPORTS["extraction"].make(
            session, actor=Actor.operator(), review_id=1, format="csv", values="consensus"
        )
    assert consensus_age(demo_url) == "24.3"
    edited = made.data.replace(b",24.3,", b",24.5,")
    assert edited != made.data

    app = lead_on_exports()
    app.file_uploader(key="import_extraction_file").set_value(
        ("extraction.csv", edited, "text/csv")
    ).run()
    app.button(key="import_extraction_run").click().run()
    assert not app.exception
    assert not app.error, [e.value for e in app.error]
    shown = app.success[0].value.replace("\\", "")  # Markdown escapes off
    assert shown.startswith("extraction.csv: imported 1 extraction copy of 1 study")
    assert consensus_age(demo_url) == "24.5"


def test_a_bad_extraction_file_is_refused_with_its_row_and_column_and_nothing_written(
    demo_url: str,
) -> None:
    with session_scope(make_engine(demo_url)) as session:
        (made,) = EXPORTS["extraction"].make(
            session, actor=Actor.operator(), review_id=1, format="csv", values="consensus"
        )
    broken = made.data.replace(b",24.3,", b",old,")
    app = lead_on_exports()
    app.file_uploader(key="import_extraction_file").set_value(
        ("extraction.csv", broken, "text/csv")
    ).run()
    app.button(key="import_extraction_run").click().run()
    assert not app.exception
    (error,) = [e.value.replace("\\", "") for e in app.error]
    assert "row 2" in error and "age_mean" in error
    assert consensus_age(demo_url) == "24.3"


def exports_page_keeping_its_files() -> None:
    """The Exports page, and the run's media files (where each download button's deferred file
    is made when clicked) kept in the session for the test to click them."""
    import streamlit as st
    from streamlit.runtime import Runtime

    from review_app.ui.views import exports

    exports.render()
    st.session_state["media_files"] = Runtime.instance().media_file_mgr


def download(app: AppTest, key: str) -> MemoryFile:
    """What clicking the download button ``key`` serves (its file made then, as in a browser)."""
    [button] = [b for b in download_buttons(app) if b.proto.id.endswith(f"-{key}")]  # type: ignore[attr-defined]
    files: MediaFileManager = app.session_state["media_files"]
    url = files.execute_deferred(button.proto.deferred_file_id)  # type: ignore[attr-defined]
    made = files.read_file(url.rsplit("/", 1)[-1])
    assert made is not None
    return made


def test_a_lead_chooses_the_outcome_of_the_risk_of_bias_plot(demo_url: str) -> None:
    with session_scope(make_engine(demo_url)) as session:
        outcomes = [(o.id, o.name) for o in get_protocol(session, 1).outcomes]
        lead_id = get_user_by_name(session, LEAD.name).id
    app = AppTest.from_function(exports_page_keeping_its_files, default_timeout=60)
    app.session_state["user_id"], app.session_state["user_name"] = lead_id, LEAD.name
    app.session_state["review_id"], app.session_state["role"] = 1, "lead"
    app.run()
    assert not app.exception
    choice = app.selectbox(key="export_rob-plot_outcome")
    assert choice.options == [name for _, name in outcomes]  # the protocol's, by name
    assert choice.value == outcomes[0][0]  # the command line's default: the first
    # The demo's assessment is of pain intensity: its plot, the command line's bytes...
    first = download(app, "export_rob-plot_svg")
    assert first.filename == f"rob-plot-{outcomes[0][0]}.svg"
    with session_scope(make_engine(demo_url)) as session:
        (expected,) = EXPORTS["rob-plot"].make(
            session, actor=Actor.operator(), review_id=1, format="svg", outcome=outcomes[0][0]
        )
    assert first.content == expected.data and b"Vicknasingam 2020" in first.content
    # ...and another outcome, chosen here, is that outcome's: nothing assessed, said, no file.
    other_id = outcomes[1][0]
    choice.set_value(other_id).run()
    assert not app.exception
    buttons = [b for b in download_buttons(app) if "export_rob-plot_" in b.proto.id]  # type: ignore[attr-defined]
    assert len(buttons) == 3 and all(b.proto.disabled for b in buttons)  # type: ignore[attr-defined]
    assert any("There is nothing to plot" in c.value for c in app.caption)
    choice.set_value(outcomes[0][0]).run()
    buttons = [b for b in download_buttons(app) if "export_rob-plot_" in b.proto.id]  # type: ignore[attr-defined]
    assert len(buttons) == 3 and not any(b.proto.disabled for b in buttons)  # type: ignore[attr-defined]


def test_a_lead_chooses_a_saved_analysis_to_plot_among_the_review_s(demo_url: str) -> None:
    """The analysis is a choice the review lists (none saved: said, and no button), the first
    (the command line's default) to begin with; the file is the command line's."""
    with session_scope(make_engine(demo_url)) as session:
        lead_id = get_user_by_name(session, LEAD.name).id
    app = AppTest.from_function(exports_page_keeping_its_files, default_timeout=60)
    app.session_state["user_id"], app.session_state["user_name"] = lead_id, LEAD.name
    app.session_state["review_id"], app.session_state["role"] = 1, "lead"
    app.run()
    assert not app.exception
    buttons = [b for b in download_buttons(app) if "export_analysis-plot_" in b.proto.id]  # type: ignore[attr-defined]
    assert len(buttons) == 3 and all(b.proto.disabled for b in buttons)  # type: ignore[attr-defined]
    assert any(
        "There is no analysis to choose yet." in c.value.replace("\\", "") for c in app.caption
    )
    assert "export_analysis-plot_analysis" not in [s.key for s in app.selectbox]

    review = review_to_analyse(demo_url)
    with session_scope(make_engine(demo_url)) as session:
        for name, spec in (
            ("Pain", AnalysisSpec(PAIN, EffectMeasure.MD, timepoint=WEEK8)),
            ("Adverse events", AnalysisSpec(AE, EffectMeasure.RR, timepoint=WEEK8)),
        ):
            save_analysis(session, actor=Actor.operator(), review_id=review.review_id,
                          name=name, spec=spec)  # fmt: skip
    app.run()
    assert not app.exception
    choice = app.selectbox(key="export_analysis-plot_analysis")
    assert choice.options == ["Adverse events", "Pain"] and choice.value == "Adverse events"
    choice.set_value("Pain").run()
    app.selectbox(key="export_analysis-plot_plot").set_value("forest").run()
    made = download(app, "export_analysis-plot_svg")
    assert made.filename == "analysis-plot-Pain.svg"
    with session_scope(make_engine(demo_url)) as session:
        (expected,) = EXPORTS["analysis-plot"].make(
            session, actor=Actor.operator(), review_id=1, format="svg", analysis="Pain"
        )
    assert made.content == expected.data and b"Chan 2021" in made.content
    tables = download(app, "export_analyses_xlsx")
    with session_scope(make_engine(demo_url)) as session:
        (workbook,) = EXPORTS["analyses"].make(
            session, actor=Actor.operator(), review_id=1, format="xlsx"
        )
    assert tables.content == workbook.data
