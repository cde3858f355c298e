"""Text from users and Sentry is drawn as typed in every chart Dexter makes: `$…$` is never
mathtext (a malformed one used to raise ValueError at draw time), whatever `\\ ^ _ { }` it holds.

Chart kinds: the Discover chart, the release chart, the team digest chart, the metric incident
chart and a dashboard widget's chart (the alert preview draws no chart).
"""

from __future__ import annotations

import ast
import asyncio
import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.alert_push import payloads
from bot.alert_push.metric import fetch_chart
from bot.core.charting import drawing
from bot.dashboards.digest import NOTE_CHART_FAILED, DashboardDigest
from bot.dashboards.sentry_api import SentryDashboard
from bot.digests import chart as digest_chart
from bot.discover.charts import build_figure, render_timeseries
from bot.discover.sentry_api import Series, Timeseries
from bot.releases.chart import render_png
from bot.releases.models import SeriesPoint
from tests import alert_factories as af
from tests import dashboard_factories as dbf

PNG = b"\x89PNG\r\n\x1a\n"
REPORTED = r"Cost in $\USD$ per order"  # the text the failure was first reported with
T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)

# Mathtext's special characters, often, among ordinary ones.
TEXT = st.text(alphabet=st.sampled_from([*"$$$\\\\^_{}", *"aZ09 .·-()µ€"]), min_size=1, max_size=40)
# A warning (a label dropped from a legend, a missing glyph) is a text not shown as typed.
pytestmark = pytest.mark.filterwarnings("error::UserWarning")
CHARTS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def timeseries(labels: list[str], *, y_axis: str = "count()") -> Timeseries:
    start = T0.timestamp()
    series = [
        Series(label=label, points=[(start + 300 * i, float(i * (n + 1))) for i in range(12)])
        for n, label in enumerate(labels)
    ]
    return Timeseries(y_axis=y_axis, value_type="integer", unit=None, series=series)


@CHARTS
@given(title=TEXT, subtitle=TEXT, label=TEXT, y_axis=TEXT)
@example(title=REPORTED, subtitle="$x_1^{2}$", label=r"GET /$\frac{", y_axis="p95($a$)")
def test_discover_chart_shows_every_text_as_typed(
    title: str, subtitle: str, label: str, y_axis: str
) -> None:
    ts = timeseries([label, "other"], y_axis=y_axis)
    with drawing():
        fig = build_figure(ts, title=title, subtitle=subtitle)
        fig.canvas.draw()  # lays out every text, tick labels included
        texts = fig.findobj(lambda a: hasattr(a, "get_parse_math"))
        assert texts and not any(t.get_parse_math() for t in texts)
        shown = {t.get_text() for t in texts}
    assert {title, subtitle, label, y_axis} <= shown  # short enough to be shown whole
    assert render_timeseries(ts, title=title, subtitle=subtitle, width=600, height=300)[:8] == PNG


@CHARTS
@given(title=TEXT, mark=TEXT)
@example(title=REPORTED, mark="v$1_0$")
def test_release_chart_renders_any_text(title: str, mark: str) -> None:
    points = [SeriesPoint(when=T0 + timedelta(hours=i), value=float(i)) for i in range(6)]
    assert render_png(title, points, [(T0 + timedelta(hours=2), mark)])[:8] == PNG
    assert render_png(title, [], [])[:8] == PNG  # "no events" drawn instead


@CHARTS
@given(title=TEXT, project=TEXT, version=TEXT)
@example(title=REPORTED, project="$a_b$", version="1.0$^$")
def test_team_digest_chart_renders_any_text(title: str, project: str, version: str) -> None:
    points = [(T0 + timedelta(hours=i), float(i)) for i in range(6)]
    series = {project: points, f"{project}-2": points[::-1]}
    png = digest_chart.render(series, [(T0 + timedelta(hours=3), version)], title)
    assert png[:8] == PNG


@dataclass
class _Answer:
    data: Any


class _Sentry:
    """What fetch_chart asks of the Sentry client: one time series, whatever the query."""

    def org_path(self, *parts: str) -> str:
        return "/".join(["organizations", "acme", *parts]) + "/"

    async def get(self, path: str, *, params: Any = None) -> _Answer:
        start = int(T0.timestamp() * 1000)
        values = [{"timestamp": start + i * 300_000, "value": v} for i, v in enumerate([3, 9, 4])]
        meta = {"valueType": "integer", "valueUnit": None, "interval": 300_000}
        return _Answer({"timeSeries": [{"yAxis": "count()", "meta": meta, "values": values}]})


class _Projects:
    async def ids_for(self, slugs: list[str]) -> list[str]:
        return ["2" for _ in slugs]


@CHARTS
@given(name=TEXT, query=TEXT, aggregate=TEXT)
@example(name=REPORTED, query=r"message:*cost $\usd$*", aggregate="count()")
def test_incident_chart_renders_any_text(name: str, query: str, aggregate: str) -> None:
    data = copy.deepcopy(af.metric_alert())
    rule = data["metric_alert"]["alert_rule"]
    rule.update(name=name, query=query, aggregate=aggregate)
    inc = payloads.incident("critical", data)
    assert inc is not None and inc.query == query.strip()  # reaches the chart as sent
    png = asyncio.run(fetch_chart(_Sentry(), _Projects(), inc, now=T0 + timedelta(hours=1)))  # type: ignore[arg-type]
    assert png is not None and png[:8] == PNG  # drawn, not given up on


class _Boards:
    """What DashboardDigest asks of the dashboard service for a chart widget."""

    def __init__(self, label: str) -> None:
        self.label = label

    async def series(self, board: Any, widget: Any, start: Any, end: Any, **kw: Any) -> Timeseries:
        return timeseries([self.label, "Other"])


@CHARTS
@given(board_title=TEXT, widget_title=TEXT, label=TEXT)
@example(board_title="$$", widget_title=REPORTED, label="/checkout/$id_{n}")
def test_dashboard_widget_chart_renders_any_text(
    board_title: str, widget_title: str, label: str
) -> None:
    board = SentryDashboard.model_validate(
        dbf.dashboard("7", board_title, [dbf.widget(1, widget_title, "line")])
    )
    digest = DashboardDigest(_Boards(label))  # type: ignore[arg-type]
    report = asyncio.run(digest.build(board, T0, T0 + timedelta(hours=1), interval=300, chart=True))
    [view] = report.shown
    assert view.note != NOTE_CHART_FAILED and view.chart is not None and view.chart[:8] == PNG


def test_drawing_leaves_matplotlibs_settings_as_they_were() -> None:
    import matplotlib

    before = matplotlib.rcParams["text.parse_math"]
    with drawing():
        assert matplotlib.rcParams["text.parse_math"] is False
    assert matplotlib.rcParams["text.parse_math"] == before


CHART_CALLS = {"savefig", "set_title", "suptitle", "legend", "text", "annotate", "set_ylabel"}


@pytest.mark.parametrize(
    "path", sorted(p for p in Path("bot").rglob("*.py") if "matplotlib" in p.read_text())
)
def test_every_module_that_draws_does_so_inside_drawing(path: Path) -> None:
    """A new chart module that skips the helper fails here, before a `$` in a name finds it."""
    if path == Path("bot/core/charting.py"):
        return
    tree = ast.parse(path.read_text())
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    if not calls & CHART_CALLS:
        return
    imports = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "bot.core.charting"
        for alias in node.names
    }
    drawn_in = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.With)
        for item in node.items
        if isinstance(item.context_expr, ast.Call)
        and getattr(item.context_expr.func, "id", None) == "drawing"
    ]
    assert "drawing" in imports and drawn_in, f"{path} draws outside bot.core.charting.drawing()"
