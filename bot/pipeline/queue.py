"""The job queue: one Redis stream read by one consumer group (at-least-once delivery).

    XADD jobs          the front door stores a job, then acks Slack
    XREADGROUP >       a worker takes new jobs (BLOCK: no polling while idle)
    XCLAIM JUSTID      a worker still running a job says so (resets its idle time)
    XAUTOCLAIM         a worker takes jobs idle longer than the visibility timeout: their
                       worker died. Redis counts every delivery: that is the attempt number.
    XACK + XDEL        done (one MULTI, so a finished job never lingers as pending)
    XADD dead          after the last attempt, the job goes to the dead-letter stream

Acked jobs are deleted, so the stream holds exactly the jobs not finished yet: XLEN is the
queue depth and the first entry is the oldest unfinished job.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from redis.exceptions import ResponseError

from bot.core.batching import TickBatcher
from bot.core.store import Store
from bot.pipeline.envelope import Job

log = logging.getLogger(__name__)

GROUP = "workers"
DEAD_MAX = 10_000  # dead letters kept (approximately); each is logged with its reference
MAX_BATCH = 500


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery of a stream entry; `job` is None when the entry cannot be read."""

    entry_id: str
    job: Job | None
    attempts: int


class JobQueue:
    """The jobs stream, its consumer group, the dead-letter stream and shared counters."""

    def __init__(self, store: Store) -> None:
        self.redis = store.redis
        self.stream = store.key("pipeline", "jobs")
        self.dead = store.key("pipeline", "dead")
        self.stats_key = store.key("pipeline", "stats")
        self.workers_key = store.key("pipeline", "workers")
        self._adder = TickBatcher(self._add, max_batch=MAX_BATCH)

    async def ensure_group(self) -> None:
        """Create the stream and its group (from the start: jobs added before it count)."""
        try:
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    # -- producing --------------------------------------------------------------------

    async def enqueue(self, job: Job) -> int:
        """Store a job durably; returns the queue depth counting it (so depth-1 are ahead).

        Jobs enqueued in the same loop tick share one pipeline: one round trip for a burst.
        """
        return await self._adder.submit(job.dumps())

    async def _add(self, batch: list[str]) -> list[int]:
        pipe = self.redis.pipeline(transaction=False)
        for raw in batch:
            pipe.xadd(self.stream, {"job": raw})
        pipe.xlen(self.stream)
        depth = int((await pipe.execute())[-1])
        return [depth - (len(batch) - 1 - n) for n in range(len(batch))]

    # -- consuming --------------------------------------------------------------------

    async def read(self, consumer: str, count: int, block_ms: int) -> list[Delivery]:
        """New jobs for this consumer, waiting up to block_ms for the first one."""
        try:
            reply = await self.redis.xreadgroup(
                GROUP, consumer, {self.stream: ">"}, count=count, block=block_ms
            )
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            await self.ensure_group()  # the stream was deleted under us: start again
            return []
        return [self._delivery(eid, fields, 1) for eid, fields in _entries(reply)]

    async def reclaim(self, consumer: str, min_idle_ms: int, count: int) -> list[Delivery]:
        """Jobs whose worker stopped confirming them for min_idle_ms, now this consumer's."""
        try:
            reply = await self.redis.xautoclaim(
                self.stream, GROUP, consumer, min_idle_time=min_idle_ms, start_id="0-0", count=count
            )
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            await self.ensure_group()
            return []
        entries = [(eid, fields) for eid, fields in reply[1] if eid is not None]
        if not entries:
            return []
        ids = [_text(eid) for eid, _ in entries]
        counts = await self._delivery_counts(ids)
        return [self._delivery(eid, fields, counts.get(_text(eid), 1)) for eid, fields in entries]

    async def _delivery_counts(self, ids: list[str]) -> dict[str, int]:
        pipe = self.redis.pipeline(transaction=False)
        for eid in ids:
            pipe.xpending_range(self.stream, GROUP, min=eid, max=eid, count=1)
        out: dict[str, int] = {}
        for rows in await pipe.execute():
            for row in rows:
                out[_text(row["message_id"])] = int(row["times_delivered"])
        return out

    def _delivery(self, entry_id: Any, fields: dict[Any, Any], attempts: int) -> Delivery:
        raw = fields.get(b"job", fields.get("job")) if fields else None
        job: Job | None = None
        if raw is not None:
            try:
                job = Job.loads(raw, attempts=attempts)
            except ValidationError:
                log.error("job %s cannot be read; dead-lettering it", _text(entry_id))
        return Delivery(_text(entry_id), job, attempts)

    async def touch(self, consumer: str, entry_ids: list[str]) -> None:
        """Still working on these: reset their idle time so no one reclaims them."""
        if entry_ids:
            ids: list[Any] = list(entry_ids)
            await self.redis.xclaim(
                self.stream, GROUP, consumer, min_idle_time=0, message_ids=ids, justid=True
            )

    async def retry_after(
        self, consumer: str, entry_id: str, delay: float, visibility: float
    ) -> None:
        """Make a failed job claimable again after `delay` seconds (not a full timeout)."""
        idle_ms = max(0, int((visibility - delay) * 1000))
        await self.redis.xclaim(
            self.stream,
            GROUP,
            consumer,
            min_idle_time=0,
            message_ids=[entry_id],
            idle=idle_ms,
            justid=True,
        )

    async def done(self, entry_id: str, job: Job, *, ledger: str | None = None) -> None:
        """Finished: acknowledge and delete it (and its ledger) in one transaction."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.xack(self.stream, GROUP, entry_id)
        pipe.xdel(self.stream, entry_id)
        pipe.hincrby(self.stats_key, f"done:{job.kind}", 1)
        if ledger:
            pipe.delete(ledger)
        await pipe.execute()

    async def bury(self, entry_id: str, job: Job | None, raw_reason: str) -> None:
        """Move a job to the dead-letter stream (and out of the queue) in one transaction."""
        record = {
            "job": job.dumps() if job else "",
            "id": job.id if job else entry_id,
            "reason": raw_reason[:500],
            "at": str(time.time()),
        }
        pipe = self.redis.pipeline(transaction=True)
        pipe.xadd(self.dead, record, maxlen=DEAD_MAX, approximate=True)  # type: ignore[arg-type]
        pipe.xack(self.stream, GROUP, entry_id)
        pipe.xdel(self.stream, entry_id)
        pipe.hincrby(self.stats_key, f"dead:{job.kind if job else 'unreadable'}", 1)
        await pipe.execute()

    async def count(self, what: str, kind: str) -> None:
        """Add one to a shared counter (`attempts`, `failures`) for a job kind."""
        await self.redis.hincrby(self.stats_key, f"{what}:{kind}", 1)

    # -- observing --------------------------------------------------------------------

    async def depth(self) -> int:
        """Jobs not finished yet (waiting or running)."""
        return int(await self.redis.xlen(self.stream))

    async def oldest_age(self) -> float:
        """Seconds since the oldest unfinished job was enqueued (Redis's clock), or 0."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.xrange(self.stream, "-", "+", count=1)
        pipe.time()
        first, (secs, micros) = await pipe.execute()
        if not first:
            return 0.0
        ms = int(_text(first[0][0]).split("-")[0])
        return max(0.0, float(secs) + float(micros) / 1e6 - ms / 1000)

    async def stats(self) -> dict[str, int]:
        """The shared counters, e.g. {"done:command": 12, "dead:action": 1}."""
        raw = await self.redis.hgetall(self.stats_key)
        return {_text(k): int(v) for k, v in raw.items()}

    async def beat(self, consumer: str, info: dict[str, float]) -> None:
        """A worker's heartbeat: its concurrency and recent job durations."""
        await self.redis.hset(self.workers_key, consumer, json.dumps(info))

    async def leave(self, consumer: str) -> None:
        """A worker stops: it no longer counts towards capacity."""
        await self.redis.hdel(self.workers_key, consumer)

    async def workers(self) -> dict[str, dict[str, float]]:
        """Every heartbeat on record (stale ones included; the reader judges by `t`)."""
        raw = await self.redis.hgetall(self.workers_key)
        out: dict[str, dict[str, float]] = {}
        for k, v in raw.items():
            try:
                out[_text(k)] = json.loads(v)
            except ValueError:
                continue
        return out

    async def forget_workers(self, consumers: list[str]) -> None:
        """Drop heartbeats of workers long gone."""
        if consumers:
            await self.redis.hdel(self.workers_key, *consumers)


MIN_REDIS = (6, 2)  # XAUTOCLAIM


async def redis_too_old(redis: Any) -> str | None:
    """Why this Redis cannot hold the job queue (older than 6.2), or None."""
    info = await redis.info("server")
    version = str(info.get("redis_version") or "0")
    parts = tuple(int(p) if p.isdigit() else 0 for p in version.split(".")[:2])
    if parts < MIN_REDIS:
        return f"version {version} is too old for the job queue; Dexter needs Redis 6.2 or newer"
    return None


def _entries(reply: Any) -> list[tuple[Any, Any]]:
    """The entries of a one-stream XREADGROUP reply (RESP2 list or RESP3 map)."""
    if not reply:
        return []
    if isinstance(reply, dict):
        return list(next(iter(reply.values()))[0])
    return list(reply[0][1])


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
