"""Is the queue deeper than the workers can clear in time? Then a new command hears so.

Capacity comes from the workers' heartbeats (bot/pipeline/worker.py): each says how many
jobs it runs at once and how long its recent jobs took, so together they clear about
sum(concurrency / duration) jobs a second. A command with `ahead` jobs before it waits
about ahead / capacity seconds; beyond `budget` (by default Slack's response_url lifetime,
30 minutes) the front door answers at once that it is queued. With no live worker at all,
any queued job is behind an unknown wait, and the answer says so too.
"""

from __future__ import annotations

import contextlib
import logging
import time

from redis.exceptions import RedisError

from bot.pipeline.queue import JobQueue

log = logging.getLogger(__name__)

REFRESH = 2.0  # seconds a capacity estimate is reused (heartbeats come every few seconds)
MIN_DURATION = 0.01


class Backpressure:
    """Estimates the wait for a new job from the live workers' heartbeats."""

    def __init__(self, queue: JobQueue, *, budget: float, stale_after: float) -> None:
        self.queue = queue
        self.budget = budget
        self.stale_after = stale_after
        self._capacity = 0.0
        self._read_at = float("-inf")

    async def capacity(self) -> float:
        """Jobs per second all live workers clear together (cached for REFRESH seconds)."""
        now = time.monotonic()
        if now - self._read_at < REFRESH:
            return self._capacity
        self._read_at = now
        try:
            beats = await self.queue.workers()
        except (RedisError, OSError):
            return self._capacity
        wall = time.time()
        live = [b for b in beats.values() if wall - float(b.get("t", 0)) <= self.stale_after]
        self._capacity = sum(
            float(b.get("c", 1)) / max(MIN_DURATION, float(b.get("d", 1.0))) for b in live
        )
        gone = [k for k, b in beats.items() if wall - float(b.get("t", 0)) > 10 * self.stale_after]
        if gone:
            with contextlib.suppress(RedisError, OSError):
                await self.queue.forget_workers(gone)
        return self._capacity

    async def expected_wait(self, ahead: int) -> float:
        """Seconds until a job with `ahead` jobs before it starts (inf: no live worker)."""
        if ahead <= 0:
            return 0.0
        capacity = await self.capacity()
        return ahead / capacity if capacity > 0 else float("inf")

    async def too_deep(self, ahead: int) -> bool:
        """True when the job is not expected to start within the budget."""
        return await self.expected_wait(ahead) > self.budget

    def forget(self) -> None:
        """Read heartbeats again on the next call (tests, or after a worker joined)."""
        self._read_at = float("-inf")
