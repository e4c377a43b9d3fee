"""The PRISMA 2020 flow diagram as SVG, PNG and PDF: valid, A4, readable, the template's words."""

from __future__ import annotations

import dataclasses
import io
import re
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from review_app.domain.plotting import measure
from review_app.domain.prisma import (
    PrismaCounts,
    PrismaInvariantError,
    render_pdf,
    render_png,
    render_svg,
)
from review_app.domain.prisma.geometry import Page, wrap
from review_app.domain.prisma.layout import A4, MIN_FONT_SIZE, layout
from tests.domain.test_prisma_invariants import EXAMPLE, OTHER

# The template's box texts (Page et al. 2021, fig. 1), filled in; lines may wrap between words.
TEMPLATE_TEXTS = [
    "Identification of studies via databases and registers",
    "Identification of studies via other methods",
    "Identification",
    "Screening",
    "Included",
    "Records identified from*: Databases (n = 950) MEDLINE (PubMed) (n = 412) Embase (n = 538) "
    "Registers (n = 37) ClinicalTrials.gov (n = 37)",
    "Records removed before screening: Duplicate records removed (n = 301) Records marked as "
    "ineligible by automation tools (n = 0) Records removed for other reasons (n = 6)",
    "Records screened (n = 680)",
    "Records excluded** (n = 611)",
    "Reports sought for retrieval (n = 69)",
    "Reports not retrieved (n = 4)",
    "Reports assessed for eligibility (n = 65)",
    "Reports excluded: Wrong population (n = 21) Wrong intervention (n = 17) Wrong design (n = 19)",
    "Studies included in review (n = 9) Reports of included studies (n = 11)",
    "Records identified from: Websites (n = 12) Organisations (n = 3) Citation searching (n = 25)",
    "Reports sought for retrieval (n = 8)",
    "Reports not retrieved (n = 1)",
    "Reports assessed for eligibility (n = 7)",
    "Reports excluded: Wrong outcome (n = 3) Duplicate of included report (n = 1)",
    "BMJ 2021;372:n71",
]
NO_OTHER = dataclasses.replace(
    EXAMPLE, other_methods=None, records_excluded=611, new_reports=8, new_studies=8
)
HEAVY = dataclasses.replace(  # a large but real review: must still fit one A4 page at >= 7 pt
    EXAMPLE,
    databases=(*((f"Bibliographic database {i}", 75) for i in range(12)), ("Scopus", 50)),
    registers=(("ClinicalTrials.gov", 20), ("WHO ICTRP", 10), ("EU CTR", 5), ("ISRCTN", 2)),
    reports_excluded=(
        *((f"Exclusion reason number {i} (long wording)", 4) for i in range(12)),
        ("Other", 9),
    ),
    other_methods=dataclasses.replace(
        OTHER,
        reports_assessed=7,
        reports_excluded=(
            *((f"Other-methods reason {i}", 0) for i in range(5)),
            ("Wrong outcome", 4),
        ),
    ),
)
CROWDED = dataclasses.replace(  # beyond any real review: the page grows rather than the text shrink
    NO_OTHER,
    databases=(*((f"Bibliographic database number {i}", 20) for i in range(40)), ("X", 150)),
    reports_excluded=tuple((f"A long exclusion reason, number {i} of many", 3) for i in range(19)),
)


@pytest.fixture(scope="module")
def svg() -> bytes:
    return render_svg(EXAMPLE, title="Kratom for neuropathic pain")


def test_svg_is_valid_xml_on_landscape_a4_with_the_template_wording(svg: bytes) -> None:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert (root.get("width"), root.get("height")) == ("841.89pt", "595.28pt")
    runs = " ".join(el.text or "" for el in root.iter("{http://www.w3.org/2000/svg}text"))
    missing = [
        text for text in [*TEMPLATE_TEXTS, "Kratom for neuropathic pain"] if text not in runs
    ]
    assert not missing


def test_svg_and_pdf_are_deterministic(svg: bytes) -> None:
    assert render_svg(EXAMPLE, title="Kratom for neuropathic pain") == svg
    assert b"<dc:date>" not in svg
    pdf = render_pdf(EXAMPLE)
    assert pdf == render_pdf(EXAMPLE)
    assert b"/CreationDate" not in pdf


def test_pdf_is_one_a4_page() -> None:
    pdf = render_pdf(NO_OTHER)
    assert pdf.startswith(b"%PDF")
    assert re.search(rb"/MediaBox \[ ?0 0 595\.2\d+ 841\.8\d+ ?\]", pdf)  # portrait: two columns
    assert b"/Count 1" in pdf


def test_png_is_300_dpi_a4() -> None:
    image = Image.open(io.BytesIO(render_png(EXAMPLE)))
    assert image.format == "PNG"
    assert all(round(value) >= 300 for value in image.info["dpi"])
    width, height = image.size
    assert abs(width - 3508) <= 2 and abs(height - 2480) <= 2  # A4 landscape at 300 dpi
    assert abs(width / height - 2**0.5) < 0.01


def test_wrong_counts_are_an_error_not_a_picture() -> None:
    wrong = dataclasses.replace(EXAMPLE, records_screened=1)
    for render in (render_svg, render_png, render_pdf):
        with pytest.raises(PrismaInvariantError, match="Records screened"):
            render(wrong)


Rect = tuple[float, float, float, float]


def _inside(inner: Rect, outer: Rect) -> bool:
    x0, y0, x1, y1 = inner
    return outer[0] <= x0 and outer[1] <= y0 and x1 <= outer[2] and y1 <= outer[3]


def _check_readable(page: Page) -> None:
    """Fonts >= 7 pt, no two boxes overlap, all text inside its box, every box on the page."""
    sizes = [run.size for box in page.boxes for run in box.texts] + [t.size for t in page.texts]
    assert min(sizes) >= MIN_FONT_SIZE
    rects = [(b.x, b.y, b.right, b.bottom) for b in page.boxes]
    for i, a in enumerate(rects):
        assert _inside(a, (0, 0, page.width, page.height))
        for b in rects[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    for box in page.boxes:
        for run in box.texts:
            if run.rotation:
                assert measure(run.text, run.size, run.bold) <= box.height
                continue
            width = measure(run.text, run.size, run.bold)
            left = run.x - width / 2 if run.align == "center" else run.x
            top, bottom = run.y - 0.78 * run.size, run.y + 0.22 * run.size
            assert _inside((left, top, left + width, bottom), (box.x, box.y, box.right, box.bottom))


@pytest.mark.parametrize(
    "counts", [EXAMPLE, NO_OTHER, HEAVY, CROWDED], ids=["example", "two", "heavy", "crowded"]
)
def test_layout_is_readable(counts: PrismaCounts) -> None:
    page = layout(counts, measure)
    _check_readable(page)
    if counts is not CROWDED:
        assert sorted((page.width, page.height)) == sorted(A4)  # one A4 page, nothing scaled
    assert len(page.arrows) == (13 if counts.other_methods else 8)
    boxes = {(b.x, b.y, b.right, b.bottom) for b in page.boxes}
    for arrow in page.arrows:  # every arrow ends on the edge of a box
        x, y = arrow.points[-1]
        assert any(x0 <= x <= x1 and y0 <= y <= y1 for x0, y0, x1, y1 in boxes)


def test_boxes_grow_with_long_lists_and_the_page_with_them() -> None:
    def tallest(page: Page) -> float:
        return max(box.height for box in page.boxes if box.texts and not box.texts[0].rotation)

    assert tallest(layout(CROWDED, measure)) > 3 * tallest(layout(NO_OTHER, measure))
    page = layout(CROWDED, measure)
    assert page.width == A4[0] and page.height > A4[1]  # 7 pt at A4 width, grown downwards
    assert layout(EXAMPLE, measure).height == A4[0]


def test_wrap_keeps_counts_whole_and_cuts_overlong_words() -> None:
    lines = wrap("Reports assessed for eligibility (n = 1,234)", 120, 8, False, measure)
    assert lines[-1].endswith("(n = 1,234)") and all(measure(s, 8, False) <= 120 for s in lines)
    url = "https://example.org/" + "a" * 80
    assert all(measure(s, 8, False) <= 100 for s in wrap(url, 100, 8, False, measure))
    assert "".join(wrap(url, 100, 8, False, measure)) == url


def test_the_screen_version_is_cut_to_the_diagram() -> None:
    counts = dataclasses.replace(EXAMPLE, other_methods=None, new_reports=8, new_studies=8,
                                 records_excluded=611)  # fmt: skip
    page, cropped = layout(counts, measure), layout(counts, measure, crop=True)
    assert page.height == A4[1] and cropped.height < 0.9 * A4[1]
    assert (cropped.boxes, cropped.texts) == (page.boxes, page.texts)
    bottom = max(box.y + box.height for box in cropped.boxes)
    assert all(run.y < cropped.height for run in cropped.texts) and bottom < cropped.height


def test_reports_awaiting_a_decision_are_not_called_assessed() -> None:
    """'Reports assessed (n = 2)' while both await a decision: PRISMA 2020 (BMJ 2021;372:n160,
    item 16a) counts there the reports assessed; while some wait, the box says 'retrieved'."""
    from review_app.domain.prisma.wording import database_column, other_column

    waiting = dataclasses.replace(
        NO_OTHER, reports_excluded=(), reports_awaiting_assessment=65, new_studies=0, new_reports=0
    )
    [line] = database_column(waiting).assessed
    assert line.text == "Reports retrieved for assessment (n = 65)"
    text = " ".join(t.text or "" for t in ET.fromstring(render_svg(waiting)).iter() if t.text)
    assert "Reports assessed for eligibility" not in text
    [finished] = other_column(OTHER).assessed
    assert finished.text == "Reports assessed for eligibility (n = 7)"  # the template's words
