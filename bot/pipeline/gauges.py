"""The queue on `/metrics`: depth, oldest job's age, live workers, and per job kind the
attempts, failures, completions and dead letters of every worker (counted in Redis, so
any process's `/metrics` shows the whole deployment's)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis.exceptions import RedisError

from bot.pipeline.queue import JobQueue

log = logging.getLogger(__name__)

COUNTERS = {
    "attempts": "Job runs started (every attempt), by kind.",
    "failures": "Job attempts that failed (raised or timed out), by kind.",
    "done": "Jobs finished, by kind.",
    "dead": "Jobs given up after their last attempt (dead-lettered), by kind.",
}


class QueueGauges(Collector):
    """Read the queue at scrape time (`refresh`, async), report it in `collect`."""

    def __init__(self, queue: JobQueue, stale_after: float) -> None:
        self.queue = queue
        self.stale_after = stale_after
        self.depth = 0
        self.oldest = 0.0
        self.live = 0
        self.counts: dict[str, int] = {}
        self.ok = False

    async def refresh(self) -> None:
        """Read depth, age, heartbeats and counters from Redis (keeps the last on failure)."""
        try:
            self.depth = await self.queue.depth()
            self.oldest = await self.queue.oldest_age()
            beats = await self.queue.workers()
            self.counts = await self.queue.stats()
        except (RedisError, OSError) as exc:
            log.warning("cannot read the queue for /metrics (%s)", type(exc).__name__)
            self.ok = False
            return
        now = time.time()
        self.live = sum(1 for b in beats.values() if now - float(b.get("t", 0)) <= self.stale_after)
        self.ok = True

    def collect(self) -> Iterator[Metric]:
        """The queue's metrics as last read."""
        yield GaugeMetricFamily(
            "dexter_queue_depth", "Jobs not finished yet (waiting or running).", self.depth
        )
        yield GaugeMetricFamily(
            "dexter_queue_oldest_job_age_seconds",
            "Age of the oldest unfinished job.",
            self.oldest,
        )
        yield GaugeMetricFamily(
            "dexter_workers_live", "Workers with a recent heartbeat.", self.live
        )
        yield GaugeMetricFamily(
            "dexter_queue_readable", "1 when the last scrape could read the queue.", int(self.ok)
        )
        for what, doc in COUNTERS.items():
            family = CounterMetricFamily(f"dexter_jobs_{what}", doc, labels=["kind"])
            for key, value in sorted(self.counts.items()):
                name, _, kind = key.partition(":")
                if name == what:
                    family.add_metric([kind], value)
            yield family
