"""The Exports page: every export of the registry (the command line's) for leads and admins, each
format a download button; a reviewer gets neither the page nor a file."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from review_app.services.demo import DEMO_ACCOUNTS
from review_app.services.exports import EXPORTS
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
    assert "Exports" not in [link.label for link in app.get("page_link")]


def test_a_lead_sees_every_export_of_the_registry_with_each_format(demo_url: str) -> None:
    app = AppTest.from_file(str(APP), default_timeout=30).run()
    log_in(app, LEAD.name, LEAD.password)
    deep_link(app, "exports")
    assert not app.exception
    assert [h.value for h in app.subheader] == [name.capitalize() for name in EXPORTS]
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
