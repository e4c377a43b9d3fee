"""Risk-of-bias plots in the robvis conventions: shares, checks, and SVG/PNG/PDF that hold them.

The example tables are RoB 2 (Sterne et al., BMJ 2019;366:l4898) and ROBINS-I (Sterne et al., BMJ
2016;355:i4919) results, with robvis's domain names and Cochrane colours and symbols (McGuinness &
Higgins, Res Synth Methods 2021;12:55-61; robvis R/helpers.R ``get_colour``, R/rob_traffic_light.R).
"""

from __future__ import annotations

import dataclasses
import io
import math
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from review_app.domain.appraisal.plots import (
    NOT_ASSESSED,
    OVERALL_NAME,
    Judgement,
    RobDomain,
    RobRow,
    RobTable,
    render_summary,
    render_traffic_light,
    summary_bars,
    validate_table,
)
from review_app.errors import ValidationError

SVG = "{http://www.w3.org/2000/svg}"
L, S, H, N = "Low", "Some concerns", "High", "No information"
ROB2_SCALE = (
    Judgement(L, "#02C100", "+"),
    Judgement(S, "#E2DF07", "-"),
    Judgement(H, "#BF0000", "X"),
    Judgement(N, "#4EA1F7", "?"),
)
ROB2_NAMES = (
    "Bias arising from the randomization process",
    "Bias due to deviations from intended interventions",
    "Bias due to missing outcome data",
    "Bias in measurement of the outcome",
    "Bias in selection of the reported result",
)
ROB2_DOMAINS = tuple(RobDomain(f"D{i}", name) for i, name in enumerate(ROB2_NAMES, start=1))
LONG = "Okafor et al. 2021 (cluster-randomised trial of a nurse-led intervention in primary care)"
ROB2 = RobTable(
    "RoB 2",
    ROB2_DOMAINS,
    ROB2_SCALE,
    (
        RobRow("Smith 2019", (L, L, L, L, L), L, 30.0),
        RobRow("Jones 2020", (S, L, L, S, L), S, 25.0),
        RobRow(LONG, (H, S, L, L, S), H, 20.0),
        RobRow("Nguyen 2022", (L, N, L, None, L), S, 15.0),
        RobRow("García & Ruiz 2023", (L, L, H, L, L), H, 10.0),
    ),
)
Mo, Se, Cr = "Moderate", "Serious", "Critical"
ROBINS_I = RobTable(
    "ROBINS-I",
    tuple(
        RobDomain(f"D{i}", name)
        for i, name in enumerate(
            (
                "Bias due to confounding",
                "Bias due to selection of participants",
                "Bias in classification of interventions",
                "Bias due to deviations from intended interventions",
                "Bias due to missing data",
                "Bias in measurement of outcomes",
                "Bias in selection of the reported result",
            ),
            start=1,
        )
    ),
    (
        Judgement(L, "#02C100", "+"),
        Judgement(Mo, "#E2DF07", "-"),
        Judgement(Se, "#BF0000", "X"),
        Judgement(Cr, "#820000", "!"),
        Judgement(N, "#4EA1F7", "?"),
    ),
    (
        RobRow("Cohort A 2015", (Mo, L, L, L, Mo, L, L), Mo),
        RobRow("Cohort B 2017", (Se, Mo, L, N, L, Mo, L), Se),
        RobRow("Registry C 2018", (Cr, Mo, Mo, L, Se, L, Mo), Cr),
    ),
)
RENDERERS = (render_traffic_light, render_summary)


def _svg_texts(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return [el.text or "" for el in root.iter(f"{SVG}text")]


def _pt(value: str | None) -> float:
    assert value is not None and value.endswith("pt")
    return float(value[:-2])


# Shares ------------------------------------------------------------------------------------------


def test_unweighted_shares_are_the_share_of_studies_at_each_judgement() -> None:
    table = dataclasses.replace(
        ROB2, rows=tuple(dataclasses.replace(row, weight=None) for row in ROB2.rows)
    )
    bars = summary_bars(table)
    assert [bar.name for bar in bars] == [*ROB2_NAMES, OVERALL_NAME]
    assert [bar.is_overall for bar in bars] == [False] * 5 + [True]
    # D1: L, S, H, L, L; D4: L, S, L, (none), L; Overall: L, S, H, S, H (counted from ROB2's rows)
    assert bars[0].shares == pytest.approx((3 / 5, 1 / 5, 1 / 5, 0))
    assert bars[3].shares == pytest.approx((3 / 5, 1 / 5, 0, 0))
    assert bars[3].not_assessed == pytest.approx(1 / 5)
    assert bars[1].shares == pytest.approx((3 / 5, 1 / 5, 0, 1 / 5))
    assert bars[5].shares == pytest.approx((1 / 5, 2 / 5, 2 / 5, 0))


def test_weighted_shares_are_the_share_of_weight_at_each_judgement() -> None:
    bars = summary_bars(ROB2)  # weights 30, 25, 20, 15, 10: total 100
    assert bars[0].shares == pytest.approx((0.55, 0.25, 0.20, 0))  # L 30+15+10, S 25, H 20
    assert bars[1].shares == pytest.approx((0.65, 0.20, 0, 0.15))  # L 30+25+10, S 20, NI 15
    assert bars[3].shares == pytest.approx((0.60, 0.25, 0, 0))  # L 30+20+10, S 25
    assert bars[3].not_assessed == pytest.approx(0.15)
    assert bars[5].shares == pytest.approx((0.30, 0.40, 0.30, 0))  # L 30, S 25+15, H 20+10
    for bar in bars:
        assert math.fsum(bar.shares) + bar.not_assessed == pytest.approx(1)


def test_a_study_of_weight_zero_does_not_move_the_shares() -> None:
    rows = (RobRow("A", (L,) * 5, L, 1.0), RobRow("B", (H,) * 5, H, 0.0))
    bars = summary_bars(dataclasses.replace(ROB2, rows=rows), overall=False)
    assert len(bars) == 5
    assert all(bar.shares == pytest.approx((1, 0, 0, 0)) for bar in bars)


# Checks ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("render", RENDERERS)
def test_an_empty_table_is_a_sentence_not_a_picture(render: object) -> None:
    empty = dataclasses.replace(ROB2, rows=())
    with pytest.raises(ValidationError, match="nothing to plot: the RoB 2 table has no studies"):
        render(empty, "svg")  # type: ignore[operator]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ((RobRow("A", (L, L, L, L, "Unclear"), L),), r"'A', D5: 'Unclear' is not a RoB 2"),
        ((RobRow("A", (L,) * 5, "Moderate"),), r"'A', Overall: 'Moderate' is not"),
        ((RobRow("A", (L,) * 4, L),), "has 4 domain judgements; RoB 2 has 5 domains"),
        ((RobRow("A", (L,) * 5, L, 2.0), RobRow("B", (L,) * 5, L)), "these have none: B"),
        ((RobRow("A", (L,) * 5, L, -1.0),), "weight -1.0; a weight is a number of 0 or more"),
        ((RobRow("A", (L,) * 5, L, math.nan),), "weight nan"),
    ],
)
def test_a_table_the_plots_cannot_draw_names_what_is_wrong(
    rows: tuple[RobRow, ...], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        validate_table(dataclasses.replace(ROB2, rows=rows))


def test_the_allowed_judgements_are_listed_in_the_scales_order() -> None:
    rows = (RobRow("A", (L, L, L, L, "Unclear"), L),)
    with pytest.raises(ValidationError, match="allowed: Low, Some concerns, High, No information"):
        validate_table(dataclasses.replace(ROB2, rows=rows))


def test_all_weights_zero_and_a_colour_that_is_not_hex_are_errors() -> None:
    rows = (RobRow("A", (L,) * 5, L, 0.0),)
    with pytest.raises(ValidationError, match="weight 0"):
        summary_bars(dataclasses.replace(ROB2, rows=rows))
    scale = (Judgement(L, "green", "+"), *ROB2_SCALE[1:])
    with pytest.raises(ValidationError, match="colour 'green'; a colour is written #RRGGBB"):
        validate_table(dataclasses.replace(ROB2, scale=scale))


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValidationError, match="not 'jpeg'"):
        render_summary(ROB2, "jpeg")  # type: ignore[arg-type]


# Drawings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("render", RENDERERS)
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_the_same_table_gives_the_same_bytes(render: object, fmt: str) -> None:
    first = render(ROB2, fmt, title="Pain at 12 weeks")  # type: ignore[operator]
    assert render(ROB2, fmt, title="Pain at 12 weeks") == first  # type: ignore[operator]
    assert b"<dc:date>" not in first and b"/CreationDate" not in first


def test_traffic_light_svg_holds_every_study_domain_and_judgement_colour() -> None:
    svg = render_traffic_light(ROB2, "svg", title="Pain at 12 weeks")
    texts = _svg_texts(svg)
    for row in ROB2.rows:
        if row.study == LONG:  # wrapped between words onto lines of its own
            lines = [text for text in texts if len(text) > 3 and text in LONG]
            assert len(lines) >= 2 and " ".join(lines) == LONG
        else:
            assert row.study in texts
    for domain in ROB2.domains:
        assert domain.short in texts
        assert f"{domain.short}: {domain.name}." in texts
    assert {"Overall", "Risk of bias domains", "Study", "Domains:", "Judgement"} <= set(texts)
    assert "Pain at 12 weeks" in texts
    for judgement in ROB2_SCALE:
        assert judgement.colour.lower().encode() in svg
        assert judgement.label in texts
    # 5 studies x 6 columns, one cell blank (Nguyen D4): 29 lights, plus 4 in the legend
    assert texts.count("+") + texts.count("-") + texts.count("X") + texts.count("?") == 29 + 4


def test_robins_i_traffic_light_shows_critical_and_seven_domains() -> None:
    texts = _svg_texts(render_traffic_light(ROBINS_I, "svg"))
    assert [f"D{i}" for i in range(1, 8)] == [t for t in texts if t in {f"D{i}" for i in range(9)}]
    assert texts.count("!") == 2 + 1  # Registry C's D1 and Overall, and the legend
    assert "D7: Bias in selection of the reported result." in texts


def test_summary_svg_names_each_domain_and_the_missing_judgement() -> None:
    svg = render_summary(ROB2, "svg")
    texts = _svg_texts(svg)
    for name in [*ROB2_NAMES, OVERALL_NAME, NOT_ASSESSED, "0%", "50%", "100%"]:
        assert name in texts
    assert b"#cccccc" in svg
    assert NOT_ASSESSED not in _svg_texts(render_summary(ROBINS_I, "svg"))  # every cell judged


def test_png_is_300_dpi_and_the_traffic_light_grows_with_the_studies() -> None:
    sizes = {}
    for count in (1, 100):
        rows = tuple(
            dataclasses.replace(ROB2.rows[i % 4], study=f"Study {i:03}") for i in range(count)
        )
        image = Image.open(
            io.BytesIO(render_traffic_light(dataclasses.replace(ROB2, rows=rows), "png"))
        )
        assert image.format == "PNG"
        assert all(round(value) == 300 for value in image.info["dpi"])
        sizes[count] = image.size
    (width_1, height_1), (width_100, height_100) = sizes[1], sizes[100]
    assert width_1 == width_100 and 4 * 300 <= width_1 <= 10 * 300  # 4 to 10 inches wide
    assert height_1 < 4 * 300
    row = 26 / 72 * 300  # one 26 pt row at 300 dpi
    assert height_100 - height_1 == pytest.approx(99 * row, abs=3)


def test_a_long_study_label_wraps_and_makes_its_row_taller() -> None:
    short = dataclasses.replace(ROB2, rows=(ROB2.rows[0],))
    long = dataclasses.replace(ROB2, rows=(ROB2.rows[2],))
    short_root = ET.fromstring(render_traffic_light(short, "svg"))
    long_root = ET.fromstring(render_traffic_light(long, "svg"))
    assert _pt(long_root.get("height")) > _pt(short_root.get("height"))
    assert _pt(long_root.get("width")) < 11 * 72  # wrapped, not as wide as the label


def test_summary_png_is_300_dpi_and_pdf_is_one_page() -> None:
    image = Image.open(io.BytesIO(render_summary(ROBINS_I, "png")))
    assert all(round(value) == 300 for value in image.info["dpi"])
    width, height = image.size
    assert 5 * 300 <= width <= 10 * 300 and height < width
    for render in RENDERERS:
        pdf = render(ROBINS_I, "pdf")
        assert pdf.startswith(b"%PDF")
        assert b"/Count 1" in pdf
