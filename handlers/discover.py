"""`/dexter discover …`: run a query, page through it, chart it, export it, save it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.commands import Subcommand
from bot.deps import Deps
from bot.discover_query import DISCOVER_USAGE, parse_discover
from bot.ids import Action
from bot.logs import new_correlation_id
from bot.saved_queries import run_saved
from handlers import discover_modal, discover_run, discover_saved
from handlers.context import CommandContext
from handlers.discover_state import action_context, action_value, unpack
from handlers.discover_table import show_table
from handlers.errors import report

log = logging.getLogger(__name__)

DIGEST_ROWS = 10


async def discover_command(ctx: CommandContext, args: str) -> None:
    """Run a query, or open the query builder when there is none."""
    if not args.strip():
        await discover_modal.open_builder(ctx)
        return
    await discover_run.run(ctx, parse_discover(args))


COMMANDS = [
    Subcommand(
        name="discover",
        usage=DISCOVER_USAGE,
        summary="Query events as a table (default `errors`, last 24h); alone it opens a builder. "
        "`chart` adds a chart, `export` a CSV.",
        example="/dexter discover title, count(), count_unique(user) where level:error "
        "sort -count() last 24h",
        handler=discover_command,
        group="Discover",
    ),
    *discover_saved.COMMANDS,
]


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the table's buttons and the builder modal."""

    async def saved_rows(team_id: str, name: str) -> list[dict[str, Any]]:
        # Digests include a subscribed saved query's first rows.
        return (await run_saved(deps, team_id, name, per_page=DIGEST_ROWS)).page.rows

    deps.extras["saved_query_runner"] = saved_rows

    @app.action(Action.DISCOVER_NEXT_PAGE.value)
    async def on_next_page(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        new_correlation_id()
        ctx = action_context(deps, body, respond, client)
        try:
            state = await unpack(deps.store, action_value(body))
            if state is None:
                await ctx.reply(text=messages.BUTTON_EXPIRED)
                return
            await show_table(ctx, state, replace=True)
        except Exception as exc:
            await report(exc, lambda m: ctx.reply(text=m))

    discover_run.register(app, deps)
    discover_modal.register(app, deps)
