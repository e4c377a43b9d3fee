"""The risk-of-bias files' layouts: copies -> rows -> copies is exact; bad cells are named by row
and column; robvis's layout from a plot table and back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from review_app.domain.appraisal import table
from review_app.domain.appraisal.model import ALL_OUTCOMES, DomainAssessment, ResultAssessment
from review_app.domain.appraisal.plots import Judgement, RobDomain, RobRow, RobTable
from review_app.domain.appraisal.rob2 import ROB2
from review_app.domain.appraisal.rob2_variants import ROB2_CROSSOVER
from review_app.domain.appraisal.robins_i import ROBINS_I
from review_app.domain.appraisal.robins_i_v2 import ROBINS_I_V2
from review_app.domain.appraisal.tool import Answer, Tool, recordable_answers
from review_app.domain.appraisal.tools import TOOLS
from review_app.exporters.tabular import table_csv
from review_app.importers.tabular import read_table

README = Path(__file__).resolve().parents[2] / "README.md"

# Text as a cell holds it: no control characters (XLSX cannot hold them; CSV readers turn CR
# into LF), no BOM; a cell of spaces only is empty, so free text is empty or has a letter.
_characters = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufeff")
_text = st.text(_characters, max_size=12)
free_text = st.one_of(st.just(""), _text.filter(lambda text: text.strip() != ""))
name = _text.map(str.strip).filter(bool)


@st.composite
def domain_assessments(draw: st.DrawFn, tool: Tool, variant: str) -> tuple[DomainAssessment, ...]:
    """Each domain of the variant maybe assessed: some of its questions (a domain may have none,
    as the crossover tool's Domain S) answered with answers they may hold, maybe a judgement and
    support; a tool's triage (ROBINS-I V2's B) as a domain."""
    made = []
    for domain in (*((tool.triage,) if tool.triage else ()), *tool.domains_for(variant)):
        answered = (
            draw(st.lists(st.sampled_from(domain.questions), unique=True))
            if (domain.questions)
            else []
        )
        answers = {q.number: draw(st.sampled_from(recordable_answers(q))) for q in answered}
        judgement = draw(st.one_of(st.none(), st.sampled_from(tool.scale.ids)))
        support = draw(free_text)
        if answers or judgement or support:
            made.append(DomainAssessment(domain.id, answers, judgement, support))
    return tuple(made)


@st.composite
def copies(draw: st.DrawFn) -> list[ResultAssessment]:
    keys = draw(
        st.lists(
            st.tuples(name, st.sampled_from(["pain", "sleep", ALL_OUTCOMES]), st.none() | name),
            max_size=4,
            unique_by=lambda key: (key[0].casefold(), key[1], (key[2] or "").casefold()),
        )
    )
    made = []
    for study, outcome, assessor in keys:
        tool = draw(st.sampled_from(list(TOOLS.values())))
        variant = draw(st.sampled_from(["", *(v.id for v in tool.variants)]))
        made.append(
            ResultAssessment(
                study=study,
                outcome_id=outcome,
                assessor=assessor,
                tool=tool.id,
                variant=variant,
                domains=draw(domain_assessments(tool, variant)),
                overall=draw(st.one_of(st.none(), st.sampled_from(tool.scale.ids))),
                overall_support=draw(free_text),
                complete=draw(st.booleans()),
            )
        )
    return made


def cell_text(cell: table.Cell) -> str:
    if cell is None:
        return ""
    return cell if isinstance(cell, str) else repr(cell)


def written(made: Sequence[ResultAssessment]) -> list[tuple[int, list[str]]]:
    """The full layout as a CSV reader gives it: text cells, numbered from 1 (the header)."""
    tools = table.tools_of(made)
    lines: list[Sequence[table.Cell]] = [table.full_header(tools), *table.full_rows(made, tools)]
    return [(number, [cell_text(c) for c in line]) for number, line in enumerate(lines, start=1)]


def read(rows: list[tuple[int, list[str]]]) -> table.TableRead:
    return table.read_full(rows[0][1], rows[1:], source="rob.csv")


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(copies())
def test_copies_written_then_read_are_the_same(made: list[ResultAssessment]) -> None:
    got = read(written(made))
    assert got.problems == []
    assert [read_copy.copy for read_copy in got.copies] == made
    assert [read_copy.row for read_copy in got.copies] == list(range(2, len(made) + 2))


SMITH = ResultAssessment(
    study="Smith 2020",
    outcome_id="pain",
    assessor="rita",
    tool="rob2",
    domains=(
        DomainAssessment(
            "D1",
            {"1.1": Answer.Y, "1.2": Answer.Y, "1.3": Answer.N},
            "Low",
            "'Computer-generated list' (p. 3)",
        ),
        DomainAssessment("D5", {}, "High", "=not pre-registered"),
    ),
    overall="High",
    complete=True,
)


def cell(rows: list[tuple[int, list[str]]], row: int, column: str, value: str) -> None:
    rows[row - 1][1][rows[0][1].index(column)] = value


def problems_of(rows: list[tuple[int, list[str]]]) -> list[tuple[int | None, str | None, str]]:
    return [(p.line, p.field, p.message) for p in read(rows).problems]


def test_one_row_per_copy_with_answers_judgements_and_support_in_their_columns() -> None:
    rows = written([SMITH])
    header, line = rows[0][1], rows[1][1]
    assert header[:6] == ["study", "outcome", "assessor", "tool", "variant", "complete"]
    assert header[-2:] == ["Overall", "Overall support"]
    assert (
        header.index("1.3") < header.index("D1") < header.index("D1 support") < header.index("2.1")
    )
    value = dict(zip(header, line, strict=True))
    assert value["1.1"] == "Y" and value["1.3"] == "N" and value["2.1"] == ""
    assert value["D1"] == "Low" and value["D5"] == "High" and value["D2"] == ""
    assert value["D1 support"] == "''Computer-generated list' (p. 3)"  # the text mark doubled
    assert value["complete"] == "yes" and value["assessor"] == "rita"
    assert "6.1" not in header  # RoB 2 only: ROBINS-I's columns are not written


def test_every_tool_s_columns_are_declared_with_a_meaning() -> None:
    columns = table.full_columns((ROB2, ROBINS_I))
    names = [column.name for column in columns]
    assert len(names) == len(set(names))
    assert all(column.meaning for column in columns)
    assert {"1.8", "4.6", "7.3", "D7", "D7 support"} <= set(names)


def test_bad_cells_are_named_by_row_and_column() -> None:
    rows = written([SMITH, replace(SMITH, assessor="sam")])
    cell(rows, 2, "1.2", "maybe")
    cell(rows, 2, "D1", "Moderate")  # a ROBINS-I judgement, not RoB 2's
    cell(rows, 3, "tool", "rob3")
    cell(rows, 3, "complete", "done")
    assert problems_of(rows) == [
        (2, "1.2", "'maybe' is not an answer RoB 2 allows to 1.2; allowed: Y, PY, PN, N, NI, "
         "or empty"),
        (2, "D1", "'Moderate' is not a RoB 2 judgement; allowed: Low, Some concerns, High"),
        (3, "tool", f"'rob3' is not a tool; allowed are {', '.join(TOOLS)}"),
        (3, "complete", "'done': yes, no, or empty (no)"),
    ]  # fmt: skip


def test_an_answer_the_question_cannot_hold_is_named_with_those_it_can():
    """Another tool's answer (ROBINS-I V2's strong yes), NA to a question always asked, NI to
    one that does not offer it: each listed with the answers that question may hold."""
    rows = written([SMITH])
    cell(rows, 2, "1.1", "SY")
    cell(rows, 2, "1.3", "not applicable")
    cell(rows, 2, "3.2", "NI")  # 3.2 is asked after N/PN/NI to 3.1 and offers no NI
    assert problems_of(rows) == [
        (2, "1.1", "'SY' is not an answer RoB 2 allows to 1.1; allowed: Y, PY, PN, N, NI, "
         "or empty"),
        (2, "1.3", "'not applicable' is not an answer RoB 2 allows to 1.3; allowed: Y, PY, PN, "
         "N, NI, or empty"),
        (2, "3.2", "'NI' is not an answer RoB 2 allows to 3.2; allowed: Y, PY, PN, N, NA, "
         "or empty"),
    ]  # fmt: skip
    rows = written([SMITH])
    cell(rows, 2, "3.2", "NA")  # not asked here: NA is what it holds
    assert problems_of(rows) == []


def test_the_crossover_tool_s_domain_s_and_5_4_are_written_and_read():
    copy = ResultAssessment(
        study="Ng 2022",
        outcome_id="pain",
        assessor=None,
        tool=ROB2_CROSSOVER.id,
        domains=(
            DomainAssessment("DS", {}, "Some concerns", "washout of two days only"),
            DomainAssessment("D5", {"5.1": Answer.Y, "5.4": Answer.PN}, "Low"),
        ),
    )
    rows = written([copy])
    assert [name for name in rows[0][1] if name[:1] == "D" and " " not in name] == [
        "D1", "D2", "DS", "D3", "D4", "D5"
    ]  # fmt: skip
    assert [read_copy.copy for read_copy in read(rows).copies] == [copy]
    rows = written([SMITH])  # RoB 2 has no Domain S: a judgement there is named, not dropped
    rows[0][1].append("DS")
    rows[1][1].append("Low")
    assert problems_of(rows) == [(2, "DS", "RoB 2 has no domain DS; leave it empty")]


def test_robins_i_v2_s_triage_is_written_and_read_before_the_domains() -> None:
    ended = ResultAssessment(
        study="Grundmann 2017",
        outcome_id="pain",
        assessor=None,
        tool=ROBINS_I_V2.id,
        domains=(
            DomainAssessment("B", {"B1": Answer.N, "B2": Answer.Y, "B3": Answer.N}, "Critical"),
        ),
        overall="Critical",
    )
    rows = written([ended])
    header = rows[0][1]
    assert header[header.index("B1") : header.index("B1") + 5] == [
        "B1", "B2", "B3", "B", "B support"
    ]  # fmt: skip
    assert header.index("B") < header.index("1.1")
    assert [read_copy.copy for read_copy in read(rows).copies] == [ended]
    rows = written([SMITH, ended])  # RoB 2 has no triage: an answer there is named, not dropped
    cell(rows, 2, "B1", "Y")
    assert problems_of(rows) == [
        (2, "B1", "RoB 2 (default variant) has no question with this number; leave it empty")
    ]


def test_a_triage_that_ends_the_assessment_is_robvis_s_empty_domains_and_overall_critical():
    critical = RobRow("Grundmann 2017", (None,) * 6, "Critical", None)
    domains = tuple(RobDomain(d.id, d.label) for d in ROBINS_I_V2.domains)
    scale = tuple(
        Judgement(level.id, level.colour, level.symbol) for level in ROBINS_I_V2.scale.levels
    )
    rob = RobTable(ROBINS_I_V2.name, domains, scale, (critical,))
    assert table.robvis_rows(rob) == [["Grundmann 2017", *(None,) * 6, "Critical", None]]
    [back] = table.read_robvis(
        table.robvis_header(rob),
        [(2, ["Grundmann 2017", *[""] * 6, "Critical", ""])],
        outcome_id="pain",
        source="rob.csv",
    ).copies
    assert (back.copy.domains, back.copy.overall) == ((), "Critical")


def test_a_question_or_domain_the_row_s_tool_or_variant_lacks_is_refused() -> None:
    header = table.full_header((ROB2, ROBINS_I))
    line = dict.fromkeys(header, "")
    line.update({"study": "Lee 2019", "outcome": "pain", "tool": "rob2", "variant": "adherence",
                 "2.7": "Y", "6.1": "N", "D6": "Low"})  # fmt: skip
    rows = [(1, header), (2, [line[c] for c in header])]
    assert [(p.line, p.field) for p in read(rows).problems] == [(2, "2.7"), (2, "6.1"), (2, "D6")]


def test_a_copy_named_twice_and_the_needed_cells_and_columns_are_problems() -> None:
    rows = written([SMITH, SMITH])
    cell(rows, 3, "study", "smith 2020 ")
    assert problems_of(rows)[0][:2] == (3, "study")
    assert "row 2 already" in problems_of(rows)[0][2]
    rows = written([SMITH])
    cell(rows, 2, "study", " ")
    cell(rows, 2, "outcome", "")
    assert [(line, field) for line, field, _ in problems_of(rows)] == [
        (2, "study"), (2, "outcome")
    ]  # fmt: skip
    header = ["Study ", "outcome", "D1", "colour", "D1"]
    assert [(p.line, p.field) for p in table.read_full(header, [], source="f").problems] == [
        (1, "colour"),
        (1, "D1"),
        (1, "tool"),
    ]


def test_names_match_without_case_and_words_are_read_as_the_guidance_writes_them() -> None:
    header = ["Study", "Outcome", "TOOL", "1.1", "D1", "OVERALL"]
    got = table.read_full(
        header, [(2, ["Lee", "pain", "RoB 2", "probably yes", "low", "some concerns"])], source="f"
    )
    assert got.problems == []
    [copy] = [read_copy.copy for read_copy in got.copies]
    assert copy.tool == "rob2" and copy.assessor is None and copy.overall == "Some concerns"
    assert copy.domains == (DomainAssessment("D1", {"1.1": Answer.PY}, "Low", ""),)


TABLE = RobTable(
    tool="RoB 2",
    domains=tuple(RobDomain(d.id, d.label) for d in ROB2.domains),
    scale=tuple(Judgement(level.id, level.colour, level.symbol) for level in ROB2.scale.levels),
    rows=(
        RobRow("Lee 2019", ("Low", "Some concerns", None, "Low", "High"), "High", 12.5),
        RobRow("=Tan 2021", ("Low",) * 5, "Low", None),
    ),
)


def test_robvis_layout_is_study_domains_overall_weight() -> None:
    assert table.robvis_header(TABLE) == ["Study", "D1", "D2", "D3", "D4", "D5", "Overall",
                                          "Weight"]  # fmt: skip
    assert table.robvis_rows(TABLE)[0] == ["Lee 2019", "Low", "Some concerns", None, "Low",
                                           "High", "High", 12.5]  # fmt: skip


def test_robvis_rows_read_back_as_consensus_judgements_of_the_outcome() -> None:
    lines: list[Sequence[table.Cell]] = [table.robvis_header(TABLE), *table.robvis_rows(TABLE)]
    rows = [(n, [cell_text(c) for c in line]) for n, line in enumerate(lines, start=1)]
    assert table.is_robvis(rows[0][1]) and not table.is_robvis(written([SMITH])[0][1])
    got = table.read_robvis(rows[0][1], rows[1:], outcome_id="pain", source="robvis.csv")
    assert got.problems == []
    lee = got.copies[0].copy
    assert (lee.study, lee.outcome_id, lee.assessor, lee.tool) == ("Lee 2019", "pain", None, "rob2")
    assert [(d.domain, d.judgement, dict(d.answers)) for d in lee.domains] == [
        ("D1", "Low", {}), ("D2", "Some concerns", {}), ("D4", "Low", {}), ("D5", "High", {})
    ]  # fmt: skip
    assert lee.overall == "High"
    assert got.copies[1].copy.study == "=Tan 2021"


def test_robvis_header_names_the_tool_and_bad_judgements_are_named() -> None:
    header = ["Study", "D1", "D2", "D3", "D4", "D5", "D6", "D7", "Overall"]
    got = table.read_robvis(
        header, [(2, ["Ng", "Low", "Serious", "", "", "", "", "", "High"])], outcome_id="*",
        source="r.csv",
    )  # fmt: skip
    assert [(p.line, p.field) for p in got.problems] == [(2, "Overall")]  # High is not ROBINS-I's
    bad = table.read_robvis(["Study", "D1", "D2", "Overall"], [], outcome_id="*", source="r.csv")
    assert "no tool's" in bad.problems[0].message


def test_the_readme_holds_the_columns_section() -> None:
    readme = README.read_text(encoding="utf-8")
    start = readme.index("<!-- rob-columns:")
    end = readme.index("<!-- /rob-columns -->") + len("<!-- /rob-columns -->")
    assert readme[start:end] == table.columns_markdown()


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(copies())
def test_copies_through_the_csv_bytes_are_the_same(made: list[ResultAssessment]) -> None:
    """Through the export's CSV writer (formula-like text neutralised) and the import's reader."""
    tools = table.tools_of(made)
    data = table_csv(table.full_header(tools), table.full_rows(made, tools), excel=True)
    file = read_table(data, source="rob.csv")
    got = table.read_full(file.columns, file.rows, source="rob.csv")
    assert got.problems == []
    assert [read_copy.copy for read_copy in got.copies] == made
