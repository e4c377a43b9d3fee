"""`review-app meta-analyse`: the shared metafor 3.8-1 reference datasets written in the contract's
column layouts give metafor's numbers in the JSON (every method of the grid, z and Hartung-Knapp,
Mantel-Haenszel and Peto; per-study yi and vi as escalc); subgroups, the readable table, the forest
plot; bad input is one sentence per problem with the file, row and column, exit code 1 (as every
command's ReviewAppError, Typer's usage errors keeping 2); and the
review's own consensus data with --outcome."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from review_app.cli import INPUT_ERROR, app
from review_app.db import make_engine, session_scope
from review_app.domain.extraction.model import Arm, Result, StudyExtraction
from review_app.domain.vocabulary import ArmRole
from review_app.errors import ReviewAppError
from review_app.services.extraction import replace_copies
from review_app.services.permissions import Actor
from review_app.services.reviews import create_review
from review_app.services.studies import create_study
from tests.conftest import KRATOM_PROTOCOL, REPO_ROOT, shared_data
from tests.database_templates import migrated_sqlite
from tests.services.screening_helpers import import_titles

REFERENCE = "metafor_3.8-1_pooled_results.csv"
# The contract's JSON field -> the reference CSV's column (metafor's rma object).
FIELDS = {
    "k": "k",
    "estimate": "estimate",
    "se": "se",
    "ci_low": "ci_lb",
    "ci_high": "ci_ub",
    "tau2": "tau2",
    "i2": "I2",
    "q": "QE",
    "q_df": "QE_df",
    "q_p": "QEp",
    "pi_low": "pi_lb",
    "pi_high": "pi_ub",
}
PAIN = "pain_intensity"
FIXED = {"EE", "MH", "PETO"}  # metafor writes tau2 = 0 for them; the engine gives none


def run(*args: str) -> tuple[int, str, str]:
    """The exit code, stdout and stderr as ``review_app.cli.main`` gives them: a ReviewAppError
    is "error: " and its sentence on stderr, with INPUT_ERROR."""
    result = CliRunner().invoke(app, list(args))
    if isinstance(result.exception, ReviewAppError):
        return INPUT_ERROR, result.stdout, f"error: {result.exception}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def rows_of(name: str) -> list[dict[str, str]]:
    with shared_data("meta_analysis", name).open(newline="", encoding="utf-8") as source:
        return list(csv.DictReader(source))


def write(path: Path, header: str, lines: list[str]) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def bcg(folder: Path) -> Path:
    """dat.bcg as 2x2 tables (events and totals per arm), with its allocation for subgroups."""
    lines = []
    for r in rows_of("dat.bcg.csv"):
        tpos, tneg, cpos, cneg = (int(r[k]) for k in ("tpos", "tneg", "cpos", "cneg"))
        label = f"{r['author']} {r['year']}"
        lines.append(f'"{label}",{tpos},{tpos + tneg},{cpos},{cpos + cneg},{r["alloc"]}')
    return write(folder / "bcg.csv", "study,events_t,n_t,events_c,n_c,alloc", lines)


def li2007(folder: Path) -> Path:
    lines = [
        f"{r['study']} {r['year']},{r['ai']},{r['n1i']},{r['ci']},{r['n2i']}"
        for r in rows_of("dat.li2007.csv")
    ]
    return write(folder / "li2007.csv", "study,events_t,n_t,events_c,n_c", lines)


def normand1999(folder: Path) -> Path:
    lines = [
        ",".join([r["source"], r["m1i"], r["sd1i"], r["n1i"], r["m2i"], r["sd2i"], r["n2i"]])
        for r in rows_of("dat.normand1999.csv")
    ]
    header = "study,mean_t,sd_t,n_t,mean_c,sd_c,n_c"
    return write(folder / "normand1999.csv", header, lines)


DATASETS = {"dat.bcg": bcg, "dat.li2007": li2007, "dat.normand1999": normand1999}


def close(ours: Any, theirs: str) -> bool:
    """Equal within 1e-6 relative (1e-9 absolute near 0), as the issue asks."""
    return math.isclose(float(ours), float(theirs), rel_tol=1e-6, abs_tol=1e-9)


def options_for(reference: dict[str, str]) -> list[str]:
    measure = reference["measure"].split()[0]  # "OR (Peto)" is Peto's odds ratio
    method = reference["method"]
    return ["--measure", measure, "--method", method, *(["--hksj"] * (reference["test"] == "knha"))]


def test_every_reference_analysis_gives_metafors_numbers(tmp_path: Path) -> None:
    references = rows_of(REFERENCE)
    files = {name: make(tmp_path) for name, make in DATASETS.items()}
    checked = 0
    for reference in references:
        code, out, err = run("meta-analyse", str(files[reference["dataset"]]), "--json",
                             *options_for(reference))  # fmt: skip
        assert code == 0, (reference["function_call"], err)
        result = json.loads(out)
        for field, column in FIELDS.items():
            theirs = reference[column]
            if theirs == "NA":
                continue
            ours = result[field]
            if ours is None and field == "tau2" and reference["method"] in FIXED:
                assert float(theirs) == 0
                continue
            assert close(ours, theirs), (reference["analysis"], reference["function_call"], field)
        if reference["measure"] in ("RR", "OR", "OR (Peto)"):
            assert close(result["exp_estimate"], str(math.exp(float(reference["estimate"]))))
            assert close(result["exp_ci_low"], str(math.exp(float(reference["ci_lb"]))))
            assert close(result["exp_ci_high"], str(math.exp(float(reference["ci_ub"]))))
        else:
            assert "exp_estimate" not in result
        checked += 1
    assert checked == len(references) == 132


def test_per_study_gives_escalcs_effect_sizes_and_the_weights(tmp_path: Path) -> None:
    expected: dict[str, list[dict[str, str]]] = {}
    for row in rows_of("metafor_3.8-1_escalc_effect_sizes.csv"):
        expected.setdefault(row["analysis"], []).append(row)
    files = {name: make(tmp_path) for name, make in DATASETS.items()}
    for analysis, rows in expected.items():
        dataset = {"bcg": "dat.bcg", "li2007": "dat.li2007", "normand1999": "dat.normand1999"}
        path = files[dataset[analysis.split("_")[0]]]
        code, out, err = run("meta-analyse", str(path), "--measure", rows[0]["measure"],
                             "--method", "EE", "--json", "--per-study")  # fmt: skip
        assert code == 0, err
        studies = json.loads(out)["studies"]
        assert [s["study"] for s in studies] == [r["study"] for r in rows]
        for ours, theirs in zip(studies, rows, strict=True):
            assert close(ours["yi"], theirs["yi"]) and close(ours["vi"], theirs["vi"])
        weights = [1 / float(r["vi"]) for r in rows]  # EE: inverse-variance weights in percent
        for ours, weight in zip(studies, weights, strict=True):
            assert math.isclose(ours["weight"], 100 * weight / sum(weights), rel_tol=1e-9)


def test_subgroups_by_a_column_and_the_test_for_differences(tmp_path: Path) -> None:
    path = bcg(tmp_path)
    code, out, _ = run(
        "meta-analyse", str(path), "--measure", "RR", "--json", "--subgroup", "alloc"
    )
    assert code == 0
    result = json.loads(out)
    names = [part["name"] for part in result["subgroups"]]
    assert names == ["random", "alternate", "systematic"]
    assert result["subgroup_difference"]["df"] == 2
    # Each subgroup is its own analysis: the same as the file of its studies alone.
    lines = path.read_text(encoding="utf-8").splitlines()
    random = write(
        tmp_path / "random.csv", lines[0], [x for x in lines[1:] if x.endswith("random")]
    )
    _, alone, _ = run("meta-analyse", str(random), "--measure", "RR", "--json")
    assert result["subgroups"][0]["estimate"] == json.loads(alone)["estimate"]
    assert result["subgroups"][0]["k"] == json.loads(alone)["k"] == 7


def test_the_readable_table_and_the_forest_plot(tmp_path: Path) -> None:
    plot = tmp_path / "forest.svg"
    code, out, _ = run("meta-analyse", str(bcg(tmp_path)), "--measure", "RR", "--method",
                       "REML", "--hksj", "--plot", str(plot))  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Risk ratio (IV, Random, 95% CI)"
    assert "Aronson 1948" in lines[3] and lines[3].endswith("0.41 [0.13, 1.26]")
    assert any(line.startswith("Total (95% CI)") for line in lines)
    assert "Heterogeneity: Tau² = 0.31; Chi² = 152.23, df = 12 (P < 0.00001); I² = 92%" in lines
    assert "CI calculated by Hartung-Knapp-Sidik-Jonkman method." in lines
    assert f"Wrote {plot}." in lines
    assert b"<svg" in plot.read_bytes()


def test_a_converted_study_is_marked_and_its_formulas_listed(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "study,n_t,mean_t,se_t,n_c,mean_c,sd_c",
                 ["A,20,5,0.5,22,4,1.2", "B,30,6,1,31,4,2"])  # fmt: skip
    code, out, _ = run("meta-analyse", str(path), "--measure", "MD", "--json", "--per-study")
    assert code == 0
    converted = [s["converted"] for s in json.loads(out)["studies"]]
    assert converted == [
        ["intervention: SD = SE × √n (Cochrane Handbook 6.4, 6.5.2.2)"],
        ["intervention: SD = SE × √n (Cochrane Handbook 6.4, 6.5.2.2)"],
    ]
    _, text, _ = run("meta-analyse", str(path), "--measure", "MD")
    assert "* converted from what was reported" in text


@pytest.mark.parametrize(
    ("content", "options", "expected"),
    [
        ("study,events_t,n_t,events_c,n_c\nA,7,5,1,10\n", ["--measure", "RR"],
         "bad.csv, line 2, n_t: Total (5) cannot be below Events (7)."),
        ("study,n_t,mean_t,sd_t,n_c,mean_c,sd_c\nA,10,1,-2,10,1,1\n", ["--measure", "MD"],
         "bad.csv, line 2, sd_t: SD must be above 0 (got -2)."),
        ("study,events_t,n_c\nA,1,2\n", ["--measure", "RR"],
         "bad.csv, line 1: no column n_t, events_c; dichotomous files have study, events_t"),
        ("study,yi,vi\n", ["--measure", "MD"], "no study rows below the header; k is 0"),
        ("study,yi,vi\nA,1,1\n", ["--measure", "XYZ"], "--measure 'XYZ': allowed are MD | SMD"),
        ("study,yi,vi\nA,1,1\n", ["--measure", "MD", "--method", "bayes"],
         "--method 'BAYES': allowed are EE | DL | REML"),
        ("study,yi,vi\nA,1,1\n", [], "--measure is needed with a file"),
        ("study,events_t,n_t,events_c,n_c\nA,1,10,2,10\n",
         ["--measure", "RR", "--method", "MH", "--hksj"], "Hartung-Knapp"),
    ],
)  # fmt: skip
def test_bad_input_is_one_sentence_with_exit_code_1(
    tmp_path: Path, content: str, options: list[str], expected: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    code, out, err = run("meta-analyse", str(path), *options)
    assert code == INPUT_ERROR == 1
    assert expected in err and err.startswith("error: ")
    assert "Traceback" not in err and out == ""


def test_a_file_or_an_outcome_is_needed() -> None:
    code, _, err = run("meta-analyse")
    assert code == INPUT_ERROR and "give a DATA file, or --outcome ID" in err


def test_the_command_line_exits_1_on_a_bad_file_and_2_on_a_usage_error(tmp_path: Path) -> None:
    """Through ``main``, as a shell runs it: a ReviewAppError exits 1 like every command's, an
    option Typer does not know keeps click's usage error 2."""
    bad = write(tmp_path / "bad.csv", "study,yi,vi", ["A,1,-1"])

    def shell(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "review_app.cli", "meta-analyse", *args]
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        return subprocess.run(command, capture_output=True, text=True, env=env, check=False)

    failed = shell(str(bad), "--measure", "MD")
    assert failed.returncode == INPUT_ERROR == 1, failed.stderr
    assert failed.stderr.startswith("error: ") and "Traceback" not in failed.stderr
    assert shell(str(bad), "--no-such-option").returncode == 2


def test_the_reviews_consensus_data_with_outcome(tmp_path: Path) -> None:
    url = migrated_sqlite(tmp_path / "review.db")
    engine = make_engine(url)
    arms = (Arm("Kratom", ArmRole.INTERVENTION), Arm("Placebo", ArmRole.COMPARATOR))
    studies = {"Lee 2021": (4.0, 2.0, 30, 5.0, 2.5, 29), "Ng 2022": (3.5, 1.5, 20, 5.5, 2.0, 21)}
    with session_scope(engine) as session:
        review = create_review(session, protocol_path=KRATOM_PROTOCOL, name="kratom")
        records = import_titles(session, review.id, len(studies))
        copies = []
        for (label, (m1, s1, n1, m2, s2, n2)), record in zip(studies.items(), records, strict=True):
            create_study(session, actor=Actor.operator(), review_id=review.id, label=label,
                         record_ids=[record])  # fmt: skip
            results = (
                Result(PAIN, "4 weeks", "Kratom", "mean_sd", {"n": n1, "mean": m1, "sd": s1}),
                Result(PAIN, "4 weeks", "Placebo", "mean_sd", {"n": n2, "mean": m2, "sd": s2}),
            )
            copies.append(StudyExtraction(study=label, extractor=None, arms=arms, results=results))
        replace_copies(session, actor=Actor.operator(), review_id=review.id, copies=copies)
    engine.dispose()
    code, out, err = run("--db", url, "meta-analyse", "--outcome", PAIN, "--timepoint",
                         "4 weeks", "--method", "EE", "--no-hksj", "--json")  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    effects = [(m1 - m2, s1**2 / n1 + s2**2 / n2) for m1, s1, n1, m2, s2, n2 in studies.values()]
    expected = sum(y / v for y, v in effects) / sum(1 / v for _, v in effects)
    assert (result["k"], result["measure"], result["method"]) == (2, "MD", "EE")
    assert math.isclose(result["estimate"], expected, rel_tol=1e-12)
    assert result["incomplete"] == ["Lee 2021", "Ng 2022"]  # consensus copies in progress
    # The protocol's defaults for the outcome: REML with Hartung-Knapp; the forest plot.
    plot = tmp_path / "pain.png"
    _, out, _ = run("--db", url, "meta-analyse", "--outcome", PAIN, "--json", "--plot", str(plot))
    assert plot.read_bytes().startswith(b"\x89PNG")
    assert (json.loads(out)["method"], json.loads(out)["test"]) == ("REML", "knha")
    code, _, err = run("--db", url, "meta-analyse", "--outcome", "pain_intensity",
                       "--measure", "RR")  # fmt: skip
    assert code == INPUT_ERROR and "continuous outcome, pooled as MD, SMD" in err


def test_indirect_evidence_is_pooled_with_include_indirect(tmp_path: Path) -> None:
    url = migrated_sqlite(tmp_path / "review.db")
    engine = make_engine(url)
    arms = (Arm("Kratom", ArmRole.INTERVENTION), Arm("Placebo", ArmRole.COMPARATOR))
    studies = {"Lee 2021": "", "Ng 2022": "", "Oh 2023": "healthy volunteers"}
    with session_scope(engine) as session:
        review = create_review(session, protocol_path=KRATOM_PROTOCOL, name="kratom")
        records = import_titles(session, review.id, len(studies))
        copies = []
        for (label, indirect), record in zip(studies.items(), records, strict=True):
            create_study(session, actor=Actor.operator(), review_id=review.id, label=label,
                         record_ids=[record])  # fmt: skip
            results = (
                Result(PAIN, "4 weeks", "Kratom", "mean_sd", {"n": 20, "mean": 4.0, "sd": 2.0}),
                Result(PAIN, "4 weeks", "Placebo", "mean_sd", {"n": 20, "mean": 5.0, "sd": 2.0}),
            )
            copies.append(StudyExtraction(study=label, extractor=None, arms=arms, results=results,
                                          indirect_evidence=indirect))  # fmt: skip
        replace_copies(session, actor=Actor.operator(), review_id=review.id, copies=copies)
    engine.dispose()
    base = ("--db", url, "meta-analyse", "--outcome", PAIN, "--method", "EE", "--no-hksj")
    _, out, _ = run(*base, "--json")
    assert json.loads(out)["k"] == 2
    assert [o["study"] for o in json.loads(out)["left_out"]] == ["Oh 2023"]
    _, out, _ = run(*base, "--include-indirect", "--json", "--per-study")
    result = json.loads(out)
    assert (result["k"], result["left_out"]) == (3, [])
    assert [s["study"] for s in result["studies"] if s["indirect"]] == ["Oh 2023"]
    code, out, _ = run(*base, "--include-indirect")
    assert code == 0 and any(line.startswith("Oh 2023") and line.endswith("†") for line in
                             out.splitlines())  # fmt: skip
    file = write(tmp_path / "f.csv", "study,yi,vi", ["A,1,1"])
    code, _, err = run("meta-analyse", str(file), "--measure", "MD", "--include-indirect")
    assert code == INPUT_ERROR and "--include-indirect is for --outcome" in err


def test_a_table_without_events_is_left_out_and_the_weights_stay_with_their_studies(
    tmp_path: Path,
) -> None:
    """Mantel-Haenszel keeps the double-zero table in k (as rma.mh) with weight 0, so its weights
    follow the tables while the effect sizes leave it out: each weight is its own study's."""
    path = write(tmp_path / "dz.csv", "study,events_t,n_t,events_c,n_c",
                 ["A,0,10,0,12", "B,3,20,6,21", "C,5,30,9,28"])  # fmt: skip
    code, out, _ = run("meta-analyse", str(path), "--measure", "OR", "--method", "MH", "--json",
                       "--per-study")  # fmt: skip
    assert code == 0
    result = json.loads(out)
    assert result["left_out"] == [
        {"study": "A", "reason": "no events in either arm, so the odds ratio is undefined"}
    ]
    weights = {s["study"]: s["weight"] for s in result["studies"]}
    assert list(weights) == ["B", "C"] and math.isclose(sum(weights.values()), 100)
    # MH weights of an odds ratio: b_i c_i / n_i (Robins, Breslow, Greenland 1986).
    raw = {"B": 17 * 6 / 41, "C": 25 * 9 / 58}
    for study, weight in weights.items():
        assert math.isclose(weight, 100 * raw[study] / sum(raw.values()), rel_tol=1e-9)
