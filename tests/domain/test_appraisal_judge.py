"""``rob judge``'s pure part: a table of answers -> domain and overall judgements, or every problem.

Expected judgements are worked out by hand from the RoB 2 guidance's algorithms (22 August 2019),
step by step in the comments.
"""

from __future__ import annotations

import pytest

from review_app.domain.appraisal.assessment import triage_judgement
from review_app.domain.appraisal.judge import judge, output_columns
from review_app.domain.appraisal.model import DomainAssessment, ResultAssessment
from review_app.domain.appraisal.rob2 import ROB2
from review_app.domain.appraisal.robins_i_v2 import ROBINS_I_V2
from review_app.domain.appraisal.tool import (
    NO,
    YES,
    YES_NO,
    Answer,
    Branch,
    Domain,
    Level,
    Question,
    Scale,
    Tool,
)
from review_app.errors import ProblemsError

QUESTIONS = [
    *("1.1 1.2 1.3".split()),
    *("2.1 2.2 2.3 2.4 2.5 2.6 2.7".split()),
    *("3.1 3.2 3.3 3.4".split()),
    *("4.1 4.2 4.3 4.4 4.5".split()),
    *("5.1 5.2 5.3".split()),
]
COLUMNS = ["study", "outcome", "variant", *QUESTIONS, "note"]


def row(study: str, variant: str = "", **answers: str) -> dict[str, str]:
    """A row with answers given as q1_1="Y" for column 1.1; other question cells empty."""
    cells = {"study": study, "outcome": "Pain", "variant": variant, "note": "kept"}
    cells.update({number: "" for number in QUESTIONS})
    cells.update({key[1:].replace("_", "."): value for key, value in answers.items()})
    return cells


# Low everywhere: D1 1.2 Y, 1.1 Y, 1.3 N; D2 (assignment) nobody aware, 2.6 Y; D3 3.1 Y;
# D4 4.1 N, 4.2 N, 4.3 N; D5 5.2 N, 5.3 N, 5.1 Y.
ALL_LOW = row(
    "Ames 2019",
    q1_1="Y",
    q1_2="Y",
    q1_3="N",
    q2_1="N",
    q2_2="N",
    q2_6="Y",
    q3_1="Y",
    q4_1="N",
    q4_2="N",
    q4_3="N",
    q5_1="Y",
    q5_2="N",
    q5_3="N",
)
# D1: 1.2 NI, 1.3 N -> Some concerns. D2 (adherence): aware, 2.3 PN -> 2.6 PY -> Some concerns.
# D3: 3.1 N, 3.2 N, 3.3 PY, 3.4 Y -> High. D4: 4.2 NI, 4.3 N -> Some concerns.
# D5: 5.2 N, 5.3 N, 5.1 NI -> Some concerns. Overall: High (one domain High).
MIXED = row(
    "Bose 2021",
    "adherence",
    q1_1="NI",
    q1_2="NI",
    q1_3="N",
    q2_1="Y",
    q2_2="Y",
    q2_3="PN",
    q2_4="NA",
    q2_5="NA",
    q2_6="PY",
    q3_1="N",
    q3_2="N",
    q3_3="PY",
    q3_4="Y",
    q4_1="N",
    q4_2="NI",
    q4_3="N",
    q5_1="NI",
    q5_2="N",
    q5_3="N",
)


def test_rows_get_each_domain_and_overall():
    out = judge(ROB2, COLUMNS, [ALL_LOW, MIXED])
    assert [[r[d] for d in ("D1", "D2", "D3", "D4", "D5", "Overall")] for r in out] == [
        ["Low", "Low", "Low", "Low", "Low", "Low"],
        ["Some concerns", "Some concerns", "High", "Some concerns", "Some concerns", "High"],
    ]
    assert out[1]["note"] == "kept" and out[1]["3.4"] == "Y"
    assert output_columns(ROB2, COLUMNS) == [*COLUMNS, "D1", "D2", "D3", "D4", "D5", "Overall"]


def test_answers_in_words_and_any_case_and_judgements_already_there():
    words = {**ALL_LOW, "1.1": "probably yes", "1.3": "No", "2.6": "y", "D1": "Low"}
    assert judge(ROB2, [*COLUMNS, "D1"], [words])[0]["Overall"] == "Low"


def test_every_problem_is_listed_with_its_line_and_column():
    rows = [
        {**ALL_LOW, "1.3": ""},  # line 2: a required answer missing
        {**ALL_LOW, "2.3": "Y"},  # line 3: nobody aware, so 2.3 is not asked
        {**ALL_LOW, "3.1": "maybe"},  # line 4: not an answer
        {**ALL_LOW, "variant": "per-protocol"},  # line 5
        {**ALL_LOW, "study": ""},  # line 6
        {**ALL_LOW, "D3": "High"},  # line 7: D3 computes Low
        {**MIXED, "3.2": "NI"},  # line 8: 3.2 offers no NI
    ]
    with pytest.raises(ProblemsError) as caught:
        judge(ROB2, [*COLUMNS, "5.4", "D3"], rows, source="answers.csv")
    found = [(p.line, p.field, p.message) for p in caught.value.problems]
    assert found == [
        (1, "5.4", "RoB 2 has no question 5.4 (its questions: " + ", ".join(QUESTIONS) + ")"),
        (2, "1.3", "D1 1.3: no answer (Y/PY/PN/N/NI needed)"),
        (3, "2.3", "D2 2.3: answered Y but does not apply"),
        (4, "3.1", "'maybe' is not an answer (Y/PY/PN/N/NI/NA, or empty)"),
        (4, "3.1", "D3 3.1: no answer (Y/PY/PN/N/NI needed)"),
        (5, "variant", "'per-protocol' is not a variant; allowed: assignment, adherence"),
        (6, "study", "the study is empty"),
        (
            7,
            "D3",
            "'High' given, but the answers give 'Low' (an override belongs in the assessment, "
            "with support text)",
        ),
        (8, "3.2", "D3 3.2: NI is not allowed (Y/PY/PN/N)"),
    ]
    assert str(caught.value).startswith(
        "9 problem(s); nothing was written\n  - answers.csv, line 1"
    )


def test_a_study_column_is_needed():
    columns = [c for c in COLUMNS if c != "study"]
    with pytest.raises(ProblemsError, match="a column 'study' is needed"):
        judge(ROB2, columns, [])


def test_questions_of_the_other_variant_are_refused_unless_na():
    """The adherence variant of D2 has no 2.7: it may be NA or empty, not answered."""
    assert judge(ROB2, COLUMNS, [{**MIXED, "2.7": "NA"}])[0]["D2"] == "Some concerns"
    with pytest.raises(ProblemsError, match=r"2\.7: answered Y but belongs to another variant"):
        judge(ROB2, COLUMNS, [{**MIXED, "2.7": "Y"}])


# A tool whose second domain has no algorithm (as ROBINS-I 2016 leaves most to the assessor).
ASSESSOR_TOOL = Tool(
    id="toy",
    name="Toy",
    version="1",
    guidance_url="https://example.org",
    citation="none",
    scale=Scale((Level("Low", "#00ff00"), Level("Serious", "#ff0000"))),
    domains=(
        Domain(
            "D1",
            "First",
            (Question("1.1", "one", YES_NO),),
            Branch("1.1", ((YES, "Serious"), (NO, "Low"))),
        ),
        Domain("D2", "Second", (Question("2.1", "two", YES_NO),), None),
    ),
)


def test_judgements_the_tool_leaves_to_the_assessor_come_from_the_domain_column():
    columns = ["study", "1.1", "2.1", "D2"]
    out = judge(ASSESSOR_TOOL, columns, [{"study": "A", "1.1": "N", "2.1": "Y", "D2": "Low"}])
    assert (out[0]["D1"], out[0]["D2"], out[0]["Overall"]) == ("Low", "Low", "Low")
    rows = [
        {"study": "A", "1.1": "Y", "2.1": "Y", "D2": ""},
        {"study": "B", "1.1": "Y", "2.1": "Y", "D2": "Moderate"},
    ]
    with pytest.raises(ProblemsError) as caught:
        judge(ASSESSOR_TOOL, columns, rows)
    assert [(p.line, p.field) for p in caught.value.problems] == [(2, "D2"), (3, "D2")]
    assert "allowed: Low, Serious" in caught.value.problems[1].message
    assert judge(ASSESSOR_TOOL, columns, [{**rows[0], "D2": "Low"}])[0]["Overall"] == "Serious"


def triage_rows() -> list[dict[str, str]]:
    """Every complete answer to ROBINS-I V2's triage: B1 and B3 always, B2 when B1 is N/PN."""
    made = []
    for b1 in ("Y", "PY", "PN", "N"):
        for b2 in ("Y", "PY", "PN", "N") if b1 in ("PN", "N") else ("",):
            for b3 in ("Y", "PY", "PN", "N"):
                made.append({"study": "Cohort 2019", "B1": b1, "B2": b2, "B3": b3})
    return made


@pytest.mark.parametrize("cells", triage_rows(), ids=lambda c: f"{c['B1']}-{c['B2']}-{c['B3']}")
def test_rob_judge_ends_at_the_triage_where_an_assessment_copy_does(cells: dict[str, str]) -> None:
    answers = {n: Answer(a) for n, a in cells.items() if n.startswith("B") and a}
    copy = ResultAssessment("Cohort 2019", "pain", None, ROBINS_I_V2.id,
                            domains=(DomainAssessment("B", answers),))  # fmt: skip
    ended = triage_judgement(ROBINS_I_V2, copy)
    columns = ["study", "B1", "B2", "B3"]
    if ended is None:  # on to the domains, which this row does not answer
        with pytest.raises(ProblemsError) as refused:
            judge(ROBINS_I_V2, columns, [cells])
        assert not [p for p in refused.value.problems if (p.field or "").startswith("B")]
        return
    [judged] = judge(ROBINS_I_V2, columns, [cells])
    assert judged["Overall"] == ended == "Critical"
    assert all(judged[d.id] == "" for d in ROBINS_I_V2.domains)
