"""The evidence behind each outcome's GRADE suggestions, read from the review (issue 16): the
dat.bcg review of ``grade_fixtures.py`` on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from review_app.services.analyses import list_analyses
from review_app.services.appraisal import rob_tables
from tests.services.grade_fixtures import BCG_ROB, BcgReview, bcg_review

# metafor 3.8-1: rma(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg,
# method = "REML", test = "knha") (../shared/data/meta_analysis/metafor_3.8-1_pooled_results.csv)
METAFOR_REML_KNHA = {"estimate": -0.714532348365101, "ci_low": -1.10844372300005,
                     "ci_high": -0.320620973730153, "tau2": 0.313243325980895}  # fmt: skip


@pytest.fixture
def bcg(session: Session) -> BcgReview:
    return bcg_review(session)


def test_the_bcg_review_holds_the_trials_their_risk_of_bias_and_the_saved_analysis(
    session: Session, bcg: BcgReview
) -> None:
    assert len(bcg.trials) == 13 and len(bcg.study_ids) == 14
    (saved,) = list_analyses(session, actor=bcg.lead, review_id=bcg.review_id)
    assert saved.name == bcg.analysis and not saved.stale
    assert saved.last_result is not None and saved.last_result["k"] == 13
    for field, value in METAFOR_REML_KNHA.items():
        assert saved.last_result[field] == pytest.approx(value, rel=1e-6)
    (table,) = rob_tables(
        session, actor=bcg.lead, review_id=bcg.review_id, outcome_id=bcg.outcome_id
    )
    assert table.tool == "RoB 2"
    assert {row.study: row.overall for row in table.rows} == bcg.rob
    assert sorted(set(BCG_ROB)) == ["High", "Low", "Some concerns"]
