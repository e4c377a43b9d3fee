"""RoB 2 for crossover trials, as data (pure); the cluster-randomised version is not here.

Source: "RoB 2 for crossover trials", the RoB 2 Development Group's test version of 8 December
2020, revised 18 March 2021 (riskofbias.info, RoB 2 tool pages). The document itself is
CC BY-NC-ND 4.0 and was not available to us; what is written here is only what two independent
public transcriptions of it agree on (a JavaScript port of its algorithms citing Figures 2 and 7
of the 18 March 2021 version, and a Python assessor's methodology reference citing its
cribsheet), read against each other:

- Domains 1 to 4 are those of the individually randomised parallel-group tool ("as for parallel
  group trials"): the same questions, conditions and algorithms, so they are reused from
  ``rob2.py``. Only Domain 2's effect of assignment is offered: one transcription routes the
  effect of adhering for crossover trials and the other covers assignment only, so the
  adherence variant waits for a check against the document.
- Domain 5 gains question 5.4 (a result using both periods was sought but only one is available
  because carryover was found) and its algorithm (Figure 7) treats 5.2, 5.3 and 5.4 alike: any
  Y/PY -> High; none Y/PY but any NI -> Some concerns; all N/PN -> 5.1 decides, Y/PY Low,
  otherwise Some concerns. Both transcriptions give this, and it is the parallel Domain 5
  algorithm with 5.4 added to the "selected from" questions.
- Domain S, period and carryover effects, is added; the transcriptions place it differently and
  disagree on its signalling questions and on its algorithm (one: three questions, S.2 asked after
  N/PN/NI to S.1, carryover in S.3 deciding first; the other: four questions of different
  content). So Domain S is shipped without signalling questions and without a proposal: the
  assessor judges it, with support text, until the questions are checked against the document.
- Overall: as for RoB 2 (Low if every domain is Low, High if any is High, otherwise Some
  concerns; raising several Some concerns to High is the assessor's override).

Not included: RoB 2 for cluster-randomised trials (10 November 2020, revised 18 March 2021:
Domain 1b on the timing of identification or recruitment of participants, split questions in
Domains 2-4). Only one public transcription of it was found (repeated in several files of one
project), and its algorithms depart from the parallel tool's at steps it itself describes as "as
for individually-randomized trials"; its questions and algorithms need a second, independent
source before they are written here.

Registered in ``tools.py`` as "rob2-crossover": a protocol may name it ("RoB 2 (crossover)"), and
one naming "RoB 2" gets it for a study whose design is crossover (``tools.tool_for_design``).

Labels are our own short wording with the official item numbers (licence: see ``rob2.py``); a
team holding the official text loads it with :func:`~.tool.with_official_text`.
"""

from __future__ import annotations

from collections.abc import Sequence

from review_app.domain.appraisal import rob2
from review_app.domain.appraisal.rob2 import HIGH, LOW, NO_NI, SOME_CONCERNS
from review_app.domain.appraisal.tool import NI, NO, YES, Branch, Domain, Node, Question, Tool

GUIDANCE_URL = "https://www.riskofbias.info/welcome/rob-2-0-tool"
CROSSOVER_VERSION = "8 December 2020, revised 18 March 2021 (test version)"

# Domain S: no questions and no algorithm until they can be checked (module docstring).
DS = Domain(
    id="DS",
    label="Period and carryover effects",
    questions=(),
    algorithm=None,
)


def _selection_algorithm(selected_from: Sequence[str]) -> Node:
    """Domain 5's algorithm over the "selected from" questions, in order: the first Y/PY is High;
    once every one is answered, any NI among them gives Some concerns, all N/PN hand the decision
    to the analysis plan (5.1: Y/PY Low, N/PN/NI Some concerns)."""
    plan = Branch("5.1", ((YES, LOW), (NO_NI, SOME_CONCERNS)))

    def after(index: int, seen_ni: bool) -> Node:
        if index == len(selected_from):
            return SOME_CONCERNS if seen_ni else plan
        return Branch(
            selected_from[index],
            ((YES, HIGH), (NI, after(index + 1, True)), (NO, after(index + 1, seen_ni))),
        )

    return after(0, False)


D5_CROSSOVER = Domain(
    id="D5",
    label=rob2.D5.label,
    questions=(
        *rob2.D5.questions,
        Question("5.4", "Both-period result sought but withheld after finding carryover"),
    ),
    algorithm=_selection_algorithm(("5.2", "5.3", "5.4")),
)

ROB2_CROSSOVER = Tool(
    id="rob2-crossover",
    name="RoB 2 (crossover)",  # the name protocol/rules.py lets a protocol give it
    version=CROSSOVER_VERSION,
    guidance_url=GUIDANCE_URL,
    citation=(
        "RoB 2 Development Group. Revised Cochrane risk-of-bias tool for randomized trials "
        "(RoB 2) for crossover trials, " + CROSSOVER_VERSION + "; riskofbias.info"
    ),
    scale=rob2.SCALE,
    # Domain S after Domain 2, where the transcription that orders the domains puts it.
    domains=(rob2.D1, rob2.D2_ASSIGNMENT, DS, rob2.D3, rob2.D4, D5_CROSSOVER),
    overall_rule=rob2.ROB2.overall_rule,
    variants=(rob2.ASSIGNMENT_VARIANT,),
)
