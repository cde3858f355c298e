"""Exactly one effect per job: what a run did, recorded in Redis, skipped when redelivered.

A job is delivered at least once; a worker that dies after changing Sentry but before
acking leaves the job to another worker, which runs it again from the start. Every effect
(a Sentry mutation, a Slack post, a response_url answer) goes through `once`: inside a job,
an effect the job already made is not made again, and its recorded result is returned
(the `ts` of a message, the issue Sentry answered). Outside jobs `once` just runs it.

The window that remains: a crash after the effect and before its record is written (one
Redis round trip) repeats that one effect on redelivery.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.core.current_job import current_run

log = logging.getLogger(__name__)
T = TypeVar("T")
LEDGER_TTL = 2 * 86400  # longer than any job lives (attempts x visibility timeout)
MAX_RESULT = 256 * 1024  # a bigger answer is recorded as done without its content


class Ledger:
    """Per job, a Redis hash of effect key -> recorded result (JSON)."""

    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    def key(self, job_id: str) -> str:
        """The hash holding one job's effects."""
        return f"{self.prefix}:{job_id}"

    async def get(self, job_id: str, effect: str) -> tuple[bool, Any]:
        """(True, result) when this effect was recorded for the job."""
        raw = await self.redis.hget(self.key(job_id), effect)
        if raw is None:
            return False, None
        return True, json.loads(raw)

    async def put(self, job_id: str, effect: str, result: Any) -> None:
        """Record an effect as done, with what the caller needs from it."""
        raw = json.dumps(result, default=str)
        if len(raw) > MAX_RESULT:
            raw = "null"
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(self.key(job_id), effect, raw)
        pipe.expire(self.key(job_id), LEDGER_TTL)
        await pipe.execute()


async def once(
    signature: str,
    effect: Callable[[], Awaitable[T]],
    *,
    encode: Callable[[T], Any],
    decode: Callable[[Any], T],
) -> T:
    """Make the effect unless this job made it in an earlier attempt (then its result)."""
    run = current_run.get()
    if run is None:
        return await effect()
    key = run.effect_key(signature)
    try:
        done, recorded = await run.recorder.get(run.job_id, key)
    except (RedisError, OSError):
        log.warning("job %s: ledger unavailable, making %s without it", run.job_id, key)
        return await effect()
    if done:
        run.skipped += 1
        log.info("job %s: %s was already done by an earlier attempt", run.job_id, key)
        return decode(recorded)
    result = await effect()
    try:
        await run.recorder.put(run.job_id, key, encode(result))
    except (RedisError, OSError):
        log.warning("job %s: could not record %s; a redelivery would repeat it", run.job_id, key)
    return result
