"""`/dexter discover …`: run a query, page through it, chart it, export it, save it. The
listeners of bot/discover/:

- run.py: a query run and answered (table, chart, CSV export), the table's buttons;
- table.py: a page of results as a table message;
- modal.py: the query builder (`/dexter discover` alone);
- saved.py: `/dexter discover save | run | list | delete`, saved queries.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.core.ids import Action
from bot.deps import Deps
from bot.discover.parse import DISCOVER_USAGE, parse_discover
from bot.discover.state import TableState
from bot.slack.command_table import Subcommand
from handlers.context import CommandContext
from handlers.discover import modal, run, saved
from handlers.discover.table import show_table


async def discover_command(ctx: CommandContext, args: str) -> None:
    """Run a query, or open the query builder when there is none."""
    if not args.strip():
        await modal.open_builder(ctx)
        return
    await run.run(ctx, parse_discover(args))


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
    *saved.COMMANDS,
]


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the table's buttons and the builder modal."""

    async def next_page(ctx: CommandContext, state: TableState) -> None:
        await show_table(ctx, state, replace=True)

    app.action(Action.DISCOVER_NEXT_PAGE.value)(run.table_listener(deps, next_page))

    run.register(app, deps)
    modal.register(app, deps)
