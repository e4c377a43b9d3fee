"""Formula neutralising (CSV/formula injection): every spelling a spreadsheet may run as a
formula gets a leading ``'``; text that only contains such signs is left alone (issue 11)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from review_app.exporters.tabular import neutralise, table_csv, table_xlsx

FORMULA = '=HYPERLINK("https://evil.example","x")'


@pytest.mark.parametrize(
    "cell",
    [
        FORMULA,
        "+1+1",
        "-1+1",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "\tplain",  # a tab or carriage return first, as before
        '＝HYPERLINK("https://evil.example")',  # full-width equals, U+FF1D
        "＋1",  # U+FF0B
        "－1",  # U+FF0D
        "＠SUM(A1)",  # U+FF20
        "﹦1",  # small equals, U+FE66
        "\u200b=1",  # zero-width space
        "\ufeff=1",  # byte-order mark / zero-width no-break space
        "\u2060=1",  # word joiner
        "\u200e\u200f=1",  # direction marks
        "\u00ad=1",  # soft hyphen
        " =1",
        "   +1",
        "\u00a0=1",  # no-break space
        "\u3000=1",  # ideographic space
        "\n=1",
        " \u200b\t＝1",  # a mix
    ],
)
def test_formula_like_cells_are_neutralised(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell",
    ["", "Kratom", "2020", "a=1", "pain (-1 to +1)", "x@y.example", " plain", "\u200bword", "'=1"],
)
def test_other_cells_are_unchanged(cell: str) -> None:
    assert neutralise(cell) == cell


def test_tables_neutralise_every_spelling_in_csv_and_xlsx() -> None:
    cells = ["＝1+1", "\u200b=1+1", " @x", "fine"]
    csv_text = table_csv(["a", "b", "c", "d"], [cells], excel=False).decode()
    assert csv_text.splitlines()[1] == "'＝1+1,'\u200b=1+1,' @x,fine"
    sheet = load_workbook(io.BytesIO(table_xlsx({"t": (["a", "b", "c", "d"], [cells])})))["t"]
    assert [cell.value for cell in sheet[2]] == ["'＝1+1", "'\u200b=1+1", "' @x", "fine"]
