"""An exactly-once outbox in Redis for release announcements and deploy follow-ups.

- `enqueue_once(event, jobs)` marks an event seen and queues its jobs in one Lua script, so
  however many replicas poll at once, each event's jobs are queued once.
- Jobs wait in a sorted set scored by when they are due. `claim_due` moves a due job's score
  to `now + lease` atomically, so exactly one replica sends it; `done` removes it. A replica
  that dies mid-send leaves the job to be claimed again when the lease ends (never dropped).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.core.errors import StateUnavailable
from bot.core.store import Store

LEASE = 120.0
POSTED_TTL = 14 * 86400.0

_ENQUEUE = """
if redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1]) == 0 then return 0 end
for i = 3, #ARGV, 3 do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 2])
  redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i])
end
return 1
"""

_CLAIM = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) <= tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
  return redis.call('HGET', KEYS[2], ARGV[1]) or ''
end
return false
"""


@asynccontextmanager
async def guarded() -> AsyncIterator[None]:
    """Turn a Redis outage into StateUnavailable."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
        raise StateUnavailable("Dexter's state store (Redis) is unavailable") from exc


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    due: float
    payload: dict[str, Any]


class Outbox:
    """Seen events, due jobs and where each job's message was posted."""

    def __init__(self, store: Store, *, lease: float = LEASE) -> None:
        self.store = store
        self.lease = lease
        self.seen_key = store.key("release-watch", "seen")
        self.due_key = store.key("release-watch", "due")
        self.jobs_key = store.key("release-watch", "jobs")
        self._enqueue = store.redis.register_script(_ENQUEUE)
        self._claim = store.redis.register_script(_CLAIM)

    async def enqueue_once(self, event: str, jobs: Sequence[Job], *, now: float) -> bool:
        """Mark `event` seen and queue its jobs, atomically; False if it was seen before."""
        args: list[str | float] = [event, now]
        for job in jobs:
            args += [job.id, job.due, json.dumps(job.payload)]
        keys = [self.seen_key, self.due_key, self.jobs_key]
        async with guarded():
            return bool(await self._enqueue(keys=keys, args=args))

    async def seen(self, event: str) -> bool:
        """True when the event was handled before."""
        async with guarded():
            return await self.store.redis.zscore(self.seen_key, event) is not None

    async def claim_due(self, *, now: float, limit: int = 20) -> list[Job]:
        """Due jobs, earliest first, each leased to this caller alone."""
        async with guarded():
            ids = await self.store.redis.zrangebyscore(
                self.due_key, "-inf", now, start=0, num=limit
            )
        out: list[Job] = []
        for raw_id in ids:
            job_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
            async with guarded():
                got = await self._claim(
                    keys=[self.due_key, self.jobs_key], args=[job_id, now, now + self.lease]
                )
            if got is None:
                continue  # another replica claimed it first
            payload = json.loads(got) if got else {}
            out.append(Job(job_id, now, payload))
        return out

    async def done(self, job_id: str) -> None:
        """Forget a sent (or abandoned) job."""
        async with guarded():
            await self.store.redis.zrem(self.due_key, job_id)
            await self.store.redis.hdel(self.jobs_key, job_id)

    async def retry_at(self, job: Job, when: float) -> None:
        """Put a claimed job back, due at `when`, with its updated payload."""
        async with guarded():
            await self.store.redis.hset(self.jobs_key, job.id, json.dumps(job.payload))
            await self.store.redis.zadd(self.due_key, {job.id: when}, xx=True)

    async def pending(self, job_id: str) -> bool:
        """True while a job waits to be sent."""
        async with guarded():
            return await self.store.redis.zscore(self.due_key, job_id) is not None

    async def pending_count(self) -> int:
        """How many jobs wait (announcements and follow-ups)."""
        async with guarded():
            return int(await self.store.redis.zcard(self.due_key))

    async def record_post(self, job_id: str, channel: str, ts: str) -> None:
        """Remember where a job's message went (follow-ups reply in its thread)."""
        await self.store.set_json(
            self.store.key("release-watch", "posted", job_id),
            {"channel": channel, "ts": ts},
            ttl=POSTED_TTL,
        )

    async def posted(self, job_id: str) -> dict[str, str] | None:
        """Where a job's message went, if it was sent."""
        raw = await self.store.get_json(self.store.key("release-watch", "posted", job_id))
        return raw if isinstance(raw, dict) else None

    async def trim_seen(self, before: float) -> int:
        """Drop seen markers older than `before` (epoch seconds)."""
        async with guarded():
            return int(await self.store.redis.zremrangebyscore(self.seen_key, "-inf", before))
