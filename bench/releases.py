"""Benchmarks for the release features; prints numbers. Run: `python -m bench.releases`.

Needs REDIS_URL (or falls back to an embedded Redis). Sentry answers through respx after a
simulated network delay, so the numbers show how much the concurrent fetches save.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
import respx
from httpx import Request, Response

from bot.core.store import Store, start_embedded
from bot.deps import build_deps
from bot.releases.chart import render_png
from bot.releases.subscriptions import SubscriptionStore
from tests import factories as f
from tests import release_factories as rf
from tests.fake_slack import FakeSlack
from tests.release_helpers import by_query, release_card_routes, watcher
from tests.sentry_mock import SentryMock
from tests.settings_factory import SENTRY_API, make_settings

DELAY = 0.05  # simulated Sentry latency per request


def slow(answer: Any) -> Any:
    async def respond(request: Request) -> Response:
        await asyncio.sleep(DELAY)
        return answer(request) if callable(answer) else answer

    return respond


async def _store() -> tuple[Store, Any]:
    url = os.environ.get("REDIS_URL")
    if url:
        return Store(aioredis.Redis.from_url(url), prefix=f"bench:{uuid.uuid4().hex[:8]}:"), None
    server = start_embedded(Path(tempfile.mkdtemp()))
    client = aioredis.Redis(unix_socket_path=server.socket_file)
    return Store(client, prefix="bench:"), server


async def bench_card() -> None:
    store, server = await _store()
    deps = await build_deps(make_settings(), store=store)
    with respx.mock(base_url=SENTRY_API, assert_all_called=False) as sentry:
        SentryMock(sentry).projects([f.project(2, "backend")])
        routes = release_card_routes(sentry)
        for route in routes.values():
            route.side_effect = slow(route.side_effect or route.return_value)
        reports = deps.release_reports
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            await reports.card("backend@1.5.2")
            runs.append(time.perf_counter() - started)
        requests = len(sentry.calls) // 5
    print(
        f"release card: {requests} Sentry requests at {DELAY * 1000:.0f} ms each; "
        f"built in {min(runs) * 1000:.0f} ms (median {sorted(runs)[2] * 1000:.0f} ms) "
        f"vs {requests * DELAY * 1000:.0f} ms one after another"
    )
    await _cleanup(store, server, deps)


async def bench_poll(n_releases: int = 50, n_channels: int = 10) -> None:
    store, server = await _store()
    slack = await FakeSlack().start()
    deps = await build_deps(make_settings(slack), store=store)
    subs = SubscriptionStore(store)
    for c in range(n_channels):
        await subs.add(f"C{c}", "backend", None, user="U1")
    now = datetime.now(UTC) + timedelta(minutes=5)
    releases = []
    with respx.mock(base_url=SENTRY_API, assert_all_called=False) as sentry:
        acme = SentryMock(sentry)
        acme.projects([f.project(2, "backend")])
        for i in range(n_releases):
            v = f"backend@2.{i}.0"
            deploys = [
                rf.deploy(i * 10 + k, env, at=now - timedelta(seconds=30 + k))
                for k, env in enumerate(["staging", "production"])
            ]
            releases.append(rf.release(v, created=now - timedelta(seconds=60 + i), deploys=deploys))
            sentry.get(rf.path(v, "deploys")).mock(side_effect=slow(Response(200, json=deploys)))
        acme.releases(slow(Response(200, json=releases)))
        acme.issues(slow(by_query({})))
        watch = watcher(deps, slack, clock=lambda: now)
        started = time.perf_counter()
        queued = await watch.poll()
        polled = time.perf_counter() - started
        started = time.perf_counter()
        sent = await watch.notifier.deliver(now)
        delivered = time.perf_counter() - started
        started = time.perf_counter()
        again = await watch.poll()
        repoll = time.perf_counter() - started
        requests = len(sentry.calls)
    print(
        f"poll: {n_releases} new releases × 2 deploys for {n_channels} channels → {queued} jobs "
        f"queued in {polled * 1000:.0f} ms ({requests} Sentry requests for both polls); "
        f"{sent} announcements sent in {delivered * 1000:.0f} ms "
        f"({delivered / max(sent, 1) * 1000:.1f} ms each against the local fake Slack; "
        f"{queued - sent} follow-ups wait their hour); "
        f"the next poll queued {again} in {repoll * 1000:.0f} ms"
    )
    await slack.stop()
    await _cleanup(store, server, deps)


def bench_chart() -> None:
    from bot.releases.models import SeriesPoint

    now = datetime.now(UTC)
    points = [SeriesPoint(now - timedelta(hours=h), float(h % 7)) for h in range(48, 0, -1)]
    started = time.perf_counter()
    render_png("warm-up (imports matplotlib)", points, [])
    first = time.perf_counter() - started
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        png = render_png("Errors around 1.5.2", points, [(now - timedelta(hours=24), "production")])
        runs.append(time.perf_counter() - started)
    print(
        f"chart: first render {first * 1000:.0f} ms (includes the matplotlib import), "
        f"then {min(runs) * 1000:.0f} ms; PNG {len(png) / 1024:.0f} KiB"
    )


async def _cleanup(store: Store, server: Any, deps: Any) -> None:
    await deps.sentry.aclose()
    keys = [k async for k in store.redis.scan_iter(match=store.prefix + "*")]
    if keys:
        await store.redis.delete(*keys)
    await store.redis.aclose()
    if server is not None:
        server.shutdown()


async def main() -> None:
    await bench_card()
    await bench_poll()
    bench_chart()


if __name__ == "__main__":
    asyncio.run(main())
