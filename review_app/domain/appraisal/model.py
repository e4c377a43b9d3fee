"""One copy of a risk-of-bias assessment as plain data: what an assessor or the consensus recorded.

Risk of bias is judged per result (RoB 2 guidance, section 1.3): per study and protocol outcome.
Each is assessed in copies, as extraction is: one per assessor (two by default, the protocol's
``[appraisal] assessors_per_study``) and one consensus copy, which the lead settles and which
GRADE reads. A copy whose ``outcome_id`` is :data:`ALL_OUTCOMES` holds the domains that do not
differ between the study's outcomes (the "same for all outcomes" shortcut: randomisation is
usually the same for every result); an outcome's own copy overrides it domain by domain
(:func:`effective_domains`).

The services read and write the database as these dataclasses; comparison, consensus building,
files (robvis layout, every answer) and the page's editing are written against them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from review_app.domain.appraisal.tool import Answer

ALL_OUTCOMES = "*"  # the outcome id of a copy whose domains hold for every outcome of the study


@dataclass(frozen=True, slots=True)
class DomainAssessment:
    """One domain: the signalling answers, the assessor's judgement and its support.

    The proposed judgement is not stored: the tool's algorithm gives it from ``answers``
    (:func:`review_app.domain.appraisal.tool.propose`). A ``judgement`` other than the proposal is
    an override, and needs ``support`` saying why.
    """

    domain: str  # the tool's domain id, "D1"
    answers: Mapping[str, Answer] = field(default_factory=dict)  # question number -> answer
    judgement: str | None = None  # a level id of the tool's scale; None: not judged yet
    support: str = ""  # quotes from the report and the reasons for the judgement


@dataclass(frozen=True, slots=True)
class ResultAssessment:
    """One copy of one study's assessment for one outcome (or :data:`ALL_OUTCOMES`)."""

    study: str  # the study's label ("Vicknasingam 2020")
    outcome_id: str  # a protocol outcome id, or ALL_OUTCOMES
    assessor: str | None  # the assessor's user name; None for the consensus copy
    tool: str  # the tool's id ("rob2", "robins-i")
    variant: str = ""  # the tool's variant ("assignment" | "adherence" for RoB 2); "": default
    domains: tuple[DomainAssessment, ...] = ()
    overall: str | None = None  # the overall judgement (a level id); None: not judged yet
    overall_support: str = ""  # needed when the overall judgement overrides the proposal
    complete: bool = False

    @property
    def is_consensus(self) -> bool:
        return self.assessor is None

    def domain(self, domain_id: str) -> DomainAssessment | None:
        return next((d for d in self.domains if d.domain == domain_id), None)


def effective_domains(
    copies: Sequence[ResultAssessment], outcome_id: str
) -> dict[str, DomainAssessment]:
    """The domains that hold for ``outcome_id``: the outcome's own copy's, else those of the copy
    for all outcomes (copies of one study, one assessor or the consensus)."""
    shared = next((c for c in copies if c.outcome_id == ALL_OUTCOMES), None)
    own = next((c for c in copies if c.outcome_id == outcome_id), None)
    domains = {d.domain: d for d in shared.domains} if shared else {}
    if own is not None:
        domains.update({d.domain: d for d in own.domains})
    return domains
