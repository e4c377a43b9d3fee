"""Decisions and inter-rater agreement, for the dashboard and the decisions export
(``services.exports.decisions``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from review_app.domain.agreement import (
    INCLUDE_EXCLUDE,
    MAYBE_AS_INCLUDE,
    SCREENING_CATEGORIES,
    Agreement,
    agreement,
    collapse,
)
from review_app.domain.consensus import StageStatus
from review_app.domain.vocabulary import Role, Vote
from review_app.models import Decision, Record, Resolution, User
from review_app.services.permissions import Actor, require_role
from review_app.services.progress import STAGES, stage_statuses, unique_record_ids
from review_app.services.reviews import get_protocol


@dataclass(frozen=True, slots=True)
class PairAgreement:
    stage: str
    reviewer_a: str
    reviewer_b: str
    agreement: Agreement


def agreement_by_stage(session: Session, *, actor: Actor, review_id: int) -> list[PairAgreement]:
    """Agreement for every reviewer pair at each stage (leads: it is built from everyone's votes).

    When "maybe" moves a record on (the protocol's maybe_counts_as = include), votes are compared
    as include vs exclude with maybe counted as include; otherwise on all three categories.
    """
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    maybe_is_include = get_protocol(session, review_id).screening.maybe_counts_as == Vote.INCLUDE
    votes = _votes(session, review_id)
    results = []
    for stage in STAGES:
        shared: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        for ratings in votes[stage].values():
            names = sorted(ratings)
            for i, a in enumerate(names):
                for b in names[i + 1 :]:
                    shared[(a, b)].append((ratings[a], ratings[b]))
        for (a, b), pairs in sorted(shared.items()):
            if maybe_is_include:
                stats = agreement(collapse(pairs, MAYBE_AS_INCLUDE), categories=INCLUDE_EXCLUDE)
            else:
                stats = agreement(pairs, categories=SCREENING_CATEGORIES)
            results.append(PairAgreement(stage, a, b, stats))
    return results


def decisions_rows(
    session: Session, *, actor: Actor, review_id: int
) -> tuple[list[str], list[list[object]]]:
    """One row per screened-or-screenable record: every reviewer's vote and reason per stage,
    the lead's resolution, the status per stage and the final status."""
    require_role(session, actor=actor, review_id=review_id, at_least="lead")
    ids = unique_record_ids(session, review_id=review_id)
    reviewers = _reviewer_names(session, review_id)
    votes = _votes_with_reasons(session, review_id)
    resolutions = _resolutions(session, review_id)
    statuses = {
        stage: stage_statuses(session, review_id=review_id, stage=stage, record_ids=ids)
        for stage in STAGES
    }
    titles = (
        dict(session.exec(select(Record.id, Record.title).where(col(Record.id).in_(ids))).all())
        if ids
        else {}
    )
    header = ["record_id", "title"]
    for stage in STAGES:
        for name in reviewers:
            header += [f"{stage}:{name}", f"{stage}:{name}:reason"]
        header += [f"{stage}:resolution", f"{stage}:status"]
    header.append("final_status")
    rows = []
    for rid in ids:
        row: list[object] = [rid, titles.get(rid, "")]
        for stage in STAGES:
            for name in reviewers:
                vote, reason = votes[stage].get(rid, {}).get(name, ("", ""))
                row += [vote, reason]
            row += [resolutions.get((rid, stage), ""), _stage_status(rid, stage, statuses)]
        row.append(_final_status(rid, statuses))
        rows.append(row)
    return header, rows


def _votes(session: Session, review_id: int) -> dict[str, dict[int, dict[str, str]]]:
    """stage -> record -> reviewer name -> vote."""
    return {
        stage: {
            rid: {name: vote for name, (vote, _) in by_name.items()}
            for rid, by_name in records.items()
        }
        for stage, records in _votes_with_reasons(session, review_id).items()
    }


def _votes_with_reasons(
    session: Session, review_id: int
) -> dict[str, dict[int, dict[str, tuple[str, str]]]]:
    """stage -> record -> reviewer name -> (vote, reason)."""
    result: dict[str, dict[int, dict[str, tuple[str, str]]]] = {
        stage: defaultdict(dict) for stage in STAGES
    }
    rows = session.execute(
        sa_select(
            col(Decision.record_id),
            col(Decision.stage),
            col(Decision.vote),
            col(Decision.reason),
            col(User.name),
        )
        .join(User, col(User.id) == Decision.reviewer_id)
        .where(col(Decision.review_id) == review_id)
    )
    for record_id, stage, vote, reason, name in rows:
        result[stage][record_id][name] = (vote, reason or "")
    return result


def _reviewer_names(session: Session, review_id: int) -> list[str]:
    return list(
        session.exec(
            select(User.name)
            .join(Decision, col(Decision.reviewer_id) == User.id)
            .where(Decision.review_id == review_id)
            .distinct()
            .order_by(User.name)
        )
    )


def _resolutions(session: Session, review_id: int) -> dict[tuple[int, str], str]:
    rows = session.exec(
        select(Resolution.record_id, Resolution.stage, Resolution.vote, Resolution.reason).where(
            Resolution.review_id == review_id
        )
    )
    return {
        (rid, stage): vote + (f" ({reason})" if reason else "") for rid, stage, vote, reason in rows
    }


def _stage_status(rid: int, stage: str, statuses: dict[str, dict[int, StageStatus]]) -> str:
    status = statuses[stage].get(rid)
    return status.value if status is not None else ""


def _final_status(rid: int, statuses: dict[str, dict[int, StageStatus]]) -> str:
    title_abstract = statuses["title_abstract"][rid]
    if title_abstract is StageStatus.EXCLUDED:
        return "excluded at title/abstract"
    if title_abstract is not StageStatus.INCLUDED:
        return f"title/abstract: {title_abstract.value}"
    full_text = statuses["full_text"].get(rid, StageStatus.UNSCREENED)
    if full_text is StageStatus.INCLUDED:
        return "included"
    if full_text is StageStatus.EXCLUDED:
        return "excluded at full text"
    return f"full text: {full_text.value}"
