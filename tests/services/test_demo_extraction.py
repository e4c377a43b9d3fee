"""The demo's extraction: one real study, as indirect evidence, no number not in its source."""

from __future__ import annotations

import re

from sqlmodel import Session

from review_app.services.demo import DEMO_SEARCHES, seed_demo
from review_app.services.demo_extraction import PMID, STUDY
from review_app.services.extraction import compare_study, list_progress, read_copies
from review_app.services.permissions import Actor
from review_app.services.studies import list_studies


def _abstract_in_demo_searches() -> str:
    """The paper's line in the demo's Scopus export (title, abstract, keywords)."""
    lines = (DEMO_SEARCHES / "scopus.csv").read_text(encoding="utf-8").splitlines()
    (line,) = [line for line in lines if PMID in line]
    return line


def _numbers(text: str) -> set[float]:
    return {float(n) for n in re.findall(r"\d+(?:\.\d+)?", text)}


def test_the_demo_extracts_vicknasingam_2020_as_indirect_evidence(session: Session) -> None:
    review = seed_demo(session)
    operator = Actor.operator()
    (study,) = list_studies(session, actor=operator, review_id=review.id)
    assert study.label == STUDY
    copies = read_copies(session, actor=operator, review_id=review.id, values="all")
    assert sorted(c.extractor or "" for c in copies) == ["", "reviewer1", "reviewer2"]
    assert all(copy.is_indirect for copy in copies)

    # every number typed in is in the paper's abstract as the demo's searches carry it
    source = _abstract_in_demo_searches()
    for copy in copies:
        typed = {v for result in copy.results for v in result.values.values()}
        typed |= {arm.randomised for arm in copy.arms if arm.randomised is not None}
        typed |= {float(v) for v in copy.characteristics.values() if re.fullmatch(r"[\d.]+", v)}
        assert typed - {0.0} <= _numbers(source), copy.extractor


def test_the_demo_leaves_the_lead_one_honest_discrepancy(session: Session) -> None:
    review = seed_demo(session)
    operator = Actor.operator()
    (progress,) = list_progress(session, actor=operator, review_id=review.id)
    assert progress.discrepancies == 1
    comparison = compare_study(
        session, actor=operator, review_id=review.id, study_id=progress.study_id
    )
    (open_item,) = [item for item in comparison.items if not item.same]
    assert open_item.item.key == ("characteristic", "female_percent")
    assert open_item.values == (None, "0") and not open_item.resolved
