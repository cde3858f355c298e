"""Time series → PNG with matplotlib (Agg), imported lazily so start-up stays fast."""

from __future__ import annotations

import io
from datetime import UTC
from typing import Any

from bot.core import format as fmt
from bot.core.charting import drawing
from bot.discover.sentry_api import Timeseries
from bot.discover.table import format_value

WIDTH = 1200
HEIGHT = 600
DPI = 100
MAX_LABEL = 60
MIN_LABEL = 16
# Okabe–Ito: distinguishable for colour-blind readers, fine on Slack's light and dark themes.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_UNIT_LABELS = {
    "millisecond": "ms",
    "second": "s",
    "microsecond": "µs",
    "nanosecond": "ns",
    "byte": "bytes",
    "1/minute": "per minute",
    "1/second": "per second",
}


def unit_label(value_type: str, unit: str | None) -> str:
    """The unit as an axis label shows it: `ms`, `%`, `per minute` (counts need none)."""
    if value_type == "percentage":
        return "%"
    return _UNIT_LABELS.get(unit, unit) if unit else ""


def render_timeseries(
    ts: Timeseries,
    *,
    title: str,
    subtitle: str = "",
    width: int = WIDTH,
    height: int = HEIGHT,
) -> bytes:
    """A titled line chart with labelled axes, a legend and UTC time ticks, as PNG bytes."""
    with drawing():
        fig = build_figure(ts, title=title, subtitle=subtitle, width=width, height=height)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI)
        return buf.getvalue()


def build_figure(
    ts: Timeseries, *, title: str, subtitle: str = "", width: int = WIDTH, height: int = HEIGHT
) -> Any:
    """The chart as a matplotlib Figure (rendered by `render_timeseries`; tests read its layout)."""
    with drawing():
        return _build(ts, title=title, subtitle=subtitle, width=width, height=height)


def _build(ts: Timeseries, *, title: str, subtitle: str, width: int, height: int) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.dates as mdates
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for i, series in enumerate(ts.series):
        xs = np.array([round(t * 1000) for t, _ in series.points], dtype="datetime64[ms]")
        ys = [v for _, v in series.points]
        ax.plot(
            xs,
            ys,
            color=COLORS[i % len(COLORS)],
            linewidth=1.8,
            marker="o" if len(xs) <= 2 else None,
        )
    fig.suptitle(fmt.truncate(title, 100), fontsize=15, fontweight="bold", x=0.01, ha="left")
    if subtitle:
        ax.set_title(fmt.truncate(subtitle, 140), fontsize=10, color="#555555", loc="left")
    unit = unit_label(ts.value_type, ts.unit)
    ax.set_ylabel(f"{ts.y_axis} ({unit})" if unit else ts.y_axis, fontsize=11)
    ax.set_xlabel("Time (UTC)", fontsize=11)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9, tz=UTC)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(
        mdates.ConciseDateFormatter(locator, tz=UTC)  # type: ignore[no-untyped-call]
    )
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.yaxis.set_major_formatter(FuncFormatter(_tick_formatter(ts.value_type, ts.unit)))
    ax.set_ylim(bottom=0)
    ax.grid(True, color="#dddddd", linewidth=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=10)
    if ts.series:
        _fit_legend(fig, ax, [s.label for s in ts.series])
    return fig


def _fit_legend(fig: Any, ax: Any, labels: list[str]) -> Any:
    """A legend below the full-width plot, labels shortened (…) until it fits the width.

    A legend wider than the figure made the constrained layout squeeze the plot sideways
    and cut the legend at both edges.
    """
    renderer = fig.canvas.get_renderer()
    room = fig.bbox.width * 0.98
    lines = ax.get_lines()
    legend = None
    for ncol in range(min(3, len(labels)), 0, -1):
        for limit in range(MAX_LABEL, MIN_LABEL - 1, -4):
            if legend is not None:
                legend.remove()
            shown = [fmt.truncate(label, limit) for label in labels]
            legend = fig.legend(
                lines,
                shown,
                loc="outside lower center",
                ncol=ncol,
                frameon=False,
                fontsize=10,
            )
            if legend.get_window_extent(renderer).width <= room:
                return legend
    return legend


def _tick_formatter(value_type: str, unit: str | None) -> Any:
    def tick(value: float, _pos: int) -> str:
        return format_value(value, value_type, unit)

    return tick
