"""`/dexter link`, `/dexter unlink`, `/dexter whoami`: who Dexter thinks you are in Sentry."""

from __future__ import annotations

import asyncio

from slack_bolt.async_app import AsyncApp

from bot.core import clock, errors, messages, mrkdwn
from bot.deps import Deps
from bot.slack.command_table import Subcommand
from bot.slack.identity_links import Identity
from bot.slack.permissions import ORG_WIDE_ROLES
from bot.triage.parse import AssigneeSpec, parse_assignee
from handlers.context import CommandContext

LINK_USAGE = "/dexter link [@user <sentry-email>]"
UNLINK_USAGE = "/dexter unlink [@user]"
WHOAMI_USAGE = "/dexter whoami"


def _slack_user(text: str, usage: str) -> str:
    spec: AssigneeSpec = parse_assignee(text)
    if spec.kind != "slack":
        raise errors.UserError(f"Mention the Slack user (`@ann`), not `{text}`.", usage=usage)
    return spec.value


async def _require_admin(ctx: CommandContext) -> None:
    if not await ctx.is_admin():
        raise errors.PermissionDenied(messages.LINK_ADMIN_ONLY)


async def link_command(ctx: CommandContext, args: str) -> None:
    """Link yourself by your verified Slack email, or (admins) link someone explicitly."""
    words = args.split()
    identity = ctx.deps.identity
    if not words:
        before = await identity.get(ctx.team_id, ctx.user_id)
        ident, why = await identity.link_by_email(ctx.team_id, ctx.user_id)
        if ident is None and before is not None:
            why = messages.LINK_KEPT.format(why=why, name=before.name, email=before.email)
        await ctx.reply(text=why)
        return
    if len(words) != 2:
        raise errors.UserError("Give the Slack user and their Sentry email.", usage=LINK_USAGE)
    user = _slack_user(words[0], LINK_USAGE)
    spec = parse_assignee(words[1])
    if spec.kind != "email":
        raise errors.UserError(f"`{words[1]}` is not an email address.", usage=LINK_USAGE)
    await _require_admin(ctx)
    member = await ctx.deps.members.by_email(spec.value)
    if member is None:
        raise errors.UserError(messages.UNKNOWN_EMAIL.format(email=spec.value), usage=LINK_USAGE)
    await identity.save(ctx.team_id, user, member, method="admin", by=ctx.user_id)
    text = mrkdwn.format(
        messages.LINKED_OTHER, user=user, name=member.name or member.email, email=member.email
    )
    await ctx.reply(text=text)


async def unlink_command(ctx: CommandContext, args: str) -> None:
    """Remove your link (admins: someone else's)."""
    words = args.split()
    if len(words) > 1:
        raise errors.UserError("Unlink whom?", usage=UNLINK_USAGE)
    user = _slack_user(words[0], UNLINK_USAGE) if words else ctx.user_id
    if user != ctx.user_id:
        await _require_admin(ctx)
    before = await ctx.deps.identity.get(ctx.team_id, user)
    await ctx.deps.identity.unlink(ctx.team_id, user)
    if before is None:
        await ctx.reply(text=messages.WAS_NOT_LINKED)
    elif user == ctx.user_id:
        await ctx.reply(text=messages.UNLINKED.format(email=before.email))
    else:
        await ctx.reply(text=mrkdwn.format(messages.UNLINKED_OTHER, user=user, email=before.email))


async def whoami_command(ctx: CommandContext, args: str) -> None:
    """Show your link, your Sentry role and teams, and what the policy lets you change."""
    deps = ctx.deps
    ident = await deps.identity.get(ctx.team_id, ctx.user_id)
    if ident is None:
        why = messages.LINK_OPTED_OUT
        if not await deps.identity.opted_out(ctx.team_id, ctx.user_id):
            ident, why = await deps.identity.link_by_email(ctx.team_id, ctx.user_id)
        if ident is None:
            await ctx.reply(text=messages.WHOAMI_NOT_LINKED.format(why=why))
            return
    blocks = deps.renderer.blocks("identity/whoami", **await _whoami_context(deps, ident))
    await ctx.reply(blocks, text=f"You are linked to {ident.email}")


async def _whoami_context(deps: Deps, ident: Identity) -> dict[str, object]:
    member = await deps.members.by_id(ident.member_id)
    teams: list[str] = []
    projects: list[str] = []
    if member and deps.policy.mode == "team" and member.role not in ORG_WIDE_ROLES:
        # the member's teams and the projects they own: two questions asked at once
        teams, every = await asyncio.gather(
            deps.members.teams_of(ident.member_id), deps.projects.all()
        )
        projects = sorted(p.slug for p in every if {t.slug for t in p.teams} & set(teams))
    elif member:
        teams = await deps.members.teams_of(ident.member_id)
    return {
        "ident": ident,
        "member": member,
        "teams": teams,
        "mode": deps.policy.mode,
        "projects": projects,
        "now": clock.now(),
    }


COMMANDS = [
    Subcommand(
        name="link",
        usage=LINK_USAGE,
        summary="Link your Slack account to your Sentry account by your verified email. "
        "Admins: link someone explicitly.",
        example="/dexter link",
        handler=link_command,
        group="Identity",
    ),
    Subcommand(
        name="unlink",
        usage=UNLINK_USAGE,
        summary="Remove your link (admins: someone else's).",
        example="/dexter unlink",
        handler=unlink_command,
        group="Identity",
    ),
    Subcommand(
        name="whoami",
        usage=WHOAMI_USAGE,
        summary="Show your Sentry account, role and teams, and what you may change.",
        example="/dexter whoami",
        handler=whoami_command,
        group="Identity",
    ),
]


def register(app: AsyncApp, deps: Deps) -> None:
    """Commands only."""
