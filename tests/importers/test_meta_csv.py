"""The meta-analysis data file: each layout read into the engine's study data, conversions kept
with their formulas, and every impossible value refused with its row and column."""

from __future__ import annotations

import csv
import io
import math

import pytest

from review_app.domain.meta.model import Continuous, Dichotomous, Generic
from review_app.domain.vocabulary import EffectMeasure
from review_app.errors import ProblemsError
from review_app.importers.meta_csv import Layout, MetaFile, read_meta_file
from tests.conftest import shared_data

RR, MD = EffectMeasure.RR, EffectMeasure.MD


def read(text: str, measure: EffectMeasure = RR, subgroup: str | None = None) -> MetaFile:
    data = text.encode("utf-8")
    return read_meta_file(data, source="data.csv", measure=measure, subgroup=subgroup)


def problems(text: str, measure: EffectMeasure = RR, subgroup: str | None = None) -> list[str]:
    with pytest.raises(ProblemsError) as raised:
        read(text, measure, subgroup)
    return [str(problem) for problem in raised.value.problems]


def test_dichotomous_rows_are_two_by_two_tables_with_their_subgroup() -> None:
    read_file = read(
        "Study,Events_T,N_T,Events_C,N_C,alloc\nAronson 1948,4,123,11,139,random\n"
        "Ferguson 1949,6,306,29,303,systematic\n",
        subgroup="alloc",
    )
    assert read_file.layout == Layout.DICHOTOMOUS
    assert read_file.data == (
        Dichotomous("Aronson 1948", 4, 123, 11, 139),
        Dichotomous("Ferguson 1949", 6, 306, 29, 303),
    )
    assert read_file.groups == {"Aronson 1948": "random", "Ferguson 1949": "systematic"}
    assert [s.line for s in read_file.studies] == [2, 3]
    assert not any(s.converted for s in read_file.studies)


def test_continuous_arms_from_a_median_or_an_se_are_converted_and_flagged() -> None:
    read_file = read(
        "study,n_t,mean_t,sd_t,median_t,q1_t,q3_t,n_c,mean_c,sd_c,se_c\n"
        "Plain,20,5,1,,,,22,4,1.2,\n"
        "Skewed,30,,,5,3,8,31,4,,0.3\n",
        MD,
    )
    plain, skewed = read_file.studies
    assert plain.data == Continuous("Plain", 5, 1, 20, 4, 1.2, 22)
    assert not plain.converted and not plain.estimated
    assert isinstance(skewed.data, Continuous)
    # Luo 2018 mean from the quartiles (w = 0.7 + 0.39 / n), Wan 2014 SD; the comparator's SD
    # from its SE (SD = SE x sqrt(n)): the same formulas as the review's extraction.
    w = 0.7 + 0.39 / 30
    assert skewed.data.mean_t == pytest.approx(w * (3 + 8) / 2 + (1 - w) * 5, rel=1e-12)
    assert skewed.data.sd_c == pytest.approx(0.3 * math.sqrt(31), rel=1e-12)
    assert skewed.estimated and skewed.converted
    formulas = [step.formula for d in skewed.derivations.values() for step in d.steps]
    assert formulas[-1] == "SD = SE × √n"
    assert len(formulas) == 3


def test_an_estimate_with_its_ci_is_logged_for_a_ratio() -> None:
    read_file = read("study,estimate,ci_low,ci_high\nA,0.5,0.25,1\n")
    [study] = read_file.studies
    assert read_file.layout == Layout.ESTIMATE
    se = (math.log(1) - math.log(0.25)) / (2 * 1.959963984540054)
    assert isinstance(study.data, Generic)
    assert study.data.yi == math.log(0.5)
    assert study.data.vi == pytest.approx(se**2, rel=1e-12)
    assert study.converted and not study.estimated


def test_an_estimate_of_a_difference_is_not_logged() -> None:
    [study] = read("study,estimate,se\nA,-2.5,0.5\n", MD).studies
    assert study.data == Generic("A", -2.5, 0.25)


def test_generic_rows_are_taken_as_they_are() -> None:
    read_file = read("study,yi,vi,note\nA,-0.88,0.33,other columns are left alone\n")
    assert read_file.data == (Generic("A", -0.88, 0.33),)
    assert problems("study,yi,vi\nB,NA,0.1\n") == ["data.csv, line 2, yi: empty; each row needs it"]


def test_a_workbook_is_read_as_a_csv_file() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (("study", "yi", "vi"), ("A", -0.5, 0.2), ("B", 0.1, 0.05)):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    read_file = read_meta_file(buffer.getvalue(), source="data.xlsx", measure=MD)
    assert read_file.data == (Generic("A", -0.5, 0.2), Generic("B", 0.1, 0.05))


@pytest.mark.parametrize(
    ("text", "measure", "expected"),
    [
        (
            "study,events_t,n_t,events_c,n_c\nA,7,5,1,10\n",
            RR,
            ["data.csv, line 2, n_t: Total (5) cannot be below Events (7)."],
        ),
        (
            "study,n_t,mean_t,sd_t,n_c,mean_c,sd_c\nA,10,1,-2,10,1,1\n",
            MD,
            ["data.csv, line 2, sd_t: SD must be above 0 (got -2)."],
        ),
        (
            "study,events_t,n_t,events_c,n_c\nA,1,10,x,10\nB,1,,1,10\n",
            RR,
            [
                "data.csv, line 2, events_c: 'x' is not a number",
                "data.csv, line 3, n_t: empty; each row needs it",
            ],
        ),
        (
            "study,yi,vi\nA,0.1,0\n,0.2,0.1\n",
            MD,
            [
                "data.csv, line 2, vi: vi must be above 0 (got 0)",
                "data.csv, line 3, study: empty; each row needs it",
            ],
        ),
        (
            "study,estimate,ci_low,ci_high\nA,-0.5,0.2,0.9\n",
            RR,
            [
                "data.csv, line 2, estimate: Estimate (-0.5) cannot be below CI lower limit (0.2).",
                "data.csv, line 2, estimate: Estimate of a risk ratio must be above 0: the ratio "
                "itself, not its log (got -0.5).",
            ],
        ),
        (
            "study,n_t,mean_t,n_c,mean_c,sd_c\nA,10,1,10,1,1\n",
            MD,
            [
                "data.csv, line 2, sd_t: sd_t is empty; give it, or se_t, or ci_lower_t and "
                "ci_upper_t"
            ],
        ),
        (
            "study,yi,vi\nA,0.1,0.1\na,0.2,0.1\n",
            MD,
            ["data.csv, line 3, study: 'a' is also the study of row 2; name each study once"],
        ),
        ("study,yi,vi\n", MD, ["data.csv, line 1: no study rows below the header; k is 0"]),
    ],
)
def test_impossible_values_are_named_by_row_and_column(
    text: str, measure: EffectMeasure, expected: list[str]
) -> None:
    assert problems(text, measure) == expected


def test_a_file_of_no_layout_or_the_wrong_measure_is_refused_at_its_header() -> None:
    [unknown] = problems("study,a,b\nA,1,2\n")
    assert unknown.startswith("data.csv, line 1: the columns fit no layout; the first row names")
    assert "dichotomous: study, events_t, n_t, events_c, n_c" in unknown
    assert problems("study,events_t,n_t\nA,1,2\n") == [
        "data.csv, line 1: no column events_c, n_c; dichotomous files have study, events_t, "
        "n_t, events_c, n_c"
    ]
    [no_study] = problems("trial,yi,vi\nA,1,2\n")
    assert no_study.startswith("data.csv, line 1: no 'study' column")
    assert problems("study,events_t,n_t,events_c,n_c\nA,1,10,1,10\n", MD) == [
        "data.csv, line 1: the measure MD does not fit dichotomous data; allowed: RR, OR, RD"
    ]


def test_a_subgroup_column_must_exist_and_be_filled_in() -> None:
    assert problems("study,yi,vi\nA,0.1,0.1\n", MD, subgroup="dose") == [
        "data.csv, line 1, dose: no such column for the subgroups; name a column of the file"
    ]
    assert problems("study,yi,vi,dose\nA,0.1,0.1,\n", MD, subgroup="dose") == [
        "data.csv, line 2, dose: empty; each row needs it"
    ]


def test_the_bcg_trials_read_as_their_two_by_two_tables() -> None:
    """dat.bcg (R metadat) in the contract's layout: events and totals per arm."""
    with shared_data("meta_analysis", "dat.bcg.csv").open(newline="") as source:
        rows = list(csv.DictReader(source))
    lines = ["study,events_t,n_t,events_c,n_c"]
    for row in rows:
        tpos, tneg, cpos, cneg = (int(row[k]) for k in ("tpos", "tneg", "cpos", "cneg"))
        lines.append(f'"{row["author"]} {row["year"]}",{tpos},{tpos + tneg},{cpos},{cpos + cneg}')
    read_file = read("\n".join(lines) + "\n")
    assert len(read_file.data) == 13
    assert read_file.data[0] == Dichotomous("Aronson 1948", 4, 123, 11, 139)
