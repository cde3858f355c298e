"""`/dexter replays <issue>`, `/dexter replays search …` and the issue card's "Replays (N)"
button."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp

from bot.core import clock, errors, messages, mrkdwn
from bot.core.ids import Action
from bot.core.logs import redact
from bot.deps import Deps
from bot.discover.table import format_duration
from bot.replays.parse import REPLAY_SEARCH_USAGE, ReplaySearch, parse_replay_search
from bot.sentry.models import Issue
from bot.sentry.refs import REF_USAGE, parse_ref_argument
from bot.slack import blocks as block_kit
from bot.slack.card_hooks import CardButton, CardEnricher
from bot.slack.command_table import Subcommand
from bot.slack.render import fallback_text
from handlers.context import CommandContext, Interaction, action_value, listener

log = logging.getLogger(__name__)

REPLAYS_USAGE = "/dexter replays <id | SHORT-ID | issue URL>"
CARD_TIMEOUT = 2.0  # seconds an issue card waits for the replay count


def replay_duration(seconds: int | None) -> str:
    """`2.5 min` from seconds; `–` when unknown."""
    return "–" if seconds is None else format_duration(seconds * 1000)


async def replays_blocks(deps: Deps, issue: Issue) -> list[dict[str, Any]] | None:
    """The issue's replay count and most recent replays, or None when it has none."""
    found = await deps.replays.for_issue(issue)
    if not found.count and not found.replays:
        return None
    return deps.renderer.blocks(
        "replays/replays",
        issue=issue,
        count=found.count,
        replays=found.replays,
        now=clock.now(),
        duration=replay_duration,
    )


async def show_replays(ctx: CommandContext, issue_id: str) -> None:
    """Answer with the replays of one issue (`issue_id` may be a short id)."""
    issue = await ctx.deps.issues.get(issue_id)
    blocks = await replays_blocks(ctx.deps, issue)
    if blocks is None:
        await ctx.reply(text=messages.REPLAYS_NONE.format(issue=issue.short_id))
        return
    await ctx.reply(blocks, text=fallback_text(blocks))


async def replays_command(ctx: CommandContext, args: str) -> None:
    """How many replays an issue has, and the latest ones."""
    ref = parse_ref_argument(args, REPLAYS_USAGE)
    await show_replays(ctx, await ctx.deps.issues.path_id(ref))


class SearchPage(ReplaySearch):
    """The Next page button's value: the search, the cursor and the page number."""

    cursor: str
    page: int = 2


async def render_search(
    deps: Deps, search: ReplaySearch, *, cursor: str | None = None, page: int = 1
) -> list[dict[str, Any]]:
    """Fetch one page of a replay search and render it (paging as `/dexter issues` does)."""
    project_ids = await deps.projects.ids_for(list(search.projects))
    found = await deps.replays.search(
        search.query, period=search.period, project_ids=project_ids, sort=search.sort, cursor=cursor
    )
    next_value = None
    if found.next_cursor:
        state = SearchPage(**search.model_dump(), cursor=found.next_cursor, page=page + 1)
        next_value = block_kit.page_value(state)
    return deps.renderer.blocks(
        "replay_search",
        search=search,
        replays=found.replays,
        page=page,
        next_value=next_value,
        now=clock.now(),
        duration=replay_duration,
    )


def refused(exc: errors.SentryBadRequest) -> str:
    """What the user reads when Sentry refuses a replay search: Sentry's reason, escaped."""
    return mrkdwn.format(messages.REPLAY_SEARCH_REFUSED, detail=redact(exc.message))


async def replays_search_command(ctx: CommandContext, args: str) -> None:
    """Search the organisation's session replays."""
    search = parse_replay_search(args)
    try:
        blocks = await render_search(ctx.deps, search)
    except errors.SentryBadRequest as exc:
        await ctx.reply(text=refused(exc))
        return
    await ctx.reply(blocks, text=fallback_text(blocks))


async def card_button(deps: Deps, issue: Issue) -> list[CardButton]:
    """A "Replays (N)" button for the issue card when the issue has replays."""
    try:
        count = await asyncio.wait_for(deps.replays.cached_count(issue), CARD_TIMEOUT)
    except (TimeoutError, errors.DexterError) as exc:
        log.info("no replay count for issue %s: %s", issue.id, type(exc).__name__)
        return []
    if count <= 0:
        return []
    return [CardButton(label=f"Replays ({count})", action_id=Action.REPLAYS_SHOW, value=issue.id)]


COMMANDS = [
    Subcommand(
        name="replays",
        usage=REPLAYS_USAGE,
        summary=f"Session replays of an issue: how many, and the latest with links. "
        f"The issue may be {REF_USAGE}.",
        example="/dexter replays FRONTEND-3K",
        handler=replays_command,
        group="Replays",
    ),
    Subcommand(
        name="replays search",
        usage=REPLAY_SEARCH_USAGE,
        summary="Search session replays with Sentry's replay search (default: last 14 days, "
        "newest first), 10 per page: user, duration, errors, pages and a link.",
        example="/dexter replays search count_errors:>0 url:*checkout* last 7d sort:errors",
        handler=replays_search_command,
        group="Replays",
    ),
]


def card_enricher(deps: Deps) -> CardEnricher:
    """The issue card's "Replays (N)" button."""

    async def enrich(issue: Issue) -> list[CardButton]:
        return await card_button(deps, issue)

    return enrich


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the card's replays button."""

    @app.action(Action.REPLAYS_SHOW.value)
    @listener(deps, "action")
    async def on_show(ctx: Interaction) -> None:
        value = action_value(ctx.body) or ""
        if not value.isdigit():
            await ctx.reply(text=messages.BUTTON_EXPIRED)
            return
        await show_replays(ctx, value)

    @app.action(Action.REPLAYS_NEXT_PAGE.value)
    @listener(deps, "action")
    async def on_next_page(ctx: Interaction) -> None:
        try:
            state = SearchPage.model_validate_json(ctx.body["actions"][0]["value"])
        except (ValidationError, KeyError, IndexError, TypeError):
            await ctx.reply(text=messages.BUTTON_EXPIRED)
            return
        search = ReplaySearch(**state.model_dump(exclude={"cursor", "page"}))
        try:
            blocks = await render_search(deps, search, cursor=state.cursor, page=state.page)
        except errors.SentryBadRequest as exc:
            await ctx.reply(text=refused(exc))
            return
        await ctx.replace(blocks, text=fallback_text(blocks))
