"""Run a parsed Discover command: the table, a chart (PNG upload) or a CSV export."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.core import clock, errors, messages, mrkdwn
from bot.core.format import escape, plural
from bot.core.ids import Action
from bot.deps import Deps
from bot.discover.charts import render_timeseries
from bot.discover.export import MAX_ROWS, ExportProgress, export_csv
from bot.discover.parse import DiscoverCommand, DiscoverQuery
from bot.discover.sentry_api import Timeseries
from bot.discover.state import TableState, unpack
from bot.slack.channel_gone import CHANNEL_GONE
from handlers.context import CommandContext, Interaction, action_value, listener
from handlers.discover.table import bad_request_text, show_table, table_blocks
from handlers.error_replies import report

log = logging.getLogger(__name__)

# A response_url takes 5 messages in 30 minutes: start + 3 progress updates + the result.
PROGRESS_UPDATES = 3
PROGRESS_INTERVAL = 2.0  # seconds between progress updates
UPLOAD_ERRORS = CHANNEL_GONE | {"restricted_action"}
Say = Callable[[str], Awaitable[None]]


async def run(
    ctx: CommandContext, cmd: DiscoverCommand, *, title: str | None = None, post: bool = False
) -> None:
    """Do what a parsed command asks: export, or show the table (and a chart)."""
    state = TableState(q=cmd.query.to_text(), pub=cmd.public, t=title)
    if cmd.export:
        await export_from_command(ctx, state)
        return
    if not (cmd.chart and cmd.query.y_axis):
        shown = await show_table(ctx, state, post=post)
        if shown and cmd.chart:
            await send_chart(ctx, state)
        return
    # The chart's series does not depend on the table: ask Sentry for both at once.
    series = asyncio.ensure_future(ctx.deps.discover.timeseries(cmd.query))
    try:
        shown = await show_table(ctx, state, post=post)
    except BaseException:
        series.cancel()
        raise
    if not shown:
        series.cancel()
        with contextlib.suppress(BaseException):
            await series
        return
    await send_chart(ctx, state, fetching=series)


async def upload(ctx: CommandContext, *, file: bytes | str, filename: str, **kw: Any) -> bool:
    """Upload a file to the context's channel; False (and the user told) if Dexter can't."""
    try:
        await ctx.client.files_upload_v2(channel=ctx.channel_id, file=file, filename=filename, **kw)
    except SlackApiError as exc:
        if exc.response.get("error") in UPLOAD_ERRORS:
            await ctx.reply(text=messages.CANNOT_UPLOAD)
            return False
        raise
    return True


def chart_titles(q: DiscoverQuery) -> tuple[str, str]:
    """The chart's title (what is measured) and subtitle (where and when)."""
    groups = [g for g in q.group_by if g != "timestamp"]
    title = (q.y_axis or "count()") + (f" by {', '.join(groups)}" if groups else "")
    parts = [q.dataset, q.describe_time()]
    if groups:
        parts.append("top 5")
    if q.query:
        parts.append(q.query)
    if q.projects:
        parts.append("project " + ", ".join(q.projects))
    if q.environments:
        parts.append("env " + ", ".join(q.environments))
    return title, " · ".join(parts)


async def send_chart(
    ctx: CommandContext, state: TableState, *, fetching: Awaitable[Timeseries] | None = None
) -> None:
    """Chart the query's first aggregate over time and upload the PNG to the channel.

    `fetching`: the time series when it is already being fetched.
    """
    q = state.query()
    if not q.y_axis:
        await ctx.reply(text=messages.CHART_NEEDS_AGGREGATE)
        return
    try:
        series = await (fetching or ctx.deps.discover.timeseries(q))
    except errors.SentryBadRequest as exc:
        await ctx.reply(text=bad_request_text(q, exc))
        return
    if series.empty:
        await ctx.reply(text=mrkdwn.format(messages.CHART_EMPTY, what=escape(q.describe())))
        return
    title, subtitle = chart_titles(q)
    png = await asyncio.to_thread(render_timeseries, series, title=title, subtitle=subtitle)
    await upload(
        ctx,
        file=png,
        filename="dexter-chart.png",
        title=title[:250],
        alt_txt=f"Line chart of {title}, {subtitle}"[:1000],
        initial_comment=mrkdwn.truncate(
            mrkdwn.format("{} · *{}* · {}", mrkdwn.user(ctx.user_id), title, subtitle), 3000
        ),
    )


def throttled(
    update: Callable[[str], Awaitable[None]], cap: int
) -> Callable[[ExportProgress], Awaitable[None]]:
    """A progress callback that spends at most PROGRESS_UPDATES messages, spaced in time."""
    sent = 0
    last = float("-inf")

    async def progress(p: ExportProgress) -> None:
        nonlocal sent, last
        now = time.monotonic()
        if p.done or sent >= PROGRESS_UPDATES or now - last < PROGRESS_INTERVAL:
            return
        sent, last = sent + 1, now
        text = messages.EXPORT_PROGRESS.format(rows=f"{p.rows:,}", cap=f"{cap:,}")
        try:
            await update(text)
        except Exception:
            log.warning("could not show export progress", exc_info=True)

    return progress


async def _export(
    ctx: CommandContext,
    q: DiscoverQuery,
    update: Callable[[str], Awaitable[None]],
    finish: Say,
) -> None:
    try:
        result = await export_csv(ctx.deps.discover, q, progress=throttled(update, MAX_ROWS))
    except errors.SentryBadRequest as exc:
        await finish(bad_request_text(q, exc))
        return
    try:
        if result.rows == 0:
            await finish(messages.EXPORT_EMPTY)
            return
        done = messages.EXPORT_DONE.format(rows=plural(result.rows, "row"))
        if result.capped:
            done += messages.EXPORT_CAPPED.format(cap=f"{result.cap:,}")
        stamp = clock.now().strftime("%Y%m%d-%H%M")
        uploaded = await upload(
            ctx,
            file=str(result.path),
            filename=f"discover-{q.dataset}-{stamp}.csv",
            title=f"Discover export: {q.describe()}"[:250],
            initial_comment=mrkdwn.truncate(
                mrkdwn.format("{} exported {}\n{}", mrkdwn.user(ctx.user_id), q.describe(), done),
                3000,
            ),
        )
        await finish(done if uploaded else messages.CANNOT_UPLOAD)
    finally:
        result.path.unlink(missing_ok=True)


async def export_from_command(ctx: CommandContext, state: TableState) -> None:
    """`… export`: progress in the command's ephemeral answer, the CSV in the channel."""
    q = state.query()

    async def update(text: str) -> None:
        await ctx.reply(text=text, replace=True)

    await ctx.reply(text=messages.EXPORT_STARTED.format(cap=f"{MAX_ROWS:,}"))
    try:
        await _export(ctx, q, update, update)
    except Exception as exc:
        await report(exc, update)


async def export_from_button(ctx: CommandContext, state: TableState) -> None:
    """Export CSV button: progress shown under the table in place of its buttons."""
    q = state.query()
    page = await ctx.deps.discover.table(q, cursor=state.c)

    async def show(progress: str | None = None, note: str | None = None) -> None:
        blocks = await table_blocks(
            ctx.deps, state, page=page, progress=progress, notes=[note] if note else None
        )
        await ctx.reply(blocks, text=progress or note or "", public=state.pub, replace=True)

    async def update(text: str) -> None:
        await show(progress=text)

    async def finish(text: str) -> None:
        await show(note=text)

    await update(messages.EXPORT_STARTED.format(cap=f"{MAX_ROWS:,}"))
    try:
        await _export(ctx, q, update, finish)
    except Exception as exc:  # the table comes back, with what went wrong under it
        await report(exc, finish)


def table_listener(
    deps: Deps, work: Callable[[CommandContext, TableState], Awaitable[None]]
) -> Callable[..., Awaitable[None]]:
    """A listener for a button on a Discover table: ack, restore the table's state, work."""

    @listener(deps, "action")
    async def handle(ctx: Interaction) -> None:
        state = await unpack(deps.store, action_value(ctx.body))
        if state is None:
            await ctx.reply(text=messages.BUTTON_EXPIRED)
            return
        await work(ctx, state)

    return handle


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the Chart and Export CSV buttons."""
    app.action(Action.DISCOVER_CHART.value)(table_listener(deps, send_chart))
    app.action(Action.DISCOVER_EXPORT.value)(table_listener(deps, export_from_button))
