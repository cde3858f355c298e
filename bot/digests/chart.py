"""The digest chart: error events per project over the period, deploys marked (PNG)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from bot.core.charting import drawing
from bot.digests.sentry_api import Series

MAX_LINES = 8
WIDTH_IN, HEIGHT_IN, DPI = 8.0, 3.2, 90


def render(series: Series, deploys: Sequence[tuple[datetime, str]], title: str) -> bytes:
    """A PNG line chart; matplotlib (Agg) is imported here so start-up stays light."""
    with drawing():
        return _render(series, deploys, title)


def _render(series: Series, deploys: Sequence[tuple[datetime, str]], title: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ranked = sorted(series.items(), key=lambda kv: -sum(v for _, v in kv[1]))
    lines, labels = [], []
    for label, points in ranked[:MAX_LINES]:
        if points:
            xs, ys = zip(*points, strict=True)
            lines += ax.plot(xs, ys, linewidth=1.6)
            labels.append(label)
    for when, version in deploys[:10]:
        x = float(date2num(when))  # type: ignore[no-untyped-call]
        ax.axvline(x, color="#8a8a8a", linestyle="--", linewidth=0.9)
        ax.annotate(
            version[-18:],
            (x, 1),
            xycoords=("data", "axes fraction"),
            rotation=90,
            fontsize=7,
            va="top",
            ha="right",
            color="#555555",
        )
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.set_title(title[:80], fontsize=10, loc="left")
    ax.set_ylabel("events")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if len(ranked) > 1:
        # Labels passed explicitly: given as `label=`, one starting with "_" would be dropped.
        ax.legend(lines, labels, fontsize=7, frameon=False, loc="upper left")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
