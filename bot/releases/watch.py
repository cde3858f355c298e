"""Poll Sentry for new releases and deploys and queue their announcements, exactly once.

Each tick: one replica (Redis lock) lists the subscribed projects' newest releases, from a
cursor kept in Redis (the start of the last successful poll, minus an overlap for clock skew).
Every new release or deploy is marked seen and its jobs queued in one atomic step
(bot/releases/outbox.py), so replicas and restarts neither repeat nor drop an announcement.
Then every replica sends whatever is due: announcements at once, deploy follow-ups an hour
after the deploy, in the announcement's thread.

Multi-workspace: each workspace's subscriptions are polled against its own Sentry, with a
cursor and seen-markers of its own, and announced with its own bot token (bot/slack/tenancy.py).
Subscriptions from before workspaces were recorded belong to the environment's workspace.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import DexterError, UserError
from bot.core.timer import TimerJobs
from bot.releases.models import Deploy, Release
from bot.releases.notify import Notifier, utcnow
from bot.releases.outbox import Job, Outbox
from bot.releases.subscriptions import ReleaseSubscription, SubscriptionStore
from bot.sentry.scope import sentry_identity

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from bot.core.store import Store
    from bot.releases.report import ReleaseReports
    from bot.releases.sentry_api import ReleaseService
    from bot.sentry.client import SentryClient
    from bot.sentry.projects import ProjectService
    from bot.slack.render import Renderer
    from bot.slack.tenancy import Tenancy

log = logging.getLogger(__name__)

WATCH_JOB = "release-watch"

OVERLAP = timedelta(minutes=10)
MAX_CATCH_UP = timedelta(days=7)
SEEN_RETENTION = timedelta(days=14)
FOLLOWUP_DELAY = timedelta(hours=1)
PER_PAGE = 50
MAX_PAGES = 3
DEPLOY_FETCHES = 5  # concurrent deploy lists per poll


def _dump(model: Release | Deploy) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


class ReleaseWatch:
    """The poller and sender; `start()` runs `tick()` on an apscheduler interval job."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        settings: Settings,
        store: Store,
        sentry: SentryClient,
        tenancy: Tenancy,
        projects: ProjectService,
        releases: ReleaseService,
        subs: SubscriptionStore,
        reports: ReleaseReports,
        renderer: Renderer,
        interval: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
        timer: Any = None,
    ) -> None:
        self.client = client
        self.settings = settings
        self.store = store
        self.sentry = sentry  # routed to the workspace's Sentry inside `tenancy.workspace`
        self.tenancy = tenancy
        self.projects = projects
        self.releases = releases
        self.interval = interval
        self.clock = clock
        self.subs = subs
        self.outbox = Outbox(store)
        self.notifier = Notifier(
            client,
            self.outbox,
            subs=self.subs,
            releases=releases,
            reports=reports,
            renderer=renderer,
            tenancy=tenancy,
            team_of=self.team_of,
        )
        self.cursor_key = store.key("release-watch", sentry.org, "cursor")
        # the process's one timer (bot/services.py), or, built alone, a timer of its own
        self._timer_jobs = TimerJobs(timer, lambda id: id == WATCH_JOB)
        self._scheduler: Any = None

    async def tick(self) -> tuple[int, int]:
        """Poll (if no other replica is polling) and send what is due: (queued, sent)."""
        queued = await self.poll()
        sent = await self.notifier.deliver(self.clock())
        return queued, sent

    async def safe_tick(self) -> None:
        """`tick()` for the scheduler: failures are logged, the next tick tries again."""
        try:
            await self.tick()
        except DexterError as exc:
            log.warning("release watch tick failed: %s: %s", type(exc).__name__, exc)
        except Exception:
            log.exception("release watch tick failed")

    async def poll(self) -> int:
        """Queue announcements for releases and deploys since the cursor; returns jobs queued."""
        ttl = max(30.0, 2 * self.interval)
        async with self.store.lock("release-watch-poll", ttl=ttl) as got:
            if not got:
                return 0
            return await self._poll()

    async def cursor(self, team_id: str = "") -> datetime | None:
        """Where a workspace's next poll starts looking (before the overlap), if any poll ran."""
        async with self.tenancy.workspace(team_id or None):
            raw = await self.store.get_json(self._cursor_key(team_id))
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None

    def _cursor_key(self, team_id: str) -> str:
        if not team_id:
            return self.cursor_key  # the environment's workspace keeps its original cursor
        return self.store.key("release-watch", team_id, self._scope(team_id), "cursor")

    def _scope(self, team_id: str) -> str:
        """The prefix of a workspace's seen-markers: its team and the Sentry it polls."""
        return f"{team_id}@{sentry_identity(self.sentry)}:" if team_id else ""

    def team_of(self, sub: ReleaseSubscription) -> str:
        """The workspace a subscription is polled and announced for ("" = the environment's)."""
        return sub.team_id if self.settings.multi_workspace else ""

    async def _poll(self) -> int:
        now = self.clock()
        teams: dict[str, list[ReleaseSubscription]] = {}
        for sub in await self.subs.all():
            teams.setdefault(self.team_of(sub), []).append(sub)
        queued = 0
        for team_id, subs in teams.items():
            settings = self.settings
            no_bot = not settings.slack_bot_token.get_secret_value()
            if not team_id and settings.multi_workspace and no_bot:
                # from before subscriptions knew their workspace, with no bot to post them
                log.warning(
                    "release subscriptions %s have no workspace; subscribe again",
                    ", ".join(s.id for s in subs),
                )
                continue
            try:
                async with self.tenancy.workspace(team_id or None):
                    queued += await self._poll_workspace(team_id, subs, now)
            except DexterError as exc:  # one workspace's Sentry must not stop the others
                log.warning("release watch of %s failed: %s", team_id or "default", exc)
        await self.outbox.trim_seen((now - SEEN_RETENTION).timestamp())
        return queued

    async def _poll_workspace(
        self, team_id: str, subs: list[ReleaseSubscription], now: datetime
    ) -> int:
        cursor_key = self._cursor_key(team_id)
        raw = await self.store.get_json(cursor_key)
        cursor = datetime.fromisoformat(raw) if isinstance(raw, str) else now
        horizon = max(cursor - OVERLAP, now - MAX_CATCH_UP)
        scope = self._scope(team_id)
        queued = 0
        ids = await self._project_ids(subs)
        if ids:
            releases = await self.releases.pages(
                project_ids=ids, since=horizon, per_page=PER_PAGE, max_pages=MAX_PAGES
            )
            for release in releases:
                queued += await self._release(release, subs, horizon, now, scope)
            fresh = [r for r in releases if await self._new_deploys(r, horizon, scope)]
            gate = asyncio.Semaphore(DEPLOY_FETCHES)

            async def deploys(r: Release) -> list[Deploy]:
                async with gate:
                    return await self.releases.deploys(r.version)

            found = await asyncio.gather(*(deploys(r) for r in fresh))
            for release, its_deploys in zip(fresh, found, strict=True):
                queued += await self._deploys(release, its_deploys, subs, horizon, now, scope)
        # Only a poll that got this far moves the cursor: a failed one is retried in full.
        await self.store.set_json(cursor_key, now.isoformat())
        return queued

    async def _project_ids(self, subs: list[ReleaseSubscription]) -> list[str]:
        ids: list[str] = []
        for slug in sorted({s.project for s in subs}):
            try:
                ids.append((await self.projects.by_slug(slug)).id)
            except UserError:
                log.warning("release subscription to unknown project %s skipped", slug)
        return ids

    async def _release(
        self,
        r: Release,
        subs: list[ReleaseSubscription],
        horizon: datetime,
        now: datetime,
        scope: str,
    ) -> int:
        if r.date_created is None or r.date_created < horizon:
            return 0
        created = r.date_created
        targets = [s for s in subs if s.project in r.project_slugs and created >= s.created_at]
        payload = {"kind": "release", "release": _dump(r)}
        jobs = [
            Job(f"release:{r.version}:{s.id}", now.timestamp(), payload | {"sub": s.id})
            for s in targets
        ]
        event = f"{scope}release:{r.version}"
        fresh = await self.outbox.enqueue_once(event, jobs, now=now.timestamp())
        return len(jobs) if fresh else 0

    async def _new_deploys(self, r: Release, horizon: datetime, scope: str) -> bool:
        """True when the release's latest deploy is recent and not yet handled."""
        last = r.last_deploy
        if last is None or last.date_finished is None or last.date_finished < horizon:
            return False
        return not await self.outbox.seen(f"{scope}deploy:{last.id}")

    async def _deploys(
        self,
        r: Release,
        deploys: list[Deploy],
        subs: list[ReleaseSubscription],
        horizon: datetime,
        now: datetime,
        scope: str,
    ) -> int:
        queued = 0
        for d in deploys:
            if d.date_finished is None or d.date_finished < horizon:
                continue
            finished = d.date_finished
            targets = [
                s
                for s in subs
                if s.project in r.project_slugs
                and s.wants_deploy_to(d.environment)
                and finished >= s.created_at
            ]
            base = {"release": _dump(r), "deploy": _dump(d)}
            follow_at = max(finished + FOLLOWUP_DELAY, now).timestamp()
            jobs: list[Job] = []
            for s in targets:
                notice = f"deploy:{d.id}:{s.id}"
                jobs.append(Job(notice, now.timestamp(), base | {"kind": "deploy", "sub": s.id}))
                jobs.append(
                    Job(
                        f"followup:{d.id}:{s.id}",
                        follow_at,
                        base | {"kind": "followup", "sub": s.id, "thread_of": notice},
                    )
                )
            if await self.outbox.enqueue_once(f"{scope}deploy:{d.id}", jobs, now=now.timestamp()):
                queued += len(jobs)
        return queued

    async def start(self) -> None:
        """Run `tick()` every `interval` seconds on an AsyncIOScheduler (0 disables)."""
        if self.interval <= 0 or self._scheduler is not None:
            return
        self._scheduler = self._timer_jobs.take()
        self._scheduler.add_job(
            self.safe_tick,
            "interval",
            seconds=self.interval,
            id=WATCH_JOB,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC) + timedelta(seconds=1),
            replace_existing=True,
        )
        log.info("release watch polling every %ss", self.interval)

    async def stop(self) -> None:
        """Stop the scheduler (a running tick finishes on its own)."""
        self._timer_jobs.give_back()
        self._scheduler = None
