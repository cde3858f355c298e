"""Benchmark: render a 5 series × 500 point chart. Run: `python -m bench.charts`."""

from __future__ import annotations

import math
import statistics
import sys
import time
from pathlib import Path

from bot.discover.sentry_api import Series, Timeseries

SERIES = 5
POINTS = 500
RUNS = 10


def sample() -> Timeseries:
    """Five transactions' p95 over ~1.7 days at 5-minute buckets."""
    start = 1_764_000_000
    series = [
        Series(
            label=f"/api/v1/{name}",
            points=[
                (start + k * 300, 180 + 60 * i + 90 * math.sin(k / 40 + i) + (k * 37 % 23))
                for k in range(POINTS)
            ],
        )
        for i, name in enumerate(["checkout", "orders", "search", "users/{id}", "reports"])
    ]
    return Timeseries(
        y_axis="p95(span.duration)", value_type="duration", unit="millisecond", series=series
    )


def main() -> None:
    """Print the cold (first, includes importing matplotlib) and warm render times."""
    ts = sample()
    started = time.perf_counter()
    from bot.discover.charts import render_timeseries

    png = render_timeseries(ts, title="p95(span.duration) by transaction", subtitle="bench")
    cold = time.perf_counter() - started
    warm: list[float] = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        png = render_timeseries(ts, title="p95(span.duration) by transaction", subtitle="bench")
        warm.append(time.perf_counter() - t0)
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_bytes(png)
    print(f"chart {SERIES} series x {POINTS} points, {len(png) / 1024:.0f} KiB PNG")
    print(f"  first render (imports matplotlib): {cold * 1000:.0f} ms")
    print(
        f"  warm renders over {RUNS} runs: median {statistics.median(warm) * 1000:.0f} ms, "
        f"max {max(warm) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
