"""GRADE suggestions: the starting level of an outcome's body of evidence and, for each of the
eight domains, a suggested rating computed from the review's data, the data beside it, the rule
that fired and a footnote draft. People confirm or override every one (``services/grade.py``).

Starting level (GRADE guidance 18, Schünemann et al., J Clin Epidemiol 2019;111:105-114): high
when every study is randomised, or when every non-randomised study was assessed with ROBINS-I
(which already rates their bias from confounding and selection); else low.

Risk of bias (GRADE guidance 4, Guyatt et al., J Clin Epidemiol 2011;64:407-415: judge by the
studies that carry the estimate, "most information" from studies at low risk -> no downgrade):
the share of the analysis weight (else of the participants, else of the studies) from results at
HIGH risk and at SOME_CONCERNS-or-HIGH. High-risk share >= 50 % -> very serious
(``ROB_VERY_SERIOUS_HIGH``); high-risk share >= 25 % (``ROB_SERIOUS_HIGH``) or some-concerns-or-
high share >= 50 % (``ROB_SERIOUS_CONCERNS``) -> serious; else not serious. Concrete shares of
this kind follow the rule-based algorithm of Pollock et al. (J Clin Epidemiol 2016;70:106-110),
which rates by the proportion of participants in trials at high risk of bias; the exact lines
here are this project's starting point, which the reviewer confirms or overrides. When results
not assessed make up >= 50 % (``ROB_NOT_ASSESSED``) the reviewer judges.

Inconsistency: ``consistency.py``; imprecision: ``imprecision.py``.

Indirectness (GRADE guidance 8, Guyatt et al., J Clin Epidemiol 2011;64:1303-1310): the share of
the evidence from studies with any PICO element judged indirect >= 50 % (``INDIRECT_SERIOUS``) ->
serious; studies with two or more elements indirect making up >= 50 % -> very serious; a study
flagged as indirect evidence at extraction with no element chosen -> the reviewer chooses first.

Publication bias (GRADE guidance 5, Guyatt et al., J Clin Epidemiol 2011;64:1277-1282): with
10 or more studies (Cochrane Handbook 13.3.5.4) Egger's test; p < 0.10 (``EGGER_P``, Egger et
al., BMJ 1997;315:629-634, who test at 10 % because the test has little power) -> serious
("suspected"); else not serious. With fewer studies the reviewer judges, prompted.

Upgrades apply to non-randomised evidence only (GRADE guidance 9, Guyatt et al., J Clin
Epidemiol 2011;64:1311-1316). Large effect: a ratio beyond 2 or 0.5 -> one level, beyond 5 or
0.2 -> two levels, and only when no downgrade is suggested for risk of bias. Dose-response and
plausible residual confounding: the reviewer judges, prompted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from review_app.domain.grade.consistency import suggest_inconsistency
from review_app.domain.grade.facts import (
    Basis,
    basis,
    effect,
    names,
    percent,
    studies_count,
    suggestion,
)
from review_app.domain.grade.imprecision import suggest_imprecision
from review_app.domain.grade.model import (
    Certainty,
    EvidenceDesign,
    Fact,
    GradeDomain,
    OutcomeEvidence,
    PicoElement,
    Rating,
    RobLevel,
    StudyEvidence,
    Suggestion,
)
from review_app.domain.meta.further import EGGER_MIN_STUDIES, NotApplicable, egger
from review_app.domain.meta.model import EffectSize

ROBINS_I = "ROBINS-I"  # tool names starting with this start at high (GRADE guidance 18)

ROB_VERY_SERIOUS_HIGH = 50.0  # % of the evidence at high risk (Pollock 2016; GRADE guidance 4)
ROB_SERIOUS_HIGH = 25.0  # % at high risk
ROB_SERIOUS_CONCERNS = 50.0  # % with some concerns or high risk
ROB_NOT_ASSESSED = 50.0  # % not assessed: too little known to suggest

INDIRECT_SERIOUS = 50.0  # % of the evidence from indirect studies (GRADE guidance 8)
INDIRECT_VERY_SERIOUS_ELEMENTS = 2  # PICO elements indirect in the same studies

EGGER_P = 0.10  # Egger et al. 1997: asymmetry tested at the 10 % level
LARGE_EFFECT = 2.0  # ratio beyond 2 or 0.5: rate up one (GRADE guidance 9)
VERY_LARGE_EFFECT = 5.0  # ratio beyond 5 or 0.2: rate up two

RANDOMISED_NOT_UPGRADED = "randomised evidence is not rated up"

_DOWNGRADES = (Rating.SERIOUS, Rating.VERY_SERIOUS)


def starting_level(evidence: OutcomeEvidence) -> Certainty | None:
    """HIGH for randomised evidence or non-randomised studies all assessed with ROBINS-I, LOW
    for other non-randomised evidence, None without studies (GRADE guidance 18)."""
    if not evidence.studies:
        return None
    others = [s for s in evidence.studies if s.design is not EvidenceDesign.RANDOMISED]
    if all(s.rob_tool.startswith(ROBINS_I) for s in others):
        return Certainty.HIGH
    return Certainty.LOW


def suggest(evidence: OutcomeEvidence) -> dict[GradeDomain, Suggestion]:
    """A suggestion for every one of the eight domains, in evidence-profile order."""
    if not evidence.studies:
        return {domain: _no_studies(domain) for domain in GradeDomain}
    rob = suggest_risk_of_bias(evidence)
    return {
        GradeDomain.RISK_OF_BIAS: rob,
        GradeDomain.INCONSISTENCY: suggest_inconsistency(evidence),
        GradeDomain.INDIRECTNESS: suggest_indirectness(evidence),
        GradeDomain.IMPRECISION: suggest_imprecision(evidence),
        GradeDomain.PUBLICATION_BIAS: suggest_publication_bias(evidence),
        GradeDomain.LARGE_EFFECT: suggest_large_effect(evidence, rob),
        GradeDomain.DOSE_RESPONSE: suggest_dose_response(evidence),
        GradeDomain.CONFOUNDING: suggest_confounding(evidence),
    }


def is_randomised(evidence: OutcomeEvidence) -> bool:
    return all(s.design is EvidenceDesign.RANDOMISED for s in evidence.studies)


def _no_studies(domain: GradeDomain) -> Suggestion:
    return suggestion(
        domain,
        None,
        (),
        rule="no study measured this outcome, so there is nothing to rate",
        source="GRADE Handbook 5",
    )


# --- risk of bias ---------------------------------------------------------------------------

_ROB_SOURCE = "GRADE guidance 4; Pollock et al. 2016"


def _tools(studies: Sequence[StudyEvidence]) -> str:
    found = sorted({s.rob_tool for s in studies if s.rob_tool})
    return f" ({', '.join(found)})" if found else ""


def _study_rob(study: StudyEvidence) -> str:
    said = study.rob_judgement or study.rob.replace("_", " ")
    return f"{said} ({study.rob_tool})" if study.rob_tool else said


@dataclass(frozen=True, slots=True)
class RobShares:
    """Percentages of the evidence at high risk, with some concerns or high risk, not assessed."""

    high: float
    concerns: float
    missing: float


def rob_shares(studies: Sequence[StudyEvidence], share: Basis) -> RobShares:
    return RobShares(
        high=share.share(studies, lambda s: s.rob is RobLevel.HIGH),
        concerns=share.share(studies, lambda s: s.rob in {RobLevel.HIGH, RobLevel.SOME_CONCERNS}),
        missing=share.share(studies, lambda s: s.rob is RobLevel.NOT_ASSESSED),
    )


def _rob_facts(studies: Sequence[StudyEvidence], share: Basis, at: RobShares) -> list[Fact]:
    facts = [
        Fact(f"Share of the {share.noun} at high risk", percent(at.high)),
        Fact(f"Share of the {share.noun} with some concerns or high risk", percent(at.concerns)),
        Fact(f"Share of the {share.noun} not assessed", percent(at.missing)),
    ]
    return facts + [Fact(s.study, _study_rob(s)) for s in studies]


def suggest_risk_of_bias(evidence: OutcomeEvidence) -> Suggestion:
    """Risk of bias from the shares of the evidence at high risk and with some concerns."""
    studies = evidence.studies
    share = basis(studies)
    at = rob_shares(studies, share)
    high, concerns, missing = at.high, at.concerns, at.missing
    facts = _rob_facts(studies, share, at)
    tools = _tools(studies)

    def made(
        rating: Rating | None, rule: str, footnote: str = "", prompts: Sequence[str] = ()
    ) -> Suggestion:
        return suggestion(
            GradeDomain.RISK_OF_BIAS,
            rating,
            facts,
            rule=rule,
            source=_ROB_SOURCE,
            footnote=footnote,
            prompts=prompts,
        )

    if missing >= ROB_NOT_ASSESSED:
        return made(
            None,
            f"results not assessed make up {percent(missing)} of the {share.noun} (≥ 50 %)",
            prompts=("Finish the risk-of-bias assessments, or judge from the studies' methods.",),
        )
    high_words = share.phrase(high, "results at high risk of bias")
    if high >= ROB_VERY_SERIOUS_HIGH:
        return made(
            Rating.VERY_SERIOUS,
            "high-risk share ≥ 50 %",
            f"Downgraded two levels: {high_words}{tools}.",
        )
    if high >= ROB_SERIOUS_HIGH:
        return made(
            Rating.SERIOUS, "high-risk share ≥ 25 %", f"Downgraded one level: {high_words}{tools}."
        )
    if concerns >= ROB_SERIOUS_CONCERNS:
        words = share.phrase(concerns, "results with some concerns or at high risk of bias")
        return made(
            Rating.SERIOUS,
            "some-concerns-or-high share ≥ 50 %",
            f"Downgraded one level: {words}{tools}.",
        )
    return made(
        Rating.NOT_SERIOUS,
        "high-risk share < 25 % and some-concerns-or-high share < 50 %",
    )


# --- indirectness ---------------------------------------------------------------------------

_INDIRECT_SOURCE = "GRADE guidance 8"


def _indirect_words(study: StudyEvidence) -> str:
    if study.indirect:
        chosen = [e.value for e in PicoElement if e in study.indirect]
        return f"indirect: {', '.join(chosen)}"
    if study.flagged_indirect:
        note = f" ({study.indirect_note})" if study.indirect_note else ""
        return f"flagged as indirect evidence at extraction{note}; no element chosen"
    return "direct"


def suggest_indirectness(evidence: OutcomeEvidence) -> Suggestion:
    """Indirectness from the PICO elements judged indirect, weighted as risk of bias is."""
    studies = evidence.studies
    share = basis(studies)
    facts = [Fact(s.study, _indirect_words(s)) for s in studies]
    unchosen = [s.study for s in studies if s.flagged_indirect and not s.indirect]

    def made(
        rating: Rating | None, rule: str, footnote: str = "", prompts: Sequence[str] = ()
    ) -> Suggestion:
        return suggestion(
            GradeDomain.INDIRECTNESS,
            rating,
            facts,
            rule=rule,
            source=_INDIRECT_SOURCE,
            footnote=footnote,
            prompts=prompts,
        )

    if unchosen:
        return made(
            None,
            f"{names(unchosen)} flagged as indirect evidence without a PICO element chosen",
            prompts=(f"Choose which PICO elements differ for {names(unchosen)}.",),
        )
    some = share.share(studies, lambda s: bool(s.indirect))
    several = share.share(studies, lambda s: len(s.indirect) >= INDIRECT_VERY_SERIOUS_ELEMENTS)
    facts.insert(0, Fact(f"Share of the {share.noun} from indirect studies", percent(some)))
    elements = _elements(studies)
    if several >= INDIRECT_SERIOUS:
        words = share.phrase(several, "studies indirect in two or more PICO elements")
        return made(
            Rating.VERY_SERIOUS,
            "studies indirect in two or more PICO elements make up ≥ 50 %",
            f"Downgraded two levels: {words} ({elements}).",
        )
    if some >= INDIRECT_SERIOUS:
        words = share.phrase(some, "studies with indirect evidence")
        return made(
            Rating.SERIOUS,
            "studies with any indirect PICO element make up ≥ 50 %",
            f"Downgraded one level: {words} ({elements}).",
        )
    return made(Rating.NOT_SERIOUS, "studies with indirect evidence make up < 50 %")


def _elements(studies: Sequence[StudyEvidence]) -> str:
    """ "population indirect in A and B; outcome in B"."""
    parts = []
    for element in PicoElement:
        who = [s.study for s in studies if element in s.indirect]
        if who:
            parts.append(f"{element.value} indirect in {names(who)}")
    return "; ".join(parts)


# --- publication bias -----------------------------------------------------------------------

_PUBLICATION_SOURCE = "GRADE guidance 5; Cochrane Handbook 13.3.5.4"


def suggest_publication_bias(evidence: OutcomeEvidence) -> Suggestion:
    """Egger's test with 10 or more studies; otherwise prompts for the reviewer."""
    effects = [
        EffectSize(s.study, s.yi, s.vi) for s in evidence.studies if s.yi is not None and s.vi
    ]
    if len(effects) < EGGER_MIN_STUDIES:
        have = (
            f"{studies_count(len(effects))} with an effect size"
            if effects
            else ("no study has an effect size on the analysis scale")
        )
        return _publication_prompts(evidence, have)
    result = egger(effects)
    if isinstance(result, NotApplicable):
        return _publication_prompts(evidence, result.reason)
    facts = [Fact("Egger's test", f"p = {result.pval:.3f} ({studies_count(result.k)})")]
    if result.pval < EGGER_P:
        return suggestion(
            GradeDomain.PUBLICATION_BIAS,
            Rating.SERIOUS,
            facts,
            rule="Egger's test p < 0.10: funnel-plot asymmetry",
            source=_PUBLICATION_SOURCE,
            footnote=f"Publication bias suspected: Egger's test for funnel-plot asymmetry "
            f"p = {result.pval:.3f} ({studies_count(result.k)}).",
        )
    return suggestion(
        GradeDomain.PUBLICATION_BIAS,
        Rating.NOT_SERIOUS,
        facts,
        rule="Egger's test p ≥ 0.10: no funnel-plot asymmetry detected",
        source=_PUBLICATION_SOURCE,
    )


def _publication_prompts(evidence: OutcomeEvidence, why: str) -> Suggestion:
    small_funded = [
        s.study
        for s in evidence.studies
        if s.industry_funded and (s.participants is None or s.participants < _median_size(evidence))
    ]
    funded = f" ({names(small_funded)})" if small_funded else ""
    prompts = (
        f"Are the small studies mostly industry-funded{funded}?",
        "Did the trial registers searched list trials that were completed but never published?",
        "Was the search comprehensive (several databases, grey literature, no language limits)?",
    )
    return suggestion(
        GradeDomain.PUBLICATION_BIAS,
        None,
        [Fact("Studies", studies_count(len(evidence.studies)))],
        rule=f"Egger's test needs 10 or more studies: {why}",
        source=_PUBLICATION_SOURCE,
        prompts=prompts,
    )


def _median_size(evidence: OutcomeEvidence) -> float:
    sizes = sorted(s.participants for s in evidence.studies if s.participants is not None)
    if not sizes:
        return math.inf
    middle = len(sizes) // 2
    return sizes[middle] if len(sizes) % 2 else (sizes[middle - 1] + sizes[middle]) / 2


# --- upgrades -------------------------------------------------------------------------------

_UPGRADE_SOURCE = "GRADE guidance 9"


def _upgrade(
    domain: GradeDomain,
    rating: Rating | None,
    rule: str,
    facts: Sequence[Fact] = (),
    footnote: str = "",
    prompts: Sequence[str] = (),
) -> Suggestion:
    return suggestion(
        domain, rating, facts, rule=rule, source=_UPGRADE_SOURCE, footnote=footnote, prompts=prompts
    )


def suggest_large_effect(evidence: OutcomeEvidence, rob: Suggestion) -> Suggestion:
    """Rate up for a large ratio when the evidence is non-randomised and not at serious risk
    of bias."""
    domain = GradeDomain.LARGE_EFFECT
    if is_randomised(evidence):
        return _upgrade(domain, Rating.NO_UPGRADE, RANDOMISED_NOT_UPGRADED)
    pooled = evidence.pooled
    if pooled is None or not pooled.measure.is_ratio:
        return _upgrade(
            domain,
            None,
            "a large effect is suggested from a pooled ratio (RR, OR, HR) only",
            prompts=(
                "Is the effect large (e.g. a relative change of 50 % or more) and "
                "consistent across studies?",
            ),
        )
    ratio = math.exp(pooled.estimate)
    facts = [
        Fact(
            "Effect (95 % CI)",
            effect(pooled.measure, pooled.estimate, pooled.ci_low, pooled.ci_high),
        )
    ]
    if rob.rating is None or rob.rating in _DOWNGRADES:
        return _upgrade(
            domain,
            Rating.NO_UPGRADE if rob.rating else None,
            "a large effect is rated up only when no downgrade is suggested for risk of bias",
            facts,
            prompts=() if rob.rating else ("Judge risk of bias first.",),
        )
    return _large_ratio(domain, ratio, facts)


def _large_ratio(domain: GradeDomain, ratio: float, facts: Sequence[Fact]) -> Suggestion:
    size = max(ratio, 1 / ratio)
    if size > VERY_LARGE_EFFECT:
        return _upgrade(
            domain,
            Rating.UPGRADE_TWO,
            "ratio beyond 5 or 0.2",
            facts,
            f"Rated up two levels: a very large effect ({facts[0].value}).",
        )
    if size > LARGE_EFFECT:
        return _upgrade(
            domain,
            Rating.UPGRADE_ONE,
            "ratio beyond 2 or 0.5",
            facts,
            f"Rated up one level: a large effect ({facts[0].value}).",
        )
    return _upgrade(domain, Rating.NO_UPGRADE, "ratio between 0.5 and 2", facts)


def suggest_dose_response(evidence: OutcomeEvidence) -> Suggestion:
    if is_randomised(evidence):
        return _upgrade(GradeDomain.DOSE_RESPONSE, Rating.NO_UPGRADE, RANDOMISED_NOT_UPGRADED)
    return _upgrade(
        GradeDomain.DOSE_RESPONSE,
        None,
        "non-randomised evidence: the reviewer judges a dose-response gradient",
        prompts=(
            "Do larger doses or longer exposure go with larger effects, within or across studies?",
        ),
    )


def suggest_confounding(evidence: OutcomeEvidence) -> Suggestion:
    if is_randomised(evidence):
        return _upgrade(GradeDomain.CONFOUNDING, Rating.NO_UPGRADE, RANDOMISED_NOT_UPGRADED)
    return _upgrade(
        GradeDomain.CONFOUNDING,
        None,
        "non-randomised evidence: the reviewer judges plausible residual confounding",
        prompts=(
            "Would the plausible residual confounding or bias reduce the effect seen "
            "(or suggest a spurious effect when none was seen)?",
        ),
    )
