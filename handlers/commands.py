"""The `/dexter` slash command: ack at once, then dispatch by the sub-command table."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot.core import messages, mrkdwn
from bot.core.format import escape
from bot.deps import Deps
from bot.slack.command_table import Dispatcher, Subcommand
from handlers.context import CommandContext, listener

log = logging.getLogger(__name__)


async def _help(ctx: CommandContext, args: str) -> None:
    await show_help(ctx)


COMMANDS = [
    Subcommand(
        name="help",
        usage="/dexter help",
        summary="Show every command with an example.",
        example="/dexter help",
        handler=_help,
        group="General",
    )
]


async def show_help(
    ctx: CommandContext,
    notice: str | None = None,
    only: tuple[str, list[Subcommand]] | None = None,
) -> None:
    """Reply with help generated from the dispatcher's own table (`only` one group of it)."""
    dispatcher = ctx.deps.dispatcher
    assert dispatcher is not None  # set by create_app before any listener
    groups = [only] if only else dispatcher.groups()
    blocks = ctx.deps.renderer.blocks(
        "commands/help", groups=groups, notice=notice, full=only is None
    )
    await ctx.reply(blocks, text=notice or "Dexter commands")


async def show_unknown(ctx: CommandContext, dispatcher: Dispatcher, text: str) -> None:
    """A group word (`alert`) lists its sub-commands; anything else gets help and a guess."""
    prefix, members = dispatcher.group(text)
    if members:
        shown = " ".join(text.split()[: len(prefix.split()) + 1])
        heading = (
            mrkdwn.format(messages.GROUP_NEEDS_SUB, group=escape(prefix))
            if shown.lower() == prefix
            else mrkdwn.format(
                messages.GROUP_UNKNOWN, text=escape(shown[:60]), group=escape(prefix)
            )
        )
        await show_help(ctx, heading, only=(members[0].group, members))
        return
    if not text:
        await show_help(ctx)
        return
    notice = mrkdwn.format(messages.UNKNOWN_COMMAND, word=text.split()[0][:50])
    suggestion = dispatcher.suggest(text)
    if suggestion:
        hint = mrkdwn.format(messages.DID_YOU_MEAN, suggestion=f"/dexter {suggestion}")
        notice = mrkdwn.join(" ", [notice, hint])
    await show_help(ctx, notice)


def unescape_slack(text: str) -> str:
    """Undo Slack's escaping of what the user typed (`&gt;` → `>`); mentions stay `<@U…>`."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def register(app: AsyncApp, deps: Deps, dispatcher: Dispatcher) -> None:
    """Listen for `/dexter`."""

    @app.command("/dexter")
    @listener(deps, "command", report_errors=False)  # help failing: the job is retried
    async def on_dexter(ctx: CommandContext) -> None:
        text = unescape_slack(str(ctx.body.get("text") or "")).strip()
        match = dispatcher.match(text)
        log.info("command %r from %s", (match.command.name if match else text[:20]), ctx.user_id)
        if match is None:
            await show_unknown(ctx, dispatcher, text)
            return
        try:
            await match.command.handler(ctx, match.args)
        except Exception as exc:
            await ctx.fail(exc)
