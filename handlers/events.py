"""`/dexter event`, the card's "Stack trace" button, and the event view's buttons."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.core import clock, messages, mrkdwn
from bot.core.ids import Action
from bot.deps import Deps
from bot.events import texts
from bot.events.parse import EVENT_USAGE, EventTarget, parse_button_value, parse_event_command
from bot.events.service import EventService
from bot.events.view import event_view, tags_view
from bot.sentry.models import Issue
from bot.sentry.refs import REF_USAGE
from bot.slack.card_hooks import CardButton
from bot.slack.command_table import Subcommand
from handlers.context import CommandContext, Interaction, action_value, listener

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
    view = event_view(page, events.api, clock.now())
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


async def card_button(issue: Issue) -> list[CardButton]:
    """The issue card's "Stack trace" button (the card shows the latest event)."""
    return [
        CardButton(label=texts.STACK_TRACE, action_id=Action.EVENT_SHOW, value=f"{issue.id}|latest")
    ]


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the event view's buttons (the card's button is `card_button`)."""

    def on_click(replace: bool) -> Any:
        @listener(deps, "action")
        async def on_click(ctx: Interaction) -> None:
            target = parse_button_value(action_value(ctx.body))
            if target is None:
                await ctx.reply(text=messages.BUTTON_EXPIRED)
                return
            await show(ctx, target, replace=replace)

        return on_click

    # Stepping replaces the view in place; the card's button and Tags answer beside it.
    app.action(Action.EVENT_OLDER.value)(on_click(replace=True))
    app.action(Action.EVENT_NEWER.value)(on_click(replace=True))
    app.action(Action.EVENT_SHOW.value)(on_click(replace=False))
    app.action(Action.EVENT_TAGS.value)(on_click(replace=False))

    @app.action(Action.OPEN_EVENT.value)
    @listener(deps, "action")
    async def on_open(ctx: Interaction) -> None:
        """A link button still sends an action."""
