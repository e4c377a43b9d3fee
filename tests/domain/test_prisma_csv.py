"""PRISMA 2020 counts to and from the PRISMA2020 R package's CSV template, and back again."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest
from hypothesis import given, settings

from review_app.domain.prisma import (
    PrismaCounts,
    PrismaCsvError,
    PrismaInvariantError,
    from_prisma2020_csv,
    to_prisma2020_csv,
)
from review_app.domain.prisma.template import TEMPLATE_CSV
from tests.domain.test_prisma_invariants import EXAMPLE, OTHER, PROVISIONAL, consistent_counts

COLUMNS = ["data", "node", "box", "description", "boxtext", "tooltips", "url", "n"]
KEYS = [
    "previous_studies",
    "previous_reports",
    "database_results",
    "database_specific_results",
    "register_results",
    "register_specific_results",
    "website_results",
    "organisation_results",
    "citations_results",
    "duplicates",
    "excluded_automatic",
    "excluded_other",
    "records_screened",
    "records_excluded",
    "dbr_sought_reports",
    "dbr_notretrieved_reports",
    "dbr_assessed",
    "dbr_excluded",
    "other_sought_reports",
    "other_notretrieved_reports",
    "other_assessed",
    "other_excluded",
    "new_studies",
    "new_reports",
    "total_studies",
    "total_reports",
    "identification",
    "screening",
    "included",
]
NO_OTHER = dataclasses.replace(
    EXAMPLE, other_methods=None, records_excluded=611, new_reports=8, new_studies=8
)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def n_of(text: str) -> dict[str, str]:
    return {row["data"]: row["n"] for row in rows(text) if row["data"] != "NA"}


def test_the_template_layout_is_kept_row_for_row() -> None:
    text = to_prisma2020_csv(EXAMPLE)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    ours, theirs = rows(text), rows(TEMPLATE_CSV)
    assert [row["data"] for row in ours] == [row["data"] for row in theirs]
    for mine, template in zip(ours, theirs, strict=True):  # only n is ours to fill
        assert {k: v for k, v in mine.items() if k != "n"} == {
            k: v for k, v in template.items() if k != "n"
        }
    assert set(KEYS) <= set(n_of(text))
    by_key = {row["data"]: row for row in theirs}
    assert (by_key["database_results"]["node"], by_key["database_results"]["box"]) == (
        "node7",
        "box2",
    )
    assert by_key["duplicates"]["boxtext"] == "Duplicate records"


def test_the_numbers_and_lists_are_filled_in() -> None:
    n = n_of(to_prisma2020_csv(EXAMPLE))
    assert n["database_results"] == "950"
    assert n["database_specific_results"] == "MEDLINE (PubMed), 412; Embase, 538"
    assert (n["register_results"], n["register_specific_results"]) == (
        "37",
        "ClinicalTrials.gov, 37",
    )
    assert n["dbr_excluded"] == "Wrong population, 21; Wrong intervention, 17; Wrong design, 19"
    assert n["other_excluded"] == "Wrong outcome, 3; Duplicate of included report, 1"
    assert (n["website_results"], n["organisation_results"], n["citations_results"]) == (
        "12",
        "3",
        "25",
    )
    assert (n["duplicates"], n["records_screened"], n["dbr_assessed"]) == ("301", "680", "65")
    assert (n["new_studies"], n["new_reports"], n["total_studies"], n["total_reports"]) == (
        "9",
        "11",
        "9",
        "11",
    )
    assert (n["previous_studies"], n["previous_reports"]) == ("NA", "NA")  # a new review
    assert n["identification"] == "0"  # text rows keep the template's n


def test_without_other_methods_the_other_rows_are_na() -> None:
    n = n_of(to_prisma2020_csv(NO_OTHER))
    other_keys = [
        "website_results",
        "organisation_results",
        "citations_results",
        "other_sought_reports",
        "other_notretrieved_reports",
        "other_assessed",
        "other_excluded",
    ]
    assert all(n[key] == "NA" for key in other_keys)
    assert from_prisma2020_csv(to_prisma2020_csv(NO_OTHER)) == NO_OTHER


def test_an_unused_other_source_is_na() -> None:
    counts = dataclasses.replace(
        EXAMPLE, other_methods=dataclasses.replace(OTHER, sources=(("Citation searching", 40),))
    )
    n = n_of(to_prisma2020_csv(counts))
    assert (n["website_results"], n["organisation_results"], n["citations_results"]) == (
        "NA",
        "NA",
        "40",
    )
    assert from_prisma2020_csv(to_prisma2020_csv(counts)) == counts


def test_the_example_round_trips() -> None:
    assert from_prisma2020_csv(to_prisma2020_csv(EXAMPLE)) == EXAMPLE


def test_what_awaits_a_decision_is_noted_in_the_labels_and_read_back() -> None:
    text = to_prisma2020_csv(PROVISIONAL)
    labels = {row["data"]: row["boxtext"] for row in rows(text)}
    assert labels["records_screened"] == "Records screened (provisional: 11 awaiting a decision)"
    assert labels["dbr_assessed"] == (
        "Reports retrieved for assessment (provisional: 2 awaiting a decision)"
    )
    assert labels["other_sought_reports"].endswith("(provisional: 5 awaiting a decision)")
    assert labels["other_assessed"].endswith("(provisional: 1 awaiting a decision)")
    # the numbers stay plain counts the R package reads; nothing else changes
    assert n_of(text)["records_screened"] == str(PROVISIONAL.records_screened)
    finished = {row["data"]: row["boxtext"] for row in rows(to_prisma2020_csv(EXAMPLE))}
    assert "provisional" not in " ".join(finished.values())
    assert from_prisma2020_csv(text) == PROVISIONAL


@given(consistent_counts())
@settings(max_examples=60, deadline=None)
def test_consistent_counts_round_trip(counts: PrismaCounts) -> None:
    assert from_prisma2020_csv(to_prisma2020_csv(counts)) == counts


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        (
            dataclasses.replace(EXAMPLE, reports_excluded=(("Wrong population, adults", 57),)),
            "comma or semicolon",
        ),
        (
            dataclasses.replace(
                EXAMPLE, other_methods=dataclasses.replace(OTHER, sources=(("Hand searching", 40),))
            ),
            "Websites, Organisations, Citation",
        ),
        (
            dataclasses.replace(
                EXAMPLE,
                other_methods=dataclasses.replace(
                    OTHER, sources=(("Websites", 20), ("website", 20))
                ),
            ),
            "two other-methods sources",
        ),
    ],
)
def test_what_the_template_cannot_hold_is_refused(counts: PrismaCounts, message: str) -> None:
    with pytest.raises(PrismaCsvError, match=message):
        to_prisma2020_csv(counts)


def test_counts_that_do_not_add_up_are_refused_both_ways() -> None:
    with pytest.raises(PrismaInvariantError, match="Records screened"):
        to_prisma2020_csv(dataclasses.replace(EXAMPLE, records_screened=1))
    text = _set(to_prisma2020_csv(EXAMPLE), "records_screened", "679")
    with pytest.raises(PrismaInvariantError, match="Records screened"):
        from_prisma2020_csv(text)
    with pytest.raises(PrismaInvariantError, match="Databases"):
        from_prisma2020_csv(_set(to_prisma2020_csv(EXAMPLE), "database_results", "951"))
    with pytest.raises(PrismaInvariantError, match="Total studies"):
        from_prisma2020_csv(_set(to_prisma2020_csv(EXAMPLE), "total_studies", "10"))


def _set(text: str, key: str, value: str) -> str:
    out = io.StringIO()
    table = rows(text)
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in table:
        writer.writerow({**row, "n": value} if row["data"] == key else row)
    return out.getvalue()


def _drop(text: str, key: str) -> str:
    lines = text.splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith(key + ","))


def test_files_filled_in_by_hand_or_by_the_shiny_app() -> None:
    text = to_prisma2020_csv(EXAMPLE)
    with pytest.raises(PrismaCsvError, match="xxx"):  # the template's own placeholders
        from_prisma2020_csv(TEMPLATE_CSV)
    with pytest.raises(PrismaCsvError, match="no row for records_excluded"):
        from_prisma2020_csv(_drop(text, "records_excluded"))
    with pytest.raises(PrismaCsvError, match="only new reviews"):
        from_prisma2020_csv(_set(text, "previous_studies", "4"))
    with pytest.raises(PrismaCsvError, match="not a whole number"):
        from_prisma2020_csv(_set(text, "duplicates", "many"))
    # an older template without the *_specific_results rows, thousands written with commas
    older = _drop(_drop(text, "database_specific_results"), "register_specific_results")
    counts = from_prisma2020_csv("\ufeff" + _set(older, "records_excluded", "611"))
    assert counts.databases == (("Databases", 950),) and counts.registers == (("Registers", 37),)
    big = dataclasses.replace(
        EXAMPLE, databases=(("Embase", 1950),), records_screened=1680, records_excluded=1611
    )
    assert from_prisma2020_csv(_set(to_prisma2020_csv(big), "records_screened", "1,680")) == big
    bare = _set(text, "dbr_excluded", "57")  # reasons not itemised
    assert from_prisma2020_csv(bare).reports_excluded == (("Reason not stated", 57),)
