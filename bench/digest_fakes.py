"""Loopback fakes for the digest benchmark: a slow Sentry, and the fake Slack of the tests
(tests/fake_slack.py) limiting posts per channel, with a tally of the digests it took."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from tests.fake_slack import Call, FakeSlack


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Server:
    """An aiohttp app on 127.0.0.1 with a free port."""

    def __init__(self) -> None:
        self.app = web.Application(client_max_size=20 * 1024 * 1024)
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()


class FakeSentry(Server):
    """Answers every dashboard endpoint after `latency` seconds; `teams` teams, 2 projects each."""

    def __init__(self, *, org: str, teams: int, latency: float) -> None:
        super().__init__()
        self.org = org
        self.latency = latency
        self.calls: Counter[str] = Counter()
        self.in_flight = 0
        self.peak_in_flight = 0
        self.projects = []
        self.team_rows = []
        for t in range(teams):
            slug = f"team-{t}"
            projs = [
                {"id": str(10_000 + t * 2 + k), "slug": f"{slug}-p{k}", "name": f"{slug} p{k}"}
                for k in range(2)
            ]
            self.team_rows.append(
                {"id": str(t + 1), "slug": slug, "name": slug, "memberCount": 5, "projects": projs}
            )
            for p in projs:
                self.projects.append(
                    {
                        **p,
                        "platform": "python",
                        "teams": [{"id": str(t + 1), "slug": slug, "name": slug}],
                    }
                )
        self.app.router.add_get("/__stats", self._stats)
        self.app.router.add_get("/api/0/{path:.*}", self._handle)

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({"calls": dict(self.calls), "peak_in_flight": self.peak_in_flight})

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        family = path.split("/")[2] if path.startswith("organizations/") else path.split("/")[0]
        if "/deploys/" in path:
            family = "deploys"
        self.calls[family] += 1
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
            body, headers = self._answer(family, request)
        finally:
            self.in_flight -= 1
        headers |= {
            "X-Sentry-Rate-Limit-Limit": "1000",
            "X-Sentry-Rate-Limit-Remaining": "999",
            "X-Sentry-Rate-Limit-Reset": str(int(time.time()) + 1),
        }
        return web.json_response(body, headers=headers)

    def _answer(self, family: str, request: web.Request) -> tuple[Any, dict[str, str]]:
        q = request.query
        now = datetime.now(UTC)
        if family == "projects":
            return self._page(self.projects, q), self._link(q, len(self.projects))
        if family == "teams":
            return self._page(self.team_rows, q), self._link(q, len(self.team_rows))
        if family == "issues":
            limit = int(q.get("limit", "25"))
            rows = [_issue(i, self.projects[i % len(self.projects)]) for i in range(min(limit, 5))]
            return rows, {"X-Hits": str(len(rows) * 3)}
        if family == "events":
            if q.get("dataset") == "spans":
                rows = [
                    {
                        "transaction": f"/api/{k}",
                        "p95(span.duration)": 300.0 * (5 - k),
                        "count()": 100,
                    }
                    for k in range(5)
                ]
            else:
                rows = [{"count()": 1234, "count_unique(user)": 56}]
            return {"data": rows, "meta": {"fields": {}}}, {}
        if family == "events-timeseries":
            start = now - timedelta(days=1)
            series = [
                {
                    "values": [
                        {
                            "timestamp": int((start + timedelta(hours=h)).timestamp() * 1000),
                            "value": (h * 7 + k) % 23,
                            "incomplete": False,
                        }
                        for h in range(24)
                    ],
                    "yAxis": "count()",
                    "groupBy": [{"key": "project", "value": f"p{k}"}],
                    "meta": {"valueUnit": None, "valueType": "integer", "interval": 3600},
                }
                for k in range(2)
            ]
            return {"timeSeries": series, "meta": {"dataset": "errors"}}, {}
        if family == "sessions":
            groups = [
                {
                    "by": {},
                    "totals": {"crash_free_rate(session)": 0.997, "sum(session)": 1000},
                    "series": {},
                }
            ]
            return {
                "start": _iso(now),
                "end": _iso(now),
                "intervals": [],
                "groups": groups,
                "query": "",
            }, {}
        if family == "releases":
            return [
                {
                    "version": "app@2.0.0",
                    "shortVersion": "2.0.0",
                    "dateCreated": _iso(now - timedelta(hours=3)),
                    "newGroups": 1,
                    "deployCount": 1,
                    "lastDeploy": {
                        "id": "1",
                        "environment": "production",
                        "dateFinished": _iso(now - timedelta(hours=2)),
                        "name": "",
                    },
                }
            ], {}
        return [], {}

    @staticmethod
    def _page(rows: list[Any], q: Any) -> list[Any]:
        offset = int(str(q.get("cursor", "0:0:0")).split(":")[1])
        return rows[offset : offset + 100]

    def _link(self, q: Any, total: int) -> dict[str, str]:
        offset = int(str(q.get("cursor", "0:0:0")).split(":")[1])
        nxt = offset + 100
        more = "true" if nxt < total else "false"
        return {"Link": f'<{self.url}/x>; rel="next"; results="{more}"; cursor="0:{nxt}:0"'}


def _issue(i: int, project: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(1000 + i),
        "shortId": f"{project['slug'].upper()}-{i}",
        "title": f"RuntimeError: something broke #{i}",
        "culprit": "app.views",
        "level": "error",
        "status": "unresolved",
        "permalink": f"https://acme.sentry.io/issues/{1000 + i}/",
        "project": {"id": project["id"], "slug": project["slug"], "name": project["name"]},
        "count": str(500 - i * 50),
        "userCount": 20 - i,
        "firstSeen": "2026-11-20T10:00:00Z",
        "lastSeen": "2026-11-26T08:00:00Z",
    }


class DigestPosts:
    """What the fake Slack took: digest posts (by the subscription and fire in their
    metadata), the busiest channel, chart uploads; served as `GET <slack>/api/bench.stats`."""

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self.posts: list[tuple[float, str]] = []  # (time, channel)
        self.per_channel: Counter[str] = Counter()
        self.by_digest: Counter[tuple[str, int]] = Counter()
        self.uploads = 0
        self.last_upload = 0.0

    def __call__(self, call: Call, answer: dict[str, Any]) -> None:
        if not answer.get("ok"):
            return
        if call.method == "files.completeUploadExternal":
            self.uploads += 1
            self.last_upload = time.time()
        if call.method != "chat.postMessage":
            return
        meta = call.args.get("metadata")
        meta = json.loads(meta) if isinstance(meta, str) else meta or {}
        payload = meta.get("event_payload") or {}
        sub, scheduled = str(payload.get("subscription", "")), int(payload.get("scheduled", 0))
        if sub:
            channel = str(call.args.get("channel"))
            self.by_digest[(sub, scheduled)] += 1
            self.posts.append((time.time(), channel))
            self.per_channel[channel] += 1

    def stats(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "digest_posts": len(self.posts),
            "distinct": len(self.by_digest),
            "duplicates": sum(c - 1 for c in self.by_digest.values() if c > 1),
            "busiest_channel": max(self.per_channel.values(), default=0),
            "last_post": max((at for at, _ in self.posts), default=0.0),
            "rejected": self.slack.ratelimited,
            "uploads": self.uploads,
            "last_upload": self.last_upload,
        }


def serve(conn: Any, teams: int, latency: float) -> None:
    """Child-process entry: run both fakes until the parent says stop (they are not the bot:
    their CPU must not count against it)."""

    async def main() -> None:
        sentry = FakeSentry(org="acme", teams=teams, latency=latency)
        # the fake Slack of the tests, keeping nothing, limiting posts as Slack does
        slack = FakeSlack(record=False, post_interval=1.0)
        posts = DigestPosts(slack)
        slack.watch(posts)
        slack.on("bench.stats", posts.stats)
        await sentry.start()
        await slack.start()
        conn.send((sentry.url, slack.url))
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)
        await sentry.stop()
        await slack.stop()

    asyncio.run(main())
