"""Send the outbox's due jobs: release and deploy announcements, and deploy follow-ups."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import clock
from bot.core.errors import DexterError
from bot.releases.models import Deploy, Release
from bot.releases.outbox import Job, Outbox
from bot.releases.report import ReleaseReports
from bot.releases.subscriptions import ReleaseSubscription, SubscriptionStore
from bot.slack.channel_gone import CHANNEL_GONE, WORKSPACE_GONE
from bot.slack.render import fallback_text

if TYPE_CHECKING:
    from bot.releases.sentry_api import ReleaseService
    from bot.slack.render import Renderer
    from bot.slack.tenancy import Tenancy

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
THREAD_WAIT = 60.0  # a follow-up waits this long for its deploy announcement to be posted
DELIVERY_BUDGET = 40.0  # seconds of sending per tick; the rest waits for the next tick
GONE = CHANNEL_GONE | WORKSPACE_GONE


class Notifier:
    """Claims due jobs from the outbox and posts them; one replica sends each job."""

    def __init__(
        self,
        client: AsyncWebClient,
        outbox: Outbox,
        *,
        subs: SubscriptionStore,
        releases: ReleaseService,
        reports: ReleaseReports,
        renderer: Renderer,
        tenancy: Tenancy,
        team_of: Callable[[ReleaseSubscription], str] = lambda sub: sub.team_id,
    ) -> None:
        self.client = client  # without a token of its own: the workspace's (multi-workspace)
        self.outbox = outbox
        self.subs = subs
        self.releases = releases  # the release's link in Sentry
        self.reports = reports  # a follow-up's issues and health
        self.renderer = renderer
        self.tenancy = tenancy
        self.team_of = team_of

    async def deliver(self, now: datetime, *, budget: float = DELIVERY_BUDGET) -> int:
        """Send due jobs, batch after batch, for at most `budget` seconds; returns posts made."""
        sent = 0
        deadline = time.monotonic() + budget
        while time.monotonic() < deadline:
            batch = await self.outbox.claim_due(now=now.timestamp())
            if not batch:
                break
            sent += await self._send_batch(batch, now)
        return sent

    async def _send_batch(self, batch: list[Job], now: datetime) -> int:
        sent = 0
        for job in batch:
            try:
                sent += await self._send(job, now)
            except SlackApiError as exc:
                error = str(exc.response.get("error"))
                if error in GONE:
                    log.warning("dropping release notice %s: Slack says %s", job.id, error)
                    await self.outbox.done(job.id)
                else:
                    await self._failed(job, now, f"Slack {error}")
            except DexterError as exc:
                await self._failed(job, now, f"{type(exc).__name__}: {exc}")
            except Exception as exc:  # a bad payload or template must not stall the others
                log.exception("release notice %s failed", job.id)
                await self._failed(job, now, type(exc).__name__)
        return sent

    async def _failed(self, job: Job, now: datetime, why: str) -> None:
        attempts = int(job.payload.get("attempts", 0)) + 1
        if attempts >= MAX_ATTEMPTS:
            log.error("giving up on release notice %s after %d attempts: %s", job.id, attempts, why)
            await self.outbox.done(job.id)
            return
        log.warning("release notice %s failed (%s); retrying", job.id, why)
        job.payload["attempts"] = attempts
        await self.outbox.retry_at(job, now.timestamp() + 30.0 * 2**attempts)

    async def _send(self, job: Job, now: datetime) -> int:
        p = job.payload
        kind = p.get("kind")
        sub = await self.subs.get(str(p.get("sub", "")))
        if sub is None or kind not in ("release", "deploy", "followup"):
            await self.outbox.done(job.id)  # unsubscribed meanwhile, or not ours to read
            return 0
        # the workspace's Sentry for links and health, its bot token for the post
        async with self.tenancy.workspace(self.team_of(sub) or None):
            return await self._post(job, sub, kind, now)

    async def _post(self, job: Job, sub: ReleaseSubscription, kind: str, now: datetime) -> int:
        p = job.payload
        release = Release.model_validate(p["release"])
        deploy = Deploy.model_validate(p["deploy"]) if p.get("deploy") else None
        thread_ts: str | None = None
        context: dict[str, Any] = {}
        if kind == "followup":
            assert deploy is not None
            thread_of = str(p.get("thread_of", ""))
            posted = await self.outbox.posted(thread_of)
            if posted is None and await self.outbox.pending(thread_of):
                await self.outbox.retry_at(job, now.timestamp() + THREAD_WAIT)
                return 0
            thread_ts = posted["ts"] if posted else None
            context["followup"] = await self.reports.followup(release, deploy)
        blocks = self.renderer.blocks(
            "releases/release_notice",
            kind=kind,
            release=release,
            deploy=deploy,
            url=self.releases.web_url(release.version),
            now=now,
            **context,
        )
        resp = await self.client.chat_postMessage(
            channel=sub.channel,
            blocks=blocks,
            text=fallback_text(blocks),
            thread_ts=thread_ts,
            unfurl_links=False,
        )
        await self.outbox.record_post(job.id, str(resp["channel"]), str(resp["ts"]))
        await self.outbox.done(job.id)
        log.info("posted release notice %s in %s", job.id, sub.channel)
        return 1


def utcnow() -> datetime:
    """The current time in UTC (the watcher's default clock)."""
    return clock.now()
