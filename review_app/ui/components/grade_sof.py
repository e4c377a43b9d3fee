"""The Summary-of-Findings table (or the evidence profile) in a page, and its files.

The table is the HTML page the export writes (``services/exports/sof.write_table``), shown in an
iframe sized to it: the same cells and words as the downloaded file, its styles kept inside the
frame, and a table wider than the page scrolls sideways within the frame instead of being cut
off. The writer escapes every text it is given and writes no script.

The files are made when a button is clicked (not on every visit) by a function the page gives,
so that the GRADE page downloads through the exports registry (the command line's bytes) and the
Summary-of-findings page writes the published table itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st

from review_app.domain.grade.model import SofTable
from review_app.services.exports import MEDIA_TYPES
from review_app.services.exports.sof import write_table

FORMATS = ("docx", "html", "csv", "json")
FORMAT_LABELS = {"docx": "Word (DOCX)", "html": "Web page (HTML)", "csv": "CSV", "json": "JSON"}
PROFILE = "Evidence profile"
SUMMARY = "Summary of findings"
# Below a readable width the table keeps its width and the frame's body scrolls sideways (the
# body is its own scroll container: the frame itself has no scroll bars).
TABLE_MIN_WIDTH_PX = 900
WIDE_FRAME = (
    "<style>html { overflow-x: hidden; } body { overflow-x: auto; } "
    f"table {{ min-width: {TABLE_MIN_WIDTH_PX}px; }}</style>"
)

FileMaker = Callable[[str, bool], bytes]  # (format, profile) -> the file's bytes


def pick_layout(key: str) -> bool:
    """Whether the evidence profile is wanted instead of the Summary of findings."""
    chosen = st.segmented_control(
        "Table", [SUMMARY, PROFILE], default=SUMMARY, required=True, key=key
    )
    return chosen == PROFILE


def show(table: SofTable, *, profile: bool) -> None:
    """The table as its HTML file shows it, in a frame as tall as the table."""
    page = write_table(table, "html", profile=profile).decode("utf-8")
    st.iframe(page.replace("</head>", WIDE_FRAME + "</head>", 1), height="content")


def downloads(make: FileMaker, *, profile: bool, stem: str, key: str) -> None:
    """One button per format; the file is made when its button is clicked."""
    name = f"{stem}-{'evidence-profile' if profile else 'summary-of-findings'}"
    row = st.container(horizontal=True)
    for format in FORMATS:
        row.download_button(
            FORMAT_LABELS[format],
            functools.partial(make, format, profile),
            file_name=f"{name}.{format}",
            mime=MEDIA_TYPES[format],
            key=f"{key}_{format}_{'profile' if profile else 'sof'}",
            icon=":material/download:",
            on_click="ignore",  # a rerun would replace the button while the file downloads
        )
