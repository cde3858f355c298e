"""Shared pieces of the pipeline tests: a second process's worker, and a worker's death."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis

from bot.app import create_app
from bot.core.settings import Settings
from bot.core.store import Store
from bot.deps import Deps, build_deps
from bot.pipeline.service import Pipeline, Role
from bot.pipeline.worker import Worker


async def _no_sleep(_: float) -> None:
    return None


@asynccontextmanager
async def other_process(
    settings: Settings, store: Store, embedded_redis: Any, role: Role = "worker"
) -> AsyncIterator[Deps]:
    """What another `dexter run --role <role>` would be: its own Redis connections,
    services and app; only Redis (and the mocked Sentry and Slack) are shared."""
    url = os.environ.get("REDIS_URL")
    client = (
        aioredis.Redis.from_url(url)
        if url
        else aioredis.Redis(unix_socket_path=embedded_redis.socket_file)
    )
    deps = await build_deps(settings, store=Store(client, prefix=store.prefix), sleep=_no_sleep)
    create_app(settings, deps, role=role)
    assert deps.pipeline is not None
    await deps.pipeline.start()
    try:
        yield deps
    finally:
        await deps.pipeline.stop(grace=5.0)
        await deps.sentry.aclose()
        await client.aclose()


def kill(worker: Worker) -> None:
    """What `kill -9` leaves behind: the worker's tasks end where they are; nothing is
    acknowledged or handed back, so its jobs stay pending under its name."""
    for task in [*worker._loops, *worker.running.values()]:
        task.cancel()


async def settled(worker: Worker) -> None:
    """Wait until a killed worker's tasks have ended."""
    tasks = [*worker._loops, *worker.running.values()]
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*tasks, return_exceptions=True)


def fresh_worker(pipeline: Pipeline, *, visibility: float = 0.1) -> Worker:
    """A new worker for the same jobs, taking over jobs idle for `visibility` seconds."""
    return Worker(
        pipeline.queue,
        pipeline.ledger,
        pipeline.run,
        on_dead=pipeline.on_dead or _nobody,
        concurrency=4,
        visibility=visibility,
        attempts=pipeline.settings.job_attempts,
        consumer="fresh",
    )


async def _nobody(_job: object, _why: str) -> None:
    return None
