"""RoB 2, the revised Cochrane risk-of-bias tool for randomised trials, as data (pure).

Sterne JAC, Savović J, Page MJ, et al. RoB 2: a revised tool for assessing risk of bias in
randomised trials. BMJ 2019;366:l4898. Questions, their conditions and the decision algorithms
follow "Revised Cochrane risk-of-bias tool for randomized trials (RoB 2)", Higgins JPT, Savović J,
Page MJ, Elbers RG, Sterne JAC (eds), full guidance document of 22 August 2019
(https://www.riskofbias.info/welcome/rob-2-0-tool/current-version-of-rob-2), for
individually randomised parallel-group trials: each domain's signalling questions, the response
options listed beside each question, and the domain's suggested algorithm (a flowchart and a table
of answer patterns per domain; for instance Box 10, Table 12 and Figure 5 for measurement of the
outcome). As the guidance does, the algorithms treat Y and PY alike and N and PN alike; NI
goes where each figure sends it.

The guidance and the signalling questions' wording are published under Creative Commons
BY-NC-ND 4.0, so the labels below are our own short paraphrases, each with the official item
number; a team that holds the official text loads it with
:func:`~review_app.domain.appraisal.tool.with_official_text`.

Variants: Domain 2 is assessed for the effect of assignment to intervention ("assignment", the
intention-to-treat effect, the default) or of adhering to it ("adherence", per-protocol).

The RoB 2 version for crossover trials reuses these domains (``rob2_variants.py``). Not included:
the version for cluster-randomised trials (an extra Domain 1b, identification or recruitment of
participants, and changed questions elsewhere; see ``rob2_variants.py`` for why).
"""

from __future__ import annotations

from types import MappingProxyType

from review_app.domain.appraisal.tool import (
    NA,
    NI,
    NO,
    YES,
    YES_NO,
    YES_NO_NI,
    AllOf,
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
    Worst,
    WorstRule,
)

LOW, SOME_CONCERNS, HIGH = "Low", "Some concerns", "High"
ASSIGNMENT, ADHERENCE = "assignment", "adherence"  # the variants' ids (Domain 2)
ORDER = (LOW, SOME_CONCERNS, HIGH)
NO_NI = NO | NI
YES_NI = YES | NI
NO_NA = NO | NA
YES_NA = YES | NA
ANY = YES_NO_NI | NA  # "[If applicable:]" items: NA is an answer in its own right

# robvis's "cochrane" colours and traffic-light symbols (McGuinness & Higgins, Res Synth Methods
# 2021;12:55-61, https://github.com/mcguinlu/robvis).
SCALE = Scale(
    levels=(
        Level(LOW, "#02C100", "+"),
        Level(SOME_CONCERNS, "#E2DF07", "-"),
        Level(HIGH, "#BF0000", "X"),
    )
)

# Domain 1, randomisation process: its box of signalling questions and suggested algorithm.
# Concealment (1.2) decides first; randomness (1.1) matters only once concealment is adequate.
D1 = Domain(
    id="D1",
    label="Randomisation process",
    questions=(
        Question("1.1", "Sequence random"),
        Question("1.2", "Allocation concealed until assignment"),
        Question("1.3", "Baseline differences suggest a randomisation problem"),
    ),
    algorithm=Branch(
        "1.2",
        (
            (
                YES,
                Branch(
                    "1.1",
                    (
                        (NO, SOME_CONCERNS),
                        (YES_NI, Branch("1.3", ((NO_NI, LOW), (YES, SOME_CONCERNS)))),
                    ),
                ),
            ),
            (NI, Branch("1.3", ((NO_NI, SOME_CONCERNS), (YES, HIGH)))),
            (NO, HIGH),
        ),
    ),
)

_AWARE = AnyOf((AnsweredIn("2.1", YES_NI), AnsweredIn("2.2", YES_NI)))
_AWARENESS = (
    Question("2.1", "Participants aware of their assignment"),
    Question("2.2", "Carers and deliverers aware of assignment"),
)


# Domain 2, effect of assignment (intention to treat): its box, and its algorithm in two parts
# (2.1-2.5: deviations arising from the trial context; 2.6-2.7: the analysis), combined as
# "Low if both parts Low, High if either High, otherwise Some concerns".
def _trial_context_deviations() -> Node:
    """2.3-2.5: deviations from the trial context, whether they mattered and were balanced."""
    after_2_4 = Branch("2.5", ((YES, SOME_CONCERNS), (NO_NI, HIGH)))
    after_2_3 = Branch("2.4", ((NO, SOME_CONCERNS), (YES_NI, after_2_4)))
    return Branch("2.3", ((NO, LOW), (NI, SOME_CONCERNS), (YES, after_2_3)))


def _assignment_part_1() -> Node:
    deviations = _trial_context_deviations()
    return Branch(
        "2.1",
        (
            (NO, Branch("2.2", ((NO, LOW), (YES_NI, deviations)))),
            (YES_NI, deviations),
        ),
    )


_ASSIGNMENT_PART_2: Node = Branch(
    "2.6", ((YES, LOW), (NO_NI, Branch("2.7", ((NO, SOME_CONCERNS), (YES_NI, HIGH)))))
)

D2_ASSIGNMENT = Domain(
    id="D2",
    label="Deviations from intended interventions (effect of assignment)",
    variant=ASSIGNMENT,
    questions=(
        *_AWARENESS,
        Question("2.3", "Deviations arose from the trial context", condition=_AWARE),
        Question(
            "2.4", "Those deviations likely affected the outcome", condition=AnsweredIn("2.3", YES)
        ),
        Question(
            "2.5", "Those deviations balanced between groups", condition=AnsweredIn("2.4", YES_NI)
        ),
        Question("2.6", "Analysis appropriate for the effect of assignment"),
        Question(
            "2.7",
            "Substantial impact possible from not analysing as randomised",
            condition=AnsweredIn("2.6", NO_NI),
        ),
    ),
    algorithm=Worst((_assignment_part_1(), _ASSIGNMENT_PART_2), ORDER),
)


def _adherence_algorithm() -> Node:
    """The algorithm for Domain 2, effect of adhering: awareness, then balance of non-protocol
    interventions (2.3), then implementation failures and non-adherence (2.4, 2.5); where one
    could bias, the analysis (2.6) decides between Some concerns and High."""
    analysis = Branch("2.6", ((YES, SOME_CONCERNS), (NO_NI, HIGH)))
    adherence_2_5 = Branch("2.5", ((NO_NA, LOW), (YES_NI, analysis)))
    failures = Branch("2.4", ((NO_NA, adherence_2_5), (YES_NI, analysis)))
    balance = Branch("2.3", ((YES_NA, failures), (NO_NI, analysis)))
    return Branch(
        "2.1",
        (
            (NO, Branch("2.2", ((NO, failures), (YES_NI, balance)))),
            (YES_NI, balance),
        ),
    )


D2_ADHERENCE = Domain(
    id="D2",
    label="Deviations from intended interventions (effect of adhering)",
    variant=ADHERENCE,
    questions=(
        *_AWARENESS,
        Question(
            "2.3", "Important non-protocol interventions balanced", answers=ANY, condition=_AWARE
        ),
        Question("2.4", "Implementation failures that could affect the outcome", answers=ANY),
        Question("2.5", "Non-adherence that could affect outcomes", answers=ANY),
        Question(
            "2.6",
            "Analysis appropriate for the effect of adhering",
            condition=AnyOf(
                (
                    AnsweredIn("2.3", NO_NI),
                    AnsweredIn("2.4", YES_NI),
                    AnsweredIn("2.5", YES_NI),
                )
            ),
        ),
    ),
    algorithm=_adherence_algorithm(),
)

# Domain 3, missing outcome data: its box and algorithm. 3.2 offers no NI (the guidance's
# response options are NA/Y/PY/PN/N: there either is evidence or there is not).
D3 = Domain(
    id="D3",
    label="Missing outcome data",
    questions=(
        Question("3.1", "Outcome data for all or nearly all randomised"),
        Question(
            "3.2",
            "Evidence the result is not biased by missing data",
            answers=YES_NO,
            condition=AnsweredIn("3.1", NO_NI),
        ),
        Question(
            "3.3", "Missingness could depend on the true value", condition=AnsweredIn("3.2", NO)
        ),
        Question(
            "3.4",
            "Missingness likely depended on the true value",
            condition=AnsweredIn("3.3", YES_NI),
        ),
    ),
    algorithm=Branch(
        "3.1",
        (
            (YES, LOW),
            (
                NO_NI,
                Branch(
                    "3.2",
                    (
                        (YES, LOW),
                        (
                            NO,
                            Branch(
                                "3.3",
                                (
                                    (NO, LOW),
                                    (YES_NI, Branch("3.4", ((NO, SOME_CONCERNS), (YES_NI, HIGH)))),
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    ),
)


def _assessor_influence(otherwise: str) -> Node:
    """4.3-4.5 of the algorithm for Domain 4 (Figure 5): assessors' awareness and its likely
    influence. ``otherwise`` is the judgement when awareness could not or likely did not
    influence the assessment: Low after 4.2 N/PN, Some concerns after 4.2 NI."""
    likely = Branch("4.5", ((NO, SOME_CONCERNS), (YES_NI, HIGH)))
    could = Branch("4.4", ((NO, otherwise), (YES_NI, likely)))
    return Branch("4.3", ((NO, otherwise), (YES_NI, could)))


# Domain 4, measurement of the outcome: Box 10, Table 12 and Figure 5 of the guidance.
D4 = Domain(
    id="D4",
    label="Measurement of the outcome",
    questions=(
        Question("4.1", "Measurement method inappropriate"),
        Question("4.2", "Measurement could differ between groups"),
        Question(
            "4.3",
            "Outcome assessors aware of the intervention received",
            condition=AllOf((AnsweredIn("4.1", NO_NI), AnsweredIn("4.2", NO_NI))),
        ),
        Question(
            "4.4",
            "Assessment could be influenced by that knowledge",
            condition=AnsweredIn("4.3", YES_NI),
        ),
        Question(
            "4.5",
            "Assessment likely influenced by that knowledge",
            condition=AnsweredIn("4.4", YES_NI),
        ),
    ),
    algorithm=Branch(
        "4.1",
        (
            (YES, HIGH),
            (
                NO_NI,
                Branch(
                    "4.2",
                    (
                        (YES, HIGH),
                        (NO, _assessor_influence(LOW)),
                        (NI, _assessor_influence(SOME_CONCERNS)),
                    ),
                ),
            ),
        ),
    ),
)


def _selection_algorithm() -> Node:
    """The algorithm for Domain 5: selection from several measurements (5.2) or analyses (5.3):
    either Y/PY -> High; at least one NI, neither Y/PY -> Some concerns; both N/PN -> the
    analysis plan (5.1) decides, Y/PY Low, otherwise Some concerns."""
    plan = Branch("5.1", ((YES, LOW), (NO_NI, SOME_CONCERNS)))
    after_no = Branch("5.3", ((YES, HIGH), (NI, SOME_CONCERNS), (NO, plan)))
    after_ni = Branch("5.3", ((YES, HIGH), (NO_NI, SOME_CONCERNS)))
    return Branch("5.2", ((YES, HIGH), (NI, after_ni), (NO, after_no)))


D5 = Domain(
    id="D5",
    label="Selection of the reported result",
    questions=(
        Question("5.1", "Analysed to a plan finalised before unblinded data"),
        Question("5.2", "Result chosen from several outcome measurements"),
        Question("5.3", "Result chosen from several analyses"),
    ),
    algorithm=_selection_algorithm(),
)

ASSIGNMENT_VARIANT = Variant(ASSIGNMENT, "Effect of assignment to intervention")
ADHERENCE_VARIANT = Variant(
    ADHERENCE, "Effect of adhering to intervention", MappingProxyType({"D2": D2_ADHERENCE})
)

ROB2 = Tool(
    id="rob2",
    name="RoB 2",
    version="22 August 2019",
    guidance_url="https://www.riskofbias.info/welcome/rob-2-0-tool/current-version-of-rob-2",
    citation="Sterne JAC, Savović J, Page MJ, et al. BMJ 2019;366:l4898",
    scale=SCALE,
    domains=(D1, D2_ASSIGNMENT, D3, D4, D5),
    # Overall (the guidance's overall criteria; Cochrane Handbook v6 section 8.2.3, Table
    # 8.2.b): Low if every domain is Low, High if any is High,
    # otherwise Some concerns. Raising "Some concerns in several domains" to High is the
    # assessor's override, not the proposal.
    overall_rule=WorstRule(),
    variants=(ASSIGNMENT_VARIANT, ADHERENCE_VARIANT),
)
