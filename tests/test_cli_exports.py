"""The command line's exports are the registry's: one command per entry with its options, the
registry's bytes in the files, and the messages the README shows."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from review_app.cli import app
from review_app.db import make_engine, session_scope
from review_app.domain.vocabulary import EffectMeasure
from review_app.services.exports import EXPORTS, IMPORTS
from review_app.services.permissions import Actor
from tests.database_templates import demo_sqlite

# Options of hand-written commands that the Exports page does not offer (free text, not choices).
HAND_WRITTEN_OPTIONS = {"rob-plot": {"--outcome", "--tool"}, "sof": {"--profile", "--as"}}


def command(words: tuple[str, ...]) -> object:
    found = get_command(app)
    for word in words:
        found = found.commands[word]  # type: ignore[attr-defined]
    return found


@pytest.mark.parametrize("name", list(EXPORTS))
def test_every_export_of_the_registry_is_a_command_with_its_options(name: str) -> None:
    export = EXPORTS[name]
    options = {opt for param in command(export.words).params for opt in param.opts}  # type: ignore[attr-defined]
    expected = {"-o", "--output"} | {f"--{option.name}" for option in export.options}
    expected |= HAND_WRITTEN_OPTIONS.get(name, set())
    assert options == expected | ({"--format"} if export.format_option else set())


def test_every_file_the_exports_page_brings_in_has_its_import_command() -> None:
    commands = set(command(("import",)).commands)  # type: ignore[attr-defined]
    assert set(IMPORTS) <= commands
    for entry in IMPORTS.values():  # each names a function that exists
        module, name = entry.function.split(":")
        assert callable(getattr(importlib.import_module(f"review_app.services.{module}"), name))


def test_the_export_group_has_the_registry_commands_and_no_other() -> None:
    generated = [e.name for e in EXPORTS.values() if e.words == ("export", e.name)]
    assert list(command(("export",)).commands) == generated  # type: ignore[attr-defined]
    assert generated == [
        "records",
        "duplicates",
        "decisions",
        "included",
        "statuses",
        "audit",
        "extraction",
        "rob",
        "analyses",
        "analysis-plot",
    ]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_sqlite(tmp_path_factory.mktemp("cli-exports") / "demo.db")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), prog_name="review-app", env={"COLUMNS": "200"})
    return result.exit_code, result.output


def made(url: str, name: str, format: str, **options: str) -> dict[str, bytes]:
    with session_scope(make_engine(url)) as session:
        files = EXPORTS[name].make(
            session, actor=Actor.operator(), review_id=1, format=format, **options
        )
    return {file.suffix: file.data for file in files}


def test_the_files_are_the_registrys_bytes_with_the_same_messages(
    demo: str, tmp_path: Path
) -> None:
    out = tmp_path / "d.csv"
    assert run("--db", demo, "export", "decisions", "-o", str(out)) == (
        0,
        f"Wrote {out} and {tmp_path / 'd-agreement.csv'}.\n",
    )
    files = made(demo, "decisions", "csv")
    assert out.read_bytes() == files[""]
    assert (tmp_path / "d-agreement.csv").read_bytes() == files["-agreement"]
    xlsx = tmp_path / "d.xlsx"
    assert run("--db", demo, "export", "decisions", "-o", str(xlsx)) == (
        0,
        f"Wrote {xlsx} (sheets: decisions, agreement).\n",
    )
    assert xlsx.read_bytes() == made(demo, "decisions", "xlsx")[""]
    records = tmp_path / "r.txt"
    code, output = run(
        "--db",
        demo,
        "export",
        "records",
        "-o",
        str(records),
        "--format",
        "ris",
        "--stage",
        "full_text",
    )
    assert (code, output) == (0, f"Wrote {records} (ris, stage full_text).\n")
    assert records.read_bytes() == made(demo, "records", "ris", stage="full_text")[""]
    audit = tmp_path / "audit.log"  # the audit log is CSV whatever the name
    assert run("--db", demo, "export", "audit", "-o", str(audit)) == (0, f"Wrote {audit}.\n")
    assert audit.read_bytes() == made(demo, "audit", "csv")[""]
    assert audit.read_bytes().startswith(b"\xef\xbb\xbfat,user,action")


def test_a_wrong_suffix_is_refused_in_words(demo: str, tmp_path: Path) -> None:
    for words, name, message in (
        (("duplicates",), "d.xlsx", f"{tmp_path / 'd.xlsx'}: the duplicates export is a .csv file"),
        (("included",), "i.bib", "format 'bib': allowed are ris, csv, xlsx"),
    ):
        result = CliRunner().invoke(
            app, ["--db", demo, "export", *words, "-o", str(tmp_path / name)]
        )
        assert result.exit_code == 1 and str(result.exception) == message
        assert not (tmp_path / name).exists()


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo with four studies' consensus extraction and two saved analyses."""
    from review_app.services.analyses import AnalysisSpec, save_analysis
    from tests.ui.analysis_pages import AE, PAIN, WEEK8, review_to_analyse

    url = demo_sqlite(tmp_path_factory.mktemp("cli-analyses") / "demo.db")
    review = review_to_analyse(url)
    with session_scope(make_engine(url)) as session:
        for name, spec in (
            ("Pain", AnalysisSpec(PAIN, EffectMeasure.MD, timepoint=WEEK8)),
            ("Adverse events", AnalysisSpec(AE, EffectMeasure.RR, timepoint=WEEK8)),
        ):
            save_analysis(session, actor=Actor.operator(), review_id=review.review_id,
                          name=name, spec=spec)  # fmt: skip
    return url


def test_the_saved_analyses_are_written_as_three_csv_files_or_one_workbook(
    analysed: str, tmp_path: Path
) -> None:
    xlsx = tmp_path / "x.xlsx"
    assert run("--db", analysed, "export", "analyses", "-o", str(xlsx)) == (
        0,
        f"Wrote {xlsx} (sheets: Analyses, Studies, Pooled).\n",
    )
    assert xlsx.read_bytes() == made(analysed, "analyses", "xlsx")[""]
    out = tmp_path / "a.csv"
    written = [out, tmp_path / "a-studies.csv", tmp_path / "a-pooled.csv"]
    assert run("--db", analysed, "export", "analyses", "-o", str(out)) == (
        0,
        f"Wrote {' and '.join(map(str, written))}.\n",
    )
    files = made(analysed, "analyses", "csv")
    assert [path.read_bytes() for path in written] == [
        files[s] for s in ("", "-studies", "-pooled")
    ]
    assert out.read_bytes().decode("utf-8-sig").splitlines()[1].startswith("Adverse events,")


def test_a_saved_analysis_s_plot_is_chosen_by_name(analysed: str, tmp_path: Path) -> None:
    svg = tmp_path / "f.svg"
    code, output = run(
        "--db", analysed, "export", "analysis-plot", "--analysis", "Pain", "-o", str(svg)
    )
    assert (code, output) == (0, f"Wrote {svg} (forest plot).\n")
    assert svg.read_bytes() == made(analysed, "analysis-plot", "svg", analysis="Pain")[""]
    assert b"Chan 2021" in svg.read_bytes()
    first = tmp_path / "first.svg"  # no name: the first by name, as the Exports page begins
    assert run("--db", analysed, "export", "analysis-plot", "-o", str(first))[0] == 0
    assert (
        first.read_bytes() == made(analysed, "analysis-plot", "svg", analysis="Adverse events")[""]
    )
    result = CliRunner().invoke(
        app,
        ["--db", analysed, "export", "analysis-plot", "--analysis", "Pain", "--plot", "funnel",
         "-o", str(tmp_path / "funnel.svg")],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "No funnel plot and no Egger's test" in str(result.exception)
    assert not (tmp_path / "funnel.svg").exists()
    missing = CliRunner().invoke(
        app, ["--db", analysed, "export", "analysis-plot", "--analysis", "Nope", "-o", str(svg)]
    )
    assert missing.exit_code == 1
    assert str(missing.exception) == (
        "no saved analysis named 'Nope'; the saved analyses are 'Adverse events', 'Pain'"
    )
