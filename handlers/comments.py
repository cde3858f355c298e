"""Comments from Slack to Sentry: the card's Comment button (a modal), thread replies in
channels that opted in (`/dexter comments on|off`). The Sentry → Slack half is the `comment`
webhook (bot/webhooks/comments.py, registered in handlers/webhooks.py)."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from pydantic import BaseModel
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import errors, mrkdwn
from bot.core import format as fmt
from bot.core.ids import Action, BlockId, Callback
from bot.deps import Deps
from bot.slack.channel_rights import may_manage
from bot.slack.command_table import Subcommand
from bot.slack.incoming import mentioned_users, typed_text
from bot.slack.sealed import seal_model, unseal_model
from bot.webhooks.comments import POSTED_FROM_MODAL, opted_in, set_opt_in
from handlers.context import CommandContext, Interaction, listener
from handlers.error_replies import describe

log = logging.getLogger(__name__)

COMMENTS_USAGE = "/dexter comments on|off"
COMMENTS_ON = (
    "<@{user}> turned on comments from this channel: replies in the thread of an issue card "
    "are posted to the issue in Sentry, with the author's Slack name."
)
COMMENTS_OFF = "Replies in card threads here are no longer posted to Sentry."
COMMENTS_STATE = "Replies in card threads here are {state} posted to Sentry. " + COMMENTS_USAGE
COMMENTS_NOT_ALLOWED = (
    "Only the channel's manager or a workspace admin (or whoever turned it on) may change this."
)
COMMENT_NEEDS_LINK = (
    "Your comment was not posted: link your Sentry account first (`/dexter link`), "
    "so Dexter knows you are a member of the organization."
)
COMMENT_NOT_MEMBER = "Your comment was not posted: you are not a member of the Sentry organization."
COMMENT_FAILED = "Your comment was not posted: {why}"
EXPIRED_FORM = "That form has expired; click Comment on the card again."


class CommentForm(BaseModel):
    """The Comment modal's sealed metadata: which issue, and which card's thread to answer in."""

    issue_id: str
    channel: str
    ts: str


async def _author(deps: Deps, team_id: str, user_id: str) -> str | None:
    """The Slack user's name when they are linked to a member of the organization, else None."""
    ident = await deps.identity.resolve(team_id, user_id)
    if ident is None or await deps.members.by_id(ident.member_id) is None:
        return None
    user = await deps.slack_users.user(team_id, user_id)
    return (user.name if user and user.name else "") or ident.name or ident.email


async def _as_typed(deps: Deps, team_id: str, text: str) -> str:
    """A reply as its author typed it (Slack sends entities and `<@U…>`), for Sentry."""
    names: dict[str, str] = {}
    for uid in mentioned_users(text):
        with contextlib.suppress(errors.SlackUnavailable):
            user = await deps.slack_users.user(team_id, uid)
            if user is not None and user.name:
                names[uid] = user.name
    return typed_text(text, names)


async def comments_command(ctx: CommandContext, args: str) -> None:
    """Turn thread replies → Sentry comments on or off in this channel."""
    word = args.strip().lower()
    current = await opted_in(ctx.deps.store, ctx.team_id, ctx.channel_id)
    if word not in ("on", "off"):
        state = "now" if current else "not"
        await ctx.reply(text=COMMENTS_STATE.format(state=state))
        return
    allowed = await may_manage(
        ctx.deps.slack_users,
        ctx.client,
        team_id=ctx.team_id,
        user_id=ctx.user_id,
        owner_id=current or "" if word == "off" else "",
        channel_id=ctx.channel_id,
    )
    if not allowed:
        raise errors.PermissionDenied(COMMENTS_NOT_ALLOWED)
    if word == "on":
        await set_opt_in(ctx.deps.store, ctx.team_id, ctx.channel_id, ctx.user_id)
        await ctx.reply(text=mrkdwn.format(COMMENTS_ON, user=ctx.user_id), public=True)
    else:
        await set_opt_in(ctx.deps.store, ctx.team_id, ctx.channel_id, None)
        await ctx.reply(text=COMMENTS_OFF, public=True)


COMMANDS = [
    Subcommand(
        name="comments",
        usage=COMMENTS_USAGE,
        summary="Post replies in issue card threads here to Sentry as comments (channel "
        "managers and admins).",
        example="/dexter comments on",
        handler=comments_command,
        group="Issues",
    ),
]


async def _tell(client: AsyncWebClient, channel: str, user: str, text: str) -> None:
    try:
        await client.chat_postEphemeral(channel=channel, user=user, text=text)
    except SlackApiError as exc:
        log.info("could not tell %s: %s", user, exc.response.get("error"))


def not_a_reply(event: dict[str, Any]) -> bool:
    """A message event that cannot be a person's reply in a thread (the door drops it)."""
    if event.get("type") != "message":
        return False
    thread_ts = event.get("thread_ts")
    return bool(
        event.get("subtype") or event.get("bot_id") or not thread_ts or thread_ts == event.get("ts")
    )


def register(app: AsyncApp, deps: Deps) -> None:
    """The Comment button, its modal, and thread replies in opted-in channels."""
    secret = deps.settings.slack_signing_secret.get_secret_value()
    poster = deps.comment_poster
    # Dexter hears every message of its channels: only thread replies become jobs
    deps.front.ignore_events(not_a_reply)

    @app.action(Action.ISSUE_COMMENT.value)
    @listener(deps, "action")
    async def on_comment_button(ctx: Interaction) -> None:
        body = ctx.body
        action = (body.get("actions") or [{}])[0]
        issue_id = str(action.get("value") or "")
        container = body.get("container") or {}
        if not issue_id.isdigit():
            return
        issue = await deps.issues.get(issue_id)  # the value is a hint: Sentry names it
        form = CommentForm(
            issue_id=issue.id,
            channel=str(container.get("channel_id") or ""),
            ts=str(container.get("message_ts") or ""),
        )
        view = deps.renderer.view(
            "issue_comment",
            short_id=issue.short_id,
            title=issue.title,
            metadata=seal_model(secret, form),
        )
        await ctx.open_modal(view)

    @app.view(Callback.ISSUE_COMMENT.value)
    @listener(deps, "view")
    async def on_comment_submit(ctx: Interaction) -> None:
        body, client = ctx.body, ctx.client
        view = body.get("view") or {}
        user_id = str((body.get("user") or {}).get("id") or "")
        team_id = str((body.get("team") or {}).get("id") or "")
        form = unseal_model(secret, CommentForm, view.get("private_metadata"))
        values = (view.get("state") or {}).get("values") or {}
        text = str(((values.get(BlockId.COMMENT_TEXT) or {}).get("value") or {}).get("value") or "")
        if form is None:
            log.info("comment form without Dexter's seal from %s", user_id)
            return
        if not text.strip():
            return
        name = await _author(deps, team_id, user_id)
        if name is None:
            await _tell(client, form.channel, user_id, COMMENT_NEEDS_LINK)
            return
        try:
            await poster.post(form.issue_id, text, name=name)
        except errors.SentryError as exc:
            await _tell(client, form.channel, user_id, COMMENT_FAILED.format(why=describe(exc)))
            return
        if form.channel and form.ts:
            shown = POSTED_FROM_MODAL.format(
                name=fmt.escape(name), text=fmt.escape(fmt.truncate(text, 2800))
            )
            await client.chat_postMessage(
                channel=form.channel, thread_ts=form.ts, text=shown, unfurl_links=False
            )

    @app.event("message")
    @listener(deps, "event")
    async def on_message(ctx: Interaction) -> None:
        body, event, client = ctx.body, ctx.event, ctx.client
        # Only a person's plain reply in a card's thread, in a channel that opted in. Dexter's
        # own replies (the mirrored comments) are bot messages: never posted back (no echo).
        thread_ts = event.get("thread_ts")
        if not_a_reply(event):
            return
        channel = str(event.get("channel") or "")
        user_id = str(event.get("user") or "")
        team_id = str(body.get("team_id") or event.get("team") or "")
        text = str(event.get("text") or "")
        if not text.strip() or not await opted_in(deps.store, team_id, channel):
            return
        issue_id = await deps.triage.cards.issue_of(channel, str(thread_ts))
        if issue_id is None:
            return  # a thread under some other message
        name = await _author(deps, team_id, user_id)
        if name is None:
            await _tell(client, channel, user_id, COMMENT_NEEDS_LINK)
            return
        text = await _as_typed(deps, team_id, text)
        try:
            await poster.post(issue_id, text, name=name)
        except errors.SentryError as exc:
            await _tell(client, channel, user_id, COMMENT_FAILED.format(why=describe(exc)))
