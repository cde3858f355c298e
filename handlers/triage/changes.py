"""`/dexter resolve | unresolve | ignore | assign | unassign <issue> …`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.core import errors, messages, mrkdwn
from bot.core.format import link, truncate
from bot.core.parse import split_args
from bot.sentry.refs import REF_USAGE, parse_issue_ref
from bot.slack.command_table import Subcommand
from bot.triage import cards
from bot.triage.parse import (
    ASSIGN_USAGE,
    IGNORE_USAGE,
    RESOLVE_USAGE,
    UNASSIGN_USAGE,
    UNRESOLVE_USAGE,
    Assign,
    AssigneeSpec,
    Unresolve,
    parse_assignee,
    parse_ignore,
    parse_resolve,
)
from bot.triage.service import Actor, AnyChange
from handlers.context import CommandContext

COMMAND_TTL = 600.0


@asynccontextmanager
async def usage_on_error(usage: str) -> AsyncIterator[None]:
    """Bad input and unknown issues answer with the command's usage line."""
    try:
        yield
    except errors.UserError as exc:
        if exc.usage:
            raise
        raise errors.UserError(exc.message, usage=usage) from None
    except errors.SentryNotFound as exc:
        raise errors.UserError(exc.message, usage=usage) from None


def actor(ctx: CommandContext) -> Actor:
    return Actor(team_id=ctx.team_id, slack_user_id=ctx.user_id)


async def first_command(ctx: CommandContext) -> bool:
    """False when Slack delivered this very command before (same trigger id)."""
    if not ctx.trigger_id:
        return True
    key = ctx.deps.store.key("command", ctx.trigger_id)
    try:
        return await ctx.deps.store.first_time(key, ttl=COMMAND_TTL)
    except errors.StateUnavailable:
        return True


def _split(args: str, usage: str) -> tuple[str, list[str]]:
    words = split_args(args)
    if not words:
        raise errors.UserError("Which issue? Give " + REF_USAGE + ".", usage=usage)
    return words[0], words[1:]


async def change_issue(ctx: CommandContext, ref_text: str, change: AnyChange) -> None:
    """Apply a change to one issue, refresh its cards and confirm to the user."""
    if not await first_command(ctx):
        return
    key = await ctx.deps.issues.path_id(parse_issue_ref(ref_text))
    outcome = await ctx.deps.triage.apply(actor(ctx), key, change)
    await cards.refresh(ctx.deps, ctx.client, outcome.issue.id)
    issue = outcome.issue
    label = mrkdwn.format(
        "{} {}", link(issue.permalink, issue.short_id), truncate(issue.title, 120)
    )
    await ctx.reply(text=mrkdwn.format(messages.CHANGED, what=outcome.what, issue=label))


async def resolve_command(ctx: CommandContext, args: str) -> None:
    """Resolve now, in the next release, in a release, or in the current release."""
    async with usage_on_error(RESOLVE_USAGE):
        ref, rest = _split(args, RESOLVE_USAGE)
        await change_issue(ctx, ref, parse_resolve(rest))


async def unresolve_command(ctx: CommandContext, args: str) -> None:
    """Reopen an issue."""
    async with usage_on_error(UNRESOLVE_USAGE):
        ref, rest = _split(args, UNRESOLVE_USAGE)
        if rest:
            raise errors.UserError(f"I don't understand `{' '.join(rest)}`.")
        await change_issue(ctx, ref, Unresolve())


async def ignore_command(ctx: CommandContext, args: str) -> None:
    """Ignore (archive) until escalating, for a while, until a condition, or forever."""
    async with usage_on_error(IGNORE_USAGE):
        ref, rest = _split(args, IGNORE_USAGE)
        await change_issue(ctx, ref, parse_ignore(rest))


async def assign_command(ctx: CommandContext, args: str) -> None:
    """Assign to me, a Slack user, a team or a member by email."""
    async with usage_on_error(ASSIGN_USAGE):
        ref, rest = _split(args, ASSIGN_USAGE)
        if not rest:
            raise errors.UserError("Assign to whom?")
        spec = parse_assignee(" ".join(rest))
        change: Assign = await ctx.deps.triage.assignee(actor(ctx), spec)
        await change_issue(ctx, ref, change)


async def unassign_command(ctx: CommandContext, args: str) -> None:
    """Remove the assignee."""
    async with usage_on_error(UNASSIGN_USAGE):
        ref, rest = _split(args, UNASSIGN_USAGE)
        if rest:
            raise errors.UserError(f"I don't understand `{' '.join(rest)}`.")
        await change_issue(
            ctx, ref, await ctx.deps.triage.assignee(actor(ctx), AssigneeSpec("none"))
        )


COMMANDS = [
    Subcommand(
        name="resolve",
        usage=RESOLVE_USAGE,
        summary="Resolve an issue now, in the next release, in a release, or in the current one.",
        example="/dexter resolve BACKEND-1A next",
        handler=resolve_command,
        group="Triage",
    ),
    Subcommand(
        name="unresolve",
        usage=UNRESOLVE_USAGE,
        summary="Reopen a resolved or ignored issue.",
        example="/dexter unresolve BACKEND-1A",
        handler=unresolve_command,
        aliases=("reopen", "unignore", "unarchive"),
        group="Triage",
    ),
    Subcommand(
        name="ignore",
        usage=IGNORE_USAGE,
        summary="Ignore (archive) an issue, by default until it escalates (30m, 2h, 1d, 1w …).",
        example="/dexter ignore BACKEND-1A until 100 events in 1h",
        handler=ignore_command,
        aliases=("archive",),
        group="Triage",
    ),
    Subcommand(
        name="assign",
        usage=ASSIGN_USAGE,
        summary="Assign an issue to yourself, a Slack user, a Sentry team or a member's email.",
        example="/dexter assign BACKEND-1A team:payments",
        handler=assign_command,
        group="Triage",
    ),
    Subcommand(
        name="unassign",
        usage=UNASSIGN_USAGE,
        summary="Remove an issue's assignee.",
        example="/dexter unassign BACKEND-1A",
        handler=unassign_command,
        group="Triage",
    ),
]
