"""The demo review's extraction: the one randomised human pain study, as indirect evidence.

The kratom review has no eligible study (``shared/data/kratom``: no controlled study of kratom in
people with neuropathic pain was found). So that every control of the Extraction page can be
tried on real facts, the demo extracts Vicknasingam 2020 (Yale J Biol Med 93:229-238, PMID
32607084): 26 healthy regular kratom users, cold-pressor pain tolerance, a randomised crossover of
a kratom and a placebo decoction. It is marked as indirect evidence (population and outcome are
not the protocol's), which leaves it out of the main analyses.

Every number below is in the record set's account of the paper (its abstract); what that account
does not give (SDs, the within-person correlation, the dose, funding) stays empty with a note.
The two demo reviewers extract it; they differ on one thing a real pair could: whether "26
Malaysian men" should be recorded as 0 % women. The lead starts the consensus, which keeps every
agreed item and leaves that one discrepancy to resolve on the page.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from review_app.domain.extraction.model import Arm, Design, Result, StudyExtraction
from review_app.domain.vocabulary import ArmRole, StudyDesign
from review_app.services.demo_screening import RecordFinder, lead_actor, user_actor
from review_app.services.extraction import open_copy, save_copy, set_complete, start_consensus
from review_app.services.studies import create_study

STUDY = "Vicknasingam 2020"
PMID = "32607084"
EXTRACTORS = ("reviewer1", "reviewer2")

KRATOM = "Kratom decoction"
PLACEBO = "Placebo decoction"
DESIGN = "randomised controlled trial"  # the protocol's design (its risk-of-bias tool: RoB 2)
OUTCOME = "pain_intensity"  # the protocol outcome nearest to it; the note says what was measured
MEASURED = (
    "Measured as cold-pressor pain tolerance in seconds (higher is more tolerance), an "
    "experimental pain outcome, not clinical pain intensity. SD not reported in the record set."
)

_CHARACTERISTICS = {
    "study_id": STUDY,
    "country": "Malaysia",
    "setting": "inpatient",
    "design": "crossover RCT",
    "condition": "other",
    "population_details": (
        "Healthy men with about 6 years of daily kratom use (mean age 24.3); no neuropathic "
        "pain; experimental pain by cold-pressor task."
    ),
    "n_randomised": "26",
    "age_mean": "24.3",
    "kratom_product": "Kratom decoction; alkaloid content not reported in the record set.",
    "dose": "One kratom decoction in a one-day inpatient session; dose not in the record set.",
    "route": "oral",
    "comparator": "Taste-matched placebo decoction.",
    "pain_scale": "Cold-pressor pain tolerance (seconds).",
    "notes": (
        "No withdrawal signs over 10-20 h without kratom. The trial registration NCT03414099 "
        "(Kasinather, Chawarski; cold pressor, crossover) is probably this study; the record set "
        "does not confirm it."
    ),
}

_INDIRECT = (
    "Population: healthy regular kratom users, not people with neuropathic pain. Outcome: "
    "experimental cold-pressor pain tolerance, not clinical pain. Shown for completeness; left "
    "out of the main analyses."
)


def _result(arm: str, timepoint: str, mean: float, note: str) -> Result:
    return Result(
        outcome_id=OUTCOME,
        timepoint=timepoint,
        arm=arm,
        format="mean_sd",
        values={"n": 26, "mean": mean},
        note=f"{MEASURED} {note}".strip(),
    )


VICKNASINGAM_2020 = StudyExtraction(
    study=STUDY,
    extractor=None,
    design=Design(
        kind=StudyDesign.CROSSOVER,
        note=(
            "Randomised within-subject crossover in one 1-day inpatient session; no within-person "
            "correlation or paired SE reported."
        ),
    ),
    characteristics=_CHARACTERISTICS,
    arms=(
        Arm(KRATOM, ArmRole.INTERVENTION, "Kratom decoction, each participant in one period.", 26),
        Arm(PLACEBO, ArmRole.COMPARATOR, "Taste-matched placebo decoction, the other period.", 26),
    ),
    results=(
        _result(KRATOM, "Before dose", 11.2, ""),
        _result(KRATOM, "1 h after dose", 24.9, "Rise from 11.2 s reported with p = 0.02."),
        _result(PLACEBO, "Before dose", 15.0, ""),
        _result(PLACEBO, "1 h after dose", 12.0, "Change from 15.0 s reported with p = 0.40."),
    ),
    indirect_evidence=_INDIRECT,
)


def seed_demo_extraction(session: Session, *, review_id: int) -> int:
    """Make the study from its report, let both demo reviewers extract it (one reads "26 men" as
    0 % women) and start the lead's consensus; the study's id."""
    lead = lead_actor(session, review_id)
    record_id = RecordFinder(session, review_id).find({"pmid": PMID, "record_id": STUDY})
    study = create_study(
        session,
        actor=lead,
        review_id=review_id,
        label=STUDY,
        record_ids=[record_id],
        design=DESIGN,
    )
    for name in EXTRACTORS:
        actor = user_actor(session, name)
        copy = open_copy(session, actor=actor, review_id=review_id, study_id=study.id)
        data = replace(VICKNASINGAM_2020, extractor=name)
        if name == EXTRACTORS[1]:
            characteristics = {**data.characteristics, "female_percent": "0"}
            data = replace(data, characteristics=characteristics)
        save_copy(
            session, actor=actor, review_id=review_id, extraction_id=copy.extraction_id, data=data
        )
        set_complete(
            session,
            actor=actor,
            review_id=review_id,
            extraction_id=copy.extraction_id,
            complete=True,
        )
    start_consensus(session, actor=lead, review_id=review_id, study_id=study.id)
    return study.id
