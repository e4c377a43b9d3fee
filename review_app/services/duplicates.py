"""Reading deduplication results: the review queue and the clusters (the per-record table is the
duplicates export, ``services.exports.duplicates``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from review_app.domain.dedup.scoring import CERTAIN
from review_app.domain.record_fields import COMPARED, field_values
from review_app.models import CandidatePair, ClusterMember, DuplicateCluster, ImportBatch, Record
from review_app.services.permissions import Actor, require_role

COMPARED_FIELDS = COMPARED  # shown side by side in the queue (domain.record_fields)
MANUAL_RECORDS = "manual_record_ids"  # cluster evidence: copies a lead added to an automatic merge
STRONG, UNCERTAIN = "strong", "uncertain"
STRONG_SCORE = CERTAIN  # log2 likelihood ratio at which the fields alone merge a pair
# The rules that hold a pair back from an automatic merge (domain.dedup.scoring.apply_rules),
# in words; a rule not listed is shown as its code.
RULE_WORDS = {
    "doi_conflict": "the DOIs differ",
    "pmid_conflict": "the PMIDs differ",
    "meeting_vs_article_unconfirmed": "one is a meeting abstract, the other not",
    "other_venue": "journal and volume or pages differ",
    "years_apart": "the years are far apart",
}


@dataclass(frozen=True, slots=True)
class SourcedRecord:
    id: int
    source: str
    fields: dict[str, Any]  # COMPARED_FIELDS

    @property
    def citation(self) -> str:
        """One line a person recognises the record by: first author, year, title, journal."""
        return citation_line(self.fields)


@dataclass(frozen=True, slots=True)
class EarlierDecision:
    """A lead's earlier "not a duplicate" between the two sides' merges, which a "duplicate"
    for this pair would contradict."""

    pair_id: int
    record_a_id: int
    record_b_id: int
    citations: tuple[str, str] = ("", "")  # of record a and record b, filled for the queue


@dataclass(frozen=True, slots=True)
class PairView:
    id: int
    score: float
    status: str
    evidence: dict[str, Any]
    a: SourcedRecord
    b: SourcedRecord
    earlier: tuple[EarlierDecision, ...] = ()

    def differing_fields(self) -> list[str]:
        return [f for f in COMPARED_FIELDS if self.a.fields.get(f) != self.b.fields.get(f)]

    @property
    def strength(self) -> str:
        """ "strong" when the fields alone would have merged the pair (a rule held it back),
        else "uncertain": the score is a sum of log2 likelihood ratios, which says little to a
        person, and a probability would need a prior share of duplicates we do not know."""
        return STRONG if self.score >= STRONG_SCORE else UNCERTAIN

    @property
    def agreeing(self) -> list[str]:
        return list(self.evidence.get("matched", []))

    @property
    def conflicting(self) -> list[str]:
        return list(self.evidence.get("conflicting", []))

    @property
    def held_back_by(self) -> list[str]:
        """The rules that kept the pair out of an automatic merge, in words."""
        return [RULE_WORDS.get(rule, rule) for rule in self.evidence.get("rules", [])]


@dataclass(frozen=True, slots=True)
class ClusterView:
    id: int
    decided_by: str
    status: str
    score: float | None
    created_at: datetime
    primary: SourcedRecord
    copies: list[SourcedRecord]
    manual_copies: tuple[int, ...] = ()  # copies a lead added to an automatic merge

    @property
    def strength(self) -> str:
        """The strongest evidence among the merged pairs, in words (see ``PairView.strength``)."""
        return STRONG if (self.score or 0.0) >= STRONG_SCORE else UNCERTAIN

    @property
    def how(self) -> str:
        """Who merged, in words: automatically, by a lead, or both."""
        if self.decided_by == "manual":
            return "by a lead"
        return "automatic, then a lead" if self.manual_copies else "automatic"


def citation_line(fields: dict[str, Any]) -> str:
    """ "Vicknasingam B et al. (2020). Kratom and pain tolerance. Yale J Biol Med 93(2):229-238"
    from whatever of these fields the record has."""
    authors = fields.get("authors") or []
    if isinstance(authors, str):
        authors = [authors]
    who = (authors[0] + (" et al." if len(authors) > 1 else "")) if authors else ""
    year = f"({fields['year']})" if fields.get("year") else ""
    venue = " ".join(
        part
        for part in (
            fields.get("journal") or "",
            (
                str(fields.get("volume") or "")
                + (f"({fields['issue']})" if fields.get("issue") else "")
            ),
        )
        if part
    )
    if fields.get("pages"):
        venue += f":{fields['pages']}"
    title = str(fields.get("title") or "(no title)").rstrip(". ")  # joined with ". " below
    return ". ".join(part for part in (" ".join(p for p in (who, year) if p), title, venue) if part)


def list_queue(session: Session, *, actor: Actor, review_id: int) -> list[PairView]:
    """Pairs waiting for a lead, strongest first, then the skipped ones; a pair whose records
    already share a cluster is left out."""
    require_role(session, actor=actor, review_id=review_id, at_least="lead")
    pairs = list(
        session.exec(
            select(CandidatePair)
            .where(CandidatePair.review_id == review_id)
            .where(col(CandidatePair.status).in_(("pending", "skipped")))
        )
    )
    ids = {i for p in pairs for i in (p.record_a_id, p.record_b_id)}
    records = _sourced(session, ids)
    clusters = _active_clusters_by_record(session, ids)
    refusals = _Refusals.load(session, review_id)
    views = [
        PairView(
            p.id,
            p.score,
            p.status,
            p.evidence,
            records[p.record_a_id],
            records[p.record_b_id],
            refusals.between(p.record_a_id, p.record_b_id, ignore=p.id),
        )
        for p in pairs
        if p.id is not None
        if p.record_a_id in records
        and p.record_b_id in records
        and not _same_cluster(clusters, p.record_a_id, p.record_b_id)
    ]
    views = _with_citations(session, views)
    return sorted(views, key=lambda v: (v.status == "skipped", -v.score, v.id))


def _with_citations(session: Session, views: list[PairView]) -> list[PairView]:
    """The earlier decisions a pair contradicts, with their records' citation lines."""
    ids = {i for v in views for e in v.earlier for i in (e.record_a_id, e.record_b_id)}
    if not ids:
        return views
    found = _sourced(session, ids)

    def cite(record_id: int) -> str:
        record = found.get(record_id)
        return record.citation if record is not None else f"record {record_id}"

    return [
        replace(
            v,
            earlier=tuple(
                replace(e, citations=(cite(e.record_a_id), cite(e.record_b_id))) for e in v.earlier
            ),
        )
        if v.earlier
        else v
        for v in views
    ]


def list_clusters(session: Session, *, actor: Actor, review_id: int) -> list[ClusterView]:
    """Active merges, newest first, each with its primary and copies."""
    require_role(session, actor=actor, review_id=review_id, at_least="lead")
    clusters = list(
        session.exec(
            select(DuplicateCluster)
            .where(DuplicateCluster.review_id == review_id, DuplicateCluster.status == "active")
            .order_by(col(DuplicateCluster.id).desc())
        )
    )
    members: dict[int, list[int]] = {}
    for cluster_id, record_id in session.exec(
        select(ClusterMember.cluster_id, ClusterMember.record_id).where(
            col(ClusterMember.cluster_id).in_([c.id for c in clusters])
        )
    ):
        members.setdefault(cluster_id, []).append(record_id)
    records = _sourced(session, {rid for ids in members.values() for rid in ids})
    return [
        ClusterView(
            id=c.id,
            decided_by=c.decided_by,
            status=c.status,
            score=c.score,
            created_at=c.created_at,
            primary=records[c.primary_record_id],
            copies=[records[r] for r in sorted(members.get(c.id, [])) if r != c.primary_record_id],
            manual_copies=tuple(c.evidence.get(MANUAL_RECORDS, [])),
        )
        for c in clusters
        if c.id is not None
    ]


def _sourced(session: Session, ids: set[int]) -> dict[int, SourcedRecord]:
    rows = session.exec(
        select(Record, ImportBatch.source_name)
        .join(ImportBatch, col(ImportBatch.id) == Record.import_batch_id)
        .where(col(Record.id).in_(ids), ImportBatch.status == "active")
    )
    return {
        record.id: SourcedRecord(record.id, source, field_values(record, COMPARED_FIELDS))
        for record, source in rows
        if record.id is not None
    }


def _active_clusters_by_record(session: Session, ids: set[int]) -> dict[int, int]:
    rows = session.exec(
        select(ClusterMember.record_id, DuplicateCluster.id)
        .join(DuplicateCluster, col(DuplicateCluster.id) == ClusterMember.cluster_id)
        .where(col(ClusterMember.record_id).in_(ids), DuplicateCluster.status == "active")
    )
    return {record_id: cluster_id for record_id, cluster_id in rows if cluster_id is not None}


def _same_cluster(clusters: dict[int, int], a: int, b: int) -> bool:
    return a in clusters and clusters.get(a) == clusters.get(b)


def list_earlier_decisions(
    session: Session, *, review_id: int, record_a_id: int, record_b_id: int, pair_id: int
) -> tuple[EarlierDecision, ...]:
    """The earlier "not a duplicate" decisions that a "duplicate" for this pair contradicts:
    any between a record merged with ``record_a_id`` (or itself) and one merged with
    ``record_b_id`` (or itself), other than the pair itself."""
    refusals = _Refusals.load(session, review_id)
    return refusals.between(record_a_id, record_b_id, ignore=pair_id)


@dataclass(frozen=True, slots=True)
class _Refusals:
    """The review's "not a duplicate" decisions and its active merges, to compare a pair's two
    sides as the merges they belong to rather than as two single records."""

    pairs: tuple[tuple[int, int, int], ...]  # (pair id, record a, record b)
    cluster_of: dict[int, int]
    members: dict[int, frozenset[int]]

    @classmethod
    def load(cls, session: Session, review_id: int) -> _Refusals:
        pairs = tuple(
            (pid, a, b)
            for pid, a, b in session.exec(
                select(CandidatePair.id, CandidatePair.record_a_id, CandidatePair.record_b_id)
                .where(CandidatePair.review_id == review_id)
                .where(CandidatePair.status == "not_duplicate")
            )
            if pid is not None
        )
        rows = session.exec(
            select(ClusterMember.record_id, DuplicateCluster.id)
            .join(DuplicateCluster, col(DuplicateCluster.id) == ClusterMember.cluster_id)
            .where(DuplicateCluster.review_id == review_id, DuplicateCluster.status == "active")
        )
        cluster_of: dict[int, int] = {}
        members: dict[int, set[int]] = {}
        for record_id, cluster_id in rows:
            if cluster_id is not None:
                cluster_of[record_id] = cluster_id
                members.setdefault(cluster_id, set()).add(record_id)
        return cls(pairs, cluster_of, {c: frozenset(m) for c, m in members.items()})

    def side(self, record_id: int) -> frozenset[int]:
        cluster = self.cluster_of.get(record_id)
        return self.members[cluster] if cluster is not None else frozenset({record_id})

    def between(self, a: int, b: int, *, ignore: int) -> tuple[EarlierDecision, ...]:
        left, right = self.side(a), self.side(b)
        return tuple(
            EarlierDecision(pid, x, y)
            for pid, x, y in self.pairs
            if pid != ignore and ((x in left and y in right) or (x in right and y in left))
        )
