"""A Sentry dashboard as a digest: each widget's query run for the digest's period, laid out
within Slack's 50 blocks (the widgets that do not fit are listed with links)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.core.errors import SentryError
from bot.dashboards.sentry_api import DashboardService, SentryDashboard, Widget
from bot.discover import charts
from bot.discover.sentry_api import Timeseries
from bot.discover.table import format_value, layout

log = logging.getLogger(__name__)

View = Literal["table", "chart", "number", "other", "failed"]
# The dashboard digest template spends 4 blocks (header, period, overflow, footer).
WIDGET_BLOCKS = 46
TABLE_SECTIONS = 2  # ``` blocks per table widget
MAX_CHARTS = 10  # charts uploaded into one digest's thread
CHART_WIDTH, CHART_HEIGHT = 900, 420
NOTE_OTHER = "not a Discover widget: open it in Sentry"
NOTE_NO_CHART = "chart not drawn this time: open it in Sentry"
NOTE_EMPTY = "no data in this period"
NOTE_CHART_FAILED = "chart could not be drawn: open it in Sentry"


@dataclass
class WidgetView:
    """One widget, ready for the template."""

    title: str
    view: View
    display: str
    sections: list[str] = field(default_factory=list)
    hidden_rows: int = 0
    number: str = ""
    chart: bytes | None = None
    note: str = ""

    @property
    def cost(self) -> int:
        """Blocks the widget takes in the message."""
        return 1 + len(self.sections)


@dataclass
class DashboardReport:
    """A dashboard digest: the widgets shown, the ones that did not fit, the charts."""

    board: SentryDashboard
    shown: list[WidgetView]
    hidden: list[WidgetView]

    @property
    def charts(self) -> list[tuple[str, bytes]]:
        """(title, PNG) of each chart shown, in order."""
        return [(w.title, w.chart) for w in self.shown if w.chart]


def fit(
    views: list[WidgetView], budget: int = WIDGET_BLOCKS
) -> tuple[list[WidgetView], list[WidgetView]]:
    """The widgets that fit the block budget, in dashboard order, and the rest."""
    shown: list[WidgetView] = []
    used = 0
    for i, view in enumerate(views):
        if used + view.cost > budget:
            return shown, views[i:]
        shown.append(view)
        used += view.cost
    return shown, []


class DashboardDigest:
    """Runs a dashboard's widgets for a period."""

    def __init__(self, dashboards: DashboardService) -> None:
        self.dashboards = dashboards

    async def build(
        self,
        board: SentryDashboard,
        start: datetime,
        end: datetime,
        *,
        interval: int,
        chart: bool,
    ) -> DashboardReport:
        """Every widget's view (queries run concurrently; one failing widget says why)."""
        # Each widget takes at least one block: those past the budget are not even asked for.
        runnable = board.widgets[:WIDGET_BLOCKS]
        chartable = [w for w in runnable if w.kind == "chart"][:MAX_CHARTS] if chart else []
        views = await asyncio.gather(
            *(
                self._view(board, w, start, end, interval=interval, draw=w in chartable)
                for w in runnable
            )
        )
        shown, hidden = fit(list(views))
        hidden += [
            WidgetView(title=w.title or "Untitled widget", view=w.kind, display=w.display_type)
            for w in board.widgets[WIDGET_BLOCKS:]
        ]
        return DashboardReport(board=board, shown=shown, hidden=hidden)

    async def _view(
        self,
        board: SentryDashboard,
        widget: Widget,
        start: datetime,
        end: datetime,
        *,
        interval: int,
        draw: bool,
    ) -> WidgetView:
        title = widget.title or "Untitled widget"
        view = WidgetView(title=title, view=widget.kind, display=widget.display_type)
        try:
            if widget.kind == "table":
                page = await self.dashboards.table(board, widget, start, end)
                text = layout(page.columns, page.rows, max_sections=TABLE_SECTIONS)
                view.sections, view.hidden_rows = text.sections, text.hidden
                view.note = "" if page.rows else NOTE_EMPTY
            elif widget.kind == "number":
                view.number = await self._number(board, widget, start, end)
            elif widget.kind == "chart" and draw:
                ts = await self.dashboards.series(board, widget, start, end, interval=interval)
                if ts.empty:
                    view.note = NOTE_EMPTY
                else:
                    view.chart = await _draw(ts, title=title, subtitle=board.title)
                    view.note = "" if view.chart else NOTE_CHART_FAILED
            elif widget.kind == "chart":
                view.note = NOTE_NO_CHART
            else:
                view.note = NOTE_OTHER
        except SentryError as exc:
            log.info("dashboard %s widget %r failed: %s", board.id, title, exc)
            return WidgetView(title=title, view="failed", display=view.display, note=exc.message)
        return view

    async def _number(
        self, board: SentryDashboard, widget: Widget, start: datetime, end: datetime
    ) -> str:
        page = await self.dashboards.number(board, widget, start, end)
        if not page.columns:
            return format_value(None)
        q = widget.query
        pick = q.selected_aggregate if q and q.selected_aggregate is not None else 0
        column = page.columns[pick] if 0 <= pick < len(page.columns) else page.columns[0]
        value = page.rows[0].get(column.name) if page.rows else None
        return format_value(value, column.type, column.unit)


async def _draw(ts: Timeseries, *, title: str, subtitle: str) -> bytes | None:
    """The widget's chart as PNG; None (logged) when drawing fails: the digest goes out."""
    try:
        return await asyncio.to_thread(
            charts.render_timeseries,
            ts,
            title=title,
            subtitle=subtitle,
            width=CHART_WIDTH,
            height=CHART_HEIGHT,
        )
    except Exception:  # the chart is an extra: a drawing bug must not cost the digest
        log.exception("dashboard widget %r: chart not drawn", title)
        return None
