"""Studies and their reports: several records (reports) can belong to one study.

The Cochrane Handbook (version 6, section 5.2.1: "studies (not reports) as the unit of
interest") asks reviews to collate the several reports of one study, so that the study, not the
report, is what is extracted, appraised and counted. A record belongs
to at most one study (the unique constraint on StudyReport.record_id); one report of each study
is its main report, whose first author and year usually name the study ("Vicknasingam 2020").
Leads group reports; any member may list the studies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from review_app.domain.vocabulary import Role, Stage
from review_app.errors import ConflictError, NotFoundError, ValidationError
from review_app.models import (
    ClusterMember,
    DuplicateCluster,
    Record,
    Study,
    StudyReport,
)
from review_app.services.appraisal import count_filled_assessments
from review_app.services.audit import record_event
from review_app.services.extraction import count_filled_copies
from review_app.services.permissions import Actor, can_see_all_votes, require_role
from review_app.services.prisma import included_report_ids
from review_app.services.progress import unique_records_select
from review_app.services.releases import released_record_ids
from review_app.services.reviews import get_review

MAX_LABEL = 200  # Study.label
MAX_DESIGN = 100  # Study.design
ANONYMOUS = "Anonymous"  # the family name for a report without authors
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")  # "B", "BK", "B.K.", "J.-P."


class Citation(Protocol):
    """What ``suggest_label`` reads from a record (a Record or a RecordView)."""

    @property
    def authors(self) -> list[str]: ...

    @property
    def year(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class StudyReportView:
    record_id: int
    title: str
    authors: list[str]
    year: int | None
    is_main_report: bool


@dataclass(frozen=True, slots=True)
class StudyView:
    id: int
    label: str
    design: str | None
    reports: list[StudyReportView]  # main report first, then in the order they were linked
    created_at: datetime

    @property
    def main_record_id(self) -> int | None:
        return next((r.record_id for r in self.reports if r.is_main_report), None)

    @property
    def record_ids(self) -> list[int]:
        return [r.record_id for r in self.reports]


def create_study(
    session: Session,
    *,
    actor: Actor,
    review_id: int,
    label: str,
    record_ids: Sequence[int],
    design: str | None = None,
) -> StudyView:
    """A study made of these reports; the first is its main report (leads; audited)."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    ids = _distinct(record_ids)
    if not ids:
        raise ValidationError("a study needs at least one report: give one or more record ids")
    clean_label = _check_label(session, review_id=review_id, label=label)
    _check_records(session, review_id=review_id, record_ids=ids)
    study = Study(review_id=review_id, label=clean_label, design=_check_design(design))
    session.add(study)
    session.flush()
    assert study.id is not None
    _link(session, study, ids, main_record_id=ids[0])
    after = {"label": study.label, "design": study.design, **_report_state(session, study.id)}
    _audit(session, actor, study, action="create", before=None, after=after)
    return get_study(session, actor=actor, review_id=review_id, study_id=study.id)


def add_reports(
    session: Session, *, actor: Actor, review_id: int, study_id: int, record_ids: Sequence[int]
) -> StudyView:
    """Link more reports to a study (leads; audited)."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    study = _study(session, review_id, study_id)
    ids = _distinct(record_ids)
    if not ids:
        raise ValidationError(f"study {study_id} ({study.label}): give the record ids to add")
    _check_records(session, review_id=review_id, record_ids=ids)
    before = _report_state(session, study_id)
    _link(session, study, ids, main_record_id=None)
    _audit(
        session, actor, study, "add_reports", before=before, after=_report_state(session, study_id)
    )
    return get_study(session, actor=actor, review_id=review_id, study_id=study_id)


def remove_report(
    session: Session, *, actor: Actor, review_id: int, study_id: int, record_id: int
) -> StudyView:
    """Unlink a report; if it was the main report, the earliest linked one left takes over."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    study = _study(session, review_id, study_id)
    reports = _reports(session, study_id)
    report = _report_of(study, reports, record_id)
    if len(reports) == 1:
        raise ValidationError(
            f"record {record_id} is the only report of study {study_id} ({study.label}); "
            "a study needs at least one report: delete the study instead"
        )
    before = _report_state(session, study_id)
    session.delete(report)
    session.flush()
    if report.is_main_report:
        _make_main(session, study_id, next(r.record_id for r in reports if r is not report))
    after = _report_state(session, study_id)
    _audit(session, actor, study, "remove_report", before=before, after=after)
    return get_study(session, actor=actor, review_id=review_id, study_id=study_id)


def set_main_report(
    session: Session, *, actor: Actor, review_id: int, study_id: int, record_id: int
) -> StudyView:
    """Make one of the study's reports its main report (leads; audited)."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    study = _study(session, review_id, study_id)
    report = _report_of(study, _reports(session, study_id), record_id)
    if not report.is_main_report:
        before = _report_state(session, study_id)
        _make_main(session, study_id, record_id)
        after = _report_state(session, study_id)
        _audit(session, actor, study, "set_main_report", before=before, after=after)
    return get_study(session, actor=actor, review_id=review_id, study_id=study_id)


def delete_study(session: Session, *, actor: Actor, review_id: int, study_id: int) -> None:
    """Remove a study and unlink its reports, while no data has been extracted for it."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.LEAD)
    study = _study(session, review_id, study_id)
    if _has_data(session, study_id):
        raise ConflictError(
            f"study {study_id} ({study.label}) has extracted data or risk-of-bias ratings; "
            "it cannot be deleted (remove or move its reports instead)"
        )
    before = {"label": study.label, "design": study.design, **_report_state(session, study_id)}
    session.execute(delete(StudyReport).where(col(StudyReport.study_id) == study_id))
    _audit(session, actor, study, "delete", before=before, after=None)
    session.delete(study)
    session.flush()


def get_study(session: Session, *, actor: Actor, review_id: int, study_id: int) -> StudyView:
    require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    study = _study(session, review_id, study_id)
    return _view(study, _report_views(session, [study_id]).get(study_id, []))


def list_studies(session: Session, *, actor: Actor, review_id: int) -> list[StudyView]:
    """The review's studies by label, each with its reports (any member)."""
    require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    studies = list(
        session.exec(
            select(Study)
            .where(Study.review_id == review_id)
            .order_by(func.lower(Study.label), col(Study.id))
        )
    )
    reports = _report_views(session, [s.id for s in studies if s.id is not None])
    return [_view(s, reports.get(s.id or 0, [])) for s in studies]


def suggest_label(records: Sequence[Citation], *, taken: Iterable[str] = ()) -> str:
    """First author's family name and year of the first report with authors, the way RevMan
    names studies ("Vicknasingam 2020"); "Anonymous" when no report has authors. When the label
    is in ``taken`` it gets a letter, as RevMan study IDs do: "Smith 2020a", "Smith 2020b"."""
    with_authors = next((r for r in records if r.authors), None)
    family = family_name(with_authors.authors[0]) if with_authors else ANONYMOUS
    years = [r.year for r in records if r.year is not None]
    year = with_authors.year if with_authors and with_authors.year else min(years, default=None)
    return _free_label(f"{family} {year}" if year else family, taken)


def _free_label(label: str, taken: Iterable[str]) -> str:
    used = {t.casefold() for t in taken}
    if label.casefold() not in used:
        return label
    letters = (f"{label}{chr(ord('a') + i)}" for i in range(26))
    return next((c for c in letters if c.casefold() not in used), label)


def family_name(author: str) -> str:
    """The family name in "Vicknasingam, B", "Vicknasingam BK", "B. Vicknasingam" or
    "Balasingam Vicknasingam" (given names first: the last word)."""
    name = author.strip()
    if "," in name:
        return name.split(",", 1)[0].strip() or name
    words = name.split()
    if len(words) > 1 and _INITIALS.match(words[-1]):
        return " ".join(words[:-1])
    return words[-1] if words else ANONYMOUS


# --- checks -------------------------------------------------------------------------------------


def _check_label(session: Session, *, review_id: int, label: str) -> str:
    clean = " ".join((label or "").split())
    if not clean:
        raise ValidationError("a study needs a label, such as 'Vicknasingam 2020'")
    if len(clean) > MAX_LABEL:
        raise ValidationError(f"study label: {len(clean)} characters; at most {MAX_LABEL}")
    labels = session.exec(select(Study.id, Study.label).where(Study.review_id == review_id)).all()
    same = next(((sid, text) for sid, text in labels if text.casefold() == clean.casefold()), None)
    if same is not None:
        free = _free_label(clean, [text for _, text in labels])
        raise ConflictError(
            f"study {same[0]} is already labelled {same[1]!r}; give each study its own label, "
            f"such as {free!r}"
        )
    return clean


def _check_design(design: str | None) -> str | None:
    clean = " ".join((design or "").split()) or None
    if clean and len(clean) > MAX_DESIGN:
        raise ValidationError(f"study design: {len(clean)} characters; at most {MAX_DESIGN}")
    return clean


def _check_records(session: Session, *, review_id: int, record_ids: list[int]) -> None:
    """Every record is in the review, is not a duplicate copy and belongs to no study yet."""
    found = set(
        session.exec(
            select(Record.id).where(col(Record.id).in_(record_ids), Record.review_id == review_id)
        )
    )
    missing = [rid for rid in record_ids if rid not in found]
    if missing:
        raise NotFoundError(f"no record {_ids(missing)} in review {review_id}")
    unique = set(
        session.exec(unique_records_select(review_id).where(col(Record.id).in_(record_ids)))
    )
    for rid in record_ids:
        if rid not in unique:
            raise ValidationError(
                f"record {rid} is a duplicate of record {_primary_of(session, rid)}; "
                "link the primary record instead"
            )
    _check_unlinked(session, record_ids)


def _check_unlinked(session: Session, record_ids: list[int]) -> None:
    linked = session.exec(
        select(StudyReport.record_id, Study.id, Study.label)
        .join(Study, col(Study.id) == StudyReport.study_id)
        .where(col(StudyReport.record_id).in_(record_ids))
        .order_by(col(StudyReport.record_id))
    ).first()
    if linked is not None:
        record_id, study_id, label = linked
        raise ConflictError(
            f"record {record_id} already belongs to study {study_id} ({label}); a report "
            "belongs to one study: remove it from that study first"
        )


def _primary_of(session: Session, record_id: int) -> int | None:
    return session.exec(
        select(DuplicateCluster.primary_record_id)
        .join(ClusterMember, col(ClusterMember.cluster_id) == DuplicateCluster.id)
        .where(ClusterMember.record_id == record_id, DuplicateCluster.status == "active")
    ).first()


def _has_data(session: Session, study_id: int) -> bool:
    """Whether extraction was entered (in an extractor's copy or the consensus) or risk of bias
    rated for the study: deleting it would take them along. Copies only opened are not data;
    they go with the study."""
    if count_filled_assessments(session, study_id=study_id) > 0:
        return True
    return count_filled_copies(session, study_id=study_id) > 0


# --- rows ---------------------------------------------------------------------------------------


def _study(session: Session, review_id: int, study_id: int) -> Study:
    study = session.get(Study, study_id)
    if study is None or study.review_id != review_id:
        raise NotFoundError(f"no study {study_id} in review {review_id}")
    return study


def _reports(session: Session, study_id: int) -> list[StudyReport]:
    return list(
        session.exec(
            select(StudyReport)
            .where(StudyReport.study_id == study_id)
            .order_by(col(StudyReport.id))
        )
    )


def _report_of(study: Study, reports: list[StudyReport], record_id: int) -> StudyReport:
    report = next((r for r in reports if r.record_id == record_id), None)
    if report is None:
        raise NotFoundError(
            f"record {record_id} is not a report of study {study.id} ({study.label})"
        )
    return report


def _link(
    session: Session, study: Study, record_ids: list[int], *, main_record_id: int | None
) -> None:
    """Insert the links; a concurrent link of the same record loses to the unique constraint."""
    assert study.id is not None
    try:
        with session.begin_nested():
            session.add_all(
                StudyReport(study_id=study.id, record_id=rid, is_main_report=rid == main_record_id)
                for rid in record_ids
            )
    except IntegrityError as exc:
        _check_unlinked(session, record_ids)
        raise ConflictError(
            f"records {_ids(record_ids)} could not be linked to study {study.id} ({study.label})"
        ) from exc


def _make_main(session: Session, study_id: int, record_id: int) -> None:
    for report in _reports(session, study_id):
        report.is_main_report = report.record_id == record_id
        session.add(report)
    session.flush()


def _distinct(record_ids: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(record_ids))


def _ids(record_ids: list[int]) -> str:
    return ", ".join(str(rid) for rid in record_ids)


# --- audit and views ----------------------------------------------------------------------------


def _report_state(session: Session, study_id: int) -> dict[str, object]:
    reports = _reports(session, study_id)
    main = next((r.record_id for r in reports if r.is_main_report), None)
    return {"record_ids": [r.record_id for r in reports], "main_record_id": main}


def _audit(
    session: Session,
    actor: Actor,
    study: Study,
    action: str,
    *,
    before: dict[str, object] | None,
    after: dict[str, object] | None,
) -> None:
    record_event(
        session,
        review_id=study.review_id,
        user_id=actor.user_id,
        action=f"study.{action}",
        entity="study",
        entity_id=study.id,
        before=before,
        after=after,
    )


def _report_views(session: Session, study_ids: list[int]) -> dict[int, list[StudyReportView]]:
    rows = session.exec(
        select(StudyReport, Record)
        .join(Record, col(Record.id) == StudyReport.record_id)
        .where(col(StudyReport.study_id).in_(study_ids))
        .order_by(col(StudyReport.is_main_report).desc(), col(StudyReport.id))
    )
    views: dict[int, list[StudyReportView]] = {}
    for report, record in rows:
        views.setdefault(report.study_id, []).append(
            StudyReportView(
                record_id=report.record_id,
                title=record.title,
                authors=list(record.authors),
                year=record.year,
                is_main_report=report.is_main_report,
            )
        )
    return views


def _view(study: Study, reports: list[StudyReportView]) -> StudyView:
    assert study.id is not None
    return StudyView(
        id=study.id,
        label=study.label,
        design=study.design,
        reports=reports,
        created_at=study.created_at,
    )


def list_included_reports(
    session: Session, *, actor: Actor, review_id: int
) -> list[tuple[StudyReportView, int | None]]:
    """Records included at full text, each with the id of the study it belongs to (or None).

    While the review is blind a reviewer gets only the reports whose full-text outcome a lead
    has released or resolved: "included" is the agreement of every reviewer's vote, so the full
    list would tell a reviewer who voted include how the others voted. Released outcomes are
    public to the team by design (the lead chose to pass them on), so these stay listed.
    """
    role = require_role(session, actor=actor, review_id=review_id, at_least=Role.REVIEWER)
    included = included_report_ids(session, review_id=review_id)
    if not can_see_all_votes(role) and get_review(session, review_id).is_blind:
        released = released_record_ids(session, review_id=review_id, stage=Stage.FULL_TEXT)
        included = [rid for rid in included if rid in released]
    if not included:
        return []
    study_of = dict(
        session.exec(
            select(StudyReport.record_id, StudyReport.study_id).where(
                col(StudyReport.record_id).in_(included)
            )
        ).all()
    )
    records = session.exec(
        select(Record).where(col(Record.id).in_(included)).order_by(col(Record.id))
    )
    return [
        (StudyReportView(r.id, r.title, list(r.authors), r.year, False), study_of.get(r.id))  # type: ignore[arg-type]
        for r in records
    ]
