"""Digest scheduling across replicas.

Every replica runs an APScheduler `AsyncIOScheduler` with an in-memory job store holding
one job per enabled subscription. A fire claims `(subscription, scheduled time)` in Redis
(a renewed lease plus a `done` marker checked after claiming), so exactly one replica sends
each digest; sending it (build, post, retries) is bot/digests/delivery.py. A periodic tick
(`resync_every`) reloads subscriptions when their version changed and runs the catch-up:
the latest due fire of each subscription that nobody handled is sent if it is within the
grace window, otherwise recorded as skipped. That covers a start-up after downtime and a
replica that died mid-send (its lease runs out).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from bot.core import clock as app_clock
from bot.core.metrics import Metrics
from bot.core.timer import TimerJobs
from bot.digests.dashboard import DigestService
from bot.digests.delivery import DigestDelivery
from bot.digests.schedule import Schedule, latest_fire, next_fire
from bot.digests.sender import DigestSender
from bot.digests.subscriptions import Claim, DeliveryState, DigestStore, Subscription, epoch

log = logging.getLogger(__name__)

TICK_JOB = "digest-tick"  # its per-digest jobs are `digest:<subscription>:…`

DEFAULT_GRACE = 3600.0


class DigestTrigger(BaseTrigger):  # type: ignore[misc]
    """APScheduler trigger following a Schedule (DST-aware), optionally on a shifted clock."""

    __slots__ = ("schedule", "shift")

    def __init__(self, schedule: Schedule, shift: timedelta = timedelta(0)) -> None:
        self.schedule = schedule
        self.shift = shift

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The next fire after the previous one (or from now on)."""
        base = previous_fire_time or (now - timedelta(microseconds=1))
        return next_fire(self.schedule, base + self.shift) - self.shift

    def __str__(self) -> str:
        return f"digest[{self.schedule.describe()}]"


class DigestScheduler:
    """Schedules, claims and catches up digests on one replica; `delivery` sends them."""

    def __init__(
        self,
        *,
        store: DigestStore,
        service: DigestService,
        sender: DigestSender,
        grace: float = DEFAULT_GRACE,
        resync_every: float = 20.0,
        lease: float = 120.0,
        retry_delays: Sequence[float] = (30.0, 120.0, 600.0),
        build_slots: int = 6,
        redis_slots: int = 16,
        chart: bool = True,
        time_shift: timedelta = timedelta(0),
        name: str = "",
        timer: AsyncIOScheduler | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics  # the app's: runs and lateness (`dexter_digest_*`)
        self.store = store
        self.grace = grace
        self.resync_every = resync_every
        self.lease = lease
        self.time_shift = time_shift  # tests and the benchmark run on a shifted clock
        self.name = name
        self.stats: Counter[str] = Counter()  # sent, failed, skipped, retried, … (ops hooks)
        # Redis' client pool is shared with the handlers and refuses to grow past its
        # limit: hundreds of digests firing together go through this gate.
        self._redis = asyncio.Semaphore(redis_slots)
        self.delivery = DigestDelivery(
            store=store,
            service=service,
            sender=sender,
            stats=self.stats,
            redis=self._redis,
            now=self.now,
            stopping=lambda: self._stopping,
            on_disabled=self.resync,
            retry_delays=retry_delays,
            build_slots=build_slots,
            chart=chart,
            metrics=metrics,
        )
        self._posting = self.delivery.posting
        self._held: set[Claim] = set()
        # Set by stop(). Cancelling a task is not enough on its own: a cancellation that lands
        # inside a Redis call can be turned into a timeout and retried by the client, and the
        # digest would go on. Every step checks this before it builds or posts.
        self._stopping = False
        self.stop_timeout = 15.0
        self._renewer: asyncio.Task[None] | None = None
        # the process's one timer (bot/services.py), or, built alone, a timer of its own
        self._timer_jobs = TimerJobs(timer, lambda id: id == TICK_JOB or id.startswith("digest:"))
        self._scheduler: AsyncIOScheduler | None = None
        self._subs: dict[str, Subscription] = {}
        self._version = -1
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}

    @property
    def tenant(self) -> Callable[[str], AbstractAsyncContextManager[None]]:
        """Runs each digest as its workspace (bot/slack/tenancy.py); set by the feature."""
        return self.delivery.tenant

    @tenant.setter
    def tenant(self, value: Callable[[str], AbstractAsyncContextManager[None]]) -> None:
        self.delivery.tenant = value

    async def channel_gone(self, team_id: str, channel_id: str, error: str) -> list[Subscription]:
        """Disable a dead channel's subscriptions and tell each owner."""
        return await self.delivery.channel_gone(team_id, channel_id, error)

    async def send_now(self, sub: Subscription) -> str:
        """Post a subscription's digest now (covering the time since the last one)."""
        return await self.delivery.send_now(sub)

    def now(self) -> datetime:
        """The current time (UTC) on this scheduler's clock."""
        return app_clock.now() + self.time_shift

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    async def start(self) -> None:
        """Load subscriptions, schedule them, catch up missed digests, start the tick."""
        if self._scheduler is not None:
            return
        self._stopping = False
        self._scheduler = self._timer_jobs.take()
        self._renewer = asyncio.create_task(self._renew_claims())
        await self.resync(force=True)
        self._scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.resync_every,
            id=TICK_JOB,
            max_instances=1,
            coalesce=True,
        )
        await self.catch_up()
        log.info("digest scheduler %s started with %d subscriptions", self.name, len(self._subs))

    async def stop(self) -> None:
        """Stop scheduling and cancel digests in flight (their claims are released)."""
        self._stopping = True
        self._timer_jobs.give_back()
        self._scheduler = None
        # Cancelling a digest that is already posting could lose its `done` marker and let
        # another replica post it again: let those finish (bounded), cancel the rest.
        posting = [t for k, t in self._tasks.items() if k in self._posting]
        for key, task in self._tasks.items():
            if key not in self._posting:
                task.cancel()
        if posting:
            _done, pending = await asyncio.wait(posting, timeout=self.stop_timeout)
            for task in pending:
                log.warning("digest %s still posting at shutdown; cancelled", task.get_name())
                task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()
        # Only now: the digests that were posting kept their leases renewed until done.
        if self._renewer is not None:
            self._renewer.cancel()
            self._renewer = None

    async def drain(self) -> None:
        """Wait for the digests in flight on this replica (tests, benchmark)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def tick(self) -> None:
        """Resync subscriptions and catch up; never raises (it runs on a timer)."""
        try:
            await self.resync()
            await self.catch_up()
        except Exception as exc:
            log.warning("digest tick failed: %s", exc)

    async def resync(self, *, force: bool = False) -> None:
        """Reload subscriptions from Redis when they changed; add and remove jobs."""
        version = await self.store.version()
        if not force and version == self._version:
            return
        wanted = {s.id: s for s in await self.store.all() if s.enabled}
        self._version = version
        scheduler = self._scheduler
        if scheduler is not None:
            for sub_id, old in list(self._subs.items()):
                new = wanted.get(sub_id)
                changed = new is None or new.schedule != old.schedule
                if changed and scheduler.get_job(f"digest:{sub_id}"):
                    scheduler.remove_job(f"digest:{sub_id}")
            for sub_id, sub in wanted.items():
                if scheduler.get_job(f"digest:{sub_id}") is None:
                    scheduler.add_job(
                        self._fire,
                        DigestTrigger(sub.schedule, self.time_shift),
                        args=[sub_id],
                        id=f"digest:{sub_id}",
                        misfire_grace_time=max(1, int(self.grace)),
                        coalesce=True,
                        max_instances=1,
                    )
        self._subs = wanted

    async def _fire(self, sub_id: str) -> None:
        # Runs as an APScheduler job: hand the work to our own task and return at once.
        sub = self._subs.get(sub_id)
        if sub is not None:
            self.spawn(sub, latest_fire(sub.schedule, self.now() + timedelta(seconds=2)))

    async def catch_up(self) -> None:
        """Send the latest due fire nobody handled within the grace window; skip older ones."""
        if not self._subs:
            return
        states = await self.store.states()
        now = self.now()
        for sub in list(self._subs.values()):
            due = latest_fire(sub.schedule, now)
            if due <= sub.created_at:
                continue
            state = states.get(sub.id, DeliveryState())
            if state.last_fire is not None and state.last_fire >= due:
                continue
            if (now - due).total_seconds() > self.grace:
                await self._skip(sub, due, now)
            else:
                self.spawn(sub, due)

    def spawn(self, sub: Subscription, scheduled: datetime) -> None:
        """Run one fire in its own task unless this replica already runs it."""
        key = (sub.id, epoch(scheduled))
        if key in self._tasks or self._stopping:
            return
        task = asyncio.create_task(self._run(sub, scheduled), name=f"digest {sub.id}@{key[1]}")
        self._tasks[key] = task
        task.add_done_callback(lambda _t: self._forget(key))

    def _forget(self, key: tuple[str, str]) -> None:
        self._tasks.pop(key, None)
        self._posting.discard(key)

    async def _skip(self, sub: Subscription, due: datetime, now: datetime) -> None:
        await self.store.record(sub.id, scheduled=due, status="skipped")
        if await self.store.store.first_time(
            self.store.store.key("digest", "skiplog", sub.id, epoch(due)), ttl=8 * 86400
        ):
            self.stats["skipped"] += 1
            self.delivery.measure("skipped", due)
            log.warning(
                "digest %s for %s was due %s, %.0f min ago (beyond the %.0f min grace): skipped",
                sub.id,
                sub.channel_id,
                due.isoformat(),
                (now - due).total_seconds() / 60,
                self.grace / 60,
            )

    async def _run(self, sub: Subscription, scheduled: datetime) -> None:
        claim: Claim | None = None
        try:
            async with self._redis:
                if await self.store.is_done(sub.id, scheduled):
                    return
                claim = await self.store.try_claim(sub.id, scheduled, lease=self.lease)
                if claim is None:
                    self.stats["claimed_elsewhere"] += 1
                    return
                self.stats["claimed"] += 1
                # Another replica may have finished between our check and our claim.
                state = await self.store.state(sub.id)
                if await self.store.is_done(sub.id, scheduled) or (
                    state.last_fire is not None and state.last_fire >= scheduled
                ):
                    return
            self._held.add(claim)
            self._check_running()
            await self.delivery.deliver(sub, scheduled, state)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Redis down and the like: catch-up retries later
            log.warning("digest %s run failed: %s", sub.id, exc)
        finally:
            if claim is not None:
                self._held.discard(claim)
                async with self._redis:
                    await claim.release()

    def _check_running(self) -> None:
        if self._stopping:
            raise asyncio.CancelledError("digest scheduler stopping")

    async def _renew_claims(self) -> None:
        # One loop renews every lease this replica holds (one Redis call at a time).
        while True:
            await asyncio.sleep(self.lease / 3)
            for claim in list(self._held):
                async with self._redis:
                    if claim in self._held and not await claim.renew():
                        log.warning("a digest lease could not be renewed")

    def scheduled_ids(self) -> set[str]:
        """Subscription ids with a job on this replica."""
        if self._scheduler is None:
            return set()
        return {
            j.id.removeprefix("digest:")
            for j in self._scheduler.get_jobs()
            if j.id.startswith("digest:")
        }

    def describe_state(self) -> dict[str, Any]:
        """Counters and sizes for logs and the ops features."""
        return {"subscriptions": len(self._subs), "in_flight": len(self._tasks), **self.stats}
