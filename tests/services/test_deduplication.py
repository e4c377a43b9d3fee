"""Automatic merges, the review queue, search updates against screened records, and undo."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import Session, col, select

from review_app.errors import ConflictError, PermissionDeniedError, ValidationError
from review_app.models import AuditEvent, CandidatePair, DuplicateCluster, Record
from review_app.services.deduplication import decide_pair, run_automatic_pass, undo_merge
from review_app.services.demo import DEMO_SEARCH_FILES, DEMO_SEARCHES
from review_app.services.duplicates import citation_line, list_clusters, list_queue
from review_app.services.exports.duplicates import export_duplicates
from review_app.services.imports import import_file
from review_app.services.permissions import Actor
from review_app.services.progress import unique_record_ids
from review_app.services.reviews import ReviewPublic
from review_app.services.screening import record_vote
from review_app.services.users import UserPublic

OPERATOR = Actor.operator()
ARTICLE = """TY  - JOUR
TI  - Kratom and pain tolerance: a randomized, placebo-controlled, double-blind study
AU  - Vicknasingam, B.
AU  - Chooi, W. T.
AU  - Rahim, A. A.
PY  - 2020
JO  - Yale J Biol Med
VL  - 93
IS  - 2
SP  - 229
EP  - 238
ER  -
"""
SAME_IN_EMBASE = """TY  - JOUR
TI  - KRATOM AND PAIN TOLERANCE: A RANDOMIZED, PLACEBO-CONTROLLED, DOUBLE-BLIND STUDY
AU  - Vicknasingam B.
AU  - Chooi W.T.
AU  - Rahim A.A.
PY  - 2020
JF  - Yale Journal of Biology and Medicine
VL  - 93
IS  - 2
SP  - 229
EP  - 38
AB  - Randomised crossover study in 26 regular kratom users.
ER  -
"""
OTHER = """TY  - JOUR
TI  - Mitragynine attenuates paclitaxel-induced neuropathic pain in mice
AU  - Someone, A.
PY  - 2019
JO  - Eur J Pharmacol
VL  - 860
SP  - 172
ER  -
"""


def load(
    session: Session, review: ReviewPublic, text: str, name: str, source: str = "PubMed"
) -> list[int]:
    summary = import_file(
        session,
        actor=OPERATOR,
        review_id=review.id,
        data=text.encode(),
        file_name=name,
        source_name=source,
    )
    query = (
        select(Record.id).where(Record.import_batch_id == summary.batch_id).order_by(col(Record.id))
    )
    return [rid for rid in session.exec(query) if rid is not None]


def test_demo_searches_merge_exactly_the_cross_source_copies(
    session: Session, review: ReviewPublic
) -> None:
    for search in DEMO_SEARCH_FILES:
        import_file(
            session,
            actor=OPERATOR,
            review_id=review.id,
            data=(DEMO_SEARCHES / search.file_name).read_bytes(),
            file_name=search.file_name,
            source_name=search.source_name,
            source_kind=search.source_kind,
        )
    summary = run_automatic_pass(session, actor=OPERATOR, review_id=review.id)
    # 157 records from four sources hold 86 different records (scripts/build_demo_searches.py).
    assert summary.compared_records == 157
    assert len(unique_record_ids(session, review_id=review.id)) == 86
    assert summary.merged_records == 71 and summary.queued_pairs == 0
    again = run_automatic_pass(session, actor=OPERATOR, review_id=review.id)
    assert again.compared_records == 0


def test_primary_keeps_every_source_and_gains_the_best_fields(
    session: Session, review: ReviewPublic
) -> None:
    [pubmed] = load(session, review, ARTICLE, "pubmed.ris")
    [embase] = load(session, review, SAME_IN_EMBASE, "embase.ris", source="Embase")
    run_automatic_pass(session, actor=OPERATOR, review_id=review.id)
    [cluster] = list_clusters(session, actor=OPERATOR, review_id=review.id)
    assert {cluster.primary.id, *(c.id for c in cluster.copies)} == {pubmed, embase}
    assert {cluster.primary.source, *(c.source for c in cluster.copies)} == {"PubMed", "Embase"}
    primary = session.get(Record, cluster.primary.id)
    assert primary.abstract == "Randomised crossover study in 26 regular kratom users."  # type: ignore[union-attr]
    stored = session.get(DuplicateCluster, cluster.id)
    assert stored.decided_by == "auto" and stored.evidence["pairs"][0]["evidence"]  # type: ignore[union-attr]
    rows = list(
        csv.DictReader(
            io.StringIO(export_duplicates(session, actor=OPERATOR, review_id=review.id).decode())
        )
    )
    assert {(r["source"], r["status"], r["decided_by"]) for r in rows} == {
        ("PubMed", "primary" if primary.id == pubmed else "duplicate", "auto"),  # type: ignore[union-attr]
        ("Embase", "primary" if primary.id == embase else "duplicate", "auto"),  # type: ignore[union-attr]
    }


def test_undo_restores_the_exact_previous_state(session: Session, review: ReviewPublic) -> None:
    load(session, review, ARTICLE, "pubmed.ris")
    load(session, review, SAME_IN_EMBASE, "embase.ris", source="Embase")
    before = {r.id: r.model_dump() for r in session.exec(select(Record))}
    run_automatic_pass(session, actor=OPERATOR, review_id=review.id)
    [cluster] = list_clusters(session, actor=OPERATOR, review_id=review.id)
    undo_merge(session, actor=OPERATOR, review_id=review.id, cluster_id=cluster.id)
    after = {r.id: r.model_dump() for r in session.exec(select(Record))}
    for values in (*before.values(), *after.values()):
        values.pop("dedup_checked")
    assert after == before
    assert len(unique_record_ids(session, review_id=review.id)) == 2
    with pytest.raises(ConflictError, match="already undone"):
        undo_merge(session, actor=OPERATOR, review_id=review.id, cluster_id=cluster.id)


def test_a_search_update_marks_new_copies_of_screened_records(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    [screened] = load(session, review, ARTICLE, "first.ris")
    run_automatic_pass(session, actor=OPERATOR, review_id=review.id)
    for name in ("rita", "raj"):
        record_vote(
            session,
            actor=Actor.user(team[name].id),
            review_id=review.id,
            record_id=screened,
            stage="title_abstract",
            vote="include",
        )
    [copy, other] = load(session, review, SAME_IN_EMBASE + OTHER, "update.ris", source="Embase")
    summary = run_automatic_pass(session, actor=OPERATOR, review_id=review.id)
    assert summary.compared_records == 2 and summary.merged_records == 1
    [cluster] = list_clusters(session, actor=OPERATOR, review_id=review.id)
    assert cluster.primary.id == screened and [c.id for c in cluster.copies] == [copy]
    assert session.get(Record, screened).abstract is not None  # type: ignore[union-attr]  # it lacked one
    assert set(unique_record_ids(session, review_id=review.id)) == {screened, other}


def test_queue_decisions_and_undo_return_the_pair(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    ids = load(session, review, ARTICLE + OTHER, "a.ris")
    pair = CandidatePair(
        review_id=review.id,
        record_a_id=ids[0],
        record_b_id=ids[1],
        score=7.5,
        evidence={"matched": ["year"]},
    )
    session.add(pair)
    session.flush()
    lead, reviewer = Actor.user(team["lena"].id), Actor.user(team["rita"].id)
    with pytest.raises(PermissionDeniedError):
        list_queue(session, actor=reviewer, review_id=review.id)
    with pytest.raises(PermissionDeniedError):
        decide_pair(
            session, actor=reviewer, review_id=review.id, pair_id=pair.id, decision="duplicate"
        )  # type: ignore[arg-type]
    [queued] = list_queue(session, actor=lead, review_id=review.id)
    assert "title" in queued.differing_fields() and queued.a.source == "PubMed"
    with pytest.raises(ValidationError, match="choose record"):
        decide_pair(
            session,
            actor=lead,
            review_id=review.id,
            pair_id=pair.id,
            decision="duplicate",
            primary_id=999,
        )  # type: ignore[arg-type]
    cluster_id = decide_pair(
        session,
        actor=lead,
        review_id=review.id,
        pair_id=pair.id,  # type: ignore[arg-type]
        decision="duplicate",
        primary_id=ids[1],
    )
    assert list_queue(session, actor=lead, review_id=review.id) == []
    assert unique_record_ids(session, review_id=review.id) == [ids[1]]
    assert session.get(DuplicateCluster, cluster_id).decided_by == "manual"  # type: ignore[union-attr, arg-type]
    undo_merge(session, actor=lead, review_id=review.id, cluster_id=cluster_id)  # type: ignore[arg-type]
    [back] = list_queue(session, actor=lead, review_id=review.id)
    assert back.status == "pending" and len(unique_record_ids(session, review_id=review.id)) == 2
    decide_pair(session, actor=lead, review_id=review.id, pair_id=pair.id, decision="skip")  # type: ignore[arg-type]
    assert list_queue(session, actor=lead, review_id=review.id)[0].status == "skipped"
    decide_pair(session, actor=lead, review_id=review.id, pair_id=pair.id, decision="not_duplicate")  # type: ignore[arg-type]
    assert list_queue(session, actor=lead, review_id=review.id) == []


def test_undoing_an_import_takes_its_merges_with_it(session: Session, review: ReviewPublic) -> None:
    from review_app.services.imports import undo_import

    [first] = load(session, review, ARTICLE, "pubmed.ris")
    [second] = load(session, review, SAME_IN_EMBASE, "embase.ris", source="Embase")
    run_automatic_pass(session, actor=OPERATOR, review_id=review.id)
    [cluster] = list_clusters(session, actor=OPERATOR, review_id=review.id)
    batch_of_primary = session.get(Record, cluster.primary.id).import_batch_id  # type: ignore[union-attr]
    undo_import(session, actor=OPERATOR, review_id=review.id, batch_id=batch_of_primary)
    survivor = second if cluster.primary.id == first else first
    assert unique_record_ids(session, review_id=review.id) == [survivor]
    assert list_clusters(session, actor=OPERATOR, review_id=review.id) == []


def queue_pair(session: Session, review: ReviewPublic, a: int, b: int, score: float = 7.5) -> int:
    evidence = {"matched": ["year"], "rules": ["doi_conflict"]}
    pair = CandidatePair(review_id=review.id, record_a_id=min(a, b), record_b_id=max(a, b),
                         score=score, evidence=evidence)  # fmt: skip
    session.add(pair)
    session.flush()
    assert pair.id is not None
    return pair.id


def merged_article(session: Session, review: ReviewPublic) -> tuple[int, int, int]:
    """An article merged automatically with its Embase copy, and another record: (a, b, c)
    where b and c are the merge and a is the other record."""
    [b] = load(session, review, ARTICLE, "pubmed.ris")
    [c] = load(session, review, SAME_IN_EMBASE, "embase.ris", source="Embase")
    [a] = load(session, review, OTHER, "other.ris", source="CINAHL")
    run_automatic_pass(session, actor=OPERATOR, review_id=review.id)
    assert len(list_clusters(session, actor=OPERATOR, review_id=review.id)) == 1
    return a, b, c


def test_a_pair_decision_respects_an_earlier_one_about_the_same_merges(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    """'Not a duplicate' for A-B, then the queue offers A-C where C is B's merged copy:
    'duplicate' must not silently merge A into B's cluster."""
    lead = Actor.user(team["lena"].id)
    a, b, c = merged_article(session, review)
    first = queue_pair(session, review, a, b)
    decide_pair(session, actor=lead, review_id=review.id, pair_id=first, decision="not_duplicate")
    second = queue_pair(session, review, a, c)
    [queued] = list_queue(session, actor=lead, review_id=review.id)
    assert queued.id == second and [e.pair_id for e in queued.earlier] == [first]
    with pytest.raises(ConflictError, match=r"not duplicates .*overrule"):
        decide_pair(session, actor=lead, review_id=review.id, pair_id=second, decision="duplicate")
    assert session.get(CandidatePair, second).status == "pending"  # type: ignore[union-attr]
    assert len(unique_record_ids(session, review_id=review.id)) == 2
    cluster_id = decide_pair(
        session, actor=lead, review_id=review.id, pair_id=second, decision="duplicate",
        overrule_earlier=True,
    )  # fmt: skip
    assert cluster_id is not None and len(unique_record_ids(session, review_id=review.id)) == 1
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "dedup.pair.duplicate"))
    assert (event.after or {}).get("overruled_pair_ids") == [first]  # the audit names it


def test_a_lead_adding_a_copy_to_an_automatic_merge_is_exported_as_manual(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    lead = Actor.user(team["lena"].id)
    a, b, c = merged_article(session, review)
    pair = queue_pair(session, review, a, c)
    cluster_id = decide_pair(session, actor=lead, review_id=review.id, pair_id=pair,
                             decision="duplicate")  # fmt: skip
    exported = export_duplicates(session, actor=OPERATOR, review_id=review.id).decode()
    by_record = {int(r["record_id"]): r for r in csv.DictReader(io.StringIO(exported))}
    assert by_record[a]["decided_by"] == "manual" and by_record[a]["status"] == "duplicate"
    assert by_record[b]["decided_by"] == by_record[c]["decided_by"] == "auto"
    [view] = list_clusters(session, actor=lead, review_id=review.id)
    assert view.how == "automatic, then a lead" and view.manual_copies == (a,)
    undo_merge(session, actor=lead, review_id=review.id, cluster_id=cluster_id)  # type: ignore[arg-type]
    assert [p.id for p in list_queue(session, actor=lead, review_id=review.id)] == [pair]


def test_a_pair_across_two_merges_is_refused_not_silently_ignored(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    lead = Actor.user(team["lena"].id)
    a, b, _ = merged_article(session, review)
    [d] = load(session, review, OTHER.replace("Mitragynine", "Mitragynine (repeat)"), "d.ris")
    decide_pair(session, actor=lead, review_id=review.id, pair_id=queue_pair(session, review, a, d),
                decision="duplicate")  # fmt: skip
    across = queue_pair(session, review, a, b)
    with pytest.raises(ConflictError, match="already belong to two merges"):
        decide_pair(session, actor=lead, review_id=review.id, pair_id=across, decision="duplicate")


def test_the_queue_says_strength_evidence_and_a_citation_not_bits(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    a, b, _ = merged_article(session, review)
    queue_pair(session, review, a, b, score=13.0)
    [queued] = list_queue(session, actor=Actor.user(team["lena"].id), review_id=review.id)
    assert queued.strength == "strong" and queued.held_back_by == ["the DOIs differ"]
    assert queued.agreeing == ["year"]
    article = queued.b if queued.b.id == b else queued.a
    assert article.citation.startswith("Vicknasingam, B. et al. (2020). Kratom and pain tolerance:")
    assert article.citation.endswith("Yale J Biol Med 93(2):229-238")
    assert citation_line({"title": "A title that ends."}) == "A title that ends"


def test_a_merge_the_pass_may_not_make_goes_to_the_queue_not_nowhere(
    session: Session, review: ReviewPublic, team: dict[str, UserPublic]
) -> None:
    """A new copy certain to match a merge and a screened record outside it: the automatic pass
    never makes a screened record a copy, so the new copy's pairs go to a lead (they were
    dropped unseen, and the copy stayed in screening)."""
    lead = Actor.user(team["lena"].id)
    with_abstract = "AB  - Randomised crossover study in 26 regular kratom users.\nER  -"
    b, c, screened = load(
        session, review, ARTICLE + SAME_IN_EMBASE + ARTICLE.replace("ER  -", with_abstract), "3.ris"
    )
    run_automatic_pass(session, actor=OPERATOR, review_id=review.id)
    [cluster] = list_clusters(session, actor=lead, review_id=review.id)
    undo_merge(session, actor=lead, review_id=review.id, cluster_id=cluster.id)
    decide_pair(session, actor=lead, review_id=review.id,
                pair_id=queue_pair(session, review, b, c), decision="duplicate")  # fmt: skip
    record_vote(session, actor=Actor.user(team["rita"].id), review_id=review.id,
                record_id=screened, stage="title_abstract", vote="include")  # fmt: skip
    [new] = load(session, review, ARTICLE.replace("SP  - 229", "SP  - 229\nDO  - 10.1/k"), "u.ris")
    summary = run_automatic_pass(session, actor=OPERATOR, review_id=review.id)
    assert summary.merged_records == 0
    asked = list_queue(session, actor=lead, review_id=review.id)
    assert {tuple(sorted((p.a.id, p.b.id))) for p in asked} >= {(b, new), (screened, new)}
    assert all("screened record a copy" in p.evidence["safeguard"] for p in asked)
    assert new in unique_record_ids(session, review_id=review.id)
