"""PRISMA 2020 counts and files from the tables: a worked review, the rules, who may see them,
and random review histories driven through the services checked against an independent count."""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
from collections import Counter, defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from review_app.domain.consensus import StageStatus
from review_app.domain.prisma import (
    OtherMethods,
    PrismaCounts,
    PrismaCsvError,
    check_invariants,
    from_prisma2020_csv,
)
from review_app.domain.prisma.drawing import measure
from review_app.domain.prisma.layout import layout
from review_app.errors import PermissionDeniedError, ReviewAppError, ValidationError
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
from review_app.services import conflicts, deduplication, fulltext, imports, screening, studies
from review_app.services.exports.prisma import csv_safe, export_prisma
from review_app.services.permissions import Actor
from review_app.services.prisma import prisma_counts
from review_app.services.progress import stage_statuses, unique_record_ids
from review_app.services.releases import release_outcomes
from review_app.services.reviews import (
    ReviewPublic,
    add_member,
    create_review,
    get_protocol,
    set_blind,
)
from review_app.services.users import UserPublic, create_user
from tests.conftest import KRATOM_PROTOCOL
from tests.domain.test_prisma_drawing import _check_readable
from tests.domain.test_prisma_invariants import EXAMPLE, PROVISIONAL

OPERATOR = Actor.operator()
TITLES = (
    "Kratom tea for painful diabetic neuropathy: a randomised placebo-controlled trial",
    "Mitragynine and cold pressor pain tolerance in healthy volunteers",
    "Chronic kratom use and neuropathic pain in Malaysian villagers: a cohort study",
    "7-hydroxymitragynine analgesia in a rat model of nerve injury",
    "Kratom versus methadone for opioid withdrawal with chemotherapy-induced neuropathy",
    "Self-reported relief of sciatica among regular kratom consumers: an online survey",
    "Alkaloid content of commercial kratom products sold in the United States",
    "Postherpetic neuralgia treated with Mitragyna speciosa leaf extract: a pilot study",
)
AUTHORS = (
    "Smith, J",
    "Lee, K",
    "Tan, S",
    "Garcia, M",
    "Okafor, C",
    "Nguyen, T",
    "Brown, A",
    "Ali, R",
)
REASON = {
    "wrong_design": (
        "Wrong study design (no concurrent control group; review, case report, survey...)"
    ),
    "wrong_population": (
        "Wrong population (not adults with neuropathic pain; no separate neuropathic-pain data)"
    ),
    "wrong_intervention": "Wrong intervention (not kratom or its alkaloids)",
    "wrong_comparator": "Wrong comparator (not placebo, an opioid, usual care or no treatment)",
    "wrong_outcomes": "Wrong outcomes (none of this review's outcomes was measured)",
}


def ris(papers: list[tuple[int, bool]]) -> bytes:
    """A RIS file of papers from TITLES: the full citation with its DOI, or (``variant``) a
    conference-abstract copy without DOI that the automatic pass queues for a person."""
    entries = []
    for paper, variant in papers:
        title = TITLES[paper] + (" (conference abstract)" if variant else "")
        fields = [("TY", "JOUR"), ("TI", title), ("AU", AUTHORS[paper]), ("PY", "2020")]
        if not variant:
            fields += [("JO", "Pain Medicine"), ("VL", str(paper + 1)), ("SP", f"{paper}01")]
            fields += [("EP", f"{paper}09"), ("DO", f"10.1000/kratom.{paper}")]
        entries.append("".join(f"{tag}  - {value}\n" for tag, value in fields) + "ER  - \n")
    return "\n".join(entries).encode()


def load(
    session: Session,
    review_id: int,
    papers: list[int],
    *,
    source: str,
    kind: str = "database",
    variants: bool = False,
) -> int:
    summary = imports.import_file(
        session,
        actor=OPERATOR,
        review_id=review_id,
        data=ris([(p, variants) for p in papers]),
        file_name=f"{source}.ris",
        source_name=source,
        source_kind=kind,
        force=True,
    )
    return summary.batch_id


def screened_ids(session: Session, review_id: int) -> dict[str, int]:
    """DOI suffix "kratom.N" -> the id of the record screened for paper N."""
    ids = unique_record_ids(session, review_id=review_id)
    rows = session.exec(select(Record.id, Record.doi).where(col(Record.id).in_(ids)))
    return {doi.rsplit("/", 1)[1]: rid for rid, doi in rows if doi and rid}


def vote(
    session: Session, who: UserPublic, rid: int, stage: str, v: str, reason: str | None = None
) -> screening.VoteView:
    review_id = _review_of(session, rid)
    if stage == "full_text":  # blind: a lead sends the title/abstract outcomes on first
        release_outcomes(session, actor=OPERATOR, review_id=review_id, stage="title_abstract")
    return screening.record_vote(
        session,
        actor=Actor.user(who.id),
        review_id=review_id,
        record_id=rid,
        stage=stage,
        vote=v,
        reason=reason,
    )


def _review_of(session: Session, rid: int) -> int:
    record = session.get(Record, rid)
    assert record is not None
    return record.review_id


def both(
    session: Session, team: dict[str, UserPublic], rid: int, stage: str, a: Any, b: Any
) -> None:
    """rita's and raj's votes: a vote, or (vote, reason)."""
    for who, choice in (("rita", a), ("raj", b)):
        v, reason = choice if isinstance(choice, tuple) else (choice, None)
        vote(session, team[who], rid, stage, v, reason)


# --- a worked review ------------------------------------------------------------------------


@pytest.fixture
def worked(session: Session, review: ReviewPublic, team: dict[str, UserPublic]) -> dict[str, int]:
    """Papers 0-5 in PubMed, 0, 6 and 7 again in Embase, two in a trials register (records
    without DOI), paper 1 and one new report from reference lists; screened part of the way."""
    rid = review.id
    load(session, rid, [0, 1, 2, 3, 4, 5], source="PubMed")
    load(session, rid, [0, 6, 7], source="Embase")
    trials = imports.import_file(
        session,
        actor=OPERATOR,
        review_id=rid,
        data=b"TY  - JOUR\nTI  - NCT01 kratom for neuropathy\nER  - \n\n"
        b"TY  - JOUR\nTI  - NCT02 mitragynine for sciatica\nER  - \n",
        file_name="ctgov.ris",
        source_name="ClinicalTrials.gov",
        source_kind="register",
    )
    load(session, rid, [1], source="Reference lists", kind="citation")
    citation = imports.import_file(
        session,
        actor=OPERATOR,
        review_id=rid,
        data=b"TY  - JOUR\nTI  - Kratom in painful neuropathy: letter\nDO  - 10.1000/x\nER  - \n",
        file_name="citations2.ris",
        source_name="Reference lists",
        source_kind="citation",
    )
    summary = deduplication.run_automatic_pass(session, actor=OPERATOR, review_id=rid)
    assert (summary.merged_clusters, summary.merged_records) == (2, 2)  # papers 0 and 1
    ids = screened_ids(session, rid)
    ids["nct01"], ids["nct02"] = sorted(
        r
        for r in session.exec(select(Record.id).where(Record.import_batch_id == trials.batch_id))
        if r
    )
    ids["letter"] = session.exec(
        select(Record.id).where(Record.import_batch_id == citation.batch_id)
    ).one()  # type: ignore[assignment]
    lena = Actor.user(team["lena"].id)
    ta = "title_abstract"
    both(session, team, ids["kratom.0"], ta, "include", "include")
    both(session, team, ids["kratom.1"], ta, "include", "include")
    both(session, team, ids["kratom.2"], ta, "exclude", "exclude")
    both(session, team, ids["kratom.3"], ta, "include", "exclude")
    conflicts.resolve(
        session, actor=lena, review_id=rid, record_id=ids["kratom.3"], stage=ta, vote="exclude"
    )
    both(session, team, ids["kratom.4"], ta, "include", "exclude")  # an open conflict
    vote(session, team["rita"], ids["kratom.6"], ta, "include")  # awaiting raj
    # kratom.7: unscreened
    both(session, team, ids["nct01"], ta, "include", "include")
    both(session, team, ids["nct02"], ta, "maybe", "include")  # maybe counts as include
    both(session, team, ids["kratom.5"], ta, "include", "include")
    both(session, team, ids["letter"], ta, "include", "include")
    fulltext.mark_not_retrieved(
        session, actor=lena, review_id=rid, record_id=ids["nct02"], note="no results posted"
    )
    ft = "full_text"
    both(session, team, ids["kratom.0"], ft, "include", "include")
    both(
        session,
        team,
        ids["kratom.1"],
        ft,
        ("exclude", "wrong_population"),
        ("exclude", "wrong_design"),
    )
    both(session, team, ids["nct01"], ft, ("exclude", "wrong_outcomes"), "include")
    conflicts.resolve(
        session,
        actor=lena,
        review_id=rid,
        record_id=ids["nct01"],
        stage=ft,
        vote="exclude",
        reason="wrong_comparator",
    )
    both(session, team, ids["letter"], ft, "include", "include")
    # kratom.5: passed title/abstract, no full-text vote yet
    return ids


def test_a_review_in_progress_adds_up_and_says_what_awaits(
    session: Session, review: ReviewPublic, worked: dict[str, int]
) -> None:
    counts = prisma_counts(session, actor=OPERATOR, review_id=review.id)
    assert counts == PrismaCounts(
        databases=(("PubMed", 6), ("Embase", 3)),
        registers=(("ClinicalTrials.gov", 2),),
        duplicates_removed=1,  # Embase's copy of paper 0; paper 1's copy is a citation record
        automation_ineligible=0,
        other_removed=0,
        records_screened=10,
        records_excluded=2,
        reports_sought=5,
        reports_not_retrieved=1,
        reports_assessed=4,
        # a tie between the reviewers' reasons goes to the protocol's first; the lead's wins
        reports_excluded=((REASON["wrong_design"], 1), (REASON["wrong_comparator"], 1)),
        new_studies=2,  # paper 0 and the letter, not linked to studies yet: one study each
        new_reports=2,
        other_methods=OtherMethods(
            sources=(("Citation searching", 2),),
            reports_sought=1,
            reports_not_retrieved=0,
            reports_assessed=1,
            reports_excluded=(),
        ),
        records_awaiting_screening=3,  # a conflict, a second vote, unscreened
        reports_awaiting_assessment=1,
    )
    assert check_invariants(counts) == []
    svg = export_prisma(session, actor=OPERATOR, review_id=review.id, format="svg").decode()
    assert "Provisional: screening in progress" in svg
    assert "Records awaiting a" in svg and "Reports awaiting a" in svg
    csv_text = export_prisma(session, actor=OPERATOR, review_id=review.id, format="csv").decode()
    assert "Records screened (provisional: 3 awaiting a decision)" in csv_text
    assert "Reports retrieved for assessment (provisional: 1 awaiting a decision)" in csv_text
    assert from_prisma2020_csv(csv_text) == csv_safe(counts)


def test_a_finished_review_writes_the_r_package_csv_and_every_picture(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic], worked: dict[str, int]
) -> None:
    rid, lena = review.id, Actor.user(team["lena"].id)
    conflicts.resolve(
        session,
        actor=lena,
        review_id=rid,
        record_id=worked["kratom.4"],
        stage="title_abstract",
        vote="include",
    )
    vote(session, team["raj"], worked["kratom.6"], "title_abstract", "exclude")
    conflicts.resolve(
        session,
        actor=lena,
        review_id=rid,
        record_id=worked["kratom.6"],
        stage="title_abstract",
        vote="exclude",
    )
    both(session, team, worked["kratom.7"], "title_abstract", "exclude", "exclude")
    for paper in ("kratom.4", "kratom.5"):
        both(session, team, worked[paper], "full_text", "include", "include")
    studies.create_study(
        session,
        actor=lena,
        review_id=rid,
        label="Smith 2020",
        record_ids=[worked["kratom.0"], worked["letter"]],
    )
    counts = prisma_counts(session, actor=OPERATOR, review_id=rid)
    assert not counts.is_provisional
    assert (counts.records_excluded, counts.reports_sought, counts.reports_assessed) == (4, 6, 5)
    assert (counts.new_studies, counts.new_reports) == (3, 4)  # Smith 2020 has two reports
    text = export_prisma(session, actor=OPERATOR, review_id=rid, format="csv").decode()
    assert from_prisma2020_csv(text) == csv_safe(counts)
    assert "Wrong study design (no concurrent control group / review / case report" in text
    assert export_prisma(session, actor=lena, review_id=rid, format="png").startswith(b"\x89PNG")
    assert export_prisma(session, actor=lena, review_id=rid, format="pdf").startswith(b"%PDF-")
    assert b"<svg" in export_prisma(session, actor=lena, review_id=rid, format="svg")
    with pytest.raises(ValidationError, match="allowed are svg, png, pdf, csv"):
        export_prisma(session, actor=lena, review_id=rid, format="jpg")


def test_reason_rules_resolution_then_agreement_then_the_most_common(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    rid, lena = review.id, Actor.user(team["lena"].id)
    load(session, rid, [0, 1, 2, 3], source="PubMed")
    ids = screened_ids(session, rid)
    for rec in ids.values():
        both(session, team, rec, "title_abstract", "include", "include")
    ft = "full_text"
    agreed, overruled, most, tie = (ids[f"kratom.{i}"] for i in range(4))
    both(session, team, agreed, ft, ("exclude", "wrong_outcomes"), ("exclude", "wrong_outcomes"))
    both(session, team, overruled, ft, ("exclude", "wrong_outcomes"), ("exclude", "wrong_outcomes"))
    conflicts.resolve(
        session,
        actor=lena,
        review_id=rid,
        record_id=overruled,
        stage=ft,
        vote="exclude",
        reason="wrong_intervention",
    )
    both(session, team, most, ft, ("exclude", "wrong_comparator"), ("exclude", "wrong_outcomes"))
    # a third vote, stored before votes were capped at the protocol's count (an older database)
    session.add(
        Decision(review_id=rid, record_id=most, reviewer_id=team["lena"].id, stage=ft,
                 vote="exclude", reason="wrong_outcomes")
    )  # fmt: skip
    session.flush()
    both(session, team, tie, ft, ("exclude", "wrong_outcomes"), ("exclude", "wrong_comparator"))
    counts = prisma_counts(session, actor=OPERATOR, review_id=rid)
    assert counts.reports_excluded == (
        (REASON["wrong_intervention"], 1),
        (REASON["wrong_comparator"], 1),
        (REASON["wrong_outcomes"], 2),
    )
    assert (counts.new_studies, counts.new_reports) == (0, 0)


def test_other_sources_are_labelled_as_in_the_template_and_refused_by_the_csv_when_unknown(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    rid = review.id
    load(session, rid, [0], source="Google Scholar", kind="website")
    load(session, rid, [1], source="WHO", kind="organisation")
    load(session, rid, [2, 3], source="Author contact", kind="other")
    counts = prisma_counts(session, actor=OPERATOR, review_id=rid)
    assert counts.databases == () and counts.records_screened == 0
    assert counts.other_methods is not None
    assert counts.other_methods.sources == (
        ("Websites", 1),
        ("Organisations", 1),
        ("Author contact", 2),
    )
    assert counts.other_methods.records_awaiting_screening == 4
    for rec in screened_ids(session, rid).values():
        both(session, team, rec, "title_abstract", "exclude", "exclude")
    with pytest.raises(PrismaCsvError, match="'Author contact'"):
        export_prisma(session, actor=OPERATOR, review_id=rid, format="csv")


def test_undone_imports_and_merges_leave_the_counts(session: Session, review: ReviewPublic) -> None:
    rid = review.id
    load(session, rid, [0, 1], source="PubMed")
    embase = load(session, rid, [0, 1, 2], source="Embase")
    deduplication.run_automatic_pass(session, actor=OPERATOR, review_id=rid)
    counts = prisma_counts(session, actor=OPERATOR, review_id=rid)
    assert (counts.records_identified, counts.duplicates_removed, counts.records_screened) == (
        5,
        2,
        3,
    )
    for cluster in session.exec(select(DuplicateCluster).where(DuplicateCluster.review_id == rid)):
        assert cluster.id is not None
        deduplication.undo_merge(session, actor=OPERATOR, review_id=rid, cluster_id=cluster.id)
    counts = prisma_counts(session, actor=OPERATOR, review_id=rid)
    assert (counts.duplicates_removed, counts.records_screened) == (0, 5)
    imports.undo_import(session, actor=OPERATOR, review_id=rid, batch_id=embase)
    counts = prisma_counts(session, actor=OPERATOR, review_id=rid)
    assert counts.databases == (("PubMed", 2),) and counts.records_screened == 2


def test_an_empty_review_draws_a_diagram_of_zeros(session: Session, review: ReviewPublic) -> None:
    counts = prisma_counts(session, actor=OPERATOR, review_id=review.id)
    assert counts.records_identified == 0 and counts.other_methods is None
    assert not counts.is_provisional
    assert b"<svg" in export_prisma(session, actor=OPERATOR, review_id=review.id, format="svg")
    csv_text = export_prisma(session, actor=OPERATOR, review_id=review.id, format="csv").decode()
    assert from_prisma2020_csv(csv_text) == counts


def test_reviewers_see_the_counts_only_once_the_review_is_unblinded(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    rita = Actor.user(team["rita"].id)
    with pytest.raises(PermissionDeniedError, match="blind"):
        prisma_counts(session, actor=rita, review_id=review.id)
    outsider = create_user(session, name="olga", password="olga-password")
    with pytest.raises(PermissionDeniedError, match="not a member"):
        export_prisma(session, actor=Actor.user(outsider.id), review_id=review.id, format="svg")
    prisma_counts(session, actor=Actor.user(team["lena"].id), review_id=review.id)
    set_blind(session, actor=Actor.user(team["lena"].id), review_id=review.id, blind=False)
    assert prisma_counts(session, actor=rita, review_id=review.id).records_screened == 0


# --- the domain's "awaiting" boxes ---------------------------------------------------------


def test_awaiting_counts_are_parts_of_their_boxes() -> None:
    assert check_invariants(PROVISIONAL) == [] and PROVISIONAL.is_provisional
    assert not EXAMPLE.is_provisional
    wrong = dataclasses.replace(PROVISIONAL, records_awaiting_screening=12)
    (violation,) = check_invariants(wrong)
    assert violation.box == "Reports sought for retrieval"
    assert "records awaiting a screening decision 12 = 68" in violation.message
    assert PROVISIONAL.other_methods is not None
    other = dataclasses.replace(PROVISIONAL.other_methods, records_awaiting_screening=33)
    (violation,) = check_invariants(dataclasses.replace(PROVISIONAL, other_methods=other))
    assert violation.key == "other_sought_reports" and "33 awaiting" in violation.message
    negative = dataclasses.replace(
        EXAMPLE,
        reports_awaiting_assessment=-1,
        reports_excluded=(
            ("Wrong population", 21),
            ("Wrong intervention", 17),
            ("Wrong design", 20),
        ),
    )
    assert [v.key for v in check_invariants(negative)] == ["reports_awaiting_assessment"]


def test_awaiting_boxes_are_drawn_readably_under_a_provisional_note() -> None:
    page = layout(PROVISIONAL, measure)
    _check_readable(page)
    texts = " ".join(run.text for box in page.boxes for run in box.texts)
    assert texts.count("awaiting a") == 4  # both boxes in both columns
    assert page.texts[0].text.startswith("Provisional: screening in progress (16 records")
    assert len(page.arrows) == 13 + 4
    edges = [(b.x, b.y, b.right, b.bottom) for b in page.boxes]
    for arrow in page.arrows:
        x, y = arrow.points[-1]
        assert any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in edges)
    assert not any("Provisional" in t.text for t in layout(EXAMPLE, measure).texts)


# --- random review histories through the services -------------------------------------------

SOURCES = (
    ("ClinicalTrials.gov", "register"),
    ("PubMed", "database"),
    ("Embase", "database"),
    ("Reference lists", "citation"),
    ("Author contact", "other"),
)
STAGES = ("title_abstract", "full_text")
VOTES = ("include", "exclude", "maybe")
FT_REASONS = tuple(REASON)
index = st.integers(0, 30)
imports_ = st.tuples(
    st.just("import"),
    index,
    st.lists(st.tuples(st.integers(0, len(TITLES) - 1), st.booleans()), min_size=2, max_size=5),
)
# both reviewers vote on one record at one stage: (who, ...) for each, then the target
screen = st.tuples(
    st.just("screen"),
    index,
    st.sampled_from(STAGES),
    st.tuples(st.sampled_from(VOTES), index),
    st.tuples(st.sampled_from(VOTES), index),
)
one_vote = st.tuples(
    st.just("vote"),
    st.integers(0, 1),
    index,
    st.sampled_from(STAGES),
    st.sampled_from(VOTES),
    index,
)
resolve = st.tuples(
    st.just("resolve"),
    index,
    st.sampled_from(STAGES),
    st.sampled_from(("include", "exclude")),
    index,
)
STEPS = {
    "import": imports_,
    "dedup": st.tuples(st.just("dedup")),
    "pair": st.tuples(st.just("pair"), index, st.sampled_from(("duplicate", "not_duplicate"))),
    "undo_merge": st.tuples(st.just("undo_merge"), index),
    "undo_import": st.tuples(st.just("undo_import"), index),
    "screen": screen,
    "vote": one_vote,
    "resolve": resolve,
    "not_retrieved": st.tuples(st.just("not_retrieved"), index),
    "study": st.tuples(st.just("study"), st.lists(index, min_size=1, max_size=2)),
}
WEIGHTS = {"screen": 10, "resolve": 3, "vote": 2, "pair": 2}  # the others 1
steps = st.sampled_from([name for name in STEPS for _ in range(WEIGHTS.get(name, 1))]).flatmap(
    STEPS.__getitem__
)
histories = st.tuples(
    st.lists(st.sampled_from(SOURCES[1:]), max_size=2, unique=True),
    st.lists(imports_, min_size=2, max_size=3),
    st.booleans(),  # an automatic deduplication pass after the first imports
    st.lists(steps, min_size=8, max_size=30),
)
_names = itertools.count()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories)
def test_random_histories_add_up_and_match_an_independent_count(
    session: Session,
    team: dict[str, UserPublic],
    history: tuple[list[tuple[str, str]], list[Any], bool, list[Any]],
) -> None:
    extra_sources, first_imports, dedup, later = history
    sources = [SOURCES[0], *extra_sources]
    actions = [*first_imports, *([("dedup",)] if dedup else []), *later]
    example = session.begin_nested()
    seen: set[str] = set()
    try:
        review = create_review(session, protocol_path=KRATOM_PROTOCOL, name=f"h{next(_names)}")
        for name, role in (("lena", "lead"), ("rita", "reviewer"), ("raj", "reviewer")):
            add_member(
                session, actor=OPERATOR, review_id=review.id, user_id=team[name].id, role=role
            )
        for number, action in enumerate(actions, start=1):
            _run(session, review.id, team, sources, action)
            if number % 4 and number < len(actions):
                continue  # check every fourth state and the last
            counts = prisma_counts(session, actor=OPERATOR, review_id=review.id)
            assert check_invariants(counts) == []
            assert counts == independent_counts(session, review.id), action
            seen.update(_features(counts))
        for feature in sorted(seen):
            event(feature)
    finally:
        example.rollback()


def _features(counts: PrismaCounts) -> set[str]:
    """What a state exercised, for ``--hypothesis-show-statistics``."""
    other = counts.other_methods
    found = {
        "duplicates removed": counts.duplicates_removed > 0,
        "records excluded": counts.records_excluded > 0,
        "not retrieved": counts.reports_not_retrieved > 0,
        "reports excluded": counts.reports_excluded_total > 0,
        "reports included": counts.new_reports > 0,
        "fewer studies than reports": counts.new_studies < counts.new_reports,
        "awaiting full text": counts.reports_awaiting_assessment > 0,
        "other methods sought": other is not None and other.reports_sought > 0,
    }
    return {name for name, present in found.items() if present}


def _run(
    session: Session,
    review_id: int,
    team: dict[str, UserPublic],
    sources: list[tuple[str, str]],
    action: tuple[Any, ...],
) -> None:
    """One step; a step the services refuse (a ReviewAppError) changes nothing."""
    try:
        with session.begin_nested():
            _step(session, review_id, team, sources, action)
        event(f"done: {action[0]}")
    except ReviewAppError:
        event(f"refused: {action[0]}")
    except IntegrityError:
        # undo_import of a batch holding a duplicate cluster's primary record (see the report)
        assert action[0] == "undo_import"
        event("undo_import: integrity error")


def _step(
    session: Session,
    review_id: int,
    team: dict[str, UserPublic],
    sources: list[tuple[str, str]],
    action: tuple[Any, ...],
) -> None:
    lead = Actor.user(team["lena"].id)
    kind = action[0]
    if kind == "import":
        name, source_kind = sources[action[1] % len(sources)]
        imports.import_file(
            session,
            actor=lead,
            review_id=review_id,
            data=ris(action[2]),
            file_name=f"{name}.ris",
            source_name=name,
            source_kind=source_kind,
            force=True,
        )
    elif kind == "dedup":
        deduplication.run_automatic_pass(session, actor=lead, review_id=review_id)
    elif kind == "pair":
        pairs = _ids(
            session,
            select(deduplication.CandidatePair.id).where(
                deduplication.CandidatePair.review_id == review_id
            ),
        )
        if pairs:
            deduplication.decide_pair(
                session,
                actor=lead,
                review_id=review_id,
                pair_id=_pick(pairs, action[1]),
                decision=action[2],
            )
    elif kind == "undo_merge":
        clusters = _ids(
            session,
            select(DuplicateCluster.id).where(
                DuplicateCluster.review_id == review_id, DuplicateCluster.status == "active"
            ),
        )
        if clusters:
            deduplication.undo_merge(
                session, actor=lead, review_id=review_id, cluster_id=_pick(clusters, action[1])
            )
    elif kind == "undo_import":
        batches = _ids(
            session,
            select(ImportBatch.id).where(
                ImportBatch.review_id == review_id, ImportBatch.status == "active"
            ),
        )
        if batches:
            imports.undo_import(
                session, actor=lead, review_id=review_id, batch_id=_pick(batches, action[1])
            )
    elif kind == "screen":
        _, target, stage, first, second = action
        rid = _target(session, review_id, stage, target)
        for who, (v, reason) in zip(("rita", "raj"), (first, second), strict=True):
            if rid is not None:
                screening.record_vote(
                    session,
                    actor=Actor.user(team[who].id),
                    review_id=review_id,
                    record_id=rid,
                    stage=stage,
                    vote=v,
                    reason=_reason(stage, v, reason),
                )
    elif kind == "vote":
        _, who, target, stage, v, reason = action
        rid = _target(session, review_id, stage, target)
        if rid is not None:
            screening.record_vote(
                session,
                actor=Actor.user(team[("rita", "raj")[who]].id),
                review_id=review_id,
                record_id=rid,
                stage=stage,
                vote=v,
                reason=_reason(stage, v, reason),
            )
    elif kind == "resolve":
        _, target, stage, v, reason = action
        rid = _target(session, review_id, stage, target)
        if rid is not None:
            conflicts.resolve(
                session,
                actor=lead,
                review_id=review_id,
                record_id=rid,
                stage=stage,
                vote=v,
                reason=_reason(stage, v, reason),
            )
    elif kind == "not_retrieved":
        rid = _target(session, review_id, "full_text", action[1])
        if rid is not None:
            fulltext.mark_not_retrieved(
                session, actor=lead, review_id=review_id, record_id=rid, note="not in any library"
            )
    elif kind == "study":
        targets = {_target(session, review_id, "full_text", t) for t in action[1]}
        ids = sorted(t for t in targets if t is not None)
        if ids:
            studies.create_study(
                session, actor=lead, review_id=review_id, label=f"Study {ids[0]}", record_ids=ids
            )


def _ids(session: Session, query: Any) -> list[int]:
    return sorted(i for i in session.exec(query) if i is not None)


def _pick(ids: list[int], n: int) -> int:
    return ids[n % len(ids)]


def _target(session: Session, review_id: int, stage: str, n: int) -> int | None:
    """A record that can take a decision at ``stage`` (title/abstract passed for full text)."""
    ids = unique_record_ids(session, review_id=review_id)
    if stage == "full_text":
        statuses = stage_statuses(
            session, review_id=review_id, stage="title_abstract", record_ids=ids
        )
        ids = [rid for rid in ids if statuses[rid] is StageStatus.INCLUDED]
    return _pick(ids, n) if ids else None


def _reason(stage: str, v: str, n: int) -> str | None:
    if v != "exclude":
        return None
    if stage == "title_abstract":
        return (None, "wrong_design", "wrong_population")[n % 3]
    return FT_REASONS[n % len(FT_REASONS)]


# --- the independent count -------------------------------------------------------------------


def independent_counts(session: Session, review_id: int) -> PrismaCounts:
    """The counts recomputed straight from the rows, without the service's helpers."""
    protocol = get_protocol(session, review_id)
    settings_ = protocol.screening
    batches = {
        b.id: b
        for b in session.exec(
            select(ImportBatch)
            .where(ImportBatch.review_id == review_id)
            .order_by(col(ImportBatch.id))
        )
        if b.status == "active"
    }
    records = sorted(
        (
            r
            for r in session.exec(select(Record).where(Record.review_id == review_id))
            if r.import_batch_id in batches
        ),
        key=lambda r: (r.import_batch_id, r.id or 0),
    )
    kind = {r.id: batches[r.import_batch_id].source_kind for r in records}
    copy_of: dict[int, int] = {}
    for cluster in session.exec(
        select(DuplicateCluster).where(DuplicateCluster.review_id == review_id)
    ):
        if cluster.status != "active":
            continue
        for member in session.exec(
            select(ClusterMember).where(ClusterMember.cluster_id == cluster.id)
        ):
            if not member.is_primary:
                copy_of[member.record_id] = cluster.primary_record_id
    screened = [r.id for r in records if r.id not in copy_of]
    group: dict[int, list[int]] = {rid: [rid] for rid in screened if rid is not None}
    for copy, primary in copy_of.items():
        group[primary].append(copy)
    votes: dict[tuple[int, str], list[Decision]] = defaultdict(list)
    for d in session.exec(select(Decision).where(Decision.review_id == review_id)):
        votes[(d.record_id, d.stage)].append(d)
    final = {
        (r.record_id, r.stage): r
        for r in session.exec(select(Resolution).where(Resolution.review_id == review_id))
    }

    def status(rid: int, stage: str) -> str:
        if (rid, stage) in final:
            return final[(rid, stage)].vote
        given_ = [d.vote for d in votes[(rid, stage)]]
        if len(given_) < settings_.reviewers_per_record:
            return "pending"
        if settings_.maybe_counts_as == "conflict" and "maybe" in given_:
            return "pending"
        if all(v == "exclude" for v in given_):
            return "exclude"
        if all(v != "exclude" for v in given_):
            return "include"
        return "pending"

    not_retrieved = {
        f.record_id
        for f in session.exec(select(FullText).where(FullText.status == "not_retrieved"))
    }
    labels = [r.label for r in protocol.exclusion_reasons]
    label_of = {r.id: r.label for r in protocol.exclusion_reasons}

    def reason(rid: int) -> str:
        resolution = final.get((rid, "full_text"))
        if resolution is not None and resolution.reason:
            return label_of[resolution.reason]
        given_ = Counter(d.reason for d in votes[(rid, "full_text")] if d.vote == "exclude")
        best = max(given_.values())
        top = [label_of[r] for r, n in given_.items() if n == best and r]
        return min(top, key=labels.index)

    def column(members: list[int]) -> dict[str, Any]:
        ta = [status(rid, "title_abstract") for rid in members]
        sought = [rid for rid, s in zip(members, ta, strict=True) if s == "include"]
        assessed = [rid for rid in sought if rid not in not_retrieved]
        ft = {rid: status(rid, "full_text") for rid in assessed}
        reasons = Counter(reason(rid) for rid, s in ft.items() if s == "exclude")
        return {
            "excluded": ta.count("exclude"),
            "pending": ta.count("pending"),
            "sought": len(sought),
            "not_retrieved": len(sought) - len(assessed),
            "assessed": len(assessed),
            "reasons": tuple(sorted(reasons.items(), key=lambda item: labels.index(item[0]))),
            "ft_pending": list(ft.values()).count("pending"),
            "included": [rid for rid, s in ft.items() if s == "include"],
        }

    databases_first = [
        rid
        for rid, members in group.items()
        if any(kind[m] in ("database", "register") for m in members)
    ]
    others = [rid for rid in group if rid not in databases_first]
    left, right = column(databases_first), column(others)
    duplicates = sum(
        sum(kind[m] in ("database", "register") for m in group[rid]) - 1 for rid in databases_first
    )

    def per_source(kinds: set[str], label: Any) -> tuple[tuple[str, int], ...]:
        found: dict[str, int] = {}
        for b in batches.values():
            if b.source_kind in kinds:
                found.setdefault(label(b), 0)
        for r in records:
            b = batches[r.import_batch_id]
            if b.source_kind in kinds:
                found[label(b)] += 1
        return tuple(found.items())

    template = {
        "website": "Websites",
        "organisation": "Organisations",
        "citation": "Citation searching",
    }
    other_sources = per_source(
        {"website", "organisation", "citation", "other"},
        lambda b: template.get(b.source_kind, b.source_name),
    )
    included = left["included"] + right["included"]
    study_of = {
        link.record_id: link.study_id
        for link in session.exec(
            select(StudyReport)
            .join(Study, col(Study.id) == StudyReport.study_id)
            .where(Study.review_id == review_id)
        )
    }
    studies_included = {study_of.get(rid, -rid) for rid in included}
    return PrismaCounts(
        databases=per_source({"database"}, lambda b: b.source_name),
        registers=per_source({"register"}, lambda b: b.source_name),
        duplicates_removed=duplicates,
        automation_ineligible=0,
        other_removed=0,
        records_screened=len(databases_first),
        records_excluded=left["excluded"],
        reports_sought=left["sought"],
        reports_not_retrieved=left["not_retrieved"],
        reports_assessed=left["assessed"],
        reports_excluded=left["reasons"],
        new_studies=len(studies_included),
        new_reports=len(included),
        other_methods=OtherMethods(
            sources=other_sources,
            reports_sought=right["sought"],
            reports_not_retrieved=right["not_retrieved"],
            reports_assessed=right["assessed"],
            reports_excluded=right["reasons"],
            records_awaiting_screening=right["pending"],
            reports_awaiting_assessment=right["ft_pending"],
        )
        if other_sources
        else None,
        records_awaiting_screening=left["pending"],
        reports_awaiting_assessment=left["ft_pending"],
    )


def test_the_r_package_csv_is_formula_neutralised(session: Session, review: ReviewPublic) -> None:
    load(session, review.id, [0, 1], source='=HYPERLINK("http://x")')
    text = export_prisma(session, actor=OPERATOR, review_id=review.id, format="csv").decode()
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    [source] = [cell for cell in cells if "HYPERLINK" in cell]
    assert source.startswith("'=HYPERLINK(")
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@")]
