"""The Summary-of-Findings HTML page in Debian's Chromium: the table is there with its caption
and header cells as a screen reader meets them, nothing runs past the width of landscape A4 on
screen or in print (a long word included), and a footnote number leads to its footnote."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from review_app.exporters.sof.webpage import sof_html
from tests.domain.grade.sof_examples import FOOTNOTES, example_table

A4_LANDSCAPE_PX = round(297 / 25.4 * 96)  # CSS pixels at 96 per inch
PRINTABLE_PX = round((297 - 2 * 12) / 25.4 * 96)  # less the page's 12 mm margins (@page)
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3


def opened(browser: Any, html: bytes, width: int) -> Any:
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.set_content(html.decode("utf-8"))
    return page


def widest(page: Any) -> dict[str, float]:
    """How wide the document and the table are, and where the table's right edge lies."""
    return page.evaluate(
        """() => {
        const table = document.querySelector('table');
        return {document: document.documentElement.scrollWidth,
                table: table.scrollWidth, box: table.clientWidth,
                right: table.getBoundingClientRect().right};
        }"""
    )


@pytest.mark.parametrize("profile", [False, True], ids=["summary", "profile"])
def test_the_table_fits_landscape_a4_on_screen_and_in_print(browser: Any, profile: bool) -> None:
    table = example_table()
    long = replace(table.rows[0].grade.evidence, name=LONG_WORD)
    rows = (replace(table.rows[0], grade=replace(table.rows[0].grade, evidence=long)),)
    html = sof_html(replace(table, rows=rows + table.rows[1:]), profile=profile)
    page = opened(browser, html, A4_LANDSCAPE_PX)
    sizes = widest(page)
    assert sizes["document"] <= A4_LANDSCAPE_PX
    assert sizes["table"] <= sizes["box"]  # no cell pushes the table wider than it is laid out
    page.emulate_media(media="print")
    page.set_viewport_size({"width": PRINTABLE_PX, "height": 900})
    printed = widest(page)
    assert printed["document"] <= PRINTABLE_PX and printed["right"] <= PRINTABLE_PX
    assert printed["table"] <= printed["box"]
    assert page.pdf(format="A4", landscape=True).startswith(b"%PDF")
    page.context.close()


def test_a_screen_reader_meets_the_caption_headers_and_footnotes(browser: Any) -> None:
    page = opened(browser, sof_html(example_table()), A4_LANDSCAPE_PX)
    title = (
        "Summary of findings: Kratom compared to placebo for adults with chronic neuropathic pain"
    )
    table = page.get_by_role("table", name=title)
    assert table.is_visible()
    assert page.get_by_role("heading", level=1, name=title).is_visible()
    for name in ("Outcomes", "Relative effect (95% CI)", "Risk with placebo", "Comments"):
        assert table.get_by_role("columnheader", name=name).count() == 1
    assert table.get_by_role("rowheader", name="Pain intensity follow-up: 8 weeks").count() == 1
    cell = table.get_by_role("cell", name="RR 0.49 (0.34 to 0.70)")
    assert cell.count() == 1 and cell.is_visible()
    page.get_by_role("link", name="1", exact=True).click()
    assert page.evaluate("location.hash") == "#note-1"
    assert page.locator("#note-1").inner_text() == FOOTNOTES[0]
    page.context.close()
