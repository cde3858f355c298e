"""The Sentry reads behind a team dashboard: issue counts, event totals, crash-free sessions,
slow transactions, event series per project, releases and deploys."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.sentry.client import Params, SentryClient
from bot.sentry.models import Issue
from bot.sentry.times import epoch_seconds, iso

log = logging.getLogger(__name__)

MAX_RELEASES = 20
MAX_DEPLOY_LOOKUPS = 3


@dataclass(frozen=True, slots=True)
class IssueSlice:
    """Issues matching a search (first few) and how many match in total."""

    issues: list[Issue]
    total: int


@dataclass(frozen=True, slots=True)
class SlowTransaction:
    name: str
    p95_ms: float
    count: int


@dataclass(frozen=True, slots=True)
class Deploy:
    version: str
    environment: str
    finished: datetime


@dataclass(frozen=True, slots=True)
class Release:
    version: str
    short_version: str
    created: datetime
    new_issues: int
    url: str | None = None


@dataclass(frozen=True, slots=True)
class ReleaseActivity:
    releases: list[Release]
    deploys: list[Deploy]


Series = dict[str, list[tuple[datetime, float]]]


def _when(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


class DigestData:
    """Read-only queries for one set of projects over one period."""

    def __init__(self, client: SentryClient) -> None:
        self.client = client

    async def issues(
        self,
        query: str,
        project_ids: list[str],
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        sort: str = "date",
        limit: int = 5,
    ) -> IssueSlice:
        """The first `limit` issues of a search and the total (Sentry's `X-Hits`)."""
        params: Params = {
            "query": query,
            "project": project_ids,
            "sort": sort,
            "limit": limit,
            "start": iso(start) if start else None,
            "end": iso(end) if end else None,
            "collapse": ["stats", "lifetime", "unhandled"],
        }
        resp = await self.client.get(self.client.org_path("issues"), params=params)
        issues = [Issue.model_validate(i) for i in resp.data or []]
        hits = resp.headers.get("X-Hits", "")
        return IssueSlice(issues, int(hits) if hits.isdigit() else len(issues))

    async def event_totals(
        self, project_ids: list[str], start: datetime, end: datetime
    ) -> tuple[int, int]:
        """(error events, distinct users affected) in the period."""
        resp = await self.client.get(
            self.client.org_path("events"),
            params={
                "dataset": "errors",
                "field": ["count()", "count_unique(user)"],
                "project": project_ids,
                "start": iso(start),
                "end": iso(end),
                "per_page": 1,
            },
        )
        rows = (resp.data or {}).get("data") or [{}]
        row = rows[0] if rows else {}
        return int(_number(row.get("count()"))), int(_number(row.get("count_unique(user)")))

    async def crash_free_sessions(
        self, project_ids: list[str], start: datetime, end: datetime
    ) -> float | None:
        """Crash-free session rate (0..1) when the projects send sessions, else None."""
        resp = await self.client.get(
            self.client.org_path("sessions"),
            params={
                "field": ["crash_free_rate(session)", "sum(session)"],
                "project": project_ids,
                "start": iso(start),
                "end": iso(end),
                "interval": "1h",
                "includeSeries": 0,
            },
        )
        groups = (resp.data or {}).get("groups") or []
        if not groups:
            return None
        totals = groups[0].get("totals") or {}
        if not _number(totals.get("sum(session)")):
            return None
        rate = totals.get("crash_free_rate(session)")
        return float(rate) if isinstance(rate, int | float) else None

    async def slow_transactions(
        self, project_ids: list[str], start: datetime, end: datetime, *, limit: int = 5
    ) -> list[SlowTransaction]:
        """Transactions with the highest p95 duration (spans dataset); empty without spans."""
        resp = await self.client.get(
            self.client.org_path("events"),
            params={
                "dataset": "spans",
                "field": ["transaction", "p95(span.duration)", "count()"],
                "query": "is_transaction:true",
                "sort": "-p95(span.duration)",
                "project": project_ids,
                "start": iso(start),
                "end": iso(end),
                "per_page": limit,
            },
        )
        out = []
        for row in (resp.data or {}).get("data") or []:
            name = row.get("transaction")
            if name:
                out.append(
                    SlowTransaction(
                        str(name),
                        _number(row.get("p95(span.duration)")),
                        int(_number(row.get("count()"))),
                    )
                )
        return out

    async def event_series(
        self, project_ids: list[str], start: datetime, end: datetime, *, interval: int
    ) -> Series:
        """Error events per project over the period, one point per `interval` seconds."""
        resp = await self.client.get(
            self.client.org_path("events-timeseries"),
            params={
                "dataset": "errors",
                "yAxis": "count()",
                "groupBy": ["project"],
                "topEvents": max(1, min(10, len(project_ids))),
                "sort": "-count()",
                "excludeOther": "0",
                "interval": interval,
                "project": project_ids,
                "start": iso(start),
                "end": iso(end),
            },
        )
        out: Series = {}
        for series in (resp.data or {}).get("timeSeries") or []:
            label = _series_label(series)
            points = []
            for v in series.get("values") or []:
                ts = _number(v.get("timestamp"))
                stamp = datetime.fromtimestamp(epoch_seconds(ts), UTC)
                points.append((stamp, _number(v.get("value"))))
            out[label] = points
        return out

    async def release_activity(
        self, project_ids: list[str], start: datetime, end: datetime
    ) -> ReleaseActivity:
        """Releases created and deploys finished in the period (newest first)."""
        resp = await self.client.get(
            self.client.org_path("releases"),
            params={"project": project_ids, "per_page": MAX_RELEASES},
        )
        releases: list[Release] = []
        deploys: list[Deploy] = []
        lookups: list[str] = []  # releases deployed more than once: their deploys, at once
        for r in resp.data or []:
            version = str(r.get("version") or "")
            created = _when(r.get("dateReleased")) or _when(r.get("dateCreated"))
            if version and created and start <= created <= end:
                releases.append(
                    Release(
                        version=version,
                        short_version=str(r.get("shortVersion") or version),
                        created=created,
                        new_issues=int(_number(r.get("newGroups"))),
                    )
                )
            last = r.get("lastDeploy") or {}
            finished = _when(last.get("dateFinished"))
            if not (version and finished and finished >= start):
                continue
            if int(_number(r.get("deployCount"))) > 1 and len(lookups) < MAX_DEPLOY_LOOKUPS:
                lookups.append(version)
            elif finished <= end:
                deploys.append(Deploy(version, str(last.get("environment") or ""), finished))
        for found in await asyncio.gather(*(self._deploys(v, start, end) for v in lookups)):
            deploys += found
        deploys.sort(key=lambda d: d.finished, reverse=True)
        releases.sort(key=lambda r: r.created, reverse=True)
        return ReleaseActivity(releases, deploys)

    async def _deploys(self, version: str, start: datetime, end: datetime) -> list[Deploy]:
        resp = await self.client.get(self.client.org_path("releases", version, "deploys"))
        out = []
        for d in resp.data or []:
            finished = _when(d.get("dateFinished"))
            if finished and start <= finished <= end:
                out.append(Deploy(version, str(d.get("environment") or ""), finished))
        return out


def _series_label(series: dict[str, Any]) -> str:
    if (series.get("meta") or {}).get("isOther"):
        return "other"
    for group in series.get("groupBy") or []:
        if group.get("key") == "project" and group.get("value") is not None:
            return str(group["value"])
    return "events"
