"""The review's vocabulary: the words stored in the database, written in files and shown in
exports, each declared once. Later stages (risk-of-bias judgements, GRADE levels, effect
measures) join here.

Members are ``StrEnum``s, so ``Stage.TITLE_ABSTRACT == "title_abstract"`` and they can be stored,
compared with database values and written to CSV as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from review_app.errors import ValidationError


class Stage(StrEnum):
    """A screening stage, in the order a record passes them."""

    TITLE_ABSTRACT = "title_abstract"
    FULL_TEXT = "full_text"

    @property
    def label(self) -> str:
        """The stage's name on a page heading or a button ("Title and abstract")."""
        return _STAGE_LABELS[self]

    @property
    def in_prose(self) -> str:
        """The stage's name inside a sentence ("title/abstract", "full text")."""
        return _STAGE_PROSE[self]

    @property
    def previous(self) -> Stage | None:
        """The stage a record must pass before this one (None for the first)."""
        order = list(Stage)
        index = order.index(self)
        return order[index - 1] if index else None


_STAGE_LABELS = {Stage.TITLE_ABSTRACT: "Title and abstract", Stage.FULL_TEXT: "Full text"}
_STAGE_PROSE = {Stage.TITLE_ABSTRACT: "title/abstract", Stage.FULL_TEXT: "full text"}


def check_stage(stage: Stage | str) -> Stage:
    """``stage`` as a :class:`Stage`, or ValidationError naming the allowed stages."""
    if stage not in STAGES:
        raise ValidationError(f"stage {stage!r}: allowed are {', '.join(STAGES)}")
    return Stage(stage)


class Vote(StrEnum):
    """A reviewer's vote on a record at a stage (a lead's resolution uses the same words)."""

    INCLUDE = "include"
    EXCLUDE = "exclude"
    MAYBE = "maybe"


class Role(StrEnum):
    """A user's role in one review, lowest first: each role may do what the ones before may."""

    REVIEWER = "reviewer"
    LEAD = "lead"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self) + 1

    def at_least(self, other: Role | str) -> bool:
        return self.rank >= Role(other).rank


class StageStatus(StrEnum):
    """Where one record stands at one stage, from its votes and any lead resolution."""

    UNSCREENED = "unscreened"  # no vote yet
    AWAITING = "awaiting"  # some votes, fewer than the protocol asks for
    CONFLICT = "conflict"
    INCLUDED = "included"  # passes this stage
    EXCLUDED = "excluded"


def is_lead(role: Role | str | None) -> bool:
    """Whether ``role`` may do what a lead does (resolve, release, unblind, see every vote)."""
    return role is not None and Role(role).at_least(Role.LEAD)


class ArmRole(StrEnum):
    """What an arm of a study is in the comparison the review makes."""

    INTERVENTION = "intervention"
    COMPARATOR = "comparator"


class StudyDesign(StrEnum):
    """The design facts an analysis needs (Cochrane Handbook 23: crossover and cluster trials)."""

    PARALLEL = "parallel"  # individuals randomised (or allocated) to parallel groups
    CROSSOVER = "crossover"  # each participant receives each intervention in turn
    CLUSTER = "cluster"  # groups of people allocated together


class EffectMeasure(StrEnum):
    """An effect measure of a between-arm (contrast) result or an analysis."""

    MD = "MD"  # mean difference
    SMD = "SMD"  # standardised mean difference (Hedges' g)
    RR = "RR"  # risk ratio
    OR = "OR"  # odds ratio
    RD = "RD"  # risk difference
    HR = "HR"  # hazard ratio
    IRR = "IRR"  # rate ratio (incidence rate ratio, metafor's name)

    @property
    def is_ratio(self) -> bool:
        """Ratios are analysed on the log scale (Cochrane Handbook 6.3.1, 10.3)."""
        return self in {EffectMeasure.RR, EffectMeasure.OR, EffectMeasure.HR, EffectMeasure.IRR}

    @property
    def label(self) -> str:
        return _MEASURE_LABELS[self]


_MEASURE_LABELS = {
    EffectMeasure.MD: "Mean difference",
    EffectMeasure.SMD: "Standardised mean difference",
    EffectMeasure.RR: "Risk ratio",
    EffectMeasure.OR: "Odds ratio",
    EffectMeasure.RD: "Risk difference",
    EffectMeasure.HR: "Hazard ratio",
    EffectMeasure.IRR: "Rate ratio",
}


# The effect measures a result of each protocol outcome type may be pooled with (first = default).
MEASURES_FOR: Mapping[str, tuple[EffectMeasure, ...]] = MappingProxyType(
    {
        "continuous": (EffectMeasure.MD, EffectMeasure.SMD),
        "dichotomous": (
            EffectMeasure.RR,
            EffectMeasure.OR,
            EffectMeasure.RD,
            EffectMeasure.HR,
            EffectMeasure.IRR,
        ),
    }
)


class PoolingMethod(StrEnum):
    """How studies are pooled: the tau-squared estimator of a random-effects model (metafor
    ``rma.uni(method=)``), inverse-variance equal effect, or a fixed-effect method for 2x2 tables
    (``rma.mh``, ``rma.peto``)."""

    EE = "EE"  # equal (fixed) effect, inverse variance
    DL = "DL"  # DerSimonian-Laird
    REML = "REML"  # restricted maximum likelihood
    PM = "PM"  # Paule-Mandel
    ML = "ML"  # maximum likelihood
    HE = "HE"  # Hedges (variance components)
    SJ = "SJ"  # Sidik-Jonkman
    EB = "EB"  # empirical Bayes (Morris)
    HS = "HS"  # Hunter-Schmidt
    GENQ = "GENQ"  # generalised Q-statistic (weights 1/vi)
    PMM = "PMM"  # median-unbiased Paule-Mandel
    MH = "MH"  # Mantel-Haenszel (RR, OR, RD)
    PETO = "PETO"  # Peto's one-step odds ratio

    @property
    def random_effects(self) -> bool:
        return self not in {PoolingMethod.EE, PoolingMethod.MH, PoolingMethod.PETO}

    @property
    def needs_tables(self) -> bool:
        """MH and Peto pool the 2x2 tables themselves, not effect sizes."""
        return self in {PoolingMethod.MH, PoolingMethod.PETO}


class PredictionRule(StrEnum):
    """Which prediction interval: metafor's (normal with z, t(k-1) with Hartung-Knapp), or
    RevMan Web's t with k-2 degrees of freedom (Higgins, Thompson, Spiegelhalter 2009)."""

    METAFOR = "metafor"
    REVMAN = "revman"


class ExtractionStatus(StrEnum):
    """Where one copy of a study's extraction stands."""

    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"


STAGES: tuple[str, ...] = tuple(Stage)
VOTES: tuple[str, ...] = tuple(Vote)
ROLES: tuple[str, ...] = tuple(Role)
