"""`/dexter event`, the card's "Stack trace" button, and the event view's buttons."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import messages, mrkdwn
from bot.core.ids import Action
from bot.core.logs import new_correlation_id
from bot.deps import Deps
from bot.events import texts
from bot.events.parse import EVENT_USAGE, EventTarget, parse_button_value, parse_event_command
from bot.events.service import EventService
from bot.events.view import event_view, tags_view
from bot.sentry.models import Issue
from bot.sentry.refs import REF_USAGE
from bot.slack.card_hooks import CardButton
from bot.slack.command_table import Subcommand
from handlers.context import CommandContext
from handlers.error_replies import report

log = logging.getLogger(__name__)

ACTIONS = {
    "older": Action.EVENT_OLDER.value,
    "newer": Action.EVENT_NEWER.value,
    "tags": Action.EVENT_TAGS.value,
    "show": Action.EVENT_SHOW.value,
    "open": Action.OPEN_EVENT.value,
}


def service(deps: Deps) -> EventService:
    """The event reads, built once per process on the shared Sentry client."""
    return deps.events


async def render(deps: Deps, target: EventTarget) -> tuple[list[dict[str, Any]], str]:
    """The event view, or the tags view, of what the target names, and its notification text
    (the issue's short id only: nothing from the event reaches a notification)."""
    events = service(deps)
    if target.tags:
        tags = await events.tags(target)
        if not tags.tags:
            return [], mrkdwn.format(texts.NO_TAGS, issue=tags.issue.short_id)
        tags_shown = tags_view(tags, events.api)
        blocks = deps.renderer.blocks("events/tags", view=tags_shown, texts=texts, actions=ACTIONS)
        return blocks, mrkdwn.format(texts.TAGS_TEXT, issue=tags.issue.short_id)
    page = await events.event(target)
    view = event_view(page, events.api, datetime.now(UTC))
    blocks = deps.renderer.blocks("events/event", view=view, texts=texts, actions=ACTIONS)
    return blocks, mrkdwn.format(texts.EVENT_TEXT, issue=page.issue.short_id)


async def show(ctx: CommandContext, target: EventTarget, *, replace: bool = False) -> None:
    """Answer with the view; `replace` puts it in place of the clicked message."""
    blocks, text = await render(ctx.deps, target)
    await ctx.reply(blocks or None, text=text, replace=replace and bool(blocks))


async def event_command(ctx: CommandContext, args: str) -> None:
    """One event of an issue: its stack trace, breadcrumbs, request and tags."""
    await show(ctx, parse_event_command(args))


COMMANDS = [
    Subcommand(
        name="event",
        usage=EVENT_USAGE,
        summary="An issue's event: the exception chain (your frames first), the last "
        "breadcrumbs, the request and the tags, with buttons to older and newer events; "
        f"`tags` shows the issue's top tag values. The issue may be {REF_USAGE}.",
        example="/dexter event BACKEND-1A oldest",
        handler=event_command,
        group="Issues",
    )
]


def action_context(
    deps: Deps, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
) -> CommandContext:
    """Who clicked where, so a click answers the way a command does."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id", ""
    )
    user = body.get("user") or {}
    flat = {
        "user_id": user.get("id", ""),
        "channel_id": channel,
        "team_id": (body.get("team") or {}).get("id", "") or user.get("team_id", ""),
    }
    return CommandContext(deps=deps, body=flat, respond=respond, client=client)


def clicked_value(body: dict[str, Any]) -> str | None:
    """The clicked button's value."""
    value = (body.get("actions") or [{}])[0].get("value")
    return value if isinstance(value, str) else None


async def card_button(issue: Issue) -> list[CardButton]:
    """The issue card's "Stack trace" button (the card shows the latest event)."""
    return [
        CardButton(label=texts.STACK_TRACE, action_id=Action.EVENT_SHOW, value=f"{issue.id}|latest")
    ]


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the event view's buttons (the card's button is `card_button`)."""

    def listener(replace: bool) -> Any:
        async def on_click(
            ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
        ) -> None:
            await ack()
            new_correlation_id()
            ctx = action_context(deps, body, respond, client)
            target = parse_button_value(clicked_value(body))
            try:
                if target is None:
                    await ctx.reply(text=messages.BUTTON_EXPIRED)
                    return
                await show(ctx, target, replace=replace)
            except Exception as exc:
                await report(exc, lambda m: ctx.reply(text=m))

        return on_click

    # Stepping replaces the view in place; the card's button and Tags answer beside it.
    app.action(Action.EVENT_OLDER.value)(listener(replace=True))
    app.action(Action.EVENT_NEWER.value)(listener(replace=True))
    app.action(Action.EVENT_SHOW.value)(listener(replace=False))
    app.action(Action.EVENT_TAGS.value)(listener(replace=False))

    @app.action(Action.OPEN_EVENT.value)
    async def on_open(ack: AsyncAck) -> None:
        await ack()  # a link button still sends an action
