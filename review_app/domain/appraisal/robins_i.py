"""ROBINS-I (2016) as data: seven domains, their signalling questions and conditions, judgement
guidance, and the overall rule (pure).

Source: Sterne JAC, Hernán MA, Reeves BC, et al. ROBINS-I: a tool for assessing risk of bias in
non-randomised studies of interventions. BMJ 2016;355:i4919 (Tables 1-2, the overall criteria),
and the tool template and detailed guidance of 20 October 2016 at riskofbias.info (the
"If ... to x.y" instructions beside the questions give the conditions written here).

What this version publishes, and so what is implemented:

- No decision algorithm. The 2016 guidance leaves every domain judgement to the assessor, helped
  by per-domain criteria (:data:`GUIDANCE`, our own summary of them), with one exception: "If N/PN
  to 1.1" the result is at low risk of bias due to confounding and no further questions are asked.
  So :func:`~.tool.propose` gives "Low" there and None (the assessor judges) everywhere else.
- Domain 4 has two sets of questions, by the effect of interest: assignment to the intervention
  (4.1-4.2, the default variant) or starting and adhering to it (4.3-4.6, variant "adherence").
- Overall: the most severe domain judgement (Low only if every domain is Low; Moderate if all are
  Low or Moderate; Serious if any is Serious and none Critical; Critical if any is Critical), and
  "No information" when no domain is Serious or Critical but information is lacking in one. The
  paper says "key domains": whether a domain lacking information is key is the assessor's call,
  so the "No information" proposal may be overridden with support text.

ROBINS-I version 2 (20 November 2025, for follow-up studies; riskofbias.info calls it a draft
subject to change) is a different tool and has its own module, ``robins_i_v2.py`` (tool id
"robins-i-v2", protocol name "ROBINS-I V2"): a triage section (B1-B3: Critical without further
questions), six domains (no deviations domain; the per-protocol effect is a variant of the
confounding domain; classification before selection), strong/weak answers (SY, WY, WN, SN),
"Low (except for concerns about uncontrolled confounding)" as the best confounding judgement,
and its published flowcharts where public transcriptions of them agree. "ROBINS-I" in a
protocol keeps meaning this 2016 tool.

Licence: the tool documents at riskofbias.info carry CC BY-NC-ND 4.0 (no derivatives; stated on
the V2 draft, and as we recall on the 2016 tool) and the BMJ paper CC BY-NC; so the labels below
are our own short wording with the official item numbers, and the official wording is not
shipped. A team holding the official text loads it with :func:`~.tool.load_official_text` and
:func:`~.tool.with_official_text` (keys "1.1", ...; "adherence:4.3" for the adherence questions).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from review_app.domain.appraisal.tool import (
    NO,
    YES,
    YES_NO,
    AllOf,
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

GUIDANCE_URL = "https://www.riskofbias.info/welcome/home/current-version-of-robins-i"
CITATION = (
    "Sterne JAC, Hernán MA, Reeves BC, et al. ROBINS-I: a tool for assessing risk of bias in "
    "non-randomised studies of interventions. BMJ 2016;355:i4919."
)
LOW, MODERATE, SERIOUS, CRITICAL, NO_INFORMATION = (
    "Low",
    "Moderate",
    "Serious",
    "Critical",
    "No information",
)
# robvis's ROBINS-I colours and traffic-light symbols (robvis::rob_traffic_light, tool "ROBINS-I").
SCALE = Scale(
    levels=(
        Level(LOW, "#02C100", "+"),
        Level(MODERATE, "#E2DF07", "-"),
        Level(SERIOUS, "#BF0000", "X"),
        Level(CRITICAL, "#820000", "!"),
    ),
    unranked=(Level(NO_INFORMATION, "#4EA1F7", "?"),),
)


def _in(question: str, answers: frozenset[Answer]) -> AnsweredIn:
    return AnsweredIn(question, answers)


def assessor_judgement(first_question: str) -> Node:
    """An algorithm that proposes nothing: the guidance leaves the judgement to the assessor.

    Written with :class:`~.tool.Branch` (a branch with no routes proposes None whatever the
    answer) until ``tool.Domain`` takes ``algorithm=None`` for this (requested)."""
    return Branch(first_question, ())


# Domain 1. 1.2 if Y/PY to 1.1; 1.3 if Y/PY to 1.2; baseline confounding (1.4-1.6) if N/PN to 1.2
# or to 1.3; time-varying confounding (1.7-1.8) if Y/PY to 1.3; 1.5 if Y/PY to 1.4, 1.8 to 1.7.
_CONFOUNDING_POSSIBLE = _in("1.1", YES)
_SPLIT = AllOf((_CONFOUNDING_POSSIBLE, _in("1.2", YES)))
_BASELINE = AllOf((_CONFOUNDING_POSSIBLE, AnyOf((_in("1.2", NO), AllOf((_SPLIT, _in("1.3", NO)))))))
_TIME_VARYING = AllOf((_SPLIT, _in("1.3", YES)))

CONFOUNDING = Domain(
    "D1",
    "Bias due to confounding",
    (
        Question("1.1", "Could confounding of the intervention's effect arise here?", YES_NO),
        Question(
            "1.2",
            "Was follow-up time split by the intervention received?",
            condition=_CONFOUNDING_POSSIBLE,
        ),
        Question("1.3", "Were switches likely related to prognostic factors?", condition=_SPLIT),
        Question(
            "1.4",
            "Appropriate control for all important confounding domains?",
            condition=_BASELINE,
        ),
        Question(
            "1.5",
            "Controlled confounders measured validly and reliably?",
            condition=AllOf((_BASELINE, _in("1.4", YES))),
        ),
        Question(
            "1.6",
            "Control for post-intervention variables the intervention could affect?",
            condition=_BASELINE,
        ),
        Question(
            "1.7",
            "Appropriate adjustment, including for time-varying confounding?",
            condition=_TIME_VARYING,
        ),
        Question(
            "1.8",
            "Adjusted confounders measured validly and reliably?",
            condition=AllOf((_TIME_VARYING, _in("1.7", YES))),
        ),
    ),
    # "If N/PN to 1.1: ... low risk of bias due to confounding"; otherwise the assessor judges.
    Branch("1.1", ((NO, LOW),)),
)

# Domain 2. "If N/PN to 2.1: go to 2.4"; 2.2 if Y/PY to 2.1; 2.3 if Y/PY to 2.2; 2.5 if Y/PY to
# 2.2 and 2.3, or N/PN to 2.4.
_POST_START_SELECTION = _in("2.1", YES)
_ASSOCIATED = AllOf((_POST_START_SELECTION, _in("2.2", YES)))
SELECTION = Domain(
    "D2",
    "Bias in selection of participants into the study",
    (
        Question("2.1", "Selection based on characteristics seen after the intervention began?"),
        Question(
            "2.2",
            "Were those characteristics likely associated with the intervention?",
            condition=_POST_START_SELECTION,
        ),
        Question(
            "2.3",
            "Were they likely influenced by the outcome or a cause of it?",
            condition=_ASSOCIATED,
        ),
        Question("2.4", "Did follow-up and intervention start together for most participants?"),
        Question(
            "2.5",
            "Were adjustments likely to correct these selection biases?",
            condition=AnyOf((AllOf((_ASSOCIATED, _in("2.3", YES))), _in("2.4", NO))),
        ),
    ),
    assessor_judgement("2.1"),
)

CLASSIFICATION = Domain(
    "D3",
    "Bias in classification of interventions",
    (
        Question("3.1", "Were the intervention groups clearly defined?"),
        Question("3.2", "Was group-defining information recorded when the intervention began?"),
        Question("3.3", "Could knowledge or risk of the outcome have affected classification?"),
    ),
    assessor_judgement("3.1"),
)

DEVIATIONS = Domain(
    "D4",
    "Bias due to deviations from intended interventions",
    (
        Question("4.1", "Deviations beyond those expected in usual practice?"),
        Question(
            "4.2",
            "Were they unbalanced between groups and likely to affect the outcome?",
            condition=_in("4.1", YES),
        ),
    ),
    assessor_judgement("4.1"),
)

DEVIATIONS_ADHERENCE = Domain(
    "D4",
    "Bias due to deviations from intended interventions",
    (
        Question("4.3", "Were important co-interventions balanced across groups?"),
        Question("4.4", "Was the intervention implemented successfully for most participants?"),
        Question("4.5", "Did participants adhere to their assigned regimen?"),
        Question(
            "4.6",
            "Was the analysis appropriate for the effect of starting and adhering?",
            condition=AnyOf((_in("4.3", NO), _in("4.4", NO), _in("4.5", NO))),
        ),
    ),
    assessor_judgement("4.3"),
    variant="adherence",
)

# 5.4 and 5.5 "If PN/N to 5.1, or Y/PY to 5.2 or 5.3".
_DATA_MISSING = AnyOf((_in("5.1", NO), _in("5.2", YES), _in("5.3", YES)))
MISSING_DATA = Domain(
    "D5",
    "Bias due to missing data",
    (
        Question("5.1", "Outcome data available for all or nearly all participants?"),
        Question("5.2", "Exclusions for missing data on intervention status?"),
        Question("5.3", "Exclusions for missing data on other variables the analysis needed?"),
        Question(
            "5.4",
            "Similar proportions of and reasons for missing data across groups?",
            condition=_DATA_MISSING,
        ),
        Question(
            "5.5",
            "Evidence that the result is robust to the missing data?",
            condition=_DATA_MISSING,
        ),
    ),
    assessor_judgement("5.1"),
)

MEASUREMENT = Domain(
    "D6",
    "Bias in measurement of outcomes",
    (
        Question("6.1", "Could knowing the intervention received influence the outcome measure?"),
        Question("6.2", "Did outcome assessors know the intervention participants received?"),
        Question("6.3", "Were outcome assessment methods comparable across groups?"),
        Question("6.4", "Were systematic measurement errors related to the intervention?"),
    ),
    assessor_judgement("6.1"),
)

REPORTED_RESULT = Domain(
    "D7",
    "Bias in selection of the reported result",
    (
        Question("7.1", "Result chosen by its results from several outcome measurements?"),
        Question("7.2", "Result chosen by its results from several analyses?"),
        Question("7.3", "Result chosen by its results from different subgroups?"),
    ),
    assessor_judgement("7.1"),
)

ROBINS_I = Tool(
    id="robins-i",
    name="ROBINS-I",
    version="2016 (BMJ 2016;355:i4919; detailed guidance of 20 October 2016)",
    guidance_url=GUIDANCE_URL,
    citation=CITATION,
    scale=SCALE,
    domains=(
        CONFOUNDING,
        SELECTION,
        CLASSIFICATION,
        DEVIATIONS,
        MISSING_DATA,
        MEASUREMENT,
        REPORTED_RESULT,
    ),
    overall_rule=WorstRule(unranked_below=SERIOUS),
    variants=(
        Variant("assignment", "Effect of assignment to intervention"),
        Variant(
            "adherence",
            "Effect of starting and adhering to intervention",
            MappingProxyType({"D4": DEVIATIONS_ADHERENCE}),
        ),
    ),
)

# What each judgement means per domain: our own summary of the criteria in the 2016 detailed
# guidance (the tables "Risk of bias judgement" in each domain's section) and of Sterne et al.
# 2016, Table 2. Keys: the domain id, or "D4:adherence" for that variant's domain.
GUIDANCE: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "D1": {
            LOW: "No confounding expected (1.1 answered N/PN).",
            MODERATE: (
                "Confounding expected, but all important confounding domains were measured "
                "validly and reliably and controlled for appropriately."
            ),
            SERIOUS: (
                "At least one important confounding domain was not controlled for, or was "
                "measured too poorly to exclude serious residual confounding."
            ),
            CRITICAL: (
                "Confounding cannot be controlled for in this design, or negative controls "
                "strongly suggest unmeasured confounding."
            ),
            NO_INFORMATION: "Nothing reported on whether confounding might be present.",
        },
        "D2": {
            LOW: (
                "Everyone eligible for the target trial was included, and follow-up and "
                "intervention started together."
            ),
            MODERATE: (
                "Selection may be related to intervention and outcome but the analysis "
                "adjusts for it appropriately, or events between start of intervention and of "
                "follow-up are few."
            ),
            SERIOUS: (
                "Selection is related to both intervention and outcome, or follow-up and "
                "intervention start apart, and the analysis cannot adjust for it."
            ),
            CRITICAL: (
                "Selection is very strongly related to intervention and outcome and cannot be "
                "adjusted for."
            ),
            NO_INFORMATION: "Nothing reported on how participants were selected.",
        },
        "D3": {
            LOW: (
                "Intervention status well defined and taken only from information recorded "
                "when the intervention began."
            ),
            MODERATE: (
                "Well defined, but some aspects were assigned retrospectively in a way "
                "unlikely to depend on the outcome."
            ),
            SERIOUS: (
                "Status not well defined, or major aspects assigned in a way knowledge of the "
                "outcome could have affected."
            ),
            CRITICAL: "(Unusual) misclassification so extensive the comparison is unusable.",
            NO_INFORMATION: "Nothing reported on how intervention status was defined.",
        },
        "D4": {
            LOW: (
                "No deviations beyond usual practice, or deviations balanced and unlikely to "
                "affect the outcome."
            ),
            MODERATE: (
                "Deviations beyond usual practice, but unlikely to have affected the outcome."
            ),
            SERIOUS: (
                "Deviations beyond usual practice, unbalanced and likely to affect the outcome."
            ),
            CRITICAL: (
                "Substantial deviations, unbalanced, with a large likely effect on the outcome."
            ),
            NO_INFORMATION: "Nothing reported on deviations from the intended intervention.",
        },
        "D4:adherence": {
            LOW: (
                "Co-interventions balanced, implementation and adherence good, or an analysis "
                "appropriate for starting and adhering."
            ),
            MODERATE: (
                "Some imbalance, implementation failure or non-adherence, unlikely to matter."
            ),
            SERIOUS: (
                "Important imbalance, failure or non-adherence, not addressed by the analysis."
            ),
            CRITICAL: (
                "Substantial imbalance, failure or non-adherence, not addressed, likely to "
                "change the result materially."
            ),
            NO_INFORMATION: "Nothing reported on co-interventions, implementation or adherence.",
        },
        "D5": {
            LOW: (
                "Data reasonably complete, or missingness similar across groups, or an "
                "analysis likely to remove the bias."
            ),
            MODERATE: (
                "Missingness differs slightly across groups and the analysis is unlikely to "
                "remove the bias."
            ),
            SERIOUS: (
                "Missingness differs substantially across groups and the analysis is unlikely "
                "to remove the bias."
            ),
            CRITICAL: "(Unusual) critical differences in missingness, not addressed.",
            NO_INFORMATION: "Nothing reported on missing data.",
        },
        "D6": {
            LOW: (
                "Comparable methods across groups; the outcome not open to knowledge of the "
                "intervention, or blinded assessors; no intervention-related error."
            ),
            MODERATE: (
                "Comparable methods; knowledge of the intervention or measurement error could "
                "matter only minimally."
            ),
            SERIOUS: (
                "Methods not comparable, or a subjective outcome assessed by assessors who "
                "knew the intervention, or intervention-related error."
            ),
            CRITICAL: "Methods so different across groups that comparing them is inappropriate.",
            NO_INFORMATION: "Nothing reported on how the outcome was measured.",
        },
        "D7": {
            LOW: (
                "Clear evidence (a registered protocol or analysis plan) that the reported "
                "result is the one intended."
            ),
            MODERATE: (
                "Measurements and analyses consistent with a plan, or clearly defined and "
                "consistent, with no sign of selection."
            ),
            SERIOUS: (
                "Outcome defined differently in methods and results, or much room to choose "
                "among analyses."
            ),
            CRITICAL: "Blatantly selective reporting.",
            NO_INFORMATION: "Nothing to judge selective reporting by.",
        },
    }
)


def guidance(domain: Domain) -> Mapping[str, str]:
    """Judgement level -> what it means for ``domain`` (our summary of the 2016 guidance)."""
    key = f"{domain.id}:{domain.variant}" if domain.variant else domain.id
    return GUIDANCE[key]
