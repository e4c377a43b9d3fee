"""The records browser: SQL filters agree with the status rule, paging and counts, search, sort,
the record detail, and blinding (a reviewer learns only released outcomes and their own votes)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session, col, select

from review_app.domain.vocabulary import Stage, StageStatus
from review_app.errors import NotFoundError, ValidationError
from review_app.models import Record
from review_app.services.conflicts import resolve
from review_app.services.fulltext import set_link
from review_app.services.imports import import_file
from review_app.services.permissions import Actor
from review_app.services.progress import stage_statuses, unique_record_ids
from review_app.services.record_detail import get_record_detail
from review_app.services.records_browser import (
    NOT_VOTED,
    RecordFilters,
    RecordSort,
    count_records,
    list_filter_options,
    list_records,
)
from review_app.services.releases import release_outcomes
from review_app.services.reviews import ReviewPublic
from review_app.services.screening import record_vote
from review_app.services.users import UserPublic
from tests.services.screening_helpers import mark_duplicate

TA = Stage.TITLE_ABSTRACT


def ris(records: list[dict[str, str]]) -> bytes:
    tags = {"title": "TI", "author": "AU", "doi": "DO", "pmid": "PMID", "abstract": "AB"}
    out = []
    for record in records:
        out.append("TY  - JOUR")
        out += [f"{tags[k]}  - {v}" for k, v in record.items()]
        out += ["PY  - 2020", "ER  - ", ""]
    return "\n".join(out).encode()


@dataclass
class Scene:
    review_id: int
    ids: list[int]  # PubMed's records, then Embase's
    lead: Actor
    rita: Actor
    raj: Actor
    pubmed_batch: int


@pytest.fixture
def scene(session: Session, review: ReviewPublic, team: dict[str, UserPublic]) -> Scene:
    """Records 0-5 from PubMed, 6-7 from Embase (7 a copy of 0). Votes at title/abstract:
    0 both include (+ tag "pain" by rita), 1 rita include / raj exclude (a conflict),
    2 both exclude, 3 rita include only, 4 conflict resolved include by the lead, 5 and 6 none."""
    pubmed = [
        {"title": "Kratom for neuropathic pain", "author": "Vicknasingam, B",
         "doi": "10.1000/kratom.1"},
        {"title": "Mitragynine in rats", "abstract": "An animal study of analgesia."},
        {"title": "Soil erosion in the Alps"},
        {"title": "Opioid withdrawal and kratom use", "author": "Müller, K"},
        {"title": "Diabetic neuropathy and kratom", "pmid": "31234567"},
        {"title": "Chemotherapy-induced neuropathy survey"},
    ]  # fmt: skip
    embase = [{"title": "Placebo response in pain trials"}, pubmed[0]]
    summaries = [
        import_file(session, actor=Actor.operator(), review_id=review.id, data=ris(records),
                    file_name=name, source_name=source)
        for records, name, source in ((pubmed, "pubmed.ris", "PubMed"),
                                      (embase, "embase.ris", "Embase"))
    ]  # fmt: skip
    ids = list(session.exec(select(Record.id).order_by(col(Record.id))))
    mark_duplicate(session, review.id, ids[0], ids[7])
    lead, rita, raj = (Actor.user(team[n].id) for n in ("lena", "rita", "raj"))

    def vote(actor: Actor, index: int, value: str, tags: list[str] | None = None) -> None:
        record_vote(session, actor=actor, review_id=review.id, record_id=ids[index], stage=TA,
                    vote=value, tags=tags)  # fmt: skip

    vote(rita, 0, "include", ["pain"])
    vote(raj, 0, "include")
    vote(rita, 1, "include")
    vote(raj, 1, "exclude", ["animal"])
    vote(rita, 2, "exclude")
    vote(raj, 2, "exclude")
    vote(rita, 3, "include")
    vote(rita, 4, "include")
    vote(raj, 4, "exclude")
    resolve(session, actor=lead, review_id=review.id, record_id=ids[4], stage=TA, vote="include")
    return Scene(review.id, ids, lead, rita, raj, summaries[0].batch_id)  # type: ignore[arg-type]


def found(session: Session, scene: Scene, actor: Actor, **filters: object) -> list[int]:
    """Indexes (into ``scene.ids``) of the records matching ``filters``, in import order."""
    page = list_records(
        session,
        actor=actor,
        review_id=scene.review_id,
        filters=RecordFilters(**filters),  # type: ignore[arg-type]
        page_size=100,
    )
    assert page.total == len(page.rows)
    return [scene.ids.index(row.id) for row in page.rows]


def test_every_record_of_the_active_imports_is_listed_with_its_source(
    session: Session, scene: Scene
) -> None:
    page = list_records(session, actor=scene.lead, review_id=scene.review_id)
    assert [row.id for row in page.rows] == scene.ids and page.total == 8
    by_id = {row.id: row for row in page.rows}
    assert by_id[scene.ids[6]].source == "Embase" and by_id[scene.ids[0]].source == "PubMed"
    assert by_id[scene.ids[7]].duplicate_of == scene.ids[0] and by_id[scene.ids[0]].copies == 1
    assert by_id[scene.ids[7]].stage is None and by_id[scene.ids[7]].status is None


def test_the_status_filter_agrees_with_the_status_rule_for_a_lead(
    session: Session, scene: Scene
) -> None:
    unique = unique_record_ids(session, review_id=scene.review_id)
    rule = stage_statuses(session, review_id=scene.review_id, stage=TA, record_ids=unique)
    for status in StageStatus:
        expected = sorted(scene.ids.index(rid) for rid, s in rule.items() if s is status)
        # records that passed title/abstract stand at full text, unscreened there
        if status is StageStatus.INCLUDED:
            expected = []
        if status is StageStatus.UNSCREENED:
            passed = [scene.ids.index(r) for r, s in rule.items() if s is StageStatus.INCLUDED]
            expected = sorted(expected + passed)
        assert found(session, scene, scene.lead, status=status) == expected, status
    assert found(session, scene, scene.lead, stage=Stage.FULL_TEXT) == [0, 4]
    assert found(session, scene, scene.lead, stage=TA, status=StageStatus.CONFLICT) == [1]
    assert found(session, scene, scene.lead, conflict=True) == [1, 4]  # resolved or not
    assert found(session, scene, scene.lead, conflict=False) == [0, 2, 3, 5, 6]


def test_the_rows_show_the_stage_and_status_a_lead_sees(session: Session, scene: Scene) -> None:
    rows = {
        r.id: r for r in list_records(session, actor=scene.lead, review_id=scene.review_id).rows
    }
    shown = [(rows[rid].stage, rows[rid].status) for rid in scene.ids[:4]]
    assert shown == [
        (Stage.FULL_TEXT, StageStatus.UNSCREENED),
        (TA, StageStatus.CONFLICT),
        (TA, StageStatus.EXCLUDED),
        (TA, StageStatus.AWAITING),
    ]


def test_sources_batches_duplicates_tags_and_my_votes_filter(
    session: Session, scene: Scene
) -> None:
    assert found(session, scene, scene.lead, source="Embase") == [6, 7]
    assert found(session, scene, scene.lead, import_batch_id=scene.pubmed_batch) == list(range(6))
    assert found(session, scene, scene.lead, duplicate=True) == [7]
    assert found(session, scene, scene.lead, duplicate=False) == [0, 1, 2, 3, 4, 5, 6]
    assert found(session, scene, scene.lead, tag="pain") == [0]
    assert found(session, scene, scene.rita, my_vote="exclude") == [2]
    # 4 (resolved) stands at full text for rita; 0 not yet: its outcome is not released
    assert found(session, scene, scene.rita, my_vote=NOT_VOTED) == [4, 5, 6]
    assert found(session, scene, scene.lead, my_vote=NOT_VOTED) == list(range(7))
    options = list_filter_options(session, actor=scene.lead, review_id=scene.review_id)
    assert options.sources == ["Embase", "PubMed"] and options.tags == ["animal", "pain"]


def test_search_matches_title_abstract_author_doi_and_pmid(session: Session, scene: Scene) -> None:
    lead = scene.lead
    assert found(session, scene, lead, text="KRATOM neuropath") == [0, 4, 7]
    assert found(session, scene, lead, text="analgesia") == [1]
    assert found(session, scene, lead, text="müller") == [3]
    assert found(session, scene, lead, text="https://doi.org/10.1000/KRATOM.1") == [0, 7]
    assert found(session, scene, lead, text="31234567") == [4]
    assert found(session, scene, lead, text="100%_") == []  # LIKE's wildcards are text


def test_pages_sort_and_count(session: Session, scene: Scene) -> None:
    def titles(**kwargs: object) -> list[str]:
        page = list_records(session, actor=scene.lead, review_id=scene.review_id, **kwargs)  # type: ignore[arg-type]
        return [row.title for row in page.rows]

    everything = titles(sort=RecordSort.TITLE, page_size=100)
    assert everything == sorted(everything, key=str.lower)
    assert titles(sort=RecordSort.TITLE, descending=True, page_size=100) == everything[::-1]
    assert titles(sort=RecordSort.TITLE, page=2, page_size=3) == everything[3:6]
    last = list_records(session, actor=scene.lead, review_id=scene.review_id, page=99, page_size=3)
    assert (last.page, last.pages, len(last.rows)) == (3, 3, 2)
    assert count_records(session, actor=scene.lead, review_id=scene.review_id) == 8
    voted = RecordFilters(my_vote=NOT_VOTED)  # the page and its total in one statement
    past = list_records(session, actor=scene.lead, review_id=scene.review_id, filters=voted,
                        page=99, page_size=3)  # fmt: skip
    assert (past.total, past.page, len(past.rows)) == (7, 3, 1)
    for sort in RecordSort:
        assert len(titles(sort=sort, page_size=100)) == 8


def test_bad_paging_and_sorting_say_what_is_allowed(session: Session, scene: Scene) -> None:
    with pytest.raises(ValidationError, match="allowed are 1 to 100"):
        list_records(session, actor=scene.lead, review_id=scene.review_id, page_size=500)
    with pytest.raises(ValidationError, match="allowed are imported, title"):
        list_records(session, actor=scene.lead, review_id=scene.review_id, sort="colour")
    with pytest.raises(ValidationError, match="allowed are include, exclude, maybe, not_voted"):
        found(session, scene, scene.lead, my_vote="yes")


def test_a_blind_reviewer_learns_outcomes_only_once_released(
    session: Session, scene: Scene
) -> None:
    rita = scene.rita
    assert found(session, scene, rita, status=StageStatus.EXCLUDED) == []
    assert found(session, scene, rita, conflict=True) == [4]  # resolved: a lead's decision
    assert found(session, scene, rita, stage=Stage.FULL_TEXT) == [4]
    assert found(session, scene, rita, tag="animal") == []  # raj's tag
    rows = list_records(session, actor=rita, review_id=scene.review_id).rows
    assert {r.status for r in rows[:4]} == {None} and rows[0].my_vote == "include"
    options = list_filter_options(session, actor=rita, review_id=scene.review_id)
    assert options.tags == ["pain"] and StageStatus.AWAITING not in options.statuses
    release_outcomes(session, actor=scene.lead, review_id=scene.review_id, stage=TA)
    assert found(session, scene, rita, status=StageStatus.EXCLUDED) == [2]
    assert found(session, scene, rita, stage=Stage.FULL_TEXT) == [0, 4]
    assert found(session, scene, rita, conflict=True) == [1, 4]


def test_the_detail_shows_copies_votes_and_full_text_as_allowed(
    session: Session, scene: Scene
) -> None:
    rid = scene.ids[0]
    set_link(session, actor=scene.lead, review_id=scene.review_id, record_id=rid,
             url="https://example.org/kratom.pdf")  # fmt: skip
    lead = get_record_detail(session, actor=scene.lead, review_id=scene.review_id, record_id=rid)
    assert [(s.record_id, s.source, s.is_primary) for s in lead.sources] == [
        (rid, "PubMed", True),
        (scene.ids[7], "Embase", False),
    ]
    assert len(lead.history[0].votes) == 2 and lead.full_text is not None
    assert lead.history[0].status is StageStatus.INCLUDED and lead.merged_by == "auto"
    rita = get_record_detail(session, actor=scene.rita, review_id=scene.review_id, record_id=rid)
    assert [v.reviewer for v in rita.history[0].votes] == ["rita"]
    assert rita.full_text is None and rita.history[0].status is None
    resolved = scene.ids[4]
    detail = get_record_detail(
        session, actor=scene.lead, review_id=scene.review_id, record_id=resolved
    )
    assert detail.history[0].resolution is not None and detail.history[0].resolution.lead == "lena"
    hidden = get_record_detail(
        session, actor=scene.rita, review_id=scene.review_id, record_id=resolved
    )
    assert hidden.history[0].resolution is None and hidden.outcome.stage is Stage.FULL_TEXT
    copy = get_record_detail(
        session, actor=scene.lead, review_id=scene.review_id, record_id=scene.ids[7]
    )
    assert copy.duplicate_of == rid and copy.outcome.stage is None
    with pytest.raises(NotFoundError, match="no record 999999"):
        get_record_detail(session, actor=scene.lead, review_id=scene.review_id, record_id=999999)
