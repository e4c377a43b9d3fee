"""What surrounds the record on the Screen page: the reviewer's progress with the time left at
their pace, the eligibility criteria across the page's width, and the vote buttons' colours
(include green, exclude red, as in the keyword highlighting)."""

from __future__ import annotations

import streamlit as st

from review_app.domain.vocabulary import Stage, Vote
from review_app.protocol import Protocol
from review_app.services.screening import ScreeningProgress
from review_app.ui.components.text import escape_markdown

CRITERIA_KEY = "screen_criteria_open"

# The keyword highlighting's tints (components/highlight.py) with a darker edge and text, so a
# vote button reads as the same colour as the words that argue for it.
VOTE_COLOURS: dict[str, tuple[str, str]] = {  # vote -> (background, edge and text)
    Vote.INCLUDE: ("#c3f0c8", "#1b6e2c"),
    Vote.EXCLUDE: ("#ffc9c9", "#a61e1e"),
}


def vote_button_style(button_keys: dict[str, str]) -> str:
    """CSS giving each vote's button (by its widget key, ``vote -> key``) its vote's colours."""
    rules = []
    for vote, key in button_keys.items():
        if vote not in VOTE_COLOURS:
            continue
        background, edge = VOTE_COLOURS[vote]
        colours = f"border-color:{edge};color:{edge}"
        rules.append(
            f".st-key-{key} button {{background:{background};{colours}}}"
            f".st-key-{key} button:hover {{{colours};filter:brightness(0.95)}}"
        )
    return "<style>" + "".join(rules) + "</style>"


def show_progress(progress: ScreeningProgress) -> None:
    st.metric("My votes", progress.my_votes)
    st.metric("Left for me", progress.remaining_for_me)
    if progress.eligible:
        st.progress(
            progress.fully_voted / progress.eligible,
            text=f"Review: {progress.fully_voted} of {progress.eligible} fully voted",
        )
    if progress.seconds_left is not None and progress.seconds_per_vote is not None:
        st.caption(
            f"At your pace ({progress.seconds_per_vote:.0f} s a record): "
            f"{time_left(progress.seconds_left)} left."
        )


def time_left(seconds: float) -> str:
    """A duration as a person says it: never "0 min" while records remain."""
    if seconds <= 0:
        return "nothing"
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"about {minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"about {hours} h {rest} min" if rest else f"about {hours} h"


def show_criteria(protocol: Protocol, stage: Stage | str) -> None:
    """The criteria judged at ``stage`` in two columns across the page (long texts read badly
    in a side column), folded away once the reviewer knows them."""
    criteria = protocol.criteria_for(stage)
    folder = st.expander(
        f"Eligibility criteria ({len(criteria)} at {Stage(stage).in_prose})",
        expanded=True,
        key=CRITERIA_KEY,
    )
    with folder:
        columns = st.columns(2, gap="large")
        for number, criterion in enumerate(criteria):
            name = criterion.id.replace("_", " ").capitalize()
            columns[number % 2].markdown(
                f"**{escape_markdown(name)}**: {escape_markdown(criterion.text)}"
            )
        st.caption(
            "In the record, green marks words that argue for including and red words that "
            "argue for excluding (the protocol's keywords)."
        )
