"""The figures' shared canvas and save: formats, determinism per plot kind, 300 dpi PNG, and one
lock around matplotlib's process-wide settings (saves from several threads give the same bytes)."""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from review_app.domain.plotting import canvas, check_format, measure, save_figure, text
from review_app.errors import ValidationError


def _figure(words: str = "Risk ratio 0.49 [0.33, 0.73]") -> object:
    figure, axes = canvas(200, 40)
    text(axes, 10, 20, words, size=8)
    text(axes, 190, 20, "$5", size=8, bold=True, ha="right")  # a dollar sign, not mathtext
    axes.plot([10, 190], [30, 30], color="black")
    return figure


def _save(fmt: str, salt: str = "review-app-test") -> bytes:
    return save_figure(_figure(), fmt, salt=salt)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["svg", "pdf", "png"])
def test_the_same_figure_gives_the_same_bytes(fmt: str) -> None:
    assert _save(fmt) == _save(fmt)


def test_the_svg_ids_follow_the_salt_and_hold_no_date() -> None:
    first, second = _save("svg", "one"), _save("svg", "two")
    assert first != second
    ids = set(re.findall(rb'id="([^"]+)"', first))
    assert ids and ids != set(re.findall(rb'id="([^"]+)"', second))
    assert b"<dc:date>" not in first
    assert b">Risk ratio 0.49 [0.33, 0.73]</text>" in first and b">$5</text>" in first


def test_the_page_is_in_points_png_at_300_dpi_and_pdf_without_date() -> None:
    svg = _save("svg")
    assert b'width="200pt" height="40pt"' in svg
    image = Image.open(io.BytesIO(_save("png")))
    assert image.size == (int(200 / 72 * 300), int(40 / 72 * 300))  # matplotlib rounds down
    assert all(round(value) == 300 for value in image.info["dpi"])
    pdf = _save("pdf")
    assert pdf.startswith(b"%PDF") and b"CreationDate" not in pdf


def test_saves_from_several_threads_give_the_serial_bytes() -> None:
    serial = {fmt: _save(fmt, f"salt-{fmt}") for fmt in ("svg", "pdf")}
    jobs = [fmt for fmt in ("svg", "pdf") for _ in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda fmt: (fmt, _save(fmt, f"salt-{fmt}")), jobs))
    assert all(serial[fmt] == data for fmt, data in results)


def test_an_unknown_format_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(ValidationError, match="svg, png, pdf, not 'jpeg'"):
        check_format("jpeg")
    with pytest.raises(ValidationError, match="'gif'"):
        _save("gif")


def test_a_line_measures_as_its_words_and_spaces() -> None:
    one, two = measure("Risk", 8, False), measure("Risk ratio", 8, False)
    assert two > one > 0
    assert measure("Risk", 16, False) == pytest.approx(2 * one)
    assert measure("Risk", 8, True) > one
