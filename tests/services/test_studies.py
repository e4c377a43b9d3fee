"""Studies: several reports (records) of one study, one study per report, leads only, audited."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlmodel import Session, col, func, select

from review_app.domain.extraction.model import StudyExtraction
from review_app.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from review_app.models import AuditEvent, Extraction, Record, Study, StudyReport
from review_app.services.extraction import open_copy, save_copy
from review_app.services.imports import import_file
from review_app.services.permissions import Actor
from review_app.services.reviews import ReviewPublic, create_review
from review_app.services.screening import record_view
from review_app.services.studies import (
    StudyView,
    add_reports,
    create_study,
    delete_study,
    family_name,
    get_study,
    list_included_reports,
    list_studies,
    remove_report,
    set_main_report,
    suggest_label,
)
from review_app.services.users import UserPublic
from tests.conftest import KRATOM_PROTOCOL
from tests.services.screening_helpers import import_titles, mark_duplicate


@pytest.fixture
def actors(team: dict[str, UserPublic]) -> dict[str, Actor]:
    return {name: Actor.user(user.id) for name, user in team.items()}


@pytest.fixture
def records(session: Session, review: ReviewPublic) -> list[int]:
    return import_titles(session, review.id, 6)


def study(
    session: Session,
    review: ReviewPublic,
    record_ids: list[int],
    label: str = "Vicknasingam 2020",
    actor: Actor | None = None,
    design: str | None = None,
) -> StudyView:
    return create_study(
        session,
        actor=actor or Actor.operator(),
        review_id=review.id,
        label=label,
        record_ids=record_ids,
        design=design,
    )


def events(session: Session, review_id: int) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.review_id == review_id, col(AuditEvent.action).startswith("study."))
            .order_by(col(AuditEvent.id))
        )
    )


def count(session: Session, table: type[Study] | type[StudyReport] | type[Extraction]) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def test_a_lead_groups_reports_into_a_study(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    made = study(
        session, review, [records[2], records[0], records[2]], actor=actors["lena"], design=" RCT "
    )
    assert (made.label, made.design) == ("Vicknasingam 2020", "RCT")
    assert made.record_ids == [records[2], records[0]]  # the first is the main report; no repeats
    assert made.main_record_id == records[2] and made.reports[0].is_main_report
    assert made.reports[1].title == "Study 0" and made.reports[1].year == 2020
    assert get_study(session, actor=actors["rita"], review_id=review.id, study_id=made.id) == made
    [event] = events(session, review.id)
    assert (event.action, event.entity, event.entity_id, event.before) == (
        "study.create",
        "study",
        made.id,
        None,
    )
    assert event.after == {
        "label": "Vicknasingam 2020",
        "design": "RCT",
        "record_ids": [records[2], records[0]],
        "main_record_id": records[2],
    }


def test_a_record_belongs_to_one_study_only(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    first = study(session, review, [records[0], records[1]])
    message = (
        f"record {records[1]} already belongs to study {first.id} \\(Vicknasingam 2020\\); "
        "a report belongs to one study"
    )
    with pytest.raises(ConflictError, match=message):
        study(session, review, [records[2], records[1]], label="Grundmann 2021")
    with pytest.raises(ConflictError, match=message):
        add_reports(
            session,
            actor=actors["lena"],
            review_id=review.id,
            study_id=first.id,
            record_ids=[records[1]],
        )
    # Nothing half-written: no second study, no extra link, one event.
    assert (count(session, Study), count(session, StudyReport)) == (1, 2)
    assert len(events(session, review.id)) == 1


def test_records_must_be_in_the_review_and_not_duplicates(
    session: Session, review: ReviewPublic, records: list[int]
) -> None:
    other = create_review(session, protocol_path=KRATOM_PROTOCOL, name="other")
    [foreign] = import_titles(session, other.id, 1, prefix="Other")
    with pytest.raises(NotFoundError, match=f"no record {foreign} in review {review.id}"):
        study(session, review, [records[0], foreign])
    mark_duplicate(session, review.id, primary=records[0], secondary=records[1])
    with pytest.raises(
        ValidationError, match=f"record {records[1]} is a duplicate of record {records[0]};"
    ):
        study(session, review, [records[1]])
    assert count(session, Study) == 0 and events(session, review.id) == []


@pytest.mark.parametrize(
    ("label", "record_ids", "message"),
    [
        ("  ", [0], "a study needs a label"),
        ("x" * 201, [0], "201 characters; at most 200"),
        ("Smith 2020", [], "at least one report"),
    ],
)
def test_bad_study_input_is_refused(
    session: Session,
    review: ReviewPublic,
    records: list[int],
    label: str,
    record_ids: list[int],
    message: str,
) -> None:
    with pytest.raises(ValidationError, match=message):
        study(session, review, [records[i] for i in record_ids], label=label)
    assert count(session, Study) == 0


def test_labels_are_unique_in_a_review(
    session: Session, review: ReviewPublic, records: list[int]
) -> None:
    study(session, review, [records[0]], label="Smith 2020")
    study(session, review, [records[1]], label="Smith 2020a")
    with pytest.raises(
        ConflictError, match=r"study \d+ is already labelled 'Smith 2020'.*such as 'smith 2020b'"
    ):
        study(session, review, [records[2]], label="smith  2020")
    other = create_review(session, protocol_path=KRATOM_PROTOCOL, name="other")
    [foreign] = import_titles(session, other.id, 1, prefix="Other")
    create_study(
        session,
        actor=Actor.operator(),
        review_id=other.id,
        label="Smith 2020",
        record_ids=[foreign],
    )


def test_reviewers_may_list_but_not_change_studies(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    made = study(session, review, [records[0], records[1]])
    rita = actors["rita"]
    calls = (
        lambda: study(session, review, [records[2]], label="Other 2019", actor=rita),
        lambda: add_reports(
            session, actor=rita, review_id=review.id, study_id=made.id, record_ids=[records[3]]
        ),
        lambda: remove_report(
            session, actor=rita, review_id=review.id, study_id=made.id, record_id=records[1]
        ),
        lambda: set_main_report(
            session, actor=rita, review_id=review.id, study_id=made.id, record_id=records[1]
        ),
        lambda: delete_study(session, actor=rita, review_id=review.id, study_id=made.id),
    )
    for call in calls:
        with pytest.raises(PermissionDeniedError, match="needs the lead role"):
            call()
    assert list_studies(session, actor=rita, review_id=review.id) == [made]
    assert len(events(session, review.id)) == 1


def test_adding_removing_and_choosing_the_main_report_is_audited(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    lena = actors["lena"]
    made = study(session, review, [records[0]])
    kwargs = {"actor": lena, "review_id": review.id, "study_id": made.id}
    grown = add_reports(session, **kwargs, record_ids=[records[1], records[2]])  # type: ignore[arg-type]
    assert grown.record_ids == [records[0], records[1], records[2]]
    assert grown.main_record_id == records[0]
    switched = set_main_report(session, **kwargs, record_id=records[2])  # type: ignore[arg-type]
    assert switched.record_ids == [records[2], records[0], records[1]]
    # Removing the main report hands the role to the earliest linked report that is left.
    shrunk = remove_report(session, **kwargs, record_id=records[2])  # type: ignore[arg-type]
    assert (shrunk.record_ids, shrunk.main_record_id) == ([records[0], records[1]], records[0])
    actions = [(e.action, e.before, e.after) for e in events(session, review.id)[1:]]
    assert actions == [
        (
            "study.add_reports",
            {"record_ids": [records[0]], "main_record_id": records[0]},
            {"record_ids": [records[0], records[1], records[2]], "main_record_id": records[0]},
        ),
        (
            "study.set_main_report",
            {"record_ids": [records[0], records[1], records[2]], "main_record_id": records[0]},
            {"record_ids": [records[0], records[1], records[2]], "main_record_id": records[2]},
        ),
        (
            "study.remove_report",
            {"record_ids": [records[0], records[1], records[2]], "main_record_id": records[2]},
            {"record_ids": [records[0], records[1]], "main_record_id": records[0]},
        ),
    ]
    # Choosing the main report again changes nothing and writes no event.
    set_main_report(session, **kwargs, record_id=records[0])  # type: ignore[arg-type]
    assert len(events(session, review.id)) == 4


def test_report_changes_need_a_report_of_that_study(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    lena = actors["lena"]
    made = study(session, review, [records[0]])
    kwargs = {"actor": lena, "review_id": review.id, "study_id": made.id}
    with pytest.raises(NotFoundError, match=f"record {records[1]} is not a report of study"):
        set_main_report(session, **kwargs, record_id=records[1])  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match=f"record {records[1]} is not a report of study"):
        remove_report(session, **kwargs, record_id=records[1])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"only report .* delete the study instead"):
        remove_report(session, **kwargs, record_id=records[0])  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match=f"no study {made.id + 1000} in review"):
        add_reports(
            session, actor=lena, review_id=review.id, study_id=made.id + 1000, record_ids=[1]
        )
    other = create_review(session, protocol_path=KRATOM_PROTOCOL, name="other")
    with pytest.raises(NotFoundError, match=f"no study {made.id} in review {other.id}"):
        get_study(session, actor=Actor.operator(), review_id=other.id, study_id=made.id)
    assert len(events(session, review.id)) == 1


def test_deleting_a_study_frees_its_reports_unless_data_was_extracted(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    lena = actors["lena"]
    made = study(session, review, [records[0], records[1]])
    delete_study(session, actor=lena, review_id=review.id, study_id=made.id)
    assert count(session, Study) == count(session, StudyReport) == 0
    deleted = events(session, review.id)[-1]
    assert deleted.action == "study.delete" and deleted.after is None
    assert deleted.before == {
        "label": "Vicknasingam 2020",
        "design": None,
        "record_ids": [records[0], records[1]],
        "main_record_id": records[0],
    }
    again = study(session, review, [records[1], records[0]])
    opened = open_copy(session, actor=actors["rita"], review_id=review.id, study_id=again.id)
    typed = StudyExtraction(study=again.label, extractor="rita", characteristics={"country": "MY"})
    save_copy(
        session, actor=actors["rita"], review_id=review.id, extraction_id=opened.extraction_id,
        data=typed,
    )  # fmt: skip
    with pytest.raises(ConflictError, match="has extracted data"):
        delete_study(session, actor=lena, review_id=review.id, study_id=again.id)
    assert count(session, StudyReport) == 2


def test_a_study_whose_extraction_was_only_opened_is_deleted_with_its_empty_copies(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    made = study(session, review, [records[0]])
    open_copy(session, actor=actors["rita"], review_id=review.id, study_id=made.id)
    delete_study(session, actor=actors["lena"], review_id=review.id, study_id=made.id)
    assert count(session, Study) == count(session, Extraction) == 0


def test_list_studies_by_label_in_this_review_only(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    study(session, review, [records[0]], label="vicknasingam 2020")
    study(session, review, [records[1], records[2]], label="Grundmann 2021")
    other = create_review(session, protocol_path=KRATOM_PROTOCOL, name="other")
    [foreign] = import_titles(session, other.id, 1, prefix="Other")
    create_study(
        session,
        actor=Actor.operator(),
        review_id=other.id,
        label="Aaron 2019",
        record_ids=[foreign],
    )
    listed = list_studies(session, actor=actors["raj"], review_id=review.id)
    assert [(s.label, len(s.reports)) for s in listed] == [
        ("Grundmann 2021", 2),
        ("vicknasingam 2020", 1),
    ]


def test_suggested_label_from_imported_records(session: Session, review: ReviewPublic) -> None:
    ris = (
        b"TY  - JOUR\nAU  - Vicknasingam, Balasingam\nAU  - Narayanan, S.\nTI  - Kratom use\n"
        b"PY  - 2020\nER  - \n\n"
        b"TY  - JOUR\nAU  - Vicknasingam, B\nTI  - Kratom follow-up\nPY  - 2022\nER  - \n\n"
    )
    summary = import_file(
        session,
        actor=Actor.operator(),
        review_id=review.id,
        data=ris,
        file_name="kratom.ris",
        source_name="PubMed",
    )
    rows = session.exec(
        select(Record).where(Record.import_batch_id == summary.batch_id).order_by(col(Record.id))
    ).all()
    assert suggest_label(rows) == "Vicknasingam 2020"
    views = [record_view(r) for r in reversed(rows)]
    assert suggest_label(views, taken=["vicknasingam 2022"]) == "Vicknasingam 2022a"


@dataclass
class Cite:
    authors: list[str] = field(default_factory=list)
    year: int | None = None


@pytest.mark.parametrize(
    ("records", "taken", "label"),
    [
        ([Cite(["Vicknasingam B"], 2020)], [], "Vicknasingam 2020"),
        ([Cite([], 2019), Cite(["B. K. Vicknasingam"], None)], [], "Vicknasingam 2019"),
        ([Cite([], 2018)], [], "Anonymous 2018"),
        ([Cite(["Smith J"])], [], "Smith"),
        ([], [], "Anonymous"),
        ([Cite(["Smith J"], 2020)], ["Smith 2020", "SMITH 2020a"], "Smith 2020b"),
    ],
)
def test_suggest_label(records: list[Cite], taken: list[str], label: str) -> None:
    assert suggest_label(records, taken=taken) == label


@pytest.mark.parametrize(
    ("author", "family"),
    [
        ("Vicknasingam, B", "Vicknasingam"),
        ("Vicknasingam BK", "Vicknasingam"),
        ("Vicknasingam B.K.", "Vicknasingam"),
        ("van der Berg A", "van der Berg"),
        ("B. Vicknasingam", "Vicknasingam"),
        ("Balasingam Vicknasingam", "Vicknasingam"),
        ("Grundmann", "Grundmann"),
    ],
)
def test_family_name(author: str, family: str) -> None:
    assert family_name(author) == family


def test_while_blind_reviewers_see_only_the_included_reports_a_lead_released(
    session: Session, review: ReviewPublic, records: list[int], actors: dict[str, Actor]
) -> None:
    from review_app.services.conflicts import resolve
    from review_app.services.releases import release_outcomes
    from review_app.services.screening import record_vote

    lena = actors["lena"]
    for record_id in records[:2]:
        resolve(session, actor=lena, review_id=review.id, record_id=record_id,
                stage="title_abstract", vote="include")  # fmt: skip
        for name in ("rita", "raj"):
            record_vote(session, actor=actors[name], review_id=review.id, record_id=record_id,
                        stage="full_text", vote="include")  # fmt: skip

    def listed(actor: Actor) -> list[int]:
        reports = list_included_reports(session, actor=actor, review_id=review.id)
        return [report.record_id for report, _ in reports]

    assert listed(lena) == records[:2]
    assert listed(actors["rita"]) == []  # agreed, but not yet sent on
    release_outcomes(session, actor=lena, review_id=review.id, stage="full_text")
    assert listed(actors["rita"]) == records[:2]
