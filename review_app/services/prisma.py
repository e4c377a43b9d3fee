"""The PRISMA 2020 flow diagram of a review, counted from the tables (never typed in).

Rules (Page et al. 2021, BMJ 372:n71, fig. 1, new reviews):

- Who may see it: leads and admins; reviewers too once a lead has unblinded the review. While the
  review is blind the counts would show a reviewer how the others voted (a conflict count that
  moves after one's own vote), the same reason ``progress.review_progress`` hides its breakdown.
- Columns. Every record of an active import batch belongs to one screening group: a record that
  is screened (``progress.unique_record_ids``) and the secondary copies of its active duplicate
  cluster. A group belongs to the databases-and-registers column when any of its records came
  from a source of kind database or register, else to the other-methods column (websites,
  organisations, citation searching, other): a study that the databases found too is reported
  there even when the copy kept for screening came from citation searching.
- Identification: records per database / register (``ImportBatch.source_name``) and per
  other-methods source (labelled with the template's "Websites", "Organisations", "Citation
  searching"; a source of kind "other" by its own name).
- Duplicate records removed: the database and register records of each group beyond the one that
  is screened. That is the secondary copies in active clusters, except that a cluster screened
  through an other-methods copy still counts one database/register record as screened.
- Records marked ineligible by automation and removed for other reasons: 0 (nothing is excluded
  automatically; duplicates are counted as duplicates).
- Screening: records screened are the groups that reached screening; the title/abstract status
  of each group's screened record (``stage_statuses``) splits them: included records are the
  reports sought, excluded ones the records excluded, and unscreened ones, those awaiting a
  second vote and unresolved conflicts are "records awaiting a screening decision" (a side box
  like "Records excluded": they are not passed on until decided).
- Reports not retrieved: reports sought whose full text is marked not retrieved; the others are
  assessed, and their full-text status gives reports excluded, included and "reports awaiting a
  full-text decision" in the same way. The other-methods column has no screening box in the
  template: its records excluded at title/abstract (and its duplicates of other copies) are
  identified but not sought.
- Reason for a report excluded at full text: the lead's resolution's reason; else the reason the
  excluding reviewers agreed on; else the most common reason among the exclude votes, a tie going
  to the reason first in the protocol (reviewers are asked to pick the first that applies).
  Labels are the protocol's exclusion reason labels; reasons are listed in protocol order.
- Studies included: the studies (``Study``) with a report included at full text; a report
  included at full text that is not linked to a study yet counts as a study of its own.
  Reports of included studies: the records included at full text.
- While anything awaits a decision the counts carry it in the domain's "awaiting" boxes; the
  drawing marks the diagram provisional and the PRISMA2020 CSV notes them in the box labels.

The files (SVG, PNG, PDF, the PRISMA2020 CSV) are the prisma export, ``services.exports.prisma``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlmodel import Session, col, select

from review_app.domain.consensus import StageStatus
from review_app.domain.prisma import (
    CITATION_SEARCHING,
    ORGANISATIONS,
    WEBSITES,
    LabelledCount,
    OtherMethods,
    PrismaCounts,
    render_svg,
    validate,
)
from review_app.domain.vocabulary import Role, Stage, Vote
from review_app.errors import PermissionDeniedError
from review_app.models import (
    ClusterMember,
    Decision,
    DuplicateCluster,
    FullText,
    ImportBatch,
    Record,
    Resolution,
    Study,
    StudyReport,
)
from review_app.protocol import Protocol
from review_app.services.permissions import Actor, can_see_all_votes, require_role
from review_app.services.progress import stage_statuses, unique_record_ids
from review_app.services.reviews import get_protocol, get_review

DATABASE_KINDS = ("database", "register")
OTHER_SOURCE_LABELS = {
    "website": WEBSITES,
    "organisation": ORGANISATIONS,
    "citation": CITATION_SEARCHING,
}
REASON_NOT_STATED = "Reason not stated"
AWAITING = (StageStatus.UNSCREENED, StageStatus.AWAITING, StageStatus.CONFLICT)


@dataclass(frozen=True, slots=True)
class _Column:
    """The screening outcome of one column's groups (by their screened record's id)."""

    screened: int
    excluded: int
    awaiting_screening: int
    sought: int
    not_retrieved: int
    assessed: int
    reports_excluded: tuple[LabelledCount, ...]
    awaiting_assessment: int
    included: list[int]  # record ids included at full text


def prisma_counts(session: Session, *, actor: Actor, review_id: int) -> PrismaCounts:
    """Every number of the flow diagram, from imports, clusters, votes, resolutions, full texts
    and studies; checked with the domain's invariants before it is returned."""
    _require_viewer(session, actor=actor, review_id=review_id)
    return validate(_counts(session, review_id))


def prisma_preview(session: Session, *, actor: Actor, review_id: int) -> bytes:
    """The diagram as an SVG cut to its content, for a screen (the files stay A4)."""
    counts = prisma_counts(session, actor=actor, review_id=review_id)
    return render_svg(counts, title=get_review(session, review_id).title, crop=True)


# --- counting -----------------------------------------------------------------------------------


def included_report_ids(session: Session, *, review_id: int) -> list[int]:
    """The records included at full text (PRISMA's reports of included studies), by id.

    No permission check: for services that have checked the actor's role themselves.
    """
    groups = unique_record_ids(session, review_id=review_id)
    return sorted(_screening(session, review_id, groups).column(groups).included)


def _counts(session: Session, review_id: int) -> PrismaCounts:
    kinds, names = _record_sources(session, review_id)
    batches = _batches(session, review_id)
    groups = _groups(session, review_id)
    left = [rid for rid, members in groups.items() if _in_databases(members, kinds)]
    right = [rid for rid, members in groups.items() if not _in_databases(members, kinds)]
    screening = _screening(session, review_id, list(groups))
    db_column, other_column = screening.column(left), screening.column(right)
    db_records = [rid for rid, kind in kinds.items() if kind in DATABASE_KINDS]
    other_sources = _other_sources(batches, kinds, names)
    included = db_column.included + other_column.included
    return PrismaCounts(
        databases=_per_source(batches, kinds, names, "database"),
        registers=_per_source(batches, kinds, names, "register"),
        duplicates_removed=len(db_records) - db_column.screened,
        automation_ineligible=0,
        other_removed=0,
        records_screened=db_column.screened,
        records_excluded=db_column.excluded,
        reports_sought=db_column.sought,
        reports_not_retrieved=db_column.not_retrieved,
        reports_assessed=db_column.assessed,
        reports_excluded=db_column.reports_excluded,
        new_studies=_count_studies(session, review_id, included),
        new_reports=len(included),
        other_methods=(
            OtherMethods(
                sources=other_sources,
                reports_sought=other_column.sought,
                reports_not_retrieved=other_column.not_retrieved,
                reports_assessed=other_column.assessed,
                reports_excluded=other_column.reports_excluded,
                records_awaiting_screening=other_column.awaiting_screening,
                reports_awaiting_assessment=other_column.awaiting_assessment,
            )
            if other_sources
            else None
        ),
        records_awaiting_screening=db_column.awaiting_screening,
        reports_awaiting_assessment=db_column.awaiting_assessment,
    )


def _screening(session: Session, review_id: int, record_ids: list[int]) -> _Screening:
    """The title/abstract and full-text outcome of the screened records ``record_ids``."""
    protocol = get_protocol(session, review_id)
    statuses = stage_statuses(
        session, review_id=review_id, stage=Stage.TITLE_ABSTRACT, record_ids=record_ids
    )
    not_retrieved = _not_retrieved(session, review_id)
    passed = [rid for rid in record_ids if statuses[rid] is StageStatus.INCLUDED]
    full_text = stage_statuses(
        session,
        review_id=review_id,
        stage=Stage.FULL_TEXT,
        record_ids=[rid for rid in passed if rid not in not_retrieved],
    )
    reasons = _exclusion_reasons(session, review_id, protocol)
    order = [reason.label for reason in protocol.exclusion_reasons_for(Stage.FULL_TEXT)]
    return _Screening(statuses, full_text, not_retrieved, reasons, order)


@dataclass(frozen=True, slots=True)
class _Screening:
    title_abstract: dict[int, StageStatus]
    full_text: dict[int, StageStatus]
    not_retrieved: set[int]
    reasons: dict[int, str]  # record id -> final exclusion label at full text
    reason_order: list[str]  # the protocol's labels, in its order

    def column(self, record_ids: list[int]) -> _Column:
        ta = Counter(self.title_abstract[rid] for rid in record_ids)
        sought = [rid for rid in record_ids if self.title_abstract[rid] is StageStatus.INCLUDED]
        assessed = [rid for rid in sought if rid not in self.not_retrieved]
        ft = {rid: self.full_text[rid] for rid in assessed}
        excluded = [rid for rid, status in ft.items() if status is StageStatus.EXCLUDED]
        return _Column(
            screened=len(record_ids),
            excluded=ta[StageStatus.EXCLUDED],
            awaiting_screening=sum(ta[status] for status in AWAITING),
            sought=len(sought),
            not_retrieved=len(sought) - len(assessed),
            assessed=len(assessed),
            reports_excluded=self._by_reason(excluded),
            awaiting_assessment=sum(1 for status in ft.values() if status in AWAITING),
            included=[rid for rid, status in ft.items() if status is StageStatus.INCLUDED],
        )

    def _by_reason(self, excluded: list[int]) -> tuple[LabelledCount, ...]:
        """Reports per reason, in protocol order; reasons no longer in the protocol after."""
        counts = Counter(self.reasons[rid] for rid in excluded)
        rank = {label: i for i, label in enumerate(self.reason_order)}
        labels = sorted(counts, key=lambda label: (rank.get(label, len(rank)), label))
        return tuple((label, counts[label]) for label in labels)


def _record_sources(session: Session, review_id: int) -> tuple[dict[int, str], dict[int, str]]:
    """Record id -> its batch's source kind, and -> its batch's source name (active batches),
    in import order."""
    rows = session.exec(
        select(Record.id, ImportBatch.source_kind, ImportBatch.source_name)
        .join(ImportBatch, col(ImportBatch.id) == Record.import_batch_id)
        .where(Record.review_id == review_id, ImportBatch.status == "active")
        .order_by(col(ImportBatch.id), col(Record.id))
    )
    kinds: dict[int, str] = {}
    names: dict[int, str] = {}
    for record_id, kind, name in rows:
        if record_id is not None:
            kinds[record_id], names[record_id] = kind, name
    return kinds, names


def _groups(session: Session, review_id: int) -> dict[int, list[int]]:
    """Screened record id -> that record and the secondary copies of its active cluster."""
    groups = {rid: [rid] for rid in unique_record_ids(session, review_id=review_id)}
    copies = session.exec(
        select(ClusterMember.record_id, DuplicateCluster.primary_record_id)
        .join(DuplicateCluster, col(DuplicateCluster.id) == ClusterMember.cluster_id)
        .where(DuplicateCluster.review_id == review_id, DuplicateCluster.status == "active")
        .where(col(ClusterMember.is_primary).is_(False))
    )
    for record_id, primary_id in copies:
        if primary_id in groups:
            groups[primary_id].append(record_id)
    return groups


def _in_databases(members: list[int], kinds: dict[int, str]) -> bool:
    return any(kinds.get(rid) in DATABASE_KINDS for rid in members)


def _batches(session: Session, review_id: int) -> list[tuple[str, str]]:
    """(source kind, source name) of each active batch, in import order."""
    return list(
        session.exec(
            select(ImportBatch.source_kind, ImportBatch.source_name)
            .where(ImportBatch.review_id == review_id, ImportBatch.status == "active")
            .order_by(col(ImportBatch.id))
        ).all()
    )


def _per_source(
    batches: list[tuple[str, str]], kinds: dict[int, str], names: dict[int, str], kind: str
) -> tuple[LabelledCount, ...]:
    """Records per source name of a database or register kind, in import order (a source whose
    batches hold no record is listed with 0)."""
    counts = {name: 0 for k, name in batches if k == kind}
    for rid, k in kinds.items():
        if k == kind:
            counts[names[rid]] += 1
    return tuple(counts.items())


def _other_sources(
    batches: list[tuple[str, str]], kinds: dict[int, str], names: dict[int, str]
) -> tuple[LabelledCount, ...]:
    """Records per other-methods source, labelled as in the template (empty sources with 0)."""
    counts = {_other_label(k, name): 0 for k, name in batches if k not in DATABASE_KINDS}
    for rid, k in kinds.items():
        if k not in DATABASE_KINDS:
            counts[_other_label(k, names[rid])] += 1
    return tuple(counts.items())


def _other_label(kind: str, name: str) -> str:
    return OTHER_SOURCE_LABELS.get(kind, name)


def _not_retrieved(session: Session, review_id: int) -> set[int]:
    return set(
        session.exec(
            select(FullText.record_id)
            .join(Record, col(Record.id) == FullText.record_id)
            .where(Record.review_id == review_id, FullText.status == "not_retrieved")
        )
    )


def _exclusion_reasons(session: Session, review_id: int, protocol: Protocol) -> dict[int, str]:
    """Record id -> the label of its final full-text exclusion reason (see the module rules);
    for every record with a full-text vote or resolution (callers pick the excluded ones)."""
    at_full_text = protocol.exclusion_reasons_for(Stage.FULL_TEXT)
    order = [reason.id for reason in at_full_text]
    labels = {reason.id: reason.label for reason in at_full_text}
    resolved = {
        rid: reason
        for rid, vote, reason in session.exec(
            select(Resolution.record_id, Resolution.vote, Resolution.reason).where(
                Resolution.review_id == review_id, Resolution.stage == Stage.FULL_TEXT
            )
        )
        if vote == Vote.EXCLUDE and reason
    }
    voted: dict[int, list[str]] = defaultdict(list)
    for rid, reason in session.exec(
        select(Decision.record_id, Decision.reason).where(
            Decision.review_id == review_id,
            Decision.stage == Stage.FULL_TEXT,
            Decision.vote == Vote.EXCLUDE,
        )
    ):
        if reason:
            voted[rid].append(reason)
    final = {rid: _most_common(reasons, order) for rid, reasons in voted.items()}
    final.update(resolved)
    return defaultdict(
        lambda: REASON_NOT_STATED, {rid: labels.get(r, r) for rid, r in final.items()}
    )


def _most_common(reasons: list[str], order: list[str]) -> str:
    """The reason given most often (the agreed one when all agree); a tie goes to the reason
    first in the protocol."""
    counts = Counter(reasons)
    rank = {reason: i for i, reason in enumerate(order)}
    return min(counts, key=lambda r: (-counts[r], rank.get(r, len(order)), r))


def _count_studies(session: Session, review_id: int, included: list[int]) -> int:
    """Studies with an included report, plus included reports not linked to a study yet."""
    if not included:
        return 0
    linked = dict(
        session.exec(
            select(StudyReport.record_id, StudyReport.study_id)
            .join(Study, col(Study.id) == StudyReport.study_id)
            .where(Study.review_id == review_id, col(StudyReport.record_id).in_(included))
        ).all()
    )
    return len(set(linked.values())) + sum(1 for rid in included if rid not in linked)


def _require_viewer(session: Session, *, actor: Actor, review_id: int) -> None:
    role = require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    if not can_see_all_votes(role) and get_review(session, review_id).is_blind:
        raise PermissionDeniedError(
            "the PRISMA flow diagram shows how everyone's votes add up, so while the review is "
            "blind only leads and admins can see it; a lead can unblind the review"
        )
