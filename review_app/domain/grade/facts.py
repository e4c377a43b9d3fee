"""How the data beside a GRADE suggestion are written for people, and what a share of the body
of evidence is a share of.

Numbers keep two or three significant digits (a CI of 0.34 to 0.70, I² 92 %), ratios are shown
on their natural scale (the analysis scale is the log), and a share of the evidence is a share of
the analysis weight when every study has one, else of the participants when every study says
how many, else of the studies (GRADE guidance 4, Guyatt et al., J Clin Epidemiol 2011;64:407-415:
judge risk of bias by the studies that contribute most to the estimate).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from review_app.domain.grade.model import Fact, GradeDomain, Rating, StudyEvidence, Suggestion
from review_app.domain.vocabulary import EffectMeasure


def number(value: float) -> str:
    """``value`` with two or three significant digits (12.3, 1.25, 0.49, 0.034), thousands with
    separators (1,806)."""
    size = abs(value)
    if size == 0:
        return "0"
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 0.1:
        return f"{value:.2f}"
    if size >= 0.01:
        return f"{value:.3f}"
    return f"{value:.2g}"


def percent(value: float) -> str:
    """A percentage (0..100) as people write it: "62 %", "24.6 %" (a decimal only when the whole
    number would hide which side of a threshold it is on)."""
    rounded = round(value)
    if abs(value - rounded) < 0.05:
        return f"{rounded:.0f} %"
    return f"{value:.1f} %"


def interval(low: float, high: float) -> str:
    """A confidence or prediction interval: "0.34 to 0.70"."""
    return f"{number(low)} to {number(high)}"


def natural(measure: EffectMeasure, value: float) -> float:
    """A value on the analysis scale back on the measure's natural scale (ratios are pooled as
    logs, Cochrane Handbook 10.3)."""
    return math.exp(value) if measure.is_ratio else value


def effect(measure: EffectMeasure, estimate: float, low: float, high: float) -> str:
    """An effect on its natural scale: "RR 0.49 (95 % CI 0.34 to 0.70)"."""
    return (
        f"{measure} {number(natural(measure, estimate))} "
        f"(95 % CI {interval(natural(measure, low), natural(measure, high))})"
    )


def names(items: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def studies_count(count: int) -> str:
    return f"{count} {'study' if count == 1 else 'studies'}"


@dataclass(frozen=True, slots=True)
class Basis:
    """What a share of the body of evidence is measured in, each study's amount of it, and the
    words for a share of it ("62 % of the analysis weight comes from")."""

    noun: str  # "analysis weight" | "participants" | "studies"
    template: str  # a sentence with {share} and {what}
    amounts: tuple[float, ...]

    def share(
        self, studies: Sequence[StudyEvidence], keep: Callable[[StudyEvidence], bool]
    ) -> float:
        """The percentage of the total held by the studies ``keep`` selects (0 when the total is
        0); ``studies`` are the ones ``amounts`` was computed for, in the same order."""
        total = sum(self.amounts)
        if total <= 0:
            return 0.0
        return 100 * sum(a for s, a in zip(studies, self.amounts, strict=True) if keep(s)) / total

    def phrase(self, share: float, what: str) -> str:
        """ "62 % of the analysis weight comes from {what}" (or "are in", for participants)."""
        return self.template.format(share=percent(share), what=what)


def basis(studies: Sequence[StudyEvidence]) -> Basis:
    """Weights when every study has one, else participants when every study says how many, else
    one per study."""
    weights = [s.weight for s in studies]
    if studies and all(w is not None for w in weights):
        amounts = tuple(float(w or 0) for w in weights)
        return Basis("analysis weight", "{share} of the analysis weight comes from {what}", amounts)
    people = [s.participants for s in studies]
    if studies and all(p is not None for p in people):
        amounts = tuple(float(p or 0) for p in people)
        return Basis("participants", "{share} of the participants are in {what}", amounts)
    return Basis("studies", "{what} make up {share} of the studies", tuple(1.0 for _ in studies))


def suggestion(
    domain: GradeDomain,
    rating: Rating | None,
    facts: Sequence[Fact],
    *,
    rule: str,
    source: str,
    footnote: str = "",
    prompts: Sequence[str] = (),
) -> Suggestion:
    """A domain's suggestion; ``rule`` in words (capitalised here) and the ``source`` it follows
    ("GRADE guidance 7") in brackets."""
    return Suggestion(
        domain,
        rating,
        facts=tuple(facts),
        footnote=footnote,
        rule=f"{rule[0].upper()}{rule[1:]} ({source}).",
        prompts=tuple(prompts),
    )
