"""The review's protocol as a page people read: PICO, eligibility criteria, exclusion reasons,
screening settings, outcomes, extraction fields, risk-of-bias tools and searches, then its
history and the TOML as loaded.

The protocol's words (``higher_is_better``, ``title_abstract``) are shown as labels; its text,
written by a person, is shown as text, never as markup (``st.table`` renders Markdown in its
cells, so they are escaped too).
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from review_app.domain.vocabulary import Stage
from review_app.protocol import BOTH_STAGES, Outcome, Protocol, SearchSource
from review_app.services.reviews import HistoryEntry, ProtocolHistory
from review_app.ui.components.text import escape_markdown

# The protocol's own choice words (its Literal types) as people read them.
LABELS = {
    BOTH_STAGES: "Both stages",
    "continuous": "Continuous",
    "dichotomous": "Dichotomous",
    "critical": "Critical",
    "important": "Important",
    "not_important": "Not important",
    "higher_is_better": "Higher is better",
    "lower_is_better": "Lower is better",
    "text": "Text",
    "integer": "Whole number",
    "number": "Number",
    "choice": "Choice",
    "boolean": "Yes / no",
    "database": "Database",
    "register": "Register",
    "other": "Other source",
}


def label(word: str) -> str:
    """A stage or a protocol choice word as a label; an unknown word as it is."""
    if word in tuple(Stage):
        return Stage(word).label
    return LABELS.get(word, word)


def show(protocol: Protocol) -> None:
    """Every part of the protocol, in the order a reader meets them in the file."""
    st.markdown(f"**Question.** {escape_markdown(protocol.question)}")
    _pico(protocol)
    _criteria(protocol)
    _reasons(protocol)
    _screening(protocol)
    _outcomes(protocol)
    _extraction(protocol)
    _risk_of_bias(protocol)
    _searches(protocol)


def _pico(protocol: Protocol) -> None:
    st.header("PICO")
    pico = protocol.pico
    for name, text, listed in (
        ("Population", pico.population, pico.conditions),
        ("Intervention", pico.intervention, pico.interventions),
        ("Comparator", pico.comparator, pico.comparators),
        ("Outcomes", pico.outcomes, []),
    ):
        items = "".join(f"\n- {escape_markdown(item)}" for item in listed)
        st.markdown(f"**{name}.** {escape_markdown(text)}{items}")
    designs = "; ".join(protocol.designs)
    st.markdown(f"**Study designs.** {escape_markdown(designs)}")


def _criteria(protocol: Protocol) -> None:
    st.header("Eligibility criteria")
    for criterion in protocol.criteria:
        details = [f"Judged at: {label(criterion.stage)}"]
        details += _keywords("include", criterion.include_keywords)
        details += _keywords("exclude", criterion.exclude_keywords)
        st.markdown(f"- {escape_markdown(criterion.text)}  \n  :gray[{' · '.join(details)}]")


def _keywords(kind: str, words: list[str]) -> list[str]:
    return [f"highlighted as {kind}: {escape_markdown(', '.join(words))}"] if words else []


def _reasons(protocol: Protocol) -> None:
    st.header("Exclusion reasons")
    st.caption(
        "In protocol order: a reviewer gives the first that applies. Every reason applies at "
        "full text; those marked 'Both stages' at title and abstract too."
    )
    st.markdown(
        "\n".join(
            f"{number}. {escape_markdown(reason.label)} · {label(reason.stage)}"
            for number, reason in enumerate(protocol.exclusion_reasons, start=1)
        )
    )


def _screening(protocol: Protocol) -> None:
    st.header("Screening")
    rules = protocol.screening
    blind = (
        "blind: a reviewer sees only their own votes until a lead unblinds the review"
        if rules.blind
        else "not blind: reviewers see each other's votes"
    )
    maybe = (
        f"'Maybe' is allowed and counts as {rules.maybe_counts_as}"
        if rules.allow_maybe
        else "'Maybe' is not allowed"
    )
    st.markdown(
        f"- Each record is screened by **{rules.reviewers_per_record}** reviewers, {blind}.\n"
        f"- {maybe}.\n"
        "- Records are ranked by relevance from the start, by the protocol's question, PICO and "
        "criteria, then by every vote as it is cast."
    )


def _outcomes(protocol: Protocol) -> None:
    st.header("Outcomes")
    st.table([_outcome_row(outcome) for outcome in protocol.outcomes])


def _outcome_row(outcome: Outcome) -> dict[str, str]:
    mid = f"{outcome.mid:g} {outcome.mid_unit}".strip() if outcome.mid is not None else "not set"
    return {
        "Outcome": escape_markdown(outcome.name),
        "Type": label(outcome.type),
        "Importance": label(outcome.importance),
        "Direction of benefit": label(outcome.direction),
        "Minimal important difference": escape_markdown(mid),
        "Pooled as": outcome.default_measure.label,
    }


def _extraction(protocol: Protocol) -> None:
    st.header("Extraction")
    settings = protocol.extraction
    blind = "blind" if settings.blind else "not blind"
    st.markdown(f"Each study is extracted by **{settings.extractors_per_study}** people, {blind}.")
    if not protocol.extraction_fields:
        st.write("The protocol lists no study characteristics to extract.")
        return
    st.table(
        [
            {
                "Field": escape_markdown(field.label),
                "Type": label(field.type),
                "Choices": escape_markdown("; ".join(field.choices)),
                "Required": "yes" if field.required else "no",
                "Help": escape_markdown(field.help),
            }
            for field in protocol.extraction_fields
        ]
    )


def _risk_of_bias(protocol: Protocol) -> None:
    st.header("Risk of bias")
    settings = protocol.appraisal
    blind = "blind" if settings.blind else "not blind"
    st.markdown(
        f"Each study is assessed by **{settings.assessors_per_study}** people, {blind}. "
        f"GRADE: **{protocol.grade.judges_per_outcome}** judges per outcome."
    )
    st.table(
        [
            {"Study design": escape_markdown(design), "Tool": escape_markdown(tool)}
            for design, tool in protocol.risk_of_bias.items()
        ]
    )


def _searches(protocol: Protocol) -> None:
    st.header("Searches")
    st.table([_source_row(source) for source in protocol.search_sources])
    for source in protocol.search_sources:
        if source.strategy.strip():
            with st.expander(f"Search strategy: {source.name}"):
                st.code(source.strategy, language=None, wrap_lines=True)


def _source_row(source: SearchSource) -> dict[str, str]:
    return {
        "Source": escape_markdown(source.name),
        "Kind": label(source.kind),
        "Platform": escape_markdown(source.platform),
        "Searched on": source.date_searched.isoformat() if source.date_searched else "not given",
    }


def show_history(history: ProtocolHistory, *, file_name: str) -> None:
    """When and by whom the protocol was loaded, the changes since, and the TOML to download."""
    st.header("History")
    st.write(
        "A protocol is fixed when its review is created: it cannot be edited afterwards (a "
        "changed plan is a new review, created from the changed file). Loaded on "
        f"{when(history.loaded_at)} by {history.loaded_by}."
    )
    st.markdown("\n".join(f"- {when(e.at)} · {e.who}: {describe(e)}" for e in history.entries))
    if not history.source_text:
        st.caption("The TOML as loaded was not kept for this review (created before it was).")
        return
    st.download_button(
        "Download the protocol as loaded (TOML)",
        data=history.source_text.encode("utf-8"),
        file_name=file_name,
        mime="application/toml",
        key="protocol_download",
    )
    with st.expander("The protocol file as loaded"):
        st.code(history.source_text, language="toml", wrap_lines=True)


def describe(entry: HistoryEntry) -> str:
    """One sentence for an event of the protocol's history."""
    after = entry.after or {}
    if entry.action == "review.create":
        return f"review {escape_markdown(str(after.get('name', '')))} created from the protocol"
    if entry.action == "review.set_blind":
        return (
            "blinding switched on again: reviewers see only their own votes"
            if after.get("is_blind")
            else "blinding switched off: reviewers see each other's votes"
        )
    return escape_markdown(entry.action)


def when(moment: datetime) -> str:
    """A stored time (UTC; naive when SQLite gives it back) for a person."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
