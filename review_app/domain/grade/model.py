"""GRADE's plain data: certainty, the domains and their ratings, what a body of evidence holds,
a suggestion with the data behind it, and a person's judgement.

The vocabulary follows the GRADE Handbook (Schünemann, Brożek, Guyatt, Oxman, eds., 2013) and
GRADEpro GDT's evidence profile: five domains that rate certainty down (risk of bias,
inconsistency, indirectness, imprecision, publication bias; "not serious", "serious", "very
serious") and three that rate it up for non-randomised evidence (large effect, dose-response,
plausible residual confounding). Certainty starts high for randomised trials, low for
non-randomised studies, or high for them when they were assessed with ROBINS-I (Schünemann et
al., GRADE guidance 18, J Clin Epidemiol 2019;111:105-114), and moves one step per level.

Nothing here reads the database: ``services/grade_evidence.py`` builds an
:class:`OutcomeEvidence` from the review, ``rules.py`` suggests, ``services/grade.py`` keeps
the judgements, ``sof.py`` lays out the tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from review_app.domain.vocabulary import EffectMeasure


class Certainty(StrEnum):
    """The certainty of the evidence for one outcome, best first (GRADE Handbook 5.1)."""

    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"
    VERY_LOW = "very_low"

    @property
    def points(self) -> int:
        """4 for high ... 1 for very low: each rating down or up moves one point."""
        return 4 - list(Certainty).index(self)

    @property
    def label(self) -> str:
        return _CERTAINTY_LABELS[self]

    @property
    def symbols(self) -> str:
        """GRADEpro's circles: ⊕⊕⊕⊕ for high ... ⊕◯◯◯ for very low."""
        return "⊕" * self.points + "◯" * (4 - self.points)

    @classmethod
    def from_points(cls, points: int) -> Certainty:
        """The certainty of ``points`` clamped to 1..4 (no level below very low or above high)."""
        return list(cls)[4 - max(1, min(4, points))]


_CERTAINTY_LABELS = {
    Certainty.HIGH: "High",
    Certainty.MODERATE: "Moderate",
    Certainty.LOW: "Low",
    Certainty.VERY_LOW: "Very low",
}


class GradeDomain(StrEnum):
    """The eight GRADE domains, in evidence-profile order: five down, three up."""

    RISK_OF_BIAS = "risk_of_bias"
    INCONSISTENCY = "inconsistency"
    INDIRECTNESS = "indirectness"
    IMPRECISION = "imprecision"
    PUBLICATION_BIAS = "publication_bias"
    LARGE_EFFECT = "large_effect"
    DOSE_RESPONSE = "dose_response"
    CONFOUNDING = "confounding"

    @property
    def label(self) -> str:
        return _DOMAIN_LABELS[self]

    @property
    def is_upgrade(self) -> bool:
        return self in UPGRADE_DOMAINS

    @property
    def ratings(self) -> tuple[Rating, ...]:
        """The ratings this domain takes, the one that changes nothing first."""
        return UPGRADE_RATINGS if self.is_upgrade else DOWNGRADE_RATINGS


_DOMAIN_LABELS = {
    GradeDomain.RISK_OF_BIAS: "Risk of bias",
    GradeDomain.INCONSISTENCY: "Inconsistency",
    GradeDomain.INDIRECTNESS: "Indirectness",
    GradeDomain.IMPRECISION: "Imprecision",
    GradeDomain.PUBLICATION_BIAS: "Publication bias",
    GradeDomain.LARGE_EFFECT: "Large effect",
    GradeDomain.DOSE_RESPONSE: "Dose-response gradient",
    GradeDomain.CONFOUNDING: "Plausible residual confounding",
}
DOWNGRADE_DOMAINS: tuple[GradeDomain, ...] = tuple(GradeDomain)[:5]
UPGRADE_DOMAINS: tuple[GradeDomain, ...] = tuple(GradeDomain)[5:]


class Rating(StrEnum):
    """A domain's rating and how many levels it moves certainty (``change``)."""

    NOT_SERIOUS = "not_serious"
    SERIOUS = "serious"
    VERY_SERIOUS = "very_serious"
    NO_UPGRADE = "none"
    UPGRADE_ONE = "plus_one"
    UPGRADE_TWO = "plus_two"

    @property
    def change(self) -> int:
        return _RATING_CHANGE[self]

    @property
    def label(self) -> str:
        return _RATING_LABELS[self]


_RATING_CHANGE = {
    Rating.NOT_SERIOUS: 0,
    Rating.SERIOUS: -1,
    Rating.VERY_SERIOUS: -2,
    Rating.NO_UPGRADE: 0,
    Rating.UPGRADE_ONE: 1,
    Rating.UPGRADE_TWO: 2,
}
_RATING_LABELS = {
    Rating.NOT_SERIOUS: "Not serious",
    Rating.SERIOUS: "Serious",
    Rating.VERY_SERIOUS: "Very serious",
    Rating.NO_UPGRADE: "None",
    Rating.UPGRADE_ONE: "Rate up one level",
    Rating.UPGRADE_TWO: "Rate up two levels",
}
DOWNGRADE_RATINGS: tuple[Rating, ...] = (Rating.NOT_SERIOUS, Rating.SERIOUS, Rating.VERY_SERIOUS)
UPGRADE_RATINGS: tuple[Rating, ...] = (Rating.NO_UPGRADE, Rating.UPGRADE_ONE, Rating.UPGRADE_TWO)


class EvidenceDesign(StrEnum):
    """What GRADE's starting level depends on (GRADE guidance 18)."""

    RANDOMISED = "randomised"
    NON_RANDOMISED = "non_randomised"


class RobLevel(StrEnum):
    """A result's consensus risk-of-bias judgement on a scale common to the tools: the tool's best
    level is LOW, its worst ranked levels HIGH (RoB 2 "High"; ROBINS-I "Serious", "Critical"),
    those between SOME_CONCERNS (RoB 2 "Some concerns"; ROBINS-I "Moderate"); "No information" or
    no consensus yet is NOT_ASSESSED."""

    LOW = "low"
    SOME_CONCERNS = "some_concerns"
    HIGH = "high"
    NOT_ASSESSED = "not_assessed"


class PicoElement(StrEnum):
    """Where a study's evidence can differ from the review's question (GRADE guidance 8,
    Guyatt et al., J Clin Epidemiol 2011;64:1303-1310)."""

    POPULATION = "population"
    INTERVENTION = "intervention"
    COMPARATOR = "comparator"
    OUTCOME = "outcome"


class EvidenceSource(StrEnum):
    """What the body of evidence for an outcome is: a saved meta-analysis, a narrative synthesis
    written on the GRADE page (SWiM, Campbell et al., BMJ 2020;368:l6890) when pooling is not
    appropriate, or nothing (no study measured the outcome)."""

    ANALYSIS = "analysis"
    NARRATIVE = "narrative"
    NONE = "none"


# --- the evidence an outcome's suggestions are computed from -----------------------------------


@dataclass(frozen=True, slots=True)
class StudyEvidence:
    """One study in an outcome's body of evidence, as the review holds it.

    ``weight``: its share of the analysis' weight in percent (None when not pooled);
    ``indirect``: the PICO elements the reviewer judged indirect for this outcome (a study the
    extraction flags as indirect evidence starts with the note in ``indirect_note`` and none
    chosen); ``yi``/``vi``: its effect on the analysis scale when pooled.
    """

    study: str
    design: EvidenceDesign
    participants: int | None = None
    weight: float | None = None
    rob: RobLevel = RobLevel.NOT_ASSESSED
    rob_tool: str = ""  # the tool's name ("RoB 2", "ROBINS-I"), "" when not assessed
    rob_judgement: str | None = None  # the consensus overall judgement in the tool's words
    indirect: frozenset[PicoElement] = frozenset()
    flagged_indirect: bool = False  # the consensus extraction marks it as indirect evidence
    indirect_note: str = ""
    control_events: float | None = None  # dichotomous: events and total in the comparator arm
    control_total: float | None = None
    control_mean: float | None = None  # continuous: the comparator arm's mean and SD
    control_sd: float | None = None
    intervention_sd: float | None = None
    yi: float | None = None
    vi: float | None = None
    industry_funded: bool | None = None  # from the extraction's funding field when it says


@dataclass(frozen=True, slots=True)
class PooledEvidence:
    """The saved analysis behind an outcome: its pooled result on the analysis scale (log for
    ratios) as ``services/analysis_summary.py`` names the fields."""

    analysis: str  # the saved analysis's name
    measure: EffectMeasure
    method: str
    hksj: bool
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float | None = None
    pi_high: float | None = None
    tau2: float | None = None
    tau2_ci_low: float | None = None
    tau2_ci_high: float | None = None
    i2: float | None = None
    q_p: float | None = None
    stale: bool = False  # the extraction changed since it was saved (it is run again here)


@dataclass(frozen=True, slots=True)
class OutcomeEvidence:
    """Everything the suggestions for one protocol outcome are computed from."""

    outcome_id: str
    name: str
    type: str  # "continuous" | "dichotomous" (protocol OutcomeType)
    importance: str  # "critical" | "important" | "not_important"
    direction: str  # "higher_is_better" | "lower_is_better"
    source: EvidenceSource
    studies: tuple[StudyEvidence, ...] = ()
    pooled: PooledEvidence | None = None
    mid: float | None = None  # the protocol's MID in mid_unit (natural units for MD)
    mid_unit: str = ""
    unit: str = ""
    timepoint: str | None = None
    narrative: str = ""

    @property
    def participants(self) -> int | None:
        """All participants of the studies, None when no study says how many."""
        known = [s.participants for s in self.studies if s.participants is not None]
        return sum(known) if known else None

    @property
    def has_studies(self) -> bool:
        return bool(self.studies)


# --- suggestions and judgements -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fact:
    """One piece of data shown beside a suggestion: "I² (95 % CI)", "62 % (18 % to 86 %)"."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    """What the data suggest for one domain: the rating (None when the data cannot say and the
    reviewer judges, prompted by ``prompts``), the data behind it, a footnote draft, and the
    rule that fired in words ("I² ≥ 50 % and estimates on both sides of the null")."""

    domain: GradeDomain
    rating: Rating | None
    facts: tuple[Fact, ...] = ()
    footnote: str = ""
    rule: str = ""
    prompts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Judgement:
    """A person's rating of one domain and the explanation (the footnote)."""

    domain: GradeDomain
    rating: Rating | None = None
    explanation: str = ""


def needs_explanation(suggested: Rating | None, rating: Rating | None) -> bool:
    """A rating that moves certainty, or overrides the suggestion, needs an explanation."""
    if rating is None:
        return False
    return rating.change != 0 or (suggested is not None and rating != suggested)


def rated_certainty(start: Certainty, ratings: Iterable[Rating | None]) -> Certainty:
    """``start`` moved by every rating's change, clamped to very low .. high."""
    return Certainty.from_points(start.points + sum(r.change for r in ratings if r is not None))


@dataclass(frozen=True, slots=True)
class BaselineRisk:
    """A comparator risk for the absolute effects: the study population's (median control-group
    risk of the studies, computed) or one entered with its source ("Moderate", 200 per 1,000,
    "UK cohort, Smith 2019")."""

    label: str
    per_1000: float
    source: str = ""


@dataclass(frozen=True, slots=True)
class GradeContent:
    """What one person (a judge's copy, or the final) holds for one outcome.

    ``analysis``: the saved analysis chosen as the body of evidence (its name) when ``source``
    is ANALYSIS; ``narrative``: the synthesis in words when NARRATIVE; ``indirect``: per study
    label, the PICO elements judged indirect; ``judgements`` per domain (missing: not judged yet);
    ``baselines``: comparator risks entered besides the study population's; ``comments``: the
    SoF's comments cell; ``statement``: the plain-language statement when edited ("" for the
    suggested one).
    """

    source: EvidenceSource | None = None  # None: not chosen yet (the page proposes one)
    analysis: str | None = None
    narrative: str = ""
    indirect: Mapping[str, frozenset[PicoElement]] = field(default_factory=dict)
    judgements: Mapping[GradeDomain, Judgement] = field(default_factory=dict)
    baselines: tuple[BaselineRisk, ...] = ()
    comments: str = ""
    statement: str = ""


# --- an outcome graded, and the tables ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DomainRow:
    """One domain of an outcome: what the data suggest and the final judgement (None: not
    judged yet); the footnote is the judgement's explanation."""

    domain: GradeDomain
    suggestion: Suggestion
    judgement: Judgement | None = None

    @property
    def rating(self) -> Rating | None:
        return self.judgement.rating if self.judgement is not None else None

    @property
    def footnote(self) -> str:
        return self.judgement.explanation.strip() if self.judgement is not None else ""


@dataclass(frozen=True, slots=True)
class RelativeEffect:
    """The pooled relative effect on its natural scale (RR 0.49, 95 % CI 0.34 to 0.70)."""

    measure: EffectMeasure
    estimate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True, slots=True)
class AbsoluteEffect:
    """Anticipated absolute effects per 1,000 for one comparator risk (GRADE Handbook 5.2.4):
    the risk with the comparator, with the intervention (and its 95 % CI), and the difference
    (intervention minus comparator, with its CI), computed from the relative effect."""

    baseline: BaselineRisk
    intervention_per_1000: float
    intervention_ci_low: float
    intervention_ci_high: float
    difference_per_1000: float
    difference_ci_low: float
    difference_ci_high: float


@dataclass(frozen=True, slots=True)
class ContinuousEffect:
    """A continuous outcome's effect: the comparator mean (median of the studies' comparator
    means, None when not known) and the pooled mean difference (or SMD) with its CI."""

    measure: EffectMeasure
    difference: float
    ci_low: float
    ci_high: float
    comparator_mean: float | None = None
    unit: str = ""


@dataclass(frozen=True, slots=True)
class OutcomeGrade:
    """One protocol outcome assessed: its evidence, the starting level (None without studies),
    each domain, the certainty (None without studies, or while a downgrading domain is not
    judged: ``pending``), the effects and the plain-language statement."""

    evidence: OutcomeEvidence
    start: Certainty | None
    domains: tuple[DomainRow, ...]
    certainty: Certainty | None
    statement: str
    comments: str = ""
    relative: RelativeEffect | None = None
    absolute: tuple[AbsoluteEffect, ...] = ()
    continuous: ContinuousEffect | None = None

    @property
    def pending(self) -> bool:
        """Studies exist but a downgrading domain has no final rating yet."""
        return self.evidence.has_studies and self.certainty is None


@dataclass(frozen=True, slots=True)
class SofRow:
    """One outcome's row of the Summary-of-Findings table (GRADEpro's layout) and of the
    evidence profile; ``footnotes``: the numbers of the table's footnotes this row cites,
    per domain (``domain_footnotes``) and for the row as a whole."""

    grade: OutcomeGrade
    footnotes: tuple[int, ...] = ()
    domain_footnotes: Mapping[GradeDomain, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SofTable:
    """The review's Summary-of-Findings table and evidence profile: the question (population,
    setting, intervention, comparison), one row per protocol outcome (critical first, then
    important, then not important, each in protocol order; outcomes without studies included),
    and the numbered footnotes (``footnotes[0]`` is footnote 1)."""

    title: str
    question: str
    population: str
    intervention: str
    comparison: str
    setting: str
    rows: tuple[SofRow, ...]
    footnotes: tuple[str, ...] = ()
    published_at: str | None = None  # ISO time when this is a published snapshot
    published_by: str | None = None
