"""Team (leads see it, admins change it): the review's members, their roles and accounts; an
admin adds a person (a temporary password shown once), adds an existing account, changes a
role, resets a password, deactivates or reactivates an account, and creates a new review from a
protocol file. The services check every right again and audit every change; a refusal is shown
in its own words."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from review_app.domain.vocabulary import ROLES, Role, is_lead
from review_app.errors import ReviewAppError
from review_app.services.reviews import (
    TeamMember,
    add_existing_member,
    add_member,
    add_new_member,
    create_review_from_upload,
    get_review,
    list_team,
)
from review_app.services.users import deactivate_user, reactivate_user, reset_password
from review_app.ui import deps, state

NOTICE = "team_notice"  # (sentence, temporary password or "") shown once after an action
ROLE_LABELS = {role: role.capitalize() for role in ROLES}
Action = Callable[[deps.Session], tuple[str, str]]  # one admin action: (notice, password)
ROLE_HELP = (
    "Reviewer: screens, extracts and assesses. Lead: also imports, resolves conflicts, "
    "builds studies and exports. Admin: also manages the team and creates reviews."
)


def render() -> None:
    review_id, user = state.current_review_id(), state.current_user()
    if review_id is None or user is None:
        return
    st.title("Team")
    if not is_lead(state.current_role()):
        st.info("Team is for the review's leads and admins.")
        return
    with deps.unit_of_work(read_only=True) as session:
        review = get_review(session, review_id)
        members = list_team(session, actor=user.actor, review_id=review_id)
    st.caption(f"Review: {review.name}. {ROLE_HELP}")
    _show_notice()
    _members_table(members)
    if state.current_role() != Role.ADMIN:
        _only_admins(members)
        return
    _add_person(review_id, user)
    _change_member(review_id, user, members)
    _new_review(user)


def _members_table(members: list[TeamMember]) -> None:
    st.table(
        [
            {"Name": m.name, "Role": ROLE_LABELS[m.role], "Account": _account_state(m)}
            for m in members
        ]
    )


def _account_state(member: TeamMember) -> str:
    if not member.is_active:
        return "deactivated: cannot log in"
    if member.must_change_password:
        return "temporary password: chooses their own at next login"
    return "active"


def _only_admins(members: list[TeamMember]) -> None:
    admins = [m.name for m in members if m.role == Role.ADMIN]
    who = (
        f"ask {', '.join(admins)}"
        if admins
        else "this review has no admin yet; the operator makes one with "
        "`review-app users add NAME --role admin`"
    )
    st.info(f"Only the review's admins change the team: {who}.")


def _show_notice() -> None:
    notice = st.session_state.pop(NOTICE, None)
    if not notice:
        return
    sentence, password = notice
    st.success(sentence)
    if password:
        st.warning(
            "This temporary password is shown only now: pass it on in person or by a channel "
            "you trust. They choose their own password when they first log in with it."
        )
        st.code(password, language=None)


def _act(action: Action) -> None:
    """Run one admin action as one unit of work; a refusal is shown, a success after a rerun
    (so the table above shows the change)."""
    try:
        with deps.unit_of_work() as session:
            notice = action(session)
    except ReviewAppError as error:
        st.error(str(error))
        return
    st.session_state[NOTICE] = notice
    st.rerun()


def _add_person(review_id: int, user: state.CurrentUser) -> None:
    st.header("Add a person")
    with st.form("team_add", clear_on_submit=True):
        name = st.text_input("Name (their login)", key="team_new_name")
        role = st.selectbox("Role", ROLES, format_func=ROLE_LABELS.__getitem__, key="team_new_role")
        existing = st.checkbox(
            "They have an account already (in another review)", key="team_new_existing"
        )
        added = st.form_submit_button("Add to the team")
    if not added:
        return

    def join(session: deps.Session) -> tuple[str, str]:
        member = add_existing_member(
            session, actor=user.actor, review_id=review_id, name=name, role=role
        )
        return f"{member.name} joined the review as {role}; they log in with their password.", ""

    def make(session: deps.Session) -> tuple[str, str]:
        made = add_new_member(
            session, actor=user.actor, review_id=review_id, name=name.strip(), role=role
        )
        return f"{made.user.name} was added as {role} with a temporary password.", made.password

    _act(join if existing else make)


def _change_member(review_id: int, user: state.CurrentUser, members: list[TeamMember]) -> None:
    """Role, password and account of one member, side by side; the action asked for runs
    below them, so its refusal reads across the page."""
    st.header("Change a member")
    by_id = {m.user_id: m for m in members}
    chosen = st.selectbox(
        "Member",
        list(by_id),
        index=None,
        placeholder="Choose a member",
        format_func=lambda user_id: _member_label(by_id[user_id], you=user_id == user.id),
        key="team_member",
    )
    if chosen is None:
        return
    member = by_id[chosen]
    role_column, password_column, account_column = st.columns(3)
    with role_column:
        asked = _role_form(review_id, user, member)
    with password_column:
        st.caption("A temporary password ends their open logins.")
        if st.button("Reset password", key="team_reset"):
            asked = _reset(user, member)
    with account_column:
        asked = _account_button(user, member) or asked
    if asked is not None:
        _act(asked)


def _member_label(member: TeamMember, *, you: bool) -> str:
    return f"{member.name}{' (you)' if you else ''} · {ROLE_LABELS[member.role]}"


def _role_form(review_id: int, user: state.CurrentUser, member: TeamMember) -> Action | None:
    with st.form("team_role"):
        role = st.selectbox(
            "Role",
            ROLES,
            index=ROLES.index(member.role),
            format_func=ROLE_LABELS.__getitem__,
            key=f"team_role_{member.user_id}",
        )
        saved = st.form_submit_button("Save role")

    def save(session: deps.Session) -> tuple[str, str]:
        add_member(
            session, actor=user.actor, review_id=review_id, user_id=member.user_id, role=role
        )
        return f"{member.name} is now {role}.", ""

    return save if saved else None


def _reset(user: state.CurrentUser, member: TeamMember) -> Action:
    def reset(session: deps.Session) -> tuple[str, str]:
        made = reset_password(session, actor=user.actor, user_id=member.user_id)
        notice = f"{made.user.name} has a temporary password; their open logins ended."
        return notice, made.password

    return reset


def _account_button(user: state.CurrentUser, member: TeamMember) -> Action | None:
    def deactivate(session: deps.Session) -> tuple[str, str]:
        deactivate_user(session, actor=user.actor, user_id=member.user_id)
        return f"{member.name}'s account is deactivated; their open logins ended.", ""

    def reactivate(session: deps.Session) -> tuple[str, str]:
        reactivate_user(session, actor=user.actor, user_id=member.user_id)
        return f"{member.name} can log in again.", ""

    if member.is_active:
        st.caption("They can no longer log in; their open logins end.")
        return deactivate if st.button("Deactivate account", key="team_deactivate") else None
    st.caption("They can log in again with their password.")
    return reactivate if st.button("Reactivate account", key="team_reactivate") else None


def _new_review(user: state.CurrentUser) -> None:
    st.header("New review")
    st.caption(
        "From a protocol file (TOML; `protocols/_template.toml` explains every key). You become "
        "the new review's admin; choose it in the sidebar. Command line: `review-app init "
        "--protocol PATH`."
    )
    upload = st.file_uploader("Protocol file", type=["toml"], key="team_protocol")
    name = st.text_input(
        "Review name", placeholder="the file's name without .toml", key="team_review_name"
    )
    if not st.button("Create the review", key="team_create", disabled=upload is None):
        return
    assert upload is not None
    data, file_name = upload.getvalue(), upload.name

    def create(session: deps.Session) -> tuple[str, str]:
        review = create_review_from_upload(
            session, actor=user.actor, data=data, file_name=file_name, name=name.strip() or None
        )
        return f"Review {review.name} created; you are its admin. Choose it in the sidebar.", ""

    _act(create)
