"""A review to analyse, for the Analyses page's tests (AppTest and Chromium): the demo review with
four more studies whose consensus extraction a lead imported through the services. Pain intensity
(continuous) at 8 weeks: three studies with means and SDs (one SD from an SE, one study with two
kratom arms combined) and one without an SD (left out); any adverse event (dichotomous): three
studies with events and totals. The demo's own extracted study is indirect evidence (left out)."""

from __future__ import annotations

from dataclasses import replace

from review_app.db import make_engine, session_scope
from review_app.domain.extraction.model import Arm, Result, StudyExtraction
from review_app.domain.vocabulary import ArmRole
from review_app.services.appraisal_import import import_rob
from review_app.services.extraction import replace_copies
from review_app.services.permissions import Actor
from tests.ui.study_pages import Review, add_study, review_with_study

PAIN, AE = "pain_intensity", "adverse_events"
WEEK8 = "8 weeks"
KRATOM_PLACEBO = (Arm("Kratom", ArmRole.INTERVENTION), Arm("Placebo", ArmRole.COMPARATOR))
# Every required characteristic of the kratom protocol's form (a complete copy has them).
REQUIRED = {
    "study_id": "-",
    "country": "Malaysia",
    "design": "parallel RCT",
    "condition": "other",
    "n_randomised": "40",
    "kratom_product": "tea",
    "dose": "as usual",
    "comparator": "placebo",
}


def pain(arm: str, fmt: str = "mean_sd", **values: float) -> Result:
    return Result(PAIN, WEEK8, arm, fmt, values)


def events(arm: str, happened: int, total: int) -> Result:
    return Result(AE, WEEK8, arm, "events_total", {"events": happened, "total": total})


def consensus(
    label: str,
    arms: tuple[Arm, ...],
    *results: Result,
    country: str = "Malaysia",
    indirect_evidence: str = "",
) -> StudyExtraction:
    return StudyExtraction(
        study=label,
        extractor=None,
        arms=arms,
        results=results,
        complete=True,
        characteristics={**REQUIRED, "country": country},
        indirect_evidence=indirect_evidence,
    )


CONSENSUS = (
    consensus(
        "Adams 2019",
        KRATOM_PLACEBO,
        pain("Kratom", n=20, mean=4.0, sd=2.0),
        pain("Placebo", "mean_se", n=25, mean=5.2, se=0.5),  # SD from the SE: converted
        events("Kratom", 6, 20),
        events("Placebo", 4, 25),
    ),
    consensus(
        "Baker 2020",
        (
            Arm("Low dose", ArmRole.INTERVENTION),
            Arm("High dose", ArmRole.INTERVENTION),
            Arm("Placebo", ArmRole.COMPARATOR),
        ),
        pain("Low dose", n=10, mean=4.0, sd=1.0),
        pain("High dose", n=12, mean=3.0, sd=1.5),
        pain("Placebo", n=20, mean=5.0, sd=1.2),
        events("Low dose", 3, 10),
        events("High dose", 5, 12),
        events("Placebo", 4, 20),
        country="Thailand",
    ),
    consensus(
        "Chan 2021",
        KRATOM_PLACEBO,
        pain("Kratom", n=30, mean=3.5, sd=1.8),
        pain("Placebo", n=30, mean=4.9, sd=2.0),
        events("Kratom", 12, 30),
        events("Placebo", 7, 30),
        country="Thailand",
    ),
    consensus(  # no SD: left out of pain intensity, saying what is missing
        "Diaz 2018",
        KRATOM_PLACEBO,
        pain("Kratom", n=9, mean=4.0),
        pain("Placebo", n=9, mean=5.0),
    ),
    consensus(  # indirect evidence: left out unless the analysis includes it
        "Evans 2022",
        KRATOM_PLACEBO,
        pain("Kratom", n=15, mean=3.0, sd=1.5),
        pain("Placebo", n=15, mean=4.0, sd=1.5),
        indirect_evidence="healthy volunteers with experimental pain",
    ),
)
STUDIES = tuple(copy.study for copy in CONSENSUS)


def review_to_analyse(url: str) -> Review:
    """The demo review at ``url`` with the studies of :data:`CONSENSUS` and their consensus."""
    review = review_with_study(url, STUDIES[0])
    for label in STUDIES[1:]:
        add_study(url, label)
    with session_scope(make_engine(url)) as session:
        replace_copies(
            session, actor=Actor.operator(), review_id=review.review_id, copies=CONSENSUS
        )
    return review


def change_consensus(review: Review, study: str, *, placebo_mean: float) -> None:
    """A lead's change to one study's consensus: the placebo arm's mean pain intensity."""
    with session_scope(make_engine(review.url)) as session:
        current = next(c for c in CONSENSUS if c.study == study)
        results = tuple(
            replace(r, values={**r.values, "mean": placebo_mean})
            if r.outcome_id == PAIN and r.arm == "Placebo"
            else r
            for r in current.results
        )
        replace_copies(
            session,
            actor=Actor.operator(),
            review_id=review.review_id,
            copies=[replace(current, results=results)],
        )


ROBVIS = (  # the consensus risk of bias of pain intensity in robvis's layout (RoB 2)
    "Study,D1,D2,D3,D4,D5,Overall,Weight\n"
    "Adams 2019,High,Low,Low,Some concerns,Low,High,\n"
    "Baker 2020,Low,Low,Low,Low,Low,Low,\n"
)


def add_risk_of_bias(review: Review) -> None:
    """The consensus risk of bias of pain intensity for two of the studies (a lead's import)."""
    with session_scope(make_engine(review.url)) as session:
        import_rob(
            session,
            actor=Actor.operator(),
            review_id=review.review_id,
            data=ROBVIS.encode("utf-8"),
            file_name="robvis.csv",
            outcome=PAIN,
        )
