"""Charts render to PNGs of the expected size, from Sentry's time-series shape."""

from __future__ import annotations

import struct
import sys

from bot.discover.charts import HEIGHT, WIDTH, build_figure, render_timeseries, unit_label
from bot.discover.sentry_api import parse_timeseries
from tests import discover_factories as df

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk (which must come first)."""
    assert data[:8] == PNG_MAGIC
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_top_five_series_render_to_a_png_of_the_slack_friendly_size() -> None:
    labels = ["TypeError: x is undefined", "KeyError: 'user'", "Timeout", "OSError", "ValueError"]
    ts = parse_timeseries(df.timeseries(labels, points=100), "count()")
    assert [s.label for s in ts.series] == labels
    assert ts.value_type == "integer" and not ts.empty
    png = render_timeseries(ts, title="count() by title", subtitle="errors · last 24 hours")
    assert png_size(png) == (WIDTH, HEIGHT)
    assert png.endswith(b"IEND\xaeB`\x82")


def test_single_series_durations_and_one_point() -> None:
    body = df.timeseries([""], points=1, y_axis="p95(span.duration)", value_type="duration")
    ts = parse_timeseries(body, "p95(span.duration)")
    assert ts.series[0].label == "p95(span.duration)"
    assert ts.unit == "millisecond"
    png = render_timeseries(ts, title="p95", width=800, height=400)
    assert png_size(png) == (800, 400)


def test_timestamps_in_milliseconds_become_seconds_and_gaps_stay_gaps() -> None:
    body = {
        "timeSeries": [
            {
                "yAxis": "count()",
                "meta": {"valueType": "integer", "valueUnit": None, "interval": 3600000},
                "values": [
                    {"timestamp": 1764150000000, "value": 3, "incomplete": False},
                    {"timestamp": 1764153600000, "value": None, "incomplete": True},
                ],
            }
        ]
    }
    ts = parse_timeseries(body, "count()")
    assert ts.series[0].points[0] == (1764150000.0, 3.0)
    assert ts.series[0].points[1][1] != ts.series[0].points[1][1]  # NaN
    assert parse_timeseries({"timeSeries": []}, "count()").empty


def test_unit_labels() -> None:
    assert unit_label("duration", "millisecond") == "ms"
    assert unit_label("percentage", None) == "%"
    assert unit_label("rate", "1/minute") == "per minute"
    assert unit_label("integer", None) == ""


def test_matplotlib_is_not_imported_at_start_up() -> None:
    import subprocess

    code = "import bot.app, handlers, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_long_series_labels_keep_the_plot_full_width_and_the_legend_inside() -> None:
    import io

    from matplotlib import image

    labels = [
        "ConnectionResetError: [Errno 104] Connection reset by peer",
        "OperationalError: SSL SYSCALL error: EOF detected (pg-main)",
        "TimeoutError: PAYMENTS-GATEWAY DID NOT ANSWER WITHIN 30 SEC",
        "KeyError: 'plan' in billing.compute_total (app/billing.py)",
        "MemoryError: WORKER WAS KILLED AFTER EXCEEDING 2048 MB RSS",
    ]
    ts = parse_timeseries(df.timeseries(labels, points=24), "count()")
    png = render_timeseries(ts, title="count() by title", subtitle="errors · last 24 hours")
    pixels = image.imread(io.BytesIO(png), format="png")[:, :, :3].mean(axis=2)
    dark = pixels < 0.3
    # nothing is cut at the left or right edge (the legend used to run off both)
    assert not dark[:, :3].any() and not dark[:, -3:].any()
    # the x axis (a dark horizontal line) spans most of the width: the plot is not squeezed
    longest = max(
        max((len(run) for run in "".join("1" if d else "0" for d in row).split("0")), default=0)
        for row in dark
    )
    assert longest > 0.8 * WIDTH
    fig = build_figure(ts, title="count() by title")
    fig.canvas.draw()
    shown = [t.get_text() for t in fig.legends[0].get_texts()]
    for text, label in zip(shown, labels, strict=True):
        assert text.endswith("…") and len(text) < len(label)
