"""Organisation members and teams, cached briefly (assign menus must answer within 3 s)."""

from __future__ import annotations

from typing import Any

from bot.core.errors import SentryNotFound
from bot.core.store import Store
from bot.sentry.client import SentryClient
from bot.sentry.models import Member, Team
from bot.sentry.scope import cache_key

DIRECTORY_TTL = 300.0


class MemberService:
    """Members, teams and a member's team slugs, from Sentry through a Redis cache."""

    def __init__(self, client: SentryClient, store: Store) -> None:
        self.client = client
        self.store = store

    async def members(self) -> list[Member]:
        """Every (non-pending) member of the organisation."""
        raw = await self.store.cached(
            cache_key(self.store, self.client, "members"), DIRECTORY_TTL, self._load_members
        )
        return [Member.model_validate(m) for m in raw]

    async def _load_members(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        path = self.client.org_path("members")
        async for page in self.client.paginate(path, max_pages=50):
            for m in page.data or []:
                if m.get("pending"):
                    continue
                user = m.get("user") or {}
                out.append(
                    {
                        "id": str(m["id"]),
                        "email": (m.get("email") or user.get("email") or "").lower(),
                        "name": m.get("name") or user.get("name") or "",
                        "role": m.get("orgRole") or m.get("role") or "member",
                        "user": {"id": str(user["id"])} if user.get("id") else None,
                        "emails": [
                            e["email"].lower()
                            for e in user.get("emails") or []
                            if e.get("email") and e.get("is_verified", True)
                        ],
                    }
                )
        return out

    async def by_email(self, email: str) -> Member | None:
        """The member whose primary or verified email matches (case-insensitive)."""
        email = email.strip().lower()
        raw = await self.store.cached(
            cache_key(self.store, self.client, "members"), DIRECTORY_TTL, self._load_members
        )
        for m in raw:
            if m["email"] == email or email in m.get("emails", []):
                return Member.model_validate(m)
        return None

    async def by_id(self, member_id: str) -> Member | None:
        """The member with this member id, if present."""
        return next((m for m in await self.members() if m.id == member_id), None)

    async def teams_of(self, member_id: str) -> list[str]:
        """Team slugs the member belongs to (member detail, cached)."""

        async def load() -> list[str]:
            try:
                resp = await self.client.get(self.client.org_path("members", member_id))
            except SentryNotFound:
                return []
            return [str(t) for t in (resp.data or {}).get("teams") or []]

        key = cache_key(self.store, self.client, "member-teams", member_id)
        return await self.store.cached(key, DIRECTORY_TTL, load)

    async def teams(self) -> list[Team]:
        """Every team of the organisation."""

        async def load() -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            path = self.client.org_path("teams")
            async for page in self.client.paginate(path, params={"per_page": 100}, max_pages=20):
                for t in page.data or []:
                    out.append(
                        {
                            "id": str(t["id"]),
                            "slug": t["slug"],
                            "name": t.get("name", ""),
                            "memberCount": t.get("memberCount", 0),
                            "projects": [
                                {"id": str(p["id"]), "slug": p["slug"], "name": p.get("name", "")}
                                for p in t.get("projects") or []
                            ],
                        }
                    )
            return out

        raw = await self.store.cached(
            cache_key(self.store, self.client, "teams"), DIRECTORY_TTL, load
        )
        return [Team.model_validate(t) for t in raw]

    async def team_by_slug(self, slug: str) -> Team | None:
        """The team with this slug, if any."""
        slug = slug.lstrip("#").lower()
        return next((t for t in await self.teams() if t.slug == slug), None)
