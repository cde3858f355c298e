"""Events before and after a release as a PNG, deploy times marked (matplotlib Agg, lazy)."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import cast

from bot.core.charting import drawing
from bot.releases.models import SeriesPoint

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 3.2, 110


def render_png(
    title: str, points: Sequence[SeriesPoint], marks: Sequence[tuple[datetime, str]]
) -> bytes:
    """The chart as PNG bytes. CPU-bound: call it through `asyncio.to_thread`."""
    with drawing():
        return _render(title, points, marks)


def _render(
    title: str, points: Sequence[SeriesPoint], marks: Sequence[tuple[datetime, str]]
) -> bytes:
    # Imported here: matplotlib costs ~0.5 s to import, and only this button needs it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.figure import Figure

    num = cast(Callable[[datetime], float], date2num)  # datetime → matplotlib's day number
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    xs = [num(p.when) for p in points]
    ys = [p.value for p in points]
    if xs:
        ax.fill_between(xs, ys, step="post", alpha=0.25, color="#6c5fc7")
        ax.step(xs, ys, where="post", color="#6c5fc7", linewidth=1.4, label="errors")
    else:
        ax.text(0.5, 0.5, "no events", ha="center", va="center", transform=ax.transAxes)
    for i, (when, label) in enumerate(sorted(marks)):
        ax.axvline(num(when), color="#e1567c", linestyle="--", linewidth=1.2)
        ax.annotate(
            label,
            xy=(num(when), 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -12 - 11 * (i % 3)),  # staggered: close deploys stay legible
            textcoords="offset points",
            fontsize=8,
            color="#e1567c",
        )
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.set_ylim(bottom=0)
    ax.set_ylabel("events / hour")
    ax.set_xlabel("UTC", fontsize=8)
    ax.set_title(title[:120], fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
