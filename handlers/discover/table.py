"""Render a page of a Discover query as a table message with its buttons."""

from __future__ import annotations

from typing import Any

from bot.core import errors, messages, mrkdwn
from bot.core.format import escape
from bot.deps import Deps
from bot.discover.parse import DISCOVER_USAGE, DiscoverQuery, explain_bad_request
from bot.discover.sentry_api import TablePage
from bot.discover.state import TableState, pack
from bot.discover.table import layout
from bot.slack.render import fallback_text
from handlers.context import CommandContext


def bad_request_text(q: DiscoverQuery, exc: errors.SentryBadRequest) -> mrkdwn.Mrkdwn:
    """Sentry's 400 with the part of the query it is about and a hint."""
    offending, hint = explain_bad_request(q, exc.message)
    lines: list[str] = [mrkdwn.format(messages.DISCOVER_BAD_REQUEST, detail=exc.message)]
    if offending:
        lines.append(mrkdwn.format(messages.DISCOVER_OFFENDING, part=escape(offending)))
    lines.append(hint)  # Dexter's own words (bot/discover/parse.py), escaped by the join
    lines.append(mrkdwn.format(messages.USAGE, usage=DISCOVER_USAGE))
    return mrkdwn.join("\n", lines)


async def table_blocks(
    deps: Deps,
    state: TableState,
    *,
    page: TablePage | None = None,
    progress: str | None = None,
    notes: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Fetch (unless given) and render one page of the state's query with its buttons."""
    q = state.query()
    page = page or await deps.discover.table(q, cursor=state.c)
    next_value = None
    if page.next_cursor:
        next_state = state.model_copy(update={"c": page.next_cursor, "p": state.p + 1})
        next_value = await pack(deps.store, next_state)
    chart_value = None
    if q.y_axis:
        chart_value = await pack(deps.store, TableState(q=state.q, pub=state.pub, t=state.t))
    return deps.renderer.blocks(
        "discover/discover_table",
        title=f"Saved query `{state.t}`" if state.t else "Discover",
        description=q.describe(),
        page=state.p,
        table=layout(page.columns, page.rows),
        rows=len(page.rows),
        has_more=bool(page.next_cursor),
        next_value=next_value,
        chart_value=chart_value,
        export_value=await pack(deps.store, state),
        progress=progress,
        notes=notes or [],
        empty_text=messages.DISCOVER_EMPTY,
    )


async def show_table(
    ctx: CommandContext, state: TableState, *, replace: bool = False, post: bool = False
) -> bool:
    """Answer with a page of the query; a Sentry 400 is explained. True when shown."""
    try:
        blocks = await table_blocks(ctx.deps, state)
    except errors.SentryBadRequest as exc:
        await ctx.reply(text=bad_request_text(state.query(), exc))
        return False
    if post:
        await ctx.post(blocks, text=fallback_text(blocks))
    else:
        await ctx.reply(blocks, text=fallback_text(blocks), public=state.pub, replace=replace)
    return True
