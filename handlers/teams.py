"""`/dexter teams`, `/dexter team <slug>` and its Subscribe this channel button."""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.async_app import AsyncApp

from bot.core.errors import UserError
from bot.core.ids import Action
from bot.deps import Deps
from bot.digests.manage import subscribe, user_tz
from bot.digests.parse import Target
from bot.digests.schedule import Schedule
from bot.slack.command_table import Subcommand
from handlers.context import CommandContext, Interaction, listener

log = logging.getLogger(__name__)

TEAM_USAGE = "/dexter team <slug>"


async def teams_command(ctx: CommandContext, args: str) -> None:
    """List the organization's teams with member and project counts."""
    deps = ctx.deps
    service = deps.teams
    found, _ = await asyncio.gather(deps.members.teams(), deps.projects.all())  # both at once
    teams = sorted(found, key=lambda t: t.slug)
    rows = [{"team": t, "projects": len(await service.projects_of(t))} for t in teams]
    blocks = deps.renderer.blocks("teams/teams", rows=rows, org=deps.sentry.org)
    await ctx.reply(blocks, text=f"{len(teams)} teams")


async def team_command(ctx: CommandContext, args: str) -> None:
    """Show one team: members, projects, open issues assigned to it."""
    slug = args.strip().split()[0] if args.strip() else ""
    if not slug:
        raise UserError("Which team?", usage=TEAM_USAGE)
    overview = await ctx.deps.teams.overview(slug)
    blocks = ctx.deps.renderer.blocks("teams/team", o=overview)
    await ctx.reply(blocks, text=f"Team #{overview.team.slug}")


COMMANDS = [
    Subcommand(
        name="teams",
        usage="/dexter teams",
        summary="The organization's teams with member and project counts.",
        example="/dexter teams",
        handler=teams_command,
        group="Teams",
    ),
    Subcommand(
        name="team",
        usage=TEAM_USAGE,
        summary="A team's members, projects and open issues, with a button to subscribe "
        "the channel to its digest.",
        example="/dexter team backend",
        handler=team_command,
        group="Teams",
    ),
]


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for Subscribe this channel."""

    @app.action(Action.DIGEST_SUBSCRIBE_TEAM.value)
    @listener(deps, "action")
    async def on_subscribe(ctx: Interaction) -> None:
        slug = str(ctx.body["actions"][0].get("value") or "")
        tz = await user_tz(deps.slack_users, ctx.team_id, ctx.user_id)
        text = await subscribe(
            deps.digests,
            deps.saved_queries,
            ctx.client,
            team_id=ctx.team_id,
            user_id=ctx.user_id,
            channel_id=ctx.channel_id,
            target=Target(team=slug),
            schedule=Schedule(tz=tz),
        )
        await ctx.responder(text=text, response_type="ephemeral", replace_original=False)
