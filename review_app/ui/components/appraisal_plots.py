"""The consensus risk-of-bias plots of one outcome on the page: the robvis traffic-light plot and
the summary bar plot (``domain/appraisal/plots.py``) as SVG, the table they are drawn from, and
each plot to download as SVG, PNG (300 dpi) or PDF (drawn when asked for)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from review_app.domain.appraisal.plots import (
    FORMATS,
    PlotFormat,
    RobTable,
    render_summary,
    render_traffic_light,
)
from review_app.errors import ReviewAppError

MIME = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}
NOT_JUDGED = "—"
Renderer = Callable[[RobTable, PlotFormat], bytes]


def plot_frame(table: RobTable) -> pd.DataFrame:
    """The table a plot is drawn from: a row per study, its judgement per domain and overall."""
    return pd.DataFrame(
        [
            {
                "Study": row.study,
                **{
                    domain.short: judgement or NOT_JUDGED
                    for domain, judgement in zip(table.domains, row.judgements, strict=True)
                },
                "Overall": row.overall or NOT_JUDGED,
            }
            for row in table.rows
        ]
    )


def no_consensus(outcome_name: str) -> str:
    return (
        f"No consensus assessment for {outcome_name} yet; a study appears in the plots once a "
        "lead has started its consensus (Compare and agree)."
    )


def show(table: RobTable, *, outcome_name: str, key: str) -> None:
    """Both plots of ``table`` with the table itself; a table the plots cannot draw says why."""
    if not table.rows:
        st.caption(no_consensus(outcome_name))
        return
    traffic, summary = st.tabs(["Traffic-light plot", "Summary plot"])
    with traffic:
        _plot(table, render_traffic_light, "traffic-light", outcome_name, key)
    with summary:
        _plot(table, render_summary, "summary", outcome_name, key)
    with st.expander("The table the plots are drawn from", expanded=False):
        st.dataframe(plot_frame(table), hide_index=True, width="stretch")


def _plot(table: RobTable, render: Renderer, kind: str, outcome_name: str, key: str) -> None:
    try:
        svg = render(table, "svg")
    except ReviewAppError as error:
        st.error(str(error))
        return
    st.image(svg.decode("utf-8"), caption=f"{table.tool}: {outcome_name}")
    buttons = st.container(horizontal=True)
    for fmt in FORMATS:
        buttons.download_button(
            f"Download {fmt.upper()}",
            _lazy(render, table, fmt),
            file_name=f"rob-{kind}-{key}.{fmt}",
            mime=MIME[fmt],
            key=f"rob_download_{kind}_{key}_{fmt}",
            on_click="ignore",
        )


def _lazy(render: Renderer, table: RobTable, fmt: PlotFormat) -> Callable[[], bytes]:
    def data() -> bytes:
        return render(table, fmt)

    return data
