"""The demo's RoB 2 assessment (its crossover version: the study is a crossover): quotes from the
record set, No information where it is silent."""

from __future__ import annotations

import re

from sqlmodel import Session

from review_app.domain.appraisal.rob2_variants import ROB2_CROSSOVER
from review_app.domain.appraisal.tool import Answer, propose
from review_app.domain.appraisal.tools import tool_by_id
from review_app.services.appraisal import read_copies, rob_table
from review_app.services.demo import seed_demo
from review_app.services.demo_extraction import OUTCOME, STUDY
from review_app.services.permissions import Actor
from tests.services.test_demo_extraction import _abstract_in_demo_searches


def test_the_demo_study_has_a_settled_rob2_assessment_from_what_the_record_set_says(
    session: Session,
) -> None:
    review = seed_demo(session)
    operator = Actor.operator()
    copies = read_copies(session, actor=operator, review_id=review.id, values="all")
    assert sorted(c.assessor or "" for c in copies) == ["", "reviewer1", "reviewer2"]
    assert all(c.complete and c.study == STUDY and c.outcome_id == OUTCOME for c in copies)
    consensus = next(c for c in copies if c.is_consensus)

    tool = tool_by_id(consensus.tool)
    assert tool is ROB2_CROSSOVER  # the protocol's RoB 2, for a study extracted as a crossover
    domains = tool.domains_for(consensus.variant)
    for domain, assessed in zip(domains, consensus.domains, strict=True):
        proposal = propose(domain, assessed.answers)
        if domain.algorithm is None:  # Domain S: the assessor's judgement, with support
            assert proposal is None and assessed.judgement and assessed.support
        else:
            assert assessed.judgement == proposal  # no override
    answers = [a for d in consensus.domains for a in d.answers.values()]
    assert answers.count(Answer.NI) >= 8  # what the record set does not say

    source = _abstract_in_demo_searches().replace('""', '"')
    quoted = {q for d in consensus.domains for q in re.findall(r'"([^"]+)"', d.support)}
    assert quoted and all(q in source for q in quoted), quoted - {q for q in quoted if q in source}

    (row,) = rob_table(session, actor=operator, review_id=review.id, outcome_id=OUTCOME).rows
    assert row.judgements == ("Some concerns", "High", "Some concerns", "High", "Low",
                              "Some concerns")  # D1, D2, DS, D3, D4, D5  # fmt: skip
    assert row.overall == "High"


def test_the_demo_assessors_differ_on_who_was_blinded(session: Session) -> None:
    review = seed_demo(session)
    copies = read_copies(session, actor=Actor.operator(), review_id=review.id, values="all")
    by_name = {c.assessor: c for c in copies}
    differing = [
        d1.domain
        for d1, d2 in zip(by_name["reviewer1"].domains, by_name["reviewer2"].domains, strict=True)
        if d1 != d2
    ]
    assert differing == ["D4"]
