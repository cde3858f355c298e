"""Releases, their commits and deploys, and event counts around them (no Slack here)."""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from bot.core.errors import SentryNotFound, UserError
from bot.core.store import Store
from bot.releases.models import Commit, Deploy, DeployRecord, Release, SeriesPoint
from bot.sentry.client import Params, SentryClient
from bot.sentry.projects import ProjectService
from bot.sentry.scope import cache_key
from bot.sentry.times import epoch_seconds, iso

PAGE = 100
DEPLOYS_TTL = 300.0
NO_SUCH_RELEASE = "No such release `{version}`."
AMBIGUOUS_RELEASE = "`{version}` is a version of several releases: {names}. Give the full version."
CLOSEST = " Closest: {names}."


@dataclass(frozen=True, slots=True)
class RefSpec:
    """A commit range in one repository: `commit`, optionally from `previous` (exclusive)."""

    repository: str
    commit: str
    previous: str | None = None

    def body(self) -> dict[str, str]:
        """The `refs` item Sentry takes."""
        out = {"repository": self.repository, "commit": self.commit}
        if self.previous:
            out["previousCommit"] = self.previous
        return out


@dataclass(frozen=True, slots=True)
class Created:
    release: Release
    existed: bool


class ReleaseService:
    """Everything Dexter reads and writes about releases goes through here."""

    def __init__(self, client: SentryClient, projects: ProjectService, store: Store) -> None:
        self.client = client
        self.projects = projects
        self.store = store

    def web_url(self, version: str) -> str:
        """The release's page in Sentry's web UI."""
        org = quote(self.client.org, safe="")
        return f"{self.client.base_url}/organizations/{org}/releases/{quote(version, safe='')}/"

    async def _ids(self, projects: Sequence[str]) -> list[str]:
        return await self.projects.ids_for(list(projects)) if projects else []

    async def latest(
        self,
        *,
        projects: Sequence[str] = (),
        environment: str | None = None,
        limit: int = 10,
        query: str | None = None,
    ) -> list[Release]:
        """The newest releases, optionally of some projects / seen in an environment."""
        resp = await self.client.get(
            self.client.org_path("releases"),
            params={
                "project": await self._ids(projects),
                "environment": [environment] if environment else None,
                "query": query,
                "per_page": limit,
            },
        )
        return [Release.model_validate(r) for r in resp.data or []]

    async def pages(
        self,
        *,
        project_ids: Sequence[str] = (),
        environment: str | None = None,
        since: datetime | None = None,
        per_page: int = PAGE,
        max_pages: int = 5,
    ) -> list[Release]:
        """Releases newest first, page after page until one is entirely older than `since`."""
        out: list[Release] = []
        params = {
            "project": list(project_ids),
            "environment": [environment] if environment else None,
            "per_page": per_page,
        }
        path = self.client.org_path("releases")
        async for page in self.client.paginate(path, params=params, max_pages=max_pages):
            batch = [Release.model_validate(r) for r in page.data or []]
            out += batch
            if since is not None and all(_older(r, since) for r in batch):
                break
        return out

    async def get(self, version: str) -> Release:
        """The release, or UserError "no such release" naming the closest versions.

        A unique short version (`1.5.2` for `backend@1.5.2`) is accepted too.
        """
        full = "@" in version  # `package@version`: most likely exact
        found, searched = await asyncio.gather(
            self._detail(version), self.latest(query=version, limit=10) if not full else _none()
        )
        if found is not None:
            return found
        if searched is not None:  # a short version: search ran with the exact look-up
            similar = searched
            exact = [r for r in similar if r.short_version == version]
            if len(exact) == 1:
                return exact[0]
            if exact:
                which = ", ".join(f"`{r.version}`" for r in exact[:5])
                raise UserError(AMBIGUOUS_RELEASE.format(version=version, names=which))
            recent = await self.latest(limit=PAGE)  # only to name the closest versions
        else:
            similar, recent = await asyncio.gather(
                self.latest(query=version, limit=10), self.latest(limit=PAGE)
            )
        names = {r.version for r in similar} | {r.version for r in recent}
        by_short = {r.short_version: r.version for r in [*similar, *recent] if r.short_version}
        close = difflib.get_close_matches(version, sorted(names | set(by_short)), n=3, cutoff=0.5)
        close = list(dict.fromkeys(by_short.get(c, c) for c in close))
        if not close:
            close = [r.version for r in similar[:3]]
        hint = CLOSEST.format(names=", ".join(f"`{c}`" for c in close)) if close else ""
        raise UserError(NO_SUCH_RELEASE.format(version=version) + hint)

    async def _detail(self, version: str) -> Release | None:
        try:
            resp = await self.client.get(self.client.org_path("releases", version))
        except SentryNotFound:
            return None
        return Release.model_validate(resp.data)

    async def commits(self, version: str) -> list[Commit]:
        """The first page of the release's commits (newest first)."""
        resp = await self.client.get(self.client.org_path("releases", version, "commits"))
        return [Commit.model_validate(c) for c in resp.data or []]

    async def deploys(self, version: str) -> list[Deploy]:
        """Every deploy of the release, newest first."""
        out: list[Deploy] = []
        path = self.client.org_path("releases", version, "deploys")
        async for page in self.client.paginate(path, max_pages=5):
            out += [Deploy.model_validate(d) for d in page.data or []]
        return sorted(out, key=_finished, reverse=True)

    async def deploys_cached(self, version: str) -> list[Deploy]:
        """Deploys through a short Redis cache (for cheap card enrichment)."""

        async def load() -> list[dict[str, Any]]:
            return [d.model_dump(mode="json") for d in await self.deploys(version)]

        key = cache_key(self.store, self.client, "release-deploys", version)
        return [Deploy.model_validate(d) for d in await self.store.cached(key, DEPLOYS_TTL, load)]

    async def previous(self, release: Release) -> Release | None:
        """The release of the same projects that came just before this one, if any."""
        ids = [str(p.id) for p in release.projects if p.id is not None]
        params: Params = {"project": ids, "per_page": 50}
        path = self.client.org_path("releases")
        seen: list[Release] = []
        async for page in self.client.paginate(path, params=params, max_pages=3):
            seen += [Release.model_validate(r) for r in page.data or []]
            versions = [r.version for r in seen]
            if release.version in versions[:-1]:
                return seen[versions.index(release.version) + 1]
        created = release.date_created
        if release.version in (r.version for r in seen) or created is None:
            return None
        older = [r for r in seen if r.date_created and r.date_created < created]
        return older[0] if older else None

    async def create(
        self,
        version: str,
        projects: Sequence[str],
        *,
        refs: Sequence[RefSpec] = (),
        url: str | None = None,
    ) -> Created:
        """Create (or update) a release and associate commits through `refs`."""
        body: dict[str, Any] = {"version": version, "projects": list(projects)}
        if refs:
            body["refs"] = [r.body() for r in refs]
        if url:
            body["url"] = url
        resp = await self.client.post(self.client.org_path("releases"), json=body)
        return Created(Release.model_validate(resp.data), existed=resp.status == 208)

    async def create_deploy(
        self,
        version: str,
        environment: str,
        *,
        name: str | None = None,
        url: str | None = None,
        projects: Sequence[str] = (),
    ) -> Deploy:
        """Record a deploy of a release to an environment."""
        body: dict[str, Any] = {"environment": environment}
        if name:
            body["name"] = name
        if url:
            body["url"] = url
        if projects:
            body["projects"] = list(projects)
        resp = await self.client.post(
            self.client.org_path("releases", version, "deploys"), json=body
        )
        await self.store.delete(cache_key(self.store, self.client, "release-deploys", version))
        return Deploy.model_validate(resp.data)

    async def releases_between(
        self, start: datetime, end: datetime, projects: Sequence[str] = ()
    ) -> list[Release]:
        """Releases created in [start, end), newest first (for digests and timelines)."""
        batch = await self.pages(project_ids=await self._ids(projects), since=start)
        return [r for r in batch if r.date_created and start <= r.date_created < end]

    async def deploys_between(
        self,
        start: datetime,
        end: datetime,
        projects: Sequence[str] = (),
        *,
        environment: str | None = None,
    ) -> list[DeployRecord]:
        """Deploys finished in [start, end), newest first, from the most recent releases.

        Sentry lists deploys per release only, so this scans the newest releases (at most
        five pages) and reads the deploys of those whose last deploy falls in the window.
        """
        batch = await self.pages(
            project_ids=await self._ids(projects), environment=environment, since=start
        )
        wanted = [r for r in batch if r.last_deploy and _finished(r.last_deploy) >= start]
        gate = asyncio.Semaphore(4)

        async def one(r: Release) -> list[DeployRecord]:
            async with gate:
                deploys = await self.deploys(r.version)
            return [
                DeployRecord(r.version, r.label, tuple(r.project_slugs), d)
                for d in deploys
                if start <= _finished(d) < end
                and (environment is None or d.environment == environment)
            ]

        found = await asyncio.gather(*(one(r) for r in wanted))
        records = [rec for group in found for rec in group]
        return sorted(records, key=lambda rec: _finished(rec.deploy), reverse=True)

    async def event_counts(
        self,
        *,
        project_ids: Sequence[str],
        start: datetime,
        end: datetime,
        interval: int = 3600,
        environment: str | None = None,
    ) -> list[SeriesPoint]:
        """Error events per interval (seconds) between start and end."""
        resp = await self.client.get(
            self.client.org_path("events-timeseries"),
            params={
                "dataset": "errors",
                "yAxis": "count()",
                "project": list(project_ids),
                "environment": [environment] if environment else None,
                "start": iso(start),
                "end": iso(end),
                "interval": interval,
            },
        )
        series = ((resp.data or {}).get("timeSeries") or [{}])[0]
        return [
            SeriesPoint(
                datetime.fromtimestamp(epoch_seconds(float(v["timestamp"])), UTC), float(v["value"])
            )
            for v in series.get("values") or []
            if v.get("value") is not None
        ]


_EPOCH = datetime.fromtimestamp(0, UTC)


async def _none() -> None:
    return None


def _finished(d: Deploy) -> datetime:
    return d.date_finished or d.date_started or _EPOCH


def _older(r: Release, since: datetime) -> bool:
    created = r.date_created or _EPOCH
    deployed = _finished(r.last_deploy) if r.last_deploy else _EPOCH
    return created < since and deployed < since
