"""`review-app rob judge`: a table of answers judged by a tool's algorithms, written as CSV; or
every problem with the file's row and column, exit code 1 and nothing written. `export rob`,
`import rob --as USER` (the same bytes again) and `rob plot` on a database."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from review_app.cli import app
from review_app.db import make_engine, session_scope
from review_app.domain.appraisal.model import DomainAssessment, ResultAssessment
from review_app.domain.appraisal.tool import Answer
from review_app.domain.appraisal.tools import TOOLS
from review_app.errors import ReviewAppError
from review_app.services.appraisal import replace_copies
from review_app.services.permissions import Actor
from review_app.services.reviews import add_member, create_review
from review_app.services.studies import create_study
from review_app.services.users import create_user
from tests.conftest import KRATOM_PROTOCOL
from tests.database_templates import migrated_sqlite
from tests.services.screening_helpers import import_titles

# RoB 2, effect of assignment. Expected judgements worked out from the guidance's algorithms
# (22 August 2019): D1 1.2 Y, 1.1 Y, 1.3 N -> Low; D2 part 1 (2.1-2.2 N: Low), part 2 (2.6 Y:
# Low) -> Low; D3 3.1 Y -> Low; D4 4.1 N, 4.2 N, 4.3 N -> Low; D5 5.1 Y, 5.2 N, 5.3 N -> Low.
ALL_LOW = {
    "1.1": "Y", "1.2": "Y", "1.3": "N",
    "2.1": "N", "2.2": "N", "2.6": "Y",
    "3.1": "Y",
    "4.1": "N", "4.2": "N", "4.3": "N",
    "5.1": "Y", "5.2": "N", "5.3": "N",
}  # fmt: skip
QUESTIONS = list(ALL_LOW)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), prog_name="review-app", env={"COLUMNS": "200"})
    if isinstance(result.exception, ReviewAppError):
        return 1, str(result.exception)
    return result.exit_code, result.output


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_judged_answers_are_written_with_domains_and_overall(tmp_path: Path) -> None:
    high_d5 = {**ALL_LOW, "5.2": "Y"}  # 5.2 Y/PY: High (selected from several measurements)
    answers = write_csv(
        tmp_path / "answers.csv",
        [{"study": "Lee 2019", "note": "kept", **ALL_LOW}, {"study": "Tan 2021", **high_d5}],
        ["study", "note", *QUESTIONS],
    )
    out = tmp_path / "judged.csv"
    code, output = run("rob", "judge", str(answers), "-o", str(out), "--tool", "rob2")
    assert code == 0, output
    assert output == f"Wrote {out} (2 rows judged with RoB 2).\n"
    lee, tan = read_csv(out)
    assert list(lee)[:2] == ["study", "note"] and list(lee)[-6:] == [
        "D1", "D2", "D3", "D4", "D5", "Overall"
    ]  # fmt: skip
    assert lee["note"] == "kept" and lee["1.1"] == "Y"
    assert [lee[f"D{i}"] for i in range(1, 6)] == ["Low"] * 5 and lee["Overall"] == "Low"
    assert tan["D5"] == "High" and tan["Overall"] == "High"


def test_a_workbook_is_read_too(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["study", *QUESTIONS])
    sheet.append(["Lee 2019", *ALL_LOW.values()])
    book.save(tmp_path / "answers.xlsx")
    out = tmp_path / "judged.csv"
    code, output = run(
        "rob", "judge", str(tmp_path / "answers.xlsx"), "-o", str(out), "--tool", "rob2"
    )
    assert code == 0, output
    assert read_csv(out)[0]["Overall"] == "Low"


def test_problems_name_the_file_s_rows_and_columns_and_nothing_is_written(tmp_path: Path) -> None:
    answers = tmp_path / "answers.csv"
    header = ",".join(["study", *QUESTIONS])
    good = ",".join(["Lee 2019", *ALL_LOW.values()])
    bad = ",".join(["Tan 2021", *{**ALL_LOW, "1.2": "maybe"}.values()])
    answers.write_text(f"{header}\n{good}\n\n{bad}\n", encoding="utf-8")  # a blank row 3
    out = tmp_path / "judged.csv"
    code, output = run("rob", "judge", str(answers), "-o", str(out), "--tool", "rob2")
    assert code == 1
    assert "answers.csv, line 4, 1.2: 'maybe' is not an answer" in output
    assert "nothing was written" in output.splitlines()[0]
    assert not out.exists()


def test_a_crossover_trial_is_judged_with_domain_s_from_its_column(tmp_path: Path) -> None:
    """RoB 2 for crossover trials: Domain S has no algorithm, so its column gives it; 5.4 is
    one more "selected from" question (Y: High)."""
    rows = [
        {"study": "Ng 2022", **ALL_LOW, "5.4": "N", "DS": "Some concerns"},
        {"study": "Ho 2023", **ALL_LOW, "5.4": "Y", "DS": "Low"},
    ]
    answers = write_csv(tmp_path / "a.csv", rows, ["study", *QUESTIONS, "5.4", "DS"])
    out = tmp_path / "judged.csv"
    code, output = run("rob", "judge", str(answers), "-o", str(out), "--tool", "rob2-crossover")
    assert (code, output) == (0, f"Wrote {out} (2 rows judged with RoB 2 (crossover)).\n")
    ng, ho = read_csv(out)
    assert list(ng)[-6:] == ["D1", "D2", "D3", "D4", "D5", "Overall"]  # DS stays where it was
    assert (ng["DS"], ng["D5"], ng["Overall"]) == ("Some concerns", "Low", "Some concerns")
    assert (ho["DS"], ho["D5"], ho["Overall"]) == ("Low", "High", "High")


def test_the_tool_and_the_output_suffix_are_checked(tmp_path: Path) -> None:
    answers = write_csv(tmp_path / "a.csv", [{"study": "Lee", **ALL_LOW}], ["study", *QUESTIONS])
    code, output = run("rob", "judge", str(answers), "-o", str(tmp_path / "o.csv"), "--tool", "x")
    assert (code, output) == (1, f"tool 'x': allowed are {', '.join(TOOLS)}")
    code, output = run(
        "rob", "judge", str(answers), "-o", str(tmp_path / "o.xlsx"), "--tool", "rob2"
    )
    assert (code, output) == (1, f"{tmp_path / 'o.xlsx'}: rob judge writes a .csv file")


# --- export rob, import rob, rob plot on a database ---------------------------------------------


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A review with a lead (lena) and one RCT whose pain result has a consensus assessment."""
    url = migrated_sqlite(tmp_path / "review.db")
    engine = make_engine(url)
    with session_scope(engine) as session:
        review = create_review(session, protocol_path=KRATOM_PROTOCOL, name="kratom")
        lena = create_user(session, name="lena", password="lena-password")
        add_member(session, actor=OPERATOR, review_id=review.id, user_id=lena.id, role="lead")
        [record] = import_titles(session, review.id, 1)
        create_study(session, actor=OPERATOR, review_id=review.id, label="Lee 2021",
                     record_ids=[record], design="randomised controlled trial")  # fmt: skip
        replace_copies(session, actor=OPERATOR, review_id=review.id, copies=[LEE])
    engine.dispose()
    return url


OPERATOR = Actor.operator()
LEE = ResultAssessment(
    study="Lee 2021",
    outcome_id="pain_intensity",
    assessor=None,
    tool="rob2",
    domains=tuple(
        DomainAssessment(
            f"D{number[0]}", {n: Answer(a) for n, a in ALL_LOW.items() if n[0] == number[0]}, "Low"
        )
        for number in ("1", "2", "3", "4", "5")
    ),
    overall="Low",
)


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_export_then_import_as_a_lead_gives_the_same_file(
    database: str, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"rob.{suffix}"
    code, output = run("--db", database, "export", "rob", "-o", str(out))
    assert code == 0, output
    first = out.read_bytes()
    code, output = run("--db", database, "import", "rob", str(out), "--as", "lena")
    assert (code, output) == (
        0,
        f"rob.{suffix} (full layout): imported 1 risk-of-bias copy of 1 study.\n",
    )
    run("--db", database, "export", "rob", "-o", str(out))
    assert out.read_bytes() == first


def test_import_problems_are_listed_and_exit_1(database: str, tmp_path: Path) -> None:
    bad = tmp_path / "robvis.csv"
    bad.write_text("Study,D1,D2,D3,D4,D5,Overall\nLee 2021,Low,Fine,Low,Low,Low,Low\n")
    code, output = run(
        "--db", database, "import", "rob", str(bad), "--as", "lena", "--outcome", "pain_intensity"
    )
    assert code == 1
    assert "robvis.csv, line 2, D2: 'Fine' is not a RoB 2 judgement" in output


@pytest.mark.parametrize("kind", ["traffic-light", "summary"])
def test_rob_plot_writes_the_outcome_s_plot(database: str, tmp_path: Path, kind: str) -> None:
    out = tmp_path / "rob.svg"
    code, output = run("--db", database, "rob", "plot", "-o", str(out), "--type", kind)
    assert (code, output) == (0, f"Wrote {out}.\n")
    shown = {"traffic-light": b"Lee 2021", "summary": b"Overall risk of bias"}[kind]
    assert shown in out.read_bytes()
    code, output = run("--db", database, "rob", "plot", "-o", str(tmp_path / "rob.gif"))
    assert code == 1 and "allowed are svg, png, pdf" in output
