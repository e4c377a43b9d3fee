"""Help: the review's workflow in plain words, and every keyboard shortcut of the app (read from
``ui/shortcuts.py``, the registry the pages bind their keys from), for every member."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from review_app.domain.vocabulary import is_lead
from review_app.ui import state
from review_app.ui.components.shortcuts_help import table
from review_app.ui.shortcuts import HELP_KEY, REGISTRY


@dataclass(frozen=True, slots=True)
class Step:
    title: str
    page: str  # where it happens (the sidebar's name)
    who: str
    what: str


WORKFLOW: tuple[Step, ...] = (
    Step(
        "Import the searches",
        "Import",
        "a lead",
        "Upload each database's export (RIS, MEDLINE, BibTeX, EndNote XML, CSV/Excel or Web of "
        "Science), say which database it came from and when it was searched. An import can be "
        "undone as a whole.",
    ),
    Step(
        "Remove duplicates",
        "Duplicates",
        "a lead",
        "The automatic pass merges records that are clearly the same; pairs it is unsure about "
        "wait in a queue where you decide: duplicate, not a duplicate, or skip. A merge can be "
        "undone; merged copies still count in the PRISMA diagram.",
    ),
    Step(
        "Screen titles and abstracts",
        "Screen",
        "every reviewer",
        "One record at a time: include, exclude (with a reason if you like) or maybe. Each "
        "record gets the number of independent votes the protocol asks for. While the review "
        "is blind you see only your own votes; when two reviewers disagree, a lead resolves the "
        "conflict on the Conflicts page.",
    ),
    Step(
        "Screen full texts",
        "Screen (Full text stage)",
        "every reviewer",
        "The records that passed are read in full: attach or link the full text, then include "
        "or exclude; excluding now needs one of the protocol's reasons. Conflicts go to a lead "
        "again.",
    ),
    Step(
        "Extract the data",
        "Studies, then Extraction",
        "reviewers, then a lead",
        "A lead groups the included reports into studies. Two reviewers each fill in their own "
        "copy of the study's characteristics and outcome data; a lead compares the copies and "
        "keeps a consensus.",
    ),
    Step(
        "Judge the risk of bias",
        "Risk of bias",
        "reviewers, then a lead",
        "Each study is rated with the protocol's tool (RoB 2 or ROBINS-I), domain by domain, in "
        "two independent copies and a consensus.",
    ),
    Step(
        "Pool the results",
        "Analyses",
        "a lead",
        "Meta-analyses of each outcome from the consensus data: forest and funnel plots, "
        "subgroups and sensitivity analyses.",
    ),
    Step(
        "Rate the certainty of the evidence",
        "GRADE, then Summary of findings",
        "reviewers, then a lead",
        "For each outcome, rate risk of bias, inconsistency, indirectness, imprecision and "
        "publication bias; the Summary-of-Findings table follows from the ratings.",
    ),
    Step(
        "Export and report",
        "Exports",
        "a lead",
        "Download records, decisions, extracted data, risk-of-bias tables, the Summary of "
        "findings and the PRISMA 2020 flow diagram, which is always counted from the decisions "
        "themselves.",
    ),
)


# The pages used all along, beside the steps: (sidebar name, who, what it is for).
ALONG_THE_WAY: tuple[tuple[str, str, str], ...] = (
    ("Dashboard", "everyone", "where the review stands: records at each stage, your progress."),
    (
        "Records",
        "everyone",
        "every record in a searchable table; open one for its fields, copies, votes (only your "
        "own while the review is blind), full text and discussion.",
    ),
    ("Conflicts", "leads", "the records two reviewers disagreed on, to decide."),
    (
        "Discussion",
        "leads",
        "records someone flagged for discussion, with their comments (any member can comment "
        "and flag under a record).",
    ),
    ("Protocol", "everyone", "the review's plan: question, criteria, reasons, outcomes, tools."),
    ("Team", "admins", "add people, change roles, reset passwords."),
)


def render() -> None:
    st.title("Help")
    st.markdown(
        "This app runs a systematic review from the database searches to the report. "
        "The steps below happen in this order; the sidebar lists the pages your role opens"
        + (" (leads and admins see every page)." if is_lead(state.current_role()) else ".")
    )
    st.header("The workflow")
    for number, step in enumerate(WORKFLOW, start=1):
        st.markdown(
            f"**{number}. {step.title}** · *{step.page}* · done by {step.who}  \n{step.what}"
        )
    st.header("Along the way")
    for page, who, what in ALONG_THE_WAY:
        st.markdown(f"- *{page}* ({who}): {what}")
    st.header("Keyboard shortcuts")
    st.markdown(
        f"Press **{HELP_KEY}** on a page with shortcuts to see its keys. Keys act only when the "
        "cursor is not in a text box: click on the page (or press Esc) first."
    )
    for entry in REGISTRY:
        st.subheader(entry.title)
        st.markdown(table(entry))
