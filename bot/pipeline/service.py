"""One process's part of the pipeline: its role, the queue, its worker, the job handlers.

    all     the front door and a worker in one process (`dexter run`, the default)
    web     the front door only: verify, ack, enqueue; serves health and metrics
    worker  a worker only: no Slack endpoint

Any number of web and worker processes share one Redis. Job kinds other than Slack's
(webhooks, digests, release notices) register a handler with `handle(kind, handler)` and
are enqueued with `enqueue(Job(kind=..., body=...))`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Literal

from redis.exceptions import RedisError

from bot.core.errors import StartupError
from bot.core.ledger import Ledger
from bot.core.settings import Settings
from bot.core.store import Store
from bot.pipeline.backpressure import Backpressure
from bot.pipeline.envelope import Job
from bot.pipeline.gauges import QueueGauges
from bot.pipeline.queue import JobQueue, redis_too_old
from bot.pipeline.worker import DeadHook, JobRunner, Worker

log = logging.getLogger(__name__)

Role = Literal["all", "web", "worker"]
ROLES: tuple[Role, ...] = ("all", "web", "worker")


class UnknownJobKind(Exception):
    """No handler is registered for a job's kind (in this worker's version)."""


class Pipeline:
    """The queue, this process's worker (roles `all` and `worker`) and the job handlers."""

    def __init__(self, settings: Settings, store: Store, role: Role = "all") -> None:
        self.settings = settings
        self.role = role
        self.queue = JobQueue(store)
        self.ledger = Ledger(store.redis, store.key("pipeline", "ledger"))
        self.backpressure = Backpressure(
            self.queue,
            budget=settings.busy_after,
            stale_after=max(15.0, settings.job_visibility * 2),
        )
        self.gauges = QueueGauges(self.queue, self.backpressure.stale_after)
        self.handlers: dict[str, JobRunner] = {}
        self.on_dead: DeadHook | None = None
        self.worker: Worker | None = None

    @property
    def works_here(self) -> bool:
        """This process runs jobs (roles `all` and `worker`)."""
        return self.role in ("all", "worker")

    @property
    def takes_requests(self) -> bool:
        """This process answers Slack (roles `all` and `web`)."""
        return self.role in ("all", "web")

    def handle(self, kind: str, handler: JobRunner) -> None:
        """Run jobs of `kind` with `handler` (it raises to fail the attempt)."""
        self.handlers[kind] = handler

    async def enqueue(self, job: Job) -> int:
        """Store a job; returns the queue depth counting it."""
        return await self.queue.enqueue(job)

    async def run(self, job: Job) -> None:
        """Run one job with the handler of its kind."""
        handler = self.handlers.get(job.kind)
        if handler is None:
            raise UnknownJobKind(job.kind)
        await handler(job)

    async def _dead(self, job: Job, why: str) -> None:
        if self.on_dead is not None:
            await self.on_dead(job, why)

    async def start(self) -> None:
        """Create the queue's group; in roles `all` and `worker`, start working.

        Redis being down is no reason not to start (the worker keeps trying); a Redis too
        old for the queue is (StartupError)."""
        try:
            too_old = await redis_too_old(self.queue.redis)
            await self.queue.ensure_group()
        except (RedisError, OSError) as exc:
            log.warning("the queue is not reachable yet (%s); will keep trying", exc)
        else:
            if too_old:
                raise StartupError(f"Redis {too_old}.")
        if not self.works_here or self.worker is not None:
            return
        s = self.settings
        self.worker = Worker(
            self.queue,
            self.ledger,
            self.run,
            on_dead=self._dead,
            concurrency=s.worker_concurrency,
            visibility=s.job_visibility,
            attempts=s.job_attempts,
            job_timeout=s.job_timeout,
        )
        await self.worker.start()

    async def stop(self, grace: float = 10.0) -> None:
        """Stop working; unfinished jobs stay in the queue for other workers."""
        if self.worker is not None:
            await self.worker.stop(grace)
            self.worker = None

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until no job is queued or running (for tests and orderly shutdowns)."""
        deadline = time.monotonic() + timeout
        while True:
            running = len(self.worker.running) if self.worker else 0
            if running == 0 and await self.queue.depth() == 0:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("jobs still queued or running")
            if self.worker is None:
                await asyncio.sleep(min(left, 0.05))
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.worker.wait_changed(), min(left, 0.5))
