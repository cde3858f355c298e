"""The last week of history a rule preview needs: time series and issue counts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.alerts.preview import PREVIEW_DAYS, Preview, replay_thresholds, throttled_fires
from bot.alerts.rules import (
    INTERVAL_LABELS,
    INTERVALS,
    LEVELS,
    WINDOWS,
    IssueAlert,
    Metric,
    MetricAlert,
    Trigger,
    format_value,
)
from bot.core import clock as app_clock
from bot.sentry.client import SentryClient
from bot.sentry.times import epoch_seconds

MAX_BUCKETS = 5000  # per events-timeseries request; longer ranges are split
# Sentry allows at most 10,000 buckets per request, 10,000 / N with `topEvents=N`, and asked
# for more it silently answers in coarser buckets (src/sentry/api/bases/organization_events.py
# get_rollup → src/sentry/utils/dates.py validate_interval, get_interval_from_range).
MAX_ROLLUP_POINTS = 10_000
COARSE_BUCKETS = (
    "Sentry answered in {got} buckets instead of {asked} ones, so the counts would not "
    "compare with the rule's threshold. You can still create the rule."
)
TOP_ISSUES = 10
Y_AXIS = {
    Metric.ERRORS: "count()",
    Metric.USERS: "count_unique(user)",
    Metric.P95: "p95(span.duration)",
    Metric.P50: "p50(span.duration)",
    Metric.THROUGHPUT: "count()",
    Metric.FAILURE_RATE: "failure_rate()",
}
# Sentry keeps an issue `regressed` / `escalating` for a week before it becomes `ongoing`.
ISSUE_QUERIES = {
    Trigger.NEW_ISSUE: f"firstSeen:-{PREVIEW_DAYS}d",
    Trigger.REGRESSION: "is:regressed",
    Trigger.REAPPEARED: "is:escalating",
}
AGE_SUFFIX = {"minute": "m", "hour": "h", "day": "d", "week": "w"}

Points = list[tuple[float, float | None]]


def _quote(value: str) -> str:
    return f'"{value}"' if any(c in value for c in ' ":,()[]') else value


def event_filters(rule: IssueAlert) -> list[str]:
    """The rule's level and tag filters in Sentry search syntax."""
    out: list[str] = []
    if rule.level:
        floor = LEVELS[rule.level]
        out.append("level:[" + ",".join(k for k, v in LEVELS.items() if v >= floor) + "]")
    if rule.tag_key and rule.tag_value:
        out.append(f"{rule.tag_key}:{_quote(rule.tag_value)}")
    return out


def issue_query(rule: IssueAlert) -> str:
    """The issue search that finds the issues the rule would have fired for."""
    parts = [ISSUE_QUERIES[rule.trigger], *event_filters(rule)]
    if rule.age_comparison and rule.age_value and rule.age_unit:
        sign = "+" if rule.age_comparison == "older" else "-"
        parts.append(f"firstSeen:{sign}{rule.age_value}{AGE_SUFFIX[rule.age_unit]}")
    return " ".join(parts)


class CoarseBuckets(Exception):
    """Sentry answered a time series in other buckets than asked for."""

    def __init__(self, asked: int, got: int) -> None:
        super().__init__(COARSE_BUCKETS.format(asked=_bucket(asked), got=_bucket(got)))


def buckets_per_request(top: int | None) -> int:
    """How many buckets one events-timeseries request may ask for without being coarsened."""
    return min(MAX_BUCKETS, MAX_ROLLUP_POINTS // top) if top else MAX_BUCKETS


class AlertHistory:
    """Fetches what the preview evaluates (bot/alerts/preview.py)."""

    def __init__(
        self, client: SentryClient, *, clock: Callable[[], datetime] = app_clock.now
    ) -> None:
        self.client = client
        self.clock = clock

    async def preview(self, rule: IssueAlert | MetricAlert) -> Preview:
        """How often the rule would have fired over the last PREVIEW_DAYS days."""
        try:
            if isinstance(rule, MetricAlert):
                return await self._metric(rule)
            if rule.trigger in ISSUE_QUERIES:
                return await self._issues(rule)
            return await self._bursts(rule)
        except CoarseBuckets as exc:
            return Preview(fires=0, unavailable=str(exc))

    async def series(
        self,
        *,
        dataset: str,
        y_axis: str,
        query: str,
        project_id: str,
        environment: str | None,
        interval: int,
        top: int | None = None,
    ) -> dict[str, Points]:
        """Time series over the last week in `interval`-second buckets, by issue when `top`."""
        end_ts = int(self.clock().timestamp()) // interval * interval
        start_ts = end_ts - PREVIEW_DAYS * 86400
        step = buckets_per_request(top) * interval
        params: dict[str, Any] = {
            "dataset": dataset,
            "yAxis": y_axis,
            "query": query,
            "project": [project_id],
            "environment": [environment] if environment else None,
            "interval": interval,
        }
        if top:
            params |= {
                "topEvents": top,
                "groupBy": ["issue"],
                "sort": f"-{y_axis}",
                "excludeOther": "1",
            }
        requests = [
            self.client.get(
                self.client.org_path("events-timeseries"),
                params=params | {"start": _iso(t), "end": _iso(min(t + step, end_ts))},
            )
            for t in range(start_ts, end_ts, step)
        ]
        out: dict[str, Points] = {}
        for resp in await asyncio.gather(*requests):
            for ts in (resp.data or {}).get("timeSeries") or []:
                meta = ts.get("meta") or {}
                got = meta.get("interval")  # milliseconds: what Sentry actually used
                if isinstance(got, int | float) and got and int(got) != interval * 1000:
                    raise CoarseBuckets(interval, int(got) // 1000)
                if meta.get("isOther"):
                    continue
                key = "|".join(str(g.get("value")) for g in ts.get("groupBy") or []) or y_axis
                out.setdefault(key, []).extend(
                    (epoch_seconds(float(v["timestamp"])), v.get("value"))
                    for v in ts.get("values") or []
                )
        return {k: sorted(v, key=lambda p: p[0]) for k, v in out.items()}

    async def _metric(self, rule: MetricAlert) -> Preview:
        found = await self.series(
            dataset=rule.dataset,
            y_axis=Y_AXIS[rule.metric],
            query=rule.query,
            project_id=rule.project_id,
            environment=rule.environment,
            interval=rule.window * 60,
        )
        values = [v for points in found.values() for _, v in points]
        run = replay_thresholds(rule, values)
        window = WINDOWS.get(rule.window, f"{rule.window}-minute")
        lines = [
            f"Past the critical threshold in {run.windows_critical} of {run.windows} "
            f"windows of {window}."
        ]
        if run.warning:
            lines.append(f"{run.critical} critical and {run.warning} warning notifications.")
        if run.peak is not None:
            word = "Highest" if rule.direction == "above" else "Lowest"
            lines.append(f"{word} value: {format_value(rule, run.peak)}.")
        series = [float(v) for v in values if v is not None]
        return Preview(fires=run.fires, lines=lines, series=series)

    async def _issues(self, rule: IssueAlert) -> Preview:
        query = issue_query(rule)
        resp = await self.client.get(
            self.client.org_path("issues"),
            params={
                "query": query,
                "project": [rule.project_id],
                "environment": [rule.environment] if rule.environment else None,
                "statsPeriod": "14d",
                "limit": 100,
            },
        )
        hits = resp.headers.get("X-Hits")
        count = int(hits) if hits and hits.isdigit() else len(resp.data or [])
        capped = not (hits and hits.isdigit()) and resp.next_cursor is not None
        lines = [f"Issues matching `{query}`: each would have fired once."]
        if rule.trigger != Trigger.NEW_ISSUE:
            lines.append("Sentry marks an issue this way for about a week, so this is an estimate.")
        return Preview(fires=count, lines=lines, at_least=capped)

    async def _bursts(self, rule: IssueAlert) -> Preview:
        assert rule.threshold is not None and rule.interval in INTERVALS
        users = rule.trigger == Trigger.USER_FREQUENCY
        found = await self.series(
            dataset="errors",
            y_axis="count_unique(user)" if users else "count()",
            query=" ".join(event_filters(rule)),
            project_id=rule.project_id,
            environment=rule.environment,
            interval=INTERVALS[rule.interval] * 60,
            top=TOP_ISSUES,
        )
        fires = 0
        busy = 0
        for points in found.values():
            over = [t for t, v in points if v is not None and v > rule.threshold]
            busy += bool(over)
            fires += throttled_fires(over, rule.action_interval * 60)
        what = "users" if users else "events"
        label = INTERVAL_LABELS[rule.interval]
        lines = [
            f"{busy} of the {len(found)} busiest issues had more than {rule.threshold} {what} "
            f"in {label}, at most one notification every {rule.action_interval} minutes each."
        ]
        if rule.age_comparison:
            lines.append("The issue age filter is not applied in this estimate.")
        return Preview(fires=fires, lines=lines, at_least=len(found) >= TOP_ISSUES)


def _bucket(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600}-hour"
    return f"{seconds // 60}-minute" if seconds % 60 == 0 else f"{seconds}-second"


def _iso(ts: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=ts)).isoformat()
