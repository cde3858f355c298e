"""Benchmark: alert deliveries acted on (`event_alert`, `metric_alert`), Sentry answering after
a delay. `python -m bench.alert_push [--delay 0.05] [--issues 40] [--burst 100]`.

Prints, per delivery: a new card, the same rule firing again (update + thread line), a burst of
concurrent deliveries over few issues (wall time; cards and updates Slack received), and a
metric incident's first message with its chart. Uses REDIS_URL when set, else embedded Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time
import uuid
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web

from bench.digests import connect_store
from bot.app import slack_client
from bot.core.store import MAX_CONNECTIONS, POOL_WAIT
from bot.deps import build_deps
from bot.slack.directory import SlackDirectory
from bot.webhooks.types import WebhookHandler
from handlers.alert_push import alert_handlers
from tests import alert_factories as af
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.settings_factory import make_settings

CHANNEL = "C0ALERTS1"
_ISSUE = re.compile(r"/issues/(\d+)/$")


def sentry_app(delay: float) -> web.Application:
    """Issue detail by id, latest event, owners/committers, the rule, a short time series."""

    async def answer(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        path = request.path
        if m := _ISSUE.search(path):
            return web.json_response(f.issue(int(m.group(1))))
        if path.endswith("/events/latest/"):
            return web.json_response(f.event(1))
        if path.endswith("/owners/"):
            return web.json_response(af.owners())
        if path.endswith("/committers/"):
            return web.json_response(af.committers())
        if "/rules/" in path:
            return web.json_response({"id": "7", "frequency": 60})
        if path.endswith("/projects/"):
            return web.json_response([f.project()])
        if path.endswith("/events-timeseries/"):
            start = 1_764_660_000_000
            values = [
                {"timestamp": start + i * 300_000, "value": (i * 37) % 1400} for i in range(60)
            ]
            meta = {"valueType": "integer", "valueUnit": None, "interval": 300_000}
            return web.json_response(
                {"timeSeries": [{"yAxis": "count()", "meta": meta, "values": values}]}
            )
        if path.endswith("/deploys/"):
            return web.json_response([])
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    return app


async def _serve(app: web.Application) -> tuple[str, web.AppRunner]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return f"http://127.0.0.1:{port}", runner


def _ms(xs: list[float]) -> str:
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, int(len(xs) * 0.95))]
    return f"p50 {statistics.median(xs) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


async def _timed(
    handlers: dict[str, WebhookHandler], resource: str, action: str, data: dict[str, Any]
) -> float:
    started = time.perf_counter()
    await handlers[resource](af.delivery(resource, action, data))
    return time.perf_counter() - started


async def run(args: argparse.Namespace) -> None:
    sentry_url, runner = await _serve(sentry_app(args.delay))
    slack = await FakeSlack().start()
    slack.on(
        "conversations.info",
        lambda a: {"ok": True, "channel": {"id": a["channel"], "is_member": True}},
    )
    store, embedded = await connect_store(f"bench-alerts-{uuid.uuid4().hex[:8]}")
    # a bounded, waiting pool, as Store.connect builds for the bot (a burst waits for one)
    pool = aioredis.BlockingConnectionPool(
        **store.redis.connection_pool.connection_kwargs,
        connection_class=store.redis.connection_pool.connection_class,
        max_connections=MAX_CONNECTIONS,
        timeout=POOL_WAIT,
    )
    await store.redis.aclose()
    store.redis = aioredis.Redis(connection_pool=pool)
    settings = make_settings(slack, SENTRY_URL=sentry_url)
    deps = await build_deps(settings, store=store)
    client = slack_client(settings)
    deps.directory = SlackDirectory(client, store, settings)
    handlers = alert_handlers(deps, client)

    try:
        print(f"Sentry answers after {args.delay * 1000:.0f} ms; Slack and Redis on loopback")
        new = [
            await _timed(handlers, "event_alert", "triggered", af.event_alert(issue_id=i))
            for i in range(1, args.issues + 1)
        ]
        print(f"event_alert, new card       ({args.issues:>3}): {_ms(new)}")
        again = [
            await _timed(handlers, "event_alert", "triggered", af.event_alert(issue_id=i))
            for i in range(1, args.issues + 1)
        ]
        print(f"event_alert, fired again    ({args.issues:>3}): {_ms(again)}")

        posts0, updates0 = len(slack.of("chat.postMessage")), len(slack.of("chat.update"))
        few = 10
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _timed(
                    handlers,
                    "event_alert",
                    "triggered",
                    af.event_alert(issue_id=1000 + i % few, rule_id=9),
                )
                for i in range(args.burst)
            )
        )
        wall = time.perf_counter() - started
        posts = len(slack.of("chat.postMessage")) - posts0
        updates = len(slack.of("chat.update")) - updates0
        print(
            f"burst: {args.burst} deliveries over {few} issues at once: {wall:.2f} s wall, "
            f"{args.burst / wall:.0f}/s; Slack got {updates} updates and {posts} posts "
            f"({few} cards + {posts - few} thread lines)"
        )
        charts = [
            await _timed(handlers, "metric_alert", "critical", af.metric_alert(incident_id=100 + i))
            for i in range(5)
        ]
        print(f"metric_alert, message+chart (  5): {_ms(charts)}")
        states = [
            await _timed(handlers, "metric_alert", "resolved", af.metric_alert(incident_id=100 + i))
            for i in range(5)
        ]
        print(f"metric_alert, later state   (  5): {_ms(states)}")
    finally:
        await deps.sentry.aclose()
        await store.close()
        await slack.stop()
        await runner.cleanup()
        if embedded is not None:
            embedded.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--issues", type=int, default=40)
    parser.add_argument("--burst", type=int, default=100)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
