"""`/dexter discover save | run | list | delete`: saved queries per workspace."""

from __future__ import annotations

import logging

from bot.core import errors, messages, mrkdwn
from bot.core.grammar import tokenize
from bot.discover.parse import DiscoverCommand, parse_discover
from bot.discover.saved_queries import SAVE_USAGE, clean_name
from bot.slack.command_table import Subcommand
from handlers.context import CommandContext
from handlers.discover.run import run
from handlers.discover.table import bad_request_text

log = logging.getLogger(__name__)

RUN_USAGE = "/dexter discover run <name> [chart] [export] [public]"
DELETE_USAGE = "/dexter discover delete <name>"


async def save_command(ctx: CommandContext, args: str) -> None:
    """Save a query under a name for this workspace, once Sentry has run it."""
    name, _, text = args.strip().partition(" ")
    if not name or not text.strip():
        raise errors.UserError("Give a name and a query to save.", usage=SAVE_USAGE)
    clean_name(name)
    query = parse_discover(text).query
    # Sentry alone knows which fields and functions a dataset takes (they change with its
    # version and the organisation's features): ask it for one row, as `run` would.
    try:
        await ctx.deps.discover.table(query, per_page=1)
    except errors.SentryBadRequest as exc:
        await ctx.reply(text=mrkdwn.join("", [messages.SAVE_REFUSED, bad_request_text(query, exc)]))
        return
    saved = await ctx.deps.saved_queries.save(ctx.team_id, name, text, ctx.user_id)
    what = saved.query.describe()
    await ctx.reply(text=mrkdwn.format(messages.SAVED, name=saved.name, what=what))


async def run_command(ctx: CommandContext, args: str) -> None:
    """Run a saved query (`chart`, `export` and `public` work as with `discover`)."""
    words = tokenize(args)
    if not words:
        raise errors.UserError("Which saved query?", usage=RUN_USAGE)
    flags = {w.lower() for w in words[1:]}
    unknown = flags - {"chart", "export", "public"}
    if unknown:
        raise errors.UserError(f"Unknown option `{sorted(unknown)[0]}`.", usage=RUN_USAGE)
    saved = await ctx.deps.saved_queries.get(ctx.team_id, words[0])
    cmd = DiscoverCommand(
        query=saved.query,
        chart="chart" in flags,
        export="export" in flags,
        public="public" in flags,
    )
    await run(ctx, cmd, title=saved.name)


async def list_command(ctx: CommandContext, args: str) -> None:
    """List the workspace's saved queries."""
    saved = await ctx.deps.saved_queries.list(ctx.team_id)
    if not saved:
        await ctx.reply(text=messages.SAVED_NONE)
        return
    blocks = ctx.deps.renderer.blocks("discover/saved_queries", saved=saved)
    await ctx.reply(blocks, text=f"{len(saved)} saved queries")


async def delete_command(ctx: CommandContext, args: str) -> None:
    """Delete a saved query (its owner or an admin)."""
    words = args.split()
    if len(words) != 1:
        raise errors.UserError("Which saved query?", usage=DELETE_USAGE)
    name = clean_name(words[0])
    saved = await ctx.deps.saved_queries.get(ctx.team_id, name)
    admin = saved.owner != ctx.user_id and await ctx.is_admin()
    await ctx.deps.saved_queries.delete(ctx.team_id, name, ctx.user_id, is_admin=admin)
    await ctx.reply(text=messages.SAVED_DELETED.format(name=name))


COMMANDS = [
    Subcommand(
        name="discover save",
        usage=SAVE_USAGE,
        summary="Save a query for this workspace under a name.",
        example="/dexter discover save top-errors title, count() where level:error last 7d",
        handler=save_command,
        group="Discover",
    ),
    Subcommand(
        name="discover run",
        usage=RUN_USAGE,
        summary="Run a saved query.",
        example="/dexter discover run top-errors chart",
        handler=run_command,
        group="Discover",
    ),
    Subcommand(
        name="discover list",
        usage="/dexter discover list",
        summary="List this workspace's saved queries.",
        example="/dexter discover list",
        handler=list_command,
        group="Discover",
    ),
    Subcommand(
        name="discover delete",
        usage=DELETE_USAGE,
        summary="Delete a saved query (its owner or an admin).",
        example="/dexter discover delete top-errors",
        handler=delete_command,
        group="Discover",
    ),
]
