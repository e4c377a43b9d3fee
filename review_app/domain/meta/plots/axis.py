"""The effect axis of the forest and funnel plots: a scale from the analysis scale (log for ratios)
to pt, RevMan's symmetric scales for the forest, and labelled ticks for the funnel."""

from __future__ import annotations

import math
from dataclasses import dataclass

from review_app.domain.meta.plots.wording import back


@dataclass(frozen=True, slots=True)
class Scale:
    """An axis from ``low`` to ``high`` on the analysis scale (log for ratios), drawn from x over
    ``width`` pt, with ticks labelled on the measure's own scale."""

    low: float
    high: float
    ticks: tuple[float, ...]
    is_ratio: bool
    x: float
    width: float

    def at(self, value: float) -> float:
        return self.x + (value - self.low) / (self.high - self.low) * self.width

    def label(self, tick: float) -> str:
        return f"{round(back(tick, self.is_ratio), 6):g}"

    def clip(self, value: float) -> float:
        return min(max(value, self.low), self.high)


# RevMan's symmetric scales for ratios: the largest ratio and the ratios labelled.
RATIO_SCALES = (
    (2.0, (0.5, 0.7, 1, 1.5, 2)),
    (5.0, (0.2, 0.5, 1, 2, 5)),
    (10.0, (0.1, 0.2, 0.5, 1, 2, 5, 10)),
    (20.0, (0.05, 0.2, 1, 5, 20)),
    (100.0, (0.01, 0.1, 1, 10, 100)),
    (1000.0, (0.001, 0.1, 1, 10, 1000)),
)


def forest_scale(reach: float, is_ratio: bool, x: float, width: float) -> Scale:
    """RevMan's axis reaching at least ``reach`` from no effect either way, drawn from x."""
    if is_ratio:
        bound, labels = next(
            ((b, t) for b, t in RATIO_SCALES if math.log(b) >= reach), RATIO_SCALES[-1]
        )
        ticks = tuple(math.log(t) for t in labels)
        return Scale(-math.log(bound), math.log(bound), ticks, True, x, width)
    bound = nice(reach)
    return Scale(-bound, bound, (-bound, -bound / 2, 0.0, bound / 2, bound), False, x, width)


def nice(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at least ``value`` (1 for 0)."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value * (1 - 1e-12))


def plain_ticks(low: float, high: float) -> tuple[float, ...]:
    from matplotlib.ticker import MaxNLocator

    ticks = MaxNLocator(6).tick_values(low, high)
    return tuple(float(t) for t in ticks if low <= t <= high)


def ratio_ticks(low: float, high: float) -> tuple[float, ...]:
    """Ratios labelled on a log axis: powers of ten, else 1-2-5, else finer, as many as fit
    (at most 7, and at least 4 when a finer set allows)."""
    chosen: list[float] = []
    decades = range(math.floor(low / math.log(10)) - 1, math.ceil(high / math.log(10)) + 2)
    for mantissas in ((1.0,), (1.0, 2.0, 5.0), (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)):
        ticks = [math.log(m * 10.0**e) for e in decades for m in mantissas]
        ticks = sorted(t for t in ticks if low <= t <= high)
        if len(ticks) > 7:
            break
        chosen = ticks
        if len(ticks) >= 4:
            break
    return tuple(chosen)
