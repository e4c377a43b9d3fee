"""The Summary-of-Findings table and the evidence profile as files, from a table built by hand:
the DOCX opened with python-docx, the HTML parsed, the CSV read back; the grid both documents
draw fills every row exactly."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from html.parser import HTMLParser

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.shared import Pt

from review_app.domain.grade.text import NO_STUDIES, RISK_EXPLANATION
from review_app.exporters.sof.flat import PROFILE_COLUMNS, SOF_COLUMNS, sof_csv
from review_app.exporters.sof.layout import (
    Grid,
    cell,
    placed,
    profile_grid,
    sof_grid,
)
from review_app.exporters.sof.webpage import sof_html
from review_app.exporters.sof.word import sof_docx
from tests.domain.grade.sof_examples import FOOTNOTES, NARRATIVE, example_table

TB_TEXTS = [
    "Study population\n65 per 1,000",
    "32 per 1,000 (22 to 45)",
    "33 fewer per 1,000 (43 fewer to 20 fewer)",
    "RR 0.49 (0.34 to 0.70)",
    "357,347 (6 RCTs)",
]


def grid_cells(grid: Grid) -> dict[tuple[int, int], str]:
    """Every (row, column) of the grid's body and the text of the cell covering it."""
    rows = [row for group in grid.groups for row in group]
    covered = {}
    for r, c, item in placed(rows, grid.columns):
        for dr in range(item.rowspan):
            for dc in range(item.colspan):
                assert (r + dr, c + dc) not in covered, "two cells overlap"
                covered[(r + dr, c + dc)] = item.text
    return covered


@pytest.mark.parametrize("make", [sof_grid, profile_grid])
def test_each_grid_fills_every_row_and_column_exactly(make: object) -> None:
    grid = make(example_table())  # type: ignore[operator]
    rows = sum(len(group) for group in grid.groups)
    assert set(grid_cells(grid)) == {(r, c) for r in range(rows) for c in range(grid.columns)}
    header = list(placed(grid.header, grid.columns))
    assert {c for _, c, item in header for c in range(c, c + item.colspan)} == set(
        range(grid.columns)
    )
    with pytest.raises(ValueError, match="more than 2 columns"):
        list(placed([[cell("a"), cell("b", colspan=2)]], 2))


def open_docx(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def test_the_docx_is_a_real_word_table_on_landscape_a4() -> None:
    document = open_docx(sof_docx(example_table()))
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    size = (section.page_width.mm, section.page_height.mm)  # type: ignore[union-attr]
    assert size == (pytest.approx(297, abs=0.1), pytest.approx(210, abs=0.1))
    assert document.styles["Normal"].font.size == Pt(9)  # type: ignore[attr-defined]
    (table,) = document.tables
    header = [c.text for c in table.rows[0].cells]
    assert header[0] == "Outcomes"
    assert header[1] == "Anticipated absolute effects* (95% CI)"
    assert "Certainty of the evidence\n(GRADE)" in header
    assert [c.text for c in table.rows[1].cells][1:4] == [
        "Risk with placebo",
        "Risk with kratom",
        "Risk difference with kratom",
    ]
    repeated = [row._tr.trPr.find(docx.oxml.ns.qn("w:tblHeader")) is not None for row in table.rows]
    assert repeated[:2] == [True, True] and not any(repeated[2:])
    tb = [c.text for c in table.rows[2].cells]
    assert tb[0] == "Tuberculosis\nfollow-up: mean 9 years6"
    assert tb[1:6] == TB_TEXTS
    assert tb[6] == "⊕⊕◯◯\nLow1,2"
    high = [c.text for c in table.rows[3].cells]
    assert high[1:4] == [
        "High\n200 per 1,000",
        "98 per 1,000 (69 to 139)",
        "102 fewer per 1,000 (131 fewer to 61 fewer)",
    ]
    assert high[0] == tb[0] and high[4:] == tb[4:]  # merged down the outcome's two rows


def test_the_docx_rows_say_continuous_no_studies_narrative_and_pending() -> None:
    (table,) = open_docx(sof_docx(example_table())).tables
    texts = [[c.text for c in row.cells] for row in table.rows[4:]]
    pain, sae, relief, withdrawal = texts
    assert pain[1:4] == [
        "The mean pain intensity was 5.2 points",
        *["MD 1.2 points lower (2.0 lower to 0.4 lower)"] * 2,
    ]
    assert pain[6] == "⊕⊕⊕◯\nModerate3"
    assert sae[1:5] == [NO_STUDIES] * 4 and sae[5:7] == ["—", "—"]
    assert "kratom-063" in sae[7]
    assert relief[0] == "Pain relief\nindirect evidence"
    assert relief[1:5] == [NARRATIVE] * 4
    assert relief[6] == "⊕◯◯◯\nVery low4,5,7"
    assert withdrawal[5:7] == ["Not reported (1 non-randomised study)", "Not yet rated"]


def test_the_docx_footnote_numbers_are_superscript_and_listed_after_the_notes() -> None:
    document = open_docx(sof_docx(example_table()))
    (table,) = document.tables
    certainty = table.rows[2].cells[6].paragraphs[-1].runs
    assert [(run.text, run.font.superscript) for run in certainty] == [
        ("Low", None),
        ("1,2", True),
    ]
    paragraphs = [p.text for p in document.paragraphs]
    assert RISK_EXPLANATION in paragraphs
    assert "GRADE Working Group grades of evidence" in paragraphs
    notes = paragraphs[paragraphs.index("Explanations") + 1 :]
    assert notes[: len(FOOTNOTES)] == [f"{n} {text}" for n, text in enumerate(FOOTNOTES, 1)]
    assert "Published 2026-12-04 by lead." in paragraphs
    no_risks = replace(example_table(published=False), rows=example_table().rows[1:])
    paragraphs = [p.text for p in open_docx(sof_docx(no_risks)).paragraphs]
    assert RISK_EXPLANATION not in paragraphs  # no risk is computed: the asterisk explains none
    assert "Draft: the current judgements, not published." in paragraphs


def test_the_docx_evidence_profile_rates_each_domain_with_its_footnote() -> None:
    document = open_docx(sof_docx(example_table(), profile=True))
    (table,) = document.tables
    assert table.rows[0].cells[0].text == "Certainty assessment"
    assert [c.text for c in table.rows[1].cells][:7] == [
        "№ of studies", "Study design", "Risk of bias", "Inconsistency", "Indirectness",
        "Imprecision", "Other considerations",
    ]  # fmt: skip
    title, tb = ([c.text for c in row.cells] for row in table.rows[2:4])
    assert set(title) == {"Tuberculosis (follow-up: mean 9 years)6"}
    assert tb[:7] == ["6", "randomised trials", "serious1", "serious2", "not serious",
                      "not serious", "none"]  # fmt: skip
    assert tb[9] == (
        "Study population: 33 fewer per 1,000 (43 fewer to 20 fewer)\n"
        "High: 102 fewer per 1,000 (131 fewer to 61 fewer)"
    )
    assert tb[10:] == ["⊕⊕◯◯\nLow", "CRITICAL"]
    rows = [[c.text for c in row.cells] for row in table.rows]
    sae = rows[rows.index(["Serious adverse events"] * 12) + 1]
    assert sae == [NO_STUDIES] * 11 + ["CRITICAL"]
    relief = rows[rows.index(["Pain relief (indirect evidence)"] * 12) + 1]
    assert relief[4:7] == ["very serious4", "serious5", "publication bias strongly suspected7"]
    paragraphs = [p.text for p in document.paragraphs]
    assert RISK_EXPLANATION not in paragraphs
    assert "Question: Does kratom relieve chronic neuropathic pain in adults?" in paragraphs


class Cells(HTMLParser):
    """The HTML's header cells with their scope, its data cells' text and its captions."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[tuple[str | None, str]] = []
        self.data: list[str] = []
        self.captions: list[str] = []
        self._open: tuple[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"th", "td", "caption"}:
            self._open, self._text = (tag, dict(attrs).get("scope")), []

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is None or tag != self._open[0]:
            return
        text = "".join(self._text)
        if tag == "th":
            self.headers.append((self._open[1], text))
        elif tag == "td":
            self.data.append(text)
        else:
            self.captions.append(text)
        self._open = None


def test_the_html_is_standalone_with_scoped_headers_and_a_caption() -> None:
    page = sof_html(example_table()).decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert "<script" not in page and "http" not in page and "<link" not in page
    assert "@page { size: A4 landscape" in page
    cells = Cells()
    cells.feed(page)
    assert cells.captions == [
        "Summary of findings: Kratom compared to placebo for adults with chronic neuropathic pain"
    ]
    assert ("col", "Outcomes") in cells.headers
    assert ("colgroup", "Anticipated absolute effects* (95% CI)") in cells.headers
    assert ("rowgroup", "Tuberculosisfollow-up: mean 9 years6") in cells.headers
    assert all(scope for scope, _ in cells.headers)
    for text in TB_TEXTS:
        assert text.replace("\n", "") in cells.data
    assert NO_STUDIES in cells.data and "Not yet rated" in cells.data
    assert '<li id="note-7">Small industry-funded study.</li>' in page
    assert '<sup><a href="#note-1">1</a>,<wbr><a href="#note-2">2</a></sup>' in page


def test_html_text_is_escaped() -> None:
    table = example_table()
    hostile = replace(table, title="<script>x</script>")
    page = sof_html(hostile).decode("utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so that Excel reads ⊕ and №
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_csv_has_a_line_per_outcome_and_comparator_risk_with_plain_numbers() -> None:
    rows = read_csv(sof_csv(example_table()))
    assert list(rows[0]) == list(SOF_COLUMNS)
    assert [(r["outcome_id"], r["baseline"]) for r in rows] == [
        ("tb", "Study population"), ("tb", "High"), ("pain", ""), ("sae", ""),
        ("relief", ""), ("withdrawal", ""),
    ]  # fmt: skip
    tb = rows[0]
    assert float(tb["comparator_risk_per_1000"]) == 65
    assert float(tb["intervention_risk_per_1000"]) == pytest.approx(65 * 0.4896)
    assert float(tb["risk_difference_ci_high"]) == pytest.approx(65 * 0.695 - 65)
    assert (tb["relative_measure"], float(tb["relative_estimate"])) == ("RR", 0.4896)
    assert (tb["certainty"], tb["certainty_symbols"], tb["footnotes"]) == ("low", "⊕⊕◯◯", "1,2,6")
    assert rows[1]["baseline_source"] == "UK"
    pain = rows[2]
    assert (float(pain["mean_difference"]), pain["unit"], pain["difference_measure"]) == (
        -1.2, "points", "MD",
    )  # fmt: skip
    assert (rows[3]["studies"], rows[3]["certainty"], rows[3]["participants"]) == ("0", "", "")
    assert (rows[5]["pending"], rows[5]["certainty"]) == ("yes", "")


def test_the_profile_csv_has_each_domain_and_its_explanation() -> None:
    rows = read_csv(sof_csv(example_table(), profile=True))
    assert list(rows[0]) == list(PROFILE_COLUMNS)
    assert len(rows) == 5
    tb = rows[0]
    assert (tb["risk_of_bias"], tb["risk_of_bias_explanation"]) == ("serious", FOOTNOTES[0])
    assert (tb["large_effect"], tb["certainty"]) == ("none", "⊕⊕◯◯ Low")
    assert tb["relative_effect"] == "RR 0.49 (0.34 to 0.70)"
    relief = rows[3]
    assert relief["indirectness"] == "very_serious"
    assert relief["other_considerations"] == "publication bias strongly suspected"
    assert rows[4]["risk_of_bias"] == "" and rows[4]["certainty"] == "Not yet rated"


def test_both_tables_show_a_narrative_synthesis_whole_in_the_row() -> None:
    """The synthesis in words is the row's effect in the Summary of findings and in the
    evidence profile, never a footnote that would repeat it."""
    table = example_table()
    profile = [
        [c.text for c in row.cells]
        for row in open_docx(sof_docx(table, profile=True)).tables[0].rows
    ]
    assert any(NARRATIVE in row for row in profile)
    summary = [[c.text for c in row.cells] for row in open_docx(sof_docx(table)).tables[0].rows]
    assert NARRATIVE in summary[6]
    assert NARRATIVE not in table.footnotes
