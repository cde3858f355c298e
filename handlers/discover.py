"""`/dexter discover …`: run a query, page through it, chart it, export it, save it."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot.core.ids import Action
from bot.deps import Deps
from bot.discover.parse import DISCOVER_USAGE, parse_discover
from bot.discover.state import TableState
from bot.slack.command_table import Subcommand
from handlers import discover_modal, discover_run, discover_saved
from handlers.context import CommandContext
from handlers.discover_table import show_table

log = logging.getLogger(__name__)


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

    async def next_page(ctx: CommandContext, state: TableState) -> None:
        await show_table(ctx, state, replace=True)

    app.action(Action.DISCOVER_NEXT_PAGE.value)(discover_run.table_listener(deps, next_page))

    discover_run.register(app, deps)
    discover_modal.register(app, deps)
