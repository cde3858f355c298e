"""Digest fan-out benchmark: many digests due in the same minute.

    python -m bench.digests                       # 1,000 subscriptions over 200 channels
    python -m bench.digests --replicas 3          # three schedulers sharing one Redis
    python -m bench.digests --teams 250 --no-charts

A loopback Sentry answers every request after 50 ms; a loopback Slack allows one message
per second per channel and answers 429 + Retry-After beyond that. Uses REDIS_URL when set,
else an embedded Redis. Prints wall time against the rate-limit floor, Sentry calls per
digest, peak RSS, Slack 429s, and duplicates/losses (both must be zero).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis
from slack_sdk.web.async_client import AsyncWebClient

from bench.digest_fakes import serve
from bot.core.settings import load_settings
from bot.core.store import Store, start_embedded
from bot.deps import build_deps
from bot.digests.feature import DigestFeature
from bot.digests.parse import Target
from bot.digests.schedule import Schedule
from bot.services import digests_of

ORG = "acme"
FIRE = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)  # a Monday, on the schedulers' shifted clock


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.digests", description=__doc__.split("\n")[0])
    p.add_argument("--subscriptions", type=int, default=1000)
    p.add_argument("--channels", type=int, default=200)
    p.add_argument(
        "--teams", type=int, default=1000, help="distinct teams (fewer = shared dashboards)"
    )
    p.add_argument("--replicas", type=int, default=1)
    p.add_argument("--latency", type=float, default=0.05, help="fake Sentry latency (s)")
    p.add_argument("--sentry-concurrency", type=int, default=16, help="per-replica client limit")
    p.add_argument("--charts", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--timeout", type=float, default=900.0)
    return p.parse_args(argv)


async def connect_store(prefix: str) -> tuple[Store, Any]:
    url = os.environ.get("REDIS_URL")
    if url:
        return Store(aioredis.Redis.from_url(url), prefix=prefix), None
    tmp = tempfile.mkdtemp(prefix="dexter-bench-")
    server = start_embedded(Path(tmp))
    return Store(aioredis.Redis(unix_socket_path=server.socket_file), prefix=prefix), server


async def make_replica(
    args: argparse.Namespace,
    store: Store,
    sentry_url: str,
    slack_url: str,
    shift: timedelta,
    n: int,
) -> DigestFeature:
    settings = load_settings(
        _env_file=None,
        SLACK_BOT_TOKEN="xoxb-bench-0000",
        SLACK_SIGNING_SECRET="bench-secret",
        SENTRY_AUTH_TOKEN="sntrys_bench_token",
        SENTRY_ORG=ORG,
        SENTRY_URL=sentry_url,
        SLACK_API_URL=slack_url + "/api/",
    )
    deps = await build_deps(settings, store=store, max_concurrency=args.sentry_concurrency)
    client = AsyncWebClient(token="xoxb-bench-0000", base_url=slack_url + "/api/")
    return digests_of(
        deps,
        client,
        time_shift=shift,
        resync_every=5.0,
        chart=args.charts,
        retry_delays=(2.0, 5.0),
        name=f"r{n}",
    )


async def stats(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url) as resp:
        data: dict[str, Any] = await resp.json()
        return data


async def run(args: argparse.Namespace) -> int:
    # The fakes run in their own process: Sentry and Slack are not the bot's CPU.
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    fakes = ctx.Process(target=serve, args=(child, args.teams, args.latency), daemon=True)
    fakes.start()
    sentry_url, slack_url = parent.recv()
    slack_stats, sentry_stats = f"{slack_url}/api/bench.stats", f"{sentry_url}/__stats"
    session = aiohttp.ClientSession()
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    store, embedded = await connect_store(prefix)
    schedule = Schedule(at="09:00", tz="UTC")
    lead = 5.0 + args.subscriptions / 60  # time to create and load the subscriptions
    shift = FIRE - datetime.now(UTC) - timedelta(seconds=lead)
    replicas = [
        await make_replica(args, store, sentry_url, slack_url, shift, n)
        for n in range(args.replicas)
    ]
    created = FIRE - timedelta(days=1)
    for i in range(args.subscriptions):
        await replicas[0].store.create(
            team_id="T1",
            channel_id=f"C{i % args.channels:05d}",
            owner_id="U1",
            # distinct within a channel while lcm(channels, teams) >= subscriptions
            target=Target(team=f"team-{i % args.teams}"),
            schedule=schedule,
            created_at=created,
        )
    for r in replicas:
        await r.scheduler.start()
    fire_wall = (FIRE - shift).timestamp()  # the fire instant on the real clock
    if time.time() > fire_wall:
        print("warning: start-up took longer than the lead; raise it", file=sys.stderr)
    expected = args.subscriptions
    deadline = time.monotonic() + lead + args.timeout
    slack = await stats(session, slack_stats)
    while slack["distinct"] < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        slack = await stats(session, slack_stats)
    await asyncio.sleep(3.0)  # room for a late duplicate to show up
    for r in replicas:
        await r.scheduler.drain()
        await r.scheduler.stop()
        await r.service.data.client.aclose()
    slack = await stats(session, slack_stats)
    sentry = await stats(session, sentry_stats)
    wall = slack["last_post"] - fire_wall
    floor = max(0, slack["busiest_channel"] - 1) * 1.0
    calls = sum(sentry["calls"].values())
    builds = sum(r.service.builds for r in replicas)
    concurrency = args.sentry_concurrency * args.replicas
    sentry_floor = calls * args.latency / concurrency
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counters: dict[str, int] = {}
    for r in replicas:
        for key, value in r.scheduler.stats.items():
            counters[key] = counters.get(key, 0) + value
    lost = expected - slack["distinct"]
    print(
        f"digests: {expected} subscriptions, {args.channels} channels, {args.teams} teams, "
        f"{args.replicas} replica(s), charts {'on' if args.charts else 'off'}"
    )
    print(
        f"wall time (fire → last digest posted): {wall:.1f} s; Slack floor {floor:.1f} s "
        f"({slack['busiest_channel']} msgs in the busiest channel at 1/s); Sentry floor "
        f"{sentry_floor:.1f} s ({calls} calls × {args.latency * 1000:.0f} ms / {concurrency} "
        "concurrent)"
    )
    if args.charts:
        skipped = sum(r.sender.charts_skipped for r in replicas)
        last = f", the last {slack['last_upload'] - fire_wall:.1f} s after the fire"
        print(
            f"charts: {slack['uploads']} uploaded into threads at Slack's files pace"
            f"{last if slack['uploads'] else ''}; {skipped} digests went without one (burst)"
        )
    print(
        f"sentry calls: {calls / expected:.1f} per digest, {calls / max(builds, 1):.1f} per "
        f"dashboard ({builds} built), peak concurrent {sentry['peak_in_flight']}; "
        f"by endpoint {sentry['calls']}"
    )
    print(f"slack: {slack['digest_posts']} digest posts, {slack['rejected']} answered 429")
    print(f"scheduler: {counters}")
    print(f"peak RSS (bot process): {rss_mb:.0f} MB")
    print(f"duplicates: {slack['duplicates']}; losses: {lost}")
    keys = [k async for k in store.redis.scan_iter(match=prefix + "*")]
    if keys:
        await store.redis.delete(*keys)
    await store.redis.aclose()
    if embedded is not None:
        embedded.shutdown()
    await session.close()
    parent.send("stop")
    fakes.join(timeout=10)
    return 0 if slack["duplicates"] == 0 and lost == 0 else 1


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its numbers."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return asyncio.run(run(parse(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
