"""An analysis's results on the page: the forest plot (SVG inline; SVG, PNG and PDF to download,
drawn when asked for), the statistics with a sentence that reads them, the subgroups' test, the
comparison with all studies when a rule left some out, leave-one-out, and the funnel plot with
Egger's test when there are enough studies (otherwise a sentence saying why not)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from review_app.domain.appraisal.plots import FORMATS, PlotFormat, RobTable
from review_app.errors import ReviewAppError
from review_app.services import analysis_report as report
from review_app.services.analyses import AnalysisRun
from review_app.ui.components.text import escape_markdown

MIME = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}


def show(
    run: AnalysisRun,
    *,
    risk_of_bias: RobTable | None,
    all_studies: AnalysisRun | None,
    file_stem: str,
) -> None:
    """``all_studies``: the same analysis without the rule's exclusions, to compare with."""
    summary = report.summarise(run)
    if summary.k == 0 and not run.analysis.data:
        st.subheader("Result")
        st.info(escape_markdown(summary.sentence))
        return
    st.subheader("Forest plot")
    _forest(run, risk_of_bias, file_stem)
    st.subheader("Result")
    st.markdown(escape_markdown(summary.sentence))
    if all_studies is not None:
        _compared(run, all_studies)
    if summary.statistics:
        st.dataframe(
            pd.DataFrame(
                [{"": s.name, "Value": s.value, "Note": s.note} for s in summary.statistics]
            ),
            hide_index=True,
            width="stretch",
        )
    for note in summary.notes:
        st.caption(escape_markdown(note))
    if run.subgroups is not None:
        st.markdown("**Subgroups**")
        for line in report.subgroup_sentences(run):
            st.markdown(f"- {escape_markdown(line)}")
    _leave_one_out(run)
    _small_study_effects(run, file_stem)


def _forest(run: AnalysisRun, risk_of_bias: RobTable | None, file_stem: str) -> None:
    try:
        svg = report.forest(run, "svg", risk_of_bias=risk_of_bias)
    except ReviewAppError as error:
        st.error(str(error))
        return
    st.image(svg.decode("utf-8"))  # its title names the outcome and time point
    _downloads("forest", file_stem, lambda fmt: report.forest(run, fmt, risk_of_bias=risk_of_bias))


def _downloads(kind: str, file_stem: str, draw: Callable[[PlotFormat], bytes]) -> None:
    buttons = st.container(horizontal=True)
    for fmt in FORMATS:
        buttons.download_button(
            f"Download {kind} plot ({fmt.upper()})",
            _lazy(draw, fmt),
            file_name=f"{kind}-{file_stem}.{fmt}",
            mime=MIME[fmt],
            key=f"an_download_{kind}_{fmt}",
            on_click="ignore",
        )


def _lazy(draw: Callable[[PlotFormat], bytes], fmt: PlotFormat) -> Callable[[], bytes]:
    def data() -> bytes:
        return draw(fmt)

    return data


def _compared(run: AnalysisRun, all_studies: AnalysisRun) -> None:
    """The sensitivity analysis beside the analysis of every study."""
    left = len(all_studies.analysis.data) - len(run.analysis.data)
    st.markdown(
        f"Sensitivity analysis: {left} {'study' if left == 1 else 'studies'} left out by the "
        f"rule '{escape_markdown(run.spec.exclusion_rule)}'. With every study: "
        f"{escape_markdown(report.summarise(all_studies).sentence)}"
    )


def _leave_one_out(run: AnalysisRun) -> None:
    with st.expander("Leave-one-out: the analysis without each study in turn", expanded=False):
        rows = report.leave_one_out(run)
        if isinstance(rows, str):
            st.caption(rows)
            return
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Study left out": r.study,
                        "Pooled effect of the others": r.effect,
                        "Tau²": r.tau2,
                        "I²": r.i2,
                        "P": r.p,
                    }
                    for r in rows
                ]
            ),
            hide_index=True,
            width="stretch",
        )


def _small_study_effects(run: AnalysisRun, file_stem: str) -> None:
    st.markdown("**Small-study effects**")
    found = report.small_study_effects(run)
    st.caption(escape_markdown(found.sentence))
    if found.applies:
        st.image(report.funnel(run, "svg").decode("utf-8"), caption="Funnel plot")
        _downloads("funnel", file_stem, lambda fmt: report.funnel(run, fmt))
