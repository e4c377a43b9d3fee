"""ROBINS-I version 2 as data: triage, six domains (confounding in two variants), their signalling
questions and conditions, the published domain algorithms where they could be read, and the
overall rule (pure).

Source: ROBINS-I V2 development group (Sterne JAC, ..., Hernán MA, Higgins JPT). Risk Of Bias In
Non-randomized Studies - of Interventions, Version 2 (ROBINS-I V2), tool and cribsheet of
20 November 2025 for follow-up (cohort) studies, riskofbias.info; the site calls it a draft that
may change. Its algorithms are published as flowcharts (one per domain; the transcriptions below
place them in the cribsheet at p. 20 for confounding, effect of assignment; p. 24 effect of
starting and adhering; p. 28 classification; p. 32 selection; p. 38 missing data; p. 41
measurement; p. 47 reported result; the overall judgement p. 48).

We could not read the official flowcharts, so the algorithms here are taken from three public
transcriptions of them, read independently and compared path by path:

- "C": InfinityBowman/corates, ``.../ROBINSIChecklist/scoring/decision-diagrams/domain-*.md``
  (Mermaid diagrams) with its decision table for domain 1;
- "W": Michelle-Watson/robins-i-tool, ``.../domain-trees/Domain*Graph.tsx`` (graphs "traced
  from the PDF image" of each flowchart);
- "M": a public "ROBINS-I V2 sharable methodology reference" (20 November 2025 cribsheet; the
  code index does not name its repository) whose decision trees call themselves a conservative
  reading of the cribsheet.

A path of an algorithm proposes a judgement here only when at least two of them state it and none
that states it says otherwise. Everywhere else the path ends in a branch without routes, so
:func:`~.tool.propose` gives None and the assessor judges (:data:`OPEN_PATHS` says where and
why). The test data in ``tests/domain/test_appraisal_robins_i_v2.py`` holds each transcription's
table and checks this rule path by path.

What the tool is (agreed by all three, and by the tool's own forms as transcribed):

- Triage (section B): B1 any attempt to control for confounding; B2, if not, confounding so
  likely that the unadjusted result should not be considered; B3 an inappropriate outcome
  measurement. Y/PY to B2 or B3: Critical, and no domain is assessed (:attr:`Tool.triage`).
- Confounding has two variants, by the analysis (section C4): the effect of assignment ("Variant
  A", four questions) or of starting and adhering ("Variant B", five). The 2016 deviations domain
  is gone; classification now comes before selection.
- Answers: Y, PY, PN, N, NI, with strong/weak answers (Y, PY, WN, SN, NI or SY, WY, PN, N, NI)
  where the size of a problem decides the judgement; NA only where a question is not asked.
- Judgements Low, Moderate, Serious, Critical; confounding's best is "Low (except for concerns
  about uncontrolled confounding)", ranked between Low and Moderate. V2 has no "No information"
  judgement. Overall: the most severe domain judgement (so a result whose confounding is "Low
  (except ...)" and every other domain Low is "Low (except ...)" overall).

Licence: the V2 draft is stated to carry CC BY-NC-ND 4.0 (no derivatives; as recorded in
``robins_i.py``, not re-checked here), so, as there, the labels below are our own short wording
with the official item numbers; a team holding the official text loads it with
:func:`~.tool.load_official_text` and :func:`~.tool.with_official_text`
(keys "1.1", ...; "adherence:1.1" for the per-protocol confounding questions; "B1"...).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from review_app.domain.appraisal.tool import (
    NI,
    NO,
    PROCEED,
    YES,
    Answer,
    AnsweredIn,
    AnyOf,
    Branch,
    Domain,
    Level,
    Node,
    Question,
    Scale,
    Tool,
    Variant,
    WorstRule,
)

GUIDANCE_URL = "https://www.riskofbias.info/"
CITATION = (
    "ROBINS-I V2 development group (Sterne JAC, ..., Higgins JPT). Risk Of Bias In "
    "Non-randomized Studies - of Interventions, Version 2 (ROBINS-I V2), 20 November 2025. "
    "riskofbias.info."
)
LOW, MODERATE, SERIOUS, CRITICAL = "Low", "Moderate", "Serious", "Critical"
LOW_EXCEPT_CONFOUNDING = "Low (except for concerns about uncontrolled confounding)"
SEVERITY = (LOW, LOW_EXCEPT_CONFOUNDING, MODERATE, SERIOUS, CRITICAL)
# robvis's ROBINS-I colours and symbols; robvis has no "Low (except ...)": it is drawn in CSS's
# named colour "yellowgreen", between robvis's Low green and Moderate yellow, with Low's "+".
SCALE = Scale(
    levels=(
        Level(LOW, "#02C100", "+"),
        Level(LOW_EXCEPT_CONFOUNDING, "#9ACD32", "+"),
        Level(MODERATE, "#E2DF07", "-"),
        Level(SERIOUS, "#BF0000", "X"),
        Level(CRITICAL, "#820000", "!"),
    )
)

# The answer sets the flowcharts branch on.
SY, WY, WN, SN = (frozenset({a}) for a in (Answer.SY, Answer.WY, Answer.WN, Answer.SN))
YES_NO_NI = YES | NO | NI
YES_NO = YES | NO  # no "No information" (B1-B3, the negative-control questions)
STRONG_WEAK_NO = YES | WN | SN | NI  # Y, PY, WN, SN, NI
STRONG_WEAK_YES = SY | WY | NO | NI  # SY, WY, PN, N, NI


def _in(question: str, answers: frozenset[Answer]) -> AnsweredIn:
    return AnsweredIn(question, answers)


def _ask(question: str, *routes: tuple[frozenset[Answer], Node]) -> Branch:
    return Branch(question, routes)


def _open(question: str) -> Branch:
    """A leaf where the transcriptions disagree (or none routes the answer): no route, so the
    algorithm proposes nothing and the assessor judges."""
    return Branch(question, ())


TRIAGE = Domain(
    "B",
    "Triage: whether to go on with the assessment",
    (
        Question("B1", "Any attempt to control for confounding in this result?", YES_NO),
        Question(
            "B2",
            "Confounding so likely that the unadjusted result is not worth assessing?",
            YES_NO,
            condition=_in("B1", NO),
        ),
        Question("B3", "Was the outcome measured by an unsuitable method?", YES_NO),
    ),
    _ask(
        "B3",
        (YES, CRITICAL),
        (NO, _ask("B1", (YES, PROCEED), (NO, _ask("B2", (YES, CRITICAL), (NO, PROCEED))))),
    ),
)

# Confounding, effect of assignment (Variant A). The flowchart asks 1.1, then 1.3, 1.2, 1.4.
CONFOUNDING = Domain(
    "D1",
    "Bias due to confounding",
    (
        Question("1.1", "Controlled for all important confounding factors?", STRONG_WEAK_NO),
        Question("1.2", "Controlled confounders measured validly and reliably?", STRONG_WEAK_NO),
        Question(
            "1.3",
            "Controlled for post-intervention variables the intervention could affect?",
            YES_NO_NI,
            condition=_in("1.1", YES | WN),
        ),
        Question(
            "1.4",
            "Negative controls or other evidence of serious uncontrolled confounding?",
            YES_NO,
        ),
    ),
    _ask(
        "1.1",
        (
            YES,
            _ask(
                "1.3",
                (YES, _open("1.4")),
                (
                    NO | NI,
                    _ask(
                        "1.2",
                        (YES | WN, _ask("1.4", (NO, LOW_EXCEPT_CONFOUNDING), (YES, _open("1.4")))),
                        (SN | NI, SERIOUS),
                    ),
                ),
            ),
        ),
        (
            WN,
            _ask(
                "1.3",
                (YES, _open("1.3")),
                (NO | NI, _ask("1.2", (YES | WN, _open("1.2")), (SN | NI, SERIOUS))),
            ),
        ),
        (
            SN | NI,
            _ask(
                "1.4",
                (YES, CRITICAL),
                (NO, _ask("1.2", (YES, SERIOUS), (WN | SN | NI, _open("1.2")))),
            ),
        ),
    ),
)

# Confounding, effect of starting and adhering (Variant B): 1.2-1.3 after an analysis able to
# control time-varying confounding (1.1 Y/PY), 1.4 after one that is not.
CONFOUNDING_ADHERENCE = Domain(
    "D1",
    "Bias due to confounding",
    (
        Question(
            "1.1",
            "Analysis able to control time-varying as well as baseline confounding?",
            YES_NO_NI,
        ),
        Question(
            "1.2",
            "Controlled for all important baseline and time-varying confounders?",
            STRONG_WEAK_NO,
            condition=_in("1.1", YES),
        ),
        Question(
            "1.3",
            "Controlled confounders measured validly and reliably?",
            STRONG_WEAK_NO,
            condition=_in("1.2", YES | WN),
        ),
        Question(
            "1.4",
            "Controlled for variables measured after the intervention started?",
            YES_NO_NI,
            condition=_in("1.1", NO | NI),
        ),
        Question(
            "1.5",
            "Negative controls or other evidence of serious uncontrolled confounding?",
            YES_NO,
        ),
    ),
    _ask(
        "1.1",
        (
            YES,
            _ask(
                "1.2",
                (
                    YES,
                    _ask(
                        "1.3",
                        (YES, _open("1.5")),
                        (WN, _ask("1.5", (NO, LOW_EXCEPT_CONFOUNDING), (YES, SERIOUS))),
                        (SN | NI, _ask("1.5", (NO, SERIOUS), (YES, _open("1.5")))),
                    ),
                ),
                (
                    WN,
                    _ask(
                        "1.3",
                        (YES | WN, _open("1.5")),
                        (SN | NI, _ask("1.5", (NO, SERIOUS), (YES, _open("1.5")))),
                    ),
                ),
                (SN | NI, _ask("1.5", (NO, SERIOUS), (YES, _open("1.5")))),
            ),
        ),
        (
            NO | NI,
            _ask("1.4", (YES, CRITICAL), (NO | NI, _ask("1.5", (NO, SERIOUS), (YES, CRITICAL)))),
        ),
    ),
    variant="adherence",
)


def _classification_errors(judgement_if_none: str, judgement_if_some: str) -> Branch:
    """2.5: further (non-differential) classification errors: none (N/PN) or some (Y/PY/NI)."""
    return _ask("2.5", (NO, judgement_if_none), (YES | NI, judgement_if_some))


# Classification: three rows of 2.4/2.5 by how well the start of the strategies is handled
# (distinguishable at the start; or an analysis that deals with it, SY/WY/NI to 2.3; or not).
_CLEAR_START = _ask(
    "2.4",
    (NO, _classification_errors(LOW, MODERATE)),
    (WY | NI, _classification_errors(MODERATE, SERIOUS)),
    (SY, _ask("2.5", (NO, _open("2.5")), (YES | NI, CRITICAL))),
)


def _handled_start(weak_or_unknown: Node) -> Branch:
    """2.4 after an analysis that deals with strategies not distinguishable at the start;
    ``weak_or_unknown`` is where WY/NI to 2.4 leads."""
    return _ask(
        "2.4",
        (NO, _classification_errors(MODERATE, SERIOUS)),
        (WY | NI, weak_or_unknown),
        (SY, _ask("2.5", (NO, _open("2.5")), (YES | NI, CRITICAL))),
    )


# After SY to 2.3 only two transcriptions have the row, and one leaves WY/NI to 2.4 unrouted.
_HANDLED_START = _handled_start(_classification_errors(SERIOUS, CRITICAL))
_STRONGLY_HANDLED_START = _handled_start(_open("2.4"))

_UNHANDLED_START = _ask(
    "2.4",
    (NO, _classification_errors(SERIOUS, CRITICAL)),
    (SY | WY | NI, CRITICAL),
)
CLASSIFICATION = Domain(
    "D2",
    "Bias in classification of interventions",
    (
        Question("2.1", "Strategies distinguishable when follow-up would start?", YES_NO_NI),
        Question(
            "2.2",
            "Nearly all outcome events after the strategies became distinguishable?",
            YES_NO_NI,
            condition=_in("2.1", NO | NI),
        ),
        Question(
            "2.3",
            "Did the analysis avoid the problems of strategies not yet distinguishable?",
            STRONG_WEAK_YES,
            condition=_in("2.2", NO | NI),
        ),
        Question(
            "2.4", "Classification influenced by knowledge or risk of the outcome?", STRONG_WEAK_YES
        ),
        Question("2.5", "Further classification errors likely?", YES_NO_NI),
    ),
    _ask(
        "2.1",
        (YES, _CLEAR_START),
        (
            NO | NI,
            _ask(
                "2.2",
                (YES, _CLEAR_START),
                (
                    NO | NI,
                    _ask(
                        "2.3",
                        (SY, _STRONGLY_HANDLED_START),
                        (WY | NI, _HANDLED_START),
                        (NO, _UNHANDLED_START),
                    ),
                ),
            ),
        ),
    ),
)

# Selection: part A (start of follow-up, 3.1-3.2) and part B (selection on post-intervention
# characteristics, 3.3-3.5) each give Low, Moderate or Serious; the domain is the worse of the
# two, and a Serious part goes through 3.6-3.8 (correction, sensitivity analyses, severity).
# Written as part B under each outcome of part A, because the transcriptions differ on part B
# only for NI to 3.4 (Low or Moderate), which matters only when part A is Low.
_CORRECTION = _ask(
    "3.6",
    (YES, MODERATE),
    (
        NO | NI,
        _ask("3.7", (YES, MODERATE), (NO | NI, _ask("3.8", (YES, CRITICAL), (NO | NI, SERIOUS)))),
    ),
)


def _with_part_a(part_a: str) -> Branch:
    """Part B (3.3-3.5) after part A gave ``part_a``; each leaf the two parts combined."""

    def worse(part_b: str) -> Node:
        combined = max(part_a, part_b, key=(LOW, MODERATE, SERIOUS).index)
        return _CORRECTION if combined == SERIOUS else combined

    either = _open("3.4") if part_a == LOW else worse(MODERATE)
    associated = _ask("3.5", (YES, worse(SERIOUS)), (NO | NI, worse(MODERATE)))
    return _ask(
        "3.3",
        (NO, worse(LOW)),
        (NI, worse(MODERATE)),
        (YES, _ask("3.4", (NO, worse(LOW)), (NI, either), (YES, associated))),
    )


_SELECTION_ALGORITHM = _ask(
    "3.1",
    (YES, _ask("3.2", (NO | NI, _with_part_a(LOW)), (YES, _with_part_a(MODERATE)))),
    (WN | NI, _with_part_a(MODERATE)),
    (SN, _with_part_a(SERIOUS)),
)
SELECTION = Domain(
    "D3",
    "Bias in selection of participants into the study (or into the analysis)",
    (
        Question(
            "3.1", "Did follow-up begin when the intervention strategies started?", STRONG_WEAK_NO
        ),
        Question(
            "3.2",
            "Outcome events early in follow-up excluded from the analysis?",
            YES_NO_NI,
            condition=_in("3.1", YES),
        ),
        Question(
            "3.3",
            "Selection based on characteristics seen after the intervention began?",
            YES_NO_NI,
        ),
        Question(
            "3.4",
            "Were those characteristics likely associated with the intervention?",
            YES_NO_NI,
            condition=_in("3.3", YES),
        ),
        Question(
            "3.5",
            "Were they likely influenced by the outcome or a cause of it?",
            YES_NO_NI,
            condition=_in("3.4", YES),
        ),
        Question(
            "3.6",
            "Did the analysis likely correct for all these selection biases?",
            YES_NO_NI,
            condition=AnyOf((_in("3.1", SN), _in("3.5", YES))),
        ),
        Question(
            "3.7",
            "Did sensitivity analyses show their likely impact was minimal?",
            YES_NO_NI,
            condition=_in("3.6", NO | NI),
        ),
        Question(
            "3.8",
            "Selection biases so severe the result should stay out of a synthesis?",
            YES_NO_NI,
            condition=_in("3.7", NO | NI),
        ),
    ),
    _SELECTION_ALGORITHM,
)

# Missing data: complete data (4.1-4.3) is Low; otherwise the analysis decides: complete cases
# (4.4-4.6), imputation (4.7-4.9) or another correction (4.10), with 4.11 (evidence that the
# result is not biased) after the weaker answers. No transcribed flowchart routes NI to 4.11;
# where some go to Low without asking it (4.5 N/PN, 4.9 Y/PY), NI there is Low.
_DATA_INCOMPLETE = AnyOf((_in("4.1", NO | NI), _in("4.2", NO | NI), _in("4.3", NO | NI)))
_COMPLETE_CASES = _ask(
    "4.5",
    (NO, _ask("4.11", (NI, LOW), (YES | NO, _open("4.11")))),
    (
        YES | NI,
        _ask(
            "4.6",
            (YES, _ask("4.11", (YES, MODERATE), (NO, SERIOUS), (NI, _open("4.11")))),
            (WN | NI, _ask("4.11", (NO, SERIOUS), (YES | NI, _open("4.11")))),
            (SN, _ask("4.11", (NO, CRITICAL), (YES | NI, _open("4.11")))),
        ),
    ),
)
_IMPUTATION = _ask(
    "4.8",
    (
        YES,
        _ask(
            "4.9",
            (YES, _ask("4.11", (YES | NI, LOW), (NO, _open("4.11")))),
            (WN | NI, _open("4.9")),
            (SN, _ask("4.11", (NO, CRITICAL), (YES | NI, _open("4.11")))),
        ),
    ),
    (NO | NI, _open("4.8")),
)
_OTHER_CORRECTION = _ask(
    "4.10",
    (YES, LOW),
    (WN | NI, _open("4.10")),
    (SN, _ask("4.11", (NO, CRITICAL), (YES | NI, _open("4.11")))),
)
_INCOMPLETE = _ask(
    "4.4",
    (YES | NI, _COMPLETE_CASES),
    (NO, _ask("4.7", (YES, _IMPUTATION), (NO | NI, _OTHER_CORRECTION))),
)
MISSING_DATA = Domain(
    "D4",
    "Bias due to missing data",
    (
        Question("4.1", "Intervention status complete for nearly all participants?", YES_NO_NI),
        Question("4.2", "Outcome data complete for nearly all participants?", YES_NO_NI),
        Question("4.3", "Confounder data complete for nearly all participants?", YES_NO_NI),
        Question(
            "4.4",
            "Is the result from a complete-case analysis?",
            YES_NO_NI,
            condition=_DATA_INCOMPLETE,
        ),
        Question(
            "4.5",
            "Exclusion for missing data likely related to the true outcome?",
            YES_NO_NI,
            condition=_in("4.4", YES | NI),
        ),
        Question(
            "4.6",
            "Does the analysis model likely explain how missingness relates to the outcome?",
            STRONG_WEAK_NO,
            condition=_in("4.5", YES | NI),
        ),
        Question(
            "4.7", "Was the analysis based on imputed values?", YES_NO_NI, condition=_in("4.4", NO)
        ),
        Question(
            "4.8",
            "Reasonable to assume data missing at random?",
            YES_NO_NI,
            condition=_in("4.7", YES),
        ),
        Question(
            "4.9",
            "Was the imputation done appropriately?",
            STRONG_WEAK_NO,
            condition=_in("4.8", YES),
        ),
        Question(
            "4.10",
            "Another appropriate method used to correct for missing data?",
            STRONG_WEAK_NO,
            condition=_in("4.7", NO | NI),
        ),
        Question(
            "4.11",
            "Evidence that missing data did not bias the result?",
            YES_NO_NI,
            condition=_DATA_INCOMPLETE,
        ),
    ),
    _ask(
        "4.1",
        (
            YES,
            _ask(
                "4.2",
                (YES, _ask("4.3", (YES, LOW), (NO | NI, _INCOMPLETE))),
                (NO | NI, _INCOMPLETE),
            ),
        ),
        (NO | NI, _INCOMPLETE),
    ),
)

MEASUREMENT = Domain(
    "D5",
    "Bias in measurement of the outcome",
    (
        Question("5.1", "Could outcome measurement have differed between groups?", YES_NO_NI),
        Question(
            "5.2",
            "Were outcome assessors aware of the intervention received?",
            YES_NO_NI,
            condition=_in("5.1", NO | NI),
        ),
        Question(
            "5.3",
            "Could knowing the intervention have influenced the assessment?",
            STRONG_WEAK_YES,
            condition=_in("5.2", YES | NI),
        ),
    ),
    _ask(
        "5.1",
        (YES, SERIOUS),
        (
            NO,
            _ask(
                "5.2",
                (NO, LOW),
                (YES | NI, _ask("5.3", (NO, LOW), (WY | NI, MODERATE), (SY, _open("5.3")))),
            ),
        ),
        (
            NI,
            _ask(
                "5.2",
                (NO, MODERATE),
                (YES | NI, _ask("5.3", (SY, SERIOUS), (WY | NO | NI, MODERATE))),
            ),
        ),
    ),
)


def _chosen_by_results(yes: int, no_information: int) -> str | None:
    """6.2-6.4 counted (the flowchart's box "result selected from ..."): two or more Y/PY
    Critical; one Y/PY, or all three NI, Serious; otherwise (all N/PN; some NI and no Y/PY) the
    transcriptions disagree (Low or Moderate; Moderate or Serious)."""
    if yes >= 2:
        return CRITICAL
    if yes == 1 or no_information == 3:
        return SERIOUS
    return None


def _selection_tree(numbers: tuple[str, ...], yes: int = 0, no_information: int = 0) -> Node:
    """6.2-6.4 as nested branches whose leaves are :func:`_chosen_by_results` of the counts."""
    first, rest = numbers[0], numbers[1:]

    def then(extra_yes: int, extra_ni: int) -> Node:
        if rest:
            return _selection_tree(rest, yes + extra_yes, no_information + extra_ni)
        return _chosen_by_results(yes + extra_yes, no_information + extra_ni) or _open(first)

    return _ask(first, (YES, then(1, 0)), (NO, then(0, 0)), (NI, then(0, 1)))


_SELECTED = _in("6.1", NO | NI)
REPORTED_RESULT = Domain(
    "D6",
    "Bias in selection of the reported result",
    (
        Question("6.1", "Reported as in an available, pre-specified analysis plan?", YES_NO_NI),
        Question(
            "6.2",
            "Chosen by its results from several outcome measurements?",
            YES_NO_NI,
            condition=_SELECTED,
        ),
        Question(
            "6.3", "Chosen by its results from several analyses?", YES_NO_NI, condition=_SELECTED
        ),
        Question(
            "6.4", "Chosen by its results from several subgroups?", YES_NO_NI, condition=_SELECTED
        ),
    ),
    _ask("6.1", (YES, LOW), (NO | NI, _selection_tree(("6.2", "6.3", "6.4")))),
)

ROBINS_I_V2 = Tool(
    id="robins-i-v2",
    name="ROBINS-I V2",
    version="Version 2, tool and cribsheet of 20 November 2025 (a draft, for follow-up studies)",
    guidance_url=GUIDANCE_URL,
    citation=CITATION,
    scale=SCALE,
    domains=(
        CONFOUNDING,
        CLASSIFICATION,
        SELECTION,
        MISSING_DATA,
        MEASUREMENT,
        REPORTED_RESULT,
    ),
    overall_rule=WorstRule(),
    variants=(
        Variant("assignment", "Effect of assignment to intervention (Variant A)"),
        Variant(
            "adherence",
            "Effect of starting and adhering to intervention (Variant B)",
            MappingProxyType({"D1": CONFOUNDING_ADHERENCE}),
        ),
    ),
    triage=TRIAGE,
)

# Where the algorithm leaves the judgement to the assessor, and why (keys: the domain id, or
# "D1:adherence"); what the transcriptions propose there, so the assessor sees the options.
OPEN_PATHS: Mapping[str, str] = MappingProxyType(
    {
        "D1": (
            "1.1 Y/PY with 1.3 Y/PY: Low (except ...), Serious or Critical by transcription; "
            "1.4 Y/PY after 1.2 Y/PY/WN: Moderate or Serious; 1.1 WN: Moderate or Low (except "
            "...) when 1.4 is N/PN, Moderate to Critical otherwise; 1.1 SN/NI, 1.4 N/PN and 1.2 "
            "WN/SN/NI: Serious or Critical."
        ),
        "D1:adherence": (
            "1.2 and 1.3 Y/PY: Low or Low (except ...) when 1.5 is N/PN, Moderate or Serious "
            "otherwise; 1.2 WN with 1.3 Y/PY/WN: Low (except ...), Moderate or Serious; 1.5 Y/PY "
            "after 1.2 or 1.3 SN/NI: Serious or Critical."
        ),
        "D2": (
            "2.4 SY with 2.5 N/PN, after 2.1/2.2 Y/PY or 2.3 SY/WY/NI: Serious or Critical; "
            "2.3 SY with 2.4 WY/NI: only one transcription routes it (Serious or Critical)."
        ),
        "D3": "3.4 NI: Low or Moderate for the selection part.",
        "D4": (
            "4.5 N/PN with 4.11 Y/PY/PN/N: Low, or Moderate/Serious by 4.11; 4.8 N/PN/NI, "
            "4.9 WN/NI, 4.10 WN/NI: Moderate-Serious or Serious-Critical by 4.11; 4.11 Y/PY "
            "after an SN: Serious or Critical; 4.11 N/PN after 4.9 Y/PY: Low or Serious; 4.11 NI "
            "after a weaker answer: routed by one transcription only."
        ),
        "D5": "5.1 N/PN, 5.2 Y/PY/NI, 5.3 SY: Moderate or Serious.",
        "D6": "6.2-6.4 all N/PN: Low or Moderate; some NI and no Y/PY: Moderate or Serious.",
    }
)


def open_paths(domain: Domain) -> str:
    """Where ``domain``'s algorithm leaves the judgement to the assessor, and the options."""
    key = f"{domain.id}:{domain.variant}" if domain.variant else domain.id
    return OPEN_PATHS[key]
