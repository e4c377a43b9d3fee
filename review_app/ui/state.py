"""The session-state keys the whole app shares: ids only, never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from review_app.services.permissions import Actor

USER_ID = "user_id"
USER_NAME = "user_name"
REVIEW_ID = "review_id"


@dataclass(frozen=True, slots=True)
class CurrentUser:
    id: int
    name: str

    @property
    def actor(self) -> Actor:
        return Actor.user(self.id)


def current_user() -> CurrentUser | None:
    user_id = st.session_state.get(USER_ID)
    if user_id is None:
        return None
    return CurrentUser(id=user_id, name=st.session_state.get(USER_NAME, ""))


def log_in(user_id: int, name: str) -> None:
    st.session_state[USER_ID] = user_id
    st.session_state[USER_NAME] = name


def log_out() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def current_review_id() -> int | None:
    return st.session_state.get(REVIEW_ID)


def choose_review(review_id: int) -> None:
    st.session_state[REVIEW_ID] = review_id


ROLE = "role"  # the role in the open review: for choosing pages only; services check again


def current_role() -> str | None:
    return st.session_state.get(ROLE)


def set_role(role: str) -> None:
    st.session_state[ROLE] = role
