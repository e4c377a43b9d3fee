"""A review to grade, built through the services from metafor's ``dat.bcg`` (Colditz et al.,
JAMA 1994;271:698-702; R package metadat): 13 trials of the BCG vaccine against tuberculosis,
with the events and non-events of each arm (tpos, tneg, cpos, cneg).

:func:`bcg_review` makes a review from :data:`BCG_PROTOCOL` (one critical dichotomous outcome
with data, a critical dichotomous and an important continuous outcome without), a lead and two
reviewers, one study per trial with its consensus extraction (arms with the numbers allocated,
events and totals at one time point), the consensus RoB 2 overall judgement of each trial
(:data:`BCG_ROB`), a saved REML + Hartung-Knapp (HKSJ) risk-ratio analysis
(:data:`BCG_ANALYSIS`), and one more study flagged as indirect evidence (:data:`INDIRECT_STUDY`,
invented for the tests: it is not in dat.bcg). The GRADE services, exports and pages (issue 16)
build on it; ``tests/services/test_grade_evidence.py`` pins what it gives.

The file lives in ../shared/data (beside the repository in CI): tests that call
:func:`bcg_trials` are skipped with the reason when it is absent.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

from sqlmodel import Session

from review_app.domain.extraction.model import Arm, Result, StudyExtraction
from review_app.domain.meta.model import Method, Test
from review_app.domain.vocabulary import ArmRole, EffectMeasure
from review_app.protocol.loading import parse_protocol
from review_app.services.analyses import AnalysisSpec, save_analysis
from review_app.services.appraisal_import import import_rob
from review_app.services.extraction import replace_copies
from review_app.services.permissions import Actor
from review_app.services.reviews import add_member, create_review_from_protocol
from review_app.services.studies import create_study
from review_app.services.users import create_user
from tests.conftest import shared_data
from tests.services.screening_helpers import import_titles

BCG_OUTCOME = "tb_cases"  # the outcome with data
NO_STUDY_OUTCOMES = ("tb_deaths", "quality_of_life")  # protocol outcomes no study measured
FOLLOW_UP = "end of follow-up"
RCT = "randomised controlled trial"
NRS = "non-randomised controlled study"
BCG_ANALYSIS = "BCG vaccine: risk ratio (REML, HKSJ)"
BCG_ARM, CONTROL_ARM = "BCG vaccine", "No vaccine"
INDIRECT_STUDY = "Invented indirect 1990"
INDIRECT_NOTE = "population: adult health-care workers, not the general population (invented)"

BCG_PROTOCOL = f'''
schema_version = 1
title = "BCG vaccine for preventing tuberculosis: a test review from metafor's dat.bcg"
question = "Does BCG vaccination prevent tuberculosis compared with no vaccination?"
designs = ["{RCT}", "{NRS}"]

[pico]
population = "People of any age without tuberculosis."
intervention = "BCG vaccination."
comparator = "No vaccination."
outcomes = "Tuberculosis cases; deaths from tuberculosis; quality of life."

[[criteria]]
id = "design"
text = "Controlled trials of BCG vaccination."
stage = "both"

[[exclusion_reasons]]
id = "wrong_design"
label = "Wrong study design"
stage = "both"

[[outcomes]]
id = "{BCG_OUTCOME}"
name = "Tuberculosis"
type = "dichotomous"
importance = "critical"
direction = "lower_is_better"
description = "Participants with a tuberculosis diagnosis during follow-up."

[outcomes.analysis]
measure = "RR"
method = "REML"
hksj = true

[[outcomes]]
id = "{NO_STUDY_OUTCOMES[0]}"
name = "Death from tuberculosis"
type = "dichotomous"
importance = "critical"
direction = "lower_is_better"

[[outcomes]]
id = "{NO_STUDY_OUTCOMES[1]}"
name = "Health-related quality of life"
type = "continuous"
importance = "important"
direction = "higher_is_better"
mid = 5.0
mid_unit = "points on the SF-36 physical component score"
unit = "SF-36 PCS (0-100)"

[[extraction_fields]]
id = "design"
label = "Design"
type = "choice"
choices = ["{RCT}", "{NRS}"]
required = true

[[extraction_fields]]
id = "allocation"
label = "Method of allocation"
type = "text"
help = "random, alternate or systematic (dat.bcg's alloc)."

[[extraction_fields]]
id = "funding"
label = "Funding source"
type = "text"

[extraction]
extractors_per_study = 2
blind = true

[appraisal]
assessors_per_study = 2
blind = true

[risk_of_bias]
"{RCT}" = "RoB 2"
"{NRS}" = "ROBINS-I"

[[search_sources]]
name = "PubMed"
kind = "database"
'''

LOW, SOME_CONCERNS, HIGH = "Low", "Some concerns", "High"
# The consensus RoB 2 overall judgement set for each trial (by dat.bcg's row order): the trials
# allocated by alternation or systematically are at high risk from the randomisation process
# (RoB 2 domain 1); of the randomised ones, some are judged with some concerns.
BCG_ROB = (
    LOW, LOW, SOME_CONCERNS, LOW, HIGH, HIGH, SOME_CONCERNS, LOW, SOME_CONCERNS,
    HIGH, HIGH, HIGH, HIGH,
)  # fmt: skip
_ROBVIS_DOMAINS = {  # domain judgements D1..D5 that give each overall judgement
    LOW: (LOW, LOW, LOW, LOW, LOW),
    SOME_CONCERNS: (LOW, LOW, LOW, SOME_CONCERNS, LOW),
    HIGH: (HIGH, LOW, LOW, SOME_CONCERNS, LOW),
}


@dataclass(frozen=True, slots=True)
class BcgTrial:
    """One row of dat.bcg: cases (pos) and non-cases (neg) in the vaccinated (t) and control
    (c) arm, and how the arms were allocated."""

    label: str
    tpos: int
    tneg: int
    cpos: int
    cneg: int
    alloc: str

    @property
    def n_t(self) -> int:
        return self.tpos + self.tneg

    @property
    def n_c(self) -> int:
        return self.cpos + self.cneg


@dataclass(frozen=True, slots=True)
class BcgReview:
    """What :func:`bcg_review` built: the ids, who is who, and the data it holds."""

    review_id: int
    lead: Actor
    reviewers: tuple[Actor, ...]  # two unless asked otherwise
    outcome_id: str
    analysis: str  # the saved analysis's name
    trials: tuple[BcgTrial, ...]
    study_ids: dict[str, int]  # study label -> id, the indirect study included
    rob: dict[str, str]  # trial label -> its consensus RoB 2 overall judgement
    indirect_study: str


def bcg_trials() -> tuple[BcgTrial, ...]:
    """The 13 trials of dat.bcg (skips the test when ../shared/data is absent)."""
    path = shared_data("meta_analysis", "dat.bcg.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(
            BcgTrial(
                label=f"{row['author']} {row['year']}",
                tpos=int(row["tpos"]),
                tneg=int(row["tneg"]),
                cpos=int(row["cpos"]),
                cneg=int(row["cneg"]),
                alloc=row["alloc"],
            )
            for row in csv.DictReader(handle)
        )


def events(arm: str, happened: int, total: int, outcome_id: str = BCG_OUTCOME) -> Result:
    return Result(outcome_id, FOLLOW_UP, arm, "events_total", {"events": happened, "total": total})


def trial_copy(trial: BcgTrial, *, funding: str = "") -> StudyExtraction:
    """A trial's consensus extraction: its arms (the numbers allocated) and their events."""
    return StudyExtraction(
        study=trial.label,
        extractor=None,
        arms=(
            Arm(BCG_ARM, ArmRole.INTERVENTION, randomised=trial.n_t),
            Arm(CONTROL_ARM, ArmRole.COMPARATOR, randomised=trial.n_c),
        ),
        results=(
            events(BCG_ARM, trial.tpos, trial.n_t),
            events(CONTROL_ARM, trial.cpos, trial.n_c),
        ),
        complete=True,
        characteristics={"design": RCT, "allocation": trial.alloc, "funding": funding},
    )


def indirect_copy() -> StudyExtraction:
    """The invented study flagged as indirect evidence (not in dat.bcg); arms without the
    numbers allocated."""
    return StudyExtraction(
        study=INDIRECT_STUDY,
        extractor=None,
        arms=(Arm(BCG_ARM, ArmRole.INTERVENTION), Arm(CONTROL_ARM, ArmRole.COMPARATOR)),
        results=(events(BCG_ARM, 4, 200), events(CONTROL_ARM, 9, 210)),
        complete=True,
        characteristics={"design": RCT, "allocation": "random"},
        indirect_evidence=INDIRECT_NOTE,
    )


def robvis_file(trials: tuple[BcgTrial, ...]) -> bytes:
    """The consensus RoB 2 judgements of :data:`BCG_ROB` in robvis's layout."""
    lines = ["Study,D1,D2,D3,D4,D5,Overall,Weight"]
    for trial, overall in zip(trials, BCG_ROB, strict=True):
        lines.append(",".join((trial.label, *_ROBVIS_DOMAINS[overall], overall, "")))
    return ("\n".join(lines) + "\n").encode("utf-8")


def bcg_review(session: Session, *, name: str = "bcg", reviewers: int = 2) -> BcgReview:
    """The review described in the module's docstring; ``name`` (the review's, and the prefix of
    its members' user names) lets a test build two; ``reviewers``: how many reviewers besides
    the lead (each user costs an argon2 hash, about 0.4 s)."""
    trials = bcg_trials()
    protocol = parse_protocol(BCG_PROTOCOL, source="grade_fixtures.BCG_PROTOCOL")
    review = create_review_from_protocol(
        session, protocol=protocol, source_text=BCG_PROTOCOL, name=name
    )
    operator = Actor.operator()
    people = {}
    members = [("lead", "lead"), *((f"reviewer{i}", "reviewer") for i in range(1, reviewers + 1))]
    for who, role in members:
        user = create_user(session, name=f"{name}-{who}", password=f"{name}-{who}-password")
        add_member(session, actor=operator, review_id=review.id, user_id=user.id, role=role)
        people[who] = Actor.user(user.id)
    labels = [t.label for t in trials] + [INDIRECT_STUDY]
    records = import_titles(session, review.id, len(labels), prefix=name)
    study_ids = {}
    for label, record in zip(labels, records, strict=True):
        study = create_study(
            session,
            actor=operator,
            review_id=review.id,
            label=label,
            record_ids=[record],
            design=RCT,
        )
        study_ids[label] = study.id
    copies = [trial_copy(t) for t in trials] + [indirect_copy()]
    replace_copies(session, actor=operator, review_id=review.id, copies=copies)
    import_rob(
        session,
        actor=operator,
        review_id=review.id,
        data=robvis_file(trials),
        file_name="bcg-rob2.csv",
        outcome=BCG_OUTCOME,
    )
    spec = AnalysisSpec(BCG_OUTCOME, EffectMeasure.RR, method=Method.REML, test=Test.KNHA)
    save_analysis(session, actor=people["lead"], review_id=review.id, name=BCG_ANALYSIS, spec=spec)
    return BcgReview(
        review_id=review.id,
        lead=people["lead"],
        reviewers=tuple(people[who] for who, role in members if role == "reviewer"),
        outcome_id=BCG_OUTCOME,
        analysis=BCG_ANALYSIS,
        trials=trials,
        study_ids=study_ids,
        rob={t.label: level for t, level in zip(trials, BCG_ROB, strict=True)},
        indirect_study=INDIRECT_STUDY,
    )
