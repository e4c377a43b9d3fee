"""The protocol model: what a review fixed before screening started (schema version 1).

PICO, eligibility criteria (with keywords to highlight), ordered exclusion reasons, screening
settings, outcomes (GRADE importance, direction of benefit, minimal important difference),
extraction fields and settings, a risk-of-bias tool per study design, how GRADE judgements are
made and the search sources.
``protocols/_template.toml`` documents every key.

Each field is declared once, with the rule its TOML value follows (the types from
:mod:`review_app.protocol.rules`; a ``Literal`` is a choice); :mod:`review_app.protocol.validation`
reads these declarations. Checks between fields of one table are the ``inconsistencies`` methods.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Final, Literal

from review_app.domain.vocabulary import (
    MEASURES_FOR,
    EffectMeasure,
    PoolingMethod,
    PredictionRule,
    Stage,
    Vote,
)
from review_app.protocol.rules import (
    WHOLE_ENTRY,
    CalendarDate,
    Flag,
    Identifier,
    Keyword,
    Listed,
    Mid,
    OptionalText,
    SchemaVersion,
    Text,
    Texts,
    Tools,
    WholeNumber,
    choice,
)

SUPPORTED_SCHEMA_VERSIONS = (1,)

BOTH_STAGES: Final = "both"  # a criterion or exclusion reason that applies at every stage

CriterionStage = Literal[Stage.TITLE_ABSTRACT, Stage.FULL_TEXT, "both"]
ExclusionStage = Literal[Stage.FULL_TEXT, "both"]
MaybeRule = Literal[Vote.INCLUDE, "conflict"]
OutcomeType = Literal["continuous", "dichotomous"]
Importance = Literal["critical", "important", "not_important"]
Direction = Literal["higher_is_better", "lower_is_better"]
FieldType = Literal["text", "integer", "number", "choice", "boolean"]
SourceKind = Literal["database", "register", "other"]


@dataclass(frozen=True, kw_only=True)
class Pico:
    """Population, intervention, comparator and outcomes in words, with optional lists."""

    population: Text
    intervention: Text
    comparator: Text
    outcomes: Text
    conditions: Texts = field(default_factory=list)
    interventions: Texts = field(default_factory=list)
    comparators: Texts = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Criterion:
    """One eligibility criterion, when it is judged, and keywords to highlight."""

    id: Identifier
    text: Text
    stage: CriterionStage = "both"
    include_keywords: list[Keyword] = field(default_factory=list)
    exclude_keywords: list[Keyword] = field(default_factory=list)

    def applies_at(self, stage: Stage | str) -> bool:
        return self.stage in (stage, BOTH_STAGES)


@dataclass(frozen=True, kw_only=True)
class ExclusionReason:
    """A reason to exclude; reviewers pick the first in protocol order that applies.

    Every reason applies at full text; one whose stage is 'both' also at title and abstract.
    """

    id: Identifier
    label: Text
    stage: ExclusionStage = Stage.FULL_TEXT

    def applies_at(self, stage: Stage | str) -> bool:
        return self.stage in (stage, BOTH_STAGES)


@dataclass(frozen=True, kw_only=True)
class ScreeningSettings:
    """How votes are cast and combined."""

    reviewers_per_record: WholeNumber = 2
    blind: Flag = True
    allow_maybe: Flag = True
    maybe_counts_as: MaybeRule = Vote.INCLUDE
    # Active learning ranks unscreened records once this many includes and excludes are known.
    prioritise_after_includes: WholeNumber = 1
    prioritise_after_excludes: WholeNumber = 1


@dataclass(frozen=True, kw_only=True)
class AnalysisSettings:
    """How an outcome is pooled unless the analyst chooses otherwise: the Analyses page and
    ``review-app meta-analyse --outcome`` start from these.

    ``measure`` left out: the first measure of the outcome's type (MD for continuous, RR for
    dichotomous). Random effects by REML with Hartung-Knapp-Sidik-Jonkman CIs by default, as the
    Cochrane Handbook (10.10.4.1, 10.10.4.3; version 6.5, 2024) recommends and RevMan Web offers.
    """

    measure: Annotated[EffectMeasure | None, choice(tuple(EffectMeasure))] = None
    method: Annotated[PoolingMethod, choice(tuple(PoolingMethod))] = PoolingMethod.REML
    hksj: Flag = True
    prediction: Annotated[PredictionRule, choice(tuple(PredictionRule))] = PredictionRule.METAFOR


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """An outcome with its GRADE importance, direction of benefit and MID (in mid_unit)."""

    id: Identifier
    name: Text
    type: OutcomeType
    importance: Importance
    direction: Direction
    mid: Mid = None
    mid_unit: OptionalText = ""
    unit: OptionalText = ""
    description: OptionalText = ""
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)

    @property
    def measures(self) -> tuple[EffectMeasure, ...]:
        """The effect measures this outcome's results may be pooled with."""
        return MEASURES_FOR[self.type]

    @property
    def default_measure(self) -> EffectMeasure:
        return self.analysis.measure or self.measures[0]

    def inconsistencies(self) -> Iterator[tuple[str | tuple[str, ...], str]]:
        """(key, what is wrong) for values that contradict each other."""
        if self.mid is not None and not self.mid_unit.strip():
            yield "mid_unit", "required when 'mid' is set (e.g. 'points 0-10')"
        measure = self.analysis.measure
        if measure is not None and measure not in self.measures:
            allowed = ", ".join(self.measures)
            yield ("analysis", "measure"), f"a {self.type} outcome is pooled as one of {allowed}"


@dataclass(frozen=True, kw_only=True)
class ExtractionField:
    """One field of the study-level extraction form."""

    id: Identifier
    label: Text
    type: FieldType = "text"
    choices: Texts = field(default_factory=list)
    required: Flag = False
    help: OptionalText = ""

    def inconsistencies(self) -> Iterator[tuple[str, str]]:
        """(key, what is wrong) for values that contradict each other."""
        if self.type == "choice" and not self.choices:
            yield "choices", "a 'choice' field must list its choices"
        if self.type != "choice" and self.choices:
            yield "choices", "only a field of type 'choice' may have choices"


@dataclass(frozen=True, kw_only=True)
class ExtractionSettings:
    """How studies are extracted: by how many people independently, and whether blind.

    Each extractor fills a copy of the study's form; a lead fixes the consensus copy from them
    (Covidence's reviewer 1 + reviewer 2 + consensus). While blind an extractor sees only their
    own copy; otherwise the extractors of a study may read the other copies and their comparison.
    """

    extractors_per_study: WholeNumber = 2
    blind: Flag = True


@dataclass(frozen=True, kw_only=True)
class AppraisalSettings:
    """How risk of bias is assessed: by how many people independently, and whether blind.

    Each assessor claims a study and fills their own copy of each of its results' assessment; a
    lead settles the consensus copy from them (RoB 2 guidance: two assessors independently, then
    consensus). While blind an assessor sees only their own copies; otherwise the assessors of a
    study may read the other copies and their comparison.
    """

    assessors_per_study: WholeNumber = 2
    blind: Flag = True


@dataclass(frozen=True, kw_only=True)
class GradeSettings:
    """How GRADE judgements are made: by how many people independently, and whether blind.

    Each judge fills their own copy of an outcome's judgements (the body of evidence, each
    domain's rating and its explanation, the comments); a lead settles the final copy the
    Summary-of-Findings table is built from, as for risk of bias. While blind a judge sees only
    their own copy; otherwise the judges of an outcome may read the other copies, their
    comparison and the final. Judges are leads, and every member once extraction and risk of
    bias are not blind (the judgements rest on their consensus).
    """

    judges_per_outcome: WholeNumber = 2
    blind: Flag = True


@dataclass(frozen=True, kw_only=True)
class SearchSource:
    """A database, register or other source, with the strategy as run."""

    name: Text
    kind: SourceKind
    date_searched: CalendarDate = None
    platform: OptionalText = ""
    strategy: OptionalText = ""


@dataclass(frozen=True, kw_only=True)
class Protocol:
    """A review protocol, as validated from TOML (see protocols/_template.toml)."""

    schema_version: SchemaVersion = 1
    title: Text
    question: Text
    pico: Pico
    designs: Annotated[list[Text], Listed(required=True, unique=WHOLE_ENTRY)]
    criteria: Annotated[list[Criterion], Listed(required=True, unique="id")]
    exclusion_reasons: Annotated[list[ExclusionReason], Listed(required=True, unique="id")]
    screening: ScreeningSettings = field(default_factory=ScreeningSettings)
    outcomes: Annotated[list[Outcome], Listed(required=True, unique="id")]
    extraction_fields: Annotated[list[ExtractionField], Listed(unique="id")] = field(
        default_factory=list
    )
    extraction: ExtractionSettings = field(default_factory=ExtractionSettings)
    appraisal: AppraisalSettings = field(default_factory=AppraisalSettings)
    grade: GradeSettings = field(default_factory=GradeSettings)
    risk_of_bias: Tools  # every design has a tool: validation checks it across the two keys
    search_sources: Annotated[list[SearchSource], Listed(required=True, unique="name")]

    def exclusion_reasons_for(self, stage: Stage | str) -> list[ExclusionReason]:
        """The reasons a reviewer may give at ``stage``, in protocol order.

        At full text every reason; at title and abstract those whose stage is 'both'.
        """
        return [reason for reason in self.exclusion_reasons if reason.applies_at(stage)]

    def criteria_for(self, stage: Stage | str) -> list[Criterion]:
        """The criteria judged at ``stage`` (its own and those of both stages), in order."""
        return [criterion for criterion in self.criteria if criterion.applies_at(stage)]
