from __future__ import annotations

from streamlit.testing.v1 import AppTest

from review_app.services.users import LOGIN_FAILED
from tests.ui.conftest import LEAD, log_in


def test_only_the_login_page_before_login(app: AppTest) -> None:
    assert not app.exception
    assert app.title[0].value == "review-app"
    assert [t.label for t in app.text_input] == ["Name", "Password"]
    assert not app.sidebar.button  # no logout, no navigation yet


def test_wrong_password_gets_the_generic_message(app: AppTest) -> None:
    log_in(app, LEAD.name, "not-the-password")
    assert [e.value for e in app.error] == [LOGIN_FAILED]
    assert "user_id" not in app.session_state


def test_unknown_name_gets_the_same_message(app: AppTest) -> None:
    log_in(app, "nobody", LEAD.password)
    assert [e.value for e in app.error] == [LOGIN_FAILED]


def test_login_then_logout(app: AppTest) -> None:
    log_in(app, LEAD.name, LEAD.password)
    assert not app.exception and not app.error
    assert app.session_state["user_name"] == LEAD.name
    app.sidebar.button(key="logout").click().run()
    assert "user_id" not in app.session_state
    assert app.title[0].value == "review-app"
