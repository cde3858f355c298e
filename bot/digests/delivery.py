"""Delivering one digest: build, post, retry, record the outcome, handle a channel that is gone.

The scheduler (bot/digests/scheduler.py) decides when a digest is due and which replica sends
it (claims and leases); this module does the sending once a replica holds the claim.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from bot.core import errors, mrkdwn
from bot.core.metrics import Metrics, digest_run
from bot.digests import messages as msg
from bot.digests.dashboard import DigestService
from bot.digests.schedule import latest_fire, next_fire, previous_fire
from bot.digests.sender import ChannelGone, DigestSender, slack_date
from bot.digests.subscriptions import DeliveryState, DigestStore, Subscription, epoch
from bot.slack.render import BlockKitError

log = logging.getLogger(__name__)

MAX_PERIOD = timedelta(days=14)
PERMANENT = (
    errors.UserError,
    errors.SentryNotFound,
    errors.SentryForbidden,
    errors.SentryUnauthorized,
    errors.SentryBadRequest,
    BlockKitError,
)


def period_start(sub: Subscription, state: DeliveryState, end: datetime) -> datetime:
    """Since the last digest, or the schedule's own period before `end` (at most 14 days)."""
    if state.period_end is not None and state.period_end < end:
        start = state.period_end
    elif _on_schedule(sub, end):
        start = previous_fire(sub.schedule, end)
    else:
        start = end - sub.schedule.nominal_period()
    return max(start, end - MAX_PERIOD)


def _on_schedule(sub: Subscription, when: datetime) -> bool:
    return latest_fire(sub.schedule, when) == when


class DigestDelivery:
    """Sends digests for one scheduler; shares its counters and its Redis gate."""

    def __init__(
        self,
        *,
        store: DigestStore,
        service: DigestService,
        sender: DigestSender,
        stats: Counter[str],
        redis: asyncio.Semaphore,
        now: Callable[[], datetime],
        stopping: Callable[[], bool],
        on_disabled: Callable[[], Awaitable[None]],
        retry_delays: Sequence[float] = (30.0, 120.0, 600.0),
        build_slots: int = 6,
        chart: bool = True,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.service = service
        self.sender = sender
        self.stats = stats
        self.now = now
        self.stopping = stopping  # the scheduler is stopping: build and post nothing more
        self.on_disabled = on_disabled  # subscriptions were disabled: reschedule
        self.retry_delays = tuple(retry_delays)
        self.chart = chart
        self.metrics = metrics
        # Multi-workspace: runs each digest as its workspace (bot/slack/tenancy.py); a no-op
        # default.
        self.tenant: Callable[[str], AbstractAsyncContextManager[None]] = _as_is
        self._slots = asyncio.Semaphore(build_slots)
        self._redis = redis
        self.posting: set[tuple[str, str]] = set()  # past the point where stop() cancels

    def measure(self, outcome: str, due: datetime) -> None:
        """Count a run and its lateness in the app's metrics (`dexter_digest_*`)."""
        if self.metrics is not None:
            lag = (self.now() - due).total_seconds()
            digest_run(self.metrics, outcome=outcome, lag_seconds=lag)

    def _check_running(self) -> None:
        if self.stopping():
            raise asyncio.CancelledError("digest scheduler stopping")

    async def deliver(self, sub: Subscription, scheduled: datetime, state: DeliveryState) -> None:
        """Build and post the digest due at `scheduled`, retrying; record what happened."""
        start = period_start(sub, state, scheduled)
        key = (sub.id, epoch(scheduled))
        # Charts are best effort: Slack takes ~100 uploads a minute, so in a burst only the
        # first digests queue one and the rest go out (on time) without it.
        chart = self.chart and self.sender.reserve_chart()
        try:
            async with self.tenant(sub.team_id):
                await self._attempts(sub, scheduled, start, key, chart)
        finally:
            if chart:
                self.sender.release_chart()

    async def _attempts(
        self, sub: Subscription, scheduled: datetime, start: datetime, key: Any, chart: bool
    ) -> None:
        attempts = 0
        why = ""
        while True:
            attempts += 1
            try:
                async with self._slots:
                    self._check_running()
                    dash = await self.service.build(
                        sub.target, start, scheduled, team_id=sub.team_id, chart=chart
                    )
                self._check_running()
                self.posting.add(key)  # from here on, stop() lets this digest finish
                ts = await self.sender.post(
                    sub.channel_id,
                    dash,
                    schedule=sub.schedule.describe(),
                    sub_id=sub.id,
                    scheduled=scheduled,
                )
            except ChannelGone as exc:
                async with self._redis:
                    await self.store.mark_done(sub.id, scheduled)
                    await self.store.record(
                        sub.id, scheduled=scheduled, status="failed", error=exc.error
                    )
                await self.channel_gone(sub.team_id, sub.channel_id, exc.error)
                return
            except Exception as exc:
                self.posting.discard(key)
                why = _describe(exc)
                permanent = isinstance(exc, PERMANENT)
                if permanent or attempts > len(self.retry_delays):
                    break
                delay = self.retry_delays[attempts - 1]
                self.stats["retried"] += 1
                log.info(
                    "digest %s attempt %d failed (%s), retrying in %.0fs",
                    sub.id,
                    attempts,
                    why,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            async with self._redis:
                await self.store.mark_done(sub.id, scheduled)
                await self.store.record(
                    sub.id, scheduled=scheduled, status="sent", period_end=scheduled
                )
            self.stats["sent"] += 1
            self.measure("ok", scheduled)
            log.info("digest %s sent to %s for %s", sub.id, sub.channel_id, scheduled.isoformat())
            await self.sender.upload_chart(sub.channel_id, ts, dash)
            return
        self.stats["failed"] += 1
        self.measure("failed", scheduled)
        async with self._redis:
            await self.store.mark_done(sub.id, scheduled)
            await self.store.record(sub.id, scheduled=scheduled, status="failed", error=why)
        log.warning("digest %s failed after %d attempts: %s", sub.id, attempts, why)
        await self.sender.dm(
            sub.owner_id,
            mrkdwn.format(
                msg.DIGEST_FAILED,
                id=sub.id,
                target=sub.target.describe(),
                channel=sub.channel_id,
                when=slack_date(scheduled),
                attempts=attempts,
                why=why,
                next=slack_date(next_fire(sub.schedule, scheduled)),
            ),
        )

    async def channel_gone(self, team_id: str, channel_id: str, error: str) -> list[Subscription]:
        """Disable a dead channel's subscriptions and tell each owner."""
        why = msg.GONE_REASONS.get(error, error)
        disabled = await self.store.disable_channel(team_id, channel_id, why)
        self.stats["disabled"] += len(disabled)
        log.warning(
            "channel %s is gone (%s): disabled %d digests", channel_id, error, len(disabled)
        )
        for sub in disabled:
            await self.sender.dm(
                sub.owner_id,
                mrkdwn.format(
                    msg.DISABLED_CHANNEL_GONE,
                    id=sub.id,
                    target=sub.target.describe(),
                    channel=channel_id,
                    why=why,
                ),
            )
        await self.on_disabled()
        return disabled

    async def send_now(self, sub: Subscription) -> str:
        """Post a subscription's digest now (covering the time since the last one)."""
        now = self.now()
        state = await self.store.state(sub.id)
        start = period_start(sub, state, now)
        dash = await self.service.build(
            sub.target, start, now, team_id=sub.team_id, chart=self.chart
        )
        try:
            ts = await self.sender.post(
                sub.channel_id, dash, schedule=sub.schedule.describe(), sub_id=sub.id
            )
        except ChannelGone as exc:
            await self.channel_gone(sub.team_id, sub.channel_id, exc.error)
            raise
        await self.store.record(sub.id, scheduled=None, status="sent", period_end=now)
        await self.sender.upload_chart(sub.channel_id, ts, dash)
        return ts


def _describe(exc: BaseException) -> str:
    if isinstance(exc, errors.UserError):
        return exc.message
    if isinstance(exc, errors.SentryError):
        return f"Sentry: {exc.message}"
    return type(exc).__name__ + (f": {exc}" if str(exc) else "")


@asynccontextmanager
async def _as_is(team_id: str) -> AsyncIterator[None]:
    yield
