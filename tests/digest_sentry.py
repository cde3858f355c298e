"""A respx Sentry that answers every request a team dashboard makes (shapes from the schema)."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import respx

from tests import factories as f
from tests.sentry_mock import SentryMock

PROJECTS = [
    f.project(2, "backend", "core"),
    f.project(3, "web", "core"),
    f.project(4, "ios", "mobile"),
]


def team(tid: int, slug: str, projects: list[dict[str, Any]], members: int = 4) -> dict[str, Any]:
    return {
        "id": str(tid),
        "slug": slug,
        "name": slug.title(),
        "memberCount": members,
        "isMember": False,
        "projects": [{"id": p["id"], "slug": p["slug"], "name": p["name"]} for p in projects],
    }


TEAMS = [team(10, "core", PROJECTS[:2], 5), team(11, "mobile", PROJECTS[2:], 2)]


@dataclass
class DashboardSentry:
    """Configurable answers; `calls` counts requests per endpoint family."""

    quiet: bool = False
    delay: float = 0.0
    spans: bool = True
    sessions: bool = True
    fail: set[str] = field(default_factory=set)  # endpoint names that answer 503
    calls: Counter[str] = field(default_factory=Counter)
    top_count: int = 3
    new_count: int = 2
    title_len: int = 40

    def install(self, router: respx.MockRouter) -> DashboardSentry:
        acme = SentryMock(router)
        acme.projects(PROJECTS)
        acme.teams(TEAMS)
        acme.issues(self._issues)
        router.get("organizations/acme/events/").mock(side_effect=self._events)
        router.get("organizations/acme/events-timeseries/").mock(side_effect=self._series)
        router.get("organizations/acme/sessions/").mock(side_effect=self._sessions)
        acme.releases(self._releases)
        acme.deploys(self._deploys)
        return self

    async def _answer(
        self, name: str, body: Any, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        self.calls[name] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if name in self.fail:
            return httpx.Response(503, json={"detail": "unavailable"})
        return httpx.Response(200, json=body, headers=headers or {})

    async def _issues(self, request: httpx.Request) -> httpx.Response:
        q = request.url.params.get("query", "")
        limit = int(request.url.params.get("limit", "25"))
        if self.quiet and ("firstSeen" in q or "regressed" in q or "start" in request.url.params):
            return await self._answer("issues", [], {"X-Hits": "0"})
        if "firstSeen" in q:
            total = self.new_count
        elif "regressed" in q:
            total = 1
        elif "unassigned" in q:
            total = 7
        elif "assigned:" in q:
            total = 2
        else:
            total = 42 if "start" not in request.url.params else self.top_count
        title = ("Timeout talking to payments " * 20)[: self.title_len]
        rows = [
            f.issue(100 + i, title=f"{title} {i}", count=900 - i * 100)
            for i in range(min(limit, total))
        ]
        return await self._answer("issues", rows, {"X-Hits": str(total)})

    async def _events(self, request: httpx.Request) -> httpx.Response:
        if request.url.params.get("dataset") == "spans":
            rows = []
            if self.spans and not self.quiet:
                rows = [
                    {"transaction": "/api/checkout", "p95(span.duration)": 1840.5, "count()": 1200},
                    {"transaction": "/api/search", "p95(span.duration)": 420.0, "count()": 9800},
                ]
            return await self._answer("spans", {"data": rows, "meta": {"fields": {}}})
        # The previous period ends where this one starts; tell them apart by `end`.
        current = request.url.params.get("end", "") >= f.iso(timedelta(hours=1))
        if self.quiet:
            row = {"count()": 0, "count_unique(user)": 0}
        elif current:
            row = {"count()": 1200, "count_unique(user)": 90}
        else:
            row = {"count()": 1000, "count_unique(user)": 100}
        return await self._answer("events", {"data": [row], "meta": {"fields": {}}})

    async def _series(self, request: httpx.Request) -> httpx.Response:
        start = f.now() - timedelta(hours=24)
        series = []
        for slug in ("backend", "web"):
            values = [
                {
                    "timestamp": int((start + timedelta(hours=h)).timestamp() * 1000),
                    "value": 0 if self.quiet else (h * 7) % 23,
                    "incomplete": False,
                }
                for h in range(24)
            ]
            series.append(
                {
                    "values": values,
                    "yAxis": "count()",
                    "groupBy": [{"key": "project", "value": slug}],
                    "meta": {"valueUnit": None, "valueType": "integer", "interval": 3600},
                }
            )
        return await self._answer("series", {"timeSeries": series, "meta": {"dataset": "errors"}})

    async def _sessions(self, request: httpx.Request) -> httpx.Response:
        groups = []
        if self.sessions and not self.quiet:
            groups = [
                {
                    "by": {},
                    "totals": {"crash_free_rate(session)": 0.9982, "sum(session)": 5000},
                    "series": {},
                }
            ]
        body = {"start": f.iso(), "end": f.iso(), "intervals": [], "groups": groups, "query": ""}
        return await self._answer("sessions", body)

    async def _releases(self, request: httpx.Request) -> httpx.Response:
        rows = []
        if not self.quiet:
            rows = [
                {
                    "version": "backend@1.6.0",
                    "shortVersion": "1.6.0",
                    "dateCreated": f.iso(timedelta(hours=5)),
                    "dateReleased": None,
                    "newGroups": 2,
                    "deployCount": 2,
                    "lastDeploy": {
                        "id": "7",
                        "environment": "production",
                        "dateFinished": f.iso(timedelta(hours=4)),
                        "name": "",
                    },
                },
                {
                    "version": "backend@1.5.2",
                    "shortVersion": "1.5.2",
                    "dateCreated": f.iso(timedelta(days=9)),
                    "newGroups": 0,
                    "deployCount": 1,
                    "lastDeploy": None,
                },
            ]
        return await self._answer("releases", rows)

    async def _deploys(self, request: httpx.Request) -> httpx.Response:
        rows = [
            {
                "id": "6",
                "environment": "staging",
                "dateStarted": None,
                "dateFinished": f.iso(timedelta(hours=5)),
                "name": None,
                "url": None,
            },
            {
                "id": "7",
                "environment": "production",
                "dateStarted": None,
                "dateFinished": f.iso(timedelta(hours=4)),
                "name": None,
                "url": None,
            },
        ]
        return await self._answer("deploys", rows)
