"""The demo review's partly screened state: the demo reviewers' votes from ``demo/screening.json``.

``scripts/build_demo_screening.py`` writes the file from the kratom reference records: votes that
follow the protocol applied to each record's recorded facts, three honest disagreements left to
the lead, and records nobody has screened yet. Here each entry is found among the review's
screened (unique) records and its votes are cast through ``record_vote`` as the demo reviewers
themselves, so every screening rule and audit event applies.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from review_app.domain.vocabulary import Role, Stage, StageStatus
from review_app.errors import ValidationError
from review_app.models import (
    ClusterMember,
    DuplicateCluster,
    ImportBatch,
    Membership,
    Record,
    User,
)
from review_app.services.permissions import Actor
from review_app.services.progress import stage_statuses, unique_record_ids
from review_app.services.releases import release_outcomes
from review_app.services.screening import record_vote

DEMO_SCREENING = Path(__file__).resolve().parents[1] / "demo" / "screening.json"
# The keys of an entry that hold votes, in the order they are cast.
VOTE_STAGES = tuple(Stage)


@dataclass(frozen=True, slots=True)
class DemoScreeningSummary:
    votes_cast: int  # title/abstract and full-text votes together
    full_text_votes: int
    voted_by_both: int  # unique records with both reviewers' title/abstract votes
    voted_by_one: int
    not_screened: int  # unique records without any title/abstract vote
    conflicts: int  # title/abstract conflicts left for the lead
    records_left: int  # unique records that still need a title/abstract vote


def seed_demo_screening(
    session: Session, *, review_id: int, path: Path = DEMO_SCREENING
) -> DemoScreeningSummary:
    """Cast the demo reviewers' votes from ``path``; an entry that matches no record is an error."""
    data = json.loads(path.read_text(encoding="utf-8"))
    entries: list[dict[str, Any]] = data["entries"]
    finder = RecordFinder(session, review_id)
    targets = [(entry, finder.find(entry)) for entry in entries]
    seen: dict[int, str] = {}
    for entry, record_id in targets:
        if record_id in seen:
            raise ValidationError(
                f"demo screening entries {seen[record_id]} and {_label(entry)} "
                f"name the same record {record_id}"
            )
        seen[record_id] = _label(entry)
    actors: dict[str, Actor] = {}
    cast = dict.fromkeys(VOTE_STAGES, 0)
    # Every title/abstract vote first: a record reaches full text only once both have passed it
    # and a lead has released the outcomes, as the lead of a blind review does.
    for stage in VOTE_STAGES:
        if stage != VOTE_STAGES[0] and any(entry.get(stage) for entry, _ in targets):
            release_outcomes(
                session,
                actor=lead_actor(session, review_id),
                review_id=review_id,
                stage=VOTE_STAGES[0],
            )
        for entry, record_id in targets:
            for vote in entry.get(stage) or []:
                name = vote["reviewer"]
                if name not in actors:
                    actors[name] = user_actor(session, name)
                record_vote(
                    session,
                    actor=actors[name],
                    review_id=review_id,
                    record_id=record_id,
                    stage=stage,
                    vote=vote["vote"],
                    reason=vote.get("reason"),
                    note=vote.get("note"),
                )
                cast[stage] += 1
    return _summary(session, review_id, cast)


def _summary(session: Session, review_id: int, cast: dict[Stage, int]) -> DemoScreeningSummary:
    ids = unique_record_ids(session, review_id=review_id)
    statuses = stage_statuses(
        session, review_id=review_id, stage=Stage.TITLE_ABSTRACT, record_ids=ids
    )
    counts = defaultdict(int, {s: list(statuses.values()).count(s) for s in StageStatus})
    voted_by_both = len(ids) - counts[StageStatus.UNSCREENED] - counts[StageStatus.AWAITING]
    return DemoScreeningSummary(
        votes_cast=sum(cast.values()),
        full_text_votes=cast[Stage.FULL_TEXT],
        voted_by_both=voted_by_both,
        voted_by_one=counts[StageStatus.AWAITING],
        not_screened=counts[StageStatus.UNSCREENED],
        conflicts=counts[StageStatus.CONFLICT],
        records_left=counts[StageStatus.UNSCREENED] + counts[StageStatus.AWAITING],
    )


def lead_actor(session: Session, review_id: int) -> Actor:
    """The review's first lead (who releases the title/abstract outcomes, makes studies...)."""
    user_id = session.exec(
        select(Membership.user_id)
        .where(Membership.review_id == review_id, Membership.role == Role.LEAD)
        .order_by(col(Membership.id))
    ).first()
    if user_id is None:
        raise ValidationError(
            "the demo screening has full-text votes but the review has no lead to release the "
            "title/abstract outcomes"
        )
    return Actor.user(user_id)


def user_actor(session: Session, name: str) -> Actor:
    """The demo user ``name`` acting as themselves."""
    return Actor.user(_user_id(session, name))


def _user_id(session: Session, name: str) -> int:
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None or user.id is None:
        raise ValidationError(f"demo screening: no user {name!r} (seed the demo accounts first)")
    return user.id


def _label(entry: dict[str, Any]) -> str:
    ident = entry.get("pmid") or entry.get("doi") or entry.get("title")
    return f"{entry.get('record_id', '?')} ({ident})"


def normalize_title(title: str) -> str:
    """Letters and digits only, case-folded and without accents: exports differ in case and
    punctuation (PubMed adds a final period, Scopus may write Title Case)."""
    decomposed = unicodedata.normalize("NFKD", title)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "", bare.casefold())


class RecordFinder:
    """The review's records by PMID, DOI and title, each mapped to the copy that is screened.

    An identifier may sit only on a duplicate (an export that dropped the DOI may hold the
    primary copy), so every imported copy is searched and mapped to its cluster's primary.
    """

    def __init__(self, session: Session, review_id: int) -> None:
        self.unique = set(unique_record_ids(session, review_id=review_id))
        primary_of = dict(
            session.exec(
                select(ClusterMember.record_id, DuplicateCluster.primary_record_id)
                .join(DuplicateCluster, col(DuplicateCluster.id) == ClusterMember.cluster_id)
                .where(DuplicateCluster.review_id == review_id)
                .where(DuplicateCluster.status == "active")
            ).all()
        )
        self.index: dict[tuple[str, str], set[int]] = defaultdict(set)
        rows = session.exec(
            select(Record.id, Record.pmid, Record.doi, Record.title)
            .join(ImportBatch, col(ImportBatch.id) == Record.import_batch_id)
            .where(Record.review_id == review_id, ImportBatch.status == "active")
        )
        for record_id, pmid, doi, title in rows:
            assert record_id is not None
            screened = primary_of.get(record_id, record_id)
            if pmid:
                self.index["pmid", pmid.strip()].add(screened)
            if doi:
                self.index["doi", doi.strip().lower()].add(screened)
            if title:
                self.index["title", normalize_title(title)].add(screened)

    def find(self, entry: dict[str, Any]) -> int:
        if entry.get("pmid"):
            key = ("pmid", str(entry["pmid"]).strip())
        elif entry.get("doi"):
            key = ("doi", str(entry["doi"]).strip().lower())
        elif entry.get("title"):
            key = ("title", normalize_title(str(entry["title"])))
        else:
            raise ValidationError(f"demo screening entry {_label(entry)} has no PMID, DOI or title")
        found = self.index.get(key, set()) & self.unique
        if len(found) != 1:
            problem = "matches no record" if not found else f"matches {len(found)} records"
            raise ValidationError(
                f"demo screening entry {_label(entry)} {problem} in the review by {key[0]}: "
                "screening.json and the demo searches must agree "
                "(rebuild with scripts/build_demo_screening.py)"
            )
        return found.pop()
