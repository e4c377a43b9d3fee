"""The extraction file's layout: copies -> rows -> copies is exact; bad rows are named."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from review_app.domain.extraction import table
from review_app.domain.extraction.formats import FORMATS, derive
from review_app.domain.extraction.model import Arm, Design, Result, StudyExtraction, same_label
from review_app.domain.vocabulary import ArmRole, EffectMeasure, StudyDesign

README = Path(__file__).resolve().parents[2] / "README.md"
FIELD_IDS = ("country", "setting", "funding")
OUTCOMES = ("pain", "sleep")
VALUE_NAMES = [column.name for column in table.VALUE_COLUMNS]

# Text as a cell holds it: no control characters (XLSX cannot hold them; CSV readers turn CR
# into LF) and no BOM (decoding drops it); blank text is empty text.
_characters = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufeff")
_text = st.text(_characters, max_size=12)
label = _text.filter(lambda text: text.strip() != "")
free_text = st.one_of(st.just(""), label)
name = label.map(str.strip).filter(bool)
number = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
    st.integers(min_value=0, max_value=10_000).map(float),
)


@st.composite
def arms(draw: st.DrawFn) -> tuple[Arm, ...]:
    labels = draw(st.lists(label, max_size=4, unique_by=same_label))
    return tuple(
        Arm(
            label=text,
            role=draw(st.sampled_from(ArmRole)),
            description=draw(free_text),
            randomised=draw(st.one_of(st.none(), st.integers(min_value=0, max_value=5_000))),
        )
        for text in labels
    )


@st.composite
def results(draw: st.DrawFn, arm_labels: Sequence[str]) -> tuple[Result, ...]:
    arm_label = st.sampled_from(arm_labels) if arm_labels else label
    drawn = []
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        result_format = draw(st.sampled_from(sorted(FORMATS)))
        fields = FORMATS[result_format].field_names
        drawn.append(
            Result(
                outcome_id=draw(st.sampled_from(OUTCOMES)),
                timepoint=draw(free_text),
                arm=draw(st.one_of(arm_label, label)),
                format=result_format,
                values=draw(st.dictionaries(st.sampled_from(fields), number, max_size=4)),
                comparator=draw(st.one_of(st.none(), arm_label)),
                measure=draw(st.one_of(st.none(), st.sampled_from(EffectMeasure))),
                adjusted=draw(st.booleans()),
                note=draw(free_text),
            )
        )
    unique = {result.key: result for result in drawn}
    return tuple(unique.values())


@st.composite
def copies(draw: st.DrawFn) -> list[StudyExtraction]:
    made = []
    for study in draw(st.lists(label, max_size=3, unique_by=same_label)):
        for extractor in draw(st.lists(st.one_of(st.none(), name), min_size=1, max_size=3,
                                       unique=True)):  # fmt: skip
            study_arms = draw(arms())
            made.append(
                StudyExtraction(
                    study=study,
                    extractor=extractor,
                    design=Design(
                        kind=draw(st.one_of(st.none(), st.sampled_from(StudyDesign))),
                        mean_cluster_size=draw(st.one_of(st.none(), number)),
                        icc=draw(st.one_of(st.none(), number)),
                        crossover_correlation=draw(st.one_of(st.none(), number)),
                        note=draw(free_text),
                    ),
                    characteristics=draw(
                        st.dictionaries(st.sampled_from(FIELD_IDS), label, max_size=3)
                    ),
                    arms=study_arms,
                    results=draw(results([arm.label for arm in study_arms])),
                    complete=draw(st.booleans()),
                    indirect_evidence=draw(free_text),
                )
            )
    return made


def as_file(rows: list[list[table.Cell]]) -> list[tuple[int, list[str]]]:
    """Rows as a CSV reader gives them: text cells, numbered from 1 (the header)."""
    return [(number, [table.cell_text(cell) for cell in row]) for number, row in
            enumerate(rows, start=1)]  # fmt: skip


def written(made: Sequence[StudyExtraction], field_ids: Sequence[str] = FIELD_IDS) -> list:
    return as_file([table.header(field_ids), *table.to_rows(made, field_ids)])


def read(rows: list[tuple[int, list[str]]], **options: object) -> table.TableRead:
    return table.read_table(rows, field_ids=FIELD_IDS, **options)  # type: ignore[arg-type]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(copies())
def test_copies_written_then_read_are_the_same(made: list[StudyExtraction]) -> None:
    got = read(written(made))
    assert got.problems == []
    assert [parsed.copy for parsed in got.copies] == made


def arm_result(arm: str, values: dict[str, float], **fields: object) -> Result:
    return Result(**{"outcome_id": "pain", "timepoint": "12 weeks", "arm": arm,
                     "format": "mean_sd", "values": values, **fields})  # type: ignore[arg-type]  # fmt: skip


SMITH = StudyExtraction(
    study="Smith 2020",
    extractor="rita",
    design=Design(kind=StudyDesign.PARALLEL),
    characteristics={"country": "Malaysia"},
    arms=(
        Arm("Kratom", ArmRole.INTERVENTION, "kratom tea", 13),
        Arm("Placebo", ArmRole.COMPARATOR, "", 13),
    ),
    results=(
        arm_result("Kratom", {"n": 13, "mean": 4.0, "sd": 1.5}),
        arm_result("Placebo", {"n": 13, "mean": 5.0, "se": 0.5}, format="mean_se"),
        arm_result(
            "Kratom",
            {"estimate": -1.0, "se": 0.6},
            format="estimate_se",
            comparator="Placebo",
            measure=EffectMeasure.MD,
        ),
    ),
)


def smith_rows() -> list[tuple[int, list[str]]]:
    return written([SMITH])


def cell(rows: list[tuple[int, list[str]]], row: int, column: str, value: str) -> None:
    rows[row - 1][1][table.header(FIELD_IDS).index(column)] = value


def test_the_layout_is_one_row_per_arm_then_one_per_result() -> None:
    rows = smith_rows()
    columns = rows[0][1]
    assert [r[columns.index("arm")] for _, r in rows[1:]] == [
        "Kratom", "Placebo", "Kratom", "Placebo", "Kratom"
    ]  # fmt: skip
    assert [r[columns.index("outcome")] for _, r in rows[1:]] == ["", "", "pain", "pain", "pain"]
    assert {r[columns.index("field:country")] for _, r in rows[1:]} == {"Malaysia"}
    mean_se = rows[4][1]
    assert mean_se[columns.index("arm_role")] == "comparator"
    assert mean_se[columns.index("derived_sd")] == repr(0.5 * 13**0.5)  # SD = SE x sqrt(n)
    assert "6.5.2.2" in mean_se[columns.index("derived_formulas")]
    assert rows[5][1][columns.index("comparator")] == "Placebo"
    assert rows[5][1][columns.index("measure")] == "MD"


def test_a_copy_without_arms_or_results_keeps_a_row() -> None:
    bare = StudyExtraction(study="Lee 2019", extractor=None, indirect_evidence="healthy users")
    rows = written([bare])
    assert len(rows) == 2
    assert [parsed.copy for parsed in read(rows).copies] == [bare]


def test_derived_columns_are_ignored_and_columns_may_move_and_change_case() -> None:
    rows = smith_rows()
    cell(rows, 3, "derived_mean", "999")
    order = list(reversed(range(len(rows[0][1]))))
    shuffled = [(n, [cells[i] for i in order]) for n, cells in rows]
    shuffled[0] = (1, [name.upper() for name in shuffled[0][1]])
    assert [parsed.copy for parsed in read(shuffled).copies] == [SMITH]


def test_a_file_with_only_some_columns_reads_the_rest_as_empty() -> None:
    rows = [
        (1, ["Study", "arm", "arm_role", "outcome", "timepoint", "format", "events", "total"]),
        (2, ["Lee 2019", "A", "intervention", "", "", "", "", ""]),
        (3, ["Lee 2019", "A", "", "pain", "8 weeks", "events_total", "3", "20"]),
    ]
    (parsed,) = read(rows).copies
    assert parsed.copy.extractor is None
    assert parsed.copy.arms == (Arm("A", ArmRole.INTERVENTION),)
    assert parsed.copy.results[0].values == {"events": 3.0, "total": 20.0}
    assert parsed.result_rows == (3,)


def test_every_problem_is_listed_with_its_row_and_column() -> None:
    rows = smith_rows()
    cell(rows, 3, "design", "crossover")  # disagrees with row 2
    cell(rows, 4, "sd", "1,5")
    cell(rows, 5, "arm_randomised", "12.5")
    cell(rows, 6, "measure", "ratio")
    cell(rows, 6, "format", "")
    problems = [str(problem) for problem in read(rows).problems]
    assert problems == [
        "row 3, column design: 'crossover' here but 'parallel' on row 2; study 'Smith 2020', "
        "extractor 'rita': the study-level columns must agree on every row of a copy",
        "row 4, column sd: '1,5' is not a number; write e.g. 12.5 (a point as the decimal mark, "
        "no unit)",
        "row 5, column arm_randomised: 12.5 is not allowed; a whole number, 0 or more",
        "row 6, column format: required on a result row; allowed are " + ", ".join(FORMATS),
        "row 6, column measure: 'ratio' is not allowed; allowed are " + ", ".join(EffectMeasure),
    ]


def test_arm_facts_must_agree_and_results_must_not_repeat() -> None:
    rows = smith_rows()
    cell(rows, 5, "arm_description", "sugar pill")  # row 3 (Placebo's own row) says nothing
    rows.append((7, list(rows[3][1])))
    problems = [str(problem) for problem in read(rows).problems]
    assert problems == [
        "row 5, column arm_description: 'sugar pill' here but empty on row 3 for arm "
        "'Placebo'; an arm's columns must agree on every row that gives them",
        "row 7: the same result as row 4 (outcome, time point, arm, comparator, measure and "
        "adjusted all alike); keep one",
    ]


def test_header_problems_name_the_column() -> None:
    rows = smith_rows()
    rows[0][1][rows[0][1].index("field:funding")] = "field:sponsor"
    rows[0][1][rows[0][1].index("note")] = "comment"
    rows[0][1][rows[0][1].index("design_note")] = "STUDY"
    problems = [str(problem) for problem in read(rows).problems]
    assert problems == [
        "row 1, column STUDY: this column appears twice; keep one",
        "row 1, column field:sponsor: not an extraction field of the protocol; its fields are: "
        "country, setting, funding",
        "row 1, column comment: not a column of the extraction file; its columns are in "
        "the README (Extraction files)",
    ]
    no_study = [(1, ["arm", "outcome"]), (2, ["A", "pain"])]
    assert [str(p) for p in read(no_study).problems] == [
        "row 1: no study column: name the study by its label in a 'study' column or by a "
        "report's id, DOI or PMID in a 'report' column"
    ]


def test_a_row_needs_its_study_and_an_arm_row_its_role() -> None:
    rows = [
        (1, ["study", "arm", "arm_role", "arm_description", "outcome"]),
        (2, ["", "A", "intervention", "", ""]),
        (3, ["Lee 2019", "B", "", "", ""]),
        (4, ["Lee 2019", "", "", "tea", ""]),
        (5, ["Lee 2019", "C", "", "tea", "pain"]),
    ]
    assert [str(p) for p in read(rows).problems] == [
        "row 2, column study: name the study: its label in 'study' or a report's id, DOI or "
        "PMID in 'report'",
        "row 3, column arm_role: required to declare an arm (intervention, comparator)",
        "row 4, column arm_description: given without an arm: name the arm in 'arm'",
        "row 5, column arm_description: given without arm_role: give the arm's role too "
        "(intervention, comparator)",
        "row 5, column format: required on a result row; allowed are " + ", ".join(FORMATS),
    ]


def test_reports_name_studies_through_the_resolver() -> None:
    def study_of(report: str) -> str:
        if report.casefold() == "10.1/x":
            return "Smith 2020"
        raise LookupError(f"{report!r} is not a report of a study of this review")

    rows = [
        (1, ["study", "report", "arm", "arm_role"]),
        (2, ["", "10.1/X", "A", "intervention"]),
        (3, ["Smith 2020", "10.1/x", "B", "comparator"]),
        (4, ["", "999", "A", "intervention"]),
        (5, ["Jones 2001", "10.1/x", "A", "intervention"]),
    ]
    got = read(rows, study_of_report=study_of)
    assert [str(p) for p in got.problems] == [
        "row 4, column report: '999' is not a report of a study of this review",
        "row 5, column report: '10.1/x' is a report of 'Smith 2020', not 'Jones 2001'",
    ]
    assert [(p.copy.study, len(p.copy.arms)) for p in got.copies] == [("Smith 2020", 2)]
    assert [str(p) for p in read(rows[:2]).problems] == [
        "row 2, column report: reports cannot be looked up here; name the study"
    ]


def test_text_that_looks_like_a_formula_comes_back_as_written() -> None:
    tricky = StudyExtraction(study="'=HYPERLINK(1)", extractor="'rita", design=Design(note="'"))
    rows = written([tricky])
    # a spreadsheet export's mark before formula-like text is dropped too
    rows[1][1][0] = "'" + rows[1][1][0]
    assert rows[1][1][0] == "'''=HYPERLINK(1)"
    assert read(rows).copies[0].copy.study == "''=HYPERLINK(1)"
    assert [parsed.copy for parsed in read(written([tricky])).copies] == [tricky]


def test_check_copies_names_rows_for_format_rules_and_unknown_arms() -> None:
    bad = StudyExtraction(
        study="Smith 2020",
        extractor=None,
        arms=SMITH.arms,
        results=(
            arm_result("Kratom", {"n": 13, "mean": 4.0, "sd": -1.0}),
            arm_result("Ghost", {"n": 13}, outcome_id="mood"),
            arm_result(
                "Kratom", {"events": 1, "total": 5}, format="events_total", timepoint="24 weeks"
            ),
        ),
    )
    parsed = read(written([bad])).copies
    problems = table.check_copies(parsed, outcome_types={"pain": "continuous"})
    assert [(p.row, p.column) for p in problems] == [
        (4, "sd"),
        (5, "arm"),
        (5, "outcome"),
        (6, "format"),
    ]
    assert "not an arm of this copy" in problems[1].message
    assert problems[2].message == "'mood' is not an outcome of the protocol; its outcomes: pain"


PLAUSIBLE = {
    "n": 20, "mean": 5, "sd": 2, "se": 0.5, "ci_lower": 0.5, "ci_upper": 9, "ci_level": 95,
    "median": 5, "q1": 4, "q3": 6, "minimum": 1, "maximum": 9, "mean_change": -1,
    "sd_change": 2, "mean_baseline": 6, "sd_baseline": 2, "mean_final": 5, "sd_final": 2,
    "correlation": 0.5, "events": 5, "total": 20, "person_time": 100, "estimate": 2,
    "p_value": 0.04, "t": 2.5, "mean_e": 5, "sd_e": 2, "mean_c": 6, "sd_c": 2, "o_minus_e": 2,
    "variance": 4,
}  # fmt: skip


def test_derived_keys_cover_what_derive_makes() -> None:
    """Every value formats.derive makes has its derived_ column (a cluster design adds some)."""
    cluster = Design(kind=StudyDesign.CLUSTER, mean_cluster_size=20, icc=0.05)
    seen: set[str] = set()
    for result_format in FORMATS.values():
        values = {name: PLAUSIBLE[name] for name in result_format.field_names}
        measure = result_format.measures[0] if result_format.contrast else None
        result = Result("pain", "", "A", result_format.id, values, measure=measure,
                        comparator="B" if result_format.contrast else None)  # fmt: skip
        for design in (Design(), cluster):
            seen |= set(derive(result, design=design).values)
    assert seen <= set(table.DERIVED_KEYS)
    assert {"n", "sd", "events", "se", "yi", "n_effective"} <= seen


def test_revman_rows_pair_each_intervention_with_each_comparator() -> None:
    two = StudyExtraction(
        study="Smith 2020",
        extractor=None,
        arms=(*SMITH.arms, Arm("Low dose", ArmRole.INTERVENTION)),
        results=(
            *SMITH.results,
            arm_result("Kratom", {"n": 10, "mean": 3.0}, timepoint="24 weeks"),
        ),
    )
    assert table.revman_header("continuous") == [
        "Study", "Time point", "Intervention arm", "Comparator arm",
        "Intervention mean", "Intervention SD", "Intervention total",
        "Comparator mean", "Comparator SD", "Comparator total", "Note",
    ]  # fmt: skip
    rows = table.revman_rows([two], outcome_id="pain", outcome_type="continuous")
    assert rows == [
        ["Smith 2020", "12 weeks", "Kratom", "Placebo", 4, 1.5, 13, 5, 0.5 * 13**0.5, 13, None],
        ["Smith 2020", "12 weeks", "Low dose", "Placebo", None, None, None, 5,
         0.5 * 13**0.5, 13, "Low dose: no result at this time point"],
        ["Smith 2020", "24 weeks", "Kratom", "Placebo", 3, None, 10, None, None, None,
         "Kratom: not derivable (sd); Placebo: no result at this time point"],
    ]  # fmt: skip


def test_revman_rows_say_why_a_study_cannot_be_entered() -> None:
    contrast_only = StudyExtraction(
        study="Vicknasingam 2020",
        extractor=None,
        arms=SMITH.arms,
        results=(SMITH.results[2],),
        indirect_evidence="healthy volunteers",
    )
    (row,) = table.revman_rows([contrast_only], outcome_id="pain", outcome_type="continuous")
    assert row[:4] == ["Vicknasingam 2020", "12 weeks", None, None]
    assert row[-1] == (
        "indirect evidence, left out of the main analyses (healthy volunteers); between-arm "
        "results only (MD): enter them as generic inverse variance (derived_yi and derived_se "
        "in the Extraction sheet)"
    )
    assert table.revman_rows([contrast_only], outcome_id="sleep", outcome_type="continuous") == []


def test_the_columns_document_is_made_from_the_declarations() -> None:
    readme = README.read_text(encoding="utf-8")
    start = readme.index("<!-- extraction-columns")
    end = readme.index("<!-- /extraction-columns -->") + len("<!-- /extraction-columns -->")
    assert readme[start:end] == table.columns_markdown()
    names = [column.name for column in table.COLUMNS]
    assert len(names) == len(set(names))
    for column in table.COLUMNS:
        assert f"| `{column.name}` |" in table.columns_markdown()


@pytest.mark.parametrize("bad", ["nan", "inf", "1e999", "twelve"])
def test_numbers_must_be_finite(bad: str) -> None:
    rows = smith_rows()
    cell(rows, 4, "mean", bad)
    assert [(p.row, p.column) for p in read(rows).problems] == [(4, "mean")]
