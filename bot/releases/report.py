"""What the release surfaces show, gathered from Sentry concurrently (no Slack here)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core import clock
from bot.releases.health import HealthComparison
from bot.releases.models import Commit, Deploy, Release, SeriesPoint
from bot.releases.sentry_api import ReleaseService
from bot.releases.sentry_sessions import Health, SessionService
from bot.sentry.issues import IssueQuery, IssueService
from bot.sentry.models import Issue

CARD_NEW_ISSUES = 5
CARD_REGRESSIONS = 3
CARD_COMMITS = 5
FOLLOWUP_ISSUES = 25
CHART_HALF_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class ReleaseRow:
    """One line of `/dexter releases`."""

    release: Release
    url: str
    health: Health | None


@dataclass(frozen=True, slots=True)
class ReleaseCard:
    """Everything the release card shows."""

    release: Release
    url: str
    commits: list[Commit]
    deploys: list[Deploy]
    previous: Release | None
    health: HealthComparison
    new_issues: list[Issue]
    regressions: list[Issue]
    more_new_issues: bool = False


@dataclass(frozen=True, slots=True)
class FollowUp:
    """The health of a release an hour after a deploy."""

    release: Release
    deploy: Deploy
    new_issues: list[Issue]
    capped: bool
    health: HealthComparison


@dataclass(frozen=True, slots=True)
class ChartData:
    title: str
    points: list[SeriesPoint]
    marks: list[tuple[datetime, str]] = field(default_factory=list)


def search_value(version: str) -> str:
    """A version quoted for Sentry's issue search."""
    return '"' + version.replace('"', '\\"') + '"'


class ReleaseReports:
    """Builds rows, cards, follow-ups and chart data from the Sentry services."""

    def __init__(
        self, releases: ReleaseService, sessions: SessionService, issues: IssueService
    ) -> None:
        self.releases = releases
        self.sessions = sessions
        self.issues = issues

    async def rows(
        self, *, projects: Sequence[str] = (), environment: str | None = None, limit: int = 10
    ) -> list[ReleaseRow]:
        """The newest releases with crash-free rates where their projects send sessions."""
        releases = await self.releases.latest(
            projects=projects, environment=environment, limit=limit
        )
        with_health = [r for r in releases if r.has_health_data]
        health: dict[str, Health] = {}
        if with_health:
            ids = sorted({str(p.id) for r in with_health for p in r.projects if p.id is not None})
            health = await self.sessions.by_release(
                [r.version for r in with_health], project_ids=ids, environment=environment
            )
        return [
            ReleaseRow(r, self.releases.web_url(r.version), health.get(r.version)) for r in releases
        ]

    async def compare(
        self,
        release: Release,
        previous: Release | None,
        *,
        environment: str | None = None,
        period: str = "30d",
    ) -> HealthComparison:
        """Crash-free rates of the release and its predecessor (no request without sessions)."""
        if not release.has_health_data:
            return HealthComparison(None, None)
        versions = [release.version] + ([previous.version] if previous else [])
        ids = [str(p.id) for p in release.projects if p.id is not None]
        health = await self.sessions.by_release(
            versions, project_ids=ids, environment=environment, period=period
        )
        return HealthComparison(
            health.get(release.version),
            health.get(previous.version) if previous else None,
            previous.label if previous else None,
        )

    async def _issues(
        self, query: str, release: Release, limit: int, environment: str | None = None
    ) -> list[Issue]:
        q = IssueQuery(
            query=query,
            sort="freq",
            projects=tuple(release.project_slugs),
            environments=(environment,) if environment else (),
        )
        return (await self.issues.search(q, limit=limit)).issues

    async def card(self, version: str) -> ReleaseCard:
        """The release with commits, deploys, health, new issues and regressions."""
        release = await self.releases.get(version)
        v = search_value(release.version)

        async def health() -> tuple[Release | None, HealthComparison]:
            previous = await self.releases.previous(release)
            return previous, await self.compare(release, previous)

        commits, deploys, (previous, comparison), new, regressed = await asyncio.gather(
            self.releases.commits(release.version),
            self.releases.deploys(release.version),
            health(),
            self._issues(f"firstRelease:{v}", release, CARD_NEW_ISSUES + 1),
            self._issues(f"is:regressed release:{v}", release, CARD_REGRESSIONS),
        )
        return ReleaseCard(
            release=release,
            url=self.releases.web_url(release.version),
            commits=commits[:CARD_COMMITS],
            deploys=deploys,
            previous=previous,
            health=comparison,
            new_issues=new[:CARD_NEW_ISSUES],
            regressions=regressed,
            more_new_issues=len(new) > CARD_NEW_ISSUES,
        )

    async def followup(self, release: Release, deploy: Deploy) -> FollowUp:
        """New issues of the release in the deploy's environment and the crash-free change."""
        env = deploy.environment

        async def health() -> HealthComparison:
            previous = await self.releases.previous(release)
            return await self.compare(release, previous, environment=env, period="24h")

        new, comparison = await asyncio.gather(
            self._issues(
                f"firstRelease:{search_value(release.version)}", release, FOLLOWUP_ISSUES, env
            ),
            health(),
        )
        return FollowUp(release, deploy, new, len(new) >= FOLLOWUP_ISSUES, comparison)

    async def chart(self, version: str, *, now: datetime | None = None) -> ChartData:
        """Error events a day either side of the release's first deploy, deploys marked."""
        now = now or clock.now()
        release = await self.releases.get(version)
        deploys = await self.releases.deploys(release.version)
        finished = [d.date_finished for d in deploys if d.date_finished]
        center = min(finished) if finished else (release.when or now)
        end = min(center + CHART_HALF_WINDOW, now)
        start = min(center - CHART_HALF_WINDOW, end - CHART_HALF_WINDOW)
        ids = [str(p.id) for p in release.projects if p.id is not None]
        points = await self.releases.event_counts(project_ids=ids, start=start, end=end)
        marks = [(d.date_finished, d.environment) for d in deploys if d.date_finished]
        if not marks and release.when:
            marks = [(release.when, "released")]
        marks = [(when, label) for when, label in marks if start <= when <= end]
        title = f"Errors around {release.label} ({', '.join(release.project_slugs) or 'all'})"
        return ChartData(title, points, marks)
