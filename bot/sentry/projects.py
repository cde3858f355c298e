"""Projects of the organisation, cached briefly in Redis (they change rarely)."""

from __future__ import annotations

import difflib
from typing import Any

from bot.core.errors import UserError
from bot.core.store import Store
from bot.sentry.client import SentryClient
from bot.sentry.models import Project
from bot.sentry.scope import cache_key

PROJECTS_TTL = 300.0


class ProjectService:
    """Looks projects up by slug without asking Sentry on every command."""

    def __init__(self, client: SentryClient, store: Store) -> None:
        self.client = client
        self.store = store

    async def all(self) -> list[Project]:
        """Every project of the organisation (cached for a few minutes)."""
        raw = await self.store.cached(
            cache_key(self.store, self.client, "projects"), PROJECTS_TTL, self._load
        )
        return [Project.model_validate(p) for p in raw]

    async def _load(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        path = self.client.org_path("projects")
        async for page in self.client.paginate(path, params={"per_page": 100}, max_pages=20):
            for p in page.data or []:
                out.append(
                    {
                        "id": str(p["id"]),
                        "slug": p["slug"],
                        "name": p.get("name", ""),
                        "platform": p.get("platform"),
                        "teams": [
                            {"id": str(t["id"]), "slug": t["slug"], "name": t.get("name", "")}
                            for t in p.get("teams") or []
                        ],
                    }
                )
        return out

    async def by_slug(self, slug: str) -> Project:
        """The project with this slug, or UserError naming the closest ones."""
        projects = await self.all()
        for project in projects:
            if project.slug == slug:
                return project
        close = difflib.get_close_matches(slug, [p.slug for p in projects], n=3)
        hint = f" Did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
        raise UserError(f"There is no project `{slug}` in this organization.{hint}")

    async def ids_for(self, slugs: list[str]) -> list[str]:
        """Project ids for slugs (what Sentry's `project` parameter takes)."""
        return [(await self.by_slug(s)).id for s in slugs]
