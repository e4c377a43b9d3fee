"""A Summary-of-Findings table built by hand, for the writers' tests: the rows a real review
gives (a dichotomous outcome with its relative effect and two comparator risks, a continuous
mean difference, a narrative indirect-evidence row at very low certainty, a critical outcome no
study measured, an outcome still awaiting its ratings), numbered footnotes as ``domain/grade/
sof.py`` numbers them.

The dichotomous row is BCG vaccine against tuberculosis (metafor's dat.bcg, 13 trials; REML:
RR 0.49, 95 % CI 0.34 to 0.70); its absolute effects are computed here as GRADE does
(risk with the intervention = ACR x RR, GRADE Handbook 5.2.4).
"""

from __future__ import annotations

from review_app.domain.grade.model import (
    AbsoluteEffect,
    BaselineRisk,
    Certainty,
    ContinuousEffect,
    DomainRow,
    EvidenceDesign,
    EvidenceSource,
    GradeDomain,
    Judgement,
    OutcomeEvidence,
    OutcomeGrade,
    PicoElement,
    PooledEvidence,
    Rating,
    RelativeEffect,
    SofRow,
    SofTable,
    StudyEvidence,
    Suggestion,
)
from review_app.domain.vocabulary import EffectMeasure

RR = RelativeEffect(EffectMeasure.RR, 0.4896, 0.3449, 0.6950)
FOOTNOTES = (
    "Most of the weight (62 %) comes from trials with some concerns about the allocation.",
    "I² = 92 % (95 % CI 85 % to 97 %); the trials' estimates lie on both sides of the null.",
    "The 95 % CI (2.0 to 0.4 points lower) includes an effect smaller than the MID (1 point).",
    "Healthy volunteers in an experimental pain model, not people with neuropathic pain.",
    "One study of 26 participants; the optimal information size is 394.",
    "Comparator risk from a UK cohort (Smith 2019).",
)


def absolute(baseline: BaselineRisk, relative: RelativeEffect = RR) -> AbsoluteEffect:
    """Risks per 1,000 from a ratio: ACR x RR, and the difference (GRADE Handbook 5.2.4)."""
    acr = baseline.per_1000
    risks = [acr * r for r in (relative.estimate, relative.ci_low, relative.ci_high)]
    return AbsoluteEffect(baseline, *risks, *(r - acr for r in risks))


def domains(
    ratings: dict[GradeDomain, Rating | None], notes: dict[GradeDomain, str] | None = None
) -> tuple[DomainRow, ...]:
    """All eight domains: the rating given (``None``: not judged yet), else no concern."""
    notes = notes or {}
    rows = []
    for domain in GradeDomain:
        default = Rating.NO_UPGRADE if domain.is_upgrade else Rating.NOT_SERIOUS
        rating = ratings.get(domain, default)
        judgement = None if rating is None else Judgement(domain, rating, notes.get(domain, ""))
        rows.append(DomainRow(domain, Suggestion(domain, default), judgement))
    return tuple(rows)


def tuberculosis() -> OutcomeGrade:
    studies = tuple(
        StudyEvidence(f"Trial {i}", EvidenceDesign.RANDOMISED, participants=n, weight=100 / 13)
        for i, n in enumerate([27_490, 24_640, 80_000, 90_000, 100_000, 35_217], start=1)
    )
    evidence = OutcomeEvidence(
        "tb", "Tuberculosis", "dichotomous", "critical", "lower_is_better",
        EvidenceSource.ANALYSIS, studies,
        PooledEvidence("bcg", EffectMeasure.RR, "REML", True, 6, -0.714, -1.064, -0.364),
        timepoint="mean 9 years",
    )  # fmt: skip
    baselines = (BaselineRisk("Study population", 65.0), BaselineRisk("High", 200.0, "UK"))
    return OutcomeGrade(
        evidence,
        Certainty.HIGH,
        domains(
            {GradeDomain.RISK_OF_BIAS: Rating.SERIOUS, GradeDomain.INCONSISTENCY: Rating.SERIOUS},
            {GradeDomain.RISK_OF_BIAS: FOOTNOTES[0], GradeDomain.INCONSISTENCY: FOOTNOTES[1]},
        ),
        Certainty.LOW,
        "BCG vaccine may reduce tuberculosis.",
        comments="",
        relative=RR,
        absolute=tuple(absolute(b) for b in baselines),
    )


def pain() -> OutcomeGrade:
    studies = tuple(
        StudyEvidence(f"Pain trial {i}", EvidenceDesign.RANDOMISED, participants=120)
        for i in range(1, 5)
    )
    evidence = OutcomeEvidence(
        "pain", "Pain intensity", "continuous", "critical", "lower_is_better",
        EvidenceSource.ANALYSIS, studies, mid=1.0, mid_unit="points", unit="points",
        timepoint="8 weeks",
    )  # fmt: skip
    return OutcomeGrade(
        evidence,
        Certainty.HIGH,
        domains({GradeDomain.IMPRECISION: Rating.SERIOUS}, {GradeDomain.IMPRECISION: FOOTNOTES[2]}),
        Certainty.MODERATE,
        "The intervention probably reduces pain intensity slightly.",
        comments="Scale 0 to 10; lower is better.",
        continuous=ContinuousEffect(EffectMeasure.MD, -1.2, -2.0, -0.4, 5.2, "points"),
    )


NARRATIVE = (
    "One crossover study in healthy volunteers found a higher cold-pressor pain tolerance "
    "after kratom than after placebo."
)


def experimental_pain() -> OutcomeGrade:
    study = StudyEvidence(
        "Vicknasingam 2020",
        EvidenceDesign.RANDOMISED,
        participants=26,
        indirect=frozenset({PicoElement.POPULATION, PicoElement.OUTCOME}),
        flagged_indirect=True,
        indirect_note="Experimental pain in healthy kratom users",
    )
    evidence = OutcomeEvidence(
        "relief", "Pain relief", "dichotomous", "important", "higher_is_better",
        EvidenceSource.NARRATIVE, (study,), narrative=NARRATIVE,
    )  # fmt: skip
    return OutcomeGrade(
        evidence,
        Certainty.HIGH,
        domains(
            {
                GradeDomain.INDIRECTNESS: Rating.VERY_SERIOUS,
                GradeDomain.IMPRECISION: Rating.SERIOUS,
                GradeDomain.PUBLICATION_BIAS: Rating.SERIOUS,
            },
            {
                GradeDomain.INDIRECTNESS: FOOTNOTES[3],
                GradeDomain.IMPRECISION: FOOTNOTES[4],
                GradeDomain.PUBLICATION_BIAS: "Small industry-funded study.",
            },
        ),
        Certainty.VERY_LOW,
        "The evidence is very uncertain about the effect of kratom on pain relief.",
    )


def serious_adverse_events() -> OutcomeGrade:
    evidence = OutcomeEvidence(
        "sae", "Serious adverse events", "dichotomous", "critical", "lower_is_better",
        EvidenceSource.NONE,
    )  # fmt: skip
    return OutcomeGrade(
        evidence,
        None,
        (),
        None,
        "",
        comments="Liver injury and seizures are reported in case reports (kratom-063, kratom-070).",
    )


def withdrawal() -> OutcomeGrade:
    study = StudyEvidence("Singh 2018", EvidenceDesign.NON_RANDOMISED, participants=None)
    evidence = OutcomeEvidence(
        "withdrawal", "Withdrawal symptoms", "dichotomous", "important", "lower_is_better",
        EvidenceSource.NARRATIVE, (study,), narrative="Reported by most daily users.",
    )  # fmt: skip
    return OutcomeGrade(
        evidence,
        Certainty.LOW,
        domains({GradeDomain.RISK_OF_BIAS: None}),
        None,
        "",
    )


def example_table(*, published: bool = True) -> SofTable:
    """The five rows, critical first, footnotes 1-6 (6: the high baseline's source)."""
    tb, pain_row, relief = tuberculosis(), pain(), experimental_pain()
    rows = (
        SofRow(
            tb,
            footnotes=(6,),
            domain_footnotes={GradeDomain.RISK_OF_BIAS: (1,), GradeDomain.INCONSISTENCY: (2,)},
        ),
        SofRow(pain_row, domain_footnotes={GradeDomain.IMPRECISION: (3,)}),
        SofRow(serious_adverse_events()),
        SofRow(
            relief,
            domain_footnotes={
                GradeDomain.INDIRECTNESS: (4,),
                GradeDomain.IMPRECISION: (5,),
                GradeDomain.PUBLICATION_BIAS: (7,),
            },
        ),
        SofRow(withdrawal()),
    )
    return SofTable(
        title="Kratom compared to placebo for adults with chronic neuropathic pain",
        question="Does kratom relieve chronic neuropathic pain in adults?",
        population="Adults with chronic neuropathic pain",
        intervention="Kratom (Mitragyna speciosa)",
        comparison="Placebo",
        setting="Outpatients",
        rows=rows,
        footnotes=(*FOOTNOTES, "Small industry-funded study."),
        published_at="2026-12-04T18:00:00+00:00" if published else None,
        published_by="lead" if published else None,
    )
