"""The Team page: a reviewer is refused, a lead sees the team without changing it, an admin adds
people (the temporary password shown once), changes roles, resets passwords, deactivates, and
creates a review from an uploaded protocol; refusals are sentences."""

from __future__ import annotations

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from review_app.db import make_engine, session_scope
from review_app.models import Review, User
from review_app.services.demo import DEMO_ACCOUNTS
from review_app.services.permissions import Actor
from review_app.services.reviews import add_member, resolve_review_id
from review_app.services.users import authenticate, create_user
from tests.conftest import KRATOM_PROTOCOL
from tests.ui.conftest import APP, LEAD, log_in
from tests.ui.test_login_page import deep_link

REVIEWER = DEMO_ACCOUNTS[1]
ADMIN, ADMIN_PASSWORD = "ada", "ada-admin-password"


def add_admin(url: str) -> int:
    """The demo has leads and reviewers only: an operator makes ``ada`` its admin."""
    with session_scope(make_engine(url)) as session:
        review_id = resolve_review_id(session, None)
        user = create_user(session, name=ADMIN, password=ADMIN_PASSWORD)
        add_member(
            session, actor=Actor.operator(), review_id=review_id, user_id=user.id, role="admin"
        )
    return review_id


def team_page() -> None:
    from review_app.ui.views import admin

    admin.render()


def open_as(url: str, name: str, role: str) -> AppTest:
    with session_scope(make_engine(url)) as session:
        review_id = session.exec(select(Review.id)).one()
        user_id = session.exec(select(User.id).where(User.name == name)).one()
    app = AppTest.from_function(team_page, default_timeout=60)
    app.session_state["user_id"] = user_id
    app.session_state["user_name"] = name
    app.session_state["review_id"] = review_id
    app.session_state["role"] = role
    return app.run()


def table(app: AppTest) -> dict[str, tuple[str, str]]:
    frame = app.table[0].value
    return {row["Name"]: (row["Role"], row["Account"]) for row in frame.to_dict(orient="records")}


def pick(app: AppTest, url: str, name: str) -> AppTest:
    """Choose ``name`` in the member box (its options are user ids shown as names)."""
    with session_scope(make_engine(url)) as session:
        user_id = session.exec(select(User.id).where(User.name == name)).one()
    return app.selectbox(key="team_member").set_value(user_id).run()


def test_a_reviewer_is_refused_the_team_page(demo_url: str) -> None:
    app = AppTest.from_file(str(APP), default_timeout=30).run()
    log_in(app, REVIEWER.name, REVIEWER.password)
    deep_link(app, "admin")
    assert not app.exception
    assert "Team is for the review's leads and admins" in app.info[0].value
    assert not app.table


def test_a_lead_sees_the_team_and_who_may_change_it(demo_url: str) -> None:
    app = AppTest.from_file(str(APP), default_timeout=30).run()
    log_in(app, LEAD.name, LEAD.password)
    deep_link(app, "admin")
    assert not app.exception
    assert app.title[0].value == "Team"
    assert table(app) == {
        "lead": ("Lead", "active"),
        "reviewer1": ("Reviewer", "active"),
        "reviewer2": ("Reviewer", "active"),
    }
    assert "no admin yet" in app.info[0].value and "--role admin" in app.info[0].value
    assert not app.main.button and not app.text_input
    add_admin(demo_url)
    app.run()
    assert "Only the review's admins change the team: ask ada." in [i.value for i in app.info]


def test_an_admin_adds_a_person_who_then_chooses_a_password(demo_url: str) -> None:
    add_admin(demo_url)
    app = open_as(demo_url, ADMIN, "admin")
    app.text_input(key="team_new_name").input("nora")
    app.selectbox(key="team_new_role").set_value("lead")
    app.button[0].click().run()  # the form's submit button
    assert not app.exception and not app.error
    assert app.success[0].value == "nora was added as lead with a temporary password."
    password = app.code[0].value
    assert table(app)["nora"] == (
        "Lead",
        "temporary password: chooses their own at next login",
    )
    app.run()  # any next action: the password is not shown again
    assert not app.code and not app.success
    login = AppTest.from_file(str(APP), default_timeout=30).run()
    log_in(login, "nora", password)
    assert not login.exception
    assert "user_id" not in login.session_state  # not logged in yet
    assert login.subheader[0].value == "Choose your password, nora"
    login.text_input(key="new_password").input("my own password")
    login.text_input(key="new_password_again").input("my own pasword")
    login.button[0].click().run()
    assert [e.value for e in login.error] == [
        "The two passwords differ; type the same password twice."
    ]
    login.text_input(key="new_password").input("my own password")
    login.text_input(key="new_password_again").input("my own password")
    login.button[0].click().run()
    assert not login.exception and not login.error
    assert login.session_state["user_name"] == "nora"
    assert "Logged in as **nora**" in [m.value for m in login.sidebar.markdown]


def test_the_last_admin_is_told_why_they_keep_the_role(demo_url: str) -> None:
    add_admin(demo_url)
    app = pick(open_as(demo_url, ADMIN, "admin"), demo_url, ADMIN)
    app.selectbox(key=f"team_role_{app.selectbox(key='team_member').value}").set_value("lead")
    app.button(key="FormSubmitter:team_role-Save role").click().run()
    assert not app.exception
    assert [e.value for e in app.error] == [
        "you are the review's last admin; make another member admin first, so that someone "
        "can still manage the team"
    ]
    assert table(app)[ADMIN] == ("Admin", "active")


def test_a_reset_password_is_shown_once_and_the_old_one_stops(demo_url: str) -> None:
    add_admin(demo_url)
    app = pick(open_as(demo_url, ADMIN, "admin"), demo_url, REVIEWER.name)
    app.button(key="team_reset").click().run()
    assert not app.exception and not app.error
    assert "reviewer1 has a temporary password" in app.success[0].value
    temporary = app.code[0].value
    with session_scope(make_engine(demo_url)) as session:
        assert authenticate(session, name=REVIEWER.name, password=REVIEWER.password).user is None
        assert authenticate(session, name=REVIEWER.name, password=temporary).must_change_password


def test_deactivate_then_reactivate(demo_url: str) -> None:
    add_admin(demo_url)
    app = pick(open_as(demo_url, ADMIN, "admin"), demo_url, "reviewer2")
    app.button(key="team_deactivate").click().run()
    assert not app.error
    assert table(app)["reviewer2"] == ("Reviewer", "deactivated: cannot log in")
    app.button(key="team_reactivate").click().run()
    assert table(app)["reviewer2"] == ("Reviewer", "active")


def test_an_admin_cannot_deactivate_themselves(demo_url: str) -> None:
    add_admin(demo_url)
    app = pick(open_as(demo_url, ADMIN, "admin"), demo_url, ADMIN)
    app.button(key="team_deactivate").click().run()
    assert not app.exception
    assert [e.value for e in app.error] == [
        "you cannot deactivate your own account; ask another admin or the operator"
    ]


def test_a_review_from_an_uploaded_protocol(demo_url: str) -> None:
    add_admin(demo_url)
    app = open_as(demo_url, ADMIN, "admin")
    assert app.button(key="team_create").disabled
    broken = b'title = "x"\n[screening]\nreviewers_per_record = "two"\n'
    app.file_uploader[0].set_value(("broken.toml", broken, "application/toml"))
    app.run()
    app.button(key="team_create").click().run()
    assert not app.exception
    assert "broken.toml" in app.error[0].value and "reviewers_per_record" in app.error[0].value
    app.file_uploader[0].set_value(
        ("kratom.toml", KRATOM_PROTOCOL.read_bytes(), "application/toml")
    )
    app.text_input(key="team_review_name").input("Kratom update 2027")
    app.run()
    app.button(key="team_create").click().run()
    assert not app.error
    assert app.success[0].value == (
        "Review Kratom update 2027 created; you are its admin. Choose it in the sidebar."
    )
    with session_scope(make_engine(demo_url)) as session:
        names = session.exec(select(Review.name).order_by(Review.id)).all()
    assert names[-1] == "Kratom update 2027"
