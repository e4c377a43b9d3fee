"""Per-file plausibility of the issue column: record numbers are not issues (issue 18)."""

from __future__ import annotations

from pathlib import Path

from review_app.errors import ReviewAppError
from review_app.importers import read_bytes
from review_app.importers.plausibility import MIN_VALUES, IssueTally
from review_app.importers.record import RecordIn
from tests.conftest import shared_data


def tally_of(values: list[str | None]) -> IssueTally:
    tally = IssueTally()
    for value in values:
        tally.add(value)
    return tally


def test_record_numbers_in_the_issue_column_are_not_trusted() -> None:
    tally = tally_of([str(n) for n in range(1_100, 1_100 + 1_988)])
    warning = tally.verdict(source="records.csv")
    assert warning is not None
    assert warning.startswith("records.csv: issue: 1,988 of 1,988 values distinct, largest 3,087")
    assert "record numbers" in warning


def test_issues_of_many_journals_repeat_and_are_trusted() -> None:
    issues = [str(1 + n % 12) for n in range(1_500)] + ["3 Suppl", "S1"] * 10
    assert tally_of(issues).verdict(source="search.ris") is None


def test_a_weekly_journal_numbering_in_thousands_is_trusted_when_its_issues_repeat() -> None:
    issues = [str(7_000 + n % 40) for n in range(300)]  # BMJ-like issue numbers, repeated
    assert tally_of(issues).verdict(source="bmj.ris") is None


def test_a_short_file_is_not_judged() -> None:
    assert tally_of([str(n) for n in range(500, 500 + MIN_VALUES - 1)]).verdict(source="f") is None


def test_distinct_but_small_numbers_are_issues() -> None:
    """Distinct values all within what journals print (1-100) are issues, however many."""
    assert tally_of([str(1 + n % 100) for n in range(100)]).verdict(source="f") is None


def test_non_integer_values_are_not_read_as_record_numbers() -> None:
    issues = [f"{n} Suppl" for n in range(200, 400)]
    assert tally_of(issues).verdict(source="f") is None


def test_records_without_an_issue_are_not_counted() -> None:
    tally = tally_of([None] * 100 + ["1"])
    assert tally.values == 1 and tally.verdict(source="f") is None


def test_the_warning_names_the_files_column() -> None:
    tally = IssueTally()
    for n in range(60):
        tally.add_record(RecordIn(title="t", issue=str(5_000 + n), raw={"number": str(5_000 + n)}))
    assert (tally.verdict(source="x.csv") or "").startswith("x.csv: number: 60 of 60")


def _exports() -> list[Path]:
    root = shared_data("parsers")
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_no_real_export_loses_its_issues() -> None:
    """Every shared export that reads keeps its issues (none of them holds record numbers)."""
    judged = 0
    for path in _exports():
        tally = IssueTally()
        try:
            read_bytes(path.read_bytes(), filename=path.name, skip_invalid=True,
                       sink=tally.add_record)  # fmt: skip
        except ReviewAppError:  # files written to be refused are not the point here
            continue
        judged += tally.values >= MIN_VALUES
        assert tally.verdict(source=path.name) is None, path
    assert judged >= 3  # files with enough issues to be judged


def test_the_respiratory_number_column_is_read_as_record_numbers() -> None:
    path = shared_data("dedup", "rathbone2015_respiratory", "records_pre_merged.csv")
    tally = IssueTally()
    read_bytes(path.read_bytes(), filename=path.name, sink=tally.add_record)
    assert tally.column == "number"
    assert (tally.verdict(source=path.name) or "").startswith(
        "records_pre_merged.csv: number: 1,988 of 1,988 values distinct"
    )


def test_the_diabetes_number_column_holds_issues() -> None:
    path = shared_data("dedup", "asysd_diabetes", "Diabetes_labelled_test_set.csv")
    tally = IssueTally()
    read_bytes(path.read_bytes(), filename=path.name, sink=tally.add_record)
    assert tally.values > 1_000 and tally.verdict(source=path.name) is None
