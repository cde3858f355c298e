"""A worker: takes jobs from the queue and runs them, up to `concurrency` at a time.

New jobs arrive through a blocking read (XREADGROUP BLOCK), so an idle worker costs
nothing and a new job starts at once. Two timers do the bookkeeping a crash needs:
every `visibility / 3` the worker confirms the jobs it is running (so a slow job is never
taken from a live worker) and publishes its heartbeat; every second (or `visibility / 2`
if shorter) it takes over jobs whose worker stopped confirming them (it died), or whose
retry delay has passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable

from redis.exceptions import RedisError

from bot.core.current_job import Run, current_run
from bot.core.ledger import Ledger
from bot.core.logs import bind_correlation_id
from bot.pipeline.envelope import Job
from bot.pipeline.queue import Delivery, JobQueue

log = logging.getLogger(__name__)

JobRunner = Callable[[Job], Awaitable[None]]
DeadHook = Callable[[Job, str], Awaitable[None]]
RETRY_BASE = 2.0  # seconds before the 2nd attempt; doubles after each failure
DEFAULT_DURATION = 1.0  # assumed job duration before any job finished
EMA = 0.2  # weight of the newest job in the moving average of durations
LOOPS = "dexter-worker-"  # name prefix of a worker's long-lived tasks
RECLAIM_EVERY = 1.0  # seconds between looks for jobs to take over (dead worker, retry due)


def consumer_name() -> str:
    """Unique per process: host, pid and a random suffix (pids repeat across machines)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Worker:
    """Runs jobs from `queue` with `run`; at most `attempts` deliveries each."""

    def __init__(
        self,
        queue: JobQueue,
        ledger: Ledger,
        run: JobRunner,
        *,
        on_dead: DeadHook,
        concurrency: int = 50,
        visibility: float = 30.0,
        attempts: int = 3,
        job_timeout: float = 600.0,
        block: float = 2.0,
        consumer: str | None = None,
    ) -> None:
        self.queue = queue
        self.ledger = ledger
        self.run = run
        self.on_dead = on_dead
        self.concurrency = concurrency
        self.visibility = visibility
        self.attempts = attempts
        self.job_timeout = job_timeout
        self.block_ms = max(1, int(block * 1000))
        self.consumer = consumer or consumer_name()
        self.avg_duration: float | None = None
        self.finished = 0
        self.running: dict[str, asyncio.Task[None]] = {}
        self._slot = asyncio.Event()
        self._changed = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []
        self._stopping = False

    # -- life cycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Join the consumer group and start reading, confirming and reclaiming."""
        try:
            await self.queue.ensure_group()
            await self._beat()
        except (RedisError, OSError) as exc:  # the loops keep trying
            log.warning("worker starts without Redis (%s)", type(exc).__name__)
        for name, loop in (("read", self._read_loop), ("keep", self._keep_loop)):
            task = asyncio.create_task(loop(), name=f"{LOOPS}{name}")
            self._loops.append(task)
        log.info(
            "worker %s started (concurrency %d, visibility %.0fs, %d attempts)",
            self.consumer,
            self.concurrency,
            self.visibility,
            self.attempts,
        )

    async def stop(self, grace: float = 10.0) -> None:
        """Stop taking jobs; let running ones finish for `grace` seconds, then leave them
        pending: another worker (or this one's successor) takes them over."""
        self._stopping = True
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loops.clear()
        if self.running:
            _, late = await asyncio.wait(list(self.running.values()), timeout=grace)
            for task in late:
                task.cancel()
            if late:
                log.warning("left %d unfinished jobs to other workers", len(late))
                await asyncio.wait(late, timeout=1.0)
        with contextlib.suppress(RedisError, OSError):
            await self.queue.leave(self.consumer)

    @property
    def free(self) -> int:
        """Job slots not in use."""
        return max(0, self.concurrency - len(self.running))

    # -- loops ------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        failures = 0
        while not self._stopping:
            if self.free == 0:
                self._slot.clear()
                await self._slot.wait()
                continue
            try:
                deliveries = await self.queue.read(self.consumer, self.free, self.block_ms)
                failures = 0
            except (RedisError, OSError) as exc:
                failures += 1
                log.warning("worker cannot read jobs (%s); retrying", type(exc).__name__)
                await asyncio.sleep(min(5.0, 0.2 * 2**failures))
                continue
            for delivery in deliveries:
                self._start(delivery)

    async def _keep_loop(self) -> None:
        """Confirm running jobs and beat every visibility/3; reclaim every
        min(visibility/2, RECLAIM_EVERY) (a retry is due after seconds, not a timeout)."""
        keep_every = max(0.02, self.visibility / 3)
        reclaim_every = max(0.02, min(self.visibility / 2, RECLAIM_EVERY))
        loop = asyncio.get_running_loop()
        next_keep = next_reclaim = loop.time()
        while not self._stopping:
            await asyncio.sleep(max(0.0, min(next_keep, next_reclaim) - loop.time()))
            now = loop.time()
            try:
                if now >= next_keep:
                    next_keep = now + keep_every
                    await self.queue.touch(self.consumer, list(self.running))
                    await self._beat()
                if now >= next_reclaim:
                    next_reclaim = now + reclaim_every
                    if self.free:
                        await self._reclaim()
            except (RedisError, OSError) as exc:
                log.warning("worker bookkeeping failed (%s); retrying", type(exc).__name__)

    async def _reclaim(self) -> None:
        idle_ms = int(self.visibility * 1000)
        for delivery in await self.queue.reclaim(self.consumer, idle_ms, self.free):
            log.info("took over job entry %s (attempt %d)", delivery.entry_id, delivery.attempts)
            self._start(delivery)

    async def _beat(self) -> None:
        await self.queue.beat(
            self.consumer,
            {
                "c": self.concurrency,
                "t": time.time(),
                "d": self.avg_duration or DEFAULT_DURATION,
                "n": len(self.running),
            },
        )

    # -- one job ----------------------------------------------------------------------

    def _start(self, delivery: Delivery) -> None:
        if delivery.entry_id in self.running:
            return  # reclaimed while this worker still runs it (it was too slow to confirm)
        task = asyncio.create_task(self._work(delivery), name=f"dexter-job-{delivery.entry_id}")
        self.running[delivery.entry_id] = task
        task.add_done_callback(lambda _: self._finished(delivery.entry_id))

    def _finished(self, entry_id: str) -> None:
        self.running.pop(entry_id, None)
        self.finished += 1
        self._slot.set()
        self._changed.set()

    async def _work(self, d: Delivery) -> None:
        job = d.job
        if job is None:
            await self._settle(self.queue.bury(d.entry_id, None, "unreadable job"))
            return
        bind_correlation_id(job.id)
        run = Run(job.id, self.ledger, attempt=d.attempts)
        token = current_run.set(run)
        try:
            if d.attempts > self.attempts:  # its workers kept dying mid-run
                await self._dead(d, job, f"its worker stopped {d.attempts - 1} times")
                return
            await self._settle(self.queue.count("attempts", job.kind))
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.job_timeout):
                    await self.run(job)
            except Exception as exc:
                await self._failed(d, job, exc)
                return
            self._timed(time.monotonic() - started)
            await self._settle(self.queue.done(d.entry_id, job, ledger=self.ledger.key(job.id)))
            log.debug("job %s (%s %s) done in attempt %d", job.id, job.kind, job.name, d.attempts)
        finally:
            current_run.reset(token)

    async def _failed(self, d: Delivery, job: Job, exc: Exception) -> None:
        why = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
        log.warning(
            "job %s (%s %s) failed in attempt %d of %d: %s",
            job.id,
            job.kind,
            job.name,
            d.attempts,
            self.attempts,
            why,
            exc_info=not isinstance(exc, TimeoutError),
        )
        await self._settle(self.queue.count("failures", job.kind))
        if d.attempts >= self.attempts:
            await self._dead(d, job, why)
            return
        delay = RETRY_BASE * 2 ** (d.attempts - 1)
        await self._settle(
            self.queue.retry_after(self.consumer, d.entry_id, delay, self.visibility)
        )

    async def _dead(self, d: Delivery, job: Job, why: str) -> None:
        log.error("job %s (%s %s) dead-lettered: %s", job.id, job.kind, job.name, why)
        # the notice is an effect of its own, counted apart from the job's (which may have
        # answered through the same response_url), so a redelivery sends it exactly once
        token = current_run.set(Run(f"{job.id}:dead", self.ledger, attempt=d.attempts))
        try:
            await self.on_dead(job, why)
        except Exception:
            log.exception("could not tell the user about dead job %s", job.id)
        finally:
            current_run.reset(token)
        await self._settle(self.queue.bury(d.entry_id, job, why))

    async def _settle(self, op: Awaitable[object]) -> None:
        """Queue bookkeeping; when Redis fails here the job stays pending and is redone
        (its effects are in the ledger), so log and go on."""
        try:
            await op
        except (RedisError, OSError) as exc:
            log.warning("queue bookkeeping failed (%s)", type(exc).__name__)

    def _timed(self, seconds: float) -> None:
        prev = self.avg_duration
        self.avg_duration = seconds if prev is None else prev + EMA * (seconds - prev)

    async def wait_changed(self) -> None:
        """Return when a job finished (for `Pipeline.idle`)."""
        self._changed.clear()
        await self._changed.wait()
