"""Three bot processes on one Redis: Slack's retries of one event are handled exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
import respx

from bot.app import create_app
from bot.core.settings import Settings
from bot.core.store import Store
from bot.deps import build_deps
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver, serve_bot

Replicas = tuple[list[SlackDriver], list[str]]


@pytest.fixture
async def replicas(
    settings: Settings,
    store: Store,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    embedded_redis: Any,
) -> AsyncIterator[Replicas]:
    stores: list[Store] = []
    handled: list[str] = []
    drivers: list[SlackDriver] = []
    stack = contextlib.AsyncExitStack()
    session = await stack.enter_async_context(aiohttp.ClientSession())
    for _ in range(3):
        # each replica has its own connection pool, services and app; only Redis is shared
        url = os.environ.get("REDIS_URL")
        client = (
            aioredis.Redis.from_url(url)
            if url
            else aioredis.Redis(unix_socket_path=embedded_redis.socket_file)
        )
        own = Store(client, prefix=store.prefix)
        stores.append(own)
        deps = await build_deps(settings, store=own)
        app = create_app(settings, deps)

        @app.event("app_mention")
        async def on_mention(event: dict[str, Any]) -> None:
            handled.append(str(event.get("text")))

        drivers.append(await stack.enter_async_context(serve_bot(app, deps, slack, session)))
    yield drivers, handled
    await stack.aclose()
    for st in stores:
        await st.redis.aclose()


async def idle(drivers: list[SlackDriver]) -> None:
    """Every replica's jobs have finished: the queue is shared, each waits for its own worker."""
    for d in drivers:
        await d.idle()


MENTION = {"type": "app_mention", "user": "U1", "channel": "C1", "ts": "1.1", "text": "hi"}


async def test_retries_across_replicas_are_handled_once(replicas: Replicas) -> None:
    (one, two, three), handled = replicas
    first = await one.event(MENTION, event_id="EvRetry1")
    retry1 = await two.event(MENTION, event_id="EvRetry1", retry=1)
    retry2 = await three.event(MENTION, event_id="EvRetry1", retry=2)
    assert [r.status for r in (first, retry1, retry2)] == [200, 200, 200]
    await idle(replicas[0])
    assert handled == ["hi"]


async def test_simultaneous_deliveries_are_handled_once(replicas: Replicas) -> None:
    drivers, handled = replicas
    replies = await asyncio.gather(
        *(d.event(MENTION, event_id="EvRace", retry=n or None) for n, d in enumerate(drivers))
    )
    assert all(r.status == 200 for r in replies)
    await idle(replicas[0])
    assert handled == ["hi"]


async def test_different_events_are_all_handled(replicas: Replicas) -> None:
    drivers, handled = replicas
    for n, d in enumerate(drivers):
        await d.event(MENTION | {"text": f"m{n}"}, event_id=f"EvDistinct{n}")
    await idle(drivers)
    assert sorted(handled) == ["m0", "m1", "m2"]
