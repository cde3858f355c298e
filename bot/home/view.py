"""App Home: a personal dashboard (my issues, my teams' top issues, my digests), as a view.

Published by the Home listener and, after a digest button pressed inside Home, by the digest
listener: both call `Home.publish` on the one `Home` bot/services.py built, so neither handler
imports the other."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import DexterError
from bot.digests.manage import sub_rows
from bot.digests.sender import slack_date
from bot.sentry.issues import IssueQuery
from bot.sentry.models import Issue
from bot.slack.identity_links import Identity

if TYPE_CHECKING:
    from bot.digests.subscriptions import DigestStore
    from bot.sentry.issues import IssueService
    from bot.sentry.members import MemberService
    from bot.sentry.projects import ProjectService
    from bot.slack.identity_links import IdentityService
    from bot.slack.render import Renderer

# The text a user reads for an error (handlers/error_replies.py `describe`), passed in by the
# listener so this feature module does not import the handlers.
Describe = Callable[[BaseException], str]

MAX_TEAMS = 3
MAX_TEAM_PROJECTS = 20
HOME_ISSUES = 5
MAX_SUBS = 20


class Home:
    """Builds and publishes the Home tab from the Sentry services and the user's digests."""

    def __init__(
        self,
        *,
        identity: IdentityService,
        issues: IssueService,
        members: MemberService,
        projects: ProjectService,
        digests: DigestStore,
        renderer: Renderer,
    ) -> None:
        self.identity = identity
        self.issues = issues
        self.members = members
        self.projects = projects
        self.digests = digests
        self.renderer = renderer

    async def _issues(
        self, query: IssueQuery, describe: Describe
    ) -> tuple[list[Issue], str | None]:
        try:
            page = await self.issues.search(query, limit=HOME_ISSUES)
        except DexterError as exc:
            return [], describe(exc)
        return page.issues, None

    async def _teams(self, ident: Identity, describe: Describe) -> list[dict[str, Any]]:
        try:
            slugs = sorted(await self.members.teams_of(ident.member_id))[:MAX_TEAMS]
            projects = await self.projects.all()
        except DexterError as exc:
            return [{"slug": "your teams", "issues": [], "error": describe(exc)}]
        out: list[dict[str, Any]] = []
        for slug in slugs:
            owned = [p.slug for p in projects if any(t.slug == slug for t in p.teams)]
            if not owned:
                out.append({"slug": slug, "issues": [], "error": None})
                continue
            query = IssueQuery(
                query="is:unresolved", sort="freq", projects=tuple(owned[:MAX_TEAM_PROJECTS])
            )
            issues, error = await self._issues(query, describe)
            out.append({"slug": slug, "issues": issues, "error": error})
        return out

    async def view(
        self, team_id: str, user_id: str, *, describe: Describe, notice: str | None = None
    ) -> dict[str, Any]:
        """The Home tab for one user."""
        ident: Identity | None = None
        problem: str | None = None
        try:
            ident = await self.identity.resolve(team_id, user_id)
        except DexterError as exc:
            problem = describe(exc)
        assigned: list[Issue] = []
        assigned_error: str | None = None
        teams: list[dict[str, Any]] = []
        if ident is not None:
            # An org token cannot search `assigned:me`; the linked email names the person.
            query = IssueQuery(query=f"is:unresolved assigned:{ident.email}", sort="date")
            assigned, assigned_error = await self._issues(query, describe)
            teams = await self._teams(ident, describe)
        subs: list[dict[str, Any]] = []
        total = 0
        try:
            mine = await self.digests.owned_by(team_id, user_id)
            total = len(mine)
            subs = await sub_rows(self.digests, mine[:MAX_SUBS])
        except DexterError as exc:
            problem = problem or describe(exc)
        return self.renderer.view(
            "home/home",
            notice=notice,
            problem=problem,
            ident=ident,
            assigned=assigned,
            assigned_error=assigned_error,
            teams=teams,
            subs=subs,
            more_subs=max(0, total - MAX_SUBS),
            when=slack_date,
        )

    async def publish(
        self,
        client: AsyncWebClient,
        team_id: str,
        user_id: str,
        *,
        describe: Describe,
        notice: str | None = None,
    ) -> None:
        """Render and publish the Home tab (views.publish)."""
        view = await self.view(team_id, user_id, describe=describe, notice=notice)
        await client.views_publish(user_id=user_id, view=view)
