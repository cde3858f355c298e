"""A metric alert incident as a Slack message: header, description, and a chart of the metric
around its thresholds (the series read from `events-timeseries`, as bot/alerts/sentry_history.py
reads them for the alert preview)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.alert_push import texts
from bot.alert_push.payloads import Incident
from bot.core import clock
from bot.core import format as fmt
from bot.core.errors import DexterError
from bot.discover.charts import render_timeseries
from bot.discover.sentry_api import Series, Timeseries, parse_timeseries
from bot.sentry.client import SentryClient
from bot.sentry.projects import ProjectService
from bot.slack.render import Renderer

log = logging.getLogger(__name__)

WINDOWS_BEFORE = 24  # the chart starts this many alert windows before the incident started
WINDOWS_AFTER = 4  # and ends this many after it closed (or now)
MAX_BUCKETS = 1000
# Metric alert datasets (AlertRule.dataset) → the events-timeseries dataset that measures them.
DATASETS = {
    "events": "errors",
    "transactions": "spans",
    "generic_metrics": "spans",
    "events_analytics_platform": "spans",
}


def chart_query(inc: Incident) -> tuple[str, str] | None:
    """(dataset, yAxis) for the chart; None when the timeseries endpoint cannot measure it."""
    dataset = DATASETS.get(inc.dataset)
    if dataset is None:
        return None
    y_axis = inc.aggregate
    if dataset == "spans":  # transaction metrics are span metrics on the spans dataset
        y_axis = y_axis.replace("transaction.duration", "span.duration")
    return dataset, y_axis


def chart_range(inc: Incident, now: datetime) -> tuple[datetime, datetime, int]:
    """(start, end, interval seconds) around the incident, at most MAX_BUCKETS buckets."""
    interval = inc.window_minutes * 60
    started = inc.started or now
    end = min(now, (inc.closed or now) + timedelta(seconds=WINDOWS_AFTER * interval))
    start = started - timedelta(seconds=WINDOWS_BEFORE * interval)
    while (end - start).total_seconds() / interval > MAX_BUCKETS:
        interval *= 2
    return start, end, interval


def with_thresholds(ts: Timeseries, inc: Incident) -> Timeseries:
    """The metric plus a flat line per threshold, so the chart shows where it fires."""
    if not ts.series:
        return ts
    xs = [t for t, _ in ts.series[0].points]
    if not xs:
        return ts
    metric = replace(ts.series[0], label=inc.aggregate)
    lines = [
        Series(
            label=f"{t.label} threshold ({fmt.compact(t.value)})", points=[(x, t.value) for x in xs]
        )
        for t in inc.thresholds
    ]
    return replace(ts, series=[metric, *lines])


async def fetch_chart(
    client: SentryClient, projects: ProjectService, inc: Incident, *, now: datetime | None = None
) -> bytes | None:
    """The incident's chart as PNG, or None when there is nothing to draw or drawing failed."""
    query = chart_query(inc)
    if query is None:
        return None
    dataset, y_axis = query
    start, end, interval = chart_range(inc, now or clock.now())
    try:
        ids = await projects.ids_for(inc.projects) if inc.projects else []
        resp = await client.get(
            client.org_path("events-timeseries"),
            params={
                "dataset": dataset,
                "yAxis": y_axis,
                "query": inc.query or None,
                "project": ids or None,
                "environment": [inc.environment] if inc.environment else None,
                "interval": interval,
                "start": start.isoformat(),
                "end": end.isoformat(),
            },
        )
    except DexterError as exc:
        log.info("no chart for incident %s: %s", inc.id, exc)
        return None
    ts = with_thresholds(parse_timeseries(resp.data, y_axis), inc)
    if ts.empty:
        return None
    title = texts.INCIDENT_CHART.format(rule=inc.rule_name, aggregate=inc.aggregate)
    started = time.perf_counter()
    try:
        png = await asyncio.to_thread(render_timeseries, ts, title=title, subtitle=inc.query)
    except Exception:  # the chart is an extra: a drawing bug must not cost the alert
        log.exception("incident %s chart not drawn", inc.id)
        return None
    log.debug("incident chart rendered in %.0f ms", (time.perf_counter() - started) * 1000)
    return png


def header_blocks(renderer: Renderer, inc: Incident, *, history: list[str]) -> list[dict[str, Any]]:
    """The incident message (templates/alerts/incident.json.j2): state, rule, description,
    link; every state it went through."""
    state = texts.INCIDENT_STATES.get(inc.state, inc.state)
    return renderer.blocks("alerts/incident", inc=inc, state=state, history=history)


def thread_line(inc: Incident) -> str:
    """The line a later state adds under the incident message."""
    state = texts.INCIDENT_STATES.get(inc.state, inc.state)
    description = fmt.escape(fmt.truncate(inc.description or inc.rule_name, 1500))
    return texts.INCIDENT_THREAD.format(state=state, description=description)
