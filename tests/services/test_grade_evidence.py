"""The evidence behind each outcome's GRADE suggestions, read from the review (issue 16): the
dat.bcg review of ``grade_fixtures.py`` (13 trials, RoB 2 consensus, a saved REML + HKSJ
risk-ratio analysis, one invented indirect study), on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import math

import pytest
from sqlmodel import Session

from review_app.domain.appraisal.rob2 import ROB2
from review_app.domain.appraisal.robins_i import ROBINS_I
from review_app.domain.appraisal.robins_i_v2 import ROBINS_I_V2
from review_app.domain.extraction.model import Arm
from review_app.domain.grade.model import (
    EvidenceDesign,
    EvidenceSource,
    GradeContent,
    OutcomeEvidence,
    PicoElement,
    RobLevel,
)
from review_app.domain.meta.model import Method
from review_app.domain.meta.model import Test as PoolTest
from review_app.domain.vocabulary import ArmRole, EffectMeasure
from review_app.errors import ValidationError
from review_app.protocol.model import Outcome
from review_app.services.analyses import (
    AnalysisSpec,
    delete_analysis,
    list_analyses,
    save_analysis,
)
from review_app.services.appraisal import rob_tables
from review_app.services.appraisal_import import import_rob
from review_app.services.extraction import replace_copies
from review_app.services.grade_evidence import (
    analyses_for,
    default_content,
    gather,
    rob_level,
    says_randomised,
)
from review_app.services.permissions import Actor
from review_app.services.reviews import get_protocol
from review_app.services.studies import create_study
from tests.services.grade_fixtures import (
    BCG_ARM,
    BCG_ROB,
    CONTROL_ARM,
    FOLLOW_UP,
    INDIRECT_NOTE,
    NO_STUDY_OUTCOMES,
    NRS,
    BcgReview,
    BcgTrial,
    bcg_review,
    events,
    trial_copy,
)
from tests.services.screening_helpers import import_titles

OPERATOR = Actor.operator()
# metafor 3.8-1: rma(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg,
# method = "REML", test = "knha") (../shared/data/meta_analysis/metafor_3.8-1_pooled_results.csv)
METAFOR_REML_KNHA = {
    "estimate": -0.714532348365101,
    "ci_low": -1.10844372300005,
    "ci_high": -0.320620973730153,
    "tau2": 0.313243325980895,
    "tau2_ci_low": 0.119695312816638,
    "tau2_ci_high": 1.11148626221544,
    "i2": 92.2213860749656,
    "pi_low": -1.99601696702229,
    "pi_high": 0.566952270292088,
}
ANALYSIS = GradeContent(
    source=EvidenceSource.ANALYSIS, analysis="BCG vaccine: risk ratio (REML, HKSJ)"
)
NARRATIVE = GradeContent(source=EvidenceSource.NARRATIVE, narrative="Most trials favour BCG.")
LEVELS = {"Low": RobLevel.LOW, "Some concerns": RobLevel.SOME_CONCERNS, "High": RobLevel.HIGH}


@pytest.fixture
def bcg(session: Session) -> BcgReview:
    return bcg_review(session, reviewers=0)  # no reviewer needed: each user is an argon2 hash


def outcome(session: Session, bcg: BcgReview, outcome_id: str | None = None) -> Outcome:
    protocol = get_protocol(session, bcg.review_id)
    return next(o for o in protocol.outcomes if o.id == (outcome_id or bcg.outcome_id))


def evidence(session: Session, bcg: BcgReview, content: GradeContent) -> OutcomeEvidence:
    return gather(session, bcg.review_id, outcome(session, bcg), content)


def log_rr(trial: BcgTrial) -> tuple[float, float]:
    """escalc(measure = "RR"): yi = log((a / n1) / (c / n2)), vi = 1/a - 1/n1 + 1/c - 1/n2
    (Cochrane Handbook 6.4.1.2; no zero cell in dat.bcg)."""
    yi = math.log((trial.tpos / trial.n_t) / (trial.cpos / trial.n_c))
    return yi, 1 / trial.tpos - 1 / trial.n_t + 1 / trial.cpos - 1 / trial.n_c


def test_the_bcg_review_holds_the_trials_their_risk_of_bias_and_the_saved_analysis(
    session: Session, bcg: BcgReview
) -> None:
    assert len(bcg.trials) == 13 and len(bcg.study_ids) == 14
    (saved,) = list_analyses(session, actor=bcg.lead, review_id=bcg.review_id)
    assert saved.name == bcg.analysis == ANALYSIS.analysis and not saved.stale
    assert saved.last_result is not None and saved.last_result["k"] == 13
    for field in ("estimate", "ci_low", "ci_high", "tau2"):
        assert saved.last_result[field] == pytest.approx(METAFOR_REML_KNHA[field], rel=1e-6)
    (table,) = rob_tables(
        session, actor=bcg.lead, review_id=bcg.review_id, outcome_id=bcg.outcome_id
    )
    assert table.tool == "RoB 2"
    assert {row.study: row.overall for row in table.rows} == bcg.rob
    assert sorted(set(BCG_ROB)) == ["High", "Low", "Some concerns"]


# --- a saved analysis ---------------------------------------------------------------------------


def test_an_analysis_gives_metafors_pooled_result_and_each_pooled_trial(
    session: Session, bcg: BcgReview
) -> None:
    found = evidence(session, bcg, ANALYSIS)
    assert (found.outcome_id, found.name, found.type) == (
        bcg.outcome_id,
        "Tuberculosis",
        "dichotomous",
    )
    assert (found.importance, found.direction) == ("critical", "lower_is_better")
    assert found.source is EvidenceSource.ANALYSIS and found.timepoint == FOLLOW_UP
    pooled = found.pooled
    assert pooled is not None and not pooled.stale
    assert (pooled.analysis, pooled.measure, pooled.method) == (
        bcg.analysis,
        EffectMeasure.RR,
        "REML",
    )
    assert pooled.hksj and pooled.k == 13
    for field, value in METAFOR_REML_KNHA.items():
        assert getattr(pooled, field) == pytest.approx(value, rel=1e-6), field
    assert pooled.q_p == pytest.approx(1.99676459084597e-26, rel=1e-5)
    # The 13 trials, not the indirect study (the analysis leaves indirect evidence out).
    trials = {t.label: t for t in bcg.trials}
    assert {s.study for s in found.studies} == set(trials)
    assert sum(s.weight or 0 for s in found.studies) == pytest.approx(100.0, abs=1e-9)
    tau2 = METAFOR_REML_KNHA["tau2"]
    total = sum(1 / (log_rr(t)[1] + tau2) for t in bcg.trials)
    for study in found.studies:
        trial = trials[study.study]
        yi, vi = log_rr(trial)
        assert (study.yi, study.vi) == (pytest.approx(yi, rel=1e-12), pytest.approx(vi, rel=1e-12))
        # Random-effects weights: 1 / (vi + tau²), in percent (Cochrane Handbook 10.10.4.1).
        assert study.weight == pytest.approx(100 / (vi + tau2) / total, rel=1e-5)
        assert study.participants == trial.n_t + trial.n_c
        assert (study.control_events, study.control_total) == (trial.cpos, trial.n_c)
        assert study.control_mean is None and study.intervention_sd is None
        assert study.design is EvidenceDesign.RANDOMISED
        assert (study.rob_tool, study.rob_judgement) == ("RoB 2", bcg.rob[study.study])
        assert study.rob is LEVELS[bcg.rob[study.study]]
        assert not study.flagged_indirect and study.indirect == frozenset()
        assert study.industry_funded is None
    assert found.participants == sum(t.n_t + t.n_c for t in bcg.trials)


def test_the_analysis_runs_again_on_changed_data_and_says_it_is_stale(
    session: Session, bcg: BcgReview
) -> None:
    aronson = bcg.trials[0]
    changed = dataclasses.replace(aronson, tpos=aronson.tpos + 20, tneg=aronson.tneg - 20)
    replace_copies(session, actor=OPERATOR, review_id=bcg.review_id, copies=[trial_copy(changed)])
    found = evidence(session, bcg, ANALYSIS)
    assert found.pooled is not None and found.pooled.stale
    assert found.pooled.estimate != pytest.approx(METAFOR_REML_KNHA["estimate"], rel=1e-6)
    study = next(s for s in found.studies if s.study == aronson.label)
    assert study.yi == pytest.approx(log_rr(changed)[0], rel=1e-12)
    # Reading the evidence writes nothing: the saved analysis is still stale.
    (saved,) = list_analyses(session, actor=bcg.lead, review_id=bcg.review_id)
    assert saved.stale


def test_the_analysis_named_must_exist_and_be_of_the_outcome(
    session: Session, bcg: BcgReview
) -> None:
    with pytest.raises(
        ValidationError,
        match=r"no saved analysis named 'Nope'.*the saved analyses of tb_cases: 'BCG vaccine",
    ):
        evidence(session, bcg, GradeContent(source=EvidenceSource.ANALYSIS, analysis="Nope"))
    with pytest.raises(ValidationError, match=r"choose the saved analysis behind outcome tb_cases"):
        evidence(session, bcg, GradeContent(source=EvidenceSource.ANALYSIS))
    deaths = NO_STUDY_OUTCOMES[0]
    choose = GradeContent(source=EvidenceSource.ANALYSIS, analysis=bcg.analysis)
    with pytest.raises(ValidationError, match=r"pools outcome tb_cases, not tb_deaths; tb_deaths "
                       "has no saved analysis"):  # fmt: skip
        gather(session, bcg.review_id, outcome(session, bcg, deaths), choose)
    # An analysis of another outcome (a study with a death result, so that it pools something).
    aronson = bcg.trials[0]
    copy = trial_copy(aronson)
    died = (events(BCG_ARM, 1, aronson.n_t, deaths), events(CONTROL_ARM, 3, aronson.n_c, deaths))
    copy = dataclasses.replace(copy, results=(*copy.results, *died))
    replace_copies(session, actor=OPERATOR, review_id=bcg.review_id, copies=[copy])
    spec = AnalysisSpec(deaths, EffectMeasure.RR, method=Method.REML, test=PoolTest.KNHA)
    save_analysis(session, actor=bcg.lead, review_id=bcg.review_id, name="Deaths", spec=spec)
    with pytest.raises(ValidationError, match=r"'Deaths' pools outcome tb_deaths, not tb_cases"):
        evidence(session, bcg, GradeContent(source=EvidenceSource.ANALYSIS, analysis="deaths"))
    assert analyses_for(session, bcg.review_id, deaths) == ["Deaths"]
    found = gather(
        session,
        bcg.review_id,
        outcome(session, bcg, deaths),
        GradeContent(source=EvidenceSource.ANALYSIS, analysis=" deaths "),
    )
    assert found.pooled is not None and found.pooled.k == 1
    assert found.pooled.analysis == "Deaths"  # as saved, not as typed
    assert [s.study for s in found.studies] == [aronson.label]
    assert found.studies[0].weight == pytest.approx(100.0)


# --- participants, designs, risk of bias --------------------------------------------------------


def test_participants_are_the_arms_randomised_else_the_analysed_sizes(
    session: Session, bcg: BcgReview
) -> None:
    first, second = bcg.trials[:2]
    randomised = trial_copy(first)
    randomised = dataclasses.replace(
        randomised,
        arms=(
            Arm(BCG_ARM, ArmRole.INTERVENTION, randomised=first.n_t + 10),
            Arm(CONTROL_ARM, ArmRole.COMPARATOR, randomised=first.n_c + 5),
        ),
    )
    partly = trial_copy(second)
    partly = dataclasses.replace(
        partly,
        arms=(
            Arm(BCG_ARM, ArmRole.INTERVENTION, randomised=second.n_t + 10),
            Arm(CONTROL_ARM, ArmRole.COMPARATOR),
        ),
    )
    replace_copies(session, actor=OPERATOR, review_id=bcg.review_id, copies=[randomised, partly])
    by_study = {s.study: s for s in evidence(session, bcg, ANALYSIS).studies}
    assert by_study[first.label].participants == first.n_t + first.n_c + 15
    assert by_study[second.label].participants == second.n_t + second.n_c


def test_risk_of_bias_levels_by_their_place_in_each_tools_scale() -> None:
    assert [rob_level(ROB2.scale, j) for j in ("Low", "Some concerns", "High")] == [
        RobLevel.LOW,
        RobLevel.SOME_CONCERNS,
        RobLevel.HIGH,
    ]
    robins = ("Low", "Moderate", "Serious", "Critical", "No information")
    assert [rob_level(ROBINS_I.scale, j) for j in robins] == [
        RobLevel.LOW,
        RobLevel.SOME_CONCERNS,
        RobLevel.HIGH,
        RobLevel.HIGH,
        RobLevel.NOT_ASSESSED,
    ]
    version_2 = [level.id for level in ROBINS_I_V2.scale.levels]
    assert version_2[1] == "Low (except for concerns about uncontrolled confounding)"
    assert [rob_level(ROBINS_I_V2.scale, j) for j in version_2] == [
        RobLevel.LOW,
        RobLevel.SOME_CONCERNS,  # residual confounding is a concern
        RobLevel.SOME_CONCERNS,
        RobLevel.HIGH,
        RobLevel.HIGH,
    ]
    assert rob_level(ROB2.scale, None) is RobLevel.NOT_ASSESSED
    assert rob_level(ROB2.scale, "Serious") is RobLevel.NOT_ASSESSED  # not a RoB 2 level


def test_design_words_say_randomised_or_not() -> None:
    for design in (
        "randomised controlled trial",
        "Randomized trial",
        "parallel RCT",
        "cluster RCTs",
    ):
        assert says_randomised(design), design
    for design in (NRS, "nonrandomized study", "non randomised", "quasi-randomised", "cohort"):
        assert not says_randomised(design), design


def test_the_outcomes_own_judgement_holds_over_the_one_for_all_outcomes(
    session: Session, bcg: BcgReview
) -> None:
    """Aronson has its own Low for tuberculosis and a High for all outcomes; the indirect study
    only the one for all outcomes (Some concerns)."""
    aronson = bcg.trials[0].label
    rows = [
        "Study,D1,D2,D3,D4,D5,Overall,Weight",
        f"{aronson},High,Low,Low,Low,Low,High,",
        f"{bcg.indirect_study},Low,Low,Low,Some concerns,Low,Some concerns,",
    ]
    import_rob(
        session,
        actor=OPERATOR,
        review_id=bcg.review_id,
        file_name="all.csv",
        outcome="*",
        data=("\n".join(rows) + "\n").encode("utf-8"),
    )
    by_study = {s.study: s for s in evidence(session, bcg, NARRATIVE).studies}
    assert (by_study[aronson].rob, by_study[aronson].rob_judgement) == (RobLevel.LOW, "Low")
    indirect = by_study[bcg.indirect_study]
    assert (indirect.rob, indirect.rob_tool) == (RobLevel.SOME_CONCERNS, "RoB 2")


def test_non_randomised_studies_assessed_with_robins_i(session: Session, bcg: BcgReview) -> None:
    """Their design from the protocol's tool for their extracted design; ROBINS-I 'Serious' is
    HIGH; 'No information' is not assessed on GRADE's scale, though the tool is named."""
    labels = ("Cohort 2001", "Cohort 2002")
    records = import_titles(session, bcg.review_id, 2, prefix="cohort")
    copies = []
    for label, record in zip(labels, records, strict=True):
        create_study(
            session, actor=OPERATOR, review_id=bcg.review_id, label=label, record_ids=[record]
        )
        copy = trial_copy(BcgTrial(label, 10, 990, 20, 980, "none"))
        copies.append(
            dataclasses.replace(copy, characteristics={**copy.characteristics, "design": NRS})
        )
    replace_copies(session, actor=OPERATOR, review_id=bcg.review_id, copies=copies)
    robvis = (
        "Study,D1,D2,D3,D4,D5,D6,D7,Overall\n"
        f"{labels[0]},Serious,Low,Low,Low,Low,Low,Low,Serious\n"
        f"{labels[1]},No information,Low,Low,Low,Low,Low,Low,No information\n"
    )
    import_rob(
        session,
        actor=OPERATOR,
        review_id=bcg.review_id,
        file_name="robins.csv",
        outcome=bcg.outcome_id,
        data=robvis.encode("utf-8"),
    )
    by_study = {s.study: s for s in evidence(session, bcg, NARRATIVE).studies}
    serious, unknown = (by_study[label] for label in labels)
    assert serious.design is unknown.design is EvidenceDesign.NON_RANDOMISED
    assert (serious.rob, serious.rob_tool, serious.rob_judgement) == (
        RobLevel.HIGH,
        "ROBINS-I",
        "Serious",
    )
    assert (unknown.rob, unknown.rob_tool, unknown.rob_judgement) == (
        RobLevel.NOT_ASSESSED,
        "ROBINS-I",
        "No information",
    )
    assert serious.participants == 2000
    analysed = evidence(session, bcg, ANALYSIS)  # not in the saved analysis's last run: stale
    assert analysed.pooled is not None and analysed.pooled.stale and analysed.pooled.k == 15


# --- a narrative synthesis and no evidence ------------------------------------------------------


def test_a_narrative_takes_every_study_with_a_result_indirect_ones_too(
    session: Session, bcg: BcgReview
) -> None:
    content = dataclasses.replace(
        NARRATIVE,
        indirect={
            "invented INDIRECT 1990": frozenset({PicoElement.POPULATION}),
            "Aronson 1948": frozenset({PicoElement.OUTCOME, PicoElement.INTERVENTION}),
        },
    )
    found = evidence(session, bcg, content)
    assert found.source is EvidenceSource.NARRATIVE and found.pooled is None
    assert found.narrative == "Most trials favour BCG." and found.timepoint == FOLLOW_UP
    assert len(found.studies) == 14
    assert all(s.weight is None and s.yi is None and s.vi is None for s in found.studies)
    by_study = {s.study: s for s in found.studies}
    indirect = by_study[bcg.indirect_study]
    assert indirect.flagged_indirect and indirect.indirect_note == INDIRECT_NOTE
    assert indirect.indirect == frozenset({PicoElement.POPULATION})
    assert indirect.participants == 410  # its arms say nothing: the events' totals
    assert (indirect.control_events, indirect.control_total) == (9, 210)
    assert (indirect.rob, indirect.rob_tool, indirect.rob_judgement) == (
        RobLevel.NOT_ASSESSED,
        "",
        None,
    )
    aronson = by_study["Aronson 1948"]
    assert aronson.indirect == frozenset({PicoElement.OUTCOME, PicoElement.INTERVENTION})
    assert not aronson.flagged_indirect and aronson.rob is RobLevel.LOW


def test_a_narrative_keeps_the_comparator_arm_only_when_one_time_point_gives_it(
    session: Session, bcg: BcgReview
) -> None:
    trial = bcg.trials[0]
    copy = trial_copy(trial)
    later = tuple(dataclasses.replace(r, timepoint="10 years") for r in copy.results)
    arms = tuple(dataclasses.replace(arm, randomised=None) for arm in copy.arms)
    copy = dataclasses.replace(copy, arms=arms, results=(*copy.results, *later))
    replace_copies(session, actor=OPERATOR, review_id=bcg.review_id, copies=[copy])
    found = evidence(session, bcg, NARRATIVE)
    study = next(s for s in found.studies if s.study == trial.label)
    assert study.control_events is None and study.participants == trial.n_t + trial.n_c
    assert found.timepoint is None  # the studies report several


def test_no_evidence_and_the_protocols_facts(session: Session, bcg: BcgReview) -> None:
    quality = outcome(session, bcg, NO_STUDY_OUTCOMES[1])
    found = gather(session, bcg.review_id, quality, GradeContent(source=EvidenceSource.NONE))
    assert found.source is EvidenceSource.NONE and not found.has_studies and found.pooled is None
    assert (found.type, found.importance, found.direction) == (
        "continuous",
        "important",
        "higher_is_better",
    )
    assert (found.mid, found.mid_unit, found.unit) == (
        5.0,
        "points on the SF-36 physical component score",
        "SF-36 PCS (0-100)",
    )
    assert found.participants is None
    # Nothing chosen: the default, here no studies.
    assert gather(session, bcg.review_id, quality, GradeContent()).source is EvidenceSource.NONE
    # "None" chosen for an outcome with studies: no studies.
    assert not evidence(session, bcg, GradeContent(source=EvidenceSource.NONE)).studies


# --- the default body of evidence ---------------------------------------------------------------


def test_the_default_is_the_newest_analysis_else_a_narrative_else_none(
    session: Session, bcg: BcgReview
) -> None:
    tb = outcome(session, bcg)
    assert default_content(session, bcg.review_id, tb) == ANALYSIS
    assert evidence(session, bcg, GradeContent()).pooled is not None
    spec = AnalysisSpec(bcg.outcome_id, EffectMeasure.OR, method=Method.DL, test=PoolTest.Z)
    save_analysis(session, actor=bcg.lead, review_id=bcg.review_id, name="A: odds ratio", spec=spec)
    assert default_content(session, bcg.review_id, tb).analysis == "A: odds ratio"
    assert analyses_for(session, bcg.review_id, bcg.outcome_id) == ["A: odds ratio", bcg.analysis]
    for saved in list_analyses(session, actor=bcg.lead, review_id=bcg.review_id):
        delete_analysis(session, actor=bcg.lead, review_id=bcg.review_id, analysis_id=saved.id)
    assert default_content(session, bcg.review_id, tb) == GradeContent(
        source=EvidenceSource.NARRATIVE
    )
    assert analyses_for(session, bcg.review_id, bcg.outcome_id) == []
    for outcome_id in NO_STUDY_OUTCOMES:
        other = outcome(session, bcg, outcome_id)
        assert default_content(session, bcg.review_id, other) == GradeContent(
            source=EvidenceSource.NONE
        )


# --- industry funding ---------------------------------------------------------------------------


FUNDING = {
    "Glaxo Laboratories, the vaccine's manufacturer": True,
    "A pharmaceutical company": True,
    "Medical Research Council": None,
    "No industry funding (Medical Research Council)": None,
    "not reported": None,
    "": None,
}


def test_industry_funding_only_when_the_funding_field_says_so(
    session: Session, bcg: BcgReview
) -> None:
    trial = bcg.trials[0]
    for funding, industry in FUNDING.items():
        copy = trial_copy(trial, funding=funding)
        replace_copies(session, actor=OPERATOR, review_id=bcg.review_id, copies=[copy])
        found = evidence(session, bcg, NARRATIVE).studies
        study = next(s for s in found if s.study == trial.label)
        assert study.industry_funded is industry, funding


def test_a_crossover_trials_participants_are_its_largest_arm_not_the_sum() -> None:
    """Each participant of a crossover trial is in every arm (Cochrane Handbook 23.2): the demo's
    26 men are 26 participants, not 52; a parallel trial adds its arms."""
    from review_app.domain.extraction.model import Arm, Design, StudyExtraction
    from review_app.domain.vocabulary import ArmRole, StudyDesign
    from review_app.services.grade_evidence import _participants

    arms = (Arm("Kratom", ArmRole.INTERVENTION, randomised=26),
            Arm("Placebo", ArmRole.COMPARATOR, randomised=26))  # fmt: skip
    crossover = StudyExtraction("S", None, design=Design(kind=StudyDesign.CROSSOVER), arms=arms)
    parallel = StudyExtraction("S", None, design=Design(kind=StudyDesign.PARALLEL), arms=arms)
    assert _participants(crossover, None) == 26
    assert _participants(parallel, None) == 52
