"""The review dashboard: real counts from the database, by stage and by reviewer."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from review_app.domain.vocabulary import Stage, StageStatus, is_lead
from review_app.services.decisions import PairAgreement, agreement_by_stage
from review_app.services.exports.prisma import export_prisma
from review_app.services.prioritisation import StoppingEstimate, stopping_aid
from review_app.services.prisma import prisma_preview
from review_app.services.progress import ReviewProgress, StageCounts, review_progress
from review_app.services.releases import count_unreleased, release_outcomes
from review_app.services.reviews import get_review, set_blind
from review_app.ui import background, deps, state
from review_app.ui.components.text import escape_markdown
from review_app.ui.views import screening
from review_app.ui.views.screening import STAGE_KEY as SCREEN_STAGE_KEY

BLIND_PRISMA = (
    "The review is blind: the flow diagram adds up everyone's votes, so it is shown to leads "
    "until a lead unblinds the review."
)
AT_STAGE = "Records at this stage"
AT_STAGE_HELP = (
    "Every record that reaches this stage, decided or not; those still needing votes are below."
)
RELEASE_LABELS = {
    Stage.TITLE_ABSTRACT: "Send {n} decided records on to full text",
    Stage.FULL_TEXT: "Release {n} decided full-text outcomes to the team",
}


def render() -> None:
    review_id = state.current_review_id()
    user = state.current_user()
    if review_id is None or user is None:
        return
    with deps.unit_of_work() as session:
        review = get_review(session, review_id)
        progress = review_progress(session, actor=user.actor, review_id=review_id)
    st.title(review.title)
    if review.question:
        st.markdown(f"**Question:** {escape_markdown(review.question)}")
    _show_records(progress)
    for stage in progress.stages:
        _show_stage(stage)
    _show_reviewers(progress)
    lead = is_lead(state.current_role())
    if lead and review.is_blind:
        _show_releases(review_id, user)
    if lead or not review.is_blind:
        _show_prisma(review_id, user)
    else:
        st.subheader("PRISMA 2020 flow diagram")
        st.info(BLIND_PRISMA)
    if lead:
        _show_agreement(review_id, user)
        _show_stopping_aid(review_id, user)
        _show_blinding(review_id, review.is_blind, user)


def _show_records(progress: ReviewProgress) -> None:
    st.subheader("Records")
    cols = st.columns(4)
    cols[0].metric("Imported", progress.records_imported)
    cols[1].metric("Duplicates removed", progress.duplicates)
    cols[2].metric("Unique records", progress.unique_records)
    cols[3].metric("Import batches", progress.import_batches)
    if not progress.records_imported:
        st.info("No search results yet. Import your database exports to start screening.")


def _show_stage(stage: StageCounts) -> None:
    st.subheader(Stage(stage.stage).label)
    counts = stage.counts
    undecided = stage.eligible - stage.fully_voted
    if counts is None:  # a reviewer in a blind review: votes only, no outcomes
        left, middle, right = st.columns(3)
        left.metric(AT_STAGE, stage.eligible, help=AT_STAGE_HELP)
        middle.metric("Fully voted", stage.fully_voted)
        right.metric("Still needing votes", undecided)
        st.caption(
            "Blind review: conflicts and decisions are shown to leads only."
            + (
                " Full text counts the records a lead has sent on."
                if stage.stage == Stage.FULL_TEXT
                else ""
            )
        )
    else:
        cols = st.columns(6)
        cols[0].metric(AT_STAGE, stage.eligible, help=AT_STAGE_HELP)
        cols[1].metric("No votes yet", counts[StageStatus.UNSCREENED])
        cols[2].metric("Awaiting 2nd vote", counts[StageStatus.AWAITING])
        cols[3].metric("Conflicts", counts[StageStatus.CONFLICT])
        cols[4].metric("Included", counts[StageStatus.INCLUDED])
        cols[5].metric("Excluded", counts[StageStatus.EXCLUDED])
    if stage.eligible:
        share = stage.fully_voted / stage.eligible
        st.progress(
            share,
            text=f"{stage.fully_voted} of {stage.eligible} records have all their votes; "
            f"{undecided} still need votes",
        )
    if undecided and st.button(
        f"Start screening ({Stage(stage.stage).label.lower()})",
        key=f"start_screening_{stage.stage}",
        icon=":material/play_arrow:",
    ):
        _start_screening(stage.stage)


def _start_screening(stage: str) -> None:
    """Open the screening page at this stage (its stage choice is a widget state we preset)."""
    st.session_state[SCREEN_STAGE_KEY] = stage
    st.switch_page(st.Page(screening.render, title="Screen", url_path="screen"))


def _show_reviewers(progress: ReviewProgress) -> None:
    st.subheader("Team")
    eligible = {stage.stage: stage.eligible for stage in progress.stages}
    rows = [
        {
            "Name": reviewer.name,
            "Role": reviewer.role,
            **{
                f"{Stage(stage).label} votes": f"{votes} / {eligible[stage]}"
                for stage, votes in reviewer.votes.items()
            },
        }
        for reviewer in progress.reviewers
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


PRISMA_DOWNLOADS = (
    ("pdf", "PDF", "application/pdf"),
    ("png", "PNG (300 dpi)", "image/png"),
    ("svg", "SVG", "image/svg+xml"),
    ("csv", "PRISMA2020 CSV", "text/csv"),
)


def _show_prisma(review_id: int, user: state.CurrentUser) -> None:
    st.subheader("PRISMA 2020 flow diagram")
    with deps.unit_of_work() as session:
        svg = prisma_preview(session, actor=user.actor, review_id=review_id)
    st.image(svg.decode("utf-8"), width="stretch")
    for column, (format, label, mime) in zip(
        st.columns(len(PRISMA_DOWNLOADS)), PRISMA_DOWNLOADS, strict=True
    ):
        column.download_button(
            label,
            # made when clicked, so the page does not draw every format on each visit
            functools.partial(_prisma_file, review_id, user, format),
            file_name=f"prisma.{format}",
            mime=mime,
            key=f"prisma_{format}",
            icon=":material/download:",
            # no rerun on click: a rerun would replace the button (and its deferred file) while
            # the browser is still fetching it
            on_click="ignore",
        )
    st.caption(
        "Computed from the decisions. The CSV opens in the PRISMA2020 R package and its Shiny "
        "app; while screening goes on, what awaits a decision is noted in its box labels."
    )


def _prisma_file(review_id: int, user: state.CurrentUser, format: str) -> bytes:
    with deps.unit_of_work() as session:
        return export_prisma(session, actor=user.actor, review_id=review_id, format=format)


def _show_agreement(review_id: int, user: state.CurrentUser) -> None:
    with deps.unit_of_work() as session:
        pairs = agreement_by_stage(session, actor=user.actor, review_id=review_id)
    st.subheader("Agreement between reviewers")
    if not pairs:
        st.caption("Shown once two reviewers have voted on the same records.")
        return
    rows = [
        {
            "Stage": Stage(p.stage).label,
            "Reviewers": f"{p.reviewer_a} & {p.reviewer_b}",
            "Records": p.agreement.n,
            "Agreement": _percent(p.agreement.observed_agreement),
            "Cohen's kappa (95 % CI)": _with_ci(p.agreement.kappa, p.agreement.kappa_ci),
            "PABAK": _number(p.agreement.pabak),
            "Gwet's AC1 (95 % CI)": _with_ci(p.agreement.ac1, p.agreement.ac1_ci),
        }
        for p in pairs
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    for p in pairs:
        if note := _prevalence_note(p):
            st.info(note)
    st.caption(
        "Maybe counts as include when the protocol moves maybes on. Kappa SE: Fleiss, "
        "Cohen & Everitt (1969); AC1: Gwet (2008)."
    )


def _prevalence_note(pair: PairAgreement) -> str | None:
    """Why a high agreement can go with a kappa near zero: when almost every vote is the same
    (most records excluded), the agreement kappa expects by chance is itself high, and kappa =
    (po - pe) / (1 - pe) is small or negative although the reviewers rarely disagreed. This is
    the first kappa paradox (Feinstein AR, Cicchetti DV. High agreement but low kappa. J Clin
    Epidemiol 1990;43:543-9); PABAK and Gwet's AC1 depend less on prevalence."""
    a = pair.agreement
    if a.kappa is None or a.observed_agreement is None or a.chance_agreement is None:
        return None
    if a.observed_agreement < 0.8 or a.observed_agreement - a.kappa < 0.3:
        return None
    category, share = _most_common_vote(a.table, a.categories, a.n)
    return (
        f"{Stage(pair.stage).label}, {pair.reviewer_a} & {pair.reviewer_b}: "
        f"{_percent(a.observed_agreement)} agreement but a kappa of {a.kappa:.2f}. "
        f"{_percent(share)} of the votes were {category}, so reviewers voting at random with "
        f"those shares would already agree on {_percent(a.chance_agreement)} of records, and "
        "kappa counts only agreement beyond chance. With so skewed a prevalence kappa is small "
        "even when reviewers rarely disagree (Feinstein & Cicchetti 1990); PABAK and AC1 are "
        "less affected."
    )


def _most_common_vote(
    table: Sequence[Sequence[int]], categories: tuple[str, ...], n: int
) -> tuple[str, float]:
    """The category given most often by both reviewers together, and its share of the votes."""
    totals = [sum(table[i]) + sum(row[i] for row in table) for i in range(len(categories))]
    best = max(range(len(categories)), key=totals.__getitem__)
    return categories[best], totals[best] / (2 * n) if n else 0.0


def _show_stopping_aid(review_id: int, user: state.CurrentUser) -> None:
    with deps.unit_of_work() as session:
        estimate = stopping_aid(session, actor=user.actor, review_id=review_id)
    st.subheader("When to stop screening titles and abstracts")
    cols = st.columns(3)
    cols[0].metric("Includes found", estimate.n_includes_found)
    cols[1].metric("Records not yet screened", estimate.n_unscreened)
    cols[2].metric(
        f"Includes still missed, at most ({_whole_percent(estimate.confidence)} sure)",
        estimate.remaining_upper_bound,
    )
    verdict = _stopping_verdict(estimate)
    (st.success if estimate.criterion_met else st.warning)(verdict)
    st.markdown("\n".join(f"- {line}" for line in _stopping_facts(estimate)))
    st.caption(
        "The estimate assumes the records were screened in the order of the ranking, likeliest "
        "includes first, as this app's screening queue offers them. A record counts as screened "
        "once its outcome is final (agreed votes or a lead's resolution). Nothing is excluded "
        f"automatically: unscreened records stay unscreened. Method: {estimate.method}."
    )


def _stopping_verdict(e: StoppingEstimate) -> str:
    target, confidence = _whole_percent(e.recall_target), _whole_percent(e.confidence)
    if e.criterion_met and not e.n_includes_found:  # "recall" of none found reads oddly
        return (
            f"You may stop: with {confidence} confidence none of the records not yet screened "
            "is an include."
        )
    if e.criterion_met:
        return (
            f"You may stop: with {confidence} confidence at least {target} of the includes "
            "have been found."
        )
    if e.more_to_sample >= e.n_unscreened:
        left = (
            "the last record is"
            if e.n_unscreened == 1
            else f"all {e.n_unscreened} records left are"
        )
        return f"Keep screening: the estimate cannot say you may stop until {left} screened."
    return (
        f"Keep screening: if the next {_records(e.more_to_sample)} screened are all excluded, "
        "you may stop."
    )


def _stopping_facts(e: StoppingEstimate) -> list[str]:
    """The estimate's numbers, one short sentence each."""
    found = f"{e.n_includes_found} include{'' if e.n_includes_found == 1 else 's'}"
    facts = [f"{found} found in {e.n_screened} of {_records(e.n_records)}."]
    if e.sample_size:
        facts.append(_sample_sentence(e))
    if e.estimated_remaining is not None:
        facts.append(
            f"Includes missed among the {_records(e.n_unscreened)} not yet screened: about "
            f"{e.estimated_remaining:.0f} (best guess), at most {e.remaining_upper_bound} "
            f"({_whole_percent(e.confidence)} confidence)."
        )
    if e.n_includes_found:
        at_least = math.floor(1000 * e.recall_lower_bound) / 10  # a lower bound: never round up
        facts.append(
            f"So at least {at_least:.1f} % of all includes have been found "
            f"(p = {e.p_value:.3f} against fewer than {_whole_percent(e.recall_target)})."
        )
    return facts


def _sample_sentence(e: StoppingEstimate) -> str:
    """Which records screened serve as the test's sample, and how many of them were included."""
    if e.sample_size == 1:
        which = "The only record" if e.n_screened == 1 else "The last record"
        outcome = "included" if e.includes_in_sample else "excluded"
        return f"{which} screened serves as the sample: it was {outcome}."
    which = "All" if e.sample_size == e.n_screened else "The last"
    verb = "was" if e.includes_in_sample == 1 else "were"
    return (
        f"{which} {e.sample_size} records screened, in ranked order, serve as the sample: "
        f"{e.includes_in_sample} of them {verb} included."
    )


def _records(n: int) -> str:
    return f"{n} record{'' if n == 1 else 's'}"


def _whole_percent(share: float) -> str:
    return f"{100 * share:.0f} %"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _with_ci(value: float | None, ci: tuple[float, float] | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" + (f" ({ci[0]:.2f} to {ci[1]:.2f})" if ci else "")


def _show_releases(review_id: int, user: state.CurrentUser) -> None:
    """While blind, decided outcomes reach the reviewers only when a lead sends them on."""
    with deps.unit_of_work() as session:
        waiting = {
            stage: count_unreleased(session, actor=user.actor, review_id=review_id, stage=stage)
            for stage in RELEASE_LABELS
        }
    st.subheader("Decided records waiting to be sent on")
    st.caption(
        "Blind review: a record with all its votes reaches the reviewers' next stage only when "
        "you send it on. Sending takes every such record: agreed ones move on, conflicts wait "
        "for your resolution (a resolved conflict goes on by itself), and the votes on all of "
        "them become final, so no reviewer can learn of a conflict and change their vote."
    )
    if not any(waiting.values()):
        st.write("Nothing is waiting.")
    for stage, n in waiting.items():
        if n and st.button(RELEASE_LABELS[stage].format(n=n), key=f"release_{stage}"):
            with deps.unit_of_work() as session:
                release_outcomes(session, actor=user.actor, review_id=review_id, stage=stage)
            st.rerun()


def _show_blinding(review_id: int, is_blind: bool, user: state.CurrentUser) -> None:
    st.subheader("Blinding")
    if is_blind:
        st.write("Blind: each reviewer sees only their own votes until a lead resolves a conflict.")
    else:
        st.warning("Unblinded: reviewers can see each other's votes.")
    label = "Unblind the review" if is_blind else "Blind the review again"
    if st.button(label, key="toggle_blind"):
        with deps.unit_of_work() as session:
            set_blind(session, actor=user.actor, review_id=review_id, blind=not is_blind)
        background.retrainer().request(review_id)  # blind: one ranking each; else one shared
        st.rerun()
