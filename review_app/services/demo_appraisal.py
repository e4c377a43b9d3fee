"""The demo review's risk-of-bias assessment: RoB 2 for Vicknasingam 2020's pain result.

Both demo reviewers assess the one study the demo extracts (indirect evidence, see
``demo_extraction``) with RoB 2's version for crossover trials (the protocol names RoB 2; the
study is extracted as a crossover; effect of assignment), from what the record set says of it:
the support text quotes the paper's abstract as the demo's searches carry it, and every question
it says nothing about is answered "No information", which the RoB 2 algorithms turn into Some
concerns or High; Domain S (period and carry-over effects) has no published algorithm we could
check, so the assessors judge it. The reviewers differ on one question a real pair could:
whether the outcome assessors knew the intervention (the participants report their own
tolerance; "double-blind" does not say who was blinded). The lead keeps reviewer1's answers and
completes the consensus, so the traffic-light plot has a result to draw.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from review_app.domain.appraisal.model import DomainAssessment, ResultAssessment
from review_app.domain.appraisal.rob2_variants import ROB2_CROSSOVER
from review_app.domain.appraisal.tool import Answer
from review_app.services.appraisal import (
    compare_result,
    open_copy,
    save_copy,
    set_complete,
    start_consensus,
    take_item,
)
from review_app.services.demo_extraction import OUTCOME, STUDY
from review_app.services.demo_screening import lead_actor, user_actor

ASSESSORS = ("reviewer1", "reviewer2")

_QUOTE = (
    "The record set's abstract: \"Randomised, placebo-controlled, double-blind, within-subject "
    'crossover study in 26 Malaysian men" who "received kratom and a taste-matched placebo '
    'decoction during a one-day inpatient stay".'
)
_RESULT = (
    '"Cold-pressor pain tolerance rose from 11.2 s to 24.9 s one hour after kratom (p=0.02) and '
    'did not change after placebo (15.0 to 12.0 s, p=0.40)."'
)
_N, _PN, _PY, _NI = Answer.N, Answer.PN, Answer.PY, Answer.NI


def _domain(
    domain: str, answers: dict[str, Answer], judgement: str, support: str
) -> DomainAssessment:
    return DomainAssessment(domain=domain, answers=answers, judgement=judgement, support=support)


D4_BLINDED = _domain(
    "D4",
    {"4.1": _PN, "4.2": _N, "4.3": _PN},
    "Low",
    f"{_QUOTE} Cold-pressor tolerance is measured the same way after each decoction; with a "
    "double-blind design and a taste-matched placebo the participants, who report their own "
    "tolerance, probably did not know which decoction they had.",
)
D4_NOT_SAID = _domain(
    "D4",
    {"4.1": _PN, "4.2": _N, "4.3": _NI, "4.4": _PY, "4.5": _PN},
    "Some concerns",
    f"{_QUOTE} 'Double-blind' does not say who was blinded; tolerance is reported by the "
    "participants themselves, so knowing the decoction could influence it, though with a "
    "taste-matched placebo it probably did not.",
)

VICKNASINGAM_2020_ROB = ResultAssessment(
    study=STUDY,
    outcome_id=OUTCOME,
    assessor=None,
    tool=ROB2_CROSSOVER.id,
    variant="assignment",
    domains=(
        _domain(
            "D1",
            {"1.1": _NI, "1.2": _NI, "1.3": _NI},
            "Some concerns",
            f"{_QUOTE} How the sequence was generated and concealed, and the participants' "
            "baseline values by sequence, are not reported (No information).",
        ),
        _domain(
            "D2",
            {"2.1": _PN, "2.2": _PN, "2.6": _NI, "2.7": _NI},
            "High",
            f"{_QUOTE} Double-blind with a taste-matched placebo: participants and those giving "
            f"the decoctions probably did not know which was which. {_RESULT} Whether every "
            "participant was analysed after both decoctions is not reported (No information).",
        ),
        _domain(
            "DS",
            {},
            "Some concerns",
            f"{_QUOTE} Both decoctions were given during one day: the interval between them, "
            "whether kratom's effect could have carried over into the placebo period, and whether "
            "the analysis allowed for period effects are not reported (No information).",
        ),
        _domain(
            "D3",
            {"3.1": _NI, "3.2": _N, "3.3": _NI, "3.4": _NI},
            "High",
            f"{_RESULT} How many of the 26 men were analysed is not reported (No information); "
            "nothing shows that the result is free of bias from missing data.",
        ),
        D4_BLINDED,
        _domain(
            "D5",
            {"5.1": _NI, "5.2": _NI, "5.3": _NI, "5.4": _NI},
            "Some concerns",
            "No analysis plan is in the record set (No information), nor whether both periods "
            "were analysed. A registration (NCT03414099, cold pressor, crossover, anticipated 20 "
            "participants) is probably this study; the record set does not confirm it.",
        ),
    ),
    overall="High",
    overall_support=(
        "High in D2 and D3 because the record set gives no information on the analysis and on "
        "missing data; Some concerns in D1, S (period and carry-over) and D5. Indirect evidence "
        "in any case (healthy regular users, experimental pain)."
    ),
)


def seed_demo_appraisal(session: Session, *, review_id: int, study_id: int) -> None:
    """Both demo reviewers assess the study's pain result (reviewer2 reads 'double-blind' as not
    saying who was blinded); the lead keeps reviewer1's answers and completes the consensus."""
    for name in ASSESSORS:
        actor = user_actor(session, name)
        copy = open_copy(
            session, actor=actor, review_id=review_id, study_id=study_id, outcome_id=OUTCOME
        )
        data = replace(VICKNASINGAM_2020_ROB, assessor=name)
        if name == ASSESSORS[1]:
            domains = tuple(D4_NOT_SAID if d.domain == "D4" else d for d in data.domains)
            data = replace(data, domains=domains)
        save_copy(
            session, actor=actor, review_id=review_id, appraisal_id=copy.appraisal_id, data=data
        )
        set_complete(
            session, actor=actor, review_id=review_id, appraisal_id=copy.appraisal_id, complete=True
        )
    _settle(session, review_id=review_id, study_id=study_id)


def _settle(session: Session, *, review_id: int, study_id: int) -> None:
    lead = lead_actor(session, review_id)
    consensus = start_consensus(
        session, actor=lead, review_id=review_id, study_id=study_id, outcome_id=OUTCOME
    )
    comparison = compare_result(
        session, actor=lead, review_id=review_id, study_id=study_id, outcome_id=OUTCOME
    )
    first = comparison.columns[0].appraisal_id
    for item in comparison.items:
        if not item.resolved:
            take_item(
                session,
                actor=lead,
                review_id=review_id,
                study_id=study_id,
                outcome_id=OUTCOME,
                key=item.item.key,
                from_appraisal_id=first,
            )
    set_complete(
        session, actor=lead, review_id=review_id, appraisal_id=consensus.appraisal_id, complete=True
    )
