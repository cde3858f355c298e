"""Build a team dashboard (the data of one digest) from Sentry, for one target and period."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

from bot.core.errors import SentryError, UserError
from bot.dashboards.digest import DashboardDigest, DashboardReport
from bot.digests import chart as digest_chart
from bot.digests.parse import Target
from bot.digests.sentry_api import DigestData, ReleaseActivity, Series, SlowTransaction
from bot.sentry.members import MemberService
from bot.sentry.models import Issue, ProjectRef
from bot.sentry.projects import ProjectService
from bot.sentry.scope import sentry_identity
from bot.sentry.times import iso

log = logging.getLogger(__name__)
T = TypeVar("T")

# async (slack team id, saved query name) -> rows; provided by the saved-queries feature.
SavedQueryRunner = Callable[[str, str], Awaitable[list[dict[str, Any]]]]
TOP_ISSUES = 5
NEW_ISSUES = 5
MEMO_TTL = 120.0
DIRECTORY_REUSE = 60.0


@dataclass(frozen=True, slots=True)
class Headline:
    """The figures at the top of a dashboard; None where Sentry had nothing to say."""

    new_issues: int
    regressions: int
    unresolved: int
    unassigned: int
    events: int | None = None
    events_before: int | None = None
    users: int | None = None
    users_before: int | None = None
    crash_free: float | None = None


@dataclass(frozen=True, slots=True)
class SavedQueryResult:
    name: str
    rows: list[dict[str, Any]]
    columns: list[str]


@dataclass
class Dashboard:
    """Everything one digest shows."""

    title: str
    target: Target
    start: datetime
    end: datetime
    projects: list[str] = field(default_factory=list)
    headline: Headline | None = None
    top: list[Issue] = field(default_factory=list)
    new: list[Issue] = field(default_factory=list)
    activity: ReleaseActivity | None = None
    slow: list[SlowTransaction] = field(default_factory=list)
    saved: SavedQueryResult | None = None
    series: Series = field(default_factory=dict)
    chart: bytes | None = None
    links: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    board: DashboardReport | None = None  # a Sentry dashboard's widgets, for its digests

    @property
    def quiet(self) -> bool:
        """Nothing happened: no new issues, regressions, error events, releases or rows."""
        if self.board is not None:
            return False  # a dashboard digest shows its widgets, whatever they say
        h = self.headline
        busy_issues = bool(h and (h.new_issues or h.regressions or h.events)) or bool(self.top)
        busy_releases = bool(self.activity and (self.activity.releases or self.activity.deploys))
        busy_query = bool(self.saved and self.saved.rows)
        return not (busy_issues or busy_releases or busy_query)


def change(now: int | None, before: int | None) -> str:
    """`↑ 12%`, `↓ 40%`, `±0%`, `new` — the change versus the previous period."""
    if now is None or before is None:
        return ""
    if before == 0:
        return "new" if now else "±0%"
    pct = round((now - before) * 100 / before)
    if pct == 0:
        return "±0%"
    return f"↑ {pct}%" if pct > 0 else f"↓ {-pct}%"


def series_interval(period: timedelta) -> int:
    """Seconds per chart point: hourly up to a day, 6-hourly up to a week, then daily."""
    if period <= timedelta(hours=26):
        return 3600
    if period <= timedelta(days=8):
        return 6 * 3600
    return 86400


class DigestService:
    """Builds dashboards; concurrent requests for the same target and period share one build."""

    def __init__(
        self,
        *,
        data: DigestData,
        projects: ProjectService,
        members: MemberService,
        saved_queries: SavedQueryRunner | None = None,
        dashboards: DashboardDigest | None = None,
        memo_ttl: float = MEMO_TTL,
    ) -> None:
        self.data = data
        self.dashboards = dashboards
        self.projects = projects
        self.members = members
        self.saved_queries = saved_queries
        self.memo_ttl = memo_ttl
        self.builds = 0
        self._memo: dict[tuple[Any, ...], tuple[float, asyncio.Task[Dashboard]]] = {}
        self._directory: dict[str, tuple[float, asyncio.Task[Any]]] = {}

    @property
    def org(self) -> str:
        return self.data.client.org

    async def _shared(self, name: str, load: Callable[[], Awaitable[T]]) -> T:
        # The directory caches live in Redis without single-flight: when hundreds of digests
        # start together they would all miss at once. One load per process, briefly reused.
        now = time.monotonic()
        name = f"{sentry_identity(self.data.client)}:{name}"  # one entry per Sentry org
        hit = self._directory.get(name)
        if hit is None or hit[0] < now or (hit[1].done() and hit[1].exception() is not None):
            hit = (now + DIRECTORY_REUSE, asyncio.ensure_future(load()))
            self._directory[name] = hit
        result: T = await asyncio.shield(hit[1])
        return result

    def _boards(self) -> DashboardDigest:
        if self.dashboards is None:
            raise UserError("Dashboard digests are not set up here.")
        return self.dashboards

    async def pin(self, target: Target) -> tuple[Target, str]:
        """A dashboard target by id (titles change) and the dashboard's title."""
        board = await self._boards().dashboards.find(target.dashboard or "")
        return target.model_copy(update={"dashboard": board.id}), board.title

    async def scope(self, target: Target) -> tuple[str, list[ProjectRef]]:
        """The dashboard title and the projects a target covers (UserError if unknown)."""
        if target.dashboard:
            board = await self._boards().dashboards.find(target.dashboard)
            return board.title or f"dashboard {board.id}", []
        if target.team:  # the projects and the teams: asked for at once
            projects, teams = await asyncio.gather(
                self._shared("projects", self.projects.all),
                self._shared("teams", self.members.teams),
            )
            slug = target.team.lstrip("#").lower()
            team = next((t for t in teams if t.slug == slug), None)
            if team is None:
                raise UserError(f"There is no team `{target.team}` in this organization.")
            owned = [
                ProjectRef(id=p.id, slug=p.slug, name=p.name)
                for p in projects
                if any(t.slug == team.slug for t in p.teams)
            ]
            return f"#{team.slug}", owned or list(team.projects)
        projects = await self._shared("projects", self.projects.all)
        if target.projects:
            by_slug = {p.slug: p for p in projects}
            missing = [s for s in target.projects if s not in by_slug]
            if missing:
                await self.projects.by_slug(missing[0])  # raises with close matches
            refs = [
                ProjectRef(id=by_slug[s].id, slug=s, name=by_slug[s].name) for s in target.projects
            ]
            return ", ".join(p.slug for p in refs), refs
        return f"saved query {target.query}", []

    async def build(
        self, target: Target, start: datetime, end: datetime, *, team_id: str, chart: bool = True
    ) -> Dashboard:
        """The dashboard for a target and period (shared with identical concurrent builds)."""
        now = time.monotonic()
        for key, (expires, _task) in list(self._memo.items()):
            if expires < now:
                del self._memo[key]
        key = (target.key, start, end, chart, team_id)
        hit = self._memo.get(key)
        if hit is None:
            task = asyncio.create_task(self._build(target, start, end, team_id, chart))
            self._memo[key] = (now + self.memo_ttl, task)
            task.add_done_callback(lambda t: self._forget_failure(key, t))
        else:
            task = hit[1]
        return await asyncio.shield(task)

    def _forget_failure(self, key: tuple[Any, ...], task: asyncio.Task[Dashboard]) -> None:
        if task.cancelled() or task.exception() is not None:
            self._memo.pop(key, None)

    async def _build(
        self, target: Target, start: datetime, end: datetime, team_id: str, chart: bool
    ) -> Dashboard:
        self.builds += 1
        if target.dashboard:
            return await self._board(target, start, end, chart)
        title, projects = await self.scope(target)
        dash = Dashboard(title=title, target=target, start=start, end=end)
        dash.projects = [p.slug for p in projects]
        if target.team or target.projects:
            if not projects:
                dash.problems.append(f"{title} has no projects.")
            else:
                await self._fill(dash, [p.id for p in projects], chart)
        if target.query:
            dash.saved = await self._saved_query(dash, team_id, target.query)
        return dash

    async def _board(
        self, target: Target, start: datetime, end: datetime, chart: bool
    ) -> Dashboard:
        boards = self._boards()
        board = await boards.dashboards.find(target.dashboard or "")
        dash = Dashboard(
            title=board.title or f"dashboard {board.id}", target=target, start=start, end=end
        )
        interval = series_interval(end - start)
        dash.board = await boards.build(board, start, end, interval=interval, chart=chart)
        dash.links = {"dashboard": board.url}
        return dash

    async def _fill(self, dash: Dashboard, ids: list[str], chart: bool) -> None:
        start, end = dash.start, dash.end
        before = start - (end - start)
        d = self.data
        new_q = f"firstSeen:>={iso(start)} firstSeen:<{iso(end)}"
        # Start every read at once; the shared client bounds concurrency and rate.
        now_totals = asyncio.create_task(
            self._optional(dash, "event totals", d.event_totals(ids, start, end))
        )
        before_totals = asyncio.create_task(
            self._optional(dash, "previous event totals", d.event_totals(ids, before, start))
        )
        crash_free = asyncio.create_task(
            self._optional(dash, "sessions", d.crash_free_sessions(ids, start, end))
        )
        activity_task = asyncio.create_task(
            self._optional(dash, "releases", d.release_activity(ids, start, end))
        )
        slow = asyncio.create_task(
            self._optional(dash, "transactions", d.slow_transactions(ids, start, end))
        )
        interval = series_interval(end - start)
        series = asyncio.create_task(
            self._optional(dash, "event series", d.event_series(ids, start, end, interval=interval))
            if chart
            else _none()
        )
        try:
            new, regressed, unresolved, unassigned, top = await asyncio.gather(
                d.issues(new_q, ids, start=start, end=end, sort="new", limit=NEW_ISSUES),
                d.issues("is:regressed", ids, start=start, end=end, limit=1),
                d.issues("is:unresolved", ids, limit=1),
                d.issues("is:unresolved is:unassigned", ids, limit=1),
                d.issues("is:unresolved", ids, start=start, end=end, sort="freq", limit=TOP_ISSUES),
            )
        except BaseException:
            for task in (now_totals, before_totals, crash_free, activity_task, slow, series):
                task.cancel()
            raise
        totals, previous = await now_totals, await before_totals
        activity = await activity_task
        dash.headline = Headline(
            new_issues=new.total,
            regressions=regressed.total,
            unresolved=unresolved.total,
            unassigned=unassigned.total,
            events=totals[0] if totals else None,
            users=totals[1] if totals else None,
            events_before=previous[0] if previous else None,
            users_before=previous[1] if previous else None,
            crash_free=await crash_free,
        )
        dash.top = top.issues
        dash.new = new.issues
        dash.activity = activity
        dash.slow = await slow or []
        dash.series = await series or {}
        dash.links = self._links(ids, start, end)
        if chart and dash.series and any(v for pts in dash.series.values() for _, v in pts):
            marks = [(dep.finished, dep.version) for dep in (activity.deploys if activity else [])]
            try:
                dash.chart = await asyncio.to_thread(
                    digest_chart.render, dash.series, marks, f"Errors per project · {dash.title}"
                )
            except Exception:  # the chart is an extra: a drawing bug must not cost the digest
                log.exception("digest %r: chart not drawn", dash.title)

    async def _optional(self, dash: Dashboard, what: str, coro: Awaitable[T]) -> T | None:
        try:
            return await coro
        except SentryError as exc:
            log.info("digest section %s unavailable: %s", what, exc)
            dash.problems.append(f"{what} unavailable ({exc.message})")
            return None

    async def _saved_query(
        self, dash: Dashboard, team_id: str, name: str
    ) -> SavedQueryResult | None:
        runner = self.saved_queries
        if runner is None:
            return None
        try:
            rows = await runner(team_id, name)
        except Exception as exc:
            log.info("saved query %s failed: %s", name, exc)
            dash.problems.append(f"saved query `{name}` failed")
            return None
        columns: list[str] = []
        for row in rows:
            columns += [c for c in row if c not in columns]
        return SavedQueryResult(name=name, rows=rows, columns=columns[:6])

    def _links(self, ids: list[str], start: datetime, end: datetime) -> dict[str, str]:
        base = f"{self.data.client.base_url}/organizations/{self.org}"  # the workspace's Sentry
        scope = [("project", i) for i in ids]
        period = [("start", iso(start)), ("end", iso(end)), ("utc", "true")]
        new_q = f"firstSeen:>={iso(start)}"
        return {
            "issues": f"{base}/issues/?"
            + urlencode([*scope, ("query", "is:unresolved"), ("sort", "freq"), *period]),
            "new": f"{base}/issues/?" + urlencode([*scope, ("query", new_q), ("sort", "new")]),
            "releases": f"{base}/releases/?" + urlencode(scope),
            "performance": f"{base}/performance/?" + urlencode([*scope, *period]),
        }


async def _none() -> Series | None:
    return None
