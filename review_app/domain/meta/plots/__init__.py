"""Forest and funnel plots of a meta-analysis, as SVG, PNG (300 dpi) or PDF bytes.

- ``wording``: RevMan's words and rounding (P values, heterogeneity and overall-effect lines...);
- ``rows``: what a forest plot holds, row by row; ``axis``: the effect axis and its ticks;
- ``forest``: the forest plot in RevMan's layout, with ``marks`` (squares, diamonds, the
  prediction interval) and ``rob_columns`` (the risk-of-bias columns and their legend);
- ``funnel``: metafor's funnel plot;
- ``style``: sizes, the SVG salt and the text helper they share.

Both plots are drawn and saved by ``domain/plotting.py``, as every figure of the app is.
"""

from review_app.domain.meta.plots.forest import ForestLabels, forest_plot
from review_app.domain.meta.plots.funnel import funnel_plot
from review_app.domain.meta.plots.wording import (
    NOT_ESTIMABLE,
    format_p,
    heterogeneity_text,
    interval_text,
    method_label,
    method_notes,
    overall_effect_text,
    subgroup_difference_text,
)

__all__ = [
    "NOT_ESTIMABLE",
    "ForestLabels",
    "forest_plot",
    "format_p",
    "funnel_plot",
    "heterogeneity_text",
    "interval_text",
    "method_label",
    "method_notes",
    "overall_effect_text",
    "subgroup_difference_text",
]
