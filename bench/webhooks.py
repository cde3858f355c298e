"""Sentry webhooks at a steady rate: ack latency, and delivery → card updated.

`python -m bench.webhooks [--rate 100] [--seconds 10] [--issues 20] [--window 3]`

One process runs Dexter (`dexter run`: front door and worker, on Redis at REDIS_URL or the
embedded one), a fake Sentry that answers issue reads after `--sentry-delay` seconds and
notes when each issue was read, and the fake Slack noting when each card was updated.
Signed `issue.resolved` deliveries are sent at `--rate` per second, spread over `--issues`
issues that each have a card. Printed:

- ack: the time from sending a delivery to Sentry's 200 (what Sentry waits for);
- card: from sending a delivery to the first `chat.update` of its card that was rendered
  from a Sentry read started after the delivery was acknowledged (the card shows it);
- how many issue reads and card updates the deliveries cost (the coalescing).

One delivery per issue warms the process up first (template compilation, connection pools)
and is not counted. The load generator shares the process (and the two cores of a small
box): numbers are an upper bound for a separate Dexter.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import hashlib
import hmac
import json
import os
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests import factories as f
from tests.fake_slack import Call, FakeSlack

SECRET = "bench-webhook-secret"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


class Sentry:
    """Answers issue reads (after a delay) and remembers when each issue was read."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.reads: dict[str, list[float]] = defaultdict(list)

    def app(self) -> web.Application:
        async def answer(request: web.Request) -> web.Response:
            path = request.path
            parts = [p for p in path.split("/") if p]
            if path.endswith("/events/latest/"):
                await asyncio.sleep(self.delay)
                return web.json_response(f.event(int(parts[-3])))
            if (len(parts) >= 5 and parts[-2] == "issues") or "/issues/" in path:
                iid = parts[-1]
                if iid.isdigit():
                    self.reads[iid].append(time.monotonic())
                    await asyncio.sleep(self.delay)
                    return web.json_response(f.issue(int(iid), status="resolved"))
            if path.endswith("/releases/"):
                return web.json_response([])
            if path.endswith("/projects/"):
                return web.json_response([f.project()])
            return web.json_response([])

        app = web.Application()
        app.router.add_get("/{tail:.*}", answer)
        return app


class CardUpdates:
    """When each card (by message ts) was updated, as the fake Slack saw it."""

    def __init__(self) -> None:
        self.at: dict[str, list[float]] = defaultdict(list)

    def __call__(self, call: Call, _answer: dict[str, Any]) -> None:
        if call.method == "chat.update":
            self.at[str(call.args.get("ts"))].append(time.monotonic())


def signed(issue_id: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "action": "resolved",
            "installation": {"uuid": "bench-installation"},
            "data": {"issue": f.issue(issue_id, status="resolved"), "resolution_type": "resolved"},
            "actor": {"type": "user", "id": 1, "name": "Bench"},
        }
    ).encode()
    return body, {
        "Content-Type": "application/json",
        "Request-ID": uuid.uuid4().hex,
        "Sentry-Hook-Resource": "issue",
        "Sentry-Hook-Timestamp": str(int(time.time())),
        "Sentry-Hook-Signature": hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
    }


async def run(args: argparse.Namespace) -> None:
    import redis.asyncio as aioredis

    from bot.app import create_app
    from bot.core.settings import load_settings
    from bot.core.store import Store, start_embedded, stop_embedded
    from bot.deps import build_deps
    from bot.server import http_app
    from bot.triage.card_store import CardRef
    from bot.webhooks.coalesce import Coalescer
    from handlers.webhooks import issue_sync

    sentry = Sentry(args.sentry_delay)
    sentry_runner = web.AppRunner(sentry.app(), access_log=None)
    await sentry_runner.setup()
    site = web.TCPSite(sentry_runner, "127.0.0.1", 0)
    await site.start()
    sentry_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    slack, updates = FakeSlack(record=False), CardUpdates()
    slack.watch(updates)
    await slack.start()
    embedded = None
    if os.environ.get("REDIS_URL"):
        redis = aioredis.Redis.from_url(os.environ["REDIS_URL"])
    else:
        embedded = start_embedded(Path(tempfile.mkdtemp()))
        redis = aioredis.Redis(unix_socket_path=embedded.socket_file)
    store = Store(redis, prefix=f"bench:{uuid.uuid4().hex[:8]}:")
    settings = load_settings(
        _env_file=None,
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET="bench-signing",
        SLACK_API_URL=slack.api_url,
        SENTRY_AUTH_TOKEN="sntrys_bench",
        SENTRY_ORG="acme",
        SENTRY_URL=sentry_url,
        SENTRY_CLIENT_SECRET=SECRET,
        DEXTER_SENTRY_ALLOWED_HOSTS="127.0.0.1",
    )
    deps = await build_deps(settings, store=store)
    app = create_app(settings, deps)
    assert deps.webhooks is not None and deps.pipeline is not None
    deps.webhooks.register("issue", issue_sync(deps, Coalescer(store, window=args.window)))
    runner = web.AppRunner(http_app(app, deps), access_log=None)
    await runner.setup()
    bot_site = web.TCPSite(runner, "127.0.0.1", 0)
    await bot_site.start()
    bot_url = f"http://127.0.0.1:{bot_site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    await deps.pipeline.start()
    card_ts: dict[int, str] = {}
    for i in range(1, args.issues + 1):
        card_ts[i] = f"1700000000.{i:06d}"
        await deps.triage.cards.add(str(i), CardRef(channel="C1", ts=card_ts[i]))

    sent: list[tuple[int, float, float]] = []  # (issue, sent at, acked at)
    statuses: dict[int, int] = defaultdict(int)
    total = int(args.rate * args.seconds)
    async with aiohttp.ClientSession() as http:

        async def one(k: int) -> None:
            issue = k % args.issues + 1
            body, headers = signed(issue)
            started = time.monotonic()
            async with http.post(f"{bot_url}/sentry/webhook", data=body, headers=headers) as r:
                await r.read()
                statuses[r.status] += 1
            sent.append((issue, started, time.monotonic()))

        # warm up (template compilation, connection pools), then count from a clean slate
        await asyncio.gather(*(one(k) for k in range(args.issues)))
        await deps.pipeline.idle(timeout=120)
        sent.clear()
        statuses.clear()
        sentry.reads.clear()
        updates.at.clear()
        begin = time.monotonic()
        tasks = []
        for k in range(total):
            delay = begin + k / args.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(k)))
        await asyncio.gather(*tasks)
    await deps.pipeline.idle(timeout=120)

    acks = [acked - start for _, start, acked in sent]
    ends: list[float] = []
    missing = 0
    for issue, start, acked in sent:
        reads = sentry.reads[str(issue)]
        r = bisect.bisect_left(reads, acked)
        shown = updates.at[card_ts[issue]]
        u = bisect.bisect_left(shown, reads[r]) if r < len(reads) else len(shown)
        if u >= len(shown):
            missing += 1
            continue
        ends.append(shown[u] - start)
    n_reads = sum(len(v) for v in sentry.reads.values())
    n_updates = sum(len(v) for v in updates.at.values())
    print(
        f"{total} issue deliveries at {args.rate:g}/s over {args.issues} issues "
        f"(one card each), coalescing window {args.window:g} s, Sentry delay "
        f"{args.sentry_delay * 1000:g} ms"
    )
    print(f"statuses: {dict(statuses)}")
    top = max(acks) * 1000
    print(f"ack   p50 {pct(acks, 0.5):8.1f} ms   p99 {pct(acks, 0.99):8.1f} ms   max {top:8.1f} ms")
    if ends:
        print(
            f"card  p50 {pct(ends, 0.5):8.1f} ms   p99 {pct(ends, 0.99):8.1f} ms   "
            f"mean {statistics.mean(ends) * 1000:8.1f} ms"
        )
    print(
        f"cost: {n_reads} issue reads, {n_updates} chat.update for {total} deliveries"
        + (f"; {missing} deliveries never shown (bug)" if missing else "")
    )
    await runner.cleanup()
    await deps.pipeline.stop()
    await deps.aclose()
    await slack.stop()
    await sentry_runner.cleanup()
    if embedded is not None:
        stop_embedded(embedded)


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100.0, help="deliveries per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--issues", type=int, default=20, help="distinct issues (cards)")
    parser.add_argument("--window", type=float, default=3.0, help="coalescing window (s)")
    parser.add_argument("--sentry-delay", type=float, default=0.05, help="Sentry answer (s)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
