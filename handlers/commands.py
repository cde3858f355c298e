"""The `/dexter` slash command: ack at once, then dispatch by the sub-command table."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.commands import Dispatcher, Subcommand
from bot.deps import Deps
from bot.logs import new_correlation_id
from handlers.context import CommandContext
from handlers.errors import report

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


async def show_help(ctx: CommandContext, notice: str | None = None) -> None:
    """Reply with help generated from the dispatcher's own table."""
    dispatcher: Dispatcher = ctx.deps.extras["dispatcher"]
    blocks = ctx.deps.renderer.blocks("help", groups=dispatcher.groups(), notice=notice)
    await ctx.reply(blocks, text=notice or "Dexter commands")


def unescape_slack(text: str) -> str:
    """Undo Slack's escaping of what the user typed (`&gt;` → `>`); mentions stay `<@U…>`."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def register(app: AsyncApp, deps: Deps, dispatcher: Dispatcher) -> None:
    """Listen for `/dexter`."""
    deps.extras["dispatcher"] = dispatcher

    @app.command("/dexter")
    async def on_dexter(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        new_correlation_id()
        ctx = CommandContext(deps=deps, body=body, respond=respond, client=client)
        text = unescape_slack(str(body.get("text") or "")).strip()
        match = dispatcher.match(text)
        log.info("command %r from %s", (match.command.name if match else text[:20]), ctx.user_id)
        if match is None:
            notice = None
            if text:
                word = text.split()[0]
                notice = messages.UNKNOWN_COMMAND.format(word=word[:50])
                suggestion = dispatcher.suggest(text)
                if suggestion:
                    notice += " " + messages.DID_YOU_MEAN.format(suggestion=f"/dexter {suggestion}")
            await show_help(ctx, notice)
            return
        try:
            await match.command.handler(ctx, match.args)
        except Exception as exc:
            await report(exc, lambda m: ctx.reply(text=m))
