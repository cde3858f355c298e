"""Sentry round trips a user waits for, per command, with Sentry answering after a delay.

`python -m bench.round_trips [--delay 0.1]`. Every mocked Sentry call answers after `delay`
seconds; for each command the table shows the Sentry calls made and the round trips on the
critical path (the longest chain of calls where each starts after the previous one ended),
cold (every cache empty) and warm (the same again), and the wall time until the answer.
Add a row by appending an `Op` to OPERATIONS.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import itertools
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
import redis.asyncio as aioredis
import respx

from bench.round_trip_org import BenchOrg
from bot.app import create_app
from bot.core.ids import Action
from bot.core.messages import WORKING
from bot.core.store import Store
from bot.deps import build_deps
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver, serve_bot
from tests.settings_factory import make_settings

_TS = itertools.count(1)
_TYPED = itertools.cycle(["a", "an", "ann", "ada"])


@dataclass(frozen=True)
class Timed:
    """One Sentry call: when it started and ended (loop time), what it asked."""

    start: float
    end: float
    method: str
    path: str


def round_trips(calls: list[Timed]) -> int:
    """The longest chain of calls each starting after the previous ended (greedy by end)."""
    depth, last_end = 0, float("-inf")
    for call in sorted(calls, key=lambda c: c.end):
        if call.start >= last_end:
            depth, last_end = depth + 1, call.end
    return depth


def delay_every_route(router: respx.MockRouter, delay: float, log: list[Timed]) -> None:
    """Make each mocked route answer after `delay` seconds and record its timing."""
    for route in router.routes:
        effect, value = route.side_effect, route.return_value

        async def delayed(
            request: httpx.Request,
            _route: respx.Route = route,
            _effect: Any = effect,
            _value: Any = value,
            **kwargs: Any,
        ) -> httpx.Response:
            started = time.perf_counter()
            await asyncio.sleep(delay)
            if callable(_effect):
                if "route" in inspect.getfullargspec(_effect).args:
                    kwargs["route"] = _route
                result = _effect(request, **kwargs)
                if inspect.isawaitable(result):
                    result = await result
            else:
                result = _value
            log.append(Timed(started, time.perf_counter(), request.method, request.url.path))
            assert isinstance(result, httpx.Response)
            return result

        route.side_effect = delayed


Done = Callable[[FakeSlack, dict[str, int]], bool]


def _replies(slack: FakeSlack, seen: dict[str, int]) -> list[dict[str, Any]]:
    """Replies through the response_url since `seen`, other than "Working on it…"."""
    return [r for r in slack.responses[seen["response"] :] if r.get("text") != WORKING]


def answered(slack: FakeSlack, seen: dict[str, int]) -> bool:
    """A reply through the response_url other than "Working on it…"."""
    return bool(_replies(slack, seen))


def called(method: str) -> Done:
    """The Web API method was called."""
    return lambda slack, seen: len(slack.of(method)) > seen.get(method, 0)


@dataclass(frozen=True)
class Op:
    """One thing a user does and how to tell that its answer is shown."""

    name: str
    run: Callable[[SlackDriver], Awaitable[object]]
    done: Done = answered
    watch: tuple[str, ...] = ()  # Web API methods `done` looks at


RESOLVE_NOW = {"value": "now|123", "text": {"type": "plain_text", "text": "Resolve now"}}
CARD = [{"type": "section", "block_id": "issue_fields", "text": {"type": "mrkdwn", "text": "x"}}]
NEXT = '{"cursor": "0:10:0", "page": 2}'
POSTED = "chat.postMessage"
UPLOADED = "files.completeUploadExternal"


def _fresh_ts() -> str:
    return f"1700000100.{next(_TS):06d}"


OPERATIONS: list[Op] = [
    Op("/dexter issues", lambda b: b.command("issues")),
    Op("/dexter issues project:backend", lambda b: b.command("issues project:backend")),
    Op("/dexter issues assigned:me", lambda b: b.command("issues assigned:me")),
    Op("Next page button", lambda b: b.action(Action.ISSUES_NEXT_PAGE, value=NEXT)),
    Op("/dexter issue 123", lambda b: b.command("issue 123"), called(POSTED), (POSTED,)),
    Op(
        "/dexter issue BACKEND-1",
        lambda b: b.command("issue BACKEND-1"),
        called(POSTED),
        (POSTED,),
    ),
    Op(
        "Resolve button on a card",
        lambda b: b.action(
            Action.ISSUE_RESOLVE,
            selected_option=RESOLVE_NOW,
            message_ts=_fresh_ts(),
            blocks=CARD,
        ),
        called("chat.update"),
        ("chat.update",),
    ),
    Op(
        "Assign menu (options load)",
        # what is typed differs each time: an identical signed body is refused as a replay
        lambda b: b.options(Action.ISSUE_ASSIGN, next(_TYPED)),
        lambda slack, seen: True,
    ),
    Op("/dexter replays 123", lambda b: b.command("replays 123")),
    Op("/dexter replays BACKEND-1", lambda b: b.command("replays BACKEND-1")),
    Op("/dexter releases", lambda b: b.command("releases")),
    Op(
        "/dexter release backend@1.6.0",
        lambda b: b.command("release backend@1.6.0"),
        called(POSTED),
        (POSTED,),
    ),
    Op("/dexter release 1.6.0", lambda b: b.command("release 1.6.0"), called(POSTED), (POSTED,)),
    Op("/dexter deploys", lambda b: b.command("deploys")),
    Op("/dexter deploys backend@1.6.0", lambda b: b.command("deploys backend@1.6.0")),
    Op("/dexter alerts", lambda b: b.command("alerts")),
    Op("/dexter alerts project:backend", lambda b: b.command("alerts project:backend")),
    Op("/dexter discover title, count()", lambda b: b.command("discover title, count()")),
    Op(
        "/dexter discover … chart",
        lambda b: b.command("discover project, count() chart"),
        called(UPLOADED),
        (UPLOADED,),
    ),
    Op("/dexter perf", lambda b: b.command("perf")),
    Op("/dexter perf /api/checkout", lambda b: b.command("perf /api/checkout")),
    Op("/dexter teams", lambda b: b.command("teams")),
    Op("/dexter team core", lambda b: b.command("team core")),
    Op("/dexter whoami", lambda b: b.command("whoami")),
    Op("/dexter digest preview team:core", lambda b: b.command("digest preview team:core")),
]


@dataclass
class Row:
    name: str
    calls: list[int]
    trips: list[int]
    wall_ms: list[float]
    endpoints: list[str]
    failed: str = ""


async def _wait(op: Op, slack: FakeSlack, seen: dict[str, int], timeout: float = 30.0) -> bool:
    """Wait for the answer; False when a text-only reply (an error) came instead."""
    deadline = time.perf_counter() + timeout
    while not op.done(slack, seen):
        if op.watch and any(not r.get("blocks") for r in _replies(slack, seen)):
            return False
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{op.name}: no answer in {timeout} s")
        await asyncio.sleep(0.002)
    return True


async def _clear(client: aioredis.Redis, prefix: str) -> None:
    keys = [k async for k in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)


async def measure(delay: float) -> list[Row]:
    """Run every operation cold and warm against a Sentry that answers after `delay`."""
    slack = await FakeSlack().start()
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    client = aioredis.Redis.from_url(url)
    settings = make_settings(slack)
    slack.add_user("U1", email="ann@acme.com", name="ann")
    log: list[Timed] = []
    rows: list[Row] = []
    with respx.mock(base_url="https://sentry.io/api/0/", assert_all_called=False) as router:
        BenchOrg().install(router)
        delay_every_route(router, delay, log)
        deps = await build_deps(settings, store=Store(client, prefix=prefix))
        async with (
            aiohttp.ClientSession() as session,
            serve_bot(create_app(settings, deps), deps, slack, session) as bot,
        ):
            for op in OPERATIONS:
                await _clear(client, prefix)
                row = Row(op.name, [], [], [], [])
                for attempt in range(2):
                    seen = {"response": len(slack.responses)}
                    seen |= {m: len(slack.of(m)) for m in op.watch}
                    before = len(log)
                    started = time.perf_counter()
                    await op.run(bot)
                    if not await _wait(op, slack, seen):
                        row.failed = slack.responses[-1].get("text", "")
                    shown = time.perf_counter()
                    await asyncio.sleep(delay * 2 + 0.05)  # let stragglers finish
                    calls = log[before:]
                    row.calls.append(len(calls))
                    row.trips.append(round_trips([c for c in calls if c.start < shown]))
                    row.wall_ms.append((shown - started) * 1000)
                    if attempt == 0:
                        row.endpoints = [f"{c.method} {c.path}" for c in calls]
                rows.append(row)
        await deps.sentry.aclose()
    await _clear(client, prefix)
    await client.aclose()
    await slack.stop()
    return rows


def _short(endpoint: str) -> str:
    method, path = endpoint.split(" ", 1)
    path = path.removeprefix("/api/0/organizations/acme").removeprefix("/api/0")
    return path if method == "GET" else f"{method} {path}"


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=0.1, help="seconds per Sentry answer")
    args = parser.parse_args()
    rows = asyncio.run(measure(args.delay))
    width = max(len(r.name) for r in rows) + 2
    print(f"Sentry answers every call after {args.delay * 1000:.0f} ms; cold = caches empty.")
    print(
        f"{'command':<{width}}{'calls':>6}{'trips':>6}{'ms':>7}"
        f"{'calls':>8}{'trips':>6}{'ms':>7}  endpoints (cold)"
    )
    print(f"{'':<{width}}{'cold':>19}{'warm':>21}")
    for r in rows:
        hits: dict[str, int] = {}
        for e in r.endpoints:
            hits[_short(e)] = hits.get(_short(e), 0) + 1
        ends = ", ".join(e + (f" ×{n}" if n > 1 else "") for e, n in hits.items()) or "-"
        print(
            f"{r.name:<{width}}{r.calls[0]:>6}{r.trips[0]:>6}{r.wall_ms[0]:>7.0f}"
            f"{r.calls[1]:>8}{r.trips[1]:>6}{r.wall_ms[1]:>7.0f}  {ends}"
        )
        if r.failed:
            print(f"{'':<{width}}answered instead: {r.failed[:100]}")


if __name__ == "__main__":
    main()
