"""App Home: a personal dashboard (my issues, my teams' top issues, my digests)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import DexterError
from bot.core.logs import new_correlation_id
from bot.deps import Deps
from bot.digests.sender import slack_date
from bot.sentry.issues import IssueQuery
from bot.sentry.models import Issue
from bot.slack.identity_links import Identity
from handlers.error_replies import describe

log = logging.getLogger(__name__)

MAX_TEAMS = 3
MAX_TEAM_PROJECTS = 20
HOME_ISSUES = 5
MAX_SUBS = 20


async def _issues(deps: Deps, query: IssueQuery) -> tuple[list[Issue], str | None]:
    try:
        page = await deps.issues.search(query, limit=HOME_ISSUES)
    except DexterError as exc:
        return [], describe(exc)
    return page.issues, None


async def _teams(deps: Deps, ident: Identity) -> list[dict[str, Any]]:
    try:
        slugs = sorted(await deps.members.teams_of(ident.member_id))[:MAX_TEAMS]
        projects = await deps.projects.all()
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
        issues, error = await _issues(deps, query)
        out.append({"slug": slug, "issues": issues, "error": error})
    return out


async def home_view(
    deps: Deps, team_id: str, user_id: str, notice: str | None = None
) -> dict[str, Any]:
    """The Home tab for one user."""
    from bot.digests.feature import feature
    from handlers.digests import sub_rows

    ident: Identity | None = None
    problem: str | None = None
    try:
        ident = await deps.identity.resolve(team_id, user_id)
    except DexterError as exc:
        problem = describe(exc)
    assigned: list[Issue] = []
    assigned_error: str | None = None
    teams: list[dict[str, Any]] = []
    if ident is not None:
        # An org token cannot search `assigned:me`; the linked email names the person.
        query = IssueQuery(query=f"is:unresolved assigned:{ident.email}", sort="date")
        assigned, assigned_error = await _issues(deps, query)
        teams = await _teams(deps, ident)
    subs: list[dict[str, Any]] = []
    total = 0
    try:
        mine = await feature(deps).store.owned_by(team_id, user_id)
        total = len(mine)
        subs = await sub_rows(deps, mine[:MAX_SUBS])
    except DexterError as exc:
        problem = problem or describe(exc)
    return deps.renderer.view(
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
    deps: Deps, client: AsyncWebClient, team_id: str, user_id: str, *, notice: str | None = None
) -> None:
    """Render and publish the Home tab (views.publish)."""
    view = await home_view(deps, team_id, user_id, notice)
    await client.views_publish(user_id=user_id, view=view)


def register(app: AsyncApp, deps: Deps) -> None:
    """Publish Home whenever a user opens it."""

    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        new_correlation_id()
        team_id = str(body.get("team_id") or "")
        user_id = str(event.get("user") or "")
        try:
            await publish(deps, client, team_id, user_id)
        except Exception:
            log.exception("could not publish App Home for %s", user_id)
