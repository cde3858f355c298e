"""A team's members, projects and the open issues assigned to it."""

from __future__ import annotations

import asyncio
import contextlib
import difflib
from dataclasses import dataclass
from urllib.parse import quote

from bot.core.errors import UserError
from bot.sentry.client import SentryClient
from bot.sentry.issues import IssueQuery, IssueService
from bot.sentry.members import MemberService
from bot.sentry.models import Issue, Member, ProjectRef, Team
from bot.sentry.projects import ProjectService


@dataclass(frozen=True, slots=True)
class TeamOverview:
    team: Team
    members: list[Member]
    projects: list[ProjectRef]
    assigned: list[Issue]
    assigned_more: bool


class TeamService:
    """Reads for `/dexter teams` and `/dexter team <slug>`."""

    def __init__(
        self,
        client: SentryClient,
        members: MemberService,
        projects: ProjectService,
        issues: IssueService,
    ) -> None:
        self.client = client
        self.members = members
        self.projects = projects
        self.issues = issues

    async def require(self, slug: str) -> Team:
        """The team with this slug, or UserError naming the closest ones."""
        team = await self.members.team_by_slug(slug)
        if team is not None:
            return team
        close = difflib.get_close_matches(
            slug.lstrip("#").lower(), [t.slug for t in await self.members.teams()], n=3
        )
        hint = f" Did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
        raise UserError(f"There is no team `{slug}` in this organization.{hint}")

    async def projects_of(self, team: Team) -> list[ProjectRef]:
        """The projects a team owns (from the project list, else the team's own list)."""
        owned = [
            ProjectRef(id=p.id, slug=p.slug, name=p.name)
            for p in await self.projects.all()
            if any(t.slug == team.slug for t in p.teams)
        ]
        return owned or list(team.projects)

    async def overview(self, slug: str, *, issues: int = 10) -> TeamOverview:
        """Members, projects and open issues assigned to the team, all asked for at once."""
        slug = slug.lstrip("#").lower()
        team_t = asyncio.ensure_future(self.require(slug))
        rest = asyncio.gather(
            self._members(slug),
            self.issues.search(
                IssueQuery(query=f"is:unresolved assigned:#{slug}", sort="freq"), limit=issues
            ),
            self.projects.all(),
        )
        try:
            team = await team_t
        except BaseException:
            rest.cancel()
            with contextlib.suppress(BaseException):
                await rest  # an unknown team makes the others fail too: the name error wins
            raise
        members, page, _ = await rest
        return TeamOverview(
            team=team,
            members=members,
            projects=await self.projects_of(team),
            assigned=page.issues,
            assigned_more=page.next_cursor is not None,
        )

    async def _members(self, slug: str) -> list[Member]:
        members: list[Member] = []
        # the slug is what the user typed: one escaped path segment, never `../`
        path = f"teams/{self.client.org}/{quote(slug, safe='')}/members/"
        async for resp in self.client.paginate(path, max_pages=5):
            for m in resp.data or []:
                user = m.get("user") or {}
                members.append(
                    Member(
                        id=str(m.get("id") or user.get("id") or ""),
                        email=m.get("email") or user.get("email") or "",
                        name=m.get("name") or user.get("name") or "",
                        role=m.get("teamRole") or m.get("role") or "member",
                        pending=bool(m.get("pending")),
                    )
                )
        return members
